/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzzes the master-file parser and, for inputs that parse, the zone
 * compiler: arbitrary bytes are read as a zone file for "fuzz.test."
 * ($INCLUDE refused, as for any untrusted input), every RR goes into a
 * builder, and whatever the compiler produces must be an image that the
 * verifier accepts and the readers can walk.
 *
 * Build: meson setup build-fuzz -Dfuzz=true (see .ci/fuzz.sh).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "compile.h"
#include "image.h"
#include "zone_parse.h"
#include "zw_err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *devnull;

static void on_diag(void *ctx, const struct zw_diag *d)
{
	unsigned *errors = ctx;

	/* the message must be a string for the whole callback */
	fputs(d->msg, devnull);
	if (d->severity == ZW_SEV_ERROR)
		(*errors)++;
}

struct ctx {
	struct zw_builder *b;
	unsigned errors;
};

static int on_rr(void *arg, const struct zw_rr *rr)
{
	struct ctx *c = arg;

	return zw_builder_add(c->b, rr);
}

static void on_parse_diag(void *arg, const struct zw_diag *d)
{
	struct ctx *c = arg;

	on_diag(&c->errors, d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (devnull == NULL && (devnull = fopen("/dev/null", "w")) == NULL)
		abort();

	unsigned compile_errors = 0;
	struct zw_compile_opts co = {
		.origin = "fuzz.test.",
		.now = 1700000000,
		.on_diag = on_diag,
		.ctx = &compile_errors,
	};
	struct ctx c = { .b = zw_builder_create(&co) };
	if (c.b == NULL)
		return 0;
	struct zw_parse_opts po = {
		.origin = "fuzz.test.",
		.default_ttl = 3600,
		.flags = ZW_PARSE_NO_INCLUDE,
		/* keeps each input fast: a few $GENERATE lines could otherwise
		 * ask for millions of records */
		.max_generate = 256,
		.on_rr = on_rr,
		.on_diag = on_parse_diag,
		.ctx = &c,
	};
	int rc = zw_parse_buffer("fuzz.zone", (const char *)data, size, &po);
	if (rc == 0) {
		void *image = NULL;
		size_t isize = 0;
		rc = zw_builder_finish(c.b, &image, &isize);
		if (rc == 0) {
			/* the compiler's output must verify */
			const char *why = NULL;
			struct zw_image *img = NULL;
			if (image == NULL || zw_image_from_buffer(image, isize, &img, &why) != 0) {
				fprintf(stderr, "compiled image rejected: %s\n", why ? why : "?");
				abort();
			}
			if (zw_image_dump(img, devnull) != 0) {
				fprintf(stderr, "compiled image does not dump\n");
				abort();
			}
			zw_image_info(img, devnull);
			zw_image_close(img);
		} else if (image != NULL) {
			abort(); /* an image returned with an error */
		}
	}
	zw_builder_free(c.b);
	return 0;
}
