/* SPDX-License-Identifier: BSD-3-Clause */
/* The median of a set of figures, for the bench programs. */
#ifndef ZW_BENCH_MEDIAN_H
#define ZW_BENCH_MEDIAN_H

#include <stddef.h>
#include <stdlib.h>

static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median of v[0..n-1] (n > 0), sorting v. */
static inline double bench_median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), bench_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

#endif /* ZW_BENCH_MEDIAN_H */
