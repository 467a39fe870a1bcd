/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The answer engine.
 *
 * Design note. A response is assembled from precompiled chunks of the zone
 * image (zonecompiler/image.h): the question is copied from the query as it
 * came (letter case kept), then chunks are copied after it and their few
 * compression pointers patched. A chunk is compiled for a *context*: a name
 * that the chunk's owner is a suffix of. For the first lookup the context is
 * the query name, written uncompressed at offset 12, so a suffix of length v
 * is at 12 + qname_len - v. After a CNAME or DNAME step the context is the
 * target name where it was written in this response; a suffix is then found
 * by walking that name's labels and pointers in the response itself. So one
 * chunk serves an exact match, a longer query name (the SOA of a negative
 * answer, the NS of a referral) and a chain target alike.
 *
 * Parsing is strict and bounded: every read is checked against the query's
 * length, compression pointers in the question are refused, and pointers in
 * the other sections must point backwards; nothing is ever followed in the
 * query. The rules where the RFCs leave a choice follow Knot DNS; see
 * docs/answer-engine.md.
 */
#include <limits.h>
#include <string.h>

#include "answer.h"
#include "answer_internal.h"
#include "image.h"
#include "lookup.h"
#include "name.h"
#include "rdata.h"

#define HDR	      12
#define ZW_CHAIN_SEEN 8

enum {
	RC_NOERROR = 0,
	RC_FORMERR = 1,
	RC_SERVFAIL = 2,
	RC_NXDOMAIN = 3,
	RC_NOTIMP = 4,
	RC_REFUSED = 5,
	RC_YXDOMAIN = 6,
	RC_NOTAUTH = 9,
	RC_BADVERS = 16,
};

enum {
	OP_QUERY = 0,
	OP_NOTIFY = 4,
};

#define CLASS_IN  1
#define CLASS_CH  3
#define CLASS_ANY 255
#define T_TSIG	  250
#define OPT_NSID  3

struct query {
	const uint8_t *q;
	size_t qlen;
	unsigned qname_len; /* wire length of the question name */
	uint16_t qtype;
	uint16_t qclass;
	bool edns;
	bool do_bit;
	bool nsid;
	bool tsig;
	unsigned tsig_name; /* offset of the TSIG RR's owner in the query */
	unsigned tsig_rdata, tsig_rdlen;
	uint8_t edns_version;
	uint16_t udp_size;
};

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* ---- query parsing ---- */

/* Skips a possibly compressed name at *off; pointers must point before the
 * name. Returns the number of labels walked plus one, or 0 if malformed. */
static bool skip_name(const uint8_t *q, size_t qlen, size_t *off, bool *is_root)
{
	size_t pos = *off, start = *off;
	unsigned total = 0;

	*is_root = false;
	for (;;) {
		if (pos >= qlen)
			return false;
		uint8_t l = q[pos];
		if ((l & 0xc0) == 0xc0) {
			if (pos + 2 > qlen)
				return false;
			size_t target = (size_t)((l & 0x3f) << 8 | q[pos + 1]);
			if (target >= start || target < HDR)
				return false; /* forward or self pointer, or into the header */
			*off = pos + 2;
			return true;
		}
		if (l > ZW_LABEL_MAX)
			return false;
		if (l == 0) {
			*is_root = pos == start;
			*off = pos + 1;
			return true;
		}
		total += 1u + l;
		if (total >= ZW_NAME_MAX)
			return false;
		pos += 1u + l;
	}
}

/* Walks the OPT RR's options (RFC 6891 6.1.2). */
static bool parse_opt_rdata(struct query *qr, const uint8_t *p, unsigned len)
{
	unsigned pos = 0;

	while (pos < len) {
		if (len - pos < 4)
			return false;
		unsigned code = get16(p + pos), olen = get16(p + pos + 2);
		pos += 4;
		if (olen > len - pos)
			return false;
		if (code == OPT_NSID)
			qr->nsid = true;
		pos += olen;
	}
	return true;
}

/* Parses the sections after the question; returns an rcode. */
static int parse_rest(struct query *qr, const uint8_t *q, size_t qlen, size_t off)
{
	unsigned counts = (unsigned)get16(q + 6) + get16(q + 8) + get16(q + 10);
	unsigned ar_first = get16(q + 6) + get16(q + 8);

	for (unsigned i = 0; i < counts; i++) {
		bool root;
		size_t owner = off;
		if (!skip_name(q, qlen, &off, &root))
			return RC_FORMERR;
		if (qlen - off < 10)
			return RC_FORMERR;
		uint16_t type = get16(q + off), rdlen = get16(q + off + 8);
		const uint8_t *fixed = q + off;
		off += 10;
		if (rdlen > qlen - off)
			return RC_FORMERR;
		if (type == ZW_T_OPT) {
			if (qr->edns || !root || i < ar_first)
				return RC_FORMERR; /* RFC 6891 6.1.1 */
			qr->edns = true;
			qr->udp_size = get16(fixed + 2);
			qr->edns_version = fixed[5];
			qr->do_bit = (fixed[6] & 0x80) != 0;
			if (!parse_opt_rdata(qr, q + off, rdlen))
				return RC_FORMERR;
		} else if (type == T_TSIG) {
			if (i != counts - 1 || i < ar_first)
				return RC_FORMERR; /* TSIG must be last (RFC 8945 5.1) */
			qr->tsig = true;
			qr->tsig_name = (unsigned)owner;
			qr->tsig_rdata = (unsigned)off;
			qr->tsig_rdlen = rdlen;
		}
		off += rdlen;
	}
	if (off != qlen)
		return RC_FORMERR; /* trailing garbage */
	return RC_NOERROR;
}

