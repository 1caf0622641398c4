/*
 * Unit tests for devices/pit.c, part one: reset state, what Linux and
 * SeaBIOS program (periodic mode 2, oneshot modes 0 and 4, SeaBIOS's mode 3
 * tick, TSC calibration through channel 2 and port 0x61), exact IRQ 0 edge
 * counts and times at several TSC rates, missed periods, large TSC values.
 * Counter modes, latches, read-back and gates are in test_pit_modes.c.
 */
#include "pit_fixture.h"

static const uint64_t rates[] = {1000000000, 2893312000, 3600000000, 1193182 * 3, 24000000};

static void test_reset_state(void **state)
{
	fresh_pit(1000000000);
	assert_int_equal(rec.calls, 0);
	assert_int_equal(pit_next_event(&pit), UINT64_MAX);
	for (unsigned ch = 0; ch < 3; ch++)
		assert_int_equal(status_of(ch, 0), 0x70); /* OUT low, null count, LSB/MSB, mode 0 */
	assert_int_equal(inb(PIT_PORT_61, 0), 0x00);
	assert_int_equal(inb(PIT_PORT_CTRL, 0), 0xFF);
	assert_int_equal(inb(0x44, 0), 0xFF);
	assert_int_equal(inb(0x60, 0), 0xFF);
	outb(0x44, 0x12, 5);
	outb(0x62, 0x12, 5);
	/* nothing counts before it is programmed, however long we wait */
	advance(100000000000ull);
	assert_int_equal(rec.calls, 0);
	assert_int_equal(status_of(0, 100000000000ull), 0x70);
	assert_int_equal(pit_next_event(&pit), UINT64_MAX);
}

/*
 * drivers/clocksource/i8253.c pit_set_periodic: 0x34, LATCH LSB, MSB with
 * LATCH = (PIT_TICK_RATE + HZ / 2) / HZ, rounded to nearest so the period is
 * within half a clock of 1/HZ. The PIT then fires exactly every LATCH
 * clocks: after the one-clock load, edge j is at clock load + j * LATCH.
 */
static void check_periodic(uint64_t tsc_hz, uint64_t t0, unsigned hz_linux, uint64_t seconds)
{
	uint16_t latch = (uint16_t)((PIT_HZ + hz_linux / 2) / hz_linux);
	uint64_t load, end = t0 + seconds * tsc_hz;
	unsigned j = 0, before;

	fresh_pit(tsc_hz);
	program(0, 0x04, latch, t0);
	assert_true(rec.level); /* mode 2 OUT starts high */
	before = rec.rises;
	load = clk_of(t0) + 1;
	for (uint64_t e = pit_next_event(&pit); e <= end; e = pit_next_event(&pit)) {
		j++;
		assert_int_equal(e, at(load + (uint64_t)j * latch));
		advance(e - 1);
		assert_int_equal(rec.rises - before, j - 1);
		advance(e);
		assert_int_equal(rec.rises - before, j);
		assert_true(rec.level);
	}
	assert_int_equal(j, (clk_of(end) - load) / latch);
}

static void test_linux_periodic_rates(void **state)
{
	static const unsigned hzs[] = {100, 250, 300, 1000};

	for (unsigned r = 0; r < ARRAY_SIZE(rates); r++)
		for (unsigned h = 0; h < ARRAY_SIZE(hzs); h++)
			check_periodic(rates[r], 987654321 + r * 7, hzs[h], 2);
}

/* From TSC 0 the counts are exact by hand: 10 s are 11931820 clocks. */
static void test_linux_periodic_counts(void **state)
{
	static const struct {
		unsigned hz;
		unsigned edges; /* (11931820 - 1) / LATCH */
	} cases[] = {{100, 999}, {250, 2499}, {300, 3000}, {1000, 10001}};

	for (unsigned r = 0; r < 2; r++) {
		for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
			uint16_t latch = (uint16_t)((PIT_HZ + cases[i].hz / 2) / cases[i].hz);

			fresh_pit(rates[r]);
			program(0, 0x04, latch, 0);
			rec.rises = 0;
			assert_int_equal(run_events(10 * rates[r]), cases[i].edges);
			assert_int_equal(rec.rises, cases[i].edges);
		}
	}
}

/* A timer that fell behind raises once, and the next edge stays on the grid. */
static void test_missed_periods_keep_phase(void **state)
{
	const uint16_t n = 1193;
	uint64_t load;
	unsigned before, calls;

	fresh_pit(2893312000);
	program(0, 0x04, n, 5000);
	load = clk_of(5000) + 1;
	before = rec.rises;
	calls = rec.calls;

	advance(at(load + 10 * n + n / 2)); /* ten and a half periods late */
	assert_int_equal(rec.rises - before, 1);
	assert_int_equal(rec.calls - calls, 2); /* low, then high again */
	assert_true(rec.level);
	assert_int_equal(pit_next_event(&pit), at(load + 11 * n));
	advance(at(load + 11 * n));
	assert_int_equal(rec.rises - before, 2);
	/* a write first delivers what happened before it */
	outb(PIT_PORT_CTRL, 0x00, at(load + 13 * n));
	assert_int_equal(rec.rises - before, 3);
	assert_int_equal(pit_next_event(&pit), at(load + 14 * n));
}

