/*
 * Unit tests for devices/lapic_timer.c (SDM "APIC Timer", "TSC-Deadline Mode"): one-shot
 * with every divider, exact current counts, periodic grids and counts over an interval at
 * several tsc_hz/bus_hz, masking, restarts, divider changes, mode switches, TSC deadline.
 * Expected values come from the SDM's definition, computed here independently.
 */
#include "test/unit/lapic_fixture.h"

typedef unsigned __int128 u128;

struct clocks {
	uint64_t tsc_hz, bus_hz;
};

static const struct clocks clocks[] = {
    {1000000000, 100000000}, {2893312000, 100000000},  {2893312000, 133333333},
    {3000000000, 25000000},  {1000000000, 1000000000},
};

static const uint32_t tdcr_vals[] = {0x0, 0x1, 0x2, 0x3, 0x8, 0x9, 0xA, 0xB};
static const uint32_t divisors[] = {2, 4, 8, 16, 32, 64, 128, 1};

/* Whole timer ticks in `elapsed` TSC ticks. */
static uint64_t ref_ticks(const struct clocks *c, uint32_t div, uint64_t elapsed)
{
	return (uint64_t)((u128)elapsed * c->bus_hz / ((u128)c->tsc_hz * div));
}

/* TSC ticks after the start at which `ticks` timer ticks have passed. */
static uint64_t ref_when(const struct clocks *c, uint32_t div, uint64_t ticks)
{
	u128 num = (u128)ticks * div * c->tsc_hz;

	return (uint64_t)((num + c->bus_hz - 1) / c->bus_hz);
}

static struct lapic *start(const struct clocks *c)
{
	struct lapic_config cfg = fx_default_cfg();

	cfg.tsc_hz = c->tsc_hz;
	cfg.bus_hz = c->bus_hz;
	fx_start(&cfg);
	sw_enable();
	return &F.l;
}

static void test_oneshot_every_divider(void **state)
{
	for (unsigned ci = 0; ci < ARRAY_SIZE(clocks); ci++) {
		const struct clocks *c = &clocks[ci];

		for (unsigned d = 0; d < ARRAY_SIZE(tdcr_vals); d++) {
			const uint64_t t0 = 123456789, n = 1000;
			uint64_t fire = t0 + ref_when(c, divisors[d], n);

			start(c);
			wr_at(LAPIC_TDCR, tdcr_vals[d], 5);
			wr_at(LAPIC_LVT_TIMER, 0x30, 7);
			wr_at(LAPIC_TMICT, (uint32_t)n, t0);
			assert_int_equal(rd_at(LAPIC_TMICT, t0), n);
			assert_int_equal(lapic_next_event(&F.l), fire);
			assert_int_equal(rd_at(LAPIC_TMCCT, t0), n);
			assert_int_equal(rd_at(LAPIC_TMCCT, t0 - 1), n); /* no time before t0 */
			for (uint64_t e = 0; e < fire - t0; e += (fire - t0) / 7 + 1)
				assert_int_equal(rd_at(LAPIC_TMCCT, t0 + e),
						 n - ref_ticks(c, divisors[d], e));
			assert_int_equal(rd_at(LAPIC_TMCCT, fire - 1), 1);
			assert_int_equal(rd_at(LAPIC_TMCCT, fire), 0);
			lapic_advance(&F.l, fire - 1);
			assert_false(irr(0x30));
			lapic_advance(&F.l, fire);
			assert_true(irr(0x30));
			assert_int_equal(lapic_next_event(&F.l), UINT64_MAX);
			take(0x30);
			wr(LAPIC_EOI, 0);
			lapic_advance(&F.l, fire * 3);
			assert_int_equal(rd_at(LAPIC_TMCCT, fire * 3), 0); /* stays at 0 */
			assert_int_equal(lapic_pending(&F.l), -1);
		}
	}
}

static void test_current_count_exact(void **state)
{
	const struct clocks *c = &clocks[2];
	uint64_t t0 = 999, e = 0;

	start(c);
	wr_at(LAPIC_TDCR, 0xB, 0); /* divide by 1 */
	wr_at(LAPIC_LVT_TIMER, 0x30, 0);
	wr_at(LAPIC_TMICT, 0xFFFFFFFF, t0);
	for (unsigned i = 0; i < 2000; i++) {
		e = e * 3 + 7 + i;
		e %= ref_when(c, 1, 0xFFFFFFFFull);
		assert_int_equal(rd_at(LAPIC_TMCCT, t0 + e), 0xFFFFFFFFull - ref_ticks(c, 1, e));
	}
	assert_int_equal(lapic_next_event(&F.l), t0 + ref_when(c, 1, 0xFFFFFFFFull));
}

