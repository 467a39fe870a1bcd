/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The zone image: one zone, compiled, in one position-independent file.
 *
 * Design note. The image is the artifact operators push to every site and
 * the structure the answer path reads on every query, so it is laid out for
 * the query, not for the compiler:
 *
 *  - Every reference is an offset or an index, never a pointer, so the file
 *    is used as mapped, read-only, with no unpacking.
 *  - Nodes (one per owner name, plus every empty non-terminal) are stored in
 *    RFC 4034 canonical order, so a node's index is its canonical rank: the
 *    NSEC predecessor of a name is a binary search, a dump is a walk, and a
 *    node's ancestors always have smaller indices than the node itself,
 *    which is what lets the reader check the links in one pass.
 *  - A hash index of lower-cased owner names finds a node in one probe;
 *    closest-encloser search strips labels from the left.
 *  - Each RRset is stored only once, as a *chunk*: the wire bytes of its RRs
 *    as they go into a response, with names already compressed, plus the
 *    few relocations whose pointer value depends on where the chunk lands
 *    (see struct zw_img_chunk). The answer path copies a chunk and patches
 *    its relocations; it never encodes a name.
 *  - An RRset whose data names in-zone hosts (NS, MX, SRV) has a list of
 *    the A/AAAA RRsets that go in the additional section, each with the
 *    pointer its owners take and a mark on the glue that is required
 *    (RFC 9471); truncation is a walk over that list.
 *  - Signatures have their own chunk per RRset; NSEC3 records have their own
 *    sorted section; what proofs of non-existence need beyond the records
 *    (canonical keys, the denial of each node's wildcard, NSEC3 search
 *    keys and owner labels) has sections of its own, present only in
 *    signed zones.
 *
 * All integers are little-endian (the host order of every platform we run
 * on; the reader refuses images whose header says otherwise). Every section
 * is 8-byte aligned. The checksum (XXH3-64) covers the whole file with the
 * checksum field read as zero.
 *
 * Opening an image never trusts it: zw_image_open() verifies sizes, bounds,
 * the checksum and the structural invariants the answer path relies on
 * before it returns, so code that reads a verified image needs no further
 * bounds checks on offsets (it still checks what it writes into a packet).
 */
#ifndef ZW_IMAGE_H
#define ZW_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "name.h"

#define ZW_IMG_MAGIC   "ZWZIMG\r\n"
#define ZW_IMG_VERSION 3
#define ZW_NONE	       UINT32_MAX

enum zw_img_section_id {
	ZW_SEC_NAMES = 0,  /* lower-cased wire names of the nodes */
	ZW_SEC_NODES,	   /* struct zw_img_node[node_count], canonical order */
	ZW_SEC_HASH,	   /* struct zw_img_slot[hash_size] */
	ZW_SEC_RRSETS,	   /* struct zw_img_rrset[rrset_count], grouped by node */
	ZW_SEC_CHUNKS,	   /* chunks (struct zw_img_chunk + data), 4-aligned;
			    * the section starts on a 64-octet line */
	ZW_SEC_NSEC3,	   /* struct zw_img_nsec3[nsec3_count], hash order */
	ZW_SEC_NSEC3MAP,   /* uint32_t[node_count]: the NSEC3 matching each
			   * node, or ZW_NONE; empty unless NSEC3 */
	ZW_SEC_CANON,	   /* struct zw_img_canon[node_count]: each node's
			   * canonical key; empty unless NSEC */
	ZW_SEC_WILDCOVER,  /* uint32_t[node_count]: the record that denies the
			   * wildcard below each node, or ZW_NONE; empty
			   * unless NSEC or NSEC3 (see struct zw_img_canon) */
	ZW_SEC_NSEC3PROOF, /* each NSEC3 record with its signatures, ready
			    * to write (struct zw_img_n3proof), nsec3_stride
			    * octets apart, 64-aligned; empty unless NSEC3 */
	ZW_SEC_NSEC3KEYS,  /* uint64_t[nsec3_count]: the first 8 bytes of each
			   * NSEC3 hash as a big-endian number, for the
			   * search; empty unless NSEC3 */
	ZW_SEC_NSECPROOF,  /* each node's NSEC with its signatures, ready to
			    * write (struct zw_img_nsecproof), nsec_stride
			    * octets apart, 64-aligned; empty unless NSEC
			    * (optional: images without it are answered
			    * from the nodes' RRsets) */
	ZW_SEC_COUNT = 12
};

