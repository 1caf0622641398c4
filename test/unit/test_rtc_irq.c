/*
 * Unit tests for devices/rtc.c, the interrupt side: periodic interrupt counts and
 * phase at several rates and TSC rates, missed periods, PF/AF/UF versus their
 * enables, alarms with don't-care bytes, update-ended interrupts, register C's
 * read-to-clear and the IRQ 8 line, and Linux rtc-cmos's periodic setup.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "test/unit/rtc_fixture.h"

static const uint64_t hzs[] = {HZ_1G, HZ_ODD, HZ_SMALL};

/* Run one second from t0 serving every interrupt as a handler would; count them. */
static unsigned serve_one_second(uint64_t period_ticks)
{
	unsigned n = 0;

	for (;;) {
		uint64_t next = rtc_next_event(&rtc);

		if (next > t0 + hz)
			break;
		assert_int_equal(next, tick_at(t0, (n + 1) * period_ticks));
		rtc_advance(&rtc, next - 1);
		assert_false(irq.level);
		rtc_advance(&rtc, next);
		assert_true(irq.level);
		assert_int_equal(rtc_next_event(&rtc), UINT64_MAX); /* already high */
		uint8_t c = rd(RTC_REG_C, next);
		assert_int_equal(c & (RTC_C_IRQF | RTC_C_PF), RTC_C_IRQF | RTC_C_PF);
		assert_false(irq.level);
		n++;
	}
	return n;
}

static void test_periodic_counts(void **state)
{
	static const struct {
		uint8_t rs;
		unsigned hz, ticks;
	} rates[] = {{1, 256, 128}, {2, 128, 256}, {3, 8192, 4}, {6, 1024, 32}, {15, 2, 16384}};

	for (unsigned h = 0; h < ARRAY_SIZE(hzs); h++) {
		for (unsigned i = 0; i < ARRAY_SIZE(rates); i++) {
			boot(hzs[h], EPOCH, 777);
			wr(RTC_REG_A, (uint8_t)(0x20 | rates[i].rs), t0);
			(void)rd(RTC_REG_C, t0);
			wr(RTC_REG_B, RTC_B_PIE | RTC_B_24H, t0);
			assert_int_equal(serve_one_second(rates[i].ticks), rates[i].hz);
			assert_int_equal(irq.rises, rates[i].hz);
			assert_int_equal(irq.falls, rates[i].hz);
		}
	}
}

/* Linux rtc-cmos: cmos_irq_set_freq writes the rate into A, cmos_irq_enable clears C
 * and sets PIE; its interrupt handler reads C. */
static void test_linux_rtc_cmos_periodic(void **state)
{
	boot(HZ_ODD, EPOCH, 0);
	uint64_t t = at_us(123456);
	uint8_t a = rd(RTC_REG_A, t);
	wr(RTC_REG_A, (uint8_t)((a & 0xF0) | 0x07), t); /* 512 Hz */
	(void)rd(RTC_REG_C, t);
	wr(RTC_REG_B, (uint8_t)(rd(RTC_REG_B, t) | RTC_B_PIE), t);
	/* The rate change keeps the chain's phase: the next PF is on a 64-tick boundary. */
	uint64_t next = rtc_next_event(&rtc);
	uint64_t k = ((t - t0) * 32768 / hz / 64 + 1) * 64;
	assert_int_equal(next, tick_at(t0, k));
	unsigned n = 0;
	while ((next = rtc_next_event(&rtc)) <= t + hz) {
		rtc_advance(&rtc, next);
		assert_true(rd(RTC_REG_C, next) & RTC_C_PF);
		n++;
	}
	assert_int_equal(n, 512);
	/* Disabling: PIE cleared, no more events. */
	wr(RTC_REG_B, (uint8_t)(rd(RTC_REG_B, t + hz) & ~RTC_B_PIE), t + hz);
	assert_int_equal(rtc_next_event(&rtc), UINT64_MAX);
}

static void test_periodic_missed_keeps_phase(void **state)
{
	for (unsigned h = 0; h < ARRAY_SIZE(hzs); h++) {
		boot(hzs[h], EPOCH, 1000);
		wr(RTC_REG_B, RTC_B_PIE | RTC_B_24H, t0);
		rtc_advance(&rtc, tick_at(t0, 10 * 32 + 16)); /* ten periods late */
		assert_int_equal(irq.rises, 1);
		assert_int_equal(rd(RTC_REG_C, tick_at(t0, 10 * 32 + 16)), RTC_C_IRQF | RTC_C_PF);
		assert_int_equal(rtc_next_event(&rtc), tick_at(t0, 11 * 32));
		rtc_advance(&rtc, tick_at(t0, 11 * 32));
		assert_int_equal(irq.rises, 2);
	}
}

