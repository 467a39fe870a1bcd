/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * zonewire-compile: master file -> zone image, and back.
 *
 * Exit status: 0 success, 1 the zone (or image) has errors, 2 usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "image.h"
#include "zw_err.h"

#define EXIT_ZONE  1
#define EXIT_USAGE 2

static void usage(FILE *f)
{
	fprintf(f, "Usage: zonewire-compile [options] -o ZONE.zwi FILE   compile a master file\n"
		   "       zonewire-compile [options] --check FILE       validate only\n"
		   "       zonewire-compile --dump ZONE.zwi              print an image as a "
		   "master file\n"
		   "       zonewire-compile --info ZONE.zwi              print an image's header\n"
		   "\n"
		   "Options:\n"
		   "  -z, --origin NAME    zone name (default: the owner of the first SOA)\n"
		   "  -o, --output FILE    where to write the image (written atomically)\n"
		   "  -c, --check          validate the zone, write nothing\n"
		   "  -d, --dump IMAGE     canonical master file of an image on stdout\n"
		   "  -i, --info IMAGE     header of an image: zone, serial, counts, sections\n"
		   "  -n, --max-ns N       name servers allowed per delegation (default 10)\n"
		   "      --no-include     refuse $INCLUDE (for untrusted input)\n"
		   "  -q, --quiet          do not print warnings\n"
		   "  -h, --help           this text\n"
		   "\n"
		   "Exit status: 0 success, 1 zone or image errors, 2 usage errors.\n");
}

struct diag_ctx {
	bool quiet;
};

static void print_diag(void *ctx, const struct zw_diag *d)
{
	const struct diag_ctx *c = ctx;

	if (c->quiet && d->severity == ZW_SEV_WARNING)
		return;
	if (d->file != NULL && d->line > 0)
		fprintf(stderr, "%s:%u: ", d->file, d->line);
	else if (d->file != NULL)
		fprintf(stderr, "%s: ", d->file);
	fprintf(stderr, "%s: %s [%s]\n", d->severity == ZW_SEV_ERROR ? "error" : "warning", d->msg,
		zw_diag_name(d->code));
}

static int open_image(const char *path, struct zw_image **img)
{
	const char *why = NULL;
	int rc = zw_image_open(path, img, &why);

	if (rc != 0) {
		fprintf(stderr, "zonewire-compile: %s: %s (%s)\n", path, zw_strerror(rc),
			why ? why : "");
		return EXIT_ZONE;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "origin", required_argument, NULL, 'z' },
		{ "output", required_argument, NULL, 'o' },
		{ "check", no_argument, NULL, 'c' },
		{ "dump", required_argument, NULL, 'd' },
		{ "info", required_argument, NULL, 'i' },
		{ "max-ns", required_argument, NULL, 'n' },
		{ "no-include", no_argument, NULL, 'I' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct zw_compile_opts opts = { 0 };
	struct diag_ctx dctx = { 0 };
	const char *out = NULL, *dump = NULL, *info = NULL;
	bool check = false;
	int c;

	while ((c = getopt_long(argc, argv, "z:o:cd:i:n:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'z': opts.origin = optarg; break;
		case 'o': out = optarg; break;
		case 'c': check = true; break;
		case 'd': dump = optarg; break;
		case 'i': info = optarg; break;
		case 'n': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);
			if (*end != '\0' || v == 0 || v > 1000) {
				fprintf(stderr, "zonewire-compile: --max-ns takes 1 to 1000\n");
				return EXIT_USAGE;
			}
			opts.max_ns = (unsigned)v;
			break;
		}
		case 'I': opts.parse_flags |= ZW_PARSE_NO_INCLUDE; break;
		case 'q': dctx.quiet = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (dump != NULL || info != NULL) {
		if (optind != argc || (dump && info) || out || check) {
			usage(stderr);
			return EXIT_USAGE;
		}
		struct zw_image *img;
		int rc = open_image(dump ? dump : info, &img);
		if (rc != 0)
			return rc;
		rc = dump ? zw_image_dump(img, stdout) : zw_image_info(img, stdout);
		zw_image_close(img);
		if (rc != 0) {
			fprintf(stderr, "zonewire-compile: %s\n", zw_strerror(rc));
			return EXIT_ZONE;
		}
		return fflush(stdout) == 0 ? 0 : EXIT_ZONE;
	}
	if (optind != argc - 1 || (out == NULL && !check) || (out != NULL && check)) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *in = argv[optind];
	opts.on_diag = print_diag;
	opts.ctx = &dctx;
	void *image = NULL;
	size_t size = 0;
	struct zw_compile_stats st;
	int rc = zw_compile_file(in, &opts, &image, &size, &st);
	if (rc != 0) {
		if (rc != ZW_EZONE && rc != ZW_ESYNTAX && rc != ZW_EINCLUDE)
			fprintf(stderr, "zonewire-compile: %s: %s\n", in, zw_strerror(rc));
		fprintf(stderr,
			"zonewire-compile: %s: %u error(s), %u warning(s); no image written\n", in,
			st.errors, st.warnings);
		free(image);
		return EXIT_ZONE;
	}
	if (!check) {
		rc = zw_image_write(out, image, size);
		if (rc != 0) {
			fprintf(stderr, "zonewire-compile: cannot write %s: %s\n", out,
				zw_strerror(rc));
			free(image);
			return EXIT_ZONE;
		}
	}
	if (!dctx.quiet && check)
		fprintf(stderr, "zonewire-compile: %s: %lu records, %u warning(s): OK\n", in,
			st.rrs_out, st.warnings);
	else if (!dctx.quiet)
		fprintf(stderr,
			"zonewire-compile: %s: %lu records, %u warning(s), image %s (%zu bytes)\n",
			in, st.rrs_out, st.warnings, out, size);
	free(image);
	return 0;
}