struct zw_img_section {
	uint64_t off;
	uint64_t size;
};

enum zw_img_flags {
	ZW_IMGF_SIGNED = 1 << 0, /* zone has DNSKEY and RRSIGs */
	ZW_IMGF_NSEC = 1 << 1,
	ZW_IMGF_NSEC3 = 1 << 2,
};

struct zw_img_header {
	uint8_t magic[8];
	uint32_t version;
	uint32_t header_size; /* sizeof(struct zw_img_header) */
	uint64_t file_size;
	uint64_t checksum; /* XXH3-64 of the file, this field as zero */
	uint32_t endian;   /* 0x01020304 as written by the host */
	uint32_t flags;	   /* enum zw_img_flags */
	uint32_t serial;
	uint32_t neg_ttl; /* RFC 2308: min(SOA TTL, SOA MINIMUM) */
	uint32_t node_count;
	uint32_t rrset_count;
	uint32_t rr_count;
	uint32_t hash_size; /* power of two */
	uint32_t deleg_count;
	uint32_t glue_count; /* nodes below a cut kept as glue */
	uint32_t ent_count;
	uint32_t wildcard_count;
	uint32_t nsec3_count;
	uint32_t soa_rrset;	/* index of the apex SOA RRset */
	uint32_t neg_soa_chunk; /* offset in CHUNKS: the SOA with neg_ttl */
	uint32_t apex_node;	/* always 0 */
	uint32_t nsec3_stride;	/* NSEC3PROOF: octets from one record to the next */
	uint32_t nsec_stride;	/* NSECPROOF: octets from one node's NSEC to the next */
	uint64_t rr_wire_bytes; /* the zone's RRs in uncompressed wire form */
	uint64_t compiled_at;	/* seconds since the epoch */
	/* DNSSEC summary for --info */
	uint32_t sig_expire_min; /* earliest RRSIG expiration, 0 if none */
	uint16_t nsec3_iterations;
	uint8_t nsec3_alg;
	uint8_t nsec3_salt_len;
	uint8_t nsec3_salt[255];
	uint8_t dnssec_alg; /* algorithm of the first apex DNSKEY */
	uint8_t origin_len;
	uint8_t origin[255]; /* lower-cased wire name */
	uint8_t pad[5];
	struct zw_img_section sec[ZW_SEC_COUNT];
};

enum zw_node_flags {
	ZW_NODE_APEX = 1 << 0,
	ZW_NODE_DELEG = 1 << 1,	   /* zone cut: NS here, not the apex */
	ZW_NODE_GLUE = 1 << 2,	   /* below a cut: served only as glue */
	ZW_NODE_ENT = 1 << 3,	   /* empty non-terminal */
	ZW_NODE_WILDCARD = 1 << 4, /* the node is a '*' label */
	ZW_NODE_HAS_WILD = 1 << 5, /* node has a child '*': aux = its index */
	ZW_NODE_CNAME = 1 << 6,	   /* the node owns a CNAME */
	ZW_NODE_DNAME = 1 << 7,	   /* the node owns a DNAME */
	ZW_NODE_DS = 1 << 8,	   /* cut with a DS RRset (secure child) */
};

/*
 * A node. Its name is stored relative to the zone's origin: the labels
 * below the origin, lower-cased, without the origin and the root label
 * ([len][labels]; len 0 for the apex). The hash covers the same bytes.
 */
struct zw_img_node {
	uint32_t name_off;    /* in NAMES: [len][labels below the origin] */
	uint32_t hash;	      /* zw_name_hash() of those labels */
	uint32_t rrset_first; /* index of the first RRset, ZW_NONE if none */
	uint16_t rrset_count;
	uint16_t flags; /* enum zw_node_flags */
	uint32_t aux;	/* HAS_WILD: the '*' child; GLUE: the cut; else ZW_NONE */
};

