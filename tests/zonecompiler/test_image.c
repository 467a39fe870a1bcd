/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Zone image reader: an image is never trusted. A compiled image must be
 * accepted; every damaged one must be refused with the right error code,
 * whether the damage is accidental (truncation, a flipped bit: the size and
 * the checksum catch it) or deliberate (a change whose checksum has been
 * recomputed: only the structural checks stand between it and the answer
 * path). Also opening from files, writing, dumping and finding nodes.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "compile.h"
#include "image.h"
#include "name.h"
#include "nsec3.h"
#include "rdata.h"
#include "unit.h"
#include "zw_err.h"

#define HDR_SIZE sizeof(struct zw_img_header)

#define A10  "aaaaaaaaaa"
#define A100 A10 A10 A10 A10 A10 A10 A10 A10 A10 A10

/*
 * One of each answer shape, so that the image has every kind of node (apex,
 * delegation, glue, empty non-terminal, wildcard) and chunks with
 * relocations and additional-data lists, and one large chunk.
 */
static const char zone_text[] = "$TTL 3600\n"
				"@           IN SOA  ns1.example.com. hostmaster.example.com. (\n"
				"                    2026112101 7200 3600 1209600 300 )\n"
				"            IN NS   ns1.example.com.\n"
				"            IN NS   ns2.example.net.\n"
				"            IN MX   10 mail.example.com.\n"
				"            IN TXT  \"v=spf1 mx -all\"\n"
				"ns1         IN A    192.0.2.53\n"
				"            IN AAAA 2001:db8::53\n"
				"mail        IN A    192.0.2.25\n"
				"            IN AAAA 2001:db8::25\n"
				"www         IN A    192.0.2.80\n"
				"            IN AAAA 2001:db8::80\n"
				"web         IN CNAME www\n"
				"_sip._udp   IN SRV  10 60 5060 sip.example.com.\n"
				"sip         IN A    192.0.2.60\n"
				"*.apps      IN A    192.0.2.100\n"
				"            IN TXT  \"wildcard\"\n"
				"a.b.c       IN TXT  \"empty non-terminals above\"\n"
				"legacy      IN DNAME example.net.\n"
				"sub         IN NS   ns1.sub.example.com.\n"
				"            IN NS   ns2.sub.example.com.\n"
				"ns1.sub     IN A    192.0.2.201\n"
				"ns2.sub     IN A    192.0.2.202\n"
				"            IN AAAA 2001:db8::202\n"
				"hosted      IN NS   ns1.hoster.net.\n"
				"            IN NS   ns2.hoster.net.\n"
				"long        IN TXT  \"" A100 A100 "\" \"" A100 A100 "\"\n";

/* A signed zone (the signatures are not checked, only stored), so that
 * chunks have signature trailers. */
static const char signed_text[] =
	"$TTL 3600\n"
	"@ SOA ns1 hostmaster 1 7200 3600 1209600 300\n"
	"@ RRSIG SOA 13 2 3600 20301231000000 20230101000000 12345 example.org. c2ln\n"
	"@ NS ns1\n"
	"@ RRSIG NS 13 2 3600 20301231000000 20230101000000 12345 example.org. c2ln\n"
	"@ DNSKEY 257 3 13 a2V5LWtleS1rZXkta2V5LWtleS1rZXkta2V5LWtleS1rZXkta2V5\n"
	"@ RRSIG DNSKEY 13 2 3600 20301231000000 20230101000000 12345 example.org. c2ln\n"
	"ns1 A 192.0.2.1\n"
	"ns1 RRSIG A 13 3 3600 20301231000000 20230101000000 12345 example.org. c2ln\n";

/* ------------------------------------------------------------------------ */
/* helpers                                                                  */

static char *write_temp(const char *text, size_t len)
{
	char *path = strdup("/tmp/zw-test-image-XXXXXX");

	CU_ASSERT_FATAL(path != NULL);
	int fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(write(fd, text, len) == (ssize_t)len);
	close(fd);
	return path;
}

static int compile_path(const char *path, const char *origin, void **image, size_t *size)
{
	struct zw_compile_opts o = { .origin = origin, .now = 1700000000 };

	return zw_compile_file(path, &o, image, size, NULL);
}

static int compile_text(const char *origin, const char *text, void **image, size_t *size)
{
	char *path = write_temp(text, strlen(text));
	int rc = compile_path(path, origin, image, size);

	unlink(path);
	free(path);
	return rc;
}

/* The reference images, compiled once. */
struct ref {
	const char *origin;
	const char *text;
	uint8_t *buf;
	size_t size;
};

static struct ref plain = { "example.com.", zone_text, NULL, 0 };
static struct ref sgnd = { "example.org.", signed_text, NULL, 0 };

static struct ref *load(struct ref *r)
{
	if (r->buf != NULL)
		return r;
	void *image = NULL;
	int rc = compile_text(r->origin, r->text, &image, &r->size);
	if (rc != 0)
		fprintf(stderr, "compiling the reference zone %s failed: %d (%s)\n", r->origin, rc,
			zw_strerror(rc));
	CU_ASSERT_FATAL(rc == 0 && image != NULL);
	r->buf = image;
	return r;
}

/* The plain reference image. */
#define good	  (load(&plain)->buf)
#define good_size (load(&plain)->size)

/* A private copy of a reference image in a buffer of exactly n bytes, so
 * that the sanitizers see any read past the end. */
static uint8_t *copy_of(struct ref *r, size_t n)
{
	load(r);
	uint8_t *b = malloc(n ? n : 1);
	CU_ASSERT_FATAL(b != NULL);
	memcpy(b, r->buf, n < r->size ? n : r->size);
	if (n > r->size)
		memset(b + r->size, 0, n - r->size);
	return b;
}

static uint8_t *copy_n(size_t n)
{
	return copy_of(&plain, n);
}

static uint8_t *fresh(void)
{
	return copy_n(good_size);
}

static struct zw_img_header *hdr(uint8_t *b)
{
	return (struct zw_img_header *)(void *)b;
}

static uint8_t *sec(uint8_t *b, int id)
{
	return b + hdr(b)->sec[id].off;
}

static struct zw_img_node *nodes(uint8_t *b)
{
	return (struct zw_img_node *)(void *)sec(b, ZW_SEC_NODES);
}

static struct zw_img_rrset *rrsets(uint8_t *b)
{
	return (struct zw_img_rrset *)(void *)sec(b, ZW_SEC_RRSETS);
}

static struct zw_img_slot *hashtab(uint8_t *b)
{
	return (struct zw_img_slot *)(void *)sec(b, ZW_SEC_HASH);
}

/* Points slot i at node v - 1 with that node's hash, so that only the
 * check under test can catch it. */
static void set_slot(uint8_t *b, uint32_t i, uint32_t v)
{
	hashtab(b)[i].node = v;
	hashtab(b)[i].hash = nodes(b)[v - 1].hash;
}

static struct zw_img_chunk *chunk(uint8_t *b, uint32_t off)
{
	return (struct zw_img_chunk *)(void *)(sec(b, ZW_SEC_CHUNKS) + off);
}

/* The chunk of the RRset with index i. */
static struct zw_img_chunk *set_chunk(uint8_t *b, uint32_t i)
{
	return chunk(b, rrsets(b)[i].chunk);
}

/* Relocations, then the trailer: additional-data list, signature chunk. */
static uint32_t *relocs(struct zw_img_chunk *c)
{
	return (uint32_t *)(void *)((uint8_t *)(c + 1) + ((c->len + 3u) & ~3u));
}

static uint32_t *extra_word(struct zw_img_chunk *c)
{
	CU_ASSERT_FATAL(c->flags & ZW_RRSET_EXTRA);
	return &relocs(c)[c->nreloc];
}

static uint32_t *sigs_word(struct zw_img_chunk *c)
{
	CU_ASSERT_FATAL(c->flags & ZW_RRSET_SIGS);
	return &relocs(c)[c->nreloc + ((c->flags & ZW_RRSET_EXTRA) ? 1 : 0)];
}

static struct zw_img_extra *extra_list(uint8_t *b, struct zw_img_chunk *c)
{
	return (struct zw_img_extra *)(void *)(sec(b, ZW_SEC_CHUNKS) + *extra_word(c));
}

static struct zw_img_extra_ent *ents(struct zw_img_extra *x)
{
	return (struct zw_img_extra_ent *)(void *)(x + 1);
}

/* Recomputes the checksum after a deliberate change: XXH3-64 of the whole
 * buffer with the checksum field as zero. */
static void reseal(uint8_t *b, size_t size)
{
	uint64_t zero = 0, sum;

	memcpy(b + offsetof(struct zw_img_header, checksum), &zero, 8);
	sum = XXH3_64bits(b, size);
	memcpy(b + offsetof(struct zw_img_header, checksum), &sum, 8);
}

static const char *errname(int rc)
{
	switch (rc) {
	case 0: return "ok";
	case ZW_EIMGMAGIC: return "ZW_EIMGMAGIC";
	case ZW_EIMGVER: return "ZW_EIMGVER";
	case ZW_EIMGTRUNC: return "ZW_EIMGTRUNC";
	case ZW_EIMGSUM: return "ZW_EIMGSUM";
	case ZW_EIMGBOUNDS: return "ZW_EIMGBOUNDS";
	case ZW_EIMGCORRUPT: return "ZW_EIMGCORRUPT";
	default: return zw_strerror(rc);
	}
}

/* Reads everything a verified image offers, so that the sanitizers check
 * that it all lies inside the buffer. */
static void walk(const struct zw_image *img)
{
	FILE *null = fopen("/dev/null", "w");

	CU_ASSERT_FATAL(null != NULL);
	for (uint32_t i = 0; i < img->hdr->node_count; i++) {
		const struct zw_img_node *n = &img->nodes[i];
		uint8_t name[ZW_NAME_MAX + 1];
		unsigned len = zw_image_node_name(img, n, name);
		CU_ASSERT(len <= ZW_NAME_MAX);
		(void)zw_image_find_name(img, name, len);
		(void)zw_image_rrset(img, n, ZW_T_A);
		for (unsigned k = 0; k < n->rrset_count; k++) {
			const struct zw_img_rrset *s = &img->rrsets[n->rrset_first + k];
			(void)zw_rrset_count(img, s);
			(void)zw_rrset_ttl(img, s);
			const struct zw_img_extra *x = zw_rrset_extra(img, s);
			for (unsigned e = 0; x != NULL && e < x->count; e++)
				(void)zw_rrset_count(img, &img->rrsets[zw_extra_ents(x)[e].rrset]);
			(void)zw_rrset_sigs(img, s);
		}
	}
	/* the denial sections: searches, and what their entries point at */
	for (uint32_t i = 0; i < img->hdr->node_count; i++) {
		const uint8_t *nm = img->names + img->nodes[i].name_off;
		struct zw_canon_name q;
		zw_canon_prepare(&q, nm + 1, nm[0]);
		CU_ASSERT(zw_image_canon_pred(img, &q, 0) < img->hdr->node_count);
		CU_ASSERT(zw_image_canon_pred(img, &q, i) < img->hdr->node_count);
		if (img->wild_cover != NULL && img->wild_cover[i] != ZW_NONE) {
			if (img->hdr->flags & ZW_IMGF_NSEC3)
				(void)img->nsec3[img->wild_cover[i]].rrset;
			else
				(void)zw_image_rrset(img, &img->nodes[img->wild_cover[i]],
						     ZW_T_NSEC);
		}
	}
	for (uint32_t i = 0; img->nsec3_proof != NULL && i < img->hdr->nsec3_count; i++) {
		const struct zw_img_n3proof *pr = zw_image_n3proof(img, i);
		CU_ASSERT(pr->rrs > 0 && pr->len > ZW_N3PROOF_OWNER);
		CU_ASSERT(zw_n3proof_data(img, pr)[0] == 32);
		if (img->nsec3_keys != NULL)
			(void)img->nsec3_keys[i];
	}
	zw_image_dump(img, null);
	zw_image_info(img, null);
	fclose(null);
}

/*
 * Checks that zw_image_verify() and zw_image_from_buffer() both return
 * expected for b (which stays the caller's). An accepted image is walked.
 */
static void expect_rc(const uint8_t *b, size_t size, int expected, const char *what)
{
	const char *why = NULL;
	int rc = zw_image_verify(b, size, &why);

	if (rc != expected)
		fprintf(stderr, "\n  %s: verify returned %s (%s), expected %s\n", what, errname(rc),
			why ? why : "-", errname(expected));
	CU_ASSERT_EQUAL(rc, expected);
	if (expected != 0)
		CU_ASSERT_PTR_NOT_NULL(why);

	/* the same through zw_image_from_buffer, on an aligned copy it may own */
	void *copy = malloc(size ? size : 1);
	CU_ASSERT_FATAL(copy != NULL);
	if (size > 0)
		memcpy(copy, b, size);
	struct zw_image *img = (struct zw_image *)(uintptr_t)1;
	why = NULL;
	rc = zw_image_from_buffer(copy, size, &img, &why);
	if (rc != expected)
		fprintf(stderr, "\n  %s: from_buffer returned %s (%s), expected %s\n", what,
			errname(rc), why ? why : "-", errname(expected));
	CU_ASSERT_EQUAL(rc, expected);
	if (rc == 0) {
		CU_ASSERT_PTR_NOT_NULL_FATAL(img);
		CU_ASSERT_PTR_EQUAL(img->base, copy);
		CU_ASSERT_EQUAL(img->size, size);
		walk(img);
		zw_image_close(img);
	} else {
		CU_ASSERT_PTR_NULL(img);
		free(copy);
	}
}

/* Applies a change to a fresh copy of a reference image, recomputes the
 * checksum and expects rc. */
#define HOSTILE_IN(r, expected, ...)                                                               \
	do {                                                                                       \
		struct ref *r_ = load(r);                                                          \
		uint8_t *b = copy_of(r_, r_->size);                                                \
		__VA_ARGS__;                                                                       \
		reseal(b, r_->size);                                                               \
		expect_rc(b, r_->size, (expected), #__VA_ARGS__);                                  \
		free(b);                                                                           \
	} while (0)

#define HOSTILE(expected, ...)	 HOSTILE_IN(&plain, expected, __VA_ARGS__)
#define HOSTILE_S(expected, ...) HOSTILE_IN(&sgnd, expected, __VA_ARGS__)

/* Presentation name (plain labels only) to wire form; returns its length. */
static unsigned to_wire(const char *name, uint8_t *out)
{
	unsigned len = 0;
	const char *p = name;

	while (*p != '\0' && strcmp(p, ".") != 0) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);
		out[len++] = (uint8_t)l;
		memcpy(out + len, p, l);
		len += (unsigned)l;
		p += l + (dot ? 1 : 0);
	}
	out[len++] = 0;
	return len;
}

/* Index of the node of a name in an image buffer, or ZW_NONE. */
static uint32_t node_index(uint8_t *b, const char *name)
{
	uint8_t wire[256];
	unsigned len = to_wire(name, wire), olen = hdr(b)->origin_len;
	const uint8_t *names = sec(b, ZW_SEC_NAMES);

	if (len < olen || memcmp(wire + len - olen, hdr(b)->origin, olen) != 0)
		return ZW_NONE;
	for (uint32_t i = 0; i < hdr(b)->node_count; i++) {
		const struct zw_img_node *n = &nodes(b)[i];
		if (names[n->name_off] == len - olen &&
		    memcmp(names + n->name_off + 1, wire, len - olen) == 0)
			return i;
	}
	return ZW_NONE;
}

static uint32_t must_node(uint8_t *b, const char *name)
{
	uint32_t i = node_index(b, name);

	if (i == ZW_NONE)
		fprintf(stderr, "\n  node %s not in the image\n", name);
	CU_ASSERT_FATAL(i != ZW_NONE);
	return i;
}

/* Index of the first node with all of flags, or ZW_NONE. */
static uint32_t node_with(uint8_t *b, uint16_t flags)
{
	for (uint32_t i = 0; i < hdr(b)->node_count; i++)
		if ((nodes(b)[i].flags & flags) == flags)
			return i;
	return ZW_NONE;
}

/* Index of the RRset of a type at a node. */
static uint32_t rrset_of(uint8_t *b, uint32_t node, uint16_t type)
{
	const struct zw_img_node *n = &nodes(b)[node];

	for (unsigned k = 0; k < n->rrset_count; k++)
		if (rrsets(b)[n->rrset_first + k].type == type)
			return n->rrset_first + k;
	fprintf(stderr, "\n  no RRset of type %u at node %u\n", type, node);
	CU_FAIL_FATAL("RRset missing from the reference image");
	return ZW_NONE;
}

/* Index of the first RRset whose chunk has relocations, or ZW_NONE. */
static uint32_t rrset_with_relocs(uint8_t *b)
{
	for (uint32_t i = 0; i < hdr(b)->rrset_count; i++)
		if (set_chunk(b, i)->nreloc > 0)
			return i;
	return ZW_NONE;
}

/* Offset of the RRset chunk that ends the CHUNKS section. */
static uint32_t last_chunk(uint8_t *b)
{
	uint32_t last = 0;

	for (uint32_t i = 0; i < hdr(b)->rrset_count; i++)
		if (rrsets(b)[i].chunk > last)
			last = rrsets(b)[i].chunk;
	CU_ASSERT_EQUAL(last + zw_chunk_size(chunk(b, last)), hdr(b)->sec[ZW_SEC_CHUNKS].size);
	return last;
}

/* Offset in the chunk data of the RDLENGTH field of the first RR. */
static unsigned first_rdlen_pos(struct zw_img_chunk *c)
{
	const uint8_t *d = zw_chunk_data(c);
	unsigned pos = 0;

	for (;;) {
		if ((d[pos] & 0xc0) == 0xc0) {
			pos += 2;
			break;
		}
		if (d[pos] == 0) {
			pos++;
			break;
		}
		pos += 1u + d[pos];
	}
	return pos + 8;
}

/* ------------------------------------------------------------------------ */
/* good images                                                              */

