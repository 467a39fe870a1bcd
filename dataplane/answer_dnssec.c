/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DNSSEC in answers (RFC 4035 3.1, RFC 5155 7.2): signatures travel with
 * their RRsets, and negative answers, wildcard answers and referrals to
 * unsigned children carry the NSEC or NSEC3 records that prove them.
 *
 * What depends only on the zone was resolved by the compiler: signatures
 * are attached to their RRsets, NSEC records are RRsets of their nodes,
 * and each node knows the NSEC3 record that matches it. What depends on
 * the query name is found here with bounded work: an NSEC covering a name
 * by binary search over the nodes' canonical keys, from the closest
 * encloser on (zw_image_canon_pred), an NSEC3 covering a name by hashing
 * it (SHA-1, the zone's iterations) and a binary search over the hashes.
 * The denial of the wildcard at a closest encloser, and the NSEC3 owner
 * labels in base32hex, were worked out by the compiler.
 *
 * Records whose owner is not a suffix of the query name (a covering NSEC,
 * an NSEC3) are written with their owner spelt out, compressed against the
 * zone's apex in the question.
 */
#include <string.h>

#include "answer_internal.h"
#include "name.h"
#include "nsec3.h"
#include "rdata.h"

#define MAX_BACKWARDS 4096 /* nodes walked back to an NSEC owner */

bool zw_ans_put_set(struct resp *r, const struct zw_image *img, const struct zw_img_rrset *s,
		    const struct ctx *cx, uint16_t *count, unsigned *at)
{
	const struct zw_img_chunk *c = zw_rrset_chunk(img, s);
	unsigned start = r->len, optr = zw_ans_owner_in(r, c, cx);
	uint16_t before = *count;

	*at = start;
	if (!zw_ans_put_chunk(r, c, cx, optr, 0, count))
		return false;
	if (!r->dnssec)
		return true;
	const struct zw_img_chunk *sig = zw_rrset_sigs(img, s);
	if (sig != NULL && !zw_ans_put_chunk(r, sig, cx, optr, 0, count)) {
		r->len = start; /* an RRset without its signatures is no good */
		*count = before;
		return false;
	}
	return true;
}

/*
 * The NSEC of node n with its signatures. Its owner is not the query
 * name's, so it is spelt out: the node's labels above the apex, then a
 * pointer to the apex in the question. The chunks need no relocation (the
 * verifier refuses NSEC and signature chunks that have any: their names
 * are never compressed, RFC 4034 4.1.1 and 3.1.7), so only the owners are
 * set: the NSEC's to the apex, the signatures' to the NSEC's owner.
 *
 * Where the image has the NSEC records laid out to write (NSECPROOF),
 * node n's place holds all of that in one piece, and neither s, the node,
 * its name nor its chunks are read; else they are copied from the node's
 * name and the chunks of s. False, writing nothing, when it does not fit.
 */
static bool put_nsec(struct resp *r, const struct zw_image *img, const struct zw_img_node *n,
		     const struct zw_img_rrset *s, const struct ctx *qcx)
{
	unsigned start = r->len, room = r->limit - start;
	unsigned apex = zw_ans_suffix_pos(r, qcx->pos, qcx->len, img->hdr->origin_len);

	if (apex > PTR_MAX || start > PTR_MAX)
		return false;
	uint8_t *p = r->buf + start;
	if (img->nsec_proof != NULL) {
		const struct zw_img_nsecproof *b =
			zw_image_nsecproof(img, (uint32_t)(n - img->nodes));
		const uint8_t *d = zw_nsecproof_data(img, b);
		unsigned len = b->len, sigs = (unsigned)b->rel + b->nsec_len;
		if (len == 0 || len > room)
			return false;
		/* the verifier saw the RRs fill len exactly (verify_nsecproofs) */
		memcpy(p, d, len);
		p[b->rel] = (uint8_t)(0xc0 | apex >> 8);
		p[b->rel + 1] = (uint8_t)apex;
		zw_ans_point_owners(p + sigs, d + sigs, len - sigs, start);
		r->len += len;
		r->ns = (uint16_t)(r->ns + b->rrs);
		return true;
	}
	const struct zw_img_chunk *c = zw_rrset_chunk(img, s), *sig = zw_rrset_sigs(img, s);
	unsigned rel_len;
	const uint8_t *rel = zw_node_rel(img, n, &rel_len);
	unsigned len = rel_len + c->len, slen = sig != NULL ? sig->len : 0;

	if (c->len < 12 || len > room || slen > room - len)
		return false;
	memcpy(p, rel, rel_len);
	memcpy(p + rel_len, zw_chunk_data(c), c->len); /* its owner: the apex */
	zw_ans_point_owners(p + rel_len, zw_chunk_data(c), c->len, apex);
	if (sig != NULL) {
		memcpy(p + len, zw_chunk_data(sig), slen);
		zw_ans_point_owners(p + len, zw_chunk_data(sig), slen, start);
	}
	r->len += len + slen;
	r->ns = (uint16_t)(r->ns + c->rrs + (sig != NULL ? sig->rrs : 0));
	return true;
}

/* Whether hint (or NULL) was worked out for name (len) in img. */
static bool hint_for(const struct zw_deny_hint *hint, const struct zw_image *img,
		     const uint8_t *name, unsigned len)
{
	return hint != NULL && hint->img == img && hint->len == len &&
	       zw_bytes_eq(hint->name, name, len);
}

/* ---- NSEC ---- */

static const struct zw_img_rrset *nsec_at(const struct zw_image *img, const struct zw_img_node *n)
{
	return zw_image_rrset(img, n, ZW_T_NSEC);
}

/* Whether node n owns an NSEC. With the records laid out to write, its
 * place says so (the node and its RRset list are not read) and *set is
 * NULL; else *set is its NSEC RRset, found in its RRset list. */
static bool nsec_of(const struct zw_image *img, const struct zw_img_node *n,
		    const struct zw_img_rrset **set)
{
	if (img->nsec_proof != NULL) {
		*set = NULL;
		return zw_image_nsecproof(img, (uint32_t)(n - img->nodes))->len != 0;
	}
	*set = (zw_node_flags(img, n) & ZW_NODE_GLUE) ? NULL : nsec_at(img, n);
	return *set != NULL;
}

/* The nearest NSEC owner at or before node i (glue and empty
 * non-terminals have no NSEC), or NULL; *set is its NSEC. */
static const struct zw_img_node *nsec_back(const struct zw_image *img, uint32_t i,
					   const struct zw_img_rrset **set)
{
	for (unsigned k = 0; k < MAX_BACKWARDS; k++) {
		const struct zw_img_node *n = &img->nodes[i];
		if (nsec_of(img, n, set))
			return n;
		if (i == 0)
			break;
		i--;
	}
	*set = NULL;
	return NULL;
}

/* The node whose NSEC covers name (lower-cased, len bytes, in the zone):
 * the last NSEC owner at or before it in canonical order, and its NSEC
 * in *set. from is the name's closest encloser (the name is below it),
 * where the search starts. */
static const struct zw_img_node *nsec_cover(const struct zw_image *img, const uint8_t *name,
					    unsigned len, const struct zw_img_node *from,
					    const struct zw_deny_hint *hint,
					    const struct zw_img_rrset **set)
{
	struct zw_canon_name q;

	if (hint != NULL && hint->pred_set != NULL) {
		*set = hint->pred_set; /* searched for by the prefetch */
		return &img->nodes[hint->pred];
	}
	if (hint != NULL)
		return nsec_back(img, hint->pred, set);
	zw_canon_prepare(&q, name, len - img->hdr->origin_len);
	return nsec_back(img, zw_image_canon_pred(img, &q, (uint32_t)(from - img->nodes)), set);
}

/* The hint, if it was worked out for the NSEC covering name (len) in img,
 * searched for from node from; else NULL. */
static const struct zw_deny_hint *nsec_hint(const struct zw_deny_hint *hint,
					    const struct zw_image *img, const uint8_t *name,
					    unsigned len, const struct zw_img_node *from)
{
	return hint_for(hint, img, name, len) && hint->nsec &&
			       hint->from == (uint32_t)(from - img->nodes)
		       ? hint
		       : NULL;
}

/* The node whose NSEC covers *.ce (ce the closest encloser of an
 * NXDOMAIN), and that NSEC in *set: compiled, or searched for. */
static const struct zw_img_node *nsec_wild_cover(const struct zw_image *img,
						 const struct zw_img_node *ce,
						 const struct zw_img_rrset **set)
{
	uint32_t i = (uint32_t)(ce - img->nodes);
	uint8_t wc[ZW_NAME_MAX + 1];
	unsigned olen = img->hdr->origin_len, rel;

	if (img->wild_cover != NULL && img->wild_cover[i] != ZW_NONE) {
		const struct zw_img_node *n = &img->nodes[img->wild_cover[i]];
		return nsec_of(img, n, set) ? n : NULL;
	}
	*set = NULL;
	const uint8_t *nm = zw_node_rel(img, ce, &rel);
	if (rel + 2u + olen > ZW_NAME_MAX)
		return NULL;
	wc[0] = 1;
	wc[1] = '*';
	memcpy(wc + 2, nm, rel);
	memcpy(wc + 2 + rel, img->hdr->origin, olen);
	return nsec_cover(img, wc, rel + 2u + olen, ce, NULL, set);
}

/* Asks for what writing the NSEC of each node reads: its place laid out
 * to write; without those, its RRsets and its name, then the NSEC's chunk
 * and the signatures after it, a level at a time for all of them, so that
 * the cache misses overlap. */
static void nsec_prefetch(const struct zw_image *img, const struct zw_img_node *const *n,
			  unsigned count)
{
	if (img->nsec_proof == NULL)
		for (unsigned i = 0; i < count; i++)
			if (n[i] != NULL)
				zw_ans_pf_node(img, n[i]);
	for (unsigned i = 0; i < count; i++)
		if (n[i] != NULL)
			zw_ans_pf_nsec(img, n[i]);
}

/* NSEC s of node n, unless n is NULL or in the answer already (done). */
static bool put_node_nsec(struct resp *r, const struct zw_image *img, const struct zw_img_node *n,
			  const struct zw_img_rrset *s, const struct ctx *qcx,
			  const struct zw_img_node **done, unsigned *ndone)
{
	if (n == NULL || (s == NULL && img->nsec_proof == NULL))
		return false;
	for (unsigned i = 0; i < *ndone; i++)
		if (done[i] == n)
			return true; /* already in the answer */
	if (!put_nsec(r, img, n, s, qcx)) {
		r->tc = true;
		return false;
	}
	done[(*ndone)++] = n;
	return true;
}

/* The NSEC of node n (NULL for none) and its signatures. */
static bool put_own_nsec(struct resp *r, const struct zw_image *img, const struct zw_img_node *n,
			 const struct ctx *qcx, const struct zw_img_node **done, unsigned *ndone)
{
	const struct zw_img_rrset *s;

	return n != NULL && nsec_of(img, n, &s) && put_node_nsec(r, img, n, s, qcx, done, ndone);
}

/* "*." + name into out; returns its length or 0. */
static unsigned wildcard_of(const uint8_t *name, unsigned len, uint8_t *out)
{
	if (len + 2 > ZW_NAME_MAX)
		return 0;
	out[0] = 1;
	out[1] = '*';
	memcpy(out + 2, name, len);
	return len + 2;
}

/* ---- NSEC3 ---- */

struct n3 {
	const struct zw_image *img;
	const struct zw_img_nsec3 *recs;
	uint32_t count;
	const struct zw_deny_hint *hint; /* or NULL */
};

/* The hint's hash and record, if it is for name (len) in this zone. */
static bool n3_hinted(const struct n3 *z, const uint8_t *name, unsigned len, uint8_t *h,
		      uint32_t *rec, bool *match)
{
	const struct zw_deny_hint *t = z->hint;

	if (!hint_for(t, z->img, name, len) || !t->n3)
		return false;
	memcpy(h, t->hash, ZW_SHA1_LEN);
	*rec = t->rec;
	*match = t->match;
	return true;
}

static const uint8_t *n3_hash(const struct n3 *z, uint32_t i)
{
	return z->img->names + z->recs[i].hash_off + 1;
}

/* The record matching h, or covering it (the last hash below it, wrapping
 * to the last record); *match says which. */
static uint32_t n3_find(const struct n3 *z, const uint8_t *h, bool *match)
{
	uint32_t lo = 0, hi = z->count;
	uint64_t key = zw_load_be64(h);
	const uint64_t *keys = z->img->nsec3_keys;

	*match = false;
	if (keys != NULL) {
		/* the range of the index that holds key: a few keys, in one or
		 * two lines (without the index, a small chain: all of it) */
		zw_image_n3_range(z->img, key, &lo, &hi);
		while (lo < hi) {
			uint32_t mid = lo + (hi - lo) / 2;
			if (keys[mid] <= key)
				lo = mid + 1;
			else
				hi = mid;
		}
		hi = lo;
		if (hi == 0 || keys[hi - 1] != key)
			return hi == 0 ? z->count - 1 : hi - 1;
		lo = 0;
		uint32_t top = hi;
		while (lo < top) {
			uint32_t mid = lo + (top - lo) / 2;
			if (keys[mid] < key)
				lo = mid + 1;
			else
				top = mid;
		}
	}
	/* by the whole hashes, in [lo, hi) */
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		const uint8_t *mh = n3_hash(z, mid);
		uint64_t mk = zw_load_be64(mh);
		/* the first 8 bytes decide but for one hash in 2^64 */
		int c = mk != key ? (mk < key ? -1 : 1) : memcmp(mh + 8, h + 8, ZW_SHA1_LEN - 8);
		if (c == 0) {
			*match = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo == 0 ? z->count - 1 : lo - 1;
}

bool zw_ans_n3_hash(const struct zw_image *img, const uint8_t *name, unsigned len, uint8_t *h)
{
	const struct zw_img_header *hd = img->hdr;

	return zw_nsec3_hash_lower(name, len, hd->nsec3_salt, hd->nsec3_salt_len,
				   hd->nsec3_iterations, h) == 0;
}

uint32_t zw_ans_n3_find(const struct zw_image *img, const uint8_t *h, bool *match)
{
	struct n3 z = { img, img->nsec3, img->hdr->nsec3_count, NULL };

	return n3_find(&z, h, match);
}

/*
 * NSEC3 record i with its signatures, as the compiler laid it out to be
 * written (struct zw_img_n3proof): one copy, then the owner's pointer to
 * the apex and the signatures' pointers to the owner set in place. Each
 * record goes in once (done, ndone); TC when it does not fit.
 */
static bool put_n3(struct resp *r, const struct n3 *z, uint32_t i, const struct ctx *qcx,
		   uint32_t *done, unsigned *ndone)
{
	const struct zw_image *img = z->img;
	const struct zw_img_n3proof *b = zw_image_n3proof(img, i);
	const uint8_t *d = zw_n3proof_data(img, b);
	unsigned start = r->len, len = b->len, o = ZW_N3PROOF_OWNER - 2;

	for (unsigned k = 0; k < *ndone; k++)
		if (done[k] == i)
			return true;
	unsigned apex = zw_ans_suffix_pos(r, qcx->pos, qcx->len, img->hdr->origin_len);
	if (apex > PTR_MAX || start > PTR_MAX || len > r->limit - start) {
		r->tc = true;
		return false;
	}
	/* the verifier saw the RRs fill len exactly (verify_n3proofs) */
	uint8_t *p = r->buf + start;
	memcpy(p, d, len);
	unsigned sigs = o + 12u + (unsigned)(d[o + 10] << 8 | d[o + 11]);
	zw_ans_point_owners(p + o, d + o, sigs - o, apex);
	zw_ans_point_owners(p + sigs, d + sigs, len - sigs, start);
	r->len += len;
	r->ns = (uint16_t)(r->ns + b->rrs);
	done[(*ndone)++] = i;
	return true;
}

/* The NSEC3 matching a node (compiled), or hashed now if the node has none
 * in the map. */
static bool n3_for_node(const struct n3 *z, const struct zw_img_node *n, uint32_t *out)
{
	uint32_t idx = (uint32_t)(n - z->img->nodes);

	if (z->img->nsec3_map == NULL || z->img->nsec3_map[idx] == ZW_NONE)
		return false;
	*out = z->img->nsec3_map[idx];
	return true;
}

/* The suffix of name (len) one label longer than the encloser of length
 * celen: the "next closer name" of RFC 5155 7.2.1. */
static unsigned next_closer(const uint8_t *name, unsigned len, unsigned celen, unsigned *off)
{
	unsigned pos = 0;

	while (len - pos > celen) {
		unsigned l = 1u + name[pos];
		if (len - pos - l == celen) {
			*off = pos;
			return len - pos;
		}
		pos += l;
	}
	return 0;
}

/*
 * Writing an NSEC3 record reads its place in NSEC3PROOF, found from its
 * index: in a large image each line of it is likely a cache miss. The
 * records are asked for as soon as they are known (before hashing the next
 * closer name), and the data of the rare ones too long for their place
 * with the others of a proof, before writing the first, so that the
 * misses overlap instead of adding up.
 */
static void n3_prefetch(const struct n3 *z, const uint32_t *ids, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		zw_ans_pf_n3_far(z->img, ids[i]);
}

/* The first of those levels, for a record known early. */
static void n3_prefetch_rec(const struct n3 *z, uint32_t i)
{
	zw_ans_pf_n3(z->img, i);
}

/* Closest encloser proof (RFC 5155 7.2.1): the NSEC3 matching the closest
 * provable encloser and the one covering the next closer name, into ids
 * (in that order; the second is left out when the hash matches). Starts at
 * the encloser the lookup found and walks up to an ancestor that has an
 * NSEC3 (under opt-out, insecure names have none). Returns the encloser's
 * length (for the wildcard proof), or 0; *provable is the encloser. */
static unsigned ce_proof(const struct n3 *z, const uint8_t *name, unsigned len,
			 const struct zw_img_node *ce, uint32_t *ids, unsigned *nids,
			 const struct zw_img_node **provable)
{
	const struct zw_image *img = z->img;
	uint8_t full[ZW_NAME_MAX + 1], h[ZW_SHA1_LEN];
	uint32_t match, cover = ZW_NONE, ci = (uint32_t)(ce - img->nodes);
	unsigned celen, off, nclen;
	bool m = false;

	/* The encloser's NSEC3 and wildcard denial are asked for first, and
	 * the next closer name hashed and searched for while they come, on
	 * the guess that the encloser has an NSEC3 (it has but under
	 * opt-out; the search is then done again from the right encloser) */
	if (img->nsec3_map != NULL)
		__builtin_prefetch(&img->nsec3_map[ci]);
	if (img->wild_cover != NULL)
		__builtin_prefetch(&img->wild_cover[ci]);
	zw_node_rel(img, ce, &celen);
	celen += img->hdr->origin_len;
	nclen = next_closer(name, len, celen, &off);
	bool hashed = nclen != 0 && n3_hinted(z, name + off, nclen, h, &cover, &m);
	if (!hashed && nclen != 0 && zw_ans_n3_hash(img, name + off, nclen, h)) {
		hashed = true;
		cover = n3_find(z, h, &m);
		if (!m)
			n3_prefetch_rec(z, cover);
	}
	*provable = NULL;
	if (!n3_for_node(z, ce, &match)) {
		zw_image_node_name(img, ce, full);
		while (!n3_for_node(z, ce, &match)) {
			/* up one label, by name: ENTs and cuts are nodes too */
			if (celen <= img->hdr->origin_len)
				return 0;
			unsigned skip = 1u + full[0];
			memmove(full, full + skip, celen - skip);
			celen -= skip;
			ce = zw_image_find_name(img, full, celen);
			if (ce == NULL)
				return 0;
		}
		nclen = next_closer(name, len, celen, &off);
		hashed = nclen != 0 && zw_ans_n3_hash(img, name + off, nclen, h);
		if (hashed)
			cover = n3_find(z, h, &m);
	}
	*provable = ce;
	ids[(*nids)++] = match;
	n3_prefetch_rec(z, match);
	if (img->wild_cover != NULL && img->wild_cover[ce - img->nodes] != ZW_NONE)
		n3_prefetch_rec(z, img->wild_cover[ce - img->nodes]);
	if (hashed && !m)
		ids[(*nids)++] = cover;
	return celen;
}

/* Writes the records of ids, in order, each once. */
static void put_n3s(struct resp *r, const struct n3 *z, const uint32_t *ids, unsigned n,
		    const struct ctx *qcx, uint32_t *done, unsigned *ndone)
{
	n3_prefetch(z, ids, n);
	for (unsigned i = 0; i < n; i++)
		put_n3(r, z, ids[i], qcx, done, ndone);
}

/* The closest encloser proof, written. */
static unsigned put_ce_proof(struct resp *r, const struct n3 *z, const uint8_t *name, unsigned len,
			     const struct zw_img_node *ce, const struct ctx *qcx, uint32_t *done,
			     unsigned *ndone, const struct zw_img_node **provable)
{
	uint32_t ids[2];
	unsigned nids = 0, celen = ce_proof(z, name, len, ce, ids, &nids, provable);

	put_n3s(r, z, ids, nids, qcx, done, ndone);
	return celen;
}

static void deny_nsec3(struct resp *r, const struct zw_lookup *lk, const uint8_t *name,
		       unsigned len, const struct ctx *qcx, uint16_t qtype)
{
	const struct zw_image *img = lk->zone;
	struct n3 z = { img, img->nsec3, img->hdr->nsec3_count, r->hint };
	uint32_t done[8], match;
	unsigned ndone = 0;
	uint8_t h[ZW_SHA1_LEN], wc[ZW_NAME_MAX + 1], full[ZW_NAME_MAX + 1];
	bool m;

	if (z.count == 0)
		return;
	switch (lk->shape) {
	case ZW_SHAPE_NXDOMAIN: {
		const struct zw_img_node *ce;
		uint32_t ids[3];
		unsigned nids = 0;
		unsigned celen = ce_proof(&z, name, len, lk->encloser, ids, &nids, &ce);
		/* no wildcard at the closest encloser: the NSEC3 covering it,
		 * compiled, or found by hashing */
		uint32_t wcv = ce != NULL && img->wild_cover != NULL
				       ? img->wild_cover[ce - img->nodes]
				       : ZW_NONE;
		unsigned wl =
			wcv == ZW_NONE && celen ? wildcard_of(name + (len - celen), celen, wc) : 0;
		if (wl && zw_ans_n3_hash(img, wc, wl, h)) {
			uint32_t cover = n3_find(&z, h, &m);
			if (!m)
				wcv = cover;
		}
		if (wcv != ZW_NONE)
			ids[nids++] = wcv;
		put_n3s(r, &z, ids, nids, qcx, done, &ndone);
		return;
	}
	case ZW_SHAPE_NODATA:
		if (!lk->wildcard) {
			if (n3_for_node(&z, lk->node, &match)) {
				put_n3(r, &z, match, qcx, done, &ndone);
			} else {
				/* no NSEC3 for the name: DS at an opt-out delegation
				 * (RFC 5155 7.2.4), or an empty non-terminal above
				 * insecure delegations only: the closest encloser
				 * proof, whose covering NSEC3 has the opt-out flag */
				const struct zw_img_node *ce;
				(void)qtype;
				put_ce_proof(r, &z, name, len, lk->node, qcx, done, &ndone, &ce);
			}
			return;
		}
		/* wildcard NODATA (RFC 5155 7.2.5): closest encloser proof
		 * for the name, and the NSEC3 matching the wildcard */
		{
			const struct zw_img_node *wpar = lk->encloser, *ce;
			put_ce_proof(r, &z, name, len, wpar, qcx, done, &ndone, &ce);
			if (n3_for_node(&z, lk->node, &match))
				put_n3(r, &z, match, qcx, done, &ndone);
		}
		return;
	case ZW_SHAPE_ANSWER:
	case ZW_SHAPE_CNAME:
		if (!lk->wildcard)
			return;
		/* a wildcard answer: the name itself does not exist (RFC 5155
		 * 7.2.6): the NSEC3 covering the next closer name */
		{
			unsigned celen = zw_image_node_name(img, lk->encloser, full), off;
			unsigned nclen = next_closer(name, len, celen, &off);
			uint32_t cover;
			bool hashed = nclen && n3_hinted(&z, name + off, nclen, h, &cover, &m);
			if (!hashed && nclen && zw_ans_n3_hash(img, name + off, nclen, h)) {
				hashed = true;
				cover = n3_find(&z, h, &m);
			}
			if (hashed && !m)
				put_n3(r, &z, cover, qcx, done, &ndone);
		}
		return;
	default: return;
	}
}

static void deny_nsec(struct resp *r, const struct zw_lookup *lk, const uint8_t *name, unsigned len,
		      const struct ctx *qcx)
{
	const struct zw_image *img = lk->zone;
	const struct zw_img_node *done[4];
	const struct zw_img_rrset *s[2];
	unsigned ndone = 0;

	switch (lk->shape) {
	case ZW_SHAPE_NXDOMAIN: {
		/* the name does not exist, nor does the wildcard at its
		 * closest encloser (RFC 4035 3.1.3.2); the wildcard's denial is
		 * asked for before the search, both records' parts after it */
		const struct zw_img_node *n[2];
		uint32_t ce = (uint32_t)(lk->encloser - img->nodes);
		const struct zw_deny_hint *h = NULL;
		if (zw_node_leaf(img, lk->encloser)) {
			/* nothing is below the encloser: the name and the
			 * wildcard both come right after it, one NSEC covers
			 * both (written once) */
			n[0] = n[1] = nsec_back(img, ce, &s[0]);
			s[1] = s[0];
		} else if ((h = nsec_hint(r->hint, img, name, len, lk->encloser)) != NULL &&
			   h->wild_set != NULL) {
			/* both found by the prefetch, their parts asked for */
			n[0] = nsec_cover(img, name, len, lk->encloser, h, &s[0]);
			n[1] = &img->nodes[h->wild];
			s[1] = h->wild_set;
		} else {
			if (img->wild_cover != NULL)
				__builtin_prefetch(&img->wild_cover[ce]);
			n[0] = nsec_cover(img, name, len, lk->encloser, h, &s[0]);
			n[1] = nsec_wild_cover(img, lk->encloser, &s[1]);
			/* the parts of both, but for what a burst's prefetch
			 * asked for already (deny_rec): the node its search
			 * found, and the compiled cover of the wildcard */
			const struct zw_img_node *ask[2] = {
				h != NULL && n[0] == &img->nodes[h->pred] ? NULL : n[0],
				h != NULL && img->wild_cover != NULL &&
						img->wild_cover[ce] != ZW_NONE
					? NULL
					: n[1],
			};
			nsec_prefetch(img, ask, 2);
		}
		put_node_nsec(r, img, n[0], s[0], qcx, done, &ndone);
		put_node_nsec(r, img, n[1], s[1], qcx, done, &ndone);
		return;
	}
	case ZW_SHAPE_NODATA:
		if (lk->wildcard) {
			/* RFC 4035 3.1.3.4: no such name, and the wildcard has
			 * no data of the type */
			const struct zw_deny_hint *h =
				nsec_hint(r->hint, img, name, len, lk->encloser);
			const struct zw_img_node *n =
				nsec_cover(img, name, len, lk->encloser, h, &s[0]);
			put_node_nsec(r, img, n, s[0], qcx, done, &ndone);
			put_own_nsec(r, img, lk->node, qcx, done, &ndone);
		} else if (nsec_of(img, lk->node, &s[0])) {
			put_node_nsec(r, img, lk->node, s[0], qcx, done, &ndone);
		} else {
			/* an empty non-terminal: the NSEC that covers it, the
			 * nearest before it */
			const struct zw_img_node *n =
				nsec_back(img, (uint32_t)(lk->node - img->nodes), &s[0]);
			put_node_nsec(r, img, n, s[0], qcx, done, &ndone);
		}
		return;
	case ZW_SHAPE_ANSWER:
	case ZW_SHAPE_CNAME:
		if (lk->wildcard) { /* RFC 4035 3.1.3.3 */
			const struct zw_deny_hint *h =
				nsec_hint(r->hint, img, name, len, lk->encloser);
			const struct zw_img_node *n =
				nsec_cover(img, name, len, lk->encloser, h, &s[0]);
			put_node_nsec(r, img, n, s[0], qcx, done, &ndone);
		}
		return;
	default: return;
	}
}

void zw_ans_deny(struct resp *r, const struct zw_lookup *lk, const uint8_t *lname, unsigned len,
		 const struct ctx *cx, uint16_t qtype)
{
	if (!r->dnssec)
		return;
	if (lk->zone->hdr->flags & ZW_IMGF_NSEC3)
		deny_nsec3(r, lk, lname, len, cx, qtype);
	else if (lk->zone->hdr->flags & ZW_IMGF_NSEC)
		deny_nsec(r, lk, lname, len, cx);
}

void zw_ans_put_proofs(struct resp *r, const struct zw_image *img, const uint32_t *ids, unsigned n,
		       unsigned walk, const struct ctx *qcx)
{
	if (img->hdr->flags & ZW_IMGF_NSEC3) {
		struct n3 z = { img, img->nsec3, img->hdr->nsec3_count, NULL };
		uint32_t done[ZW_ANS_PROOFS];
		unsigned ndone = 0;
		for (unsigned i = 0; i < n && i < ZW_ANS_PROOFS; i++)
			if (ids[i] != ZW_NONE)
				put_n3(r, &z, ids[i], qcx, done, &ndone);
		return;
	}
	const struct zw_img_node *done[ZW_ANS_PROOFS];
	unsigned ndone = 0;
	for (unsigned i = 0; i < n && i < ZW_ANS_PROOFS; i++) {
		const struct zw_img_rrset *s = NULL;
		const struct zw_img_node *nd = NULL;
		if (ids[i] == ZW_NONE)
			continue;
		if (walk >> i & 1)
			nd = nsec_back(img, ids[i], &s);
		else if (nsec_of(img, &img->nodes[ids[i]], &s))
			nd = &img->nodes[ids[i]];
		put_node_nsec(r, img, nd, s, qcx, done, &ndone);
	}
}

void zw_ans_referral_ds(struct resp *r, const struct zw_lookup *lk, const uint8_t *lname,
			unsigned len, const struct ctx *cx)
{
	const struct zw_image *img = lk->zone;
	const struct zw_img_node *cut = lk->node;
	unsigned at;

	if (!r->dnssec)
		return;
	const struct zw_img_rrset *ds = zw_image_rrset(img, cut, ZW_T_DS);
	if (ds != NULL) {
		if (!zw_ans_put_set(r, img, ds, cx, &r->ns, &at))
			r->tc = true;
		return;
	}
	/* an unsigned child: prove there is no DS (RFC 4035 3.1.4.1,
	 * RFC 5155 7.2.7) */
	if (img->hdr->flags & ZW_IMGF_NSEC3) {
		struct n3 z = { img, img->nsec3, img->hdr->nsec3_count, r->hint };
		uint32_t done[8], match;
		unsigned ndone = 0;
		uint8_t full[ZW_NAME_MAX + 1];
		if (z.count == 0)
			return;
		if (n3_for_node(&z, cut, &match)) {
			put_n3(r, &z, match, cx, done, &ndone);
		} else {
			const struct zw_img_node *ce;
			unsigned clen = zw_image_node_name(img, cut, full);
			/* opt-out: the closest provable encloser and the NSEC3
			 * covering the cut, with the opt-out flag */
			put_ce_proof(r, &z, full, clen, cut, cx, done, &ndone, &ce);
		}
		(void)lname;
		(void)len;
	} else if (img->hdr->flags & ZW_IMGF_NSEC) {
		const struct zw_img_node *done[2];
		unsigned ndone = 0;
		put_own_nsec(r, img, cut, cx, done, &ndone);
	}
}