/* ---- response assembly ---- */

/* Position in the response of the suffix of length v of the name written at
 * pos (total length len). The query name at offset 12 is uncompressed. */
unsigned zw_ans_suffix_pos(const struct resp *r, unsigned pos, unsigned len, unsigned v)
{
	if (pos == HDR)
		return HDR + len - v;
	unsigned remain = len, guard = 0;
	while (remain > v && pos + 1 < r->len && guard++ < 128) {
		uint8_t l = r->buf[pos];
		if ((l & 0xc0) == 0xc0) {
			pos = (unsigned)((l & 0x3f) << 8 | r->buf[pos + 1]);
			continue;
		}
		if (l == 0)
			break;
		remain -= 1u + l;
		pos += 1u + l;
	}
	/* point at the labels, not at a pointer to them */
	if (pos + 1 < r->len && (r->buf[pos] & 0xc0) == 0xc0)
		pos = (unsigned)((r->buf[pos] & 0x3f) << 8 | r->buf[pos + 1]);
	return pos;
}

/*
 * Copies a chunk to the end of the response: relocations resolved against
 * the context (QEND), the chunk itself (SELF) or the anchor, owners pointed
 * at owner_ptr. Returns false, writing nothing, when it does not fit.
 */
bool zw_ans_put_chunk(struct resp *r, const struct zw_img_chunk *c, const struct ctx *cx,
		      unsigned owner_ptr, unsigned anchor_pos, uint16_t *count)
{
	unsigned pos = r->len;

	if (c->len > r->limit - pos)
		return false;
	uint8_t *dst = r->buf + pos;
	const uint8_t *src = zw_chunk_data(c);
	memcpy(dst, src, c->len);
	const uint32_t *rel = zw_chunk_relocs(c);
	for (unsigned i = 0; i < c->nreloc; i++) {
		unsigned v = ZW_RELOC_VAL(rel[i]), ptr;
		switch (ZW_RELOC_KIND(rel[i])) {
		case ZW_RELOC_QEND: ptr = zw_ans_suffix_pos(r, cx->pos, cx->len, v); break;
		case ZW_RELOC_SELF: ptr = pos + v; break;
		default: ptr = anchor_pos + v; break;
		}
		if (ptr > PTR_MAX)
			return false; /* beyond pointer reach: treated as not fitting */
		put16(dst + ZW_RELOC_POS(rel[i]), 0xc000 | ptr);
	}
	if (owner_ptr != HDR) {
		if (owner_ptr > PTR_MAX)
			return false;
		zw_ans_point_owners(dst, src, c->len, owner_ptr);
	}
	r->len += c->len;
	*count = (uint16_t)(*count + c->rrs);
	return true;
}

/* Where the owners of a chunk point in a context: the suffix of the
 * context name equal to the owner, or the context name itself for a
 * wildcard (owner_v 0: the owner is the name that was asked). */
unsigned zw_ans_owner_in(const struct resp *r, const struct zw_img_chunk *c, const struct ctx *cx)
{
	return c->owner_v != 0 ? zw_ans_suffix_pos(r, cx->pos, cx->len, c->owner_v) : cx->pos;
}

/* Additional data of an RRset written at anchor_pos. Optional entries that
 * do not fit are left out; a required one (in-domain glue) sets TC. */
static void put_extra(struct resp *r, const struct zw_image *img, const struct zw_img_rrset *s,
		      const struct ctx *cx, unsigned anchor_pos)
{
	const struct zw_img_extra *x = zw_rrset_extra(img, s);

	if (x == NULL)
		return;
	const struct zw_img_extra_ent *e = zw_extra_ents(x);
	for (unsigned i = 0; i < x->count; i++) {
		unsigned v = ZW_EXTRA_PTR_VAL(e[i].ptr);
		unsigned optr = ZW_EXTRA_PTR_KIND(e[i].ptr) == ZW_RELOC_QEND
					? zw_ans_suffix_pos(r, cx->pos, cx->len, v)
					: anchor_pos + v;
		const struct zw_img_rrset *as = &img->rrsets[e[i].rrset];
		const struct zw_img_chunk *c = zw_rrset_chunk(img, as);
		unsigned start = r->len;
		uint16_t before = r->ar;
		if (!zw_ans_put_chunk(r, c, cx, optr, anchor_pos, &r->ar)) {
			if (e[i].flags & ZW_EXTRA_REQUIRED)
				r->tc = true;
			continue;
		}
		/* signed zones: the signatures go along, or neither does
		 * (RFC 4035 3.1.1); glue is not signed */
		const struct zw_img_chunk *sig = r->dnssec ? zw_rrset_sigs(img, as) : NULL;
		if (sig != NULL && !zw_ans_put_chunk(r, sig, cx, optr, anchor_pos, &r->ar)) {
			r->len = start;
			r->ar = before;
		}
	}
}