static void test_good_image(void)
{
	CU_ASSERT_EQUAL(good_size % 8, 0);
	CU_ASSERT(good_size > HDR_SIZE);

	const char *why = "untouched";
	CU_ASSERT_EQUAL(zw_image_verify(good, good_size, &why), 0);
	CU_ASSERT_EQUAL(zw_image_verify(good, good_size, NULL), 0);

	/* resealing an unchanged image must change nothing */
	uint8_t *b = fresh();
	reseal(b, good_size);
	CU_ASSERT_EQUAL(memcmp(b, good, good_size), 0);
	free(b);

	b = fresh();
	struct zw_image *img = NULL;
	CU_ASSERT_EQUAL_FATAL(zw_image_from_buffer(b, good_size, &img, &why), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(img);
	CU_ASSERT_PTR_EQUAL(img->base, b);
	CU_ASSERT_EQUAL(img->size, good_size);
	CU_ASSERT_PTR_EQUAL(img->hdr, (const void *)b);
	CU_ASSERT_FALSE(img->mapped);
	CU_ASSERT_PTR_NULL(img->path);
	CU_ASSERT_EQUAL(img->hdr->version, ZW_IMG_VERSION);
	CU_ASSERT_EQUAL(img->hdr->serial, 2026112101u);
	CU_ASSERT_EQUAL(img->hdr->neg_ttl, 300u);
	CU_ASSERT_EQUAL(img->hdr->apex_node, 0u);
	CU_ASSERT(img->hdr->node_count > 10);
	CU_ASSERT(img->hdr->hash_size > img->hdr->node_count);
	CU_ASSERT_EQUAL(img->hdr->deleg_count, 2u);
	CU_ASSERT(img->hdr->wildcard_count >= 1);
	CU_ASSERT(img->hdr->ent_count >= 1);
	CU_ASSERT(img->hdr->glue_count >= 2);
	CU_ASSERT_EQUAL(img->hdr->flags & ZW_IMGF_SIGNED, 0);
	CU_ASSERT_EQUAL(img->chunks_size, img->hdr->sec[ZW_SEC_CHUNKS].size);
	CU_ASSERT(img->nodes[0].flags & ZW_NODE_APEX);
	CU_ASSERT_EQUAL(img->names[img->nodes[0].name_off], 0);
	const struct zw_img_rrset *soa = &img->rrsets[img->hdr->soa_rrset];
	CU_ASSERT_EQUAL(soa->type, ZW_T_SOA);
	CU_ASSERT_EQUAL(zw_rrset_count(img, soa), 1);
	CU_ASSERT_EQUAL(zw_rrset_ttl(img, soa), 3600);
	CU_ASSERT_PTR_NULL(zw_rrset_extra(img, soa));
	CU_ASSERT_PTR_NULL(zw_rrset_sigs(img, soa));
	CU_ASSERT(zw_rrset_same(zw_image_rrset(img, &img->nodes[0], ZW_T_SOA), soa));
	CU_ASSERT_PTR_NULL(zw_image_rrset(img, &img->nodes[0], ZW_T_AAAA));
	const struct zw_img_rrset *ns = zw_image_rrset(img, &img->nodes[0], ZW_T_NS);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ns);
	CU_ASSERT_EQUAL(zw_rrset_count(img, ns), 2);
	const struct zw_img_extra *x = zw_rrset_extra(img, ns);
	CU_ASSERT_PTR_NOT_NULL_FATAL(x);
	CU_ASSERT(x->count >= 2); /* ns1's A and AAAA */
	walk(img);
	zw_image_close(img);

	/* the reference images have the structures the hostile tests aim at */
	CU_ASSERT(node_with(good, ZW_NODE_HAS_WILD) != ZW_NONE);
	CU_ASSERT(node_with(good, ZW_NODE_GLUE) != ZW_NONE);
	CU_ASSERT(node_with(good, ZW_NODE_ENT) != ZW_NONE);
	CU_ASSERT(rrset_with_relocs(good) != ZW_NONE);
	struct ref *s = load(&sgnd);
	CU_ASSERT_EQUAL(zw_image_verify(s->buf, s->size, NULL), 0);
	CU_ASSERT(hdr(s->buf)->flags & ZW_IMGF_SIGNED);
	for (uint32_t i = 0; i < hdr(s->buf)->rrset_count; i++)
		CU_ASSERT(set_chunk(s->buf, i)->flags & ZW_RRSET_SIGS);
	expect_rc(s->buf, s->size, 0, "signed reference image");
}

/* Whether some node of img is below node i, over all of them. */
static bool has_below(const struct zw_image *img, uint32_t i)
{
	uint8_t a[ZW_NAME_MAX + 1], b[ZW_NAME_MAX + 1];
	unsigned alen = zw_image_node_name(img, &img->nodes[i], a);

	for (uint32_t j = 0; j < img->hdr->node_count; j++) {
		unsigned blen = zw_image_node_name(img, &img->nodes[j], b);
		if (j != i && blen > alen && zw_name_is_sub(b, blen, a, alen))
			return true;
	}
	return false;
}

/* The nodes' records of img (built on opening) say what the nodes, their
 * names and RRset lists say; lookups give the same with them as without.
 * Returns how many are not in their record (ZW_NREC_FAR). */
static unsigned check_node_records(struct zw_image *img)
{
	static const uint16_t types[] = { ZW_T_A,    ZW_T_NS,	 ZW_T_CNAME,  ZW_T_SOA, ZW_T_MX,
					  ZW_T_TXT,  ZW_T_AAAA,	 ZW_T_SRV,    ZW_T_DS,	ZW_T_RRSIG,
					  ZW_T_NSEC, ZW_T_DNAME, ZW_T_DNSKEY, 99,	65000 };
	struct zw_img_nrec *rec = img->nrec;
	unsigned far = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(rec);
	CU_ASSERT_EQUAL((uintptr_t)rec % ZW_NREC_SIZE, 0);
	CU_ASSERT_EQUAL(sizeof(*rec), ZW_NREC_SIZE);
	/* whole huge pages where they fill one at least, else 4 KiB pages */
	size_t need = (size_t)img->hdr->node_count * ZW_NREC_SIZE;
	CU_ASSERT(img->nrec_size >= need);
	CU_ASSERT_EQUAL(img->nrec_size % (need >= (2u << 20) ? (2u << 20) : 4096u), 0);
	CU_ASSERT(img->nrec_size - need < (need >= (2u << 20) ? (2u << 20) : 4096u));
	for (uint32_t i = 0; i < img->hdr->node_count; i++) {
		const struct zw_img_node *n = &img->nodes[i];
		const struct zw_img_nrec *r = &rec[i];
		const uint8_t *nm = img->names + n->name_off;
		CU_ASSERT_PTR_EQUAL(zw_image_nrec(img, n), r);
		CU_ASSERT_EQUAL(r->flags & ~(ZW_NREC_LEAF | ZW_NREC_NO_NSEC), n->flags);
		CU_ASSERT_EQUAL(zw_node_leaf(img, n), !has_below(img, i));
		CU_ASSERT_EQUAL(r->aux, n->aux);
		CU_ASSERT_EQUAL(r->name_len, nm[0]);
		/* the node's NSEC, where it has one (not glue) */
		unsigned nsec = n->rrset_count;
		for (unsigned k = 0; k < n->rrset_count; k++)
			if (img->rrsets[n->rrset_first + k].type == ZW_T_NSEC)
				nsec = k;
		unsigned at = (nm[0] + 3u) & ~3u;
		bool fits = at + (n->rrset_count + 1u) * 8u <= sizeof(r->data);
		if (r->nsets == ZW_NREC_FAR) {
			far++;
			/* only where the name and the entries do not fit, with
			 * the NSEC's or without */
			CU_ASSERT_FALSE(fits);
			CU_ASSERT(nsec == n->rrset_count ||
				  at + n->rrset_count * 8u > sizeof(r->data));
			/* the name, where it fits */
			if (nm[0] <= ZW_NREC_NAME_MAX)
				CU_ASSERT_EQUAL(memcmp(r->data, nm + 1, nm[0]), 0);
		} else {
			/* all the entries, or where they do not fit, all but
			 * the NSEC's (ZW_NREC_NO_NSEC) */
			bool out = (r->flags & ZW_NREC_NO_NSEC) != 0;
			CU_ASSERT_EQUAL(out, !fits);
			CU_ASSERT(!out || nsec < n->rrset_count);
			CU_ASSERT_EQUAL(r->nsets, n->rrset_count - out);
			CU_ASSERT_EQUAL(memcmp(r->data, nm + 1, nm[0]), 0);
			const struct zw_img_rrset *c = zw_nrec_sets(r);
			CU_ASSERT_EQUAL((uintptr_t)c % 4, 0);
			CU_ASSERT((const uint8_t *)(c + r->nsets + (r->nsets > 0 || out)) <=
				  r->data + sizeof(r->data));
			unsigned last = n->rrset_count; /* in the list: the last kept */
			for (unsigned k = 0, j = 0; k < n->rrset_count; k++) {
				if (out && k == nsec)
					continue;
				CU_ASSERT_EQUAL(memcmp(&c[j++], &img->rrsets[n->rrset_first + k],
						       sizeof(*c)),
						0);
				last = k;
			}
			/* after the last, the chunk of the RRset after it in the
			 * list: its group's end */
			if (r->nsets > 0) {
				uint32_t next = n->rrset_first + last + 1;
				CU_ASSERT_EQUAL(c[r->nsets].type, 0);
				CU_ASSERT_EQUAL(c[r->nsets].chunk, next < img->hdr->rrset_count
									   ? img->rrsets[next].chunk
									   : 0);
			}
		}
		/* the node of its name, found through the record or not */
		CU_ASSERT(zw_image_node_is(img, n, nm + 1, nm[0]));
		CU_ASSERT_PTR_EQUAL(zw_image_find(img, nm + 1, nm[0], n->hash), n);
		if (nm[0] > 0)
			CU_ASSERT_FALSE(zw_image_node_is(img, n, nm + 1, nm[0] - 1u));
		for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
			const struct zw_img_rrset *with = zw_image_rrset(img, n, types[t]);
			img->nrec = NULL;
			const struct zw_img_rrset *without = zw_image_rrset(img, n, types[t]);
			img->nrec = rec;
			CU_ASSERT((with == NULL) == (without == NULL));
			if (with != NULL)
				CU_ASSERT(zw_rrset_same(with, without));
		}
	}
	return far;
}

/* The image of a zone given as text, opened (fatal on failure). */
static struct zw_image *open_text(const char *origin, const char *text)
{
	void *image = NULL;
	size_t size = 0;
	struct zw_image *img = NULL;

	CU_ASSERT_FATAL(compile_text(origin, text, &image, &size) == 0);
	CU_ASSERT_FATAL(zw_image_from_buffer(image, size, &img, NULL) == 0);
	return img;
}

/* The node of l123456789012345678901234567890.rec.example., a name of
 * 31 octets below the origin that the record tests put two RRsets at. */
static const struct zw_img_node *rec_node_l(const struct zw_image *img)
{
	return zw_image_find_name(
		img, (const uint8_t *)"\037l123456789012345678901234567890\003rec\007example", 45);
}

/* Names and RRset lists too long for a record: a long name, a node of
 * eight RRsets (the apex); a name of two RRsets that just fits (31
 * octets: 32 with its length, then three entries of 8: 56), and one that
 * does not (32). */
static void test_node_records(void)
{
	static const char text[] =
		"$TTL 300\n"
		"@ SOA ns1 h 1 2 3 4 5\n"
		"@ NS ns1\n"
		"@ MX 10 mail\n"
		"@ TXT \"t\"\n"
		"@ A 192.0.2.1\n"
		"@ AAAA 2001:db8::1\n"
		"@ SRV 0 0 1 ns1\n"
		"@ CAA 0 issue \"ca.example\"\n"
		"ns1 A 192.0.2.2\n"
		"mail A 192.0.2.3\n"
		"a-name-that-is-long-enough-not-to-fit.in-a-record-of-its-node A 192.0.2.4\n"
		"l123456789012345678901234567890 A 192.0.2.5\n"
		"l123456789012345678901234567890 AAAA 2001:db8::5\n"
		"m1234567890123456789012345678901 A 192.0.2.7\n"
		"m1234567890123456789012345678901 AAAA 2001:db8::7\n"
		"d NS ns.d\n"
		"ns.d A 192.0.2.6\n";
	struct zw_image *img = open_text("rec.example.", text);

	/* the apex (eight RRsets), the long name and m123... */
	CU_ASSERT_EQUAL(check_node_records(img), 3);
	/* a small zone's records take a 4 KiB page, not a 2 MiB huge one */
	CU_ASSERT_EQUAL(img->nrec_size, 4096);
	CU_ASSERT_EQUAL(img->nrec[0].nsets, ZW_NREC_FAR);
	const struct zw_img_node *l = rec_node_l(img);
	const struct zw_img_node *m = zw_image_find_name(
		img, (const uint8_t *)"\040m1234567890123456789012345678901\003rec\007example", 46);
	CU_ASSERT_FATAL(l != NULL && m != NULL);
	CU_ASSERT_EQUAL(zw_image_nrec(img, l)->nsets, 2);
	CU_ASSERT_EQUAL(zw_image_nrec(img, m)->nsets, ZW_NREC_FAR);
	zw_image_close(img);
	/* the reference images */
	CU_ASSERT_EQUAL_FATAL(zw_image_from_buffer(fresh(), good_size, &img, NULL), 0);
	check_node_records(img);
	zw_image_close(img);
}

/* In a zone with NSEC records, a record whose entries do not fit with the
 * NSEC's but do without it leaves it out (ZW_NREC_NO_NSEC): the name of
 * two RRsets that just fits, now with its NSEC; lookups of NSEC find it in
 * the node's list. */
static void test_node_records_nsec(void)
{
	static const char text[] =
		"$TTL 300\n"
		"@ SOA ns1 h 1 2 3 4 5\n"
		"@ NS ns1\n"
		"@ DNSKEY 256 3 13 n8Q/Uw0zyUabhlYnr31m+2hhA2S+HnBTZHfhV+HofmTycpE4D0ysIM7u5ooegDip"
		"++XXFprPXnn8+/aisFDkJw==\n"
		"@ NSEC l123456789012345678901234567890 SOA NS DNSKEY NSEC\n"
		"l123456789012345678901234567890 A 192.0.2.5\n"
		"l123456789012345678901234567890 AAAA 2001:db8::5\n"
		"l123456789012345678901234567890 NSEC ns1 A AAAA NSEC\n"
		"ns1 A 192.0.2.2\n"
		"ns1 NSEC @ A NSEC\n";
	struct zw_image *img = open_text("rec.example.", text);

	CU_ASSERT_EQUAL(check_node_records(img), 0);
	const struct zw_img_node *l = rec_node_l(img);
	CU_ASSERT_FATAL(l != NULL);
	const struct zw_img_nrec *r = zw_image_nrec(img, l);
	CU_ASSERT_EQUAL(r->nsets, 2);
	CU_ASSERT(r->flags & ZW_NREC_NO_NSEC);
	const struct zw_img_rrset *s = zw_image_rrset(img, l, ZW_T_NSEC);
	CU_ASSERT(s != NULL && s >= img->rrsets && s < img->rrsets + img->hdr->rrset_count);
	/* the apex and ns1 fit with theirs */
	CU_ASSERT_FALSE(img->nrec[0].flags & ZW_NREC_NO_NSEC);
	CU_ASSERT_EQUAL(img->nrec[0].nsets, 4);
	zw_image_close(img);
}