enum zw_rrset_flags {
	ZW_RRSET_EXTRA = 1 << 0, /* chunk has an additional-data list */
	ZW_RRSET_SIGS = 1 << 1,	 /* chunk has a signature chunk */
};

/*
 * A slot of the hash index (open addressing, linear probing). The node's
 * hash is repeated in the slot, so a probe passes over the slots of other
 * names without touching their nodes: a lookup reads one cache line of
 * slots, then the one node it wants.
 */
struct zw_img_slot {
	uint32_t node; /* node index + 1; 0: free */
	uint32_t hash; /* the node's hash */
};

/* An RRset: its type and its chunk; count and TTL are in the chunk. */
struct zw_img_rrset {
	uint16_t type;
	uint16_t flags; /* enum zw_rrset_flags, mirrors the chunk's */
	uint32_t chunk; /* offset in CHUNKS */
};

/*
 * A chunk: struct zw_img_chunk, then len bytes of wire RRs padded to 4,
 * then nreloc relocations (uint32_t), then, if the chunk flags say so, the
 * offset (uint32_t, in CHUNKS) of its additional-data list and of its
 * signature chunk, in that order. An RRset's chunk of up to 64 octets
 * that would start in the last 16 octets of a line and run into the next
 * starts on the next line (zero octets between): writing it then reads
 * one line. Chunks are only reached through offsets.
 *
 * Owners. When owner_v is not 0, every RR starts with a 2-byte pointer to
 * its owner, stored as 0xC00C: right when the query name is the owner,
 * which is the common case, so nothing is patched then. When the chunk is
 * used for a longer query name (the SOA of a negative answer, the NS of a
 * referral below a cut) the owners become 12 + qname_len - owner_v; when
 * it is used in the additional section they become a pointer to where its
 * name was written (see struct zw_img_extra). owner_v is 0 for wildcard
 * chunks (the owner is the query name: 0xC00C always) and signature-less
 * special chunks.
 *
 * A relocation is a 2-byte compression pointer inside the data whose value
 * depends on where things land in the response:
 *   bits 0-15  position of the pointer in the chunk data
 *   bits 16-29 value v
 *   bits 30-31 kind:
 *     ZW_RELOC_QEND:   pointer = 12 + qname_len - v   (a suffix of the qname,
 *                      which is written uncompressed at offset 12)
 *     ZW_RELOC_SELF:   pointer = position of this chunk + v
 *     ZW_RELOC_ANCHOR: pointer = position of the anchor chunk + v (used in
 *                      additional-data lists)
 * Pointers that never move (0xC00C, the qname itself) are plain bytes.
 */
struct zw_img_chunk {
	uint16_t len;
	uint16_t rrs;
	uint16_t nreloc;
	uint8_t owner_v;
	uint8_t flags; /* enum zw_rrset_flags */
};

enum zw_reloc_kind {
	ZW_RELOC_QEND = 0,
	ZW_RELOC_SELF = 1,
	ZW_RELOC_ANCHOR = 2,
};

#define ZW_RELOC(pos, kind, v) ((uint32_t)(pos) | ((uint32_t)(v) << 16) | ((uint32_t)(kind) << 30))
#define ZW_RELOC_POS(r)	       ((uint16_t)((r)&0xffff))
#define ZW_RELOC_VAL(r)	       (((r) >> 16) & 0x3fff)
#define ZW_RELOC_KIND(r)       ((r) >> 30)

/*
 * Additional data of an RRset (NS, MX, SRV): the A/AAAA RRsets of the
 * in-zone names its data names, in the order they go into the additional
 * section. Each entry names an RRset (whose chunk has owner_v set) and the
 * pointer its owners take: kind (QEND or ANCHOR, as for relocations) and
 * value, packed like a relocation's upper half. Entries marked required are
 * in-domain glue of a referral: they come first, and a response that cannot
 * carry them is truncated (RFC 9471). The others are optional.
 */
struct zw_img_extra {
	uint16_t count;
	uint16_t pad;
};

struct zw_img_extra_ent {
	uint32_t rrset;
	uint16_t ptr;	/* kind << 14 | value */
	uint16_t flags; /* ZW_EXTRA_REQUIRED */
};