static void put_negative(struct resp *r, const struct zw_image *img, const struct ctx *cx)
{
	const struct zw_img_chunk *c = zw_image_chunk(img, img->hdr->neg_soa_chunk);
	unsigned start = r->len, optr = zw_ans_owner_in(r, c, cx);
	uint16_t before = r->ns;

	if (!zw_ans_put_chunk(r, c, cx, optr, 0, &r->ns)) {
		r->tc = true;
		return;
	}
	if (!r->dnssec)
		return;
	/* the SOA's signatures (RFC 4035 3.1.3), with the TTL the SOA has
	 * here: an RRSIG's TTL is its RRset's (RFC 4034 3) */
	const struct zw_img_chunk *sig = zw_rrset_sigs(img, &img->rrsets[img->hdr->soa_rrset]);
	unsigned sigpos = r->len;
	if (sig != NULL && !zw_ans_put_chunk(r, sig, cx, optr, 0, &r->ns)) {
		r->len = start;
		r->ns = before;
		r->tc = true;
		return;
	}
	if (sig != NULL)
		zw_ans_neg_sig_ttl(r->buf, sigpos, r->len, img->hdr->neg_ttl);
}

/* Proofs owed by the steps of a chain (wildcard answers), written once
 * the answer section is complete. */
struct proof {
	struct zw_lookup lk;
	struct ctx cx;
	unsigned len;
	uint8_t name[ZW_NAME_MAX + 1];
};

struct proofs {
	struct proof p[ZW_CHAIN_SEEN + 1];
	unsigned n;
};

static void owe(struct proofs *ps, const struct resp *r, const struct zw_lookup *lk,
		const uint8_t *name, const struct ctx *cx)
{
	if (!r->dnssec || ps->n >= ZW_CHAIN_SEEN + 1)
		return;
	struct proof *p = &ps->p[ps->n++];
	p->lk = *lk;
	p->cx = *cx;
	p->len = cx->len;
	memcpy(p->name, name, cx->len);
}

static void pay(struct proofs *ps, struct resp *r, uint16_t qtype)
{
	for (unsigned i = 0; i < ps->n; i++)
		zw_ans_deny(r, &ps->p[i].lk, ps->p[i].name, ps->p[i].len, &ps->p[i].cx, qtype);
	ps->n = 0;
}

static void put_referral(struct resp *r, const struct zw_image *img, const struct zw_lookup *lk,
			 const uint8_t *lname, const struct ctx *cx, struct proofs *ps,
			 uint16_t qtype)
{
	unsigned at = r->len;

	if (lk->rrset == NULL)
		return;
	/* the NS RRset of a cut is not signed: no signatures to add */
	if (!zw_ans_put_chunk(r, zw_rrset_chunk(img, lk->rrset), cx,
			      zw_ans_owner_in(r, zw_rrset_chunk(img, lk->rrset), cx), 0, &r->ns)) {
		r->tc = true;
		return;
	}
	pay(ps, r, qtype);
	zw_ans_referral_ds(r, lk, lname, cx->len, cx);
	put_extra(r, img, lk->rrset, cx, at);
}

/* Reads the name written at pos in the response (compressed or not) into
 * lname, lower-cased; returns its length or 0. */
static unsigned read_name(const struct resp *r, unsigned pos, uint8_t *lname)
{
	unsigned len = 0, guard = 0;

	while (pos < r->len && guard++ < 128) {
		uint8_t l = r->buf[pos];
		if ((l & 0xc0) == 0xc0) {
			if (pos + 1 >= r->len)
				return 0;
			pos = (unsigned)((l & 0x3f) << 8 | r->buf[pos + 1]);
			continue;
		}
		if (l > ZW_LABEL_MAX || pos + 1u + l > r->len || len + 1u + l >= ZW_NAME_MAX)
			return 0;
		lname[len++] = l;
		if (l == 0)
			return len;
		for (unsigned i = 1; i <= l; i++)
			lname[len++] = zw_lower(r->buf[pos + i]);
		pos += 1u + l;
	}
	return 0;
}

/* Synthesises the CNAME of a DNAME answer (RFC 6672 3.3): owner the
 * context name, target its labels below the DNAME owner followed by the
 * DNAME target (pointed at where it was written). Returns the position of
 * the new target name, or 0 when it does not fit; sets YXDOMAIN when the
 * new name would be too long. */
static unsigned put_dname_cname(struct resp *r, const struct zw_image *img,
				const struct zw_lookup *lk, const struct ctx *cx, unsigned dpos,
				unsigned *new_len)
{
	const struct zw_img_chunk *dc = zw_rrset_chunk(img, lk->rrset);
	uint8_t target[ZW_NAME_MAX + 1];
	unsigned owner_len = dc->owner_v, prefix = cx->len - owner_len;
	/* the DNAME's target: rdata of its first RR, written uncompressed */
	unsigned tpos = dpos + 12;
	unsigned tlen = read_name(r, tpos, target);

	if (tlen == 0 || owner_len == 0 || owner_len > cx->len)
		return 0;
	if (prefix + tlen > ZW_NAME_MAX) {
		r->rcode = RC_YXDOMAIN;
		return 0;
	}
	unsigned need = 2 + 10 + prefix + 2;
	if (need > r->limit - r->len) {
		r->tc = true;
		return 0;
	}
	uint8_t *p = r->buf + r->len;
	put16(p, 0xc000 | cx->pos);
	put16(p + 2, ZW_T_CNAME);
	put16(p + 4, CLASS_IN);
	memcpy(p + 6, zw_chunk_data(dc) + 6, 4); /* the DNAME's TTL */
	put16(p + 10, prefix + 2);
	/* the labels of the context name above the DNAME owner */
	unsigned src = cx->pos, w = 12, remain = cx->len, guard = 0;
	while (remain > owner_len && guard++ < 128) {
		uint8_t l = r->buf[src];
		if ((l & 0xc0) == 0xc0) {
			src = (unsigned)((l & 0x3f) << 8 | r->buf[src + 1]);
			continue;
		}
		memcpy(p + w, r->buf + src, 1u + l);
		w += 1u + l;
		src += 1u + l;
		remain -= 1u + l;
	}
	if (w != 12 + prefix)
		return 0;
	put16(p + w, 0xc000 | tpos);
	unsigned at = r->len + 12;
	r->len += need;
	r->an++;
	*new_len = prefix + tlen;
	return at;
}

