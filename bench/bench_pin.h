/* SPDX-License-Identifier: BSD-3-Clause */
/* Pinning a benchmark to one CPU, for the bench programs. */
#ifndef ZW_BENCH_PIN_H
#define ZW_BENCH_PIN_H

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

/* Pins the calling thread to cpu (nothing when cpu < 0); 0, or -1 with a
 * message on stderr naming prog. */
static inline int bench_pin(long cpu, const char *prog)
{
	cpu_set_t set;

	if (cpu < 0)
		return 0;
	CPU_ZERO(&set);
	CPU_SET((int)cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0) {
		fprintf(stderr, "%s: cannot pin to CPU %ld: %s\n", prog, cpu, strerror(errno));
		return -1;
	}
	return 0;
}

#endif /* ZW_BENCH_PIN_H */