#define ZW_EXTRA_REQUIRED     1
#define ZW_EXTRA_PTR(kind, v) ((uint16_t)((kind) << 14 | (v)))
#define ZW_EXTRA_PTR_KIND(p)  ((p) >> 14)
#define ZW_EXTRA_PTR_VAL(p)   ((p)&0x3fff)

/* An NSEC3 record: hashed owner (raw hash bytes in NAMES), its RRsets. */
struct zw_img_nsec3 {
	uint32_t hash_off; /* in NAMES: [len][raw hash] */
	uint32_t rrset;	   /* index of its NSEC3 RRset (with sigs) */
};

/*
 * Denial of existence (NSEC zones). The NSEC that covers a name that does
 * not exist is the last NSEC owner at or before it in canonical order, a
 * binary search over the nodes. So that the search reads one dense array
 * instead of a node and its name at every step, CANON holds for each node
 * the first 16 bytes of its canonical sort key: the labels below the
 * origin from the rightmost, each followed by a 0 byte, with the bytes 0
 * and 1 of a label written 1 1 and 1 2, padded with zeros (zw_canon_key).
 * Comparing keys as two big-endian numbers orders names as RFC 4034 6.1
 * does, except that names whose keys are equal (a common first 16 bytes)
 * must be compared in full. The verifier checks that each key is its
 * node's and that they never decrease.
 *
 * WILDCOVER holds for each node N what proves that the wildcard *.N does
 * not exist, as an NXDOMAIN whose closest encloser is N needs: in an NSEC
 * zone the index of the node whose NSEC covers *.N, in an NSEC3 zone the
 * index of the NSEC3 record that covers the hash of *.N. ZW_NONE where the
 * compiler has not worked it out (glue, cuts, names without an NSEC3
 * under opt-out, a wildcard that exists): the answer path then searches.
 */
struct zw_img_canon {
	uint64_t hi; /* key bytes 0-7, big-endian */
	uint64_t lo; /* key bytes 8-15 */
};

/* The canonical key of a name below the origin (rel: its labels, lower
 * case, rel_len bytes; the apex has rel_len 0). */
struct zw_img_canon zw_canon_key(const uint8_t *rel, unsigned rel_len);

static inline int zw_canon_cmp(struct zw_img_canon a, struct zw_img_canon b)
{
	if (a.hi != b.hi)
		return a.hi < b.hi ? -1 : 1;
	return a.lo < b.lo ? -1 : a.lo > b.lo;
}

/* A name below the origin split into labels once, to be compared with
 * many nodes in canonical order. */
struct zw_canon_name {
	const uint8_t *rel; /* labels below the origin, lower case */
	unsigned rel_len;
	unsigned nlabels;
	struct zw_img_canon key;
	uint8_t off[128]; /* where each label starts */
};

/* Prepares q for rel (rel_len bytes, a valid sequence of labels). */
void zw_canon_prepare(struct zw_canon_name *q, const uint8_t *rel, unsigned rel_len);

/*
 * An NSEC3 record as a denial writes it (NSEC3 zones, one per record of
 * the NSEC3 section, in the same order, nsec3_stride octets apart so that
 * a record's index gives it without a read): len octets of wire data, the
 * owner spelt out (its length byte, 32, and the hash in base32hex) and a
 * 2-octet placeholder for the pointer to the apex, the NSEC3 RR without
 * its owner, then rrs - 1 RRSIG RRs, each owned by a 2-octet placeholder
 * for a pointer to that owner. Both kinds of placeholder are set when the
 * record is written; nothing else in it depends on the response. Records
 * longer than the stride (a few, such as the apex's with many types)
 * have far set: a uint32_t after this header says where in the section
 * their data is. The compiler picks the stride (a multiple of 64) that
 * most records fit in, so that a proof reads three lines, not three or
 * four, and no line of an index before them.
 */
struct zw_img_n3proof {
	uint16_t len;
	uint8_t rrs;
	uint8_t far;
};

#define ZW_N3PROOF_OWNER 35 /* octets of owner before the NSEC3's type */