/* Periodic expiries stay on the grid t0 + when(m * N), whenever advance is called. */
static void test_periodic_grid(void **state)
{
	const struct clocks *c = &clocks[1];
	const uint64_t t0 = 5000, n = 250;
	uint64_t m = 1;

	start(c);
	wr_at(LAPIC_TDCR, 0x3, 0); /* divide by 16 */
	wr_at(LAPIC_LVT_TIMER, 0x20031, 0);
	wr_at(LAPIC_TMICT, (uint32_t)n, t0);
	for (; m <= 50; m++) {
		uint64_t at = t0 + ref_when(c, 16, m * n);

		assert_int_equal(lapic_next_event(&F.l), at);
		lapic_advance(&F.l, at - 1);
		assert_false(irr(0x31));
		assert_int_equal(rd_at(LAPIC_TMCCT, at - 1), 1);
		lapic_advance(&F.l, at);
		assert_int_equal(rd_at(LAPIC_TMCCT, at), n); /* reloaded */
		take(0x31);
		wr(LAPIC_EOI, 0);
	}
	/* late by five and a half periods: one interrupt, phase kept */
	lapic_advance(&F.l, t0 + ref_when(c, 16, (m + 5) * n + n / 2));
	take(0x31);
	assert_int_equal(lapic_pending(&F.l), -1);
	wr(LAPIC_EOI, 0);
	assert_int_equal(lapic_next_event(&F.l), t0 + ref_when(c, 16, (m + 6) * n));
	assert_int_equal(rd_at(LAPIC_TMCCT, t0 + ref_when(c, 16, (m + 5) * n + n / 2)), n - n / 2);
}

/* One second of guest time in irregular steps: one interrupt per period. */
static uint64_t periodic_count(const struct clocks *c, unsigned d, uint32_t n)
{
	uint64_t now = 77, end = 77 + c->tsc_hz, step = 1, count = 0;
	uint64_t half = ref_when(c, divisors[d], n) / 2;

	start(c);
	wr_at(LAPIC_TDCR, tdcr_vals[d], now);
	wr_at(LAPIC_LVT_TIMER, 0x20040, now);
	wr_at(LAPIC_TMICT, n, now);
	while (now < end) {
		step = (step * 7 + 13) % half + 1; /* under half a period */
		now = MIN(now + step, end);
		lapic_advance(&F.l, now);
		if (lapic_pending(&F.l) == 0x40) {
			take(0x40);
			wr(LAPIC_EOI, 0);
			count++;
		}
	}
	return count;
}

static void test_periodic_count_over_interval(void **state)
{
	for (unsigned ci = 0; ci < ARRAY_SIZE(clocks); ci++) {
		for (unsigned d = 0; d < ARRAY_SIZE(tdcr_vals); d++) {
			const struct clocks *c = &clocks[ci];
			uint32_t n = 40000 + 1111 * d;

			assert_int_equal(periodic_count(c, d, n),
					 ref_ticks(c, divisors[d], c->tsc_hz) / n);
		}
	}
}

static void test_masked_timer_counts(void **state)
{
	const struct clocks *c = &clocks[0];
	uint64_t period = ref_when(c, 2, 1000);

	start(c);
	wr_at(LAPIC_LVT_TIMER, 0x30050, 0); /* periodic, masked */
	wr_at(LAPIC_TMICT, 1000, 0);
	assert_int_equal(rd_at(LAPIC_TMCCT, period / 2), 500);
	lapic_advance(&F.l, period);
	assert_false(irr(0x50));
	assert_int_equal(lapic_next_event(&F.l), 2 * period);
	wr_at(LAPIC_LVT_TIMER, 0x20050, period + 1);
	lapic_advance(&F.l, 2 * period);
	assert_true(irr(0x50));
}

static void test_initial_count_writes(void **state)
{
	const struct clocks *c = &clocks[0];

	start(c);
	wr_at(LAPIC_LVT_TIMER, 0x30, 0);
	wr_at(LAPIC_TMICT, 1000, 0);
	wr_at(LAPIC_TMICT, 0, 100); /* 0 stops the timer */
	assert_int_equal(rd_at(LAPIC_TMCCT, 100), 0);
	assert_int_equal(lapic_next_event(&F.l), UINT64_MAX);
	lapic_advance(&F.l, 1000000);
	assert_false(irr(0x30));
	wr_at(LAPIC_TMICT, 1000, 2000000); /* a rewrite restarts the count */
	wr_at(LAPIC_TMICT, 2000, 2000000 + 15000);
	assert_int_equal(rd_at(LAPIC_TMCCT, 2000000 + 15000), 2000);
	assert_int_equal(lapic_next_event(&F.l), 2000000 + 15000 + ref_when(c, 2, 2000));
	/* a rewrite after a missed expiry still delivers the expiry first */
	wr_at(LAPIC_TMICT, 10, 2000000 + 15000 + ref_when(c, 2, 2000) + 5);
	assert_true(irr(0x30));
	assert_int_equal(rd_at(LAPIC_TMICT, 3000000), 10);
}