/* Every node is found by its own name and hash, and only by it. */
static void test_find_every_node(void)
{
	uint8_t *b = fresh();
	struct zw_image *img = NULL;
	uint8_t prev[ZW_NAME_MAX + 1];

	CU_ASSERT_EQUAL_FATAL(zw_image_from_buffer(b, good_size, &img, NULL), 0);
	for (uint32_t i = 0; i < img->hdr->node_count; i++) {
		const struct zw_img_node *n = &img->nodes[i];
		uint8_t name[ZW_NAME_MAX + 1];
		unsigned len = zw_image_node_name(img, n, name);
		const uint8_t *rel = img->names + n->name_off + 1;
		unsigned rel_len = img->names[n->name_off];
		CU_ASSERT_EQUAL(rel_len + img->hdr->origin_len, len);
		CU_ASSERT_EQUAL(zw_name_len(name, len), (int)len);
		CU_ASSERT_EQUAL(n->hash, zw_name_hash(rel, rel_len));
		CU_ASSERT_PTR_EQUAL(zw_image_find(img, rel, rel_len, n->hash), n);
		CU_ASSERT_PTR_EQUAL(zw_image_find_name(img, name, len), n);
		/* canonical order */
		if (i > 0)
			CU_ASSERT(zw_name_cmp(prev, name) < 0);
		memcpy(prev, name, len);
	}
	uint8_t wire[256];
	static const char *const absent[] = { "nope.example.com.",
					      "example.org.",
					      "com.",
					      ".",
					      "x.www.example.com.",
					      "foo.apps.example.com.",
					      "example.com.example.",
					      "www.example.co." };
	for (size_t k = 0; k < sizeof(absent) / sizeof(absent[0]); k++) {
		unsigned len = to_wire(absent[k], wire);
		CU_ASSERT_PTR_NULL(zw_image_find_name(img, wire, len));
	}
	/* upper case is not found: the caller lower-cases */
	unsigned len = to_wire("WWW.example.com.", wire);
	CU_ASSERT_PTR_NULL(zw_image_find_name(img, wire, len));
	len = to_wire("www.example.com.", wire);
	const struct zw_img_node *www = zw_image_find_name(img, wire, len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(www);
	CU_ASSERT_PTR_NOT_NULL(zw_image_rrset(img, www, ZW_T_A));
	CU_ASSERT_PTR_NOT_NULL(zw_image_rrset(img, www, ZW_T_AAAA));
	CU_ASSERT_PTR_NULL(zw_image_rrset(img, www, ZW_T_MX));
	len = to_wire("c.example.com.", wire);
	const struct zw_img_node *ent = zw_image_find_name(img, wire, len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ent);
	CU_ASSERT(ent->flags & ZW_NODE_ENT);
	CU_ASSERT_EQUAL(ent->rrset_count, 0);
	CU_ASSERT_EQUAL(ent->rrset_first, ZW_NONE);
	CU_ASSERT_PTR_NULL(zw_image_rrset(img, ent, ZW_T_A));
	len = to_wire("example.com.", wire);
	CU_ASSERT_PTR_EQUAL(zw_image_find_name(img, wire, len), &img->nodes[0]);
	zw_image_close(img);
}

/* ------------------------------------------------------------------------ */
/* accidental damage: size and checksum                                     */

static void test_empty_buffer(void)
{
	const char *why = NULL;
	uint8_t one = 0;

	CU_ASSERT_EQUAL(zw_image_verify(NULL, 0, &why), ZW_EIMGTRUNC);
	CU_ASSERT_PTR_NOT_NULL(why);
	CU_ASSERT_EQUAL(zw_image_verify(&one, 0, NULL), ZW_EIMGTRUNC);
	CU_ASSERT_EQUAL(zw_image_verify(&one, 1, NULL), ZW_EIMGTRUNC);
	expect_rc(&one, 0, ZW_EIMGTRUNC, "empty buffer");

	struct zw_image *img = (struct zw_image *)(uintptr_t)1;
	CU_ASSERT_EQUAL(zw_image_from_buffer(NULL, 0, &img, NULL), ZW_EIMGTRUNC);
	CU_ASSERT_PTR_NULL(img);

	/* a header's worth of zeros is not an image */
	uint8_t *z = calloc(1, HDR_SIZE);
	CU_ASSERT_FATAL(z != NULL);
	expect_rc(z, HDR_SIZE, ZW_EIMGMAGIC, "zeroed header");
	free(z);
}

static void test_truncated(void)
{
	char what[64];

	/* every length up to and including the header */
	for (size_t n = 0; n <= HDR_SIZE; n++) {
		uint8_t *b = copy_n(n);
		snprintf(what, sizeof(what), "truncated to %zu", n);
		expect_rc(b, n, ZW_EIMGTRUNC, what);
		free(b);
	}
	/* beyond: the header's file size says more */
	size_t step = ((good_size - HDR_SIZE) / 97) | 1u;
	for (size_t n = HDR_SIZE + 1; n < good_size; n += step) {
		uint8_t *b = copy_n(n);
		snprintf(what, sizeof(what), "truncated to %zu", n);
		expect_rc(b, n, ZW_EIMGTRUNC, what);
		free(b);
	}
	for (size_t n = good_size - 16; n < good_size; n++) {
		uint8_t *b = copy_n(n);
		snprintf(what, sizeof(what), "truncated to %zu", n);
		expect_rc(b, n, ZW_EIMGTRUNC, what);
		free(b);
	}
	/* and longer than it says */
	for (size_t extra = 1; extra <= 16; extra += 7) {
		uint8_t *b = copy_n(good_size + extra);
		snprintf(what, sizeof(what), "%zu bytes appended", extra);
		expect_rc(b, good_size + extra, ZW_EIMGCORRUPT, what);
		free(b);
	}
}

static void test_bad_magic(void)
{
	for (size_t i = 0; i < 8; i++) {
		uint8_t *b = fresh();
		b[i] ^= 0x20;
		expect_rc(b, good_size, ZW_EIMGMAGIC, "magic byte changed");
		reseal(b, good_size);
		expect_rc(b, good_size, ZW_EIMGMAGIC, "magic byte changed, resealed");
		free(b);
	}
	/* a master file is not an image, even a long one */
	size_t n = HDR_SIZE + 64;
	char *text = malloc(n);
	CU_ASSERT_FATAL(text != NULL);
	for (size_t i = 0; i < n; i++)
		text[i] = zone_text[i % (sizeof(zone_text) - 1)];
	expect_rc((const uint8_t *)text, n, ZW_EIMGMAGIC, "master file text");
	free(text);
}

static void test_other_version(void)
{
	static const uint32_t versions[] = { 0, ZW_IMG_VERSION + 1, 0x01000000, UINT32_MAX };

	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		HOSTILE(ZW_EIMGVER, hdr(b)->version = versions[i]);
		/* checked before the checksum */
		uint8_t *b = fresh();
		hdr(b)->version = versions[i];
		expect_rc(b, good_size, ZW_EIMGVER, "version changed, not resealed");
		free(b);
	}
	/* written on a host of the other byte order */
	HOSTILE(ZW_EIMGVER, hdr(b)->endian = 0x04030201);
	HOSTILE(ZW_EIMGVER, hdr(b)->endian = 0);
	/* a header of another size is another format */
	HOSTILE(ZW_EIMGCORRUPT, hdr(b)->header_size = (uint32_t)HDR_SIZE - 8);
	HOSTILE(ZW_EIMGCORRUPT, hdr(b)->header_size = (uint32_t)HDR_SIZE + 8);
	HOSTILE(ZW_EIMGCORRUPT, hdr(b)->header_size = 0);
}

static void test_wrong_file_size(void)
{
	/* larger than the buffer: truncated; smaller: corrupt */
	HOSTILE(ZW_EIMGTRUNC, hdr(b)->file_size = good_size + 1);
	HOSTILE(ZW_EIMGTRUNC, hdr(b)->file_size = good_size + 8);
	HOSTILE(ZW_EIMGTRUNC, hdr(b)->file_size = UINT64_MAX);
	HOSTILE(ZW_EIMGTRUNC, hdr(b)->file_size = (uint64_t)1 << 63);
	HOSTILE(ZW_EIMGCORRUPT, hdr(b)->file_size = good_size - 1);
	HOSTILE(ZW_EIMGCORRUPT, hdr(b)->file_size = good_size - 8);
	HOSTILE(ZW_EIMGCORRUPT, hdr(b)->file_size = HDR_SIZE);
	HOSTILE(ZW_EIMGCORRUPT, hdr(b)->file_size = 0);
}

/* What a single flipped bit at byte pos must be reported as. */
static int flip_expect(size_t pos, uint8_t bit)
{
	if (pos < offsetof(struct zw_img_header, version))
		return ZW_EIMGMAGIC;
	if (pos < offsetof(struct zw_img_header, header_size))
		return ZW_EIMGVER;
	if (pos < offsetof(struct zw_img_header, file_size))
		return ZW_EIMGCORRUPT;
	if (pos < offsetof(struct zw_img_header, checksum)) {
		size_t at = pos - offsetof(struct zw_img_header, file_size);
		uint64_t fs = good_size ^ ((uint64_t)bit << (8 * at));
		return fs > good_size ? ZW_EIMGTRUNC : ZW_EIMGCORRUPT;
	}
	if (pos >= offsetof(struct zw_img_header, endian) &&
	    pos < offsetof(struct zw_img_header, flags))
		return ZW_EIMGVER;
	return ZW_EIMGSUM;
}

static void test_bit_flips(void)
{
	char what[64];
	uint32_t seed = 0x2545f491;
	unsigned tested = 0;

	/* ~200 positions over the whole file, plus the first header fields */
	for (unsigned k = 0; k < 240; k++) {
		size_t pos;
		seed = seed * 1103515245u + 12345u;
		if (k < 40) {
			pos = k * 8 + (k % 8);
		} else {
			pos = (size_t)(k - 40) * good_size / 200 + (seed >> 16) % 8;
			if (pos >= good_size)
				pos = good_size - 1;
		}
		uint8_t bit = (uint8_t)(1u << ((seed >> 8) % 8));
		uint8_t *b = fresh();
		b[pos] ^= bit;
		snprintf(what, sizeof(what), "bit 0x%02x flipped at %zu", bit, pos);
		expect_rc(b, good_size, flip_expect(pos, bit), what);
		free(b);
		tested++;
	}
	/* the last byte of the file, and the checksum field itself */
	uint8_t *b = fresh();
	b[good_size - 1] ^= 1;
	expect_rc(b, good_size, ZW_EIMGSUM, "last byte flipped");
	b[good_size - 1] ^= 1;
	b[offsetof(struct zw_img_header, checksum) + 7] ^= 0x80;
	expect_rc(b, good_size, ZW_EIMGSUM, "checksum flipped");
	free(b);
	CU_ASSERT(tested >= 200);
}

/* ------------------------------------------------------------------------ */
/* deliberate damage: checksum recomputed                                   */

/* A short RRset's chunk is read in one cache line where that costs at
 * most 16 octets of padding: the chunks start on a line, and no chunk of
 * up to 64 octets that starts in the last 16 octets of a line runs into
 * the next (the compiler starts it on the next line instead). The zone's
 * TXT lengths and A/AAAA mixes put chunks at every offset of a line:
 * compiled with no padding, over a hundred of them would, and none would
 * follow a gap. */
static void test_chunks_on_lines(void)
{
	size_t cap = 64 * 1024, len = 0;
	char *text = malloc(cap);
	CU_ASSERT_FATAL(text != NULL);
	len += (size_t)snprintf(text + len, cap - len,
				"$TTL 300\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n");
	for (unsigned i = 0; i < 300; i++) {
		len += (size_t)snprintf(text + len, cap - len, "h%u A 192.0.2.%u\n", i, i % 250);
		if (i % 3 == 0)
			len += (size_t)snprintf(text + len, cap - len, "h%u AAAA 2001:db8::%x\n", i,
						i);
		len += (size_t)snprintf(text + len, cap - len, "h%u TXT \"%.*s\"\n", i,
					(int)(i % 37), "abcdefghijklmnopqrstuvwxyz0123456789x");
	}
	CU_ASSERT_FATAL(len < cap);
	struct zw_image *img = open_text("lines.example.", text);
	free(text);

	CU_ASSERT(img->hdr->sec[ZW_SEC_CHUNKS].off % 64 == 0);
	/* the chunks in the order they are laid out: the RRsets' (an unsigned
	 * zone: nothing else but the apex NS's additional list) */
	unsigned short_ones = 0, padded = 0;
	uint32_t end = 0;
	for (uint32_t i = 0; i < img->hdr->rrset_count; i++) {
		uint32_t off = img->rrsets[i].chunk;
		size_t sz = zw_chunk_size(zw_image_chunk(img, off));
		/* a gap before a chunk on a line: the padding, 16 octets at most */
		if (off > end && off % 64 == 0 && off - end <= 16)
			padded++;
		end = off + (uint32_t)sz;
		if (sz > 64)
			continue;
		short_ones++;
		if (off % 64 >= 48)
			CU_ASSERT(off % 64 + sz <= 64);
	}
	CU_ASSERT(short_ones > 500);
	CU_ASSERT(padded > 50);
	zw_image_close(img);
}

static void test_sections(void)
{
	for (int i = 0; i < ZW_SEC_COUNT; i++) {
		/* beyond the end of the file */
		HOSTILE(ZW_EIMGBOUNDS, hdr(b)->sec[i].off = good_size + 8);
		HOSTILE(ZW_EIMGBOUNDS, hdr(b)->sec[i].off = UINT64_MAX & ~(uint64_t)7);
		HOSTILE(ZW_EIMGBOUNDS, hdr(b)->sec[i].size = good_size - hdr(b)->sec[i].off + 1);
		HOSTILE(ZW_EIMGBOUNDS, hdr(b)->sec[i].size = UINT64_MAX);
		HOSTILE(ZW_EIMGBOUNDS, hdr(b)->sec[i].size = UINT64_MAX - hdr(b)->sec[i].off + 1);
		/* inside the header, or unaligned */
		HOSTILE(ZW_EIMGBOUNDS, hdr(b)->sec[i].off = 0);
		HOSTILE(ZW_EIMGBOUNDS, hdr(b)->sec[i].off = HDR_SIZE - 8);
		HOSTILE(ZW_EIMGBOUNDS, hdr(b)->sec[i].off += 4);
		HOSTILE(ZW_EIMGBOUNDS, hdr(b)->sec[i].off += 1);
	}
	/* an empty section may sit at the very end */
	HOSTILE(0, hdr(b)->sec[ZW_SEC_COUNT - 1].off = good_size;
		hdr(b)->sec[ZW_SEC_COUNT - 1].size = 0);
	/* one that ends exactly at the end of the file is in bounds, one byte
	 * more is not */
	HOSTILE(ZW_EIMGBOUNDS, hdr(b)->sec[ZW_SEC_CHUNKS].off = good_size - 8;
		hdr(b)->sec[ZW_SEC_CHUNKS].size = 9);
	/* sizes that disagree with the counts */
	HOSTILE(ZW_EIMGCORRUPT, hdr(b)->sec[ZW_SEC_NODES].size -= sizeof(struct zw_img_node));
	HOSTILE(ZW_EIMGCORRUPT, hdr(b)->node_count += 1);
	HOSTILE(ZW_EIMGCORRUPT, hdr(b)->node_count -= 1);
	HOSTILE(ZW_EIMGCORRUPT, hdr(b)->node_count = 0; hdr(b)->sec[ZW_SEC_NODES].size = 0);
	HOSTILE(ZW_EIMGCORRUPT, hdr(b)->node_count = ZW_NONE);
	HOSTILE(ZW_EIMGCORRUPT, hdr(b)->rrset_count += 1);
	HOSTILE(ZW_EIMGCORRUPT, hdr(b)->rrset_count = 0);
	HOSTILE(ZW_EIMGCORRUPT, hdr(b)->sec[ZW_SEC_RRSETS].size += 4);
	HOSTILE(ZW_EIMGCORRUPT, hdr(b)->nsec3_count = 1);
	HOSTILE(ZW_EIMGCORRUPT, hdr(b)->nsec3_count = UINT32_MAX);
}

static void test_hash_size(void)
{
	uint32_t hs = hdr(good)->hash_size;
	CU_ASSERT_FATAL(hs >= 16 && (hs & (hs - 1)) == 0);

	/* not a power of two, with a section size that agrees */
	HOSTILE(ZW_EIMGCORRUPT, hdr(b)->hash_size = hs / 2 + hs / 4;
		hdr(b)->sec[ZW_SEC_HASH].size = (uint64_t)(hs / 2 + hs / 4) * 8);
	HOSTILE(ZW_EIMGCORRUPT, hdr(b)->hash_size = hs - 1;
		hdr(b)->sec[ZW_SEC_HASH].size = (uint64_t)(hs - 1) * 8);
	HOSTILE(ZW_EIMGCORRUPT, hdr(b)->hash_size = hs + 1);
	HOSTILE(ZW_EIMGCORRUPT, hdr(b)->hash_size = 0; hdr(b)->sec[ZW_SEC_HASH].size = 0);
	HOSTILE(ZW_EIMGCORRUPT, hdr(b)->hash_size = 0x80000000u);
	/* a power of two that disagrees with the section */
	HOSTILE(ZW_EIMGCORRUPT, hdr(b)->hash_size = hs * 2);
	HOSTILE(ZW_EIMGCORRUPT, hdr(b)->hash_size = hs / 2);
	/* no larger than the node count: no room for a free slot (the node
	 * section grown over what follows it, still inside the file) */
	uint64_t grown = (uint64_t)hs * sizeof(struct zw_img_node);
	CU_ASSERT_FATAL(hdr(good)->sec[ZW_SEC_NODES].off + grown <= good_size);
	HOSTILE(ZW_EIMGCORRUPT, hdr(b)->node_count = hs; hdr(b)->sec[ZW_SEC_NODES].size = grown);
}

static void test_hash_slots(void)
{
	uint32_t hs = hdr(good)->hash_size, nc = hdr(good)->node_count;
	uint32_t used = 0, empty = ZW_NONE, full = ZW_NONE;

	for (uint32_t i = 0; i < hs; i++) {
		if (hashtab(good)[i].node != 0) {
			used++;
			if (full == ZW_NONE)
				full = i;
		} else if (empty == ZW_NONE) {
			empty = i;
		}
	}
	CU_ASSERT_EQUAL_FATAL(used, nc);
	CU_ASSERT_FATAL(empty != ZW_NONE && full != ZW_NONE);

	/* pointing outside the node table */
	HOSTILE(ZW_EIMGBOUNDS, hashtab(b)[full].node = nc + 1);
	HOSTILE(ZW_EIMGBOUNDS, hashtab(b)[full].node = UINT32_MAX);
	HOSTILE(ZW_EIMGBOUNDS, hashtab(b)[empty].node = nc + 1);
	HOSTILE(ZW_EIMGBOUNDS, hashtab(b)[hs - 1].node = 0x80000000u);
	/* a slot whose hash is not its node's */
	HOSTILE(ZW_EIMGCORRUPT, hashtab(b)[full].hash ^= 1);
	/* a node missing, or an extra entry */
	HOSTILE(ZW_EIMGCORRUPT, hashtab(b)[full].node = 0);
	HOSTILE(ZW_EIMGCORRUPT, set_slot(b, empty, 1));
	/* completely full: a probe for an absent name would never end */
	HOSTILE(
		ZW_EIMGCORRUPT, for (uint32_t i = 0; i < hs; i++) {
			if (hashtab(b)[i].node == 0)
				set_slot(b, i, 1 + i % nc);
		});
	HOSTILE(ZW_EIMGCORRUPT, for (uint32_t i = 0; i < hs; i++) set_slot(b, i, 1 + i % nc));
	/* empty */
	HOSTILE(ZW_EIMGCORRUPT, memset(hashtab(b), 0, (size_t)hs * sizeof(struct zw_img_slot)));
}

/*
 * The table must index every node exactly once ("so probes end at a free
 * slot", image.c): a table that lists one node twice and another not at all
 * has the right number of used slots, but the missing node can no longer
 * be found, and a lookup of its name answers NXDOMAIN.
 */
static void test_hash_duplicate_entry(void)
{
	uint32_t hs = hdr(good)->hash_size, a = ZW_NONE;

	for (uint32_t i = 0; i < hs && a == ZW_NONE; i++)
		if (hashtab(good)[i].node > 1)
			a = i;
	CU_ASSERT_FATAL(a != ZW_NONE);
	/* slot a now names the apex a second time */
	HOSTILE(ZW_EIMGCORRUPT, set_slot(b, a, 1));
}