/*
 * A node's NSEC as a denial writes it (NSEC zones, one place per node, in
 * node order, nsec_stride octets apart): len octets of wire data, the
 * node's labels below the apex (rel octets, as in NAMES), the NSEC RR
 * (nsec_len octets) whose owner is a 2-octet placeholder for the pointer
 * to the apex, then rrs - 1 RRSIG RRs, each owned by a 2-octet
 * placeholder for a pointer to the NSEC's owner. So a denial that knows a
 * node's index reads its place and nothing else: not the node, its name,
 * its RRset list or its chunks. len is 0 where the node has no NSEC
 * (glue, empty non-terminals). Places are as for NSEC3PROOF: far set
 * where the data did not fit the stride, and a uint32_t after this header
 * says where in the section it is.
 */
struct zw_img_nsecproof {
	uint16_t len;
	uint16_t nsec_len;
	uint8_t rel;
	uint8_t rrs;
	uint8_t far;
	uint8_t pad;
};

/* A verified, mapped, read-only image. */
struct zw_image {
	const uint8_t *base;
	size_t size;
	const struct zw_img_header *hdr;
	const uint8_t *names;
	const struct zw_img_node *nodes;
	const struct zw_img_slot *hash;
	const struct zw_img_rrset *rrsets;
	const uint8_t *chunks;
	size_t chunks_size;
	const struct zw_img_nsec3 *nsec3;
	const uint32_t *nsec3_map;	  /* NULL unless NSEC3 */
	const struct zw_img_canon *canon; /* NULL unless NSEC */
	const uint32_t *wild_cover;	  /* NULL unless NSEC or NSEC3 */
	const uint8_t *nsec3_proof;	  /* NULL unless NSEC3 */
	const uint64_t *nsec3_keys;	  /* NULL unless NSEC3 */
	const uint8_t *nsec_proof;	  /* NULL unless NSEC, and the image has them */
	/* built on opening (see zw_image_n3_range): where the keys of each
	 * range of 2^nsec3_idx_shift key values start; NULL for small
	 * NSEC3 chains, and unless NSEC3 */
	uint32_t *nsec3_idx;
	unsigned nsec3_idx_shift;
	/* built on opening (see struct zw_img_nrec): one per node; NULL
	 * when there was no memory for them, and in images not opened */
	struct zw_img_nrec *nrec;
	size_t nrec_size;
	char *path;    /* where it was loaded from, or NULL */
	bool mapped;   /* munmap on close, else free */
	unsigned pins; /* users besides its owner (see zw_image_pin) */
	bool closing;  /* closed by its owner while pinned */
};

/*
 * Maps and verifies the image at path. Returns 0 and *out, or a negative
 * error: ZW_EIMGMAGIC, ZW_EIMGVER, ZW_EIMGTRUNC, ZW_EIMGSUM, ZW_EIMGBOUNDS,
 * ZW_EIMGCORRUPT, or -errno. *why, if not NULL, receives a static string
 * saying which check failed. Any thread.
 */
int zw_image_open(const char *path, struct zw_image **out, const char **why);

/* Same over a buffer in memory; the image takes ownership of buf (freed by
 * zw_image_close with free()) only when the call succeeds. */
int zw_image_from_buffer(void *buf, size_t size, struct zw_image **out, const char **why);

/* Verifies without taking ownership; for tests and fuzzing. */
int zw_image_verify(const void *buf, size_t size, const char **why);

/* Closes an image; if it is pinned, the last zw_image_unpin() does. */
void zw_image_close(struct zw_image *img);

/* Keeps img mapped past its owner's zw_image_close(), for work that spans
 * a table swap (a zone transfer). Not thread-safe: one thread (the control
 * thread) pins, unpins and closes. */
void zw_image_pin(struct zw_image *img);
void zw_image_unpin(struct zw_image *img);

/* Accessors over a verified image. */

/* Writes the node's full, lower-cased wire name to buf (256 bytes);
 * returns its length. */
unsigned zw_image_node_name(const struct zw_image *img, const struct zw_img_node *n, uint8_t *buf);

