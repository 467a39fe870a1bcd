/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The zone compiler: resource records in, validated zone image out.
 *
 * Records arrive through zw_builder_add() (from the master-file reader, or
 * from a zone transfer); zw_builder_finish() validates the zone, reports
 * every problem through the diagnostic callback with the file and line of the
 * record concerned, and lays out the image (image.h). A zone with errors
 * produces no image.
 *
 * Threading: a builder belongs to one thread. Not for the per-packet path.
 */
#ifndef ZW_COMPILE_H
#define ZW_COMPILE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "diag.h"
#include "zone_parse.h"

struct zw_compile_opts {
	const char *origin;   /* zone name; NULL: the owner of the first SOA */
	unsigned max_ns;      /* NS per delegation; 0 means 10 */
	unsigned parse_flags; /* enum zw_parse_flags, for zw_compile_file() */
	uint32_t sig_horizon; /* warn for RRSIGs expiring sooner; 0: 7 days */
	time_t now;	      /* 0: time(NULL) */
	zw_diag_fn on_diag;   /* may be NULL */
	void *ctx;
};

struct zw_compile_stats {
	unsigned errors;
	unsigned warnings;
	unsigned long rrs_in;	  /* records read */
	unsigned long rrs_out;	  /* records in the image (RRSIGs included) */
	unsigned long duplicates; /* duplicate RRs dropped */
	unsigned long ttl_fixed;  /* RRsets whose TTLs were normalised */
	unsigned long occluded;	  /* RRs below a cut or DNAME, not served */
};

struct zw_builder;

/* Returns NULL on allocation failure. opts is copied. */
struct zw_builder *zw_builder_create(const struct zw_compile_opts *opts);
void zw_builder_free(struct zw_builder *b);

/* Adds one RR; has the signature of zw_rr_fn, so the parser can push into
 * it directly. Returns 0 or -ENOMEM / ZW_ETOOBIG. */
int zw_builder_add(void *builder, const struct zw_rr *rr);

/*
 * Validates and compiles. On success returns 0 and a malloc'ed image in
 * *image / *size (the caller frees it). Returns ZW_EZONE when the zone has
 * errors (each one reported), -ENOMEM, or ZW_ETOOBIG.
 */
int zw_builder_finish(struct zw_builder *b, void **image, size_t *size);

const struct zw_compile_stats *zw_builder_stats(const struct zw_builder *b);

/* Parses path and compiles it: the CLI's job in one call. stats may be NULL.
 * Returns as zw_builder_finish(), or the parser's error. */
int zw_compile_file(const char *path, const struct zw_compile_opts *opts, void **image,
		    size_t *size, struct zw_compile_stats *stats);

/* Writes an image atomically (temporary file, fsync, rename). */
int zw_image_write(const char *path, const void *image, size_t size);

#endif /* ZW_COMPILE_H */