static void test_node_names(void)
{
	size_t nsize = hdr(good)->sec[ZW_SEC_NAMES].size;
	uint32_t www = must_node(good, "www.example.com.");
	uint32_t sip = must_node(good, "_sip._udp.example.com.");
	uint32_t last = hdr(good)->node_count - 1;
	uint32_t last_off = nodes(good)[last].name_off;

	/* name_off out of bounds */
	HOSTILE(ZW_EIMGBOUNDS, nodes(b)[www].name_off = (uint32_t)nsize);
	HOSTILE(ZW_EIMGBOUNDS, nodes(b)[www].name_off = (uint32_t)nsize + 1000);
	HOSTILE(ZW_EIMGBOUNDS, nodes(b)[www].name_off = UINT32_MAX);
	HOSTILE(ZW_EIMGBOUNDS, nodes(b)[0].name_off = UINT32_MAX);
	/* the length byte runs past the section */
	CU_ASSERT_FATAL(last_off + 1u + sec(good, ZW_SEC_NAMES)[last_off] == nsize);
	HOSTILE(ZW_EIMGBOUNDS, sec(b, ZW_SEC_NAMES)[last_off] += 1);
	HOSTILE(ZW_EIMGBOUNDS, sec(b, ZW_SEC_NAMES)[last_off] = 255);
	HOSTILE(ZW_EIMGBOUNDS, nodes(b)[last].name_off = (uint32_t)nsize - 1);
	/* with the zone name, longer than a name can be */
	HOSTILE(ZW_EIMGBOUNDS, hdr(b)->origin_len = 255; memset(hdr(b)->origin, 0, 255);
		hdr(b)->origin[0] = hdr(b)->origin[64] = hdr(b)->origin[128] = 63;
		hdr(b)->origin[192] = 61);

	/* www is [4] 3 w w w, relative to the zone name */
	uint8_t *nm = sec(good, ZW_SEC_NAMES) + nodes(good)[www].name_off;
	size_t at = (size_t)(nm - good);
	CU_ASSERT_FATAL(nm[0] == 4 && nm[1] == 3);
	/* not a sequence of labels: too long, compression pointer, running
	 * past the length, an empty (root) label inside */
	HOSTILE(ZW_EIMGCORRUPT, b[at + 1] = 64);
	HOSTILE(ZW_EIMGCORRUPT, b[at + 1] = 0xc0);
	HOSTILE(ZW_EIMGCORRUPT, b[at + 1] = 0x40);
	HOSTILE(ZW_EIMGCORRUPT, b[at + 1] = 4);
	HOSTILE(ZW_EIMGCORRUPT, b[at + 1] = 0);
	HOSTILE(ZW_EIMGCORRUPT, b[at + 1] = 2);
	HOSTILE(ZW_EIMGCORRUPT, b[at] = 3);
	/* two labels: _sip._udp is [10] 4 _ s i p 4 _ u d p */
	uint8_t *sn = sec(good, ZW_SEC_NAMES) + nodes(good)[sip].name_off;
	size_t sat = (size_t)(sn - good);
	CU_ASSERT_FATAL(sn[0] == 10 && sn[1] == 4 && sn[6] == 4);
	HOSTILE(ZW_EIMGCORRUPT, b[sat + 6] = 0);
	HOSTILE(ZW_EIMGCORRUPT, b[sat + 6] = 5);
	HOSTILE(ZW_EIMGCORRUPT, b[sat + 6] = 0xc0);
	HOSTILE(ZW_EIMGCORRUPT, b[sat + 1] = 8);
	HOSTILE(ZW_EIMGCORRUPT, b[sat] = 11);
	/* the apex, and only it, has the empty name */
	HOSTILE(ZW_EIMGCORRUPT, nodes(b)[0].name_off = nodes(b)[www].name_off);
	HOSTILE(ZW_EIMGCORRUPT, nodes(b)[www].name_off = nodes(b)[0].name_off);
	HOSTILE(ZW_EIMGCORRUPT, b[at] = 0);
	/* the zone name in the header */
	HOSTILE(ZW_EIMGCORRUPT, hdr(b)->origin_len = 0);
	HOSTILE(ZW_EIMGCORRUPT, hdr(b)->origin_len -= 1);
	HOSTILE(ZW_EIMGCORRUPT, hdr(b)->origin_len += 1);
	HOSTILE(ZW_EIMGCORRUPT, hdr(b)->origin[0] = 64);
	HOSTILE(ZW_EIMGCORRUPT, hdr(b)->origin[0] = 0xc0);
	HOSTILE(ZW_EIMGCORRUPT, hdr(b)->origin_len = 255);
}

static void test_apex(void)
{
	uint32_t www = must_node(good, "www.example.com.");

	/* the apex is the first node, and the only one flagged so */
	HOSTILE(ZW_EIMGCORRUPT, nodes(b)[0].flags &= (uint16_t)~ZW_NODE_APEX);
	HOSTILE(ZW_EIMGCORRUPT, nodes(b)[www].flags |= ZW_NODE_APEX);
	HOSTILE(ZW_EIMGCORRUPT, nodes(b)[1].flags |= ZW_NODE_APEX);
	/* swapped with another node */
	HOSTILE(ZW_EIMGCORRUPT, struct zw_img_node t = nodes(b)[0]; nodes(b)[0] = nodes(b)[www];
		nodes(b)[www] = t);
}

static void test_aux_links(void)
{
	uint32_t nc = hdr(good)->node_count;
	uint32_t apps = must_node(good, "apps.example.com.");
	uint32_t star = must_node(good, "*.apps.example.com.");
	uint32_t glue = must_node(good, "ns1.sub.example.com.");
	uint32_t cut = must_node(good, "sub.example.com.");
	uint32_t www = must_node(good, "www.example.com.");
	uint32_t hosted = must_node(good, "hosted.example.com.");

	CU_ASSERT_FATAL(nodes(good)[apps].flags & ZW_NODE_HAS_WILD);
	CU_ASSERT_EQUAL(nodes(good)[apps].aux, star);
	CU_ASSERT(nodes(good)[star].flags & ZW_NODE_WILDCARD);
	CU_ASSERT_FATAL(nodes(good)[glue].flags & ZW_NODE_GLUE);
	CU_ASSERT_EQUAL(nodes(good)[glue].aux, cut);
	CU_ASSERT(nodes(good)[cut].flags & ZW_NODE_DELEG);
	CU_ASSERT(nodes(good)[hosted].flags & ZW_NODE_DELEG);
	CU_ASSERT(hosted < glue);

	/* wildcard child: forwards and inside the node table */
	HOSTILE(ZW_EIMGCORRUPT, nodes(b)[apps].aux = nc);
	HOSTILE(ZW_EIMGCORRUPT, nodes(b)[apps].aux = ZW_NONE);
	HOSTILE(ZW_EIMGCORRUPT, nodes(b)[apps].aux = UINT32_MAX - 1);
	HOSTILE(ZW_EIMGCORRUPT, nodes(b)[apps].aux = apps);
	HOSTILE(ZW_EIMGCORRUPT, nodes(b)[apps].aux = apps - 1);
	HOSTILE(ZW_EIMGCORRUPT, nodes(b)[apps].aux = 0);
	HOSTILE(ZW_EIMGCORRUPT, nodes(b)[www].flags |= ZW_NODE_HAS_WILD);
	HOSTILE(ZW_EIMGCORRUPT, nodes(b)[nc - 1].flags |= ZW_NODE_HAS_WILD;
		nodes(b)[nc - 1].aux = nc - 1);
	HOSTILE(ZW_EIMGCORRUPT, nodes(b)[0].flags |= ZW_NODE_HAS_WILD; nodes(b)[0].aux = 0);
	/* glue: backwards, to a delegation */
	HOSTILE(ZW_EIMGCORRUPT, nodes(b)[glue].aux = glue);
	HOSTILE(ZW_EIMGCORRUPT, nodes(b)[glue].aux = glue + 1);
	HOSTILE(ZW_EIMGCORRUPT, nodes(b)[glue].aux = nc);
	HOSTILE(ZW_EIMGCORRUPT, nodes(b)[glue].aux = ZW_NONE);
	HOSTILE(ZW_EIMGCORRUPT, nodes(b)[glue].aux = 0);
	HOSTILE(ZW_EIMGCORRUPT, nodes(b)[glue].aux = apps);
	HOSTILE(ZW_EIMGCORRUPT, nodes(b)[glue].flags |= ZW_NODE_HAS_WILD);
	HOSTILE(ZW_EIMGCORRUPT, nodes(b)[www].flags |= ZW_NODE_GLUE);
	HOSTILE(ZW_EIMGCORRUPT, nodes(b)[0].flags |= ZW_NODE_GLUE; nodes(b)[0].aux = 0);
	HOSTILE(ZW_EIMGCORRUPT, nodes(b)[cut].flags &= (uint16_t)~ZW_NODE_DELEG);
	/* another delegation, earlier: in bounds, accepted */
	HOSTILE(0, nodes(b)[glue].aux = hosted);
}

static void test_rrset_ranges(void)
{
	uint32_t rc = hdr(good)->rrset_count;
	uint32_t www = must_node(good, "www.example.com.");
	uint32_t ent = must_node(good, "c.example.com.");
	uint32_t last = hdr(good)->node_count - 1;

	CU_ASSERT_FATAL(nodes(good)[www].rrset_count == 2);
	CU_ASSERT_FATAL(nodes(good)[last].rrset_count > 0);
	CU_ASSERT_FATAL(nodes(good)[ent].rrset_count == 0);
	HOSTILE(ZW_EIMGBOUNDS, nodes(b)[www].rrset_first = rc);
	HOSTILE(ZW_EIMGBOUNDS, nodes(b)[www].rrset_first = ZW_NONE);
	HOSTILE(ZW_EIMGBOUNDS, nodes(b)[www].rrset_first = ZW_NONE - 1);
	HOSTILE(ZW_EIMGBOUNDS, nodes(b)[www].rrset_first = rc - 1);
	HOSTILE(ZW_EIMGBOUNDS, nodes(b)[www].rrset_count = UINT16_MAX);
	HOSTILE(ZW_EIMGBOUNDS, nodes(b)[last].rrset_count += 1);
	HOSTILE(ZW_EIMGBOUNDS, nodes(b)[ent].rrset_count = 1);
	HOSTILE(ZW_EIMGBOUNDS, nodes(b)[0].rrset_first = 0x80000000u);
	/* no RRsets, but a first one named */
	HOSTILE(ZW_EIMGCORRUPT, nodes(b)[www].rrset_count = 0);
	HOSTILE(ZW_EIMGCORRUPT, nodes(b)[ent].rrset_first = 0);
	/* the apex SOA */
	HOSTILE(ZW_EIMGCORRUPT, hdr(b)->soa_rrset = rc);
	HOSTILE(ZW_EIMGCORRUPT, hdr(b)->soa_rrset = UINT32_MAX);
	HOSTILE(ZW_EIMGCORRUPT, hdr(b)->soa_rrset = rrset_of(b, www, ZW_T_A));
	HOSTILE(ZW_EIMGCORRUPT, rrsets(b)[hdr(b)->soa_rrset].type = ZW_T_NS);
}

static void test_chunk_offsets(void)
{
	uint32_t csize = (uint32_t)hdr(good)->sec[ZW_SEC_CHUNKS].size;
	uint32_t www = must_node(good, "www.example.com.");
	uint32_t s = rrset_of(good, www, ZW_T_A);
	uint32_t s6 = rrset_of(good, www, ZW_T_AAAA);
	uint32_t ns = rrset_of(good, 0, ZW_T_NS);
	uint32_t last = last_chunk(good);
	CU_ASSERT_FATAL(csize % 4 == 0);
	CU_ASSERT_FATAL(set_chunk(good, ns)->flags == ZW_RRSET_EXTRA);

	/* out of range */
	HOSTILE(ZW_EIMGCORRUPT, rrsets(b)[s].chunk = csize);
	HOSTILE(ZW_EIMGCORRUPT, rrsets(b)[s].chunk = csize + 64);
	HOSTILE(ZW_EIMGCORRUPT, rrsets(b)[s].chunk = csize - 4);
	HOSTILE(ZW_EIMGCORRUPT, rrsets(b)[s].chunk = ZW_NONE & ~3u);
	HOSTILE(ZW_EIMGCORRUPT, rrsets(b)[s].chunk = ZW_NONE);
	HOSTILE(ZW_EIMGCORRUPT, rrsets(b)[s].chunk = 0x80000000u);
	/* unaligned */
	HOSTILE(ZW_EIMGCORRUPT, rrsets(b)[s].chunk += 1);
	HOSTILE(ZW_EIMGCORRUPT, rrsets(b)[s].chunk += 2);
	/* into the middle of a chunk, or at an additional-data list */
	HOSTILE(ZW_EIMGCORRUPT, rrsets(b)[s].chunk += 8);
	HOSTILE(ZW_EIMGCORRUPT, rrsets(b)[s].chunk = *extra_word(set_chunk(b, ns)));
	/* the negative-answer SOA */
	HOSTILE(ZW_EIMGCORRUPT, hdr(b)->neg_soa_chunk = csize);
	HOSTILE(ZW_EIMGCORRUPT, hdr(b)->neg_soa_chunk = ZW_NONE);
	HOSTILE(ZW_EIMGCORRUPT, hdr(b)->neg_soa_chunk += 2);
	HOSTILE(ZW_EIMGCORRUPT, hdr(b)->neg_soa_chunk += 8);
	/* a chunk with a trailer is not a negative-answer SOA */
	HOSTILE(ZW_EIMGCORRUPT, hdr(b)->neg_soa_chunk = rrsets(b)[ns].chunk);
	/* flags: the RRset's and its chunk's agree, no unknown bits, and a
	 * trailer that the chunk has room for */
	HOSTILE(ZW_EIMGCORRUPT, rrsets(b)[s].flags = ZW_RRSET_EXTRA);
	HOSTILE(ZW_EIMGCORRUPT, rrsets(b)[ns].flags = 0);
	HOSTILE(ZW_EIMGCORRUPT, rrsets(b)[s].flags = 4; set_chunk(b, s)->flags = 4);
	HOSTILE(ZW_EIMGCORRUPT, rrsets(b)[s].flags = 0x80; set_chunk(b, s)->flags = 0x80);
	HOSTILE(
		ZW_EIMGCORRUPT, for (uint32_t i = 0; i < hdr(b)->rrset_count; i++) {
			if (rrsets(b)[i].chunk == last) {
				rrsets(b)[i].flags |= ZW_RRSET_SIGS;
				chunk(b, last)->flags |= ZW_RRSET_SIGS;
			}
		});
	/* another RRset's chunk: in bounds, accepted */
	HOSTILE(0, rrsets(b)[s].chunk = rrsets(b)[s6].chunk);
}

static void test_chunk_contents(void)
{
	uint32_t csize = (uint32_t)hdr(good)->sec[ZW_SEC_CHUNKS].size;
	uint32_t last = last_chunk(good);
	uint32_t www = must_node(good, "www.example.com.");
	uint32_t s = rrset_of(good, www, ZW_T_A);
	uint32_t off = rrsets(good)[s].chunk;
	struct zw_img_chunk *c = chunk(good, off);
	unsigned rdl = first_rdlen_pos(c);
	size_t data = (size_t)(zw_chunk_data(c) - good);
	/* an A RRset: a 2-byte owner pointer, 10 bytes, 4 bytes of address */
	CU_ASSERT_FATAL(c->rrs == 1 && c->len == 16 && c->nreloc == 0 && c->flags == 0);
	CU_ASSERT_FATAL(rdl == 10 && c->owner_v != 0);

	/* len larger than the section */
	HOSTILE(ZW_EIMGCORRUPT, chunk(b, off)->len = UINT16_MAX);
	HOSTILE(ZW_EIMGCORRUPT, chunk(b, last)->len += 4);
	HOSTILE(ZW_EIMGCORRUPT, chunk(b, last)->len = (uint16_t)(csize - last));
	HOSTILE(ZW_EIMGCORRUPT, chunk(b, last)->nreloc += 1);
	HOSTILE(ZW_EIMGCORRUPT, chunk(b, off)->nreloc = UINT16_MAX);
	/* RR counts */
	HOSTILE(ZW_EIMGCORRUPT, chunk(b, off)->rrs += 1);
	HOSTILE(ZW_EIMGCORRUPT, chunk(b, off)->rrs = 0);
	HOSTILE(ZW_EIMGCORRUPT, chunk(b, off)->rrs = UINT16_MAX);
	HOSTILE(ZW_EIMGCORRUPT, chunk(b, off)->len = 0; chunk(b, off)->rrs = 0);
	/* RR data that does not parse to whole RRs */
	HOSTILE(ZW_EIMGCORRUPT, b[data + rdl] = 0xff);
	HOSTILE(ZW_EIMGCORRUPT, b[data + rdl + 1] += 1);
	HOSTILE(ZW_EIMGCORRUPT, b[data + rdl + 1] -= 1);
	HOSTILE(ZW_EIMGCORRUPT, b[data + rdl + 1] = 0);
	HOSTILE(ZW_EIMGCORRUPT, chunk(b, off)->len -= 1);
	HOSTILE(ZW_EIMGCORRUPT, chunk(b, off)->len = 1);
	HOSTILE(ZW_EIMGCORRUPT, chunk(b, off)->len = 11);
	/* owners: pointers when owner_v is set */
	HOSTILE(ZW_EIMGCORRUPT, b[data] = 0x40);
	HOSTILE(ZW_EIMGCORRUPT, b[data] = 0x80);
	HOSTILE(ZW_EIMGCORRUPT, b[data] = 1);
	HOSTILE(ZW_EIMGCORRUPT, b[data] = 0; b[data + 1] = 0; b[data + rdl + 1] = 3);
	/* a root owner and one more byte of rdata is a well-formed RR, but not
	 * one whose owner can be re-pointed */
	HOSTILE(ZW_EIMGCORRUPT, b[data] = 0; memmove(b + data + 1, b + data + 2, 14);
		b[data + rdl - 1] = 0; b[data + rdl] = 5; b[data + 15] = 0);
	/* the same without owner_v is accepted */
	HOSTILE(0, chunk(b, off)->owner_v = 0; b[data] = 0; memmove(b + data + 1, b + data + 2, 14);
		b[data + rdl - 1] = 0; b[data + rdl] = 5; b[data + 15] = 0);
}

