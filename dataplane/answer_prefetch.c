/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Warming the caches for a burst of queries.
 *
 * Design note. Over a large zone set almost every lookup misses the caches
 * several times, and each miss depends on the one before: the hash slot
 * gives the node, the node gives its RRsets, the RRset gives its chunk. One
 * query at a time, the core waits for each of those in turn. This pass
 * walks a whole burst one step at a time instead (every slot, then every
 * node, then every RRset list, then every chunk), issuing prefetches and
 * never waiting on its own loads except for data that an earlier step has
 * already asked for, so the misses of all the queries of a burst are in
 * flight together. zw_answer() then finds what it needs in the caches.
 *
 * It is only a hint: it reads the queries with the same bounds as the
 * parser, makes no decision, and anything it does not understand it
 * skips. For each query it probes the hash for the query name and for the
 * name without its first label (the delegation of a name below a cut,
 * the parent of a name that does not exist), which are the nodes the
 * common answers need.
 */
#include <string.h>

#include "answer.h"
#include "image.h"
#include "lookup.h"
#include "name.h"
#include "rdata.h"

#define HDR    12
#define PROBES 2

struct probe {
	const struct zw_image *img;
	uint32_t hash[PROBES];
	uint32_t slot[PROBES];
	const struct zw_img_node *node[PROBES];
	uint16_t qtype;
	uint8_t nprobe;
};

static inline void pf(const void *p)
{
	__builtin_prefetch(p, 0, 3);
}

/* The query's name, lower-cased, or 0 when it is not a plain query. */
static unsigned plain_query(const uint8_t *q, size_t qlen, uint8_t *lname, uint16_t *qtype)
{
	if (qlen < HDR + 5 || (q[2] & 0xf8) != 0 || q[4] != 0 || q[5] != 1)
		return 0;
	size_t pos = HDR;
	for (;;) {
		if (pos >= qlen)
			return 0;
		uint8_t l = q[pos];
		if (l == 0)
			break;
		if (l > ZW_LABEL_MAX)
			return 0;
		pos += 1u + l;
		if (pos - HDR >= ZW_NAME_MAX)
			return 0;
	}
	if (qlen < pos + 5)
		return 0;
	*qtype = (uint16_t)(q[pos + 1] << 8 | q[pos + 2]);
	return zw_name_lower(lname, q + HDR);
}

void zw_answer_prefetch(const struct zw_zoneset *zs, const uint8_t *const *qs,
			const uint16_t *qlens, unsigned n)
{
	struct probe p[ZW_PREFETCH_MAX];
	uint8_t lname[ZW_NAME_MAX + 1];

	if (zs == NULL)
		return;
	if (n > ZW_PREFETCH_MAX)
		n = ZW_PREFETCH_MAX;
	/* 1: names, zones, hashes; prefetch the hash slots */
	for (unsigned i = 0; i < n; i++) {
		struct probe *pr = &p[i];
		unsigned len = plain_query(qs[i], qlens[i], lname, &pr->qtype);
		pr->nprobe = 0;
		pr->img = len ? zw_zoneset_find(zs, lname, len, pr->qtype == ZW_T_DS) : NULL;
		if (pr->img == NULL)
			continue;
		const struct zw_image *img = pr->img;
		unsigned rel = len - img->hdr->origin_len, pos = 0;
		uint32_t mask = img->hdr->hash_size - 1;
		for (unsigned k = 0; k < PROBES && pos < rel; k++) {
			uint32_t h = zw_name_hash(lname + pos, rel - pos);
			pr->hash[k] = h;
			pr->slot[k] = h & mask;
			pf(&img->hash[h & mask]);
			pr->nprobe++;
			pos += 1u + lname[pos];
		}
	}
	/* 2: the slots give the nodes: the probe runs over the slots' own
	 * copies of the hashes, in the line prefetched, and stops there */
	for (unsigned i = 0; i < n; i++) {
		struct probe *pr = &p[i];
		for (unsigned k = 0; k < pr->nprobe; k++) {
			const struct zw_image *img = pr->img;
			uint32_t h = pr->slot[k], mask = img->hdr->hash_size - 1;
			pr->node[k] = NULL;
			for (unsigned step = 0; step < 8; step++, h = (h + 1) & mask) {
				const struct zw_img_slot *sl = &img->hash[h];
				if (sl->node == 0)
					break;
				if (sl->hash == pr->hash[k]) {
					pr->node[k] = &img->nodes[sl->node - 1];
					pf(pr->node[k]);
					break;
				}
			}
		}
	}
	/* 3: the nodes give the names and the RRset lists */
	for (unsigned i = 0; i < n; i++) {
		struct probe *pr = &p[i];
		for (unsigned k = 0; k < pr->nprobe; k++) {
			const struct zw_img_node *nd = pr->node[k];
			if (nd == NULL)
				continue;
			pf(pr->img->names + nd->name_off);
			if (nd->rrset_count)
				pf(&pr->img->rrsets[nd->rrset_first]);
			if (k == 0)
				break; /* the name itself exists: its parent is not needed */
		}
	}
	/* 4: the RRset the answer needs gives its chunk */
	for (unsigned i = 0; i < n; i++) {
		struct probe *pr = &p[i];
		const struct zw_img_node *nd = NULL;
		for (unsigned k = 0; k < pr->nprobe && nd == NULL; k++)
			nd = pr->node[k];
		if (nd == NULL || nd->rrset_count == 0)
			continue;
		uint16_t want = pr->qtype;
		if (nd->flags & (ZW_NODE_DELEG | ZW_NODE_GLUE))
			want = ZW_T_NS;
		else if (nd != pr->node[0])
			continue; /* a parent: the answer is negative or wildcard */
		else if (nd->flags & ZW_NODE_CNAME)
			want = ZW_T_CNAME;
		const struct zw_img_rrset *s = zw_image_rrset(pr->img, nd, want);
		if (s != NULL) {
			const uint8_t *c = pr->img->chunks + s->chunk;
			pf(c);
			pf(c + 64);
		}
	}
}