/* Mode 0 as the brief's oneshot: OUT low at once, high N + 1 clocks after the MSB. */
static void test_oneshot_mode0(void **state)
{
	for (unsigned r = 0; r < ARRAY_SIZE(rates); r++) {
		uint64_t t0 = 1234567 + r, load;

		fresh_pit(rates[r]);
		outb(PIT_PORT_CTRL, 0x30, t0);
		outb(PIT_PORT_CH0, 0xE8, t0);
		assert_int_equal(pit_next_event(&pit), UINT64_MAX); /* LSB alone loads nothing */
		outb(PIT_PORT_CH0, 0x03, t0 + 10);
		load = clk_of(t0 + 10) + 1;
		assert_int_equal(pit_next_event(&pit), at(load + 1000));
		advance(at(load + 1000) - 1);
		assert_false(rec.level);
		advance(at(load + 1000));
		assert_true(rec.level);
		assert_int_equal(rec.rises, 1);
		assert_int_equal(pit_next_event(&pit), UINT64_MAX); /* and stays high */
		advance(at(load + 100000));
		assert_int_equal(rec.calls, 1);
		/* a new count drops OUT at once and starts over */
		outb(PIT_PORT_CH0, 0x00, at(load + 100000));
		assert_false(rec.level);
		outb(PIT_PORT_CH0, 0x00, at(load + 100000));
		assert_int_equal(pit_next_event(&pit), at(load + 100001 + 65536)); /* 0 is 65536 */
	}
}

/*
 * What Linux really programs for oneshot: pit_set_oneshot writes 0x38 (mode
 * 4), pit_next_event writes delta LSB, MSB; OUT strobes low for one clock at
 * terminal count, N + 1 clocks after the write. pit_shutdown writes 0x30, 0, 0.
 */
static void test_linux_oneshot_mode4(void **state)
{
	uint64_t t = 777, load;

	fresh_pit(2893312000);
	outb(PIT_PORT_CTRL, 0x38, t);
	assert_true(rec.level); /* mode 4 OUT starts high */
	rec.rises = 0;
	for (unsigned i = 0; i < 5; i++) {
		uint16_t delta = (uint16_t)(0x0F + i * 3001);

		outb(PIT_PORT_CH0, (uint8_t)delta, t);
		outb(PIT_PORT_CH0, (uint8_t)(delta >> 8), t);
		load = clk_of(t) + 1;
		assert_int_equal(pit_next_event(&pit), at(load + delta + 1));
		advance(at(load + delta));
		assert_int_equal(rec.rises, i); /* low for the strobe clock, not yet up */
		assert_false(rec.level);
		advance(at(load + delta + 1));
		assert_int_equal(rec.rises, i + 1);
		assert_int_equal(pit_next_event(&pit), UINT64_MAX);
		t = at(load + delta + 50);
	}
	/* a new delta before the strobe replaces the old one */
	outb(PIT_PORT_CH0, 100, t);
	outb(PIT_PORT_CH0, 0, t);
	outb(PIT_PORT_CH0, 200, t + 1000);
	outb(PIT_PORT_CH0, 0, t + 1000);
	assert_int_equal(pit_next_event(&pit), at(clk_of(t + 1000) + 1 + 201));
	/* shutdown */
	outb(PIT_PORT_CTRL, 0x30, t + 2000);
	assert_false(rec.level);
	outb(PIT_PORT_CH0, 0, t + 2000);
	outb(PIT_PORT_CH0, 0, t + 2000);
	assert_int_equal(pit_next_event(&pit), at(clk_of(t + 2000) + 1 + 65536));
}

/* SeaBIOS pit_setup: channel 0, mode 3, count 0 (65536): 18.2 Hz. */
static void test_seabios_mode3_tick(void **state)
{
	fresh_pit(1000000000);
	program(0, 0x06, 0, 0);
	rec.rises = 0;
	advance(at(1 + 32767));
	assert_true(rec.level);
	advance(at(1 + 32768)); /* second half: low */
	assert_false(rec.level);
	assert_int_equal(pit_next_event(&pit), at(1 + 65536));
	assert_int_equal(run_events(10 * hz), 182); /* (11931820 - 1) / 65536 */
	assert_int_equal(rec.rises, 182);
}