/* Replaces the data of the chunk at off by len bytes (no more than it has),
 * with owners that need not be pointers. */
static void rewrite_chunk(uint8_t *b, uint32_t off, const uint8_t *data, uint16_t len, uint16_t rrs)
{
	struct zw_img_chunk *c = chunk(b, off);

	CU_ASSERT_FATAL(len <= c->len && c->nreloc == 0 && c->flags == 0);
	c->owner_v = 0;
	c->len = len;
	c->rrs = rrs;
	memcpy((uint8_t *)(c + 1), data, len);
}

/* An RR whose owner has labels of the given lengths, then a root label;
 * the rest of the len bytes is its rdata. Returns false if it does not fit. */
static bool owner_rr(uint8_t *out, uint16_t len, const uint8_t *labels, unsigned n)
{
	unsigned pos = 0;

	memset(out, 'a', len);
	for (unsigned i = 0; i < n; i++) {
		out[pos] = labels[i];
		pos += 1u + labels[i];
	}
	out[pos++] = 0;
	if (pos + 10 > len)
		return false;
	memcpy(out + pos, "\x00\x10\x00\x01\x00\x00\x0e\x10", 8);
	unsigned rdlen = len - pos - 10;
	out[pos + 8] = (uint8_t)(rdlen >> 8);
	out[pos + 9] = (uint8_t)rdlen;
	return true;
}

static void test_chunk_owners(void)
{
	uint32_t lng = must_node(good, "long.example.com.");
	uint32_t off = rrsets(good)[rrset_of(good, lng, ZW_T_TXT)].chunk;
	uint16_t len = chunk(good, off)->len;
	uint8_t data[1024];
	CU_ASSERT_FATAL(len > 300 && len <= sizeof(data));

	/* labels of 63, 64 (0x40: not a length) and 0x80 bytes */
	static const uint8_t l63[] = { 63 }, l64[] = { 64 }, l128[] = { 0x80 | 63 };
	CU_ASSERT_FATAL(owner_rr(data, len, l63, 1));
	HOSTILE(0, rewrite_chunk(b, off, data, len, 1));
	CU_ASSERT_FATAL(owner_rr(data, len, l64, 1));
	HOSTILE(ZW_EIMGCORRUPT, rewrite_chunk(b, off, data, len, 1));
	CU_ASSERT_FATAL(owner_rr(data, len, l128, 1));
	HOSTILE(ZW_EIMGCORRUPT, rewrite_chunk(b, off, data, len, 1));
	/* owners of 255 bytes, the most a name can have, and of 256 */
	static const uint8_t n255[] = { 63, 63, 63, 61 }, n256[] = { 63, 63, 63, 62 };
	static const uint8_t n320[] = { 63, 63, 63, 63, 63 };
	CU_ASSERT_FATAL(owner_rr(data, len, n255, 4));
	HOSTILE(0, rewrite_chunk(b, off, data, len, 1));
	CU_ASSERT_FATAL(owner_rr(data, len, n256, 4));
	HOSTILE(ZW_EIMGCORRUPT, rewrite_chunk(b, off, data, len, 1));
	CU_ASSERT_FATAL(owner_rr(data, len, n320, 5));
	HOSTILE(ZW_EIMGCORRUPT, rewrite_chunk(b, off, data, len, 1));
	/* two RRs, the second with a compressed owner */
	CU_ASSERT_FATAL(owner_rr(data, 100, l63, 1) && owner_rr(data + 100, 100, l63, 1));
	data[100] = 0xc0;
	data[101] = 0x0c;
	memmove(data + 102, data + 165, 35);
	HOSTILE(0, rewrite_chunk(b, off, data, 137, 2));
	HOSTILE(ZW_EIMGCORRUPT, rewrite_chunk(b, off, data, 137, 1));
	HOSTILE(ZW_EIMGCORRUPT, rewrite_chunk(b, off, data, 137, 3));
	HOSTILE(ZW_EIMGCORRUPT, rewrite_chunk(b, off, data, 136, 2));

	/*
	 * At the very end of the file, where a read past the chunk is a read
	 * past the buffer: the last chunk, followed only by the file's padding.
	 */
	uint32_t last = last_chunk(good);
	uint16_t llen = chunk(good, last)->len;
	size_t d = (size_t)(zw_chunk_data(chunk(good, last)) - good);
	CU_ASSERT_FATAL(llen >= 16 && llen <= 64 && llen % 4 == 0);
	CU_ASSERT_FATAL(d + llen <= good_size && d + llen + 8 > good_size);
	/* an owner label that ends exactly at the end of the data, and whose
	 * next length byte (in the padding, if any) points far beyond */
	HOSTILE(ZW_EIMGCORRUPT, chunk(b, last)->owner_v = 0; b[d] = (uint8_t)(llen - 1);
		if (d + llen < good_size) b[d + llen] = 63);
	/* a second RR that has room for its owner but not its header */
	HOSTILE(ZW_EIMGCORRUPT, chunk(b, last)->owner_v = 0; b[d + 10] = 0;
		b[d + 11] = (uint8_t)(llen - 13); b[d + llen - 1] = 0);
	HOSTILE(ZW_EIMGCORRUPT, chunk(b, last)->owner_v = 0; b[d + 10] = 0;
		b[d + 11] = (uint8_t)(llen - 14); b[d + llen - 2] = 0xc0);
}

static void test_chunk_relocs(void)
{
	uint32_t s = rrset_with_relocs(good);
	CU_ASSERT_FATAL(s != ZW_NONE);
	uint32_t off = rrsets(good)[s].chunk;
	struct zw_img_chunk *c = chunk(good, off);
	uint16_t len = c->len;
	uint32_t r0 = relocs(c)[0];
	CU_ASSERT_FATAL(ZW_RELOC_POS(r0) + 2u <= len);

	/* a relocation whose 2 bytes lie past the data */
	HOSTILE(ZW_EIMGCORRUPT, relocs(chunk(b, off))[0] = ZW_RELOC(len - 1, 0, 0));
	HOSTILE(ZW_EIMGCORRUPT, relocs(chunk(b, off))[0] = ZW_RELOC(len, 0, 0));
	HOSTILE(ZW_EIMGCORRUPT, relocs(chunk(b, off))[0] = ZW_RELOC(0xffff, 0, 0));
	HOSTILE(ZW_EIMGCORRUPT, relocs(chunk(b, off))[0] = r0 | 0xffff);
	/* an unknown kind */
	HOSTILE(ZW_EIMGCORRUPT, relocs(chunk(b, off))[0] = r0 | 3u << 30);
	/* the last in-bounds position is fine */
	HOSTILE(0, relocs(chunk(b, off))[0] = ZW_RELOC(len - 2, ZW_RELOC_KIND(r0), 0));
}

static void test_extra_lists(void)
{
	uint32_t ns = rrset_of(good, 0, ZW_T_NS);
	uint32_t csize = (uint32_t)hdr(good)->sec[ZW_SEC_CHUNKS].size;
	uint32_t nsets = hdr(good)->rrset_count;
	uint32_t star = must_node(good, "*.apps.example.com.");
	uint32_t wild_a = rrset_of(good, star, ZW_T_A);
	uint32_t mail_a = rrset_of(good, must_node(good, "mail.example.com."), ZW_T_A);
	struct zw_img_extra *x = extra_list(good, set_chunk(good, ns));
	uint32_t xo = *extra_word(set_chunk(good, ns));
	unsigned count = x->count;
	CU_ASSERT_FATAL(count >= 2);
	CU_ASSERT_FATAL(set_chunk(good, wild_a)->owner_v == 0);
	CU_ASSERT_FATAL(set_chunk(good, mail_a)->owner_v != 0);

	/* the list offset: out of range, unaligned, too close to the end */
	HOSTILE(ZW_EIMGCORRUPT, *extra_word(set_chunk(b, ns)) = csize);
	HOSTILE(ZW_EIMGCORRUPT, *extra_word(set_chunk(b, ns)) = ZW_NONE - 3);
	HOSTILE(ZW_EIMGCORRUPT, *extra_word(set_chunk(b, ns)) = csize - 2);
	HOSTILE(ZW_EIMGCORRUPT, *extra_word(set_chunk(b, ns)) = csize - 4);
	HOSTILE(ZW_EIMGCORRUPT, *extra_word(set_chunk(b, ns)) += 2);
	HOSTILE(ZW_EIMGCORRUPT, *extra_word(set_chunk(b, ns)) = 0x80000000u);
	/* the count: zero, more entries than the section holds */
	HOSTILE(ZW_EIMGCORRUPT, extra_list(b, set_chunk(b, ns))->count = 0);
	HOSTILE(ZW_EIMGCORRUPT, extra_list(b, set_chunk(b, ns))->count = UINT16_MAX);
	HOSTILE(ZW_EIMGCORRUPT,
		extra_list(b, set_chunk(b, ns))->count = (uint16_t)((csize - xo - 4) / 8 + 1));
	/* entries: RRset out of range, unknown flags, pointer kinds lists do
	 * not use, an RRset whose owners cannot be re-pointed */
	HOSTILE(ZW_EIMGCORRUPT, ents(extra_list(b, set_chunk(b, ns)))[0].rrset = nsets);
	HOSTILE(ZW_EIMGCORRUPT, ents(extra_list(b, set_chunk(b, ns)))[count - 1].rrset = ZW_NONE);
	HOSTILE(ZW_EIMGCORRUPT, ents(extra_list(b, set_chunk(b, ns)))[0].flags = 2);
	HOSTILE(ZW_EIMGCORRUPT, ents(extra_list(b, set_chunk(b, ns)))[0].flags = 0x8001);
	HOSTILE(ZW_EIMGCORRUPT,
		ents(extra_list(b, set_chunk(b, ns)))[0].ptr = ZW_EXTRA_PTR(ZW_RELOC_SELF, 12));
	HOSTILE(ZW_EIMGCORRUPT, ents(extra_list(b, set_chunk(b, ns)))[0].ptr = 0xffff);
	HOSTILE(ZW_EIMGCORRUPT, ents(extra_list(b, set_chunk(b, ns)))[0].rrset = wild_a);
	HOSTILE(ZW_EIMGCORRUPT,
		set_chunk(b, ents(extra_list(b, set_chunk(b, ns)))[0].rrset)->owner_v = 0);
	/* in bounds and well-formed: accepted */
	HOSTILE(0, ents(extra_list(b, set_chunk(b, ns)))[0].rrset = mail_a);
	HOSTILE(0, ents(extra_list(b, set_chunk(b, ns)))[0].flags ^= ZW_EXTRA_REQUIRED);
	HOSTILE(0, ents(extra_list(b, set_chunk(b, ns)))[0].ptr =
			   ZW_EXTRA_PTR(ZW_RELOC_ANCHOR, 0x3fff));
	HOSTILE(0, extra_list(b, set_chunk(b, ns))->count = 1);
}

static void test_signature_chunks(void)
{
	struct ref *r = load(&sgnd);
	uint8_t *g = r->buf;
	uint32_t csize = (uint32_t)hdr(g)->sec[ZW_SEC_CHUNKS].size;
	uint32_t soa = hdr(g)->soa_rrset;
	uint32_t ns = rrset_of(g, 0, ZW_T_NS);
	uint32_t so = *sigs_word(set_chunk(g, soa));
	CU_ASSERT_FATAL(set_chunk(g, ns)->flags == (ZW_RRSET_EXTRA | ZW_RRSET_SIGS));
	CU_ASSERT_FATAL(chunk(g, so)->flags == 0 && chunk(g, so)->rrs == 1);

	/* offset out of range, unaligned, at a list */
	HOSTILE_S(ZW_EIMGCORRUPT, *sigs_word(set_chunk(b, soa)) = csize);
	HOSTILE_S(ZW_EIMGCORRUPT, *sigs_word(set_chunk(b, soa)) = ZW_NONE - 1);
	HOSTILE_S(ZW_EIMGCORRUPT, *sigs_word(set_chunk(b, soa)) += 2);
	HOSTILE_S(ZW_EIMGCORRUPT, *sigs_word(set_chunk(b, soa)) += 8);
	HOSTILE_S(ZW_EIMGCORRUPT, *sigs_word(set_chunk(b, ns)) = *extra_word(set_chunk(b, ns)));
	/* a signature chunk with a trailer of its own, or that does not parse */
	HOSTILE_S(ZW_EIMGCORRUPT, *sigs_word(set_chunk(b, soa)) = rrsets(b)[ns].chunk);
	HOSTILE_S(ZW_EIMGCORRUPT, chunk(b, so)->rrs += 1);
	HOSTILE_S(ZW_EIMGCORRUPT, chunk(b, so)->len += 1);
	HOSTILE_S(ZW_EIMGCORRUPT, chunk(b, so)->len = UINT16_MAX);
	HOSTILE_S(ZW_EIMGCORRUPT, chunk(b, so)->nreloc = 1000);
	/* dropping the trailer word from the flags changes the layout */
	HOSTILE_S(ZW_EIMGCORRUPT, set_chunk(b, ns)->flags = ZW_RRSET_SIGS;
		  rrsets(b)[ns].flags = ZW_RRSET_SIGS);
	/* names in signatures and NSEC records are never compressed, so a
	 * chunk with relocations (the negative-answer SOA's) is neither */
	uint32_t neg = hdr(g)->neg_soa_chunk;
	CU_ASSERT_FATAL(chunk(g, neg)->nreloc > 0 && chunk(g, neg)->flags == 0);
	HOSTILE_S(ZW_EIMGCORRUPT, *sigs_word(set_chunk(b, soa)) = hdr(b)->neg_soa_chunk);
	/* the same chunk as another type's data: accepted */
	HOSTILE_S(0, rrsets(b)[ns].chunk = hdr(b)->neg_soa_chunk; rrsets(b)[ns].flags = 0);
	/* another RRset's signatures: accepted */
	HOSTILE_S(0, *sigs_word(set_chunk(b, soa)) = *sigs_word(set_chunk(b, ns)));
	/* and the signed image survives the accidental kind of damage too */
	for (size_t pos = HDR_SIZE; pos < r->size; pos += r->size / 50) {
		uint8_t *b = copy_of(r, r->size);
		b[pos] ^= 0x10;
		expect_rc(b, r->size, ZW_EIMGSUM, "bit flipped in the signed image");
		free(b);
	}
}

/* The compiler lays each RRset's group (its chunk, additional-data list and
 * signature chunk) before the next RRset's chunk, in RRset order: the
 * answer's prefetch takes the next RRset's offset as where the group ends
 * (pf_set in dataplane/answer_prefetch.c). */
static void test_group_order(void)
{
	struct ref *refs[] = { load(&plain), load(&sgnd) };

	for (size_t k = 0; k < sizeof(refs) / sizeof(refs[0]); k++) {
		struct ref *r = refs[k];
		struct zw_image *img = NULL;
		uint8_t *copy = copy_of(r, r->size);
		CU_ASSERT_EQUAL_FATAL(zw_image_from_buffer(copy, r->size, &img, NULL), 0);
		unsigned exact = 0, n = img->hdr->rrset_count;
		for (unsigned i = 0; i + 1 < n; i++) {
			const struct zw_img_rrset *s = &img->rrsets[i];
			const struct zw_img_chunk *c = zw_rrset_chunk(img, s),
						  *g = zw_rrset_sigs(img, s);
			const struct zw_img_extra *x = zw_rrset_extra(img, s);
			const uint8_t *end = (const uint8_t *)c + zw_chunk_size(c);
			if (x != NULL) {
				const uint8_t *xe = (const uint8_t *)(x + 1) +
						    x->count * sizeof(struct zw_img_extra_ent);
				end = xe > end ? xe : end;
			}
			if (g != NULL) {
				const uint8_t *ge = (const uint8_t *)g + zw_chunk_size(g);
				end = ge > end ? ge : end;
			}
			const uint8_t *next = img->chunks + img->rrsets[i + 1].chunk;
			CU_ASSERT(next >= end);
			exact += next == end;
		}
		CU_ASSERT(exact > 0); /* most often right at the end (19 of 22, 2 of 3) */
		zw_image_close(img);
	}
}

/* The NSEC3 section and map of a real NSEC3-signed zone, damaged one way at
 * a time (checksum recomputed). */
