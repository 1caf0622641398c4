/*
 * Unit tests for fw/cpu_errata.c: every listed signature is found whatever its reserved
 * CPUID.1:EAX bits hold, and a neighbouring stepping, model or family is not.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fw/cpu_errata.h"

/* Stepping 3:0, model 7:4, family 11:8, type 13:12, extended model 19:16, family 27:20. */
static uint32_t sig(unsigned ext_model, unsigned family, unsigned model, unsigned stepping)
{
	return ext_model << 16 | family << 8 | model << 4 | stepping;
}

static void test_listed(void **state)
{
	/* Family 6, the (extended model, model, stepping) the specification updates name. */
	static const unsigned listed[][3] = {{2, 0xe, 6}, {2, 5, 2},   {2, 5, 5},
					     {1, 0xe, 5}, {1, 0xa, 0}, {1, 0xa, 1},
					     {1, 0xa, 4}, {1, 0xa, 5}, {3, 0xa, 8}};

	for (unsigned i = 0; i < sizeof(listed) / sizeof(listed[0]); i++) {
		uint32_t s = sig(listed[i][0], 6, listed[i][1], listed[i][2]);

		assert_non_null(errata_preemption_timer(s));
		/* reserved bits 15:14 and 31:28 do not matter */
		assert_non_null(errata_preemption_timer(s | 0xf000c000u));
	}
	assert_string_equal(errata_preemption_timer(0x000206e6),
			    "erratum BA86, Xeon 7500 stepping D0");
}

static void test_not_listed(void **state)
{
	assert_null(errata_preemption_timer(0));
	assert_null(errata_preemption_timer(sig(1, 6, 0xa, 2)));   /* Bloomfield stepping 2 */
	assert_null(errata_preemption_timer(sig(2, 6, 0xc, 2)));   /* Westmere-EP B1 */
	assert_null(errata_preemption_timer(sig(3, 6, 0xa, 9)));   /* Ivy Bridge E1 */
	assert_null(errata_preemption_timer(sig(5, 6, 5, 4)));	   /* Skylake-SP */
	assert_null(errata_preemption_timer(sig(2, 6, 0xe, 7)));   /* next stepping */
	assert_null(errata_preemption_timer(sig(2, 0xf, 0xe, 6))); /* another family */
	/* the processor type (13:12) is not reserved: it must match */
	assert_null(errata_preemption_timer(sig(2, 6, 0xe, 6) | 0x1000));
	/* an extended family (27:20) is not reserved either */
	assert_null(errata_preemption_timer(sig(2, 6, 0xe, 6) | 0x00100000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_listed),
	    cmocka_unit_test(test_not_listed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
