/*
 * Unit tests for vm/tsc.c: exact values at the rates kestrel meets (Bochs's 10 MHz,
 * a 3 GHz TSC, an odd measured rate), rounding, 0, and overflow saturating, never wrapping.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "vm/tsc.h"

#define MHZ 1000000ULL

static void test_from_us_exact(void **state)
{
	assert_int_equal(tsc_from_us(2000000, 10 * MHZ), 20000000); /* the demo watchdog */
	assert_int_equal(tsc_from_us(400000, 10 * MHZ), 4000000);   /* the scheduler tick */
	assert_int_equal(tsc_from_us(2000000, 3000 * MHZ), 6000000000ULL);
	assert_int_equal(tsc_from_us(1, 3000 * MHZ), 3000);
	assert_int_equal(tsc_from_us(1500000, 2 * MHZ + 1), 3000002); /* 3000001.5 rounds up */
	assert_int_equal(tsc_from_us(3600ULL * 1000000, 10 * MHZ), 36000000000ULL);
}

static void test_from_us_rounding(void **state)
{
	assert_int_equal(tsc_from_us(0, 10 * MHZ), 0);
	assert_int_equal(tsc_from_us(1, 10 * MHZ), 10);
	assert_int_equal(tsc_from_us(1, 1), 1);	     /* 1e-6 tick rounds up to 1 */
	assert_int_equal(tsc_from_us(999999, 1), 1); /* 0.999999 tick */
	assert_int_equal(tsc_from_us(1000000, 1), 1);
	assert_int_equal(tsc_from_us(1000001, 1), 2);
	assert_int_equal(tsc_from_us(1, 999999), 1); /* 0.999999 tick */
	assert_int_equal(tsc_from_us(3, 333333), 1); /* 0.999999 tick */
	assert_int_equal(tsc_from_us(4, 333333), 2); /* 1.333332 ticks */
}

static void test_from_us_overflow(void **state)
{
	uint64_t hz = TSC_HZ_MAX - 1;

	assert_int_equal(tsc_from_us(UINT64_MAX, 10 * MHZ), UINT64_MAX);
	assert_int_equal(tsc_from_us(UINT64_MAX, 1), UINT64_MAX / 1000000 + 1);
	/* the largest whole-second count that fits at hz, then one second more */
	assert_int_equal(tsc_from_us(UINT64_MAX / hz * 1000000, hz), UINT64_MAX / hz * hz);
	assert_int_equal(tsc_from_us((UINT64_MAX / hz + 1) * 1000000, hz), UINT64_MAX);
	/* whole seconds fit, the remainder's ticks push the sum over: 2^64 - 1 leaves
	 * (2^64 - 1) mod (2^44 - 1) = 2^20 - 1 ticks of room, the remainder needs ~hz */
	assert_int_equal(UINT64_MAX - UINT64_MAX / hz * hz, (1u << 20) - 1);
	assert_int_equal(tsc_from_us(UINT64_MAX / hz * 1000000 + 999999, hz), UINT64_MAX);
	assert_int_equal(tsc_from_us(UINT64_MAX / hz * 1000000 + 1, hz),
			 UINT64_MAX); /* +17592187 */
	/* the remainder's product stays within 64 bits at the largest rate */
	assert_int_equal(tsc_from_us(999999, hz), (999999 * hz + 999999) / 1000000);
}

static void test_to_us(void **state)
{
	assert_int_equal(tsc_to_us(0, 10 * MHZ), 0);
	assert_int_equal(tsc_to_us(20000000, 10 * MHZ), 2000000);
	assert_int_equal(tsc_to_us(9, 10 * MHZ), 0); /* 0.9 us rounds down */
	assert_int_equal(tsc_to_us(6000000000ULL, 3000 * MHZ), 2000000);
	assert_int_equal(tsc_to_us(3000001, 2 * MHZ + 1), 1499999);
	assert_int_equal(tsc_to_us(UINT64_MAX, 1), UINT64_MAX);
	assert_int_equal(tsc_to_us(UINT64_MAX, UINT64_MAX), 1000000);
	assert_int_equal(tsc_to_us(UINT64_MAX, 10 * MHZ),
			 UINT64_MAX / (10 * MHZ) * 1000000 + UINT64_MAX % (10 * MHZ) / 10);
}

static void test_round_trip(void **state)
{
	static const uint64_t hz[] = {1, 10 * MHZ, 2 * MHZ + 1, 3000 * MHZ, 3187654321ULL};

	for (unsigned i = 0; i < sizeof(hz) / sizeof(hz[0]); i++)
		for (uint64_t us = 1; us < 5000000000ULL; us = us * 7 + 3)
			assert_true(tsc_to_us(tsc_from_us(us, hz[i]), hz[i]) >= us);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_from_us_exact),    cmocka_unit_test(test_from_us_rounding),
	    cmocka_unit_test(test_from_us_overflow), cmocka_unit_test(test_to_us),
	    cmocka_unit_test(test_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
