/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The express lane of a burst.
 *
 * Design note. Most of the queries a server sees are alike: one question
 * of class IN for data, no OPT or a bare one, over UDP, for a name whose
 * answer is a plain one, a negative one or a referral, with no DNSSEC to
 * add. The full way (answer.c) pays on each of them for what the others
 * might hold: every section parsed, a lookup that may walk any number of
 * labels, a writer that follows chains, owes proofs and finds names in
 * the response. This lane takes only those queries, and only what it is
 * sure of:
 *
 *   - zw_ax_parse() reads a query that can hold nothing else (a header
 *     with one question and at most one additional RR, which must be a
 *     bare OPT ending the message), writes the header and the question,
 *     and hashes the name's suffixes;
 *   - zw_ax_prefetch() finds, for the whole burst a step at a time, the
 *     node's record of the name, or, where the name is certainly missing,
 *     its parent's, then the chunks they need;
 *   - zw_ax_write() writes the answer, the negative answer or the
 *     referral: the question name is uncompressed at offset 12, so every
 *     pointer a chunk needs is worked out by addition.
 *
 * Whatever it does not parse goes the full way from the start; whatever
 * its lookup does not settle (a chain, a wildcard, glue, a node without a
 * record, a long run of slots, a denial with DNSSEC) goes the full way
 * from where the lane left it (zw_answer_burst()). So the lane never
 * gives an answer of its own: its
 * bytes are the full way's, which the tests check by answering every query
 * both in a burst and alone (zw_answer() has no express lane).
 */
#include <string.h>

#include "answer.h"
#include "answer_internal.h"
#include "image.h"
#include "lookup.h"
#include "name.h"
#include "rdata.h"

#define HDR	 ZW_ANS_HDR
#define SLOT_RUN 8  /* slots a probe looks at before it leaves the name to the full way */
#define X_WIN	 64 /* the query's octets after the header read at once */

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void pf(const void *p)
{
	__builtin_prefetch(p, 0, 3);
}

/* len bytes from src to dst, in 16- or 8-byte moves where it is long
 * enough (the last one overlapping the one before): no call, and nothing
 * read or written outside the two. */
static inline void x_copy(uint8_t *dst, const uint8_t *src, unsigned len)
{
	if (len >= 16) {
		for (unsigned i = 0; i + 16 < len; i += 16)
			memcpy(dst + i, src + i, 16);
		memcpy(dst + len - 16, src + len - 16, 16);
	} else if (len >= 8) {
		memcpy(dst, src, 8);
		memcpy(dst + len - 8, src + len - 8, 8);
	} else {
		for (unsigned i = 0; i < len; i++)
			dst[i] = src[i];
	}
}

/* Query types the lane answers: data types, none that the lookup or the
 * answer treats apart (DS from the parent side, RRSIG and NSEC beside a
 * CNAME, ANY, transfers and other meta types). */
static inline bool x_type(uint16_t t)
{
	return t != 0 && t < 128 && t != ZW_T_OPT && t != ZW_T_DS && t != ZW_T_RRSIG &&
	       t != ZW_T_NSEC;
}

bool zw_ax_parse(const struct zw_answer_cfg *cfg, const struct zw_zoneset *zs, struct zw_xq *x,
		 struct zw_answer_req *rq)
{
	const uint8_t *q = rq->q;
	size_t qlen = rq->qlen;