static void test_divider_change_midcount(void **state)
{
	const struct clocks *c = &clocks[0];
	uint64_t t1 = ref_when(c, 2, 400);

	start(c);
	wr_at(LAPIC_LVT_TIMER, 0x30, 0);
	wr_at(LAPIC_TMICT, 1000, 0);
	wr_at(LAPIC_TDCR, 0x3, t1); /* 400 ticks at /2, then /16 */
	assert_int_equal(rd_at(LAPIC_TMCCT, t1), 600);
	assert_int_equal(rd_at(LAPIC_TMCCT, t1 + ref_when(c, 16, 100)), 500);
	assert_int_equal(lapic_next_event(&F.l), t1 + ref_when(c, 16, 600));
	assert_int_equal(rd(LAPIC_TDCR), 3);
}

static void test_oneshot_periodic_switch(void **state)
{
	const struct clocks *c = &clocks[1];
	uint64_t p = 0;

	start(c);
	wr_at(LAPIC_LVT_TIMER, 0x20030, 0); /* periodic */
	wr_at(LAPIC_TMICT, 100, 0);
	p = ref_when(c, 2, 100);
	lapic_advance(&F.l, p);
	take(0x30);
	wr(LAPIC_EOI, 0);
	/* to one-shot mid-cycle: the current cycle ends with an interrupt, then stop */
	wr_at(LAPIC_LVT_TIMER, 0x30, p + ref_when(c, 2, 30));
	assert_int_equal(lapic_next_event(&F.l), ref_when(c, 2, 200));
	assert_int_equal(rd_at(LAPIC_TMCCT, ref_when(c, 2, 150)), 50);
	lapic_advance(&F.l, ref_when(c, 2, 200));
	take(0x30);
	wr(LAPIC_EOI, 0);
	assert_int_equal(lapic_next_event(&F.l), UINT64_MAX);
	assert_int_equal(rd_at(LAPIC_TMCCT, ref_when(c, 2, 250)), 0);
	/* an expired one-shot stays stopped in periodic mode */
	wr_at(LAPIC_LVT_TIMER, 0x20030, ref_when(c, 2, 260));
	assert_int_equal(lapic_next_event(&F.l), UINT64_MAX);
	/* a running one-shot becomes periodic on the same grid */
	start(c);
	wr_at(LAPIC_LVT_TIMER, 0x30, 0);
	wr_at(LAPIC_TMICT, 100, 0);
	wr_at(LAPIC_LVT_TIMER, 0x20030, ref_when(c, 2, 10));
	lapic_advance(&F.l, ref_when(c, 2, 100));
	take(0x30);
	assert_int_equal(lapic_next_event(&F.l), ref_when(c, 2, 200));
}

static void test_tsc_deadline(void **state)
{
	start(&clocks[0]);
	wr_at(LAPIC_LVT_TIMER, 0x30, 0);
	lapic_advance(&F.l, UINT64_MAX); /* nothing armed: nothing fires, ever */
	assert_int_equal(lapic_pending(&F.l), -1);
	lapic_set_tsc_deadline(&F.l, 5000, 0); /* one-shot mode: ignored */
	assert_int_equal(lapic_get_tsc_deadline(&F.l), 0);
	assert_int_equal(lapic_next_event(&F.l), UINT64_MAX);
	wr_at(LAPIC_LVT_TIMER, 0x40030, 0);
	assert_int_equal(rd(LAPIC_LVT_TIMER), 0x40030);
	lapic_set_tsc_deadline(&F.l, 5000, 100);
	assert_int_equal(lapic_get_tsc_deadline(&F.l), 5000);
	assert_int_equal(lapic_next_event(&F.l), 5000);
	wr_at(LAPIC_TMICT, 1000, 200); /* ignored in TSC-deadline mode */
	assert_int_equal(rd_at(LAPIC_TMICT, 200), 0);
	assert_int_equal(rd_at(LAPIC_TMCCT, 200), 0);
	lapic_advance(&F.l, 4999);
	assert_false(irr(0x30));
	lapic_advance(&F.l, 5000);
	assert_true(irr(0x30));
	assert_int_equal(lapic_get_tsc_deadline(&F.l), 0); /* cleared when it fires */
	assert_int_equal(lapic_next_event(&F.l), UINT64_MAX);
	take(0x30);
	wr(LAPIC_EOI, 0);
	lapic_set_tsc_deadline(&F.l, 9000, 8000);
	lapic_set_tsc_deadline(&F.l, 0, 8500); /* 0 disarms */
	lapic_advance(&F.l, 10000);
	assert_false(irr(0x30));
	lapic_set_tsc_deadline(&F.l, 9000, 20000); /* already past: fires at once */
	assert_true(irr(0x30));
	assert_int_equal(lapic_get_tsc_deadline(&F.l), 0);
	take(0x30);
	wr(LAPIC_EOI, 0);
	wr_at(LAPIC_LVT_TIMER, 0x50030, 20001); /* masked: expires silently */
	lapic_set_tsc_deadline(&F.l, 30000, 25000);
	lapic_advance(&F.l, 30000);
	assert_false(irr(0x30));
	assert_int_equal(lapic_get_tsc_deadline(&F.l), 0);
}