static inline const struct zw_img_chunk *zw_image_chunk(const struct zw_image *img, uint32_t off)
{
	return (const struct zw_img_chunk *)(const void *)(img->chunks + off);
}

static inline const uint8_t *zw_chunk_data(const struct zw_img_chunk *c)
{
	return (const uint8_t *)(c + 1);
}

static inline const uint32_t *zw_chunk_relocs(const struct zw_img_chunk *c)
{
	return (const uint32_t *)(const void *)((const uint8_t *)(c + 1) + ((c->len + 3u) & ~3u));
}

/* Offset of the chunk's additional-data list / signature chunk, or ZW_NONE. */
static inline uint32_t zw_chunk_extra(const struct zw_img_chunk *c)
{
	return (c->flags & ZW_RRSET_EXTRA) ? zw_chunk_relocs(c)[c->nreloc] : ZW_NONE;
}

static inline uint32_t zw_chunk_sigs(const struct zw_img_chunk *c)
{
	return (c->flags & ZW_RRSET_SIGS)
		       ? zw_chunk_relocs(c)[c->nreloc + ((c->flags & ZW_RRSET_EXTRA) ? 1 : 0)]
		       : ZW_NONE;
}

/* Size of a chunk with its trailer, as laid out in CHUNKS. */
static inline size_t zw_chunk_size(const struct zw_img_chunk *c)
{
	return sizeof(*c) + ((c->len + 3u) & ~3u) +
	       4u * ((size_t)c->nreloc + ((c->flags & ZW_RRSET_EXTRA) ? 1 : 0) +
		     ((c->flags & ZW_RRSET_SIGS) ? 1 : 0));
}

static inline const struct zw_img_chunk *zw_rrset_chunk(const struct zw_image *img,
							const struct zw_img_rrset *s)
{
	return zw_image_chunk(img, s->chunk);
}

/* Number of RRs and TTL of an RRset (every RR of an RRset has the same
 * TTL; an RRset chunk's owners are 2-byte pointers). */
static inline unsigned zw_rrset_count(const struct zw_image *img, const struct zw_img_rrset *s)
{
	return zw_rrset_chunk(img, s)->rrs;
}

static inline uint32_t zw_rrset_ttl(const struct zw_image *img, const struct zw_img_rrset *s)
{
	const uint8_t *d = zw_chunk_data(zw_rrset_chunk(img, s));
	return (uint32_t)d[6] << 24 | (uint32_t)d[7] << 16 | (uint32_t)d[8] << 8 | d[9];
}

static inline const struct zw_img_extra *zw_rrset_extra(const struct zw_image *img,
							const struct zw_img_rrset *s)
{
	uint32_t off = zw_chunk_extra(zw_rrset_chunk(img, s));
	return off == ZW_NONE ? NULL
			      : (const struct zw_img_extra *)(const void *)(img->chunks + off);
}

static inline const struct zw_img_extra_ent *zw_extra_ents(const struct zw_img_extra *x)
{
	return (const struct zw_img_extra_ent *)(const void *)(x + 1);
}

static inline const struct zw_img_chunk *zw_rrset_sigs(const struct zw_image *img,
						       const struct zw_img_rrset *s)
{
	uint32_t off = zw_chunk_sigs(zw_rrset_chunk(img, s));
	return off == ZW_NONE ? NULL : zw_image_chunk(img, off);
}

/* NSEC3 zones: the records [*lo, *hi) of NSEC3KEYS whose key (the first 8
 * bytes of the hash) shares key's top bits; every record before *lo has a
 * lower key, every one from *hi on a higher key. The whole chain without
 * the index. */
static inline void zw_image_n3_range(const struct zw_image *img, uint64_t key, uint32_t *lo,
				     uint32_t *hi)
{
	if (img->nsec3_idx != NULL) {
		const uint32_t *b = &img->nsec3_idx[key >> img->nsec3_idx_shift];
		*lo = b[0];
		*hi = b[1];
	} else {
		*lo = 0;
		*hi = img->hdr->nsec3_count;
	}
}