static void test_flags_without_enables(void **state)
{
	boot(HZ_1G, EPOCH, 0);
	wr(RTC_SEC_ALM, 0xFF, t0);
	wr(RTC_MIN_ALM, 0xFF, t0);
	wr(RTC_HOUR_ALM, 0xFF, t0);
	assert_int_equal(rtc_next_event(&rtc), UINT64_MAX);
	rtc_advance(&rtc, at_us(1000000));
	assert_false(irq.level);
	/* Flags are set regardless of the enables; IRQF only with one. */
	assert_int_equal(rd(RTC_REG_C, at_us(1000000)), RTC_C_PF | RTC_C_AF | RTC_C_UF);
	rtc_advance(&rtc, at_us(1100000));
	/* IRQF follows flag AND enable at once, both ways. */
	wr(RTC_REG_B, RTC_B_PIE | RTC_B_24H, at_us(1100000));
	assert_true(irq.level);
	wr(RTC_REG_B, RTC_B_24H, at_us(1100000));
	assert_false(irq.level);
	assert_int_equal(rd(RTC_REG_C, at_us(1100000)), RTC_C_PF);
}

static void test_update_interrupt(void **state)
{
	for (unsigned h = 0; h < ARRAY_SIZE(hzs); h++) {
		boot(hzs[h], EPOCH, 42);
		wr(RTC_REG_A, 0x20, t0); /* no periodic rate */
		wr(RTC_REG_B, RTC_B_UIE | RTC_B_24H, t0);
		for (uint64_t s = 1; s <= 3; s++) {
			assert_int_equal(rtc_next_event(&rtc), t0 + s * hz);
			rtc_advance(&rtc, t0 + s * hz - 1);
			assert_false(irq.level);
			rtc_advance(&rtc, t0 + s * hz);
			assert_true(irq.level);
			assert_int_equal(rd(RTC_SEC, t0 + s * hz), bcd(7 + (unsigned)s));
			assert_int_equal(rd(RTC_REG_C, t0 + s * hz), RTC_C_IRQF | RTC_C_UF);
			assert_false(irq.level);
		}
		/* SET stops updates, so no UF and no event. */
		wr(RTC_REG_B, RTC_B_SET | RTC_B_24H, t0 + 3 * hz);
		assert_int_equal(rtc_next_event(&rtc), UINT64_MAX);
		rtc_advance(&rtc, t0 + 10 * hz);
		assert_int_equal(rd(RTC_REG_C, t0 + 10 * hz), 0);
	}
}

static void set_alarm(uint8_t h, uint8_t m, uint8_t s, uint64_t now)
{
	wr(RTC_HOUR_ALM, h, now);
	wr(RTC_MIN_ALM, m, now);
	wr(RTC_SEC_ALM, s, now);
}

/* Boot at 13:05:07 with only AIE on and check when the alarm (h, m, s) fires. */
static void check_alarm(uint8_t regb, uint8_t h, uint8_t m, uint8_t s, uint64_t secs_away)
{
	boot(HZ_ODD, EPOCH, 5);
	wr(RTC_REG_A, 0x20, t0);
	wr(RTC_REG_B, regb | RTC_B_AIE, t0);
	set_alarm(h, m, s, t0);
	assert_int_equal(rtc_next_event(&rtc), t0 + secs_away * hz);
	rtc_advance(&rtc, t0 + secs_away * hz - 1);
	assert_false(irq.level);
	rtc_advance(&rtc, t0 + secs_away * hz);
	assert_true(irq.level);
	assert_int_equal(rd(RTC_REG_C, t0 + secs_away * hz), RTC_C_IRQF | RTC_C_AF | RTC_C_UF);
}

static void test_alarm_match(void **state)
{
	check_alarm(RTC_B_24H, 0x13, 0x05, 0x10, 3);
	check_alarm(RTC_B_24H, 0xFF, 0xFF, 0xFF, 1);	 /* every second */
	check_alarm(RTC_B_24H, 0xC0, 0xD3, 0x30, 23);	 /* every minute at :30 */
	check_alarm(RTC_B_24H, 0xFF, 0x06, 0xFF, 53);	 /* 13:06:00, the first of 13:06 */
	check_alarm(RTC_B_24H, 0x14, 0xC0, 0x00, 3293);	 /* 14:00:00 */
	check_alarm(RTC_B_24H, 0x13, 0x05, 0x00, 86393); /* passed today: tomorrow */
	check_alarm(RTC_B_24H, 0x13, 0x05, 0x07, 86400); /* now is not "after now" */
	check_alarm(RTC_B_24H | RTC_B_BINARY, 13, 5, 10, 3);
	check_alarm(0, 0x81, 0x05, 0x10, 3);		 /* 12-hour BCD: 1 PM */
	check_alarm(RTC_B_BINARY, 0x81, 5, 10, 3);	 /* 12-hour binary */
	check_alarm(0, 0x12, 0x00, 0x00, 86400 - 47107); /* 12 AM: midnight */
	check_alarm(0, 0x92, 0x00, 0x00, 86400 - 3907);	 /* 12 PM: noon tomorrow */
	/* The alarm keeps firing once a day. */
	uint64_t t = t0 + (86400 - 3907) * hz;
	assert_int_equal(rtc_next_event(&rtc), t + 86400 * hz);
}

