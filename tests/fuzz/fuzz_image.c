/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzzes the zone image verifier, and every reader on whatever it accepts.
 *
 * Arbitrary bytes go to zw_image_verify(). Most inputs fail the checksum, so
 * the harness also tries a second time with the checksum recomputed: that
 * is what a deliberately crafted image looks like, and it gets the fuzzer
 * past the checksum to the structural checks. An image that verifies is
 * walked completely (names, finds, lookups, RRsets, additional-data lists,
 * signatures, dump, info) under the sanitizers: the verifier's promise is
 * that none of that can read outside the buffer or loop.
 *
 * Build: meson setup build-fuzz -Dfuzz=true (see .ci/fuzz.sh).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "image.h"
#include "lookup.h"
#include "name.h"
#include "rdata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *devnull;

/* Reads go here so that the compiler keeps them. */
static volatile uint32_t sink;

static const uint16_t qtypes[] = { ZW_T_A,   ZW_T_NS,	ZW_T_CNAME, ZW_T_SOA, ZW_T_MX,
				   ZW_T_TXT, ZW_T_AAAA, ZW_T_DS,    ZW_T_ANY };

static void lookups(const struct zw_image *img, const uint8_t *name, unsigned len)
{
	struct zw_lookup out;

	for (size_t q = 0; q < sizeof(qtypes) / sizeof(qtypes[0]); q++) {
		zw_lookup_zone(img, name, len, qtypes[q], &out);
		sink += out.shape;
	}
	/* a name below it that does not exist, for wildcards and referrals */
	if (len + 2 <= ZW_NAME_MAX) {
		uint8_t below[ZW_NAME_MAX + 1];
		below[0] = 1;
		below[1] = 'q';
		memcpy(below + 2, name, len);
		zw_lookup_zone(img, below, len + 2, ZW_T_A, &out);
		zw_lookup_zone(img, below, len + 2, ZW_T_DS, &out);
	}
}

static void walk(const struct zw_image *img)
{
	const struct zw_img_header *h = img->hdr;

	for (uint32_t i = 0; i < h->node_count; i++) {
		const struct zw_img_node *n = &img->nodes[i];
		uint8_t name[ZW_NAME_MAX + 1];
		unsigned len = zw_image_node_name(img, n, name);
		if (len > ZW_NAME_MAX || zw_name_len(name, len) != (int)len)
			abort(); /* the verifier let through a name readers cannot use */
		sink += zw_image_find_name(img, name, len) != NULL;
		sink += zw_image_find(img, img->names + n->name_off + 1, img->names[n->name_off],
				      n->hash) != NULL;
		lookups(img, name, len);
		for (unsigned k = 0; k < n->rrset_count; k++) {
			const struct zw_img_rrset *s = &img->rrsets[n->rrset_first + k];
			sink += zw_image_rrset(img, n, s->type) != NULL;
			sink += zw_rrset_count(img, s);
			sink += zw_rrset_ttl(img, s);
			const struct zw_img_extra *x = zw_rrset_extra(img, s);
			for (unsigned e = 0; x != NULL && e < x->count; e++) {
				const struct zw_img_rrset *t =
					&img->rrsets[zw_extra_ents(x)[e].rrset];
				sink += zw_rrset_count(img, t);
				sink += zw_rrset_ttl(img, t);
			}
			const struct zw_img_chunk *sig = zw_rrset_sigs(img, s);
			if (sig != NULL)
				sink += zw_chunk_data(sig)[sig->len - 1];
		}
	}
	for (uint32_t i = 0; i < h->nsec3_count; i++) {
		const uint8_t *hash = img->names + img->nsec3[i].hash_off;
		sink += hash[hash[0]];
		sink += zw_rrset_count(img, &img->rrsets[img->nsec3[i].rrset]);
		if (img->nsec3_proof != NULL) {
			/* what the answer path writes from the section directly */
			const struct zw_img_n3proof *pr = zw_image_n3proof(img, i);
			const uint8_t *d = zw_n3proof_data(img, pr);
			sink += d[0] + d[pr->len - 1] + pr->rrs;
		}
		if (img->nsec3_keys != NULL)
			sink += (uint32_t)img->nsec3_keys[i];
	}
	/* the denial searches and tables of signed images */
	for (uint32_t i = 0; i < h->node_count; i++) {
		const struct zw_img_node *n = &img->nodes[i];
		struct zw_canon_name q;
		zw_canon_prepare(&q, img->names + n->name_off + 1, img->names[n->name_off]);
		uint32_t p = zw_image_canon_pred(img, &q, 0);
		sink += p + (uint32_t)zw_image_canon_cmp(img, p, &q);
		if (img->wild_cover != NULL && img->wild_cover[i] != ZW_NONE)
			sink += img->wild_cover[i];
		if (img->nsec_proof != NULL) {
			/* what the answer path writes from the section directly */
			const struct zw_img_nsecproof *pr = zw_image_nsecproof(img, i);
			const uint8_t *d = zw_nsecproof_data(img, pr);
			if (pr->len > 0)
				sink += d[0] + d[pr->rel + pr->nsec_len - 1] + d[pr->len - 1] +
					pr->rrs;
		}
	}
	/* the zone name itself and a name outside the zone */
	lookups(img, h->origin, h->origin_len);
	static const uint8_t outside[] = { 7, 'i', 'n', 'v', 'a', 'l', 'i', 'd', 0 };
	sink += zw_image_find_name(img, outside, sizeof(outside)) != NULL;
	zw_image_dump(img, devnull);
	zw_image_info(img, devnull);
}

static void try_image(const uint8_t *data, size_t size)
{
	/* exactly size bytes, so that any read past the end is caught;
	 * malloc's alignment is enough for the 8 the reader needs */
	uint8_t *buf = malloc(size ? size : 1);
	if (buf == NULL)
		return;
	if (size > 0)
		memcpy(buf, data, size);
	if (zw_image_verify(buf, size, NULL) != 0) {
		free(buf);
		return;
	}
	struct zw_image *img = NULL;
	if (zw_image_from_buffer(buf, size, &img, NULL) != 0) {
		abort(); /* verified, then refused */
	}
	walk(img);
	zw_image_close(img); /* frees buf */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (devnull == NULL && (devnull = fopen("/dev/null", "w")) == NULL)
		abort();
	try_image(data, size);

	/* the same bytes with a correct checksum and file size */
	size_t co = offsetof(struct zw_img_header, checksum);
	if (size >= sizeof(struct zw_img_header)) {
		uint8_t *b = malloc(size);
		if (b == NULL)
			return 0;
		memcpy(b, data, size);
		uint64_t fs = size, zero = 0;
		memcpy(b + offsetof(struct zw_img_header, file_size), &fs, 8);
		memcpy(b + co, &zero, 8);
		uint64_t sum = XXH3_64bits(b, size);
		memcpy(b + co, &sum, 8);
		if (memcmp(b, data, size) != 0)
			try_image(b, size);
		free(b);
	}
	return 0;
}