/*
 * Answers from the zones: the lookup, then CNAME and DNAME steps inside the
 * same zone up to a bound (loops end there), each step's data appended.
 */
/* The answer from zone, which contains the query name qn (lower-cased, its
 * suffixes hashed: rel, h); qn's name is overwritten by a chain's targets. */
static void answer_in(struct resp *r, const struct zw_image *zone, struct zw_qname *qn,
		      unsigned rel, const uint32_t *h, const struct zw_lookup *pre,
		      const struct query *qr, unsigned max_chain, struct zw_answer_info *info)
{
	uint8_t *lname = qn->name;
	struct zw_lookup lk;
	struct ctx cx = { .pos = HDR, .len = qr->qname_len };

	if (pre != NULL)
		lk = *pre;
	else
		zw_lookup_q(zone, qn, rel, h, qr->qtype, &lk);
	info->shape = (uint8_t)lk.shape;
	r->aa = true;
	r->dnssec = qr->do_bit && (zone->hdr->flags & ZW_IMGF_SIGNED) != 0;
	struct proofs ps;
	ps.n = 0;
	/* names already answered for in this chain: a loop ends where a name
	 * would come again (RFC 1034 3.6.2) */
	uint8_t seen[ZW_CHAIN_SEEN][ZW_NAME_MAX + 1];
	unsigned seen_len[ZW_CHAIN_SEEN], nseen = 0, ndname = 0;
	const struct zw_img_node *dnames[ZW_CHAIN_SEEN];
	for (unsigned step = 0;; step++) {
		unsigned at;
		if (lk.shape == ZW_SHAPE_CNAME || lk.shape == ZW_SHAPE_DNAME) {
			for (unsigned i = 0; i < nseen; i++)
				if (seen_len[i] == cx.len && memcmp(seen[i], lname, cx.len) == 0) {
					pay(&ps, r, qr->qtype);
					return;
				}
			/* a DNAME already in the answer is not written twice
			 * (RFC 2181 5): the chain ends there */
			if (lk.shape == ZW_SHAPE_DNAME) {
				for (unsigned i = 0; i < ndname; i++)
					if (dnames[i] == lk.node) {
						pay(&ps, r, qr->qtype);
						return;
					}
				if (ndname < ZW_CHAIN_SEEN)
					dnames[ndname++] = lk.node;
			}
			if (nseen < ZW_CHAIN_SEEN) {
				memcpy(seen[nseen], lname, cx.len);
				seen_len[nseen++] = cx.len;
			}
		}
		if (qr->qtype == ZW_T_RRSIG && lk.shape == ZW_SHAPE_NODATA) {
			/* as Knot DNS: the signatures of one RRset of the name */
			const struct zw_img_rrset *rs =
				lk.node->rrset_count ? &zone->rrsets[lk.node->rrset_first] : NULL;
			for (unsigned i = 0; rs != NULL && i < lk.node->rrset_count; i++, rs++) {
				const struct zw_img_chunk *sig = zw_rrset_sigs(zone, rs);
				if (sig == NULL)
					continue;
				unsigned optr = zw_ans_owner_in(r, sig, &cx);
				if (!zw_ans_put_chunk(r, sig, &cx, optr, 0, &r->an)) {
					r->tc = true;
					return;
				}
				if (lk.wildcard) {
					/* a synthesised answer: prove the name itself
					 * does not exist */
					lk.shape = ZW_SHAPE_ANSWER;
					owe(&ps, r, &lk, lname, &cx);
				}
				pay(&ps, r, qr->qtype);
				return;
			}
		}
		if (qr->qtype == ZW_T_ANY && lk.shape == ZW_SHAPE_NODATA &&
		    lk.node->rrset_count > 0) {
			/* RFC 8482: one RRset of the name, the first */
			lk.rrset = &zone->rrsets[lk.node->rrset_first];
			lk.shape = ZW_SHAPE_ANSWER;
		}
		switch (lk.shape) {
		case ZW_SHAPE_ANSWER:
			if (!zw_ans_put_set(r, zone, lk.rrset, &cx, &r->an, &at)) {
				r->tc = true;
				return;
			}
			if (lk.wildcard)
				owe(&ps, r, &lk, lname, &cx);
			pay(&ps, r, qr->qtype);
			put_extra(r, zone, lk.rrset, &cx, at);
			return;
		case ZW_SHAPE_NODATA:
		case ZW_SHAPE_NXDOMAIN:
			if (lk.shape == ZW_SHAPE_NXDOMAIN)
				r->rcode = RC_NXDOMAIN;
			put_negative(r, zone, &cx);
			owe(&ps, r, &lk, lname, &cx);
			pay(&ps, r, qr->qtype);
			return;
		case ZW_SHAPE_REFERRAL:
			if (step == 0)
				r->aa = false;
			put_referral(r, zone, &lk, lname, &cx, &ps, qr->qtype);
			return;
		case ZW_SHAPE_CNAME:
			if (!zw_ans_put_set(r, zone, lk.rrset, &cx, &r->an, &at)) {
				r->tc = true;
				return;
			}
			if (lk.wildcard)
				owe(&ps, r, &lk, lname, &cx);
			/* the target: rdata of the CNAME, after owner and fixed part */
			cx.pos = at + 12;
			cx.len = read_name(r, cx.pos, lname);
			break;
		case ZW_SHAPE_DNAME:
			if (!zw_ans_put_set(r, zone, lk.rrset, &cx, &r->an, &at)) {
				r->tc = true;
				return;
			}
			{
				unsigned nlen = 0,
					 npos = put_dname_cname(r, zone, &lk, &cx, at, &nlen);
				if (npos == 0)
					return;
				cx.pos = npos;
				cx.len = read_name(r, npos, lname);
				if (cx.len != nlen)
					return;
			}
			break;
		default: return;
		}
		/* follow inside the zone only, and only so far */
		if (cx.len == 0 || step + 1 >= max_chain ||
		    !zw_name_is_sub(lname, cx.len, zone->hdr->origin, zone->hdr->origin_len)) {
			pay(&ps, r, qr->qtype);
			return;
		}
		r->hint = NULL; /* it was for the query name, overwritten now */
		zw_lookup_zone(zone, lname, cx.len, qr->qtype, &lk);
	}
}

