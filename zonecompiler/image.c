/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Opening and verifying zone images. Nothing in an image is trusted until
 * every check below has passed; the checks are linear in the image size and
 * establish exactly the invariants the lookup and answer code rely on:
 * offsets and counts in bounds, names well-formed, the apex first, links
 * pointing backwards (cuts) or forwards (wildcard children) as the canonical
 * order has them, a free slot in the hash table so no probe can loop, chunks
 * whose RRs parse to their stated count, and additional-data lists naming
 * RRsets whose owners can be re-pointed.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

#include "image.h"
#include "name.h"
#include "nsec3.h"
#include "rdata.h"
#include "zw_err.h"

_Static_assert(sizeof(struct zw_img_header) % 8 == 0, "header must keep 8-byte alignment");
_Static_assert(sizeof(struct zw_img_node) == 20, "node layout");
_Static_assert(sizeof(struct zw_img_rrset) == 8, "rrset layout");
_Static_assert(sizeof(struct zw_img_chunk) == 8, "chunk layout");
_Static_assert(sizeof(struct zw_img_extra_ent) == 8, "extra entry layout");
_Static_assert(sizeof(struct zw_img_canon) == 16, "canonical key layout");
_Static_assert(sizeof(struct zw_img_n3proof) == 4, "NSEC3 record layout");

#define FAIL(code, text)                                                                           \
	do {                                                                                       \
		if (why != NULL)                                                                   \
			*why = (text);                                                             \
		return (code);                                                                     \
	} while (0)

static bool sec_ok(const struct zw_img_header *h, int id, size_t size)
{
	uint64_t off = h->sec[id].off, len = h->sec[id].size;

	return off % 8 == 0 && off >= h->header_size && off <= size && len <= size - off;
}

/* Checks one chunk at off: in bounds, aligned, relocations inside its data,
 * and its data a sequence of exactly rrs RRs; with owner_v set, each owner a
 * 2-byte pointer. Trailer offsets are checked by the caller. */
static bool chunk_ok(const uint8_t *chunks, size_t csize, uint32_t off)
{
	if (off % 4 != 0 || off > csize || csize - off < sizeof(struct zw_img_chunk))
		return false;
	const struct zw_img_chunk *c = (const void *)(chunks + off);
	if ((c->flags & ~(ZW_RRSET_EXTRA | ZW_RRSET_SIGS)) != 0 || zw_chunk_size(c) > csize - off)
		return false;
	const uint8_t *d = zw_chunk_data(c);
	const uint32_t *rel = zw_chunk_relocs(c);
	for (unsigned i = 0; i < c->nreloc; i++)
		if ((unsigned)ZW_RELOC_POS(rel[i]) + 2 > c->len || ZW_RELOC_KIND(rel[i]) > 2)
			return false;
	unsigned pos = 0, rrs = 0;
	while (pos < c->len) {
		/* owner: labels ending in a root label or a pointer */
		unsigned nlen = 0;
		if (c->owner_v != 0 && (d[pos] & 0xc0) != 0xc0)
			return false;
		for (;;) {
			if (pos >= c->len)
				return false;
			uint8_t l = d[pos];
			if ((l & 0xc0) == 0xc0) {
				pos += 2;
				break;
			}
			if (l > 63)
				return false;
			pos += 1u + l;
			nlen += 1u + l;
			if (nlen > 255)
				return false;
			if (l == 0)
				break;
		}
		if (pos > c->len || c->len - pos < 10)
			return false;
		unsigned rdlen = (unsigned)d[pos + 8] << 8 | d[pos + 9];
		pos += 10;
		if (rdlen > c->len - pos)
			return false;
		pos += rdlen;
		rrs++;
	}
	return pos == c->len && rrs == c->rrs && rrs > 0;
}

/* An additional-data list: in bounds, entries naming RRsets whose owners
 * can be re-pointed, pointer kinds that lists may use. */
static bool extra_ok(const uint8_t *chunks, size_t csize, uint32_t off,
		     const struct zw_img_rrset *sets, uint32_t nsets)
{
	if (off % 4 != 0 || off > csize || csize - off < sizeof(struct zw_img_extra))
		return false;
	const struct zw_img_extra *x = (const void *)(chunks + off);
	if (x->count == 0 ||
	    (csize - off - sizeof(*x)) / sizeof(struct zw_img_extra_ent) < x->count)
		return false;
	const struct zw_img_extra_ent *e = zw_extra_ents(x);
	for (unsigned i = 0; i < x->count; i++) {
		if (e[i].rrset >= nsets || (e[i].flags & ~ZW_EXTRA_REQUIRED) != 0)
			return false;
		unsigned kind = ZW_EXTRA_PTR_KIND(e[i].ptr);
		if (kind != ZW_RELOC_QEND && kind != ZW_RELOC_ANCHOR)
			return false;
		/* the target's chunk was checked already (RRsets come first) */
		const struct zw_img_chunk *c = (const void *)(chunks + sets[e[i].rrset].chunk);
		if (c->owner_v == 0)
			return false;
	}
	return true;
}

/* ---- canonical order ---- */

static unsigned split_labels(const uint8_t *rel, unsigned rel_len, uint8_t off[128])
{
	unsigned n = 0;

	for (unsigned p = 0; p < rel_len && n < 128; p += 1u + rel[p])
		off[n++] = (uint8_t)p;
	return n;
}

/* Copies n bytes (1 to 16) from src to dst, 8 or 4 at a time where it can
 * (overlapping), and tells whether any of them is 0 or 1. */
static bool copy_check(uint8_t *dst, const uint8_t *src, unsigned n)
{
	if (n >= 8) {
		uint64_t a, b;
		memcpy(&a, src, 8);
		memcpy(&b, src + n - 8, 8);
		memcpy(dst, &a, 8);
		memcpy(dst + n - 8, &b, 8);
		const uint64_t two = 0x0202020202020202ull, high = 0x8080808080808080ull;
		return (((a - two) & ~a) | ((b - two) & ~b)) & high;
	}
	if (n >= 4) {
		uint32_t a, b;
		memcpy(&a, src, 4);
		memcpy(&b, src + n - 4, 4);
		memcpy(dst, &a, 4);
		memcpy(dst + n - 4, &b, 4);
		return (((a - 0x02020202u) & ~a) | ((b - 0x02020202u) & ~b)) & 0x80808080u;
	}
	bool low = false;
	for (unsigned i = 0; i < n; i++) {
		dst[i] = src[i];
		low |= src[i] <= 1;
	}
	return low;
}