/* NSEC3 zones: record i ready to write, and its data (len octets). */
static inline const struct zw_img_n3proof *zw_image_n3proof(const struct zw_image *img, uint32_t i)
{
	return (const struct zw_img_n3proof *)(const void *)(img->nsec3_proof +
							     (size_t)i * img->hdr->nsec3_stride);
}

/* The data of a record laid out to write (NSEC3PROOF, NSECPROOF): at
 * after, right after its header in its place, or, far, at the offset of
 * section sec stored there. */
static inline const uint8_t *zw_place_data(const uint8_t *sec, const void *after, unsigned far)
{
	uint32_t off;

	if (!far)
		return (const uint8_t *)after;
	__builtin_memcpy(&off, after, 4);
	return sec + off;
}

static inline const uint8_t *zw_n3proof_data(const struct zw_image *img,
					     const struct zw_img_n3proof *b)
{
	return zw_place_data(img->nsec3_proof, b + 1, b->far);
}

/* NSEC zones with NSECPROOF: node i's NSEC ready to write, and its data
 * (len octets; len 0: the node has no NSEC). */
static inline const struct zw_img_nsecproof *zw_image_nsecproof(const struct zw_image *img,
								uint32_t i)
{
	return (const struct zw_img_nsecproof *)(const void *)(img->nsec_proof +
							       (size_t)i * img->hdr->nsec_stride);
}

static inline const uint8_t *zw_nsecproof_data(const struct zw_image *img,
					       const struct zw_img_nsecproof *b)
{
	return zw_place_data(img->nsec_proof, b + 1, b->far);
}

/*
 * What a lookup reads of a node, in one cache line: a record per node,
 * built when the image is opened (derived from the verified nodes, names
 * and RRset lists, like the NSEC3 index; not part of the image file). A
 * lookup otherwise reads three lines at three places for it: the node,
 * its name and its RRset list. Here are the node's flags and aux, its
 * name and copies of its RRset entries, followed by one more entry of
 * type 0 whose chunk is the next RRset's in the image (0 after the last):
 * where the last RRset's chunk group ends. A node whose name and entries
 * do not fit in the line (nsets ZW_NREC_FAR) is read the usual way,
 * though its record still has its flags, aux and, where it fits
 * (name_len at most ZW_NREC_NAME_MAX), its name. The
 * RRset a lookup finds in a record is the copy (same type, flags and
 * chunk): RRset pointers from lookups are only read through, never
 * counted from img->rrsets.
 *
 * A record's flags are its node's, plus ZW_NREC_LEAF when no node is
 * below it: a node's descendants follow it in canonical order, so a
 * missing name below a leaf comes right after the leaf, whose NSEC
 * covers it with no search (RFC 4034 6.1).
 */
#define ZW_NREC_SIZE	 64
#define ZW_NREC_FAR	 0xff
#define ZW_NREC_NAME_MAX (ZW_NREC_SIZE - 8) /* the longest name a record holds */
#define ZW_NREC_LEAF	 0x8000		    /* in a record's flags only: no node below */
/* in a record's flags only: its entries leave out the node's NSEC, to fit
 * (only denials and queries for NSEC read it: zw_image_rrset() finds it
 * in the node's list) */
#define ZW_NREC_NO_NSEC 0x4000
struct zw_img_nrec {
	uint16_t flags;	  /* the node's */
	uint8_t name_len; /* of its name below the origin */
	uint8_t nsets;	  /* its RRsets, all copied here; ZW_NREC_FAR: not here */
	uint32_t aux;	  /* the node's */
	/* name_len octets of name, then, 4-aligned, nsets RRset entries */
	uint8_t data[ZW_NREC_NAME_MAX];
} __attribute__((aligned(ZW_NREC_SIZE)));

/* The record of node n (img->nrec set). */
static inline const struct zw_img_nrec *zw_image_nrec(const struct zw_image *img,
						      const struct zw_img_node *n)
{
	return &img->nrec[n - img->nodes];
}

/* The record of node n where it holds n's name and RRsets; else NULL
 * (no records, or n's do not fit: ZW_NREC_FAR). */