static bool chaos_name(const uint8_t *lname, const char *a, const char *b)
{
	unsigned la = (unsigned)strlen(a), lb = (unsigned)strlen(b);

	return lname[0] == la && memcmp(lname + 1, a, la) == 0 && lname[1 + la] == lb &&
	       memcmp(lname + 2 + la, b, lb) == 0 && lname[2 + la + lb] == 0;
}

/* id.server, hostname.bind and version.bind in class CH (RFC 4892). */
static void answer_chaos(struct resp *r, const struct zw_answer_cfg *cfg, const struct query *qr,
			 const uint8_t *lname)
{
	const char *txt = NULL;

	if (qr->qtype == ZW_T_TXT) {
		if (chaos_name(lname, "id", "server"))
			txt = cfg->id_server;
		else if (chaos_name(lname, "hostname", "bind"))
			txt = cfg->hostname_bind;
		else if (chaos_name(lname, "version", "bind"))
			txt = cfg->version_bind;
	}
	if (txt == NULL) {
		r->rcode = RC_REFUSED;
		return;
	}
	size_t tl = strlen(txt);
	if (tl > ZW_CHAOS_TXT_MAX)
		tl = ZW_CHAOS_TXT_MAX;
	if (12 + 1 + tl > r->limit - r->len) {
		r->tc = true;
		return;
	}
	uint8_t *p = r->buf + r->len;
	put16(p, 0xc000 | HDR);
	put16(p + 2, ZW_T_TXT);
	put16(p + 4, CLASS_CH);
	memset(p + 6, 0, 4);
	put16(p + 10, (unsigned)tl + 1);
	p[12] = (uint8_t)tl;
	memcpy(p + 13, txt, tl);
	r->len += 13u + (unsigned)tl;
	r->an = 1;
}

static unsigned opt_size(const struct zw_answer_cfg *cfg, const struct query *qr)
{
	return 11u + ((qr->nsid && cfg->nsid_len > 0) ? 4u + cfg->nsid_len : 0u);
}

static void put_opt(struct resp *r, const struct zw_answer_cfg *cfg, const struct query *qr,
		    uint16_t edns_size, uint8_t ext_rcode)
{
	uint8_t *p = r->buf + r->len;
	unsigned rdlen = opt_size(cfg, qr) - 11;

	p[0] = 0; /* root */
	put16(p + 1, ZW_T_OPT);
	put16(p + 3, edns_size);
	p[5] = ext_rcode;
	p[6] = 0; /* version 0 */
	p[7] = qr->do_bit ? 0x80 : 0;
	p[8] = 0;
	put16(p + 9, rdlen);
	if (rdlen > 0) {
		put16(p + 11, OPT_NSID);
		put16(p + 13, cfg->nsid_len);
		memcpy(p + 15, cfg->nsid, cfg->nsid_len);
	}
	r->len += 11 + rdlen;
	r->ar++;
}

static int finish(struct resp *r, struct zw_answer_info *info)
{
	uint8_t *h = r->buf;

	h[2] = (uint8_t)((h[2] & 0xf9) | (r->aa ? 0x04 : 0) | (r->tc ? 0x02 : 0));
	h[3] = (uint8_t)((h[3] & 0xf0) | (r->rcode & 0x0f));
	put16(h + 6, r->an);
	put16(h + 8, r->ns);
	put16(h + 10, r->ar);
	info->rcode = r->rcode;
	info->tc = r->tc;
	return (int)r->len;
}