static void test_alarm_never_and_missed(void **state)
{
	/* Bytes the time can never hold never match: 0x60 seconds, 0x13 in 12-hour mode. */
	static const struct {
		uint8_t regb, h, m, s;
	} never[] = {{RTC_B_24H, 0x13, 0x05, 0x60}, {RTC_B_24H, 0x24, 0xFF, 0xFF},
		     {RTC_B_24H, 0xFF, 0x5A, 0xFF}, {0, 0x13, 0xFF, 0xFF},
		     {0, 0x00, 0xFF, 0xFF},	    {RTC_B_24H | RTC_B_BINARY, 0xFF, 60, 0xFF}};

	for (unsigned i = 0; i < ARRAY_SIZE(never); i++) {
		boot(HZ_1G, EPOCH, 0);
		wr(RTC_REG_B, never[i].regb | RTC_B_AIE, t0);
		set_alarm(never[i].h, never[i].m, never[i].s, t0);
		assert_int_equal(rtc_next_event(&rtc), UINT64_MAX);
		rtc_advance(&rtc, at_us(2 * 86400000000ULL));
		assert_false(irq.level);
		assert_int_equal(rd(RTC_REG_C, at_us(2 * 86400000000ULL)) & RTC_C_AF, 0);
	}
	/* An alarm time passed while nobody looked is still flagged, once. */
	boot(HZ_1G, EPOCH, 0);
	wr(RTC_REG_A, 0x20, t0);
	wr(RTC_REG_B, RTC_B_AIE | RTC_B_24H, t0);
	set_alarm(0x13, 0x05, 0x10, t0);
	rtc_advance(&rtc, at_us(100000000));
	assert_int_equal(irq.rises, 1);
	assert_int_equal(rd(RTC_REG_C, at_us(100000000)), RTC_C_IRQF | RTC_C_AF | RTC_C_UF);
	/* ...but an interval without the alarm time is not. */
	rtc_advance(&rtc, at_us(200000000));
	assert_int_equal(rd(RTC_REG_C, at_us(200000000)), RTC_C_UF);
	assert_int_equal(irq.rises, 1);
}

static void test_reg_c_clear_and_irq(void **state)
{
	boot(HZ_1G, EPOCH, 0);
	wr(RTC_REG_A, 0x20, t0);
	wr(RTC_REG_B, RTC_B_UIE | RTC_B_24H, t0);
	rtc_advance(&rtc, at_us(1000000));
	assert_true(irq.level);
	assert_int_equal(irq.rises, 1);
	/* The line stays high until C is read, however long that takes. */
	rtc_advance(&rtc, at_us(1500000));
	assert_true(irq.level);
	assert_int_equal(rtc_next_event(&rtc), UINT64_MAX);
	wr(RTC_REG_C, 0x00, at_us(1500000)); /* read-only: no effect */
	assert_true(irq.level);
	assert_int_equal(rd(RTC_REG_C, at_us(1500000)), RTC_C_IRQF | RTC_C_UF);
	assert_false(irq.level);
	assert_int_equal(irq.falls, 1);
	assert_int_equal(rd(RTC_REG_C, at_us(1500000)), 0);
	assert_int_equal(irq.falls, 1);
	/* Two seconds pass unserved: one rise, UF once. */
	rtc_advance(&rtc, at_us(3500000));
	assert_int_equal(irq.rises, 2);
	assert_int_equal(rd(RTC_REG_C, at_us(3500000)), RTC_C_IRQF | RTC_C_UF);
	assert_int_equal(rtc_next_event(&rtc), at_us(4000000));
	/* Reading another register does not clear C. */
	rtc_advance(&rtc, at_us(4000000));
	(void)rd(RTC_REG_A, at_us(4000000));
	(void)rd(RTC_REG_D, at_us(4000000));
	assert_true(irq.level);
}

static void test_next_event_earliest(void **state)
{
	boot(HZ_1G, EPOCH, 0);
	wr(RTC_REG_A, 0x2F, t0); /* 2 Hz: PF at 0.5 s, 1 s, ... */
	set_alarm(0xFF, 0xFF, 0xFF, t0);
	wr(RTC_REG_B, RTC_B_AIE | RTC_B_UIE | RTC_B_PIE | RTC_B_24H, t0);
	assert_int_equal(rtc_next_event(&rtc), at_us(500000));
	wr(RTC_REG_B, RTC_B_AIE | RTC_B_24H, t0);
	assert_int_equal(rtc_next_event(&rtc), at_us(1000000));
	wr(RTC_REG_B, RTC_B_24H, t0);
	assert_int_equal(rtc_next_event(&rtc), UINT64_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_periodic_counts),
	    cmocka_unit_test(test_linux_rtc_cmos_periodic),
	    cmocka_unit_test(test_periodic_missed_keeps_phase),
	    cmocka_unit_test(test_flags_without_enables),
	    cmocka_unit_test(test_update_interrupt),
	    cmocka_unit_test(test_alarm_match),
	    cmocka_unit_test(test_alarm_never_and_missed),
	    cmocka_unit_test(test_reg_c_clear_and_irq),
	    cmocka_unit_test(test_next_event_earliest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
