/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internals of the answer engine shared by answer.c, answer_dnssec.c,
 * answer_prefetch.c and answer_express.c. Not for other modules.
 */
#ifndef ZW_ANSWER_INTERNAL_H
#define ZW_ANSWER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "answer.h"
#include "image.h"
#include "lookup.h"

/* What a denial of a missing query name needs that depends on the name,
 * worked out ahead by zw_ans_prefetch(): in NSEC3 zones its hash (it is
 * the next closer name of the proof) and the record matching or covering
 * it; in NSEC zones the node before it in canonical order, searched for
 * from node `from`, and where that node owns an NSEC, the NSEC (pred_set);
 * where the node denying the wildcard below `from` (wild) is known and
 * owns an NSEC, that NSEC (wild_set). A denial uses it only for that very
 * name in that zone (and, for NSEC, from the same node). */
struct zw_deny_hint {
	const struct zw_image *img;
	const uint8_t *name; /* lower-cased wire name, len bytes */
	unsigned len;
	bool n3;   /* hash, rec and match are set */
	bool nsec; /* from and pred are set */
	uint8_t hash[20];
	uint32_t rec; /* matching (match) or covering record */
	bool match;
	uint32_t from, pred, wild;
	const struct zw_img_rrset *pred_set, *wild_set; /* or NULL */
};

#define ZW_ANS_HDR 12 /* the header; the question follows it */

/* Eight octets at p with 'A'..'Z' lowered: a byte's high bit in m is set
 * when it is in 'A'..'Z' (and below 0x80), and 0x80 >> 2 is the case bit. */
static inline uint64_t zw_ans_lower8(const uint8_t *p)
{
	uint64_t w, lo;

	memcpy(&w, p, 8);
	lo = w & 0x7f7f7f7f7f7f7f7full;
	uint64_t ge_a = lo + 0x3f3f3f3f3f3f3f3full; /* 0x80 - 'A' */
	uint64_t gt_z = lo + 0x2525252525252525ull; /* 0x80 - 'Z' - 1 */
	return w | ((ge_a & ~gt_z & ~w & 0x8080808080808080ull) >> 2);
}

#ifdef __SSE2__
/* Sixteen octets at src lowered into dst: bytes in 'A'..'Z' (signed
 * compares: 0x80 and above are negative, never letters) get the case bit. */
static inline void zw_ans_lower16(uint8_t *dst, const uint8_t *src)
{
	__m128i v = _mm_loadu_si128((const __m128i *)(const void *)src);
	__m128i up = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('A' - 1)),
				   _mm_cmplt_epi8(v, _mm_set1_epi8('Z' + 1)));
	_mm_storeu_si128((__m128i *)(void *)dst,
			 _mm_or_si128(v, _mm_and_si128(up, _mm_set1_epi8(0x20))));
}
#else
static inline void zw_ans_lower16(uint8_t *dst, const uint8_t *src)
{
	uint64_t a = zw_ans_lower8(src), b = zw_ans_lower8(src + 8);

	memcpy(dst, &a, 8);
	memcpy(dst + 8, &b, 8);
}
#endif

/* Splits the uncompressed name at name (avail octets readable, at most
 * ZW_NAME_MAX) into qn's labels: lengths of at most 63, ending with the
 * root inside avail. Returns its length, or 0 if it is malformed or runs
 * past avail. Only the label lengths are read, which lowering leaves as
 * they are, so the name may be the query's or its lowered copy. */
static inline unsigned zw_ans_split_labels(const uint8_t *name, size_t avail, struct zw_qname *qn)
{
	unsigned p = 0, n = 0;

	for (;;) {
		if (p >= avail)
			return 0;
		unsigned l = name[p];
		if (l - 1u >= ZW_LABEL_MAX) { /* the root, or a pointer or extended label */
			if (l != 0)
				return 0;
			break;
		}
		qn->off[n++] = (uint8_t)p;
		p += 1u + l;
	}
	qn->off[n] = (uint8_t)p;
	qn->labels = n;
	qn->len = p + 1;
	return p + 1;
}

/* Reads the uncompressed question name at offset 12 into qn: checked, split into
 * labels and lower-cased. Returns its length, or 0 if it is
 * malformed. */
