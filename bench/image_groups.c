/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * image_groups IMAGE...
 *
 * How an image lays out the RRset groups that an answer reads (each
 * RRset's chunk, additional-data list and signature chunk): for each
 * image, the share of RRsets whose group ends right where the next
 * RRset's chunk starts (what the answer's prefetch relies on to ask for
 * exactly the group's lines), and how many 64-byte lines a group spans
 * where it lies, with and without its signatures. Glue, delegation
 * points and the NSEC, NSEC3 and RRSIG types are left out: positive
 * answers do not read them.
 *
 * Output is "key: value" lines, for scripts.
 */
#include <stdint.h>
#include <stdio.h>

#include "image.h"
#include "rdata.h"
#include "zw_err.h"

#define SPANS 8 /* lines counted one by one; more go in the last */

static unsigned lines(uintptr_t start, uintptr_t end)
{
	unsigned n = (unsigned)((end - 1) / 64 - start / 64 + 1);

	return n < SPANS ? n : SPANS;
}

/* Where the group of s ends; *own where it ends without its signatures. */
static uintptr_t group_end(const struct zw_image *img, const struct zw_img_rrset *s, uintptr_t *own)
{
	const struct zw_img_chunk *c = zw_rrset_chunk(img, s), *g = zw_rrset_sigs(img, s);
	const struct zw_img_extra *x = zw_rrset_extra(img, s);
	uintptr_t end = (uintptr_t)c + zw_chunk_size(c);

	if (x != NULL) {
		uintptr_t xe = (uintptr_t)(x + 1) + x->count * sizeof(struct zw_img_extra_ent);
		end = xe > end ? xe : end;
	}
	*own = end;
	if (g != NULL) {
		uintptr_t ge = (uintptr_t)g + zw_chunk_size(g);
		end = ge > end ? ge : end;
	}
	return end;
}

static void print_spans(const char *key, const unsigned long *h, unsigned long total)
{
	printf("%s:", key);
	for (unsigned k = 1; k <= SPANS; k++)
		printf(" %u%s=%.1f%%", k, k == SPANS ? "+" : "",
		       total ? 100.0 * h[k] / total : 0.0);
	printf("\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: image_groups IMAGE...\n");
		return 2;
	}
	for (int a = 1; a < argc; a++) {
		struct zw_image *img;
		const char *why = NULL;
		int rc = zw_image_open(argv[a], &img, &why);
		if (rc != 0) {
			fprintf(stderr, "image_groups: %s: %s (%s)\n", argv[a], zw_strerror(rc),
				why ? why : "");
			return 1;
		}
		unsigned long exact = 0, after = 0, total = 0;
		unsigned long with[SPANS + 1] = { 0 }, alone[SPANS + 1] = { 0 };
		uint32_t n = img->hdr->rrset_count;
		for (uint32_t i = 0; i < n; i++) {
			const struct zw_img_rrset *s = &img->rrsets[i];
			uintptr_t own, end = group_end(img, s, &own);
			if (i + 1 < n) {
				uintptr_t next =
					(uintptr_t)(img->chunks + img->rrsets[i + 1].chunk);
				exact += next == end;
				after += next > end;
				total++;
			}
		}
		/* the spans of what positive answers read */
		for (uint32_t i = 0; i < img->hdr->node_count; i++) {
			const struct zw_img_node *nd = &img->nodes[i];
			if (nd->flags & (ZW_NODE_GLUE | ZW_NODE_DELEG))
				continue;
			for (unsigned k = 0; k < nd->rrset_count; k++) {
				const struct zw_img_rrset *s = &img->rrsets[nd->rrset_first + k];
				if (s->type == ZW_T_NSEC || s->type == ZW_T_NSEC3 ||
				    s->type == ZW_T_RRSIG)
					continue;
				uintptr_t own, end = group_end(img, s, &own);
				uintptr_t st = (uintptr_t)zw_rrset_chunk(img, s);
				with[lines(st, end)]++;
				alone[lines(st, own)]++;
			}
		}
		unsigned long counted = 0;
		for (unsigned k = 1; k <= SPANS; k++)
			counted += with[k];
		printf("image: %s\nrrsets: %u\n", argv[a], n);
		printf("group_ends_at_next_pct: %.1f\n", total ? 100.0 * exact / total : 0.0);
		printf("gap_before_next_pct: %.1f\n", total ? 100.0 * after / total : 0.0);
		print_spans("lines_with_signatures", with, counted);
		print_spans("lines_without_signatures", alone, counted);
		zw_image_close(img);
	}
	return 0;
}