/* The key from the labels' offsets: only the first 16 bytes are made. */
static struct zw_img_canon key_of(const uint8_t *rel, const uint8_t *off, unsigned n)
{
	uint8_t k[16 + 2 * ZW_LABEL_MAX + 1];
	unsigned pos = 0;

	memset(k, 0, 16);
	while (n-- > 0 && pos < 16) {
		const uint8_t *l = rel + off[n] + 1;
		unsigned len = l[-1], take = len < 16 - pos ? len : 16 - pos;
		bool low = copy_check(k + pos, l, take);
		if (low) {
			/* bytes 0 and 1 are escaped (rare): again, byte by byte */
			for (unsigned i = 0; i < take; i++) {
				if (l[i] > 1) {
					k[pos++] = l[i];
				} else {
					k[pos++] = 1;
					k[pos++] = (uint8_t)(l[i] + 1);
				}
			}
		} else {
			pos += take;
		}
		if (pos < 16)
			k[pos++] = 0; /* the label's end */
	}
	return (struct zw_img_canon){ .hi = zw_load_be64(k), .lo = zw_load_be64(k + 8) };
}

struct zw_img_canon zw_canon_key(const uint8_t *rel, unsigned rel_len)
{
	uint8_t off[128];

	return key_of(rel, off, split_labels(rel, rel_len, off));
}

void zw_canon_prepare(struct zw_canon_name *q, const uint8_t *rel, unsigned rel_len)
{
	q->rel = rel;
	q->rel_len = rel_len;
	q->nlabels = split_labels(rel, rel_len, q->off);
	q->key = key_of(rel, q->off, q->nlabels);
}

/* RFC 4034 6.1 order of two names below the same origin, both split. */
static int canon_cmp_split(const uint8_t *a, const uint8_t *ao, unsigned an, const uint8_t *b,
			   const uint8_t *bo, unsigned bn)
{
	while (an > 0 && bn > 0) {
		const uint8_t *la = a + ao[--an], *lb = b + bo[--bn];
		unsigned ll = la[0] < lb[0] ? la[0] : lb[0], i = 1;
		/* eight bytes at a time as big-endian numbers (the common
		 * labels of names in one subtree are compared again and
		 * again), the last word overlapping the one before */
		if (ll >= 8) {
			for (; i + 8 <= ll + 1; i += 8) {
				uint64_t x = zw_load_be64(la + i), y = zw_load_be64(lb + i);
				if (x != y)
					return x < y ? -1 : 1;
			}
			if (i <= ll) {
				uint64_t x = zw_load_be64(la + ll - 7),
					 y = zw_load_be64(lb + ll - 7);
				if (x != y)
					return x < y ? -1 : 1;
			}
		} else {
			for (; i <= ll; i++)
				if (la[i] != lb[i])
					return la[i] < lb[i] ? -1 : 1;
		}
		if (la[0] != lb[0])
			return la[0] < lb[0] ? -1 : 1;
	}
	return an == bn ? 0 : (an < bn ? -1 : 1);
}

int zw_image_canon_cmp(const struct zw_image *img, uint32_t i, const struct zw_canon_name *q)
{
	unsigned len;
	const uint8_t *nm = zw_node_rel(img, &img->nodes[i], &len);
	uint8_t off[128];
	unsigned n = split_labels(nm, len, off);

	return canon_cmp_split(nm, off, n, q->rel, q->off, q->nlabels);
}