static inline unsigned zw_ans_scan_qname(const uint8_t *q, size_t qlen, struct zw_qname *qn)
{
	size_t avail = qlen - ZW_ANS_HDR < ZW_NAME_MAX ? qlen - ZW_ANS_HDR : ZW_NAME_MAX;
	unsigned len = zw_ans_split_labels(q + ZW_ANS_HDR, avail, qn);

	if (len == 0)
		return 0;
	/* label lengths (0-63) are never letters, so the whole name is lowered
	 * as bytes, sixteen or eight at a time, the last block overlapping the
	 * one before, so no byte is read outside the name */
	const uint8_t *src = q + ZW_ANS_HDR;
	uint8_t *dst = qn->name;
	unsigned done = 0;
#ifdef __SSE2__
	if (len >= 16) {
		for (; done + 16 < len; done += 16)
			zw_ans_lower16(dst + done, src + done);
		zw_ans_lower16(dst + len - 16, src + len - 16);
		done = len;
	}
#endif
	if (done < len && len >= 8) {
		for (; done + 8 < len; done += 8)
			memcpy(dst + done, &(uint64_t){ zw_ans_lower8(src + done) }, 8);
		memcpy(dst + len - 8, &(uint64_t){ zw_ans_lower8(src + len - 8) }, 8);
	} else if (done < len) {
		for (; done < len; done++)
			dst[done] = zw_lower(src[done]);
	}
	memset(dst + len, 0, 8);
	return len;
}

#define PTR_MAX 0x3fff /* the furthest a compression pointer reaches */

struct resp {
	uint8_t *buf;
	unsigned len;
	unsigned limit; /* where the sections must end (room for OPT kept) */
	uint16_t an, ns, ar;
	bool tc;
	bool aa;
	bool dnssec; /* DO set and the zone is signed: signatures and proofs */
	uint8_t rcode;
	const struct zw_deny_hint *hint; /* or NULL */
};

struct ctx {
	unsigned pos; /* where the context name is written */
	unsigned len; /* its length */
};

/* Position in the response of the suffix of length v of the name written
 * at pos (total length len). */
unsigned zw_ans_suffix_pos(const struct resp *r, unsigned pos, unsigned len, unsigned v);

/* Points the owner of each RR copied to dst from src (len octets, each
 * RR's owner a 2-octet pointer) at ptr (at most 0x3fff). The lengths are
 * read from src, which the copy has just brought in: a read of what was
 * just written waits for the copy's wide stores, byte by byte. */
static inline void zw_ans_point_owners(uint8_t *dst, const uint8_t *src, unsigned len, unsigned ptr)
{
	for (unsigned o = 0; o + 12 <= len; o += 12u + (unsigned)(src[o + 10] << 8 | src[o + 11])) {
		dst[o] = (uint8_t)(0xc0 | ptr >> 8);
		dst[o + 1] = (uint8_t)ptr;
	}
}

/* Copies a chunk to the end of the response (relocations resolved, owners
 * pointed at owner_ptr); false, writing nothing, when it does not fit. */
bool zw_ans_put_chunk(struct resp *r, const struct zw_img_chunk *c, const struct ctx *cx,
		      unsigned owner_ptr, unsigned anchor_pos, uint16_t *count);

/* Where a chunk's owners point in a context. */
unsigned zw_ans_owner_in(const struct resp *r, const struct zw_img_chunk *c, const struct ctx *cx);

/* An RRset and, with DNSSEC, its signatures, as one unit: both or
 * neither. *at is where the RRset starts. */
bool zw_ans_put_set(struct resp *r, const struct zw_image *img, const struct zw_img_rrset *s,
		    const struct ctx *cx, uint16_t *count, unsigned *at);

/* The denial of existence (NSEC or NSEC3) that the lookup's shape needs
 * in the authority section, with signatures; lname/len is the name looked
 * up, written in the response as cx. Sets TC when a part does not fit. */
void zw_ans_deny(struct resp *r, const struct zw_lookup *lk, const uint8_t *lname, unsigned len,
		 const struct ctx *cx, uint16_t qtype);

/* For a referral: the DS RRset of a secure child, or the proof that there
 * is none. */
void zw_ans_referral_ds(struct resp *r, const struct zw_lookup *lk, const uint8_t *lname,
			unsigned len, const struct ctx *cx);

/* The records of a denial of existence worked out ahead (the express
 * lane), written in order, each once, with their signatures: NSEC zones,
 * the NSEC of nodes ids (bit k of walk set: of the nearest NSEC owner at
 * or before ids[k], as for a missing name or an empty non-terminal);
 * NSEC3 zones, records ids. ZW_NONE entries are skipped. What does not
 * fit sets TC, as zw_ans_deny() does. */