static void test_nsec3_entries(void)
{
	const char *src = getenv("ZW_SRCDIR");
	char path[4096];
	void *image = NULL;
	size_t size = 0;

	snprintf(path, sizeof(path), "%s/tests/zonecompiler/data/roundtrip/nsec3.example.zone",
		 src ? src : ".");
	CU_ASSERT_FATAL(compile_path(path, "nsec3.example.", &image, &size) == 0);
	uint8_t *img = image;
	CU_ASSERT_FATAL(hdr(img)->nsec3_count >= 2);
	CU_ASSERT(hdr(img)->flags & ZW_IMGF_NSEC3);
	CU_ASSERT_EQUAL(hdr(img)->sec[ZW_SEC_NSEC3MAP].size, hdr(img)->node_count * 4u);
	expect_rc(img, size, 0, "NSEC3 zone as compiled");

	uint8_t *b;
	struct zw_img_nsec3 *e;
	uint32_t *map;
#define DAMAGE(stmt, rc, what)                                                                     \
	do {                                                                                       \
		b = malloc(size);                                                                  \
		CU_ASSERT_FATAL(b != NULL);                                                        \
		memcpy(b, img, size);                                                              \
		e = (struct zw_img_nsec3 *)(void *)sec(b, ZW_SEC_NSEC3);                           \
		map = (uint32_t *)(void *)sec(b, ZW_SEC_NSEC3MAP);                                 \
		(void)e;                                                                           \
		(void)map;                                                                         \
		stmt;                                                                              \
		reseal(b, size);                                                                   \
		expect_rc(b, size, rc, what);                                                      \
		free(b);                                                                           \
	} while (0)
	uint32_t nsize = (uint32_t)hdr(img)->sec[ZW_SEC_NAMES].size;
	DAMAGE(e[0].hash_off = nsize, ZW_EIMGBOUNDS, "NSEC3 hash at the end of NAMES");
	DAMAGE(e[0].hash_off = UINT32_MAX, ZW_EIMGBOUNDS, "NSEC3 hash far out");
	DAMAGE(e[0].hash_off = nodes(b)[0].name_off, ZW_EIMGBOUNDS, "NSEC3 hash not 20 bytes");
	DAMAGE(e[0].rrset = hdr(b)->rrset_count, ZW_EIMGBOUNDS, "NSEC3 RRset out of range");
	DAMAGE(e[0].rrset = 0, ZW_EIMGBOUNDS, "NSEC3 entry naming an RRset of another type");
	DAMAGE(
		{
			struct zw_img_nsec3 t = e[0];
			e[0] = e[1];
			e[1] = t;
		},
		ZW_EIMGCORRUPT, "NSEC3 entries out of hash order");
	DAMAGE(map[0] = hdr(b)->nsec3_count, ZW_EIMGBOUNDS, "NSEC3 map entry out of range");
	DAMAGE(hdr(b)->sec[ZW_SEC_NSEC3MAP].size -= 4, ZW_EIMGCORRUPT, "NSEC3 map too short");

	/* records to write: each in its place, nsec3_stride apart, 64-aligned:
	 * the owner (base32hex of its hash), then its RRset's chunk and
	 * signature chunk as they are */
	uint32_t n3 = hdr(img)->nsec3_count, nc = hdr(img)->node_count;
	uint32_t stride = hdr(img)->nsec3_stride;
	CU_ASSERT_FATAL(stride >= 64 && stride % 64 == 0);
	CU_ASSERT_EQUAL(hdr(img)->sec[ZW_SEC_NSEC3PROOF].off % 64, 0);
	CU_ASSERT_FATAL(hdr(img)->sec[ZW_SEC_NSEC3PROOF].size >= (uint64_t)n3 * stride);
	const struct zw_img_nsec3 *recs = (const void *)sec(img, ZW_SEC_NSEC3);
	const uint8_t *proofs = sec(img, ZW_SEC_NSEC3PROOF);
	unsigned near = 0;
	for (uint32_t i = 0; i < n3; i++) {
		char label[33];
		const struct zw_img_n3proof *pr = (const void *)(proofs + (size_t)i * stride);
		const uint8_t *d = (const uint8_t *)(pr + 1);
		if (pr->far) {
			uint32_t off;
			memcpy(&off, d, 4);
			d = proofs + off;
		} else {
			near++;
		}
		zw_base32hex(sec(img, ZW_SEC_NAMES) + recs[i].hash_off + 1, ZW_SHA1_LEN, label);
		CU_ASSERT(d[0] == 32 && memcmp(d + 1, label, 32) == 0);
		struct zw_img_chunk *c = chunk(img, rrsets(img)[recs[i].rrset].chunk);
		const struct zw_img_chunk *sg = chunk(img, *sigs_word(c));
		CU_ASSERT_EQUAL(pr->len, 33u + c->len + sg->len);
		CU_ASSERT_EQUAL(pr->rrs, 1u + sg->rrs);
		CU_ASSERT(memcmp(d + 33, (const uint8_t *)(c + 1), c->len) == 0);
		CU_ASSERT(memcmp(d + 33 + c->len, (const uint8_t *)(sg + 1), sg->len) == 0);
	}
	CU_ASSERT(near * 100 >= n3 * 99);
	/* wildcard denials: the record covering the hash of *.N, for every
	 * node N that is not a cut or glue and has an NSEC3 */
	CU_ASSERT_EQUAL_FATAL(hdr(img)->sec[ZW_SEC_WILDCOVER].size, (uint64_t)nc * 4);
	const uint32_t *wc = (const void *)sec(img, ZW_SEC_WILDCOVER);
	const uint32_t *m3 = (const void *)sec(img, ZW_SEC_NSEC3MAP);
	unsigned covered = 0;
	for (uint32_t i = 0; i < nc; i++) {
		const struct zw_img_node *n = &nodes(img)[i];
		const uint8_t *nm = sec(img, ZW_SEC_NAMES) + n->name_off;
		uint8_t w[ZW_NAME_MAX + 1], hsh[ZW_SHA1_LEN];
		uint32_t want = ZW_NONE;
		if (!(n->flags & (ZW_NODE_GLUE | ZW_NODE_DELEG)) && m3[i] != ZW_NONE) {
			w[0] = 1;
			w[1] = '*';
			memcpy(w + 2, nm + 1, nm[0]);
			memcpy(w + 2 + nm[0], hdr(img)->origin, hdr(img)->origin_len);
			CU_ASSERT_FATAL(zw_nsec3_hash(w, nm[0] + 2u + hdr(img)->origin_len,
						      hdr(img)->nsec3_salt,
						      hdr(img)->nsec3_salt_len,
						      hdr(img)->nsec3_iterations, hsh) == 0);
			uint32_t below = ZW_NONE;
			bool match = false;
			for (uint32_t k = 0; k < n3; k++) {
				int c = memcmp(sec(img, ZW_SEC_NAMES) + recs[k].hash_off + 1, hsh,
					       ZW_SHA1_LEN);
				match |= c == 0;
				if (c < 0)
					below = k;
			}
			want = match ? ZW_NONE : below == ZW_NONE ? n3 - 1 : below;
		}
		CU_ASSERT_EQUAL(wc[i], want);
		covered += want != ZW_NONE;
	}
	CU_ASSERT(covered >= 3);
	/* search keys: the hashes' first 8 bytes, big-endian */
	CU_ASSERT_EQUAL_FATAL(hdr(img)->sec[ZW_SEC_NSEC3KEYS].size, (uint64_t)n3 * 8);
	const uint64_t *n3k = (const void *)sec(img, ZW_SEC_NSEC3KEYS);
	for (uint32_t i = 0; i < n3; i++) {
		const uint8_t *hh = sec(img, ZW_SEC_NAMES) + recs[i].hash_off + 1;
		uint64_t want = 0;
		for (int k = 0; k < 8; k++)
			want = want << 8 | hh[k];
		CU_ASSERT_EQUAL(n3k[i], want);
	}
	uint8_t *pb;
	uint32_t *wcv;
	uint64_t *keys;
	/* the first record's place; its data (pd), the NSEC3 RR's type (pt) */
#define PD(b) ((uint8_t *)(void *)sec(b, ZW_SEC_NSEC3PROOF) + 4)
#define PH(b) ((struct zw_img_n3proof *)(void *)sec(b, ZW_SEC_NSEC3PROOF))
#define DAMAGE2(stmt, rc, what)                                                                    \
	DAMAGE(                                                                                    \
		{                                                                                  \
			pb = (uint8_t *)(void *)sec(b, ZW_SEC_NSEC3PROOF);                         \
			wcv = (uint32_t *)(void *)sec(b, ZW_SEC_WILDCOVER);                        \
			keys = (uint64_t *)(void *)sec(b, ZW_SEC_NSEC3KEYS);                       \
			(void)pb;                                                                  \
			(void)wcv;                                                                 \
			(void)keys;                                                                \
			stmt;                                                                      \
		},                                                                                 \
		rc, what)
	CU_ASSERT_FATAL(!PH(img)->far);
	DAMAGE2(PD(b)[1] ^= 1, ZW_EIMGCORRUPT, "NSEC3 owner label not its hash");
	DAMAGE2(PD(b)[32] = 'A', ZW_EIMGCORRUPT, "NSEC3 owner label in upper case");
	DAMAGE2(PD(b)[0] = 31, ZW_EIMGCORRUPT, "NSEC3 owner label of another length");
	DAMAGE2(PD(b)[36] ^= 1, ZW_EIMGCORRUPT, "not an NSEC3 RR first");
	DAMAGE2(PD(b)[44] += 1, ZW_EIMGCORRUPT, "NSEC3 RR longer than its record");
	DAMAGE2(PH(b)->len -= 1, ZW_EIMGCORRUPT, "record shorter than its RRs");
	DAMAGE2(PH(b)->len += 1, 4u + PH(img)->len + 1u > stride ? ZW_EIMGBOUNDS : ZW_EIMGCORRUPT,
		"record longer than its RRs");
	DAMAGE2(PH(b)->len = (uint16_t)stride, ZW_EIMGBOUNDS, "record past its place");
	DAMAGE2(PH(b)->rrs += 1, ZW_EIMGCORRUPT, "one RR more than there is");
	DAMAGE2(PH(b)->rrs = 0, ZW_EIMGCORRUPT, "no RRs");
	DAMAGE2(PH(b)->far = 2, ZW_EIMGCORRUPT, "far neither 0 nor 1");
	DAMAGE2(PH(b)->far = 1, ZW_EIMGBOUNDS, "far, pointing into the table");
	DAMAGE2(
		{
			PH(b)->far = 1;
			uint32_t off = UINT32_MAX - 8;
			memcpy(PD(b), &off, 4);
		},
		ZW_EIMGBOUNDS, "far, pointing out of the section");
	DAMAGE2(hdr(b)->nsec3_stride = 96, ZW_EIMGCORRUPT, "stride not a multiple of 64");
	DAMAGE2(hdr(b)->nsec3_stride = 0, ZW_EIMGCORRUPT, "no stride");
	DAMAGE2(hdr(b)->nsec3_stride *= 2, ZW_EIMGCORRUPT, "stride larger than the section allows");
	DAMAGE2(hdr(b)->sec[ZW_SEC_NSEC3PROOF].size -= 1, ZW_EIMGCORRUPT,
		"NSEC3 records to write: too few");
	DAMAGE2(hdr(b)->sec[ZW_SEC_NSEC3PROOF].size = 0, ZW_EIMGCORRUPT,
		"NSEC3 records to write: none");
	/* a signature's type */
	DAMAGE2(
		{
			unsigned o = 33u + 12u + (unsigned)(PD(b)[43] << 8 | PD(b)[44]);
			PD(b)[o + 3] ^= 1;
		},
		ZW_EIMGCORRUPT, "a signature that is not an RRSIG");
#undef PD
#undef PH
	DAMAGE2(wcv[0] = n3, ZW_EIMGBOUNDS, "wildcard denial past the NSEC3 table");
	DAMAGE2(wcv[nc - 1] = UINT32_MAX - 1, ZW_EIMGBOUNDS, "wildcard denial far out");
	DAMAGE2(wcv[0] = ZW_NONE, 0, "wildcard denial left to the answer path");
	DAMAGE2(wcv[0] = n3 - 1, 0, "another NSEC3 record: in bounds");
	DAMAGE2(hdr(b)->sec[ZW_SEC_WILDCOVER].size -= 4, ZW_EIMGCORRUPT, "wildcard denials short");
	DAMAGE2(hdr(b)->sec[ZW_SEC_WILDCOVER].size = 0, 0, "no wildcard denials");
	DAMAGE2(keys[0] ^= 1, ZW_EIMGCORRUPT, "NSEC3 key that is not its hash's");
	DAMAGE2(keys[n3 - 1] = 0, ZW_EIMGCORRUPT, "NSEC3 key out of order");
	DAMAGE2(keys[1] = keys[0], ZW_EIMGCORRUPT, "NSEC3 key of another record");
	DAMAGE2(hdr(b)->sec[ZW_SEC_NSEC3KEYS].size -= 8, ZW_EIMGCORRUPT, "NSEC3 keys too few");
	DAMAGE2(hdr(b)->sec[ZW_SEC_NSEC3KEYS].size = 0, 0,
		"no NSEC3 keys: the search reads hashes");
#undef DAMAGE2
#undef DAMAGE
	free(image);
}

/*
 * An NSEC zone made up for the canonical searches: names whose keys tie in
 * their first 16 bytes, bytes 0, 1 and 255, '*' and '-' in labels, empty
 * non-terminals, a cut with glue, a wildcard, and random names; its NSEC
 * chain is written from the order of a first compile. The signatures are
 * not checked, so there are none but a DNSKEY.
 */
static const char *const nsec_fixed[] = {
	"a",
	"a.a",
	"b.a",
	"\\000",
	"\\001.x",
	"\\255",
	"\\255.\\255",
	"-",
	"0",
	"*.w",
	"x.w",
	"zz",
	"x*y",
	"deep.e.n.t",
	"averyveryverylongprefix-1",
	"averyveryverylongprefix-2",
	"www.averyveryverylongprefix-2",
	"mail.averyveryverylongprefix-2",
	"averyveryverylongprefix-2.averyveryverylongprefix-2",
	"averyveryverylongprefix-3",
	"averyveryverylongprefiy",
	"averyveryverylongprefix",
	"averyveryverylongprefix-3.x.y",
	"exactly16bytes-x",
	"exactly16bytes-x.a",
	"exactly16bytes-y",
	"exactly15bytes-",
	"x.exactly15bytes-",
	"Mixed.CASE",
	"~",
};

static uint64_t test_rng = 88172645463325252ull;

static unsigned rnd(unsigned n)
{
	test_rng ^= test_rng << 13;
	test_rng ^= test_rng >> 7;
	test_rng ^= test_rng << 17;
	return (unsigned)(test_rng % n);
}

static void rnd_label(char *out)
{
	static const char alpha[] = "abcz019-_";
	unsigned len = 1 + rnd(20);

	for (unsigned i = 0; i < len; i++)
		out[i] = alpha[rnd(sizeof(alpha) - 1)];
	out[len] = '\0';
}

static char *nsec_zone_unsigned(void)
{
	size_t cap = 1 << 20, len = 0;
	char *t = malloc(cap);
	char a[32], b2[32], c[32];

	CU_ASSERT_FATAL(t != NULL);
	len += (size_t)snprintf(t + len, cap - len,
				"$TTL 3600\n@ SOA ns1 hostmaster 1 7200 3600 1209600 300\n"
				"@ NS ns1\n@ DNSKEY 257 3 13 a2V5LWtleS1rZXkta2V5LWtleS1rZXkta2V5\n"
				"ns1 A 192.0.2.1\nsub NS ns.sub\nns.sub A 192.0.2.2\n"
				"other.sub A 192.0.2.3\n");
	for (size_t i = 0; i < sizeof(nsec_fixed) / sizeof(nsec_fixed[0]); i++)
		len += (size_t)snprintf(t + len, cap - len, "%s TXT \"x\"\n", nsec_fixed[i]);
	for (unsigned i = 0; i < 300; i++) {
		rnd_label(a);
		rnd_label(b2);
		rnd_label(c);
		switch (rnd(4)) {
		case 0: len += (size_t)snprintf(t + len, cap - len, "%s A 192.0.2.9\n", a); break;
		case 1:
			len += (size_t)snprintf(t + len, cap - len, "%s.%s A 192.0.2.9\n", a, b2);
			break;
		case 2:
			len += (size_t)snprintf(t + len, cap - len, "%s.%s.%s A 192.0.2.9\n", a, b2,
						c);
			break;
		default:
			/* below an existing name */
			len += (size_t)snprintf(
				t + len, cap - len, "%s.%s A 192.0.2.9\n", a,
				nsec_fixed[rnd(sizeof(nsec_fixed) / sizeof(nsec_fixed[0]))]);
			break;
		}
	}
	CU_ASSERT_FATAL(len < cap);
	return t;
}

/* The zone text with the NSEC chain, built once. */
static char *nsec_text;

static const char *nsec_zone_text(void)
{
	if (nsec_text != NULL)
		return nsec_text;
	char *plain_text = nsec_zone_unsigned();
	void *image = NULL;
	size_t size = 0;
	CU_ASSERT_FATAL(compile_text("nsec.example.", plain_text, &image, &size) == 0);
	struct zw_image *img = NULL;
	CU_ASSERT_FATAL(zw_image_from_buffer(image, size, &img, NULL) == 0);
	size_t cap = strlen(plain_text) + 256u * 2 * img->hdr->node_count + 1024, len = 0;
	char *t = malloc(cap);
	CU_ASSERT_FATAL(t != NULL);
	len += (size_t)snprintf(t, cap, "%s", plain_text);
	/* owners of NSEC: every node but glue and empty non-terminals */
	uint32_t first = ZW_NONE, prev = ZW_NONE;
	for (uint32_t i = 0; i <= img->hdr->node_count; i++) {
		uint32_t k = i < img->hdr->node_count ? i : first;
		const struct zw_img_node *n = &img->nodes[k];
		if (i < img->hdr->node_count && ((n->flags & ZW_NODE_GLUE) || n->rrset_count == 0))
			continue;
		if (prev != ZW_NONE) {
			uint8_t w1[256], w2[256];
			char s1[1024], s2[1024];
			zw_image_node_name(img, &img->nodes[prev], w1);
			zw_image_node_name(img, n, w2);
			zw_name_to_str(w1, s1, sizeof(s1));
			zw_name_to_str(w2, s2, sizeof(s2));
			len += (size_t)snprintf(t + len, cap - len, "%s 300 NSEC %s A TXT NSEC\n",
						s1, s2);
		}
		if (i == img->hdr->node_count)
			break;
		if (first == ZW_NONE)
			first = k;
		prev = k;
	}
	CU_ASSERT_FATAL(len < cap);
	zw_image_close(img);
	free(plain_text);
	nsec_text = t;
	return t;
}

static struct ref nsecz = { "nsec.example.", NULL, NULL, 0 };

static struct ref *nsec_ref(void)
{
	nsecz.text = nsec_zone_text();
	return load(&nsecz);
}

/* The last node at or before a name, by comparing full names. */
static uint32_t pred_brute(const struct zw_image *img, const uint8_t *name)
{
	uint32_t best = 0;

	for (uint32_t i = 0; i < img->hdr->node_count; i++) {
		uint8_t full[ZW_NAME_MAX + 1];
		zw_image_node_name(img, &img->nodes[i], full);
		if (zw_name_cmp(full, name) <= 0)
			best = i;
	}
	return best;
}