static void test_deadline_mode_switch_disarms(void **state)
{
	start(&clocks[0]);
	wr_at(LAPIC_LVT_TIMER, 0x30, 0);
	wr_at(LAPIC_TMICT, 1000, 0);
	wr_at(LAPIC_LVT_TIMER, 0x40030, 10);
	assert_int_equal(lapic_next_event(&F.l), UINT64_MAX);
	assert_int_equal(rd_at(LAPIC_TMICT, 10), 0);
	lapic_advance(&F.l, 100000);
	assert_false(irr(0x30));
	lapic_set_tsc_deadline(&F.l, 200000, 100000);
	wr_at(LAPIC_LVT_TIMER, 0x30, 150000); /* back to one-shot: the deadline is gone */
	assert_int_equal(lapic_next_event(&F.l), UINT64_MAX);
	assert_int_equal(lapic_get_tsc_deadline(&F.l), 0);
	lapic_advance(&F.l, 300000);
	assert_false(irr(0x30));
	assert_int_equal(rd_at(LAPIC_TMCCT, 300000), 0);
	/* masking or changing the vector is no mode change */
	wr_at(LAPIC_LVT_TIMER, 0x40030, 300001);
	lapic_set_tsc_deadline(&F.l, 400000, 300002);
	wr_at(LAPIC_LVT_TIMER, 0x50031, 310000);
	assert_int_equal(lapic_get_tsc_deadline(&F.l), 400000);
}

static void test_no_deadline_support(void **state)
{
	struct lapic_config cfg = fx_default_cfg();

	cfg.tsc_deadline = false;
	fx_start(&cfg);
	sw_enable();
	wr_at(LAPIC_LVT_TIMER, 0x40030, 0);
	assert_int_equal(rd(LAPIC_LVT_TIMER), 0x30); /* bit 18 does not exist */
	lapic_set_tsc_deadline(&F.l, 10, 0);
	assert_int_equal(lapic_get_tsc_deadline(&F.l), 0);
	assert_false(irr(0x30));
}

static void test_timer_illegal_vector(void **state)
{
	start(&clocks[0]);
	wr_at(LAPIC_LVT_TIMER, 0x05, 0);
	wr_at(LAPIC_TMICT, 10, 0);
	lapic_advance(&F.l, 1000);
	assert_int_equal(lapic_pending(&F.l), -1);
	assert_int_equal(esr(), LAPIC_ESR_RECV_ILLEGAL);
}

static void test_software_disable_silences_timer(void **state)
{
	start(&clocks[0]);
	wr_at(LAPIC_LVT_TIMER, 0x20030, 0);
	wr_at(LAPIC_TMICT, 10, 0);
	wr_at(LAPIC_SVR, 0xFF, 1);
	assert_int_equal(rd(LAPIC_LVT_TIMER), 0x30030);
	lapic_advance(&F.l, 250); /* 20 TSC ticks a tick: expired at 200, silently */
	assert_false(irr(0x30));
	assert_int_equal(lapic_next_event(&F.l), 400); /* still counting */
	assert_int_equal(rd_at(LAPIC_TMCCT, 250), 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_oneshot_every_divider),
	    cmocka_unit_test(test_current_count_exact),
	    cmocka_unit_test(test_periodic_grid),
	    cmocka_unit_test(test_periodic_count_over_interval),
	    cmocka_unit_test(test_masked_timer_counts),
	    cmocka_unit_test(test_initial_count_writes),
	    cmocka_unit_test(test_divider_change_midcount),
	    cmocka_unit_test(test_oneshot_periodic_switch),
	    cmocka_unit_test(test_tsc_deadline),
	    cmocka_unit_test(test_deadline_mode_switch_disarms),
	    cmocka_unit_test(test_no_deadline_support),
	    cmocka_unit_test(test_timer_illegal_vector),
	    cmocka_unit_test(test_software_disable_silences_timer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