/* Reads a name at off in the query, following pointers (each one points
 * before itself, as skip_name() checked, so this ends); returns its length
 * or 0. */
static unsigned query_name(const uint8_t *q, size_t qlen, size_t off, uint8_t *out)
{
	unsigned len = 0, guard = 0;

	while (off < qlen && guard++ < 128) {
		uint8_t l = q[off];
		if ((l & 0xc0) == 0xc0) {
			if (off + 1 >= qlen)
				return 0;
			size_t t = (size_t)((l & 0x3f) << 8 | q[off + 1]);
			if (t >= off)
				return 0;
			off = t;
			continue;
		}
		if (l > ZW_LABEL_MAX || off + 1u + l > qlen || len + 1u + l > ZW_NAME_MAX)
			return 0;
		memcpy(out + len, q + off, 1u + l);
		len += 1u + l;
		if (l == 0)
			return len;
		off += 1u + l;
	}
	return 0;
}

/* RFC 8945 5.3.2: an unsigned TSIG with error BADKEY for a key we do not
 * have: the request's key name, algorithm, time and fudge, no MAC. */
static void put_tsig_badkey(struct resp *r, const struct query *qr)
{
	uint8_t name[ZW_NAME_MAX + 1];
	unsigned nlen = query_name(qr->q, qr->qlen, qr->tsig_name, name);
	const uint8_t *rd = qr->q + qr->tsig_rdata;
	int alen = zw_name_len(rd, qr->tsig_rdlen);

	if (nlen == 0 || alen < 0 || (unsigned)alen + 10 > qr->tsig_rdlen)
		return;
	unsigned rdlen = (unsigned)alen + 6 + 2 + 2 + 2 + 2 + 2;
	if (nlen + 10 + rdlen > r->limit - r->len)
		return;
	uint8_t *p = r->buf + r->len;
	memcpy(p, name, nlen);
	p += nlen;
	put16(p, T_TSIG);
	put16(p + 2, 255); /* class ANY */
	memset(p + 4, 0, 4);
	put16(p + 8, rdlen);
	p += 10;
	memcpy(p, rd, (size_t)alen + 8); /* algorithm, time signed, fudge */
	p += alen + 8;
	put16(p, 0);		 /* MAC size */
	memcpy(p + 2, qr->q, 2); /* original ID */
	put16(p + 4, 17);	 /* BADKEY */
	put16(p + 6, 0);	 /* other len */
	r->len += nlen + 10 + rdlen;
	r->ar++;
}

/* The largest response: 64 KiB over TCP; over UDP 512 octets without EDNS,
 * else the client's size (at least 512) up to ours; never the buffer's. */
static size_t msg_limit(const struct zw_answer_cfg *cfg, const struct query *qr, unsigned flags,
			size_t outcap)
{
	uint16_t ours = cfg->edns_size ? cfg->edns_size : ZW_EDNS_DEFAULT;
	size_t limit;

	if (flags & ZW_ANS_TCP)
		limit = 65535;
	else if (qr->edns)
		limit = qr->udp_size < 512 ? 512 : (qr->udp_size < ours ? qr->udp_size : ours);
	else
		limit = 512;
	return limit < outcap ? limit : outcap;
}

/* A response of header (and question, if there was one) only, with an OPT
 * when the query had a readable one (RFC 6891 7) and it fits. */
static int short_reply(struct resp *r, const struct zw_answer_cfg *cfg, const struct query *qr,
		       unsigned rcode, bool question, unsigned qsize, size_t outcap, unsigned flags,
		       struct zw_answer_info *info)
{
	r->len = HDR + (question ? qsize : 0);
	put16(r->buf + 4, question ? 1 : 0);
	r->an = r->ns = r->ar = 0;
	r->rcode = (uint8_t)rcode;
	r->aa = r->tc = false;
	if (qr != NULL && qr->edns && qr->edns_version == 0) {
		struct query q2 = *qr;
		size_t limit = msg_limit(cfg, &q2, flags, outcap);
		if (r->len + opt_size(cfg, &q2) > limit)
			q2.nsid = false;
		if (r->len + opt_size(cfg, &q2) <= limit) {
			put_opt(r, cfg, &q2, cfg->edns_size ? cfg->edns_size : ZW_EDNS_DEFAULT, 0);
			info->edns = true;
		}
	}
	return finish(r, info);
}

/* A query on its way through the engine: what the parse found, and where
 * the response stands. */
struct job {
	struct query qr;
	struct resp r;
	struct zw_answer_info *info;
	size_t limit;
	unsigned optlen;
	unsigned idx; /* in the burst */
	const struct zw_image *zone;
	unsigned rel;
	struct zw_probe probe;
	uint32_t h[ZW_LABELS_MAX];
	struct zw_qname qn;
};

#define PENDING INT_MIN /* front() left the lookup to back() */

/* The OPT and TSIG RRs, and the header's counts and flags. */
static int tail(const struct zw_answer_cfg *cfg, struct job *j)
{
	struct resp *r = &j->r;

	if (j->qr.edns) {
		r->limit += j->optlen;
		put_opt(r, cfg, &j->qr, cfg->edns_size ? cfg->edns_size : ZW_EDNS_DEFAULT, 0);
	}
	if (j->qr.tsig) {
		/* TSIG goes last; room for it is not reserved: an answer this
		 * path gives with TSIG is a short NOTAUTH */
		r->limit = (unsigned)j->limit;
		put_tsig_badkey(r, &j->qr);
	}
	return finish(r, j->info);
}