	if (qlen < HDR + 5 || (q[2] & 0xf8) != 0 || (rq->flags & ZW_ANS_TCP) || zs == NULL ||
	    rq->outcap < HDR + X_WIN)
		return false;
	/* QDCOUNT 1, ANCOUNT 0, NSCOUNT 0, ARCOUNT 0 or 1 */
	uint64_t counts = zw_load_be64(q + 4);
	if ((counts & ~1ull) != 0x0001000000000000ull)
		return false;
	/* the name, lowered: a window of up to X_WIN octets of the query
	 * after the header, in four moves that cover it whatever its length
	 * (the last ones overlapping), then the labels walked in the copy;
	 * the same moves copy the window as it came to the response, where
	 * the question goes (what they write past it is overwritten) */
	struct zw_qname *qn = x->qn;
	uint8_t *out = rq->out;
	size_t win = qlen - HDR < X_WIN ? qlen - HDR : X_WIN;
	unsigned nlen;
	if (win >= 16) {
		for (unsigned k = 0; k < X_WIN / 16; k++) {
			size_t at = 16 * k < win - 16 ? 16 * k : win - 16;
			memcpy(out + HDR + at, q + HDR + at, 16);
			zw_ans_lower16(qn->name + at, q + HDR + at);
		}
		nlen = zw_ans_split_labels(qn->name, win, qn);
		if (nlen != 0)
			memset(qn->name + nlen, 0, 8);
	} else {
		nlen = 0;
	}
	if (nlen == 0) {
		if (win < X_WIN)
			return false; /* the name runs past the message */
		nlen = zw_ans_scan_qname(q, qlen, qn);
	}
	if (nlen == 0 || qlen - HDR - nlen < 4)
		return false;
	const uint8_t *t = q + HDR + nlen;
	uint16_t qtype = get16(t);
	if (get16(t + 2) != 1 || !x_type(qtype))
		return false;
	/* the OPT: root owner, type OPT, payload size, extended rcode,
	 * version 0, flags, no options; read from the header where there is
	 * none, and not used then */
	size_t off = HDR + nlen + 4;
	unsigned edns = (unsigned)(counts & 1); /* in sums, not branches */
	if (qlen - off != 11u * edns)
		return false;
	const uint8_t *o = q + (edns ? off : 0);
	unsigned opt_ok = (unsigned)(o[0] == 0) & (unsigned)(get16(o + 1) == ZW_T_OPT) &
			  (unsigned)(o[6] == 0) & (unsigned)(get16(o + 9) == 0);
	if (edns & (opt_ok ^ 1u))
		return false;
	unsigned udp = edns ? get16(o + 3) : 0;
	bool do_bit = edns & (unsigned)(o[7] >> 7);
	unsigned rel;
	const struct zw_image *img = zw_zoneset_pick(zs, qn, false, &rel);
	if (img == NULL || img->nrec == NULL)
		return false;
	/* the message's limit, as msg_limit(); below 16 KiB every pointer a
	 * chunk needs is in reach */
	unsigned ours = cfg->edns_size ? cfg->edns_size : ZW_EDNS_DEFAULT;
	unsigned want = udp < 512 ? 512 : udp < ours ? udp : ours;
	size_t limit = 512 + (want - 512) * edns;
	limit = limit < rq->outcap ? limit : rq->outcap;
	unsigned optlen = 11 * edns;
	/* room for an OPT past the limit (zw_ax_write() writes one anyway);
	 * the room for the window was checked first */
	if (limit < HDR + nlen + 4 + optlen || limit > PTR_MAX + 1 || rq->outcap < limit + 11)
		return false;

	/* the header; the question as it came, copied above where it is in
	 * the window */
	out[0] = q[0];
	out[1] = q[1];
	out[2] = (uint8_t)(0x80 | (q[2] & 0x79));
	out[3] = (uint8_t)(q[3] & 0x10);
	put16(out + 4, 1);
	memset(out + 6, 0, 6);
	if (win < 16 || nlen + 4u > win)
		x_copy(out + HDR, q + HDR, nlen + 4u);

	/* the hashes of every suffix below the origin, from the rightmost
	 * label: the lane's probes read the name's and its parent's, the
	 * full way the others (zw_qname_hashes()) */
	uint64_t st = ZW_HASH_SEED;
	for (unsigned k = rel; k-- > 0;) {
		st = zw_hash_fold(st, zw_label_hash(qn->name + qn->off[k], true));
		x->h[k] = zw_hash_final(st);
	}
	x->rq = rq;
	x->img = img;
	x->qtype = qtype;
	x->limit = (uint16_t)(limit - optlen);
	x->nlen = (uint8_t)nlen;
	x->rel = (uint8_t)rel;
	x->edns = edns != 0;
	x->udp = (uint16_t)udp;
	x->do_bit = do_bit;
	x->dnssec = do_bit && (img->hdr->flags & ZW_IMGF_SIGNED) != 0;
	return true;
}