/*
 * arch/x86/kernel/tsc.c pit_calibrate_tsc: gate high and speaker off through
 * 0x61, channel 2 mode 0 with the latch LSB then MSB, then poll 0x61 bit 5.
 * The PIT loads on the clock after the MSB and OUT rises N clocks later, so
 * the elapsed TSC is within one clock below N + 1 clocks (plus one poll step).
 */
static uint64_t calibrate(uint64_t tsc_hz, uint64_t t0, uint16_t latch, uint64_t step)
{
	uint64_t t = t0, start, high;
	uint8_t v;

	fresh_pit(tsc_hz);
	v = inb(PIT_PORT_61, t);
	outb(PIT_PORT_61, (uint8_t)((v & ~0x02) | 0x01), t += step);
	outb(PIT_PORT_CTRL, 0xB0, t += step);
	outb(0x42, (uint8_t)latch, t += step);
	outb(0x42, (uint8_t)(latch >> 8), t += step);
	start = t;
	assert_int_equal(inb(PIT_PORT_61, t) & 0x03, 0x01);
	while (!out2(t))
		t += step;
	high = at(clk_of(start) + 1 + latch);
	assert_true(t >= high && t < high + step);
	assert_true(t - start >= (uint64_t)latch * tsc_hz / PIT_HZ);
	assert_true(t - start <= ((uint64_t)latch + 1) * tsc_hz / PIT_HZ + step + 1);
	assert_int_equal(rec.calls, 0); /* channel 2 never touches IRQ 0 */
	return t - start;
}

static void test_linux_calibrate_tsc(void **state)
{
	for (unsigned r = 0; r < ARRAY_SIZE(rates); r++) {
		const uint16_t latch = PIT_HZ / (1000 / 10);   /* CAL_LATCH, 10 ms */
		const uint64_t step = rates[r] / 50000000 + 1; /* an inb: ~20 ns */
		uint64_t d = calibrate(rates[r], 3 * rates[r] + 17, latch, step);
		uint64_t est = d * 1000 / 10; /* what Linux computes from it */

		assert_true(est > rates[r] - rates[r] / 2000 && est < rates[r] + rates[r] / 2000);
		calibrate(rates[r], 5, 0xFFFF, 1000);
		calibrate(rates[r], 99, 0x800, 11); /* SeaBIOS tsctimer_setup */
	}
}

/*
 * tsc.c quick_pit_calibrate: channel 2 mode 0 from 0xFFFF, then reads of the
 * unlatched counter (LSB ignored, MSB checked) until the MSB steps down.
 */
static void test_linux_quick_calibrate(void **state)
{
	const uint64_t step = 500;
	uint64_t t = 1000, load;

	fresh_pit(2893312000);
	outb(PIT_PORT_61, (uint8_t)((inb(PIT_PORT_61, t) & ~0x02) | 0x01), t);
	outb(PIT_PORT_CTRL, 0xB0, t);
	outb(0x42, 0xFF, t);
	outb(0x42, 0xFF, t);
	load = clk_of(t) + 1;
	/* pit_verify_msb(0): a counter read as the one-clock delay before the load */
	t = at(load);
	inb(0x42, t);
	assert_int_equal(inb(0x42, t), 0xFF);
	for (unsigned i = 1; i <= 40; i++) {
		uint8_t msb;

		do { /* pit_expect_msb(0xff - i + 1) */
			t += step;
			inb(0x42, t);
			msb = inb(0x42, t);
		} while (msb == 0xFF - i + 1);
		assert_int_equal(msb, 0xFF - i);
		/* count 0xFFFF - k has MSB 0xFF - i from k = 256 * i */
		assert_true(t >= at(load + 256 * i) && t < at(load + 256 * i) + step);
	}
}

/* Near 2^63 TSC the 128-bit arithmetic still gives exact edges. */
static void test_large_tsc(void **state)
{
	const uint64_t t0 = (1ull << 63) + 12345;

	for (unsigned r = 0; r < ARRAY_SIZE(rates); r++) {
		uint64_t load;

		fresh_pit(rates[r]);
		program(0, 0x04, 1193, t0);
		load = clk_of(t0) + 1;
		for (unsigned j = 1; j <= 5; j++) {
			assert_int_equal(pit_next_event(&pit), at(load + j * 1193));
			advance(pit_next_event(&pit));
		}
		assert_int_equal(latched_count(0, at(load + 5 * 1193 + 93)), 1100);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reset_state),
	    cmocka_unit_test(test_linux_periodic_rates),
	    cmocka_unit_test(test_linux_periodic_counts),
	    cmocka_unit_test(test_missed_periods_keep_phase),
	    cmocka_unit_test(test_oneshot_mode0),
	    cmocka_unit_test(test_linux_oneshot_mode4),
	    cmocka_unit_test(test_seabios_mode3_tick),
	    cmocka_unit_test(test_linux_calibrate_tsc),
	    cmocka_unit_test(test_linux_quick_calibrate),
	    cmocka_unit_test(test_large_tsc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