/*
 * Everything up to the lookup in a zone: the header, the question, the
 * other sections, the choice of the zone and the hashes of the name. Returns
 * the response length, ZW_ANSWER_DROP or ZW_ANSWER_PUNT when the answer is
 * complete, or PENDING when back() must look the name up.
 */
static int front(const struct zw_answer_cfg *cfg, const struct zw_zoneset *zs, struct job *j,
		 const uint8_t *q, size_t qlen, uint8_t *out, size_t outcap, unsigned flags,
		 struct zw_answer_info *info)
{
	struct query *qr = &j->qr;
	struct resp *r = &j->r;

	memset(qr, 0, sizeof(*qr));
	qr->q = q;
	qr->qlen = qlen;
	memset(r, 0, sizeof(*r));
	r->buf = out;
	j->info = info;
	memset(info, 0, sizeof(*info));
	info->shape = 0xff;
	if (qlen < HDR || outcap < HDR || (q[2] & 0x80) != 0)
		return ZW_ANSWER_DROP;
	unsigned opcode = (q[2] >> 3) & 0x0f;
	if (opcode == OP_NOTIFY)
		return ZW_ANSWER_PUNT;
	/* header: ID, opcode, RD and CD copied; QR set; AA, TC, RA, AD clear */
	out[0] = q[0];
	out[1] = q[1];
	out[2] = (uint8_t)(0x80 | (q[2] & 0x79));
	out[3] = (uint8_t)(q[3] & 0x10);
	memset(out + 4, 0, 8);

	/* the question: exactly one, uncompressed */
	unsigned qdcount = get16(q + 4);
	unsigned nlen = qdcount == 1 ? zw_ans_scan_qname(q, qlen, &j->qn) : 0;
	bool qok = nlen > 0 && qlen - HDR - nlen >= 4;
	unsigned qsize = nlen + 4;
	if (qok && outcap < HDR + qsize + 0u)
		return ZW_ANSWER_DROP; /* the caller's buffer cannot hold the question */
	if (qok)
		memcpy(out + HDR, q + HDR, qsize);
	if (opcode != OP_QUERY || !qok) {
		/* look for an OPT to echo, where the rest can be read */
		const struct query *with = NULL;
		if (opcode != OP_QUERY && qok && parse_rest(qr, q, qlen, HDR + qsize) == RC_NOERROR)
			with = qr;
		else if (qdcount == 0 && parse_rest(qr, q, qlen, HDR) == RC_NOERROR)
			with = qr;
		return short_reply(r, cfg, with, opcode != OP_QUERY ? RC_NOTIMP : RC_FORMERR,
				   opcode != OP_QUERY && qok, qsize, outcap, flags, info);
	}
	qr->qname_len = nlen;
	qr->qtype = get16(q + HDR + nlen);
	qr->qclass = get16(q + HDR + nlen + 2);
	int rc = parse_rest(qr, q, qlen, HDR + qsize);
	if (rc != RC_NOERROR)
		return short_reply(r, cfg, NULL, (unsigned)rc, true, qsize, outcap, flags, info);
	info->edns = qr->edns;
	info->dnssec_ok = qr->do_bit;

	uint16_t our_size = cfg->edns_size ? cfg->edns_size : ZW_EDNS_DEFAULT;
	size_t limit = msg_limit(cfg, qr, flags, outcap);
	unsigned optlen = qr->edns ? opt_size(cfg, qr) : 0;
	if (limit < HDR + qsize + optlen && qr->nsid) {
		qr->nsid = false; /* answered without the NSID rather than not at all */
		optlen = opt_size(cfg, qr);
	}
	if (limit < HDR + qsize + optlen)
		return ZW_ANSWER_DROP; /* the caller's buffer cannot hold even this */
	j->limit = limit;
	j->optlen = optlen;
	r->len = HDR + qsize;
	r->limit = (unsigned)limit - optlen;
	put16(out + 4, 1);

	if (qr->edns && qr->edns_version > 0) {
		/* RFC 6891 6.1.3: BADVERS, with our OPT, nothing else */
		r->rcode = RC_BADVERS & 0x0f;
		put_opt(r, cfg, qr, our_size, RC_BADVERS >> 4);
		finish(r, info);
		info->rcode = RC_BADVERS;
		return (int)r->len;
	}
	bool in = qr->qclass == CLASS_IN || qr->qclass == CLASS_ANY;
	if (in && (qr->qtype == ZW_T_AXFR || qr->qtype == ZW_T_IXFR)) {
		/* transfers, signed or not, are the control plane's over TCP;
		 * as Knot DNS: no AXFR over UDP, IXFR over UDP not served */
		if (flags & ZW_ANS_TCP)
			return ZW_ANSWER_PUNT;
		r->rcode = qr->qtype == ZW_T_AXFR ? RC_NOTIMP : RC_NOTAUTH;
		qr->tsig = false;
	} else if (qr->tsig && cfg->tsig_punt) {
		return ZW_ANSWER_PUNT; /* the control plane has the keys */
	} else if (qr->tsig) {
		/* no keys are configured on this path: RFC 8945 5.2.1 BADKEY */
		r->rcode = RC_NOTAUTH;
	} else if (qr->qclass == CLASS_CH) {
		info->chaos = true;
		answer_chaos(r, cfg, qr, j->qn.name);
	} else if (!in) {
		r->rcode = RC_REFUSED;
	} else if (qr->qtype == 0) {
		r->rcode = RC_NOTIMP; /* reserved (RFC 6895 3.1), as Knot DNS */
	} else if (zs == NULL ||
		   (j->zone = zw_zoneset_pick(zs, &j->qn, qr->qtype == ZW_T_DS, &j->rel)) == NULL) {
		info->shape = ZW_SHAPE_NOTAUTH;
		r->rcode = RC_REFUSED;
	} else {
		zw_qname_hashes(&j->qn, j->rel, j->h);
		zw_ans_probe_init(&j->probe, j->zone, &j->qn, j->h, j->rel, qr->qtype, qr->do_bit);
		return PENDING;
	}
	return tail(cfg, j);
}