/* The record of the name hashed h, or NULL: *absent where the run of slots
 * ended without it (the name is certainly missing). Compares the slots'
 * copies of the hashes; the names are compared once the records are in. */
static const struct zw_img_nrec *x_probe(const struct zw_image *img, uint32_t h, bool *absent)
{
	uint32_t mask = img->hdr->hash_size - 1, s = h & mask;

	*absent = false;
	for (unsigned step = 0; step < SLOT_RUN; step++, s = (s + 1) & mask) {
		const struct zw_img_slot *sl = &img->hash[s];
		if (sl->node == 0) {
			*absent = true;
			return NULL;
		}
		if (sl->hash == h)
			return &img->nrec[sl->node - 1];
	}
	return NULL;
}

/* The name of a record (its first n octets) is rel (n octets of a
 * query name, in a buffer of ZW_NAME_MAX + 9): where n is at most 32,
 * both are read as 32 octets whatever n is (a record's data holds 56;
 * rel starts at most a label into the buffer), compared at once, and the
 * octets past n left out of the result, so the comparison does not
 * branch on the length. */
static inline bool x_name_is(const struct zw_img_nrec *rec, const uint8_t *rel, unsigned n)
{
	if (rec->name_len != n)
		return false;
#ifdef __SSE2__
	if (n <= 32) {
		const __m128i *a = (const __m128i *)(const void *)rec->data;
		const __m128i *b = (const __m128i *)(const void *)rel;
		unsigned lo = (unsigned)_mm_movemask_epi8(
				 _mm_cmpeq_epi8(_mm_loadu_si128(a), _mm_loadu_si128(b))),
			 hi = (unsigned)_mm_movemask_epi8(
				 _mm_cmpeq_epi8(_mm_loadu_si128(a + 1), _mm_loadu_si128(b + 1)));
		uint64_t ne = ~((uint64_t)hi << 16 | lo);
		return (ne & ((1ull << n) - 1)) == 0;
	}
#endif
	return zw_bytes_eq(rec->data, rel, n);
}

static const struct zw_img_rrset *x_find(const struct zw_img_nrec *rec, uint16_t type)
{
	const struct zw_img_rrset *s = zw_nrec_sets(rec);

	for (unsigned i = 0; i < rec->nsets; i++)
		if (s[i].type == type)
			return &s[i];
	return NULL;
}

/* Asks for what writing chunk c reads: where c is RRset s's (a copy in a
 * node's record), the lines up to the chunk of the entry after it in the
 * record, which bounds its group (a line less where the group ends in
 * c's first line); else two lines. */
static void x_pf_chunk(const struct zw_image *img, const struct zw_img_chunk *c,
		       const struct zw_img_rrset *s)
{
	uintptr_t at = (uintptr_t)c;
	uintptr_t end = s != NULL && s[1].chunk > s->chunk ? (uintptr_t)(img->chunks + s[1].chunk)
							   : at + 128;

	for (uintptr_t line = at & ~(uintptr_t)63; line < end && line < at + 512; line += 64)
		pf((const void *)line);
}

/* The index of the node whose record x holds. */
static inline uint32_t x_node(const struct zw_xq *x)
{
	return (uint32_t)(x->rec - x->img->nrec);
}

/*
 * The denial of existence an answer with DNSSEC needs (zw_ans_deny(),
 * zw_ans_referral_ds()), from the node whose record x holds: where the
 * name is there (NODATA) or is a cut to an unsigned child, that node's
 * NSEC or NSEC3; where it is missing below its parent (NXDOMAIN), the
 * parent's NSEC3, the one covering the name's hash and the one denying
 * the wildcard, or the NSEC of the node before the name and the one
 * denying the wildcard. What the compiler did not lay out for it (no
 * places to write from, an NSEC3 missing under opt-out, a wildcard
 * whose denial was not compiled) goes the full way.
 */