uint32_t zw_image_canon_pred(const struct zw_image *img, const struct zw_canon_name *q,
			     uint32_t from)
{
	uint32_t n = img->hdr->node_count, lo, hi;

	if (from >= n)
		from = 0;
	lo = from;
	hi = n;
	if (img->canon != NULL) {
		/* the last key at or below q's: every node after it is after q,
		 * every node whose key is below q's is before q */
		const struct zw_img_canon *k = img->canon;
		/* the name is most often below a node with few descendants
		 * (from, its closest encloser), and they follow it: the next
		 * few keys, in the line of from's own, often bracket it */
		for (uint32_t step = 1; step <= 8 && from + step < hi; step *= 2) {
			if (zw_canon_cmp(k[from + step], q->key) > 0) {
				hi = from + step;
				break;
			}
			lo = from + step;
		}
		/* names spread over a large range fall roughly in proportion
		 * to their keys: the search starts where q's key falls between
		 * the ends and widens from there (a few steps in a few cache
		 * lines, where halving the range from the ends would miss the
		 * caches at every step), then halves what it has bracketed;
		 * k[lo] stays at or below q, k[hi] above it */
		if (hi - lo > 16 && k[hi - 1].hi > k[lo].hi) {
			uint64_t a = k[lo].hi, b = k[hi - 1].hi, x = q->key.hi;
			uint32_t g = x <= a   ? lo
				     : x >= b ? hi - 1
					      : lo + (uint32_t)((double)(x - a) / (double)(b - a) *
								(double)(hi - 1 - lo));
			uint32_t step = 1;
			if (g >= hi)
				g = hi - 1;
			if (zw_canon_cmp(k[g], q->key) <= 0) {
				lo = g > lo ? g : lo;
				for (;;) {
					uint64_t nx = (uint64_t)lo + step;
					if (nx >= hi)
						break;
					if (zw_canon_cmp(k[nx], q->key) > 0) {
						hi = (uint32_t)nx;
						break;
					}
					lo = (uint32_t)nx;
					step *= 2;
				}
			} else {
				hi = g > lo ? g : hi;
				for (;;) {
					if (hi - lo <= step)
						break;
					uint32_t nx = hi - step;
					if (zw_canon_cmp(k[nx], q->key) <= 0) {
						lo = nx;
						break;
					}
					hi = nx;
					step *= 2;
				}
			}
		}
		while (hi - lo > 1) {
			uint32_t mid = lo + (hi - lo) / 2;
			if (zw_canon_cmp(k[mid], q->key) <= 0)
				lo = mid;
			else
				hi = mid;
		}
		if (lo == from || zw_canon_cmp(k[lo], q->key) < 0)
			return lo;
		/* keys equal to q's from first to lo: names compared in full */
		uint32_t first = lo;
		if (zw_canon_cmp(k[lo - 1], q->key) == 0) {
			uint32_t a = from, b = lo;
			while (a < b) {
				uint32_t mid = a + (b - a) / 2;
				if (zw_canon_cmp(k[mid], q->key) < 0)
					a = mid + 1;
				else
					b = mid;
			}
			first = a;
		}
		hi = lo + 1;
		lo = first > from ? first - 1 : from;
	}
	/* the last node at or before q in [lo, hi), lo being at or before */
	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (zw_image_canon_cmp(img, mid, q) <= 0)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

struct sum_job {
	const uint8_t *base;
	size_t size;
	uint64_t sum;
};

/* XXH3-64 of the file with the checksum field read as zero. */
static void *sum_thread(void *arg)
{
	struct sum_job *j = arg;
	XXH3_state_t st;
	static const uint8_t zero[8];
	size_t co = offsetof(struct zw_img_header, checksum);

	XXH3_64bits_reset(&st);
	XXH3_64bits_update(&st, j->base, co);
	XXH3_64bits_update(&st, zero, 8);
	XXH3_64bits_update(&st, j->base + co + 8, j->size - co - 8);
	j->sum = XXH3_64bits_digest(&st);
	return NULL;
}

/* Where a record laid out to write (len octets, its header hsize octets at
 * the start of its place in a table of count places stride apart, at the
 * start of section sec of size octets) has its data: in its place, or,
 * far, at the offset stored there, after the table and inside the
 * section. NULL when it is neither. */
static const uint8_t *place_ok(const uint8_t *sec, uint64_t size, uint64_t count, uint64_t stride,
			       const void *hdr, size_t hsize, unsigned far, unsigned len)
{
	const uint8_t *d = (const uint8_t *)hdr + hsize;
	uint32_t off;

	if (!far)
		return hsize + len <= stride ? d : NULL;
	memcpy(&off, d, 4);
	if (off < count * stride || off > size || len > size - off)
		return NULL;
	return sec + off;
}

/*
 * The NSEC3 records ready to write: each in its place, its owner the
 * base32hex of its hash, then an NSEC3 RR and RRSIG RRs that fill its
 * length exactly, so that the answer path can copy it and set its
 * pointers without a check.
 */
static int verify_n3proofs(const uint8_t *base, const struct zw_img_header *hp,
			   const uint8_t *names, const struct zw_img_nsec3 *n3, const char **why)
{
	const struct zw_img_header h = *hp;
	const uint8_t *sec = base + h.sec[ZW_SEC_NSEC3PROOF].off;
	uint64_t size = h.sec[ZW_SEC_NSEC3PROOF].size, stride = h.nsec3_stride;

	if (stride == 0 || stride % 64 != 0 || stride > 4096 ||
	    size < (uint64_t)h.nsec3_count * stride)
		FAIL(ZW_EIMGCORRUPT, "NSEC3 records to write: bad stride or size");
	for (uint32_t i = 0; i < h.nsec3_count; i++) {
		const struct zw_img_n3proof *b = (const void *)(sec + (uint64_t)i * stride);
		unsigned len = b->len;
		if (b->far > 1 || b->rrs == 0 || len < ZW_N3PROOF_OWNER + 10)
			FAIL(ZW_EIMGCORRUPT, "NSEC3 record to write: bad header");
		const uint8_t *d =
			place_ok(sec, size, h.nsec3_count, stride, b, sizeof(*b), b->far, len);
		if (d == NULL)
			FAIL(ZW_EIMGBOUNDS, "NSEC3 record to write outside its place and section");
		char label[33];
		zw_base32hex(names + n3[i].hash_off + 1, ZW_SHA1_LEN, label);
		if (d[0] != 32 || memcmp(d + 1, label, 32) != 0)
			FAIL(ZW_EIMGCORRUPT, "NSEC3 record to write: owner is not its hash");
		/* the NSEC3 RR, then its signatures */
		unsigned o = ZW_N3PROOF_OWNER - 2;
		for (unsigned k = 0; k < b->rrs; k++) {
			if (len - o < 12)
				FAIL(ZW_EIMGCORRUPT, "NSEC3 record to write: truncated RR");
			unsigned type = (unsigned)d[o + 2] << 8 | d[o + 3];
			unsigned rdlen = (unsigned)d[o + 10] << 8 | d[o + 11];
			if (type != (k == 0 ? ZW_T_NSEC3 : ZW_T_RRSIG) || rdlen > len - o - 12)
				FAIL(ZW_EIMGCORRUPT, "NSEC3 record to write: bad RR");
			o += 12 + rdlen;
		}
		if (o != len)
			FAIL(ZW_EIMGCORRUPT,
			     "NSEC3 record to write: length does not match its RRs");
	}
	return 0;
}

/*
 * The NSEC records ready to write (NSEC zones, optional): a place per node;
 * where one is not empty, its owner is its node's name, and an NSEC RR
 * then RRSIG RRs fill its length exactly, so that the answer path can
 * copy it and set its pointers without a check.
 */
static int verify_nsecproofs(const uint8_t *base, const struct zw_img_header *hp,
			     const uint8_t *names, const struct zw_img_node *nodes,
			     const char **why)
{
	const struct zw_img_header h = *hp;
	const uint8_t *sec = base + h.sec[ZW_SEC_NSECPROOF].off;
	uint64_t size = h.sec[ZW_SEC_NSECPROOF].size, stride = h.nsec_stride;

	if (!(h.flags & ZW_IMGF_NSEC) || (h.flags & ZW_IMGF_NSEC3))
		FAIL(ZW_EIMGCORRUPT, "NSEC records to write in a zone without NSEC");
	if (stride == 0 || stride % 64 != 0 || stride > 4096 ||
	    size < (uint64_t)h.node_count * stride)
		FAIL(ZW_EIMGCORRUPT, "NSEC records to write: bad stride or size");
	for (uint32_t i = 0; i < h.node_count; i++) {
		const struct zw_img_nsecproof *b = (const void *)(sec + (uint64_t)i * stride);
		unsigned len = b->len, rel = b->rel;
		if (len == 0) {
			if (b->nsec_len != 0 || rel != 0 || b->rrs != 0 || b->far != 0)
				FAIL(ZW_EIMGCORRUPT, "NSEC record to write: bad empty place");
			continue;
		}
		if (b->far > 1 || b->rrs == 0 || b->nsec_len < 12 || rel + b->nsec_len > len)
			FAIL(ZW_EIMGCORRUPT, "NSEC record to write: bad header");
		const uint8_t *d =
			place_ok(sec, size, h.node_count, stride, b, sizeof(*b), b->far, len);
		if (d == NULL)
			FAIL(ZW_EIMGBOUNDS, "NSEC record to write outside its place and section");
		/* the owner: its node's labels (names were checked before) */
		const uint8_t *nm = names + nodes[i].name_off;
		if ((nodes[i].flags & ZW_NODE_GLUE) || nm[0] != rel || memcmp(nm + 1, d, rel) != 0)
			FAIL(ZW_EIMGCORRUPT, "NSEC record to write: owner is not its node");
		/* the NSEC RR, then its signatures */
		unsigned o = rel;
		for (unsigned k = 0; k < b->rrs; k++) {
			if (len - o < 12)
				FAIL(ZW_EIMGCORRUPT, "NSEC record to write: truncated RR");
			unsigned type = (unsigned)d[o + 2] << 8 | d[o + 3];
			unsigned rdlen = (unsigned)d[o + 10] << 8 | d[o + 11];
			if (type != (k == 0 ? ZW_T_NSEC : ZW_T_RRSIG) || rdlen > len - o - 12 ||
			    (k == 0 && 12 + rdlen != b->nsec_len))
				FAIL(ZW_EIMGCORRUPT, "NSEC record to write: bad RR");
			o += 12 + rdlen;
		}
		if (o != len)
			FAIL(ZW_EIMGCORRUPT, "NSEC record to write: length does not match its RRs");
	}
	return 0;
}

/* Checks everything but the checksum; the header was checked already. */
static int verify_structure(const uint8_t *base, size_t size, const struct zw_img_header *hp,
			    const char **why)
{
	const struct zw_img_header h = *hp;

	for (int i = 0; i < ZW_SEC_COUNT; i++)
		if (!sec_ok(&h, i, size))
			FAIL(ZW_EIMGBOUNDS, "a section lies outside the file");
	if (h.node_count == 0 || h.node_count >= ZW_NONE)
		FAIL(ZW_EIMGCORRUPT, "no nodes");
	if (h.sec[ZW_SEC_NODES].size != (uint64_t)h.node_count * sizeof(struct zw_img_node) ||
	    h.sec[ZW_SEC_RRSETS].size != (uint64_t)h.rrset_count * sizeof(struct zw_img_rrset) ||
	    h.sec[ZW_SEC_NSEC3].size != (uint64_t)h.nsec3_count * sizeof(struct zw_img_nsec3))
		FAIL(ZW_EIMGCORRUPT, "section size does not match its count");
	if (h.hash_size == 0 || (h.hash_size & (h.hash_size - 1)) != 0 ||
	    h.hash_size <= h.node_count ||
	    h.sec[ZW_SEC_HASH].size != (uint64_t)h.hash_size * sizeof(struct zw_img_slot))
		FAIL(ZW_EIMGCORRUPT, "bad hash table size");
	if (h.sec[ZW_SEC_CHUNKS].size >= ZW_NONE || h.sec[ZW_SEC_NAMES].size >= ZW_NONE)
		FAIL(ZW_EIMGCORRUPT, "section too large");
	if (zw_name_len(h.origin, h.origin_len) != h.origin_len)
		FAIL(ZW_EIMGCORRUPT, "bad zone name");

	const uint8_t *names = base + h.sec[ZW_SEC_NAMES].off;
	size_t nsize = h.sec[ZW_SEC_NAMES].size;
	const struct zw_img_node *nodes = (const void *)(base + h.sec[ZW_SEC_NODES].off);
	const struct zw_img_slot *hash = (const void *)(base + h.sec[ZW_SEC_HASH].off);
	const struct zw_img_rrset *sets = (const void *)(base + h.sec[ZW_SEC_RRSETS].off);
	const uint8_t *chunks = base + h.sec[ZW_SEC_CHUNKS].off;
	size_t csize = h.sec[ZW_SEC_CHUNKS].size;

	/* canonical keys (NSEC zones): each node's own, so never decreasing */
	const struct zw_img_canon *keys = NULL;
	if (h.sec[ZW_SEC_CANON].size != 0) {
		if (h.sec[ZW_SEC_CANON].size !=
		    (uint64_t)h.node_count * sizeof(struct zw_img_canon))
			FAIL(ZW_EIMGCORRUPT, "canonical keys: size does not match the node count");
		keys = (const void *)(base + h.sec[ZW_SEC_CANON].off);
	}

	for (uint32_t i = 0; i < h.node_count; i++) {
		const struct zw_img_node *n = &nodes[i];
		if (n->name_off >= nsize)
			FAIL(ZW_EIMGBOUNDS, "node name outside the names section");
		unsigned len = names[n->name_off];
		if (len > nsize - n->name_off - 1 || len + h.origin_len > 255)
			FAIL(ZW_EIMGBOUNDS, "node name outside the names section");
		const uint8_t *nm = names + n->name_off + 1;
		uint8_t off[128];
		unsigned nl = 0;
		for (unsigned p = 0; p < len; p += 1u + nm[p]) {
			if (nm[p] == 0 || nm[p] > 63 || nm[p] >= len - p)
				FAIL(ZW_EIMGCORRUPT, "malformed node name");
			off[nl++] = (uint8_t)p; /* labels of 2 bytes at least: 127 */
		}
		if (keys != NULL) {
			struct zw_img_canon want = key_of(nm, off, nl);
			if (keys[i].hi != want.hi || keys[i].lo != want.lo)
				FAIL(ZW_EIMGCORRUPT,
				     "canonical key does not match its node's name");
			if (i > 0 && zw_canon_cmp(keys[i - 1], keys[i]) > 0)
				FAIL(ZW_EIMGCORRUPT, "nodes out of canonical order");
		}
		if ((i == 0) != (len == 0) || (i == 0) != ((n->flags & ZW_NODE_APEX) != 0))
			FAIL(ZW_EIMGCORRUPT, "the apex must be the first node and only it");
		if ((n->flags & ZW_NODE_HAS_WILD) && (n->aux <= i || n->aux >= h.node_count))
			FAIL(ZW_EIMGCORRUPT, "bad wildcard link");
		if ((n->flags & ZW_NODE_GLUE) && (n->aux >= i || (n->flags & ZW_NODE_HAS_WILD)))
			FAIL(ZW_EIMGCORRUPT, "bad cut link");
		if ((n->flags & ZW_NODE_GLUE) && !(nodes[n->aux].flags & ZW_NODE_DELEG))
			FAIL(ZW_EIMGCORRUPT, "cut link to a node that is not a delegation");
		if (n->rrset_count == 0) {
			if (n->rrset_first != ZW_NONE)
				FAIL(ZW_EIMGCORRUPT, "bad RRset range");
		} else if (n->rrset_first >= h.rrset_count ||
			   n->rrset_count > h.rrset_count - n->rrset_first) {
			FAIL(ZW_EIMGBOUNDS, "RRset range outside the RRset table");
		}
	}
	/* every node in the table exactly once, so every name can be found
	 * and every probe ends at a free slot */
	uint32_t used = 0;
	uint64_t *seen = calloc((h.node_count + 63) / 64, sizeof(*seen));
	if (seen == NULL)
		FAIL(-ENOMEM, "out of memory");
	for (uint32_t i = 0; i < h.hash_size; i++) {
		uint32_t v = hash[i].node;
		if (v == 0)
			continue;
		if (v > h.node_count || (seen[(v - 1) / 64] & (1ull << ((v - 1) % 64)))) {
			free(seen);
			FAIL(v > h.node_count ? ZW_EIMGBOUNDS : ZW_EIMGCORRUPT,
			     "hash slot outside the node table, or a node indexed twice");
		}
		if (hash[i].hash != nodes[v - 1].hash) {
			free(seen);
			FAIL(ZW_EIMGCORRUPT, "hash slot and its node disagree on the hash");
		}
		seen[(v - 1) / 64] |= 1ull << ((v - 1) % 64);
		used++;
	}
	free(seen);
	if (used != h.node_count)
		FAIL(ZW_EIMGCORRUPT, "hash table does not index every node once");
	/* RRsets may share chunks (a hostile image can make them all share
	 * one): each chunk and list is checked once, so verification stays
	 * linear in the image size */
	size_t words = csize / 4 / 64 + 1;
	uint64_t *seen_chunk = calloc(words, sizeof(uint64_t));
	uint64_t *seen_extra = calloc(words, sizeof(uint64_t));
	const char *bad = NULL;
	if (seen_chunk == NULL || seen_extra == NULL) {
		free(seen_chunk);
		free(seen_extra);
		FAIL(-ENOMEM, "out of memory");
	}
/* off must be below csize and 4-aligned */
#define ONCE(map, off) (!((map)[(off) / 256] & (1ull << ((off) / 4 % 64))))
#define MARK(map, off) ((map)[(off) / 256] |= 1ull << ((off) / 4 % 64))
	for (uint32_t i = 0; i < h.rrset_count && bad == NULL; i++) {
		const struct zw_img_rrset *s = &sets[i];
		bool first = s->chunk % 4 == 0 && s->chunk < csize && ONCE(seen_chunk, s->chunk);
		if (first && !chunk_ok(chunks, csize, s->chunk)) {
			bad = "bad RRset chunk";
			break;
		}
		if (s->chunk % 4 != 0 || s->chunk >= csize) {
			bad = "bad RRset chunk";
			break;
		}
		/* not first: the same offset passed chunk_ok() already */
		const struct zw_img_chunk *c = (const void *)(chunks + s->chunk);
		if (c->flags != s->flags) {
			bad = "RRset flags differ from its chunk's";
			break;
		}
		/* names in NSEC and RRSIG data are never compressed (RFC 4034
		 * 4.1.1, 3.1.7): denials copy those chunks as they are */
		if (s->type == ZW_T_NSEC && c->nreloc != 0) {
			bad = "NSEC chunk with relocations";
			break;
		}
		if (!first)
			continue;
		MARK(seen_chunk, s->chunk);
		uint32_t sig = zw_chunk_sigs(c);
		const struct zw_img_chunk *sc =
			sig != ZW_NONE ? (const void *)(chunks + sig) : NULL;
		if (sc != NULL && !chunk_ok(chunks, csize, sig))
			bad = "bad signature chunk";
		else if (sc != NULL && sc->flags)
			bad = "signature chunk with a trailer";
		else if (sc != NULL && sc->nreloc != 0)
			bad = "signature chunk with relocations";
	}
	/* lists last: they name other RRsets, whose chunks are checked now */
	for (uint32_t i = 0; i < h.rrset_count && bad == NULL; i++) {
		uint32_t x = zw_chunk_extra((const void *)(chunks + sets[i].chunk));
		if (x == ZW_NONE)
			continue;
		if (x % 4 != 0 || x >= csize) {
			bad = "bad additional-data list";
			break;
		}
		if (!ONCE(seen_extra, x))
			continue;
		MARK(seen_extra, x);
		if (!extra_ok(chunks, csize, x, sets, h.rrset_count))
			bad = "bad additional-data list";
	}
#undef ONCE
#undef MARK
	free(seen_chunk);
	free(seen_extra);
	if (bad != NULL)
		FAIL(ZW_EIMGCORRUPT, bad);
	if (h.soa_rrset >= h.rrset_count || sets[h.soa_rrset].type != 6)
		FAIL(ZW_EIMGCORRUPT, "no SOA RRset");
	if (!chunk_ok(chunks, csize, h.neg_soa_chunk) ||
	    ((const struct zw_img_chunk *)(const void *)(chunks + h.neg_soa_chunk))->flags != 0)
		FAIL(ZW_EIMGCORRUPT, "bad negative-answer SOA chunk");
	const struct zw_img_nsec3 *n3 = (const void *)(base + h.sec[ZW_SEC_NSEC3].off);
	for (uint32_t i = 0; i < h.nsec3_count; i++) {
		if (n3[i].hash_off >= nsize || names[n3[i].hash_off] != 20 ||
		    nsize - n3[i].hash_off - 1 < 20)
			FAIL(ZW_EIMGBOUNDS, "NSEC3 hash outside the names section");
		if (n3[i].rrset >= h.rrset_count || sets[n3[i].rrset].type != 50)
			FAIL(ZW_EIMGBOUNDS, "NSEC3 RRset outside the RRset table");
		/* hash order, which the proofs' binary searches rely on */
		if (i > 0 &&
		    memcmp(names + n3[i - 1].hash_off + 1, names + n3[i].hash_off + 1, 20) >= 0)
			FAIL(ZW_EIMGCORRUPT, "NSEC3 records out of hash order");
	}
	if (h.sec[ZW_SEC_NSEC3MAP].size != 0) {
		if (h.sec[ZW_SEC_NSEC3MAP].size != (uint64_t)h.node_count * 4 || h.nsec3_count == 0)
			FAIL(ZW_EIMGCORRUPT, "NSEC3 map size does not match the node count");
		const uint32_t *map = (const void *)(base + h.sec[ZW_SEC_NSEC3MAP].off);
		for (uint32_t i = 0; i < h.node_count; i++)
			if (map[i] != ZW_NONE && map[i] >= h.nsec3_count)
				FAIL(ZW_EIMGBOUNDS, "NSEC3 map entry outside the NSEC3 table");
	}
	/* wildcard denials: nodes in NSEC zones, NSEC3 records in NSEC3 zones */
	if (h.sec[ZW_SEC_WILDCOVER].size != 0) {
		if (h.sec[ZW_SEC_WILDCOVER].size != (uint64_t)h.node_count * 4)
			FAIL(ZW_EIMGCORRUPT,
			     "wildcard denials: size does not match the node count");
		const uint32_t *wc = (const void *)(base + h.sec[ZW_SEC_WILDCOVER].off);
		uint32_t lim = (h.flags & ZW_IMGF_NSEC3) ? h.nsec3_count : h.node_count;
		for (uint32_t i = 0; i < h.node_count; i++)
			if (wc[i] != ZW_NONE && wc[i] >= lim)
				FAIL(ZW_EIMGBOUNDS, "wildcard denial outside its table");
	}
	/* NSEC3 search keys: the hashes' first 8 bytes (so in order too) */
	if (h.sec[ZW_SEC_NSEC3KEYS].size != 0) {
		if (h.sec[ZW_SEC_NSEC3KEYS].size != (uint64_t)h.nsec3_count * 8)
			FAIL(ZW_EIMGCORRUPT, "NSEC3 keys: size does not match the count");
		const uint64_t *k = (const void *)(base + h.sec[ZW_SEC_NSEC3KEYS].off);
		for (uint32_t i = 0; i < h.nsec3_count; i++)
			if (k[i] != zw_load_be64(names + n3[i].hash_off + 1))
				FAIL(ZW_EIMGCORRUPT, "NSEC3 key does not match its hash");
	}
	/* NSEC3 records ready to write: every record of a chain has one */
	if ((h.sec[ZW_SEC_NSEC3PROOF].size != 0) !=
	    (h.nsec3_count != 0 && (h.flags & ZW_IMGF_NSEC3)))
		FAIL(ZW_EIMGCORRUPT, "NSEC3 records to write missing, or without a chain");
	if (h.sec[ZW_SEC_NSEC3PROOF].size != 0) {
		int rc = verify_n3proofs(base, &h, names, n3, why);
		if (rc != 0)
			return rc;
	}
	if (h.sec[ZW_SEC_NSECPROOF].size != 0) {
		int rc = verify_nsecproofs(base, &h, names, nodes, why);
		if (rc != 0)
			return rc;
	} else if (h.nsec_stride != 0) {
		FAIL(ZW_EIMGCORRUPT, "NSEC records to write: a stride without records");
	}

	return 0;
}

int zw_image_verify(const void *buf, size_t size, const char **why)
{
	const uint8_t *base = buf;
	struct zw_img_header h;

	if (size < sizeof(h))
		FAIL(ZW_EIMGTRUNC, "file shorter than the image header");
	memcpy(&h, base, sizeof(h));
	if (memcmp(h.magic, ZW_IMG_MAGIC, 8) != 0)
		FAIL(ZW_EIMGMAGIC, "bad magic: not a zone image");
	if (h.version != ZW_IMG_VERSION)
		FAIL(ZW_EIMGVER, "unsupported format version");
	if (h.header_size != sizeof(h))
		FAIL(ZW_EIMGCORRUPT, "header size does not match the format version");
	if (h.endian != 0x01020304)
		FAIL(ZW_EIMGVER, "image written with another byte order");
	if (h.file_size != size)
		FAIL(size < h.file_size ? ZW_EIMGTRUNC : ZW_EIMGCORRUPT,
		     "file size differs from the size in the header");
	/* The checksum (a pass over the whole file) runs on a second thread
	 * while this one checks the structure, for large images; a checksum
	 * mismatch is reported first either way. */
	struct sum_job job = { .base = base, .size = size };
	pthread_t th;
	bool threaded = size >= (4u << 20) && pthread_create(&th, NULL, sum_thread, &job) == 0;
	if (!threaded)
		sum_thread(&job);
	const char *swhy = NULL;
	int rc = verify_structure(base, size, &h, &swhy);
	if (threaded)
		pthread_join(th, NULL);
	if (job.sum != h.checksum)
		FAIL(ZW_EIMGSUM, "checksum mismatch: the image is corrupted");
	if (rc != 0 && why != NULL)
		*why = swhy;
	return rc;
}

static void fill(struct zw_image *img)
{
	const struct zw_img_header *h = (const void *)img->base;

	img->hdr = h;
	img->names = img->base + h->sec[ZW_SEC_NAMES].off;
	img->nodes = (const void *)(img->base + h->sec[ZW_SEC_NODES].off);
	img->hash = (const void *)(img->base + h->sec[ZW_SEC_HASH].off);
	img->rrsets = (const void *)(img->base + h->sec[ZW_SEC_RRSETS].off);
	img->chunks = img->base + h->sec[ZW_SEC_CHUNKS].off;
	img->chunks_size = h->sec[ZW_SEC_CHUNKS].size;
	img->nsec3 = (const void *)(img->base + h->sec[ZW_SEC_NSEC3].off);
	img->nsec3_map = h->sec[ZW_SEC_NSEC3MAP].size
				 ? (const void *)(img->base + h->sec[ZW_SEC_NSEC3MAP].off)
				 : NULL;
	img->canon = h->sec[ZW_SEC_CANON].size
			     ? (const void *)(img->base + h->sec[ZW_SEC_CANON].off)
			     : NULL;
	img->wild_cover = h->sec[ZW_SEC_WILDCOVER].size
				  ? (const void *)(img->base + h->sec[ZW_SEC_WILDCOVER].off)
				  : NULL;
	img->nsec3_keys = h->sec[ZW_SEC_NSEC3KEYS].size
				  ? (const void *)(img->base + h->sec[ZW_SEC_NSEC3KEYS].off)
				  : NULL;
	img->nsec3_proof =
		h->sec[ZW_SEC_NSEC3PROOF].size ? img->base + h->sec[ZW_SEC_NSEC3PROOF].off : NULL;
	img->nsec_proof =
		h->sec[ZW_SEC_NSECPROOF].size ? img->base + h->sec[ZW_SEC_NSECPROOF].off : NULL;
}

/*
 * NSEC3 zones: an index of NSEC3KEYS by the keys' top bits, two to four
 * records a range. The hashes are uniform, so a guess from the key's value
 * lands near the record, but only within about sqrt(n) records: at 100,000
 * records that is dozens of cache lines, each a miss, to widen and halve
 * over. Through the index a search reads one line of it and one or two of
 * the keys. Built here rather than compiled, as it is derived from the keys
 * in one pass; without memory for it the search works without it.
 */
#define N3_INDEX_MIN 64 /* records; below this the keys fit in a few lines */

static void index_nsec3(struct zw_image *img)
{
	uint32_t n = img->hdr->nsec3_count;

	if (img->nsec3_keys == NULL || n < N3_INDEX_MIN)
		return;
	unsigned bits = 63u - (unsigned)__builtin_clzll(n) - 1u; /* 2^bits in (n/4, n/2] */
	uint32_t nb = 1u << bits, i = 0;
	uint32_t *idx = malloc(((size_t)nb + 1) * sizeof(*idx));
	if (idx == NULL)
		return;
	for (uint32_t b = 0; b < nb; b++) {
		while (i < n && (img->nsec3_keys[i] >> (64 - bits)) < b)
			i++;
		idx[b] = i;
	}
	idx[nb] = n;
	img->nsec3_idx = idx;
	img->nsec3_idx_shift = 64 - bits;
}

/*
 * The nodes' records (struct zw_img_nrec), in memory advised for huge
 * pages: a lookup reads one record at random among a million, and in 4 KiB
 * pages each of those reads would also walk the page tables (the answer
 * engine's benchmark: docs/benchmarks.md). Only records that fill a huge
 * page at least are rounded up to whole huge pages: a small zone's take
 * 4 KiB pages, so that a server of many small zones does not hold 2 MiB
 * for each. Without memory for them, lookups read the nodes themselves.
 */
#define NREC_ALIGN (2u << 20)
#define NREC_PAGE  4096u

/* Whether the name b (labels below the origin, blen octets) is below the
 * name a (alen octets): a's labels end it, after whole labels of its own. */
static bool rel_below(const uint8_t *a, unsigned alen, const uint8_t *b, unsigned blen)
{
	return blen > alen && zw_labels_end_with_len(b, blen, alen) &&
	       memcmp(b + blen - alen, a, alen) == 0;
}

static void index_nodes(struct zw_image *img)
{
	uint32_t n = img->hdr->node_count;
	size_t need = (size_t)n * sizeof(struct zw_img_nrec);
	bool huge = need >= NREC_ALIGN;
	size_t unit = huge ? NREC_ALIGN : NREC_PAGE;
	size_t size = (need + unit - 1) & ~(unit - 1);

	if (n == 0)
		return;
	/* anonymous memory comes zeroed: padding and unused bytes are 0 */
	struct zw_img_nrec *rec =
		mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (rec == MAP_FAILED)
		return;
	if (huge)
		(void)madvise(rec, size, MADV_HUGEPAGE); /* a hint: 4 KiB pages work too */
	for (uint32_t i = 0; i < n; i++) {
		const struct zw_img_node *nd = &img->nodes[i];
		const uint8_t *nm = img->names + nd->name_off;
		struct zw_img_nrec *r = &rec[i];
		unsigned at = (nm[0] + 3u) & ~3u, count = nd->rrset_count;
		/* its descendants would follow it (canonical order) */
		const uint8_t *after = i + 1 < n ? img->names + nd[1].name_off : NULL;
		bool leaf = after == NULL || !rel_below(nm + 1, nm[0], after + 1, after[0]);
		r->flags = (uint16_t)((nd->flags & ~(ZW_NREC_LEAF | ZW_NREC_NO_NSEC)) |
				      (leaf ? ZW_NREC_LEAF : 0));
		r->aux = nd->aux;
		r->name_len = nm[0];
		/* the name where it fits, even without the entries (a missing
		 * name's parent needs only its name and flags); then the
		 * entries, and one whose chunk bounds the last one's group;
		 * where they do not fit, the NSEC's left out if that is enough */
		if (nm[0] <= ZW_NREC_NAME_MAX)
			memcpy(r->data, nm + 1, nm[0]);
		const struct zw_img_rrset *list = &img->rrsets[nd->rrset_first];
		unsigned skip = count;
		if (at + (count + 1u) * sizeof(struct zw_img_rrset) > sizeof(r->data)) {
			for (unsigned k = 0; k < count && skip == count; k++)
				if (list[k].type == ZW_T_NSEC)
					skip = k;
			if (skip == count ||
			    at + count * sizeof(struct zw_img_rrset) > sizeof(r->data)) {
				r->nsets = ZW_NREC_FAR;
				continue;
			}
			r->flags |= ZW_NREC_NO_NSEC;
		}
		if (count == 0) {
			r->nsets = 0;
			continue;
		}
		struct zw_img_rrset *c = (struct zw_img_rrset *)(void *)(r->data + at);
		unsigned kept = 0;
		for (unsigned k = 0; k < count; k++)
			if (k != skip)
				c[kept++] = list[k];
		r->nsets = (uint8_t)kept;
		/* the entry after the last kept one in the list bounds its group */
		uint32_t next = nd->rrset_first + (skip == count - 1 ? count - 1 : count);
		c[kept].type = 0;
		c[kept].flags = 0;
		c[kept].chunk = next < img->hdr->rrset_count ? img->rrsets[next].chunk : 0;
	}
	img->nrec = rec;
	img->nrec_size = size;
}

int zw_image_from_buffer(void *buf, size_t size, struct zw_image **out, const char **why)
{
	int rc;

	*out = NULL;
	if (((uintptr_t)buf & 7) != 0)
		FAIL(-EINVAL, "buffer is not 8-byte aligned");
	if ((rc = zw_image_verify(buf, size, why)) != 0)
		return rc;
	struct zw_image *img = calloc(1, sizeof(*img));
	if (img == NULL)
		return -ENOMEM;
	img->base = buf;
	img->size = size;
	fill(img);
	index_nsec3(img);
	index_nodes(img);
	*out = img;
	return 0;
}

int zw_image_open(const char *path, struct zw_image **out, const char **why)
{
	struct stat st;
	int fd, rc;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		FAIL(-errno, "cannot open the file");
	if (fstat(fd, &st) != 0) {
		rc = -errno;
		close(fd);
		FAIL(rc, "cannot stat the file");
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		FAIL(-EINVAL, "not a regular file");
	}
	if ((size_t)st.st_size < sizeof(struct zw_img_header)) {
		close(fd);
		FAIL(ZW_EIMGTRUNC, "file shorter than the image header");
	}
	void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
	rc = -errno;
	close(fd);
	if (p == MAP_FAILED)
		FAIL(rc, "cannot map the file");
	if ((rc = zw_image_verify(p, (size_t)st.st_size, why)) != 0) {
		munmap(p, (size_t)st.st_size);
		return rc;
	}
	struct zw_image *img = calloc(1, sizeof(*img));
	if (img == NULL || (img->path = strdup(path)) == NULL) {
		free(img);
		munmap(p, (size_t)st.st_size);
		return -ENOMEM;
	}
	img->base = p;
	img->size = (size_t)st.st_size;
	img->mapped = true;
	fill(img);
	index_nsec3(img);
	index_nodes(img);
	*out = img;
	return 0;
}

void zw_image_pin(struct zw_image *img)
{
	img->pins++;
}

void zw_image_unpin(struct zw_image *img)
{
	if (img->pins > 0 && --img->pins == 0 && img->closing) {
		img->closing = false;
		zw_image_close(img);
	}
}

void zw_image_close(struct zw_image *img)
{
	if (img == NULL)
		return;
	if (img->pins > 0) {
		img->closing = true;
		return;
	}
	if (img->mapped)
		munmap((void *)img->base, img->size);
	else
		free((void *)img->base);
	free(img->nsec3_idx);
	if (img->nrec != NULL)
		munmap(img->nrec, img->nrec_size);
	free(img->path);
	free(img);
}

const struct zw_img_rrset *zw_image_rrset(const struct zw_image *img, const struct zw_img_node *n,
					  uint16_t type)
{
	const struct zw_img_nrec *r = zw_node_full_rec(img, n);

	if (r != NULL && type == ZW_T_NSEC && (r->flags & ZW_NREC_NO_NSEC))
		r = NULL; /* left out of the record: in the list */
	const struct zw_img_rrset *s = r != NULL	? zw_nrec_sets(r)
				       : n->rrset_count ? img->rrsets + n->rrset_first
							: img->rrsets;
	unsigned count = r != NULL ? r->nsets : n->rrset_count;

	for (unsigned i = 0; i < count; i++)
		if (s[i].type == type)
			return &s[i];
	return NULL;
}

const struct zw_img_node *zw_image_find(const struct zw_image *img, const uint8_t *rel,
					unsigned rel_len, uint32_t hash)
{
	uint32_t mask = img->hdr->hash_size - 1, h = hash & mask;

	for (;;) {
		const struct zw_img_slot *s = &img->hash[h];
		if (s->node == 0)
			return NULL;
		if (s->hash == hash &&
		    zw_image_node_is(img, &img->nodes[s->node - 1], rel, rel_len))
			return &img->nodes[s->node - 1];
		h = (h + 1) & mask;
	}
}

const struct zw_img_node *zw_image_find_name(const struct zw_image *img, const uint8_t *lname,
					     unsigned len)
{
	unsigned olen = img->hdr->origin_len;

	if (!zw_name_is_sub(lname, len, img->hdr->origin, olen))
		return NULL;
	return zw_image_find(img, lname, len - olen, zw_name_hash(lname, len - olen));
}

unsigned zw_image_node_name(const struct zw_image *img, const struct zw_img_node *n, uint8_t *buf)
{
	unsigned rel, olen = img->hdr->origin_len;
	const uint8_t *nm = zw_node_rel(img, n, &rel);

	memcpy(buf, nm, rel);
	memcpy(buf + rel, img->hdr->origin, olen);
	return rel + olen;
}
