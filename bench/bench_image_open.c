/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_image_open IMAGE [ITER]
 *
 * Opens, verifies and closes a zone image ITER times (default 20) with
 * zw_image_open() / zw_image_close(), and prints the time per open in
 * milliseconds (CLOCK_MONOTONIC): the first open, the minimum, the median
 * and the maximum; and the CPU time per open (CLOCK_PROCESS_CPUTIME_ID, user
 * and system), minimum and median, which other load on the machine disturbs
 * less than the elapsed time. The first open may include reading the file into the
 * page cache; the others measure mapping plus full verification (checksum
 * and structural checks) of a cached file, which is what a server pays
 * when it switches to a new image. Also the nodes whose records (built
 * on opening) are too full for their entries, and those that fit by
 * leaving out the NSEC's.
 *
 * Output is "key: value" lines, for scripts.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_median.h"
#include "image.h"
#include "zw_err.h"

#define MAX_ITER 100000

static double clock_ms(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void usage(const char *prog)
{
	fprintf(stderr, "usage: %s IMAGE [ITER]\n", prog);
}

int main(int argc, char **argv)
{
	long iter = 20;
	double *t, *cpu;
	volatile uint64_t sink = 0; /* keeps the header read in the loop */

	if (argc < 2 || argc > 3) {
		usage(argv[0]);
		return 2;
	}
	if (argc == 3) {
		char *end;

		errno = 0;
		iter = strtol(argv[2], &end, 10);
		if (errno || *end || iter < 1 || iter > MAX_ITER) {
			fprintf(stderr, "%s: ITER must be 1..%d\n", argv[0], MAX_ITER);
			return 2;
		}
	}
	t = calloc((size_t)iter, sizeof(*t));
	cpu = calloc((size_t)iter, sizeof(*cpu));
	if (!t || !cpu) {
		perror("calloc");
		free(t);
		free(cpu);
		return 1;
	}

	for (long i = 0; i < iter; i++) {
		struct zw_image *img = NULL;
		const char *why = NULL;
		double c0 = clock_ms(CLOCK_PROCESS_CPUTIME_ID);
		double t0 = clock_ms(CLOCK_MONOTONIC);
		int rc = zw_image_open(argv[1], &img, &why);

		if (rc) {
			fprintf(stderr, "%s: %s: %s%s%s\n", argv[0], argv[1], zw_strerror(rc),
				why ? ": " : "", why ? why : "");
			free(t);
			free(cpu);
			return 1;
		}
		if (i == 0) {
			const struct zw_img_header *h = img->hdr;

			printf("image: %s\n", argv[1]);
			printf("file_size: %" PRIu64 "\n", h->file_size);
			printf("rr_count: %" PRIu32 "\n", h->rr_count);
			printf("node_count: %" PRIu32 "\n", h->node_count);
			printf("rr_wire_bytes: %" PRIu64 "\n", h->rr_wire_bytes);
			/* the nodes' records built on opening: those too full for
			 * their entries (read the usual way), and those that fit
			 * by leaving the NSEC's entry out */
			uint32_t far = 0, no_nsec = 0;
			for (uint32_t k = 0; img->nrec != NULL && k < h->node_count; k++) {
				far += img->nrec[k].nsets == ZW_NREC_FAR;
				no_nsec += (img->nrec[k].flags & ZW_NREC_NO_NSEC) != 0;
			}
			printf("records_far: %" PRIu32 "\n", far);
			printf("records_no_nsec: %" PRIu32 "\n", no_nsec);
		}
		sink += img->hdr->rr_count;
		zw_image_close(img);
		t[i] = clock_ms(CLOCK_MONOTONIC) - t0;
		cpu[i] = clock_ms(CLOCK_PROCESS_CPUTIME_ID) - c0;
	}

	double first = t[0];
	double median = bench_median(t, (size_t)iter);
	double cpu_median = bench_median(cpu, (size_t)iter);

	printf("iterations: %ld\n", iter);
	printf("open_ms_first: %.3f\n", first);
	printf("open_ms_min: %.3f\n", t[0]);
	printf("open_ms_median: %.3f\n", median);
	printf("open_ms_max: %.3f\n", t[iter - 1]);
	printf("open_cpu_ms_min: %.3f\n", cpu[0]);
	printf("open_cpu_ms_median: %.3f\n", cpu_median);
	free(t);
	free(cpu);
	return 0;
}