/* The lookup in the zone and the rest of the response. */
static int back(const struct zw_answer_cfg *cfg, struct job *j)
{
	j->r.hint = j->probe.hint_ok ? &j->probe.hint : NULL;
	answer_in(&j->r, j->zone, &j->qn, j->rel, j->h, j->probe.lk_ok ? &j->probe.lk : NULL,
		  &j->qr, cfg->max_chain ? cfg->max_chain : 8, j->info);
	return tail(cfg, j);
}

int zw_answer(const struct zw_answer_cfg *cfg, const struct zw_zoneset *zs, const uint8_t *q,
	      size_t qlen, uint8_t *out, size_t outcap, unsigned flags, struct zw_answer_info *info)
{
	struct zw_answer_info dummy;
	struct job j;

	int rc = front(cfg, zs, &j, q, qlen, out, outcap, flags, info != NULL ? info : &dummy);
	return rc == PENDING ? back(cfg, &j) : rc;
}

/* What front() leaves for back(), for a query the express lane parsed but
 * did not settle: its header and question are written, its name read into
 * the job (x->qn), and nothing is parsed again. */
static void front_from_x(struct job *j, const struct zw_xq *x)
{
	struct zw_answer_req *rq = x->rq;
	unsigned optlen = x->edns ? 11 : 0;

	j->qr = (struct query){ .q = rq->q,
				.qlen = rq->qlen,
				.qname_len = x->nlen,
				.qtype = x->qtype,
				.qclass = CLASS_IN,
				.edns = x->edns,
				.do_bit = x->do_bit,
				.udp_size = x->udp };
	j->r = (struct resp){ .buf = rq->out, .len = HDR + x->nlen + 4u, .limit = x->limit };
	j->info = &rq->info;
	*j->info =
		(struct zw_answer_info){ .shape = 0xff, .edns = x->edns, .dnssec_ok = x->do_bit };
	j->limit = x->limit + optlen;
	j->optlen = optlen;
	j->zone = x->img;
	j->rel = x->rel; /* the name and its hashes are in the job already */
	zw_ans_probe_init(&j->probe, j->zone, &j->qn, j->h, j->rel, x->qtype, x->do_bit);
}

void zw_answer_burst(const struct zw_answer_cfg *cfg, const struct zw_zoneset *zs,
		     struct zw_answer_req *rq, unsigned n)
{
	struct job jobs[ZW_BURST_STEP];
	struct job *pend[ZW_BURST_STEP];
	struct zw_probe *probes[ZW_BURST_STEP];
	struct zw_xq xq[ZW_BURST_STEP];

	for (unsigned base = 0; base < n; base += ZW_BURST_STEP) {
		unsigned m = n - base < ZW_BURST_STEP ? n - base : ZW_BURST_STEP, np = 0, nx = 0;
		unsigned full[ZW_BURST_STEP], nf = 0;
		for (unsigned i = 0; i < m; i++) {
			xq[nx].qn = &jobs[i].qn;
			xq[nx].h = jobs[i].h;
			if (zw_ax_parse(cfg, zs, &xq[nx], &rq[base + i]))
				nx++;
			else
				full[nf++] = i;
		}
		for (unsigned k = 0; k < nf; k++) {
			struct zw_answer_req *x = &rq[base + full[k]];
			struct job *j = &jobs[full[k]];
			int rc = front(cfg, zs, j, x->q, x->qlen, x->out, x->outcap, x->flags,
				       &x->info);
			if (rc != PENDING) {
				x->ret = rc;
				continue;
			}
			j->idx = base + full[k];
			probes[np] = &j->probe;
			pend[np++] = j;
		}
		/* the lane's lookups; what it does not settle goes the full way
		 * with the rest, from where the lane's parse left it */
		zw_ax_prefetch(xq, nx);
		for (unsigned k = 0; k < nx; k++) {
			if (zw_ax_taken(&xq[k]))
				continue;
			unsigned i = (unsigned)(xq[k].rq - rq);
			struct job *j = &jobs[i - base];
			front_from_x(j, &xq[k]);
			j->idx = i;
			probes[np] = &j->probe;
			pend[np++] = j;
		}
		zw_ans_prefetch(probes, np);
		for (unsigned k = 0; k < nx; k++)
			if (zw_ax_taken(&xq[k]))
				xq[k].rq->ret = zw_ax_write(cfg, &xq[k]);
		for (unsigned k = 0; k < np; k++)
			rq[pend[k]->idx].ret = back(cfg, pend[k]);
	}
}
