/*
 * The local APIC model driven exactly as the test guest's apic_timer_periodic
 * scenario drives it under kestrel (guests/testguest/t_apic_timer.c): measure
 * the timer with a masked one-shot, stop it, then run it periodic while the
 * "CPU" polls the current count, takes each interrupt and EOIs it.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "test/unit/lapic_fixture.h"

#define VEC 0x30

static void test_periodic_after_masked_measure(void **state)
{
	struct lapic_config cfg = fx_default_cfg();
	struct lapic *l;
	uint64_t t = 1000, end;
	uint32_t n = 124000, prev, cur, reloads = 0, taken = 0;

	cfg.tsc_hz = 9952499;
	cfg.bus_hz = 1000000000;
	l = fx_start(&cfg);
	sw_enable();
	wr_at(LAPIC_TDCR, 0x3, t);		       /* divide by 16 */
	wr_at(LAPIC_LVT_TIMER, LAPIC_MASKED | VEC, t); /* one-shot, masked */
	wr_at(LAPIC_TMICT, 0xffffffff, t);
	t += 500000;
	lapic_advance(l, t);
	assert_true(rd_at(LAPIC_TMCCT, t) < 0xffffffff);
	wr_at(LAPIC_TMICT, 0, t);
	assert_int_equal(lapic_pending(l), -1);	  /* masked: nothing was raised */
	wr_at(LAPIC_LVT_TIMER, BIT(17) | VEC, t); /* periodic */
	wr_at(LAPIC_TMICT, n, t);
	prev = rd_at(LAPIC_TMCCT, t);
	for (end = t + 2000000; t < end; t += 700) { /* a poll about every MMIO exit */
		if (lapic_next_event(l) <= t)
			lapic_advance(l, t);
		cur = rd_at(LAPIC_TMCCT, t);
		reloads += cur > prev;
		prev = cur;
		if (lapic_pending(l) == VEC) {
			lapic_ack(l, VEC);
			taken++;
			wr_at(LAPIC_EOI, 0, t + 300);
		}
	}
	/* 2 s of TSC at 9.95 MHz over a 124000 * 16 / 1 GHz = 1.984 ms period: about 100 */
	assert_true(taken + 1 >= reloads && taken <= reloads + 1);
	assert_true(taken >= 99 && taken <= 102);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_periodic_after_masked_measure),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