static __attribute__((noinline)) void x_deny_start(struct zw_xq *x, bool missing)
{
	const struct zw_image *img = x->img;
	uint32_t i = x_node(x);
	unsigned fl = img->hdr->flags;

	for (unsigned k = 0; k < ZW_ANS_PROOFS; k++)
		x->proof[k] = ZW_NONE;
	if (fl & ZW_IMGF_NSEC3) {
		if (img->nsec3_proof == NULL || img->nsec3_map == NULL || img->wild_cover == NULL ||
		    img->hdr->nsec3_count == 0) {
			x->at = ZW_AX_AT_NONE;
			return;
		}
		x->deny = missing ? ZW_AX_DENY_N3_MISSING : ZW_AX_DENY_N3_NODE;
		pf(&img->nsec3_map[i]);
		if (missing)
			pf(&img->wild_cover[i]);
	} else if ((fl & ZW_IMGF_NSEC) && img->nsec_proof != NULL) {
		if (!missing || (x->rec->flags & ZW_NREC_LEAF)) {
			/* nothing below the parent: the name and the wildcard
			 * both come right after it, its NSEC covers both */
			x->proof[0] = i;
			x->deny = ZW_AX_DENY_READY;
			zw_ans_pf_nsec(img, &img->nodes[i]);
		} else if (img->canon != NULL && img->wild_cover != NULL) {
			x->deny = ZW_AX_DENY_NSEC_SEARCH;
			pf(&img->canon[i]);
			pf(&img->wild_cover[i]);
		} else {
			x->at = ZW_AX_AT_NONE;
		}
	} else {
		x->at = ZW_AX_AT_NONE;
	}
}

/* The next step of x's denial: what x_deny_start() asked for read, and
 * the records found from it asked for. */
static __attribute__((noinline)) void x_deny_step(struct zw_xq *x)
{
	const struct zw_image *img = x->img;
	uint32_t i = x_node(x), m, w;

	switch (x->deny) {
	case ZW_AX_DENY_N3_NODE:
		m = img->nsec3_map[i];
		if (m == ZW_NONE) {
			x->at = ZW_AX_AT_NONE; /* opt-out: the closest provable encloser */
			return;
		}
		x->proof[0] = m;
		x->deny = ZW_AX_DENY_READY;
		zw_ans_pf_n3(img, m);
		return;
	case ZW_AX_DENY_N3_MISSING:
		/* the parent is the closest encloser, the name the next
		 * closer name: the parent's record, the name's cover (hashed
		 * here, searched for in x_deny_cover()), the wildcard's */
		m = img->nsec3_map[i];
		w = img->wild_cover[i];
		if (m == ZW_NONE || w == ZW_NONE ||
		    !zw_ans_n3_hash(img, x->qn->name, x->qn->len, x->n3hash)) {
			x->at = ZW_AX_AT_NONE;
			return;
		}
		x->proof[0] = m;
		x->proof[2] = w;
		zw_ans_pf_n3(img, m);
		zw_ans_pf_n3(img, w);
		if (img->nsec3_idx != NULL)
			pf(&img->nsec3_idx[zw_load_be64(x->n3hash) >> img->nsec3_idx_shift]);
		return;
	case ZW_AX_DENY_NSEC_SEARCH: {
		struct zw_canon_name q;
		w = img->wild_cover[i];
		if (w == ZW_NONE) {
			x->at = ZW_AX_AT_NONE;
			return;
		}
		zw_canon_prepare(&q, x->qn->name, x->qn->len - img->hdr->origin_len);
		m = zw_image_canon_pred(img, &q, i);
		x->proof[0] = m;
		x->proof[1] = w;
		x->deny = ZW_AX_DENY_READY;
		zw_ans_pf_nsec(img, &img->nodes[m]);
		if (w != m)
			zw_ans_pf_nsec(img, &img->nodes[w]);
		return;
	}
	default: return;
	}
}

/* NSEC3, a missing name: the keys where its hash falls asked for
 * (keys), then the record matching or covering it found. */
static __attribute__((noinline)) void x_deny_cover(struct zw_xq *x, bool keys)
{
	const struct zw_image *img = x->img;

	if (keys) {
		uint32_t lo, hi;
		if (img->nsec3_keys != NULL) {
			zw_image_n3_range(img, zw_load_be64(x->n3hash), &lo, &hi);
			pf(&img->nsec3_keys[lo]);
		}
		return;
	}
	bool match;
	uint32_t c = zw_ans_n3_find(img, x->n3hash, &match);
	x->proof[1] = match ? ZW_NONE : c;
	x->deny = ZW_AX_DENY_READY;
	zw_ans_pf_n3(img, c);
}

