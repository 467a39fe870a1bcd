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
 * reading only what an earlier step has already asked for, so the misses
 * of all the queries of a burst are in flight together; the lookups that
 * follow find what they need in the caches.
 *
 * For each query it probes the hash for the query name and, only where
 * that is not found, for the name without its first label (the delegation
 * of a name below a cut, the parent of a name that does not exist), which
 * are the nodes the common answers need. Every line fetched costs about as
 * much as a cache miss in the time of a core (see docs/benchmarks.md), so
 * nothing is fetched that most answers do not read. The name, the zone and
 * the hashes come from the parse (struct zw_probe), so nothing is computed
 * twice.
 *
 * Where those probes settle the closest encloser (the name's node, its
 * name compared; or the name certainly missing, its slot run ended on an
 * empty slot, and its parent's node or the apex), the lookup itself is
 * done here too (zw_lookup_at(), the same code as the answer's lookup), so
 * the answer does not probe the table a second time. Everything else is
 * left to the answer's own lookup: this pass never gives an answer of its
 * own, and what it does not settle changes nothing.
 */
#include "answer_internal.h"
#include "image.h"
#include "rdata.h"

/* slots a probe looks at before it gives up (the table is at most 2/3
 * full; a run this long is rare, and the lookup will do the rest) */
#define SLOT_RUN 8

static inline void pf(const void *p)
{
	__builtin_prefetch(p, 0, 3);
}

/* Lines from p to p + len - 1 (at most max of them). */
static inline void pf_lines(const uint8_t *p, size_t len, unsigned max)
{
	uintptr_t line = (uintptr_t)p & ~(uintptr_t)63, end = (uintptr_t)p + len;

	for (unsigned k = 0; k < max && line < end; k++, line += 64)
		pf((const void *)line);
}

/*
 * What writing RRset s reads: its chunk and, with DNSSEC, the signature
 * chunk laid after it. The compiler lays the chunks in the order of the
 * RRsets, each RRset's group (chunk, additional-data list, signatures)
 * where the one before ends (test_group_order checks it), so the next
 * RRset's offset bounds the group: read where that entry shares the line
 * of s (already in the caches, so it costs no miss), and where it cannot
 * include signatures not wanted. Otherwise it is only a hint: two lines,
 * four with DNSSEC.
 */
static void pf_set(const struct zw_image *img, const struct zw_img_rrset *s, bool dnssec)
{
	const uint8_t *c = img->chunks + s->chunk;
	const struct zw_img_rrset *nx = s + 1;
	/* s is in the RRset list, or a copy in a node's record (where the
	 * entry after the last is there for this) */
	uintptr_t at = (uintptr_t)s - (uintptr_t)img->rrsets;
	bool listed = at < (uintptr_t)img->hdr->rrset_count * sizeof(*s);

	if ((!listed || (((uintptr_t)nx & 63) != 0 && nx < img->rrsets + img->hdr->rrset_count)) &&
	    nx->chunk > s->chunk && (dnssec || !(s->flags & ZW_RRSET_SIGS))) {
		pf_lines(c, nx->chunk - s->chunk, 8);
		return;
	}
	pf_lines(c, dnssec ? 256 : 128, dnssec ? 4 : 2);
}

/* NSEC zones: the NSEC of node nd and the signatures laid after it, which
 * a NODATA answer or the referral to an unsigned child writes. Where the
 * image has them laid out to write, that is nd's place (up to four lines,
 * asked for without a read), and NULL is returned. Else it is the NSEC's
 * chunk, found in nd's RRset list, which must be in the caches (asked for
 * a step before); returns that NSEC, or NULL (glue has none, nor an empty
 * non-terminal). */
const struct zw_img_rrset *zw_ans_pf_nsec(const struct zw_image *img, const struct zw_img_node *nd)
{
	if (img->nsec_proof != NULL) {
		pf_lines((const uint8_t *)zw_image_nsecproof(img, (uint32_t)(nd - img->nodes)),
			 img->hdr->nsec_stride, 4);
		return NULL;
	}
	if (!(img->hdr->flags & ZW_IMGF_NSEC) || (zw_node_flags(img, nd) & ZW_NODE_GLUE))
		return NULL;
	const struct zw_img_rrset *s = zw_image_rrset(img, nd, ZW_T_NSEC);
	if (s != NULL)
		pf_set(img, s, true);
	return s;
}

/* NSEC3 zones: record r ready to write, in its place: the stride is the
 * lines it takes (three for ECDSA and Ed25519 keys), at most four asked
 * for. */
void zw_ans_pf_n3(const struct zw_image *img, uint32_t r)
{
	pf_lines((const uint8_t *)zw_image_n3proof(img, r), img->hdr->nsec3_stride, 4);
}

/* A record too long for its place: its data, laid after the table. */
void zw_ans_pf_n3_far(const struct zw_image *img, uint32_t r)
{
	const struct zw_img_n3proof *b = zw_image_n3proof(img, r);

	if (b->far)
		pf_lines(zw_n3proof_data(img, b), b->len, 8);
}

/* What the denial of existence from node i reads first: its NSEC3; and
 * where the name is missing (i its closest encloser), the canonical key
 * the NSEC search starts from and the denial of the wildcard below it. A
 * NODATA answer or a referral to an unsigned child needs only the node's
 * own NSEC or NSEC3. */
/* NSEC zones: whether nothing is below node i, so that a missing name
 * below it and the wildcard below it both come right after it, and its
 * NSEC covers both: no search, no compiled denial to read. */
static bool nsec_leaf(const struct zw_image *img, uint32_t i)
{
	return img->canon != NULL && zw_node_leaf(img, &img->nodes[i]);
}

static void deny_prefetch(struct zw_probe *p, const struct zw_image *img, uint32_t i, bool missing)
{
	p->deny = i;
	p->deny_missing = missing;
	if (img->nsec3_map != NULL)
		pf(&img->nsec3_map[i]);
	if (!missing || nsec_leaf(img, i))
		return;
	if (img->canon != NULL)
		pf(&img->canon[i]);
	if (img->wild_cover != NULL)
		pf(&img->wild_cover[i]);
}

/* What a lookup reads of a node first: its record, where the image has
 * them, else the node. */
static void pf_nd(const struct zw_image *img, const struct zw_img_node *nd)
{
	pf(img->nrec != NULL ? (const void *)zw_image_nrec(img, nd) : (const void *)nd);
}

/* What a lookup reads of a node after the node: its name and RRset list,
 * unless its record has them (asked for a step before). */
void zw_ans_pf_node(const struct zw_image *img, const struct zw_img_node *nd)
{
	if (zw_node_full_rec(img, nd) != NULL)
		return;
	pf(img->names + nd->name_off);
	if (nd->rrset_count)
		pf(&img->rrsets[nd->rrset_first]);
}

/* Runs the probe of suffix k over its slots (from p->slot[k]), comparing
 * the slots' copies of the hashes, so only the node wanted is touched. */
static void probe_slots(struct zw_probe *p, unsigned k)
{
	const struct zw_image *img = p->img;
	uint32_t mask = img->hdr->hash_size - 1, h = p->slot[k];

	p->node[k] = NULL;
	for (unsigned step = 0; step < SLOT_RUN; step++, h = (h + 1) & mask) {
		const struct zw_img_slot *sl = &img->hash[h];
		if (sl->node == 0) {
			if (k == 0)
				p->absent = true;
			return;
		}
		if (sl->hash == p->hash[k]) {
			p->node[k] = &img->nodes[sl->node - 1];
			pf_nd(img, p->node[k]);
			return;
		}
	}
}

/* The entries of the RRsets in the additional-data list of p->extra, or,
 * once those are in, their chunks (the first EXTRA_PF of them: a
 * referral's glue comes first). */
#define EXTRA_PF 4
static void pf_extra(const struct zw_probe *p, bool chunks)
{
	const struct zw_image *img = p->img;
	const struct zw_img_extra *x = zw_rrset_extra(img, p->extra);

	if (x == NULL)
		return;
	const struct zw_img_extra_ent *e = zw_extra_ents(x);
	for (unsigned i = 0; i < x->count && i < EXTRA_PF; i++) {
		const struct zw_img_rrset *as = &img->rrsets[e[i].rrset];
		if (chunks)
			pf_set(img, as, p->dnssec);
		else
			pf(as);
	}
}

/* The slot of suffix k, asked for. */
static void ask_slot(struct zw_probe *p, unsigned k)
{
	if (k == 0)
		p->absent = false;
	p->slot[k] = p->hash[k] & (p->img->hdr->hash_size - 1);
	pf(&p->img->hash[p->slot[k]]);
}

/*
 * The lookup itself (zw_lookup_at()), where the probes settled the closest
 * encloser and the lookup reads nothing that has not been asked for: the
 * name's own node, or, the name certainly missing, its parent's node or
 * the apex. A wildcard below the encloser and the cut of a glue node are
 * left to the answer, as are the names the probes could not settle.
 */
static bool pre_lookup(struct zw_probe *p)
{
	const struct zw_image *img = p->img;
	const struct zw_qname *qn = p->qn;
	unsigned rlen = qn->len - img->hdr->origin_len, i;
	const struct zw_img_node *nd;

	if (p->nprobe == 0)
		return false;
	if (p->node[0] != NULL && zw_image_node_is(img, p->node[0], qn->name, rlen)) {
		nd = p->node[0];
		i = 0;
	} else if (!p->absent) {
		return false;
	} else if (p->nprobe == 1) {
		nd = &img->nodes[0]; /* right below the apex */
		i = 1;
	} else if (p->node[1] != NULL &&
		   zw_image_node_is(img, p->node[1], qn->name + qn->off[1], rlen - qn->off[1])) {
		nd = p->node[1];
		i = 1;
	} else {
		return false;
	}
	unsigned flags = zw_node_flags(img, nd);
	if ((flags & ZW_NODE_GLUE) || (i > 0 && (flags & ZW_NODE_HAS_WILD)))
		return false;
	zw_lookup_at(img, nd, i, p->qtype, &p->lk);
	return true;
}

/*
 * Step 4 for probe p: the RRset the answer needs gives its chunk; with
 * DNSSEC, its signatures (the chunk that follows it), or what a denial
 * starts from: the records of the name or of its closest encloser. Sets
 * p->deny and p->extra, and clears what the steps of the denial fill in.
 */
static void ask_rrset(struct zw_probe *p)
{
	const struct zw_image *img = p->img;
	const struct zw_img_node *nd = NULL;

	p->deny = ZW_NONE;
	p->deny_rec[0] = p->deny_rec[1] = ZW_NONE;
	p->hint_ok = false;
	p->hint.n3 = p->hint.nsec = false;
	p->extra = NULL;
	p->lk_ok = pre_lookup(p);
	for (unsigned k = 0; k < p->nprobe && nd == NULL; k++)
		nd = p->node[k];
	if (nd == NULL) {
		if (p->dnssec)
			deny_prefetch(p, img, 0, true); /* the apex encloses the name */
		return;
	}
	uint16_t want = p->qtype;
	unsigned flags = zw_node_flags(img, nd);
	if (flags & ZW_NODE_DELEG) {
		want = ZW_T_NS;
		if (p->dnssec && !(flags & ZW_NODE_DS)) {
			deny_prefetch(p, img, (uint32_t)(nd - img->nodes), false); /* no DS */
			zw_ans_pf_nsec(img, nd);
		}
	} else if (nd != p->node[0] || (flags & ZW_NODE_GLUE)) {
		/* a parent: a negative or wildcard answer, or glue */
		if (p->dnssec && !(flags & ZW_NODE_GLUE))
			deny_prefetch(p, img, (uint32_t)(nd - img->nodes), true);
		return;
	} else if (flags & ZW_NODE_CNAME)
		want = ZW_T_CNAME;
	const struct zw_img_rrset *s = p->lk_ok ? p->lk.rrset : zw_image_rrset(img, nd, want);
	if (s != NULL) {
		pf_set(img, s, p->dnssec);
		if (s->flags & ZW_RRSET_EXTRA)
			p->extra = s;
	} else if (p->dnssec) {
		deny_prefetch(p, img, (uint32_t)(nd - img->nodes), false); /* NODATA */
		zw_ans_pf_nsec(img, nd);
	}
}

void zw_ans_prefetch(struct zw_probe *const *ps, unsigned n)
{
	/* 1: the hash slot of the name */
	for (unsigned i = 0; i < n; i++) {
		struct zw_probe *p = ps[i];
		p->node[0] = p->node[1] = NULL;
		if (p->nprobe > 0)
			ask_slot(p, 0);
	}
	/* 2: the slot gives the node; where the name is not there, the slot
	 * of its parent is asked for (most names asked for exist: their
	 * parents are not needed, and are not fetched) */
	for (unsigned i = 0; i < n; i++) {
		struct zw_probe *p = ps[i];
		if (p->nprobe == 0)
			continue;
		probe_slots(p, 0);
		if (p->node[0] == NULL && p->nprobe > 1)
			ask_slot(p, 1);
	}
	/* 3: the node gives its name and RRset list; or the parent's slot
	 * gives the parent */
	for (unsigned i = 0; i < n; i++) {
		struct zw_probe *p = ps[i];
		const struct zw_img_node *nd = p->node[0];
		if (nd != NULL)
			zw_ans_pf_node(p->img, nd);
		else if (p->nprobe > 1)
			probe_slots(p, 1);
	}
	/* 3b: the parent's name and RRset list */
	for (unsigned i = 0; i < n; i++) {
		struct zw_probe *p = ps[i];
		const struct zw_img_node *nd = p->node[1];
		if (p->node[0] == NULL && nd != NULL)
			zw_ans_pf_node(p->img, nd);
	}
	/* 4: the RRsets, and whether any query has additional data or a
	 * denial (the steps for those are passed over when none has) */
	bool extras = false, denies = false;
	for (unsigned i = 0; i < n; i++) {
		ask_rrset(ps[i]);
		extras |= ps[i]->extra != NULL;
		denies |= ps[i]->deny != ZW_NONE;
	}
	/* 4b, 4c: the additional data: the RRsets its list names (in the
	 * chunk group asked for in 4), then their chunks */
	if (extras) {
		for (unsigned i = 0; i < n; i++)
			if (ps[i]->extra != NULL)
				pf_extra(ps[i], false);
		for (unsigned i = 0; i < n; i++)
			if (ps[i]->extra != NULL)
				pf_extra(ps[i], true);
	}
	if (!denies)
		return;
	/* 5, 6 (with DO) what the denial starts from, then its chunks and
	 * signatures. NSEC3 zones: the records matching the node and denying
	 * the wildcard below it (from nsec3map and wildcover). NSEC zones,
	 * when the name is missing: the node whose NSEC covers the name (the
	 * search over the canonical keys, done here for the whole burst and
	 * kept in the hint for the answer) and the one denying the wildcard
	 * (wildcover) */
	for (unsigned i = 0; i < n; i++) {
		struct zw_probe *p = ps[i];
		const struct zw_image *img = p->img;
		if (p->deny == ZW_NONE || img->wild_cover == NULL)
			continue;
		/* NODATA, and a referral to an unsigned child, prove it with
		 * the node's own record: nothing depends on the name */
		bool missing = p->deny_missing;
		bool leaf = missing && nsec_leaf(img, p->deny);
		uint32_t w = !missing ? ZW_NONE : leaf ? p->deny : img->wild_cover[p->deny];
		if (img->nsec3_proof != NULL && img->nsec3_map != NULL) {
			uint32_t m = img->nsec3_map[p->deny];
			p->deny_rec[0] = m;
			p->deny_rec[1] = w;
			if (m != ZW_NONE)
				zw_ans_pf_n3(img, m);
			if (w != ZW_NONE)
				zw_ans_pf_n3(img, w);
			/* a missing name below its parent (a node, or the apex),
			 * which has an NSEC3: the name is the next closer name
			 * of the proof; hashed here, and where its hash falls
			 * in the keys asked for */
			bool below_parent = p->node[1] != NULL
						    ? p->deny == (uint32_t)(p->node[1] - img->nodes)
						    : p->nprobe == 1 && p->deny == 0;
			if (m != ZW_NONE && missing && below_parent && img->nsec3_keys != NULL &&
			    img->hdr->nsec3_count > 0 &&
			    zw_ans_n3_hash(img, p->qn->name, p->qn->len, p->hint.hash)) {
				if (img->nsec3_idx != NULL)
					pf(&img->nsec3_idx[zw_load_be64(p->hint.hash) >>
							   img->nsec3_idx_shift]);
				p->hint.img = img;
				p->hint.name = p->qn->name;
				p->hint.len = p->qn->len;
				p->hint.n3 = true;
				p->hint_ok = true;
			}
		} else if (img->canon != NULL && missing) {
			/* below a leaf, the leaf is the last node before the
			 * name and the answer needs no hint (deny_nsec()) */
			uint32_t c = p->deny;
			if (!leaf) {
				struct zw_canon_name q;
				zw_canon_prepare(&q, p->qn->name,
						 p->qn->len - img->hdr->origin_len);
				c = zw_image_canon_pred(img, &q, p->deny);
				p->hint.img = img;
				p->hint.name = p->qn->name;
				p->hint.len = p->qn->len;
				p->hint.nsec = true;
				p->hint.from = p->deny;
				p->hint.pred = c;
				p->hint.wild = w;
				p->hint.pred_set = p->hint.wild_set = NULL;
				p->hint_ok = true;
			}
			p->deny_rec[0] = c;
			p->deny_rec[1] = w;
			if (img->nsec_proof != NULL) {
				/* their NSECs laid out to write: all that is read */
				zw_ans_pf_nsec(img, &img->nodes[c]);
				if (w != ZW_NONE && w != c)
					zw_ans_pf_nsec(img, &img->nodes[w]);
			} else {
				pf_nd(img, &img->nodes[c]);
				if (w != ZW_NONE)
					pf_nd(img, &img->nodes[w]);
			}
		}
	}
	for (unsigned i = 0; i < n; i++) {
		struct zw_probe *p = ps[i];
		const struct zw_image *img = p->img;
		if (p->hint.n3 && img->nsec3_idx != NULL) {
			/* the index gave where the keys of the hash's range are */
			uint32_t lo, hi;
			zw_image_n3_range(img, zw_load_be64(p->hint.hash), &lo, &hi);
			pf(&img->nsec3_keys[lo]);
		}
		for (unsigned k = 0; k < 2 && p->deny != ZW_NONE; k++) {
			uint32_t r = p->deny_rec[k];
			if (r == ZW_NONE || (k == 1 && r == p->deny_rec[0]))
				continue;
			if (img->nsec3_proof != NULL)
				zw_ans_pf_n3_far(img, r);
			else if (img->nsec_proof == NULL)
				zw_ans_pf_node(img, &img->nodes[r]);
		}
	}
	/* 7 (NSEC3 zones): the record matching or covering the hash of the
	 * next closer name, ready to write (the data of one too long for its
	 * place is left to the answer: asking for it here would wait for
	 * the line just asked for) */
	for (unsigned i = 0; i < n; i++) {
		struct zw_probe *p = ps[i];
		if (!p->hint.n3)
			continue;
		p->hint.rec = zw_ans_n3_find(p->img, p->hint.hash, &p->hint.match);
		zw_ans_pf_n3(p->img, p->hint.rec);
	}
	/* 7 (NSEC zones): the NSEC RRsets of those nodes, kept for the answer
	 * (the wildcard's denial is often the name's, or the encloser's) */
	for (unsigned i = 0; i < n; i++) {
		struct zw_probe *p = ps[i];
		const struct zw_image *img = p->img;
		if (p->deny == ZW_NONE || img->nsec3_proof != NULL || img->nsec_proof != NULL)
			continue;
		uint32_t c = p->deny_rec[0], w = p->deny_rec[1];
		const struct zw_img_rrset *cs = NULL;
		if (c != ZW_NONE)
			cs = zw_ans_pf_nsec(img, &img->nodes[c]);
		if (!p->hint.nsec)
			continue;
		p->hint.pred_set = cs;
		if (w != ZW_NONE)
			p->hint.wild_set = w == c ? cs : zw_ans_pf_nsec(img, &img->nodes[w]);
	}
}