static inline const struct zw_img_nrec *zw_node_full_rec(const struct zw_image *img,
							 const struct zw_img_node *n)
{
	const struct zw_img_nrec *r = img->nrec != NULL ? zw_image_nrec(img, n) : NULL;

	return r != NULL && r->nsets != ZW_NREC_FAR ? r : NULL;
}

static inline const struct zw_img_rrset *zw_nrec_sets(const struct zw_img_nrec *r)
{
	return (const struct zw_img_rrset *)(const void *)(r->data + ((r->name_len + 3u) & ~3u));
}

/* A node's flags and aux, from its record where the image has them (the
 * record's line is the one a lookup has asked for). */
static inline unsigned zw_node_flags(const struct zw_image *img, const struct zw_img_node *n)
{
	return img->nrec != NULL ? zw_image_nrec(img, n)->flags : n->flags;
}

/* Whether no node is below n, as its record says; false without records. */
static inline bool zw_node_leaf(const struct zw_image *img, const struct zw_img_node *n)
{
	return img->nrec != NULL && (zw_image_nrec(img, n)->flags & ZW_NREC_LEAF) != 0;
}

static inline uint32_t zw_node_aux(const struct zw_image *img, const struct zw_img_node *n)
{
	return img->nrec != NULL ? zw_image_nrec(img, n)->aux : n->aux;
}

/* The labels of node n's name below the origin, *len octets: from its
 * record where it has them. */
static inline const uint8_t *zw_node_rel(const struct zw_image *img, const struct zw_img_node *n,
					 unsigned *len)
{
	const struct zw_img_nrec *r = zw_node_full_rec(img, n);

	if (r != NULL) {
		*len = r->name_len;
		return r->data;
	}
	const uint8_t *nm = img->names + n->name_off;
	*len = nm[0];
	return nm + 1;
}

/* a and b are the same RRset: its entry in the list or a copy in a node's
 * record (an RRset's chunk is its own). */
static inline bool zw_rrset_same(const struct zw_img_rrset *a, const struct zw_img_rrset *b)
{
	return a != NULL && b != NULL && a->chunk == b->chunk && a->type == b->type &&
	       a->flags == b->flags;
}

/* Finds the RRset of a type at a node, or NULL; from the node's record,
 * when it has its RRsets (then the copy there). */
const struct zw_img_rrset *zw_image_rrset(const struct zw_image *img, const struct zw_img_node *n,
					  uint16_t type);

/* Finds the node of a lower-cased wire name inside the zone, or NULL:
 * rel and rel_len are the labels below the origin (the name's first
 * len - origin_len bytes), hash is zw_name_hash(rel, rel_len). */
const struct zw_img_node *zw_image_find(const struct zw_image *img, const uint8_t *rel,
					unsigned rel_len, uint32_t hash);

/* Node n is the one of rel (rel_len octets below the origin, lower case). */
static inline bool zw_image_node_is(const struct zw_image *img, const struct zw_img_node *n,
				    const uint8_t *rel, unsigned rel_len)
{
	unsigned len;
	const uint8_t *nm = zw_node_rel(img, n, &len);

	return len == rel_len && zw_bytes_eq(nm, rel, rel_len);
}

/* Same for a full lower-cased wire name that may lie outside the zone. */
const struct zw_img_node *zw_image_find_name(const struct zw_image *img, const uint8_t *lname,
					     unsigned len);

/* The last node at or before the name q in canonical order (RFC 4034
 * 6.1), searching from node index from on; the node at from must be at or
 * before q (the apex, 0, always is; so is any node that q is below).
 * Reads the CANON keys when the image has them, else the nodes' names. */
uint32_t zw_image_canon_pred(const struct zw_image *img, const struct zw_canon_name *q,
			     uint32_t from);

/* Canonical order of node i and q: <0, 0, >0. */
int zw_image_canon_cmp(const struct zw_image *img, uint32_t i, const struct zw_canon_name *q);

/* Writes a canonical master file of the image to f: one RR per line,
 * absolute names, lower-case owners, RRsets in canonical order. */
int zw_image_dump(const struct zw_image *img, void *file);

/* Prints the header summary (zone, serial, counts, sections, checksum). */
int zw_image_info(const struct zw_image *img, void *file);

#endif /* ZW_IMAGE_H */