/*
 * The lookup where the record settles it: zw_lookup_at() for the shapes
 * the lane writes (an answer, NODATA, NXDOMAIN, a referral), and ZW_AX_AT_NONE
 * for anything else (glue, a CNAME to follow, a DNAME or a wildcard above
 * a missing name, a record without the node's data, a name that is not
 * the record's). A missing name's parent needs only its flags and name,
 * which a record whose entries do not fit still has (but a cut's NS).
 */
static void x_settle(struct zw_xq *x)
{
	const struct zw_image *img = x->img;
	const struct zw_img_nrec *rec = x->rec;
	unsigned rlen = x->nlen - img->hdr->origin_len,
		 o = x->at == ZW_AX_AT_PARENT ? x->qn->off[1] : 0;

	if (x->at == ZW_AX_AT_NONE ||
	    (rec->nsets == ZW_NREC_FAR &&
	     (x->at == ZW_AX_AT_NAME || rec->name_len > ZW_NREC_NAME_MAX ||
	      (rec->flags & ZW_NODE_DELEG))) ||
	    (x->rel > x->at && !x_name_is(rec, x->qn->name + o, rlen - o))) {
		x->at = ZW_AX_AT_NONE;
		return;
	}
	unsigned fl = rec->flags;
	x->set = NULL;
	x->deny = ZW_AX_DENY_NONE;
	if (fl & ZW_NODE_GLUE) {
		x->at = ZW_AX_AT_NONE;
		return;
	} else if (fl & ZW_NODE_DELEG) {
		/* with DNSSEC, only a secure child's: its DS and signatures
		 * (an unsigned child's needs the proof that there is none) */
		x->shape = ZW_SHAPE_REFERRAL;
		x->set = x_find(rec, ZW_T_NS);
		x->ds = x->dnssec ? x_find(rec, ZW_T_DS) : NULL;
		if (x->set == NULL)
			x->at = ZW_AX_AT_NONE;
		else if (x->dnssec && x->ds == NULL)
			x_deny_start(x, false); /* the child is unsigned */
	} else if (x->at == ZW_AX_AT_NAME) {
		if ((fl & ZW_NODE_CNAME) && x->qtype != ZW_T_CNAME) {
			x->at = ZW_AX_AT_NONE;
			return;
		}
		x->set = x_find(rec, x->qtype);
		x->shape = x->set != NULL ? ZW_SHAPE_ANSWER : ZW_SHAPE_NODATA;
		if (x->set == NULL && x->dnssec)
			x_deny_start(x, false);
	} else if (fl & (ZW_NODE_DNAME | ZW_NODE_HAS_WILD)) {
		x->at = ZW_AX_AT_NONE;
		return;
	} else {
		x->shape = ZW_SHAPE_NXDOMAIN;
		if (x->dnssec)
			x_deny_start(x, true);
	}
	/* the data, or the NS of the cut; negative answers: the SOA */
	x->chunk = x->set != NULL ? zw_rrset_chunk(img, x->set)
				  : zw_image_chunk(img, img->hdr->neg_soa_chunk);
	x->extra = x->set != NULL && (x->set->flags & ZW_RRSET_EXTRA);
}