#define ZW_ANS_PROOFS 3
void zw_ans_put_proofs(struct resp *r, const struct zw_image *img, const uint32_t *ids, unsigned n,
		       unsigned walk, const struct ctx *qcx);

/* The signatures of a negative answer's SOA, the RRs written from o to
 * end, take the SOA's TTL there, the negative one (RFC 4034 3: an
 * RRSIG's TTL is its RRset's). */
static inline void zw_ans_neg_sig_ttl(uint8_t *buf, unsigned o, unsigned end, uint32_t ttl)
{
	while (o + 12 <= end) {
		uint8_t *p = buf + o; /* owner: a 2-octet pointer */
		p[6] = (uint8_t)(ttl >> 24);
		p[7] = (uint8_t)(ttl >> 16);
		p[8] = (uint8_t)(ttl >> 8);
		p[9] = (uint8_t)ttl;
		o += 12u + (unsigned)(p[10] << 8 | p[11]);
	}
}

/* What zw_ans_prefetch() knows of a query whose name is to be looked up. */
#define ZW_PROBES 2 /* the name, and the name without its first label */
struct zw_probe {
	const struct zw_image *img; /* the zone chosen for the name */
	const struct zw_qname *qn;  /* the name */
	const uint32_t *hash;	    /* hashes of its suffixes in img */
	const struct zw_img_node *node[ZW_PROBES];
	uint32_t slot[ZW_PROBES];
	bool absent; /* the name's probe ended at an empty slot */
	bool lk_ok;  /* lk is the lookup, done by the prefetch */
	struct zw_lookup lk;
	uint16_t qtype;
	uint8_t nprobe;	   /* suffixes to probe (0: only the apex) */
	bool dnssec;	   /* DO set and the zone signed: signatures and proofs */
	uint32_t deny;	   /* with dnssec: the node a denial starts from, or ZW_NONE */
	bool deny_missing; /* the name is missing: deny is its closest encloser */
	/* what the denial writes besides: NSEC3, the node's record and the
	 * record denying its wildcard; NSEC, the node whose NSEC covers the
	 * missing name and the one denying the wildcard */
	uint32_t deny_rec[2];
	/* the RRset the answer writes, where it has additional data (the
	 * glue of a referral, the addresses of MX and SRV targets) */
	const struct zw_img_rrset *extra;
	bool hint_ok; /* hint is worked out */
	struct zw_deny_hint hint;
};

/* A probe for the lookup of qn in img (h its suffixes' hashes, rel its
 * labels below the origin), qtype asked for, do_bit from the query. */
static inline void zw_ans_probe_init(struct zw_probe *p, const struct zw_image *img,
				     const struct zw_qname *qn, const uint32_t *h, unsigned rel,
				     uint16_t qtype, bool do_bit)
{
	p->img = img;
	p->qn = qn;
	p->hash = h;
	p->nprobe = (uint8_t)(rel < ZW_PROBES ? rel : ZW_PROBES);
	p->qtype = qtype;
	p->dnssec = do_bit && (img->hdr->flags & ZW_IMGF_SIGNED) != 0;
	p->hint_ok = false;
	p->lk_ok = false;
}

/* The NSEC3 record of img matching hash h (*match), or covering it. */
uint32_t zw_ans_n3_find(const struct zw_image *img, const uint8_t *h, bool *match);

/* NSEC zones: asks for the NSEC of node nd and its signatures: its place
 * laid out to write (NSECPROOF; returns NULL), or, without those, through
 * its RRset list (in the caches) the chunks laid after it; returns that
 * NSEC (NULL: none, or not an NSEC zone). */
const struct zw_img_rrset *zw_ans_pf_nsec(const struct zw_image *img, const struct zw_img_node *nd);

/* Asks for what a lookup reads of node nd after the node: its name and
 * RRset list. */
void zw_ans_pf_node(const struct zw_image *img, const struct zw_img_node *nd);

/* NSEC3 zones: asks for record r ready to write (the lines of its place
 * in NSEC3PROOF); then, once they are in, for its data where the record
 * is too long for its place (rare). */
void zw_ans_pf_n3(const struct zw_image *img, uint32_t r);
void zw_ans_pf_n3_far(const struct zw_image *img, uint32_t r);