/* The closest encloser of a name in the zone: its longest suffix that is
 * a node. */
static uint32_t encloser_of(const struct zw_image *img, const uint8_t *name, unsigned len)
{
	for (unsigned pos = 0; pos < len;) {
		const struct zw_img_node *n = zw_image_find_name(img, name + pos, len - pos);
		if (n != NULL)
			return (uint32_t)(n - img->nodes);
		pos += 1u + name[pos];
	}
	return 0;
}

static unsigned canon_checked;

/* zw_image_canon_pred() for name (lower case, in the zone), with the keys
 * and without, from the apex and from the closest encloser, against the
 * full comparison. */
static void check_pred(const struct zw_image *img, const uint8_t *name, unsigned len)
{
	struct zw_canon_name q;
	struct zw_image nokeys = *img;
	uint32_t want = pred_brute(img, name), ce = encloser_of(img, name, len);

	nokeys.canon = NULL;
	zw_canon_prepare(&q, name, len - img->hdr->origin_len);
	uint32_t got[4] = { zw_image_canon_pred(img, &q, 0), zw_image_canon_pred(img, &q, ce),
			    zw_image_canon_pred(&nokeys, &q, 0),
			    zw_image_canon_pred(&nokeys, &q, ce) };
	for (int k = 0; k < 4; k++) {
		if (got[k] != want) {
			char str[1024];
			zw_name_to_str(name, str, sizeof(str));
			fprintf(stderr, "\n  %s: predecessor %u (way %d), expected %u\n", str,
				got[k], k, want);
		}
		CU_ASSERT_EQUAL(got[k], want);
	}
	CU_ASSERT_EQUAL(zw_image_canon_cmp(img, want, &q) <= 0, true);
	canon_checked++;
}

/* prefix (wire label) + the name of node i */
static unsigned below_node(const struct zw_image *img, uint32_t i, const uint8_t *label,
			   uint8_t *out)
{
	uint8_t full[ZW_NAME_MAX + 1];
	unsigned len = zw_image_node_name(img, &img->nodes[i], full);

	if (len + 1u + label[0] > ZW_NAME_MAX)
		return 0;
	memcpy(out, label, 1u + label[0]);
	memcpy(out + 1 + label[0], full, len);
	return len + 1u + label[0];
}

static void test_canon_search(void)
{
	struct ref *r = nsec_ref();
	uint8_t *b = copy_of(r, r->size);
	struct zw_image *img = NULL;
	uint8_t name[ZW_NAME_MAX + 1];
	static const char *const labels[] = { "\001\000", "\001\001", "\0010",	  "\001-",
					      "\001*",	  "\001a",    "\004zzzz", "\001~",
					      "\001\377", "\002a-",   "\001_" };

	CU_ASSERT_EQUAL_FATAL(zw_image_from_buffer(b, r->size, &img, NULL), 0);
	CU_ASSERT(img->hdr->flags & ZW_IMGF_NSEC);
	CU_ASSERT_PTR_NOT_NULL_FATAL(img->canon);
	CU_ASSERT_PTR_NOT_NULL_FATAL(img->wild_cover);
	CU_ASSERT_PTR_NULL(img->nsec3_proof);
	uint32_t nc = img->hdr->node_count;
	CU_ASSERT(nc > 300);
	/* keys: the nodes' own, never decreasing, some equal */
	unsigned ties = 0;
	for (uint32_t i = 0; i < nc; i++) {
		const uint8_t *nm = img->names + img->nodes[i].name_off;
		struct zw_img_canon k = zw_canon_key(nm + 1, nm[0]);
		CU_ASSERT(k.hi == img->canon[i].hi && k.lo == img->canon[i].lo);
		if (i > 0) {
			CU_ASSERT(zw_canon_cmp(img->canon[i - 1], img->canon[i]) <= 0);
			ties += zw_canon_cmp(img->canon[i - 1], img->canon[i]) == 0;
		}
	}
	CU_ASSERT(ties >= 4);
	CU_ASSERT(img->canon[0].hi == 0 && img->canon[0].lo == 0);
	/* every node, names just before and after it, below it, beside it */
	for (uint32_t i = 0; i < nc; i++) {
		unsigned len = zw_image_node_name(img, &img->nodes[i], name);
		check_pred(img, name, len);
		for (size_t k = 0; k < sizeof(labels) / sizeof(labels[0]); k++) {
			uint8_t q[ZW_NAME_MAX + 1];
			unsigned ql = below_node(img, i, (const uint8_t *)labels[k], q);
			if (ql)
				check_pred(img, q, ql);
		}
		if (i == 0)
			continue;
		/* the first label longer, shorter, its last byte one more */
		uint8_t q[ZW_NAME_MAX + 1];
		unsigned l0 = name[0];
		if (l0 < 63 && len + 1 <= ZW_NAME_MAX) {
			q[0] = (uint8_t)(l0 + 1);
			memcpy(q + 1, name + 1, l0);
			q[1 + l0] = rnd(2) ? '\0' : 'm';
			memcpy(q + 2 + l0, name + 1 + l0, len - 1 - l0);
			check_pred(img, q, len + 1);
		}
		if (l0 > 1) {
			q[0] = (uint8_t)(l0 - 1);
			memcpy(q + 1, name + 1, l0 - 1u);
			memcpy(q + l0, name + 1 + l0, len - 1 - l0);
			check_pred(img, q, len - 1);
		}
		memcpy(q, name, len);
		if (q[l0] < 255) {
			q[l0]++;
			check_pred(img, q, len);
		}
	}
	/* random names of random labels, in the zone */
	for (unsigned t = 0; t < 2000; t++) {
		uint8_t q[ZW_NAME_MAX + 1];
		unsigned ql = 0, nl = 1 + rnd(3);
		for (unsigned k = 0; k < nl; k++) {
			unsigned ll = 1 + rnd(24);
			q[ql++] = (uint8_t)ll;
			for (unsigned c = 0; c < ll; c++)
				q[ql++] = rnd(3) == 0 ? (uint8_t)rnd(256)
						      : (uint8_t) "aevx0-9"[rnd(7)];
		}
		memcpy(q + ql, img->hdr->origin, img->hdr->origin_len);
		ql += img->hdr->origin_len;
		uint8_t low[ZW_NAME_MAX + 1];
		zw_name_lower(low, q);
		check_pred(img, low, ql);
	}
	CU_ASSERT(canon_checked > 3000);
	/* the wildcard denials: for every node that can be a closest
	 * encloser, the nearest NSEC owner at or before its wildcard */
	for (uint32_t i = 0; i < nc; i++) {
		const struct zw_img_node *n = &img->nodes[i];
		uint32_t want = ZW_NONE;
		if (!(n->flags & (ZW_NODE_GLUE | ZW_NODE_DELEG))) {
			uint8_t q[ZW_NAME_MAX + 1];
			unsigned ql = below_node(img, i, (const uint8_t *)"\001*", q);
			CU_ASSERT_FATAL(ql > 0);
			for (uint32_t p = pred_brute(img, q);; p--) {
				const struct zw_img_node *c = &img->nodes[p];
				if (!(c->flags & ZW_NODE_GLUE) &&
				    zw_image_rrset(img, c, ZW_T_NSEC) != NULL) {
					want = p;
					break;
				}
				if (p == 0)
					break;
			}
		}
		CU_ASSERT_EQUAL(img->wild_cover[i], want);
	}
	zw_image_close(img);
}

/* The canonical key the slow way: every byte of the escaped, reversed
 * labels, then the first 16. */
static struct zw_img_canon key_ref(const uint8_t *rel, unsigned len)
{
	uint8_t full[2 * ZW_NAME_MAX + 16], off[128];
	unsigned n = 0, o = 0;

	memset(full, 0, sizeof(full));
	for (unsigned p = 0; p < len; p += 1u + rel[p])
		off[n++] = (uint8_t)p;
	while (n-- > 0) {
		const uint8_t *l = rel + off[n];
		for (unsigned i = 1; i <= l[0]; i++) {
			if (l[i] <= 1) {
				full[o++] = 1;
				full[o++] = (uint8_t)(l[i] + 1);
			} else {
				full[o++] = l[i];
			}
		}
		full[o++] = 0;
	}
	struct zw_img_canon k = { 0, 0 };
	for (int i = 0; i < 8; i++) {
		k.hi = k.hi << 8 | full[i];
		k.lo = k.lo << 8 | full[8 + i];
	}
	return k;
}

/* Random relative names, bytes 0, 1 and 2 frequent, labels of every
 * length up to 20: zw_canon_key() against the slow way, and keys in the
 * order of the names (RFC 4034 6.1). */
static void test_canon_keys(void)
{
	uint8_t a[ZW_NAME_MAX + 1], b2[ZW_NAME_MAX + 1];
	unsigned alen = 0, mismatched = 0, unordered = 0;

	for (unsigned t = 0; t < 20000; t++) {
		unsigned blen = 0, nl = rnd(5);
		for (unsigned k = 0; k < nl; k++) {
			unsigned ll = 1 + rnd(20);
			b2[blen++] = (uint8_t)ll;
			for (unsigned c = 0; c < ll; c++)
				b2[blen++] = rnd(2) ? (uint8_t)rnd(3) : (uint8_t)("ab~"[rnd(3)]);
		}
		struct zw_img_canon kb = zw_canon_key(b2, blen), rb = key_ref(b2, blen);
		mismatched += kb.hi != rb.hi || kb.lo != rb.lo;
		/* against the previous name, both as full names */
		uint8_t fa[ZW_NAME_MAX + 1], fb[ZW_NAME_MAX + 1];
		memcpy(fa, a, alen);
		fa[alen] = 0;
		memcpy(fb, b2, blen);
		fb[blen] = 0;
		int c = zw_name_cmp(fa, fb), kc = zw_canon_cmp(zw_canon_key(a, alen), kb);
		unordered += (c < 0 && kc > 0) || (c > 0 && kc < 0) || (c == 0 && kc != 0);
		memcpy(a, b2, blen);
		alen = blen;
	}
	CU_ASSERT_EQUAL(mismatched, 0);
	CU_ASSERT_EQUAL(unordered, 0);
	/* the apex's key is zero */
	struct zw_img_canon z = zw_canon_key(a, 0);
	CU_ASSERT(z.hi == 0 && z.lo == 0);
}

/* The canonical keys and wildcard denials of an NSEC zone, damaged one way
 * at a time (checksum recomputed). */
static void test_canon_entries(void)
{
	struct ref *r = nsec_ref();
	uint32_t nc = hdr(r->buf)->node_count;
	uint32_t sub = must_node(r->buf, "sub.nsec.example."),
		 a = must_node(r->buf, "a.nsec.example.");
	CU_ASSERT_FATAL(a + 1 < nc);
#define KEYS(b)	 ((struct zw_img_canon *)(void *)sec(b, ZW_SEC_CANON))
#define COVER(b) ((uint32_t *)(void *)sec(b, ZW_SEC_WILDCOVER))
	expect_rc(r->buf, r->size, 0, "NSEC zone as compiled");
	HOSTILE_IN(r, ZW_EIMGCORRUPT, KEYS(b)[a].lo ^= 1);
	HOSTILE_IN(r, ZW_EIMGCORRUPT, KEYS(b)[a].hi += 1);
	HOSTILE_IN(r, ZW_EIMGCORRUPT, KEYS(b)[0].lo = 1);
	HOSTILE_IN(r, ZW_EIMGCORRUPT, KEYS(b)[nc - 1].hi = UINT64_MAX);
	HOSTILE_IN(r, ZW_EIMGCORRUPT, memset(KEYS(b), 0, nc * sizeof(struct zw_img_canon)));
	/* two nodes swapped with their keys: every key its node's, out of order */
	HOSTILE_IN(r, ZW_EIMGCORRUPT, {
		struct zw_img_canon t = KEYS(b)[a];
		KEYS(b)[a] = KEYS(b)[a + 1];
		KEYS(b)[a + 1] = t;
		uint32_t o = nodes(b)[a].name_off;
		nodes(b)[a].name_off = nodes(b)[a + 1].name_off;
		nodes(b)[a + 1].name_off = o;
	});
	HOSTILE_IN(r, ZW_EIMGCORRUPT, hdr(b)->sec[ZW_SEC_CANON].size -= 16);
	HOSTILE_IN(r, ZW_EIMGCORRUPT, hdr(b)->sec[ZW_SEC_CANON].size += 16);
	HOSTILE_IN(r, ZW_EIMGCORRUPT, hdr(b)->sec[ZW_SEC_CANON].size = 8);
	HOSTILE_IN(r, 0, hdr(b)->sec[ZW_SEC_CANON].size = 0);
	HOSTILE_IN(r, ZW_EIMGBOUNDS, COVER(b)[a] = nc);
	HOSTILE_IN(r, ZW_EIMGBOUNDS, COVER(b)[nc - 1] = UINT32_MAX - 1);
	HOSTILE_IN(r, 0, COVER(b)[a] = ZW_NONE);
	/* another node: in bounds (even one without an NSEC: glue, an empty
	 * non-terminal; the answer path checks) */
	HOSTILE_IN(r, 0, COVER(b)[a] = sub + 1);
	HOSTILE_IN(r, ZW_EIMGCORRUPT, hdr(b)->sec[ZW_SEC_WILDCOVER].size -= 4);
	HOSTILE_IN(r, 0, hdr(b)->sec[ZW_SEC_WILDCOVER].size = 0);
	/* an NSEC chunk with relocations (the negative-answer SOA's): NSEC
	 * data is never compressed, denials copy it as it is */
	uint32_t nsec = rrset_of(r->buf, 0, ZW_T_NSEC);
	CU_ASSERT_FATAL(chunk(r->buf, hdr(r->buf)->neg_soa_chunk)->nreloc > 0);
	HOSTILE_IN(r, ZW_EIMGCORRUPT, rrsets(b)[nsec].chunk = hdr(b)->neg_soa_chunk;
		   rrsets(b)[nsec].flags = 0);
	/* NSEC3 labels in an NSEC zone: their count is the NSEC3 count, 0 */
	HOSTILE_IN(r, ZW_EIMGCORRUPT,
		   hdr(b)->sec[ZW_SEC_NSEC3PROOF].off = hdr(b)->sec[ZW_SEC_NAMES].off;
		   hdr(b)->sec[ZW_SEC_NSEC3PROOF].size = 64);
	HOSTILE_IN(r, ZW_EIMGCORRUPT,
		   hdr(b)->sec[ZW_SEC_NSEC3KEYS].off = hdr(b)->sec[ZW_SEC_NAMES].off;
		   hdr(b)->sec[ZW_SEC_NSEC3KEYS].size = 8);
#undef KEYS
#undef COVER
}

/* The NSEC records laid out to write (NSECPROOF): a place per node, in
 * node order; where the node owns an NSEC, its labels, its NSEC chunk and
 * its signature chunk as they are; empty elsewhere. Then damaged one way
 * at a time (checksum recomputed). */