void zw_ax_prefetch(struct zw_xq *xs, unsigned n)
{
	/* 1: the slot of the name; the apex's record for the apex */
	for (unsigned i = 0; i < n; i++) {
		struct zw_xq *x = &xs[i];
		const struct zw_image *img = x->img;
		if (x->rel == 0) {
			x->rec = img->nrec;
			x->at = ZW_AX_AT_NAME;
			pf(x->rec);
		} else {
			pf(&img->hash[x->h[0] & (img->hdr->hash_size - 1)]);
		}
	}
	/* 2: the slot gives the record; where the name is missing, its
	 * parent's slot (or the apex's record) is asked for */
	for (unsigned i = 0; i < n; i++) {
		struct zw_xq *x = &xs[i];
		const struct zw_image *img = x->img;
		bool absent;
		if (x->rel == 0)
			continue;
		x->rec = x_probe(img, x->h[0], &absent);
		if (x->rec != NULL) {
			x->at = ZW_AX_AT_NAME;
			pf(x->rec);
		} else if (!absent) {
			x->at = ZW_AX_AT_NONE;
		} else if (x->rel == 1) {
			x->at = ZW_AX_AT_PARENT;
			x->rec = img->nrec;
			pf(x->rec);
		} else {
			x->at = ZW_AX_AT_PARENT;
			pf(&img->hash[x->h[1] & (img->hdr->hash_size - 1)]);
		}
	}
	/* 3: the parent's slot gives its record */
	for (unsigned i = 0; i < n; i++) {
		struct zw_xq *x = &xs[i];
		bool absent;
		if (x->rec != NULL || x->at != ZW_AX_AT_PARENT)
			continue;
		x->rec = x_probe(x->img, x->h[1], &absent);
		if (x->rec == NULL)
			x->at = ZW_AX_AT_NONE;
		else
			pf(x->rec);
	}
	/* 4: the record settles the lookup and gives the chunk */
	uint8_t ex[ZW_BURST_STEP], dn[ZW_BURST_STEP];
	unsigned nex = 0, ndn = 0;
	for (unsigned i = 0; i < n; i++) {
		struct zw_xq *x = &xs[i];
		x_settle(x);
		if (x->at == ZW_AX_AT_NONE)
			continue;
		x_pf_chunk(x->img, x->chunk, x->set);
		if (x->shape == ZW_SHAPE_REFERRAL && x->ds != NULL)
			x_pf_chunk(x->img, zw_rrset_chunk(x->img, x->ds), x->ds);
		if (x->extra && nex < ZW_BURST_STEP)
			ex[nex++] = (uint8_t)i;
		if (x->deny > ZW_AX_DENY_READY)
			dn[ndn++] = (uint8_t)i;
	}
	/* with DNSSEC, denials: what they start from read, the records
	 * found from it asked for; then for a missing name in an NSEC3
	 * zone, its hash's keys, then its cover */
	for (unsigned k = 0; k < ndn; k++)
		x_deny_step(&xs[dn[k]]);
	for (unsigned pass = 0; pass < 2; pass++)
		for (unsigned k = 0; k < ndn; k++)
			if (xs[dn[k]].deny == ZW_AX_DENY_N3_MISSING && zw_ax_taken(&xs[dn[k]]))
				x_deny_cover(&xs[dn[k]], pass == 0);
	/* 5, 6: the additional data: the RRsets its list names (the list is
	 * in the chunk group asked for in 4), then their chunks */
	for (unsigned pass = 0; pass < 2; pass++) {
		for (unsigned k = 0; k < nex; k++) {
			const struct zw_xq *x = &xs[ex[k]];
			const struct zw_image *img = x->img;
			const struct zw_img_extra *xl = zw_rrset_extra(img, x->set);
			const struct zw_img_extra_ent *e = zw_extra_ents(xl);
			for (unsigned j = 0; j < xl->count && j < 4; j++) {
				const struct zw_img_rrset *as = &img->rrsets[e[j].rrset];
				pf(pass == 0 ? (const void *)as
					     : (const void *)(img->chunks + as->chunk));
			}
		}
	}
}

/* A response under way: what zw_ans_put_chunk() keeps in struct resp. */
struct xr {
	uint8_t *buf;
	unsigned len, limit, nlen;
	uint16_t count[3]; /* answer, authority, additional */
	bool tc;
};

/*
 * zw_ans_put_chunk() where the context is the question name: chunk c at
 * the end, its pointers to the name's suffixes at 12 + nlen - v, to
 * itself at its place plus v, to the anchor at anchor plus v, its owners
 * at optr. False where it does not fit, or a pointer would be out of
 * reach, as there: the caller gives up the chunk (bytes written past the
 * response's length are not part of it).
 */
