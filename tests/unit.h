/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Small helpers shared by the CUnit test programs. Each tests/<module>/test_*.c
 * is its own program: it lists its cases in a struct zw_test_case array and
 * calls zw_test_main() from main().
 */
#ifndef ZW_TEST_UNIT_H
#define ZW_TEST_UNIT_H

#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>

struct zw_test_case {
	const char *name;
	void (*fn)(void);
};

#define ZW_TEST(f)                                                                                 \
	{                                                                                          \
#f, f                                                                              \
	}

static inline int zw_test_main(const char *suite_name, const struct zw_test_case *cases)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	CU_pSuite s = CU_add_suite(suite_name, NULL, NULL);
	if (s == NULL)
		return 2;
	for (const struct zw_test_case *c = cases; c->name != NULL; c++)
		if (CU_add_test(s, c->name, c->fn) == NULL)
			return 2;
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	unsigned run = CU_get_number_of_tests_run();
	CU_cleanup_registry();
	return (failed == 0 && run > 0) ? 0 : 1;
}

#endif /* ZW_TEST_UNIT_H */