static void test_nsec_proofs(void)
{
	struct ref *r = nsec_ref();
	uint8_t *img = r->buf;
	uint32_t nc = hdr(img)->node_count, stride = hdr(img)->nsec_stride;
	uint32_t a = must_node(img, "a.nsec.example."), owners = 0, empty = 0;

	CU_ASSERT_FATAL(stride >= 64 && stride % 64 == 0);
	CU_ASSERT_EQUAL(hdr(img)->sec[ZW_SEC_NSECPROOF].off % 64, 0);
	CU_ASSERT_FATAL(hdr(img)->sec[ZW_SEC_NSECPROOF].size >= (uint64_t)nc * stride);
	const uint8_t *names = sec(img, ZW_SEC_NAMES), *places = sec(img, ZW_SEC_NSECPROOF);
	for (uint32_t i = 0; i < nc; i++) {
		const struct zw_img_nsecproof *pr = (const void *)(places + (size_t)i * stride);
		const struct zw_img_node *nd = &nodes(img)[i];
		uint32_t s = ZW_NONE;
		for (unsigned k = 0; k < nd->rrset_count && !(nd->flags & ZW_NODE_GLUE); k++)
			if (rrsets(img)[nd->rrset_first + k].type == ZW_T_NSEC)
				s = nd->rrset_first + k;
		if (s == ZW_NONE) {
			CU_ASSERT(pr->len == 0 && pr->rrs == 0 && pr->rel == 0);
			empty++;
			continue;
		}
		owners++;
		const uint8_t *d = (const uint8_t *)(pr + 1);
		if (pr->far) {
			uint32_t off;
			memcpy(&off, d, 4);
			d = places + off;
		}
		const struct zw_img_chunk *c = set_chunk(img, s);
		uint32_t so = zw_chunk_sigs(c);
		const struct zw_img_chunk *sg = so != ZW_NONE ? chunk(img, so) : NULL;
		unsigned slen = sg != NULL ? sg->len : 0, srrs = sg != NULL ? sg->rrs : 0;
		const uint8_t *nm = names + nd->name_off;
		CU_ASSERT_EQUAL(pr->rel, nm[0]);
		CU_ASSERT(memcmp(d, nm + 1, nm[0]) == 0);
		CU_ASSERT_EQUAL(pr->nsec_len, c->len);
		CU_ASSERT(memcmp(d + nm[0], zw_chunk_data(c), c->len) == 0);
		CU_ASSERT_EQUAL(pr->len, nm[0] + c->len + slen);
		CU_ASSERT(sg == NULL || memcmp(d + nm[0] + c->len, zw_chunk_data(sg), slen) == 0);
		CU_ASSERT_EQUAL(pr->rrs, 1 + srrs);
	}
	CU_ASSERT(owners > 0 && empty > 0); /* the zone has glue or empty non-terminals */
	expect_rc(img, r->size, 0, "NSEC zone as compiled");
	CU_ASSERT_FATAL(rrset_of(img, a, ZW_T_NSEC) != ZW_NONE);
#define PH(b) ((struct zw_img_nsecproof *)(void *)(sec(b, ZW_SEC_NSECPROOF) + (size_t)a * stride))
#define PD(b) ((uint8_t *)(PH(b) + 1))
	CU_ASSERT_FATAL(!PH(img)->far && PH(img)->rel == 2); /* the labels \001a */
	HOSTILE_IN(r, ZW_EIMGCORRUPT, PD(b)[1] ^= 1);	     /* the owner's label */
	HOSTILE_IN(r, ZW_EIMGCORRUPT, PH(b)->rel = 0);	     /* an owner of another length */
	HOSTILE_IN(r, ZW_EIMGCORRUPT, PD(b)[2 + 3] ^= 1);    /* not an NSEC first */
	HOSTILE_IN(r, ZW_EIMGCORRUPT, PH(b)->nsec_len -= 1);
	HOSTILE_IN(r, ZW_EIMGCORRUPT, PH(b)->nsec_len = 11);
	HOSTILE_IN(r, ZW_EIMGCORRUPT, PH(b)->len -= 1);
	HOSTILE_IN(r, ZW_EIMGCORRUPT, PH(b)->rrs += 1);
	HOSTILE_IN(r, ZW_EIMGCORRUPT, PH(b)->rrs = 0);
	HOSTILE_IN(r, ZW_EIMGCORRUPT, PH(b)->far = 2);
	HOSTILE_IN(r, ZW_EIMGBOUNDS, PH(b)->far = 1);		     /* pointing into the table */
	HOSTILE_IN(r, ZW_EIMGBOUNDS, PH(b)->len = (uint16_t)stride); /* past its place */
	/* an empty place with something in it; a place given to glue */
	uint32_t ns1 = must_node(img, "ns.sub.nsec.example.");
	CU_ASSERT_FATAL(nodes(img)[ns1].flags & ZW_NODE_GLUE);
	HOSTILE_IN(r, ZW_EIMGCORRUPT,
		   ((struct zw_img_nsecproof *)(void *)(sec(b, ZW_SEC_NSECPROOF) +
							(size_t)ns1 * stride))
			   ->rrs = 1);
	HOSTILE_IN(r, ZW_EIMGCORRUPT, {
		/* a's record copied to the glue's place: its owner is not the glue's */
		memcpy(sec(b, ZW_SEC_NSECPROOF) + (size_t)ns1 * stride, PH(b), stride);
	});
	HOSTILE_IN(r, ZW_EIMGCORRUPT, hdr(b)->nsec_stride = 96);
	HOSTILE_IN(r, ZW_EIMGCORRUPT, hdr(b)->nsec_stride = 0);
	HOSTILE_IN(r, ZW_EIMGCORRUPT, hdr(b)->nsec_stride *= 2);
	HOSTILE_IN(r, ZW_EIMGCORRUPT, hdr(b)->sec[ZW_SEC_NSECPROOF].size -= 1);
	/* optional: without them (and their stride) the image is answered
	 * from the nodes' RRsets */
	HOSTILE_IN(r, 0, hdr(b)->sec[ZW_SEC_NSECPROOF].size = 0; hdr(b)->nsec_stride = 0);
	HOSTILE_IN(r, ZW_EIMGCORRUPT, hdr(b)->sec[ZW_SEC_NSECPROOF].size = 0);
	/* not in a zone without NSEC */
	HOSTILE_IN(r, ZW_EIMGCORRUPT, hdr(b)->flags &= ~(uint32_t)ZW_IMGF_NSEC);
#undef PH
#undef PD
}

/* Every 32-bit word of every node and RRset changed to a few hostile
 * values: whatever the verifier decides, it must not read out of bounds,
 * and what it accepts the readers must be able to walk. */
static void test_field_sweep(void)
{
	static const uint32_t vals[] = { 0, 1, 2, 0x7fff, 0xffff, 0x10000, ZW_NONE - 1, ZW_NONE };
	unsigned accepted = 0, total = 0;

	for (int part = 0; part < 2; part++) {
		uint32_t count = part == 0 ? hdr(good)->node_count : hdr(good)->rrset_count;
		size_t esize = part == 0 ? sizeof(struct zw_img_node) : sizeof(struct zw_img_rrset);
		size_t base = hdr(good)->sec[part == 0 ? ZW_SEC_NODES : ZW_SEC_RRSETS].off;
		for (uint32_t i = 0; i < count; i++) {
			for (size_t f = 0; f < esize; f += 4) {
				for (size_t v = 0; v < sizeof(vals) / sizeof(vals[0]); v++) {
					uint8_t *b = fresh();
					memcpy(b + base + i * esize + f, &vals[v], 4);
					reseal(b, good_size);
					int rc = zw_image_verify(b, good_size, NULL);
					CU_ASSERT(rc == 0 || rc == ZW_EIMGBOUNDS ||
						  rc == ZW_EIMGCORRUPT);
					if (rc == 0) {
						accepted++;
						expect_rc(b, good_size, 0, "field sweep");
					}
					total++;
					free(b);
				}
			}
		}
	}
	CU_ASSERT(accepted < total);
}

/* ------------------------------------------------------------------------ */
/* files                                                                    */

static void test_open_errors(void)
{
	struct zw_image *img = (struct zw_image *)(uintptr_t)1;
	const char *why = NULL;

	CU_ASSERT_EQUAL(zw_image_open("/nonexistent/zw-test/zone.img", &img, &why), -ENOENT);
	CU_ASSERT_PTR_NULL(img);
	CU_ASSERT_PTR_NOT_NULL(why);

	char dir[] = "/tmp/zw-test-image-dir-XXXXXX";
	CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
	img = (struct zw_image *)(uintptr_t)1;
	why = NULL;
	CU_ASSERT_EQUAL(zw_image_open(dir, &img, &why), -EINVAL);
	CU_ASSERT_PTR_NULL(img);
	CU_ASSERT_PTR_NOT_NULL(why);

	char *empty = write_temp("", 0);
	img = (struct zw_image *)(uintptr_t)1;
	CU_ASSERT_EQUAL(zw_image_open(empty, &img, &why), ZW_EIMGTRUNC);
	CU_ASSERT_PTR_NULL(img);
	unlink(empty);
	free(empty);

	char *text = write_temp(zone_text, sizeof(zone_text) - 1);
	CU_ASSERT_FATAL(sizeof(zone_text) > HDR_SIZE);
	CU_ASSERT_EQUAL(zw_image_open(text, &img, &why), ZW_EIMGMAGIC);
	CU_ASSERT_PTR_NULL(img);
	unlink(text);
	free(text);

	/* a truncated and a corrupted image on disk */
	char *trunc = write_temp((const char *)good, good_size - 8);
	CU_ASSERT_EQUAL(zw_image_open(trunc, &img, &why), ZW_EIMGTRUNC);
	CU_ASSERT_PTR_NULL(img);
	unlink(trunc);
	free(trunc);
	uint8_t *b = fresh();
	b[good_size / 2] ^= 4;
	char *bad = write_temp((const char *)b, good_size);
	CU_ASSERT_EQUAL(zw_image_open(bad, &img, &why), ZW_EIMGSUM);
	CU_ASSERT_PTR_NULL(img);
	unlink(bad);
	free(bad);
	free(b);

	/* writing into a directory that does not exist */
	CU_ASSERT_EQUAL(zw_image_write("/nonexistent/zw-test/zone.img", good, good_size), -ENOENT);
	rmdir(dir);

	/* misaligned buffers are refused before anything is read */
	uint8_t *raw = malloc(good_size + 8);
	CU_ASSERT_FATAL(raw != NULL);
	memcpy(raw + 4, good, good_size);
	img = (struct zw_image *)(uintptr_t)1;
	CU_ASSERT_EQUAL(zw_image_from_buffer(raw + 4, good_size, &img, &why), -EINVAL);
	CU_ASSERT_PTR_NULL(img);
	free(raw);
}

static void test_write_open_roundtrip(void)
{
	char dir[] = "/tmp/zw-test-image-dir-XXXXXX";
	char path[256];
	struct zw_image *img = NULL;
	const char *why = NULL;

	CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/example.com.zwi", dir);
	CU_ASSERT_EQUAL_FATAL(zw_image_write(path, good, good_size), 0);
	struct stat st;
	CU_ASSERT_EQUAL_FATAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL((size_t)st.st_size, good_size);

	int rc = zw_image_open(path, &img, &why);
	if (rc != 0)
		fprintf(stderr, "\n  open: %s: %s\n", errname(rc), why ? why : "-");
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(img);
	CU_ASSERT(img->mapped);
	CU_ASSERT_STRING_EQUAL(img->path, path);
	CU_ASSERT_EQUAL(img->size, good_size);
	CU_ASSERT_EQUAL(memcmp(img->base, good, good_size), 0);
	CU_ASSERT_EQUAL(img->hdr->node_count, hdr(good)->node_count);
	CU_ASSERT_EQUAL(img->hdr->checksum, hdr(good)->checksum);
	uint8_t wire[256];
	unsigned len = to_wire("mail.example.com.", wire);
	CU_ASSERT_PTR_NOT_NULL(zw_image_find_name(img, wire, len));
	walk(img);
	zw_image_close(img);

	/* rewriting replaces the file, leaving no temporary behind */
	CU_ASSERT_EQUAL(zw_image_write(path, good, good_size), 0);
	CU_ASSERT_EQUAL(zw_image_open(path, &img, NULL), 0);
	zw_image_close(img);
	zw_image_close(NULL);
	unlink(path);
	CU_ASSERT_EQUAL(rmdir(dir), 0);
}

static char *dump_to_string(struct zw_image *img, int (*fn)(const struct zw_image *, void *))
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	CU_ASSERT_FATAL(f != NULL);
	CU_ASSERT_EQUAL(fn(img, f), 0);
	fclose(f);
	return text;
}

static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; p != NULL && *p != '\0';) {
		if (strncmp(p, line, n) == 0 && (p[n] == '\n' || p[n] == '\0'))
			return true;
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return false;
}

static void expect_line(const char *text, const char *line)
{
	if (!has_line(text, line))
		fprintf(stderr, "\n  missing line \"%s\" in:\n%s", line, text);
	CU_ASSERT(has_line(text, line));
}

static unsigned count_lines(const char *text)
{
	unsigned lines = 0;

	for (const char *p = text; *p != '\0'; p++)
		lines += *p == '\n';
	return lines;
}

static void test_dump(void)
{
	uint8_t *b = fresh();
	struct zw_image *img = NULL;

	CU_ASSERT_EQUAL_FATAL(zw_image_from_buffer(b, good_size, &img, NULL), 0);
	char *text = dump_to_string(img, zw_image_dump);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	expect_line(text, "example.com.\t3600\tIN\tSOA\tns1.example.com. hostmaster.example.com. "
			  "2026112101 7200 3600 1209600 300");
	expect_line(text, "example.com.\t3600\tIN\tNS\tns1.example.com.");
	expect_line(text, "example.com.\t3600\tIN\tNS\tns2.example.net.");
	expect_line(text, "example.com.\t3600\tIN\tMX\t10 mail.example.com.");
	expect_line(text, "example.com.\t3600\tIN\tTXT\t\"v=spf1 mx -all\"");
	expect_line(text, "www.example.com.\t3600\tIN\tA\t192.0.2.80");
	expect_line(text, "www.example.com.\t3600\tIN\tAAAA\t2001:db8::80");
	expect_line(text, "web.example.com.\t3600\tIN\tCNAME\twww.example.com.");
	expect_line(text, "_sip._udp.example.com.\t3600\tIN\tSRV\t10 60 5060 sip.example.com.");
	expect_line(text, "*.apps.example.com.\t3600\tIN\tA\t192.0.2.100");
	expect_line(text, "*.apps.example.com.\t3600\tIN\tTXT\t\"wildcard\"");
	expect_line(text, "a.b.c.example.com.\t3600\tIN\tTXT\t\"empty non-terminals above\"");
	expect_line(text, "legacy.example.com.\t3600\tIN\tDNAME\texample.net.");
	expect_line(text, "sub.example.com.\t3600\tIN\tNS\tns1.sub.example.com.");
	expect_line(text, "ns1.sub.example.com.\t3600\tIN\tA\t192.0.2.201");
	expect_line(text, "ns2.sub.example.com.\t3600\tIN\tAAAA\t2001:db8::202");
	expect_line(text, "hosted.example.com.\t3600\tIN\tNS\tns2.hoster.net.");
	expect_line(text, "long.example.com.\t3600\tIN\tTXT\t\"" A100 A100 "\" \"" A100 A100 "\"");
	/* one line per RR, nothing for the empty non-terminals */
	CU_ASSERT_EQUAL(count_lines(text), hdr(good)->rr_count);
	CU_ASSERT_PTR_NULL(strstr(text, "\nc.example.com."));
	CU_ASSERT_PTR_NULL(strstr(text, "\nb.c.example.com."));
	free(text);

	text = dump_to_string(img, zw_image_info);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	expect_line(text, "zone: example.com.");
	expect_line(text, "format_version: 3");
	expect_line(text, "serial: 2026112101");
	expect_line(text, "compiled_at: 2023-11-14T22:13:20Z");
	expect_line(text, "negative_ttl: 300");
	expect_line(text, "delegations: 2");
	expect_line(text, "dnssec: unsigned");
	char line[64];
	snprintf(line, sizeof(line), "file_size: %zu", good_size);
	expect_line(text, line);
	snprintf(line, sizeof(line), "nodes: %u", hdr(good)->node_count);
	expect_line(text, line);
	snprintf(line, sizeof(line), "checksum: xxh3-64:%016llx",
		 (unsigned long long)hdr(good)->checksum);
	expect_line(text, line);
	free(text);
	zw_image_close(img);

	/* the signed zone: every RRset followed by its signature */
	struct ref *r = load(&sgnd);
	b = copy_of(r, r->size);
	CU_ASSERT_EQUAL_FATAL(zw_image_from_buffer(b, r->size, &img, NULL), 0);
	text = dump_to_string(img, zw_image_dump);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	expect_line(text, "ns1.example.org.\t3600\tIN\tA\t192.0.2.1");
	expect_line(text, "ns1.example.org.\t3600\tIN\tRRSIG\tA 13 3 3600 20301231000000 "
			  "20230101000000 12345 example.org. c2ln");
	CU_ASSERT_EQUAL(count_lines(text), 8);
	free(text);
	text = dump_to_string(img, zw_image_info);
	CU_ASSERT(text != NULL && strstr(text, "dnssec: signed") != NULL);
	free(text);
	zw_image_close(img);
}

/* The example zones shipped in docs/ compile to images that verify, dump
 * and find all their nodes. */
static void test_example_zones(void)
{
	static const char *const zones[] = { "example.com", "example.net", "2.0.192.in-addr.arpa" };
	const char *src = getenv("ZW_SRCDIR");
	char path[4096], origin[256];

	if (src == NULL)
		src = ".";
	for (size_t i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
		snprintf(path, sizeof(path), "%s/docs/examples/%s.zone", src, zones[i]);
		snprintf(origin, sizeof(origin), "%s.", zones[i]);
		void *image = NULL;
		size_t size = 0;
		int rc = compile_path(path, origin, &image, &size);
		if (rc != 0)
			fprintf(stderr, "\n  %s: %s\n", path, zw_strerror(rc));
		CU_ASSERT_EQUAL(rc, 0);
		if (rc != 0)
			continue;
		expect_rc(image, size, 0, path);
		struct zw_image *img = NULL;
		CU_ASSERT_EQUAL_FATAL(zw_image_from_buffer(image, size, &img, NULL), 0);
		for (uint32_t k = 0; k < img->hdr->node_count; k++) {
			const struct zw_img_node *n = &img->nodes[k];
			uint8_t name[ZW_NAME_MAX + 1];
			unsigned len = zw_image_node_name(img, n, name);
			CU_ASSERT_PTR_EQUAL(zw_image_find_name(img, name, len), n);
		}
		char *text = dump_to_string(img, zw_image_dump);
		CU_ASSERT(text != NULL && strstr(text, "\tSOA\t") != NULL);
		CU_ASSERT(text != NULL && count_lines(text) == img->hdr->rr_count);
		free(text);
		zw_image_close(img);
	}
}

static const struct zw_test_case cases[] = {
	ZW_TEST(test_good_image),
	ZW_TEST(test_find_every_node),
	ZW_TEST(test_node_records),
	ZW_TEST(test_node_records_nsec),
	ZW_TEST(test_empty_buffer),
	ZW_TEST(test_truncated),
	ZW_TEST(test_bad_magic),
	ZW_TEST(test_other_version),
	ZW_TEST(test_wrong_file_size),
	ZW_TEST(test_bit_flips),
	ZW_TEST(test_sections),
	ZW_TEST(test_chunks_on_lines),
	ZW_TEST(test_hash_size),
	ZW_TEST(test_hash_slots),
	ZW_TEST(test_hash_duplicate_entry),
	ZW_TEST(test_node_names),
	ZW_TEST(test_apex),
	ZW_TEST(test_aux_links),
	ZW_TEST(test_rrset_ranges),
	ZW_TEST(test_chunk_offsets),
	ZW_TEST(test_chunk_contents),
	ZW_TEST(test_chunk_owners),
	ZW_TEST(test_chunk_relocs),
	ZW_TEST(test_extra_lists),
	ZW_TEST(test_signature_chunks),
	ZW_TEST(test_group_order),
	ZW_TEST(test_nsec3_entries),
	ZW_TEST(test_canon_keys),
	ZW_TEST(test_canon_search),
	ZW_TEST(test_canon_entries),
	ZW_TEST(test_nsec_proofs),
	ZW_TEST(test_field_sweep),
	ZW_TEST(test_open_errors),
	ZW_TEST(test_write_open_roundtrip),
	ZW_TEST(test_dump),
	ZW_TEST(test_example_zones),
	{ NULL, NULL },
};

int main(void)
{
	int rc = zw_test_main("image", cases);

	free(plain.buf);
	free(sgnd.buf);
	free(nsecz.buf);
	free(nsec_text);
	return rc;
}