static bool x_put(struct xr *r, const struct zw_img_chunk *c, unsigned optr, unsigned anchor,
		  uint16_t *count)
{
	unsigned pos = r->len;

	if (c->len > r->limit - pos)
		return false;
	uint8_t *dst = r->buf + pos;
	const uint8_t *src = zw_chunk_data(c);
	x_copy(dst, src, c->len);
	const uint32_t *rel = zw_chunk_relocs(c);
	for (unsigned i = 0; i < c->nreloc; i++) {
		unsigned v = ZW_RELOC_VAL(rel[i]), kind = ZW_RELOC_KIND(rel[i]);
		unsigned ptr = kind == ZW_RELOC_QEND   ? HDR + r->nlen - v
			       : kind == ZW_RELOC_SELF ? pos + v
						       : anchor + v;
		if (ptr > PTR_MAX)
			return false; /* as zw_ans_put_chunk(): treated as not fitting */
		put16(dst + ZW_RELOC_POS(rel[i]), 0xc000 | ptr);
	}
	if (optr != HDR) {
		if (optr > PTR_MAX)
			return false;
		zw_ans_point_owners(dst, src, c->len, optr);
	}
	r->len = pos + c->len;
	*count = (uint16_t)(*count + c->rrs);
	return true;
}

/* Where a chunk's owners point: the suffix of the question name. */
static inline unsigned x_owner(const struct xr *r, const struct zw_img_chunk *c)
{
	return c->owner_v != 0 ? HDR + r->nlen - c->owner_v : HDR;
}

/* put_extra(): the additional data of the RRset s written at anchor,
 * each RRset with its signatures where DNSSEC is on; a required entry
 * that does not fit sets TC. */
static void x_extra(struct xr *r, const struct zw_image *img, const struct zw_img_rrset *s,
		    unsigned anchor, bool dnssec)
{
	const struct zw_img_extra *xl = zw_rrset_extra(img, s);

	if (xl == NULL)
		return;
	const struct zw_img_extra_ent *e = zw_extra_ents(xl);
	for (unsigned i = 0; i < xl->count; i++) {
		unsigned v = ZW_EXTRA_PTR_VAL(e[i].ptr);
		unsigned optr = ZW_EXTRA_PTR_KIND(e[i].ptr) == ZW_RELOC_QEND ? HDR + r->nlen - v
									     : anchor + v;
		const struct zw_img_rrset *as = &img->rrsets[e[i].rrset];
		unsigned start = r->len;
		uint16_t before = r->count[2];
		if (!x_put(r, zw_rrset_chunk(img, as), optr, anchor, &r->count[2])) {
			if (e[i].flags & ZW_EXTRA_REQUIRED)
				r->tc = true;
			continue;
		}
		/* signed zones: the signatures go along, or neither does;
		 * glue is not signed */
		const struct zw_img_chunk *sig = dnssec ? zw_rrset_sigs(img, as) : NULL;
		if (sig != NULL && !x_put(r, sig, optr, anchor, &r->count[2])) {
			r->len = start;
			r->count[2] = before;
		}
	}
}

/* zw_ans_put_set(): RRset s (chunk c) with, where DNSSEC is on, its
 * signatures, both or neither, into section sect; false where they do
 * not fit. */
static inline __attribute__((always_inline)) bool
x_put_set(struct xr *r, const struct zw_image *img, const struct zw_img_rrset *s,
	  const struct zw_img_chunk *c, unsigned sect, bool dnssec)
{
	unsigned start = r->len, optr = x_owner(r, c);
	uint16_t before = r->count[sect];

	if (!x_put(r, c, optr, 0, &r->count[sect]))
		return false;
	const struct zw_img_chunk *sig = dnssec && s != NULL ? zw_rrset_sigs(img, s) : NULL;
	if (sig != NULL && !x_put(r, sig, optr, 0, &r->count[sect])) {
		r->len = start;
		r->count[sect] = before;
		return false;
	}
	return true;
}

/* x's denial, written by zw_ans_put_proofs() in the response under way. */
static void x_proofs(struct xr *r, const struct zw_xq *x)
{
	struct resp rr = { .buf = r->buf,
			   .len = r->len,
			   .limit = r->limit,
			   .ns = r->count[1],
			   .tc = r->tc,
			   .dnssec = true };
	const struct ctx cx = { .pos = HDR, .len = x->nlen };

	/* NSEC: a negative answer's first record is the nearest owner at or
	 * before its node (an empty non-terminal has none); a cut's is its own */
	zw_ans_put_proofs(&rr, x->img, x->proof, ZW_ANS_PROOFS,
			  x->shape == ZW_SHAPE_REFERRAL ? 0 : 1, &cx);
	r->len = rr.len;
	r->count[1] = rr.ns;
	r->tc = rr.tc;
}

