/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_lines [-m MIB] [-n LINES] [-c CPU] [--hugepages]
 *
 * What one random cache line costs this machine: the floor under any
 * lookup over a zone set much larger than the caches. It reads LINES
 * (default 20,000,000) cache lines at random positions of a buffer of MIB
 * MiB (default 256; 4 KiB pages, or memory advised for huge pages), in
 * groups of 1 to 64: each group is prefetched, then read, as the answer
 * engine's burst path does. The positions are drawn before the clock
 * starts. For each group size it prints the nanoseconds per line
 * (CLOCK_MONOTONIC over the whole run).
 *
 * With N lines read per query, a lookup cannot cost less than N times the
 * best figure, however many queries are in flight: docs/benchmarks.md
 * ("Answer engine", "Where the time goes") uses it so.
 *
 * On x86-64 it also prints the core's clock as it runs (core_ghz): a
 * chain of 64-bit multiplies, each waiting for the one before, takes 3
 * cycles a multiply on the x86-64 cores of the last decade, so the clock
 * is 3 times the multiplies per second. It turns nanoseconds into cycles.
 *
 * Output is "key: value" lines, for scripts.
 */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "bench_pin.h"

#define LINE	  64
#define MAX_MIB	  65536
#define MAX_LINES 1000000000UL
#define MAX_GROUP 64

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* The core's clock in GHz from a chain of dependent multiplies, or 0
 * where this is not x86-64. */
static double core_ghz(void)
{
#if defined(__x86_64__)
	const unsigned long n = 300000000UL;
	uint64_t x = 3;
	double t0 = now();
	for (unsigned long i = 0; i < n; i++)
		__asm__ volatile("imul %0, %0" : "+r"(x));
	return 3.0 * (double)n / (now() - t0) * 1e-9;
#else
	return 0;
#endif
}

static void usage(FILE *f)
{
	fprintf(f, "usage: bench_lines [-m MIB] [-n LINES] [-c CPU] [--hugepages]\n"
		   "  -m, --mib MIB      buffer size (default 256)\n"
		   "  -n, --lines N      lines read per group size (default 20000000)\n"
		   "  -c, --cpu CPU      pin to this CPU, -1: do not pin (default 1)\n"
		   "      --hugepages    advise the buffer for huge pages\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "mib", required_argument, NULL, 'm' }, { "lines", required_argument, NULL, 'n' },
		{ "cpu", required_argument, NULL, 'c' }, { "hugepages", no_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },	 { NULL, 0, NULL, 0 },
	};
	unsigned long mib = 256, lines = 20000000;
	long cpu = 1;
	int huge = 0, c;

	while ((c = getopt_long(argc, argv, "m:n:c:h", longopts, NULL)) != -1) {
		char *end;
		errno = 0;
		switch (c) {
		case 'm':
			mib = strtoul(optarg, &end, 10);
			if (errno || *end || mib == 0 || mib > MAX_MIB) {
				fprintf(stderr, "bench_lines: -m must be 1..%d\n", MAX_MIB);
				return 2;
			}
			break;
		case 'n':
			lines = strtoul(optarg, &end, 10);
			if (errno || *end || lines < MAX_GROUP || lines > MAX_LINES) {
				fprintf(stderr, "bench_lines: -n must be %d..%lu\n", MAX_GROUP,
					MAX_LINES);
				return 2;
			}
			break;
		case 'c':
			cpu = strtol(optarg, &end, 10);
			if (errno || *end || cpu < -1 || cpu >= CPU_SETSIZE) {
				fprintf(stderr, "bench_lines: bad CPU %s\n", optarg);
				return 2;
			}
			break;
		case 'H': huge = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (bench_pin(cpu, "bench_lines") != 0)
		return 1;

	size_t size = (size_t)mib << 20, nlines = size / LINE;
	uint8_t *buf = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint32_t *pos = malloc(lines * sizeof(*pos));
	if (buf == MAP_FAILED || pos == NULL) {
		fprintf(stderr, "bench_lines: out of memory\n");
		return 1;
	}
	if (madvise(buf, size, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE) != 0)
		fprintf(stderr, "bench_lines: madvise: %s\n", strerror(errno));
	memset(buf, 1, size);
	uint64_t x = 0x9e3779b97f4a7c15ull;
	for (unsigned long i = 0; i < lines; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		pos[i] = (uint32_t)(x % nlines);
	}

	printf("buffer_mib: %lu\nhugepages: %s\nlines: %lu\n", mib, huge ? "advised" : "no", lines);
	printf("core_ghz: %.2f\n", core_ghz());
	uint64_t sum = 0;
	for (unsigned group = 1; group <= MAX_GROUP; group *= 2) {
		double t0 = now();
		for (unsigned long i = 0; i + group <= lines; i += group) {
			for (unsigned k = 0; k < group; k++)
				__builtin_prefetch(buf + (size_t)pos[i + k] * LINE);
			for (unsigned k = 0; k < group; k++)
				sum += buf[(size_t)pos[i + k] * LINE];
		}
		double t = now() - t0;
		printf("ns_per_line_group_%u: %.1f\n", group,
		       t / (double)(lines - lines % group) * 1e9);
	}
	printf("checksum: %llu\n", (unsigned long long)sum);
	munmap(buf, size);
	free(pos);
	return 0;
}