/* Hashes name (len, lower-cased) with img's NSEC3 parameters; false on
 * error. */
bool zw_ans_n3_hash(const struct zw_image *img, const uint8_t *name, unsigned len, uint8_t *h);

/* Brings into the caches what the lookups of n queries will read, a step at
 * a time for all of them (dataplane/answer_prefetch.c). */
void zw_ans_prefetch(struct zw_probe *const *p, unsigned n);

/* The express lane of a burst (dataplane/answer_express.c): a common
 * query, parsed by zw_ax_parse(), its lookup done by zw_ax_prefetch() for
 * the whole burst, written by zw_ax_write(); or, at any of those steps,
 * left to the full way. */
struct zw_xq {
	struct zw_answer_req *rq;
	const struct zw_image *img;
	const struct zw_img_nrec *rec;	  /* the name's record, or its parent's */
	const struct zw_img_rrset *set;	  /* the data, or the NS of a cut; or NULL */
	const struct zw_img_chunk *chunk; /* what is written: set's, or the SOA's */
	const struct zw_img_rrset *ds;	  /* with DNSSEC, a secure child's DS */
	uint32_t *h; /* the hashes of its suffixes (ZW_LABELS_MAX), in the caller's buffer */
	uint16_t qtype;
	uint16_t limit; /* where the sections must end (room for OPT kept) */
	uint8_t nlen;	/* wire length of the question name */
	uint8_t rel;	/* its labels below the origin */
	uint8_t at;	/* whose record rec is: enum zw_ax_at */
	uint8_t shape;	/* enum zw_shape, where settled */
	bool extra;	/* set has additional data */
	bool edns, do_bit;
	bool dnssec;	     /* DO set and the zone signed: signatures */
	uint16_t udp;	     /* the OPT's payload size */
	uint8_t deny;	     /* enum zw_ax_deny (below) */
	struct zw_qname *qn; /* the name, in the caller's buffer */
	/* with DNSSEC, a negative answer's or an unsigned child's denial:
	 * its records for zw_ans_put_proofs() once deny is ZW_AX_DENY_READY,
	 * worked out from the node of rec (the name's, the cut's, or the
	 * missing name's parent) a step at a time (what every query reads,
	 * deny among it, is in the first 80 octets) */
	uint32_t proof[ZW_ANS_PROOFS];
	uint8_t n3hash[20]; /* NSEC3: the missing name's hash */
};

enum zw_ax_deny {
	ZW_AX_DENY_NONE = 0,	/* no denial to write */
	ZW_AX_DENY_READY,	/* its records are in proof */
	ZW_AX_DENY_N3_NODE,	/* NSEC3: the node's record, from nsec3map */
	ZW_AX_DENY_N3_MISSING,	/* NSEC3: the parent's, the wildcard's, the name's */
	ZW_AX_DENY_NSEC_SEARCH, /* NSEC: the node before the name, and the wildcard's */
};

#define ZW_AX_FULL (-2) /* zw_ax_write(): answer this query the full way */

enum zw_ax_at {
	ZW_AX_AT_NAME = 0,   /* rec is the name's */
	ZW_AX_AT_PARENT = 1, /* the name is missing; rec is its parent's */
	ZW_AX_AT_NONE = 2,   /* not settled: the full way */
};

/* Takes the query of rq into the lane (its header and question written,
 * its name read into x->qn and its hashes into x->h, which the caller
 * points at buffers), or returns false when it is not a common one; what
 * it wrote into the response by then (the question's window), the full
 * way writes over. */
bool zw_ax_parse(const struct zw_answer_cfg *cfg, const struct zw_zoneset *zs, struct zw_xq *x,
		 struct zw_answer_req *rq);

/* The lookups of n queries of the lane, a step at a time for all. */
void zw_ax_prefetch(struct zw_xq *xs, unsigned n);

/* Whether the lane's lookup settled x, so that zw_ax_write() writes it;
 * else it must go the full way. */
static inline bool zw_ax_taken(const struct zw_xq *x)
{
	return x->at != ZW_AX_AT_NONE;
}

/* The response's length (rq->info filled), or ZW_AX_FULL where x was not
 * taken. */
int zw_ax_write(const struct zw_answer_cfg *cfg, struct zw_xq *x);

#endif /* ZW_ANSWER_INTERNAL_H */