/* With DNSSEC, an answer that owes a denial (x->deny): a negative
 * answer's SOA with its signatures, which take its TTL there, then the
 * denial, written whether or not the SOA was (as put_negative() and
 * zw_ans_deny()); or the NS of a cut to an unsigned child, then the proof
 * that it has no DS and the glue, where the NS were written. */
static __attribute__((noinline)) void x_put_denied(struct xr *r, const struct zw_xq *x,
						   const struct zw_img_chunk *c, unsigned sect)
{
	const struct zw_image *img = x->img;
	unsigned at = r->len;
	bool neg = x->set == NULL;
	const struct zw_img_rrset *s = neg ? &img->rrsets[img->hdr->soa_rrset] : x->set;
	bool ok = x_put_set(r, img, s, c, sect, true);

	if (!ok)
		r->tc = true;
	else if (neg)
		zw_ans_neg_sig_ttl(r->buf, at + c->len, r->len, img->hdr->neg_ttl);
	if (ok || neg)
		x_proofs(r, x);
	if (ok && x->extra)
		x_extra(r, img, x->set, at, true);
}

int zw_ax_write(const struct zw_answer_cfg *cfg, struct zw_xq *x)
{
	if (x->at == ZW_AX_AT_NONE)
		return ZW_AX_FULL;
	const struct zw_image *img = x->img;
	struct zw_answer_req *rq = x->rq;
	struct xr r = {
		.buf = rq->out, .len = HDR + x->nlen + 4u, .limit = x->limit, .nlen = x->nlen
	};
	const struct zw_img_chunk *c = x->chunk;
	/* the data in the answer section, the rest in the authority; a
	 * referral is not authoritative */
	unsigned sect = x->shape != ZW_SHAPE_ANSWER;
	uint8_t rcode = x->shape == ZW_SHAPE_NXDOMAIN ? 3 : 0;
	bool aa = x->shape != ZW_SHAPE_REFERRAL;

	/* the one chunk (the data, the SOA, the NS of a cut), then the
	 * additional data of the data or the cut; what does not fit sets TC,
	 * as the full way's writers do */
	unsigned at = r.len;
	if (x->deny != ZW_AX_DENY_NONE) {
		x_put_denied(&r, x, c, sect);
	} else if (!x_put_set(&r, img, x->set, c, sect, x->dnssec)) {
		r.tc = true;
	} else {
		/* a secure child's DS, signed, after the cut's NS */
		if (x->shape == ZW_SHAPE_REFERRAL && x->ds != NULL &&
		    !x_put_set(&r, img, x->ds, zw_rrset_chunk(img, x->ds), 1, true))
			r.tc = true;
		if (x->extra)
			x_extra(&r, img, x->set, at, x->dnssec);
	}
	/* our OPT: root, OPT, our size, no extended rcode, version 0, the DO
	 * bit echoed, no options; written whether or not it is sent (there is
	 * room past the limit) */
	uint8_t *p = r.buf + r.len, *h = r.buf;
	p[0] = 0;
	put16(p + 1, ZW_T_OPT);
	put16(p + 3, cfg->edns_size ? cfg->edns_size : ZW_EDNS_DEFAULT);
	p[5] = 0;
	p[6] = 0;
	p[7] = x->do_bit ? 0x80 : 0;
	p[8] = 0;
	put16(p + 9, 0);
	r.len += x->edns ? 11 : 0;
	r.count[2] = (uint16_t)(r.count[2] + x->edns);
	h[2] = (uint8_t)((h[2] & 0xf9) | (aa ? 0x04 : 0) | (r.tc ? 0x02 : 0));
	h[3] = (uint8_t)(h[3] | rcode);
	put16(h + 6, r.count[0]);
	put16(h + 8, r.count[1]);
	put16(h + 10, r.count[2]);
	rq->info = (struct zw_answer_info){ .rcode = rcode,
					    .shape = x->shape,
					    .tc = r.tc,
					    .edns = x->edns,
					    .dnssec_ok = x->do_bit };
	return (int)r.len;
}
