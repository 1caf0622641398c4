/*
 * Unit tests for devices/rtc.c, the clock side: BCD/binary and 12/24-hour formats,
 * the UIP window, SET and the divider, Linux's read (mc146818_get_time) and set
 * (mc146818_set_time, hwclock) sequences, rollovers, registers, NVRAM, index port
 * and reset. Interrupts are in test_rtc_irq.c.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "lib/errno.h"
#include "test/unit/rtc_fixture.h"

struct regs {
	uint8_t sec, min, hour, wday, mday, mon, year, cent;
};

static struct regs read_regs(uint64_t now)
{
	return (struct regs){rd(RTC_SEC, now),	rd(RTC_MIN, now),    rd(RTC_HOUR, now),
			     rd(RTC_WDAY, now), rd(RTC_MDAY, now),   rd(RTC_MON, now),
			     rd(RTC_YEAR, now), rd(RTC_CENTURY, now)};
}

static void assert_regs(uint64_t now, struct regs want)
{
	struct regs got = read_regs(now);

	assert_int_equal(got.sec, want.sec);
	assert_int_equal(got.min, want.min);
	assert_int_equal(got.hour, want.hour);
	assert_int_equal(got.wday, want.wday);
	assert_int_equal(got.mday, want.mday);
	assert_int_equal(got.mon, want.mon);
	assert_int_equal(got.year, want.year);
	assert_int_equal(got.cent, want.cent);
}

static void write_regs(struct regs v, uint64_t now)
{
	wr(RTC_SEC, v.sec, now);
	wr(RTC_MIN, v.min, now);
	wr(RTC_HOUR, v.hour, now);
	wr(RTC_WDAY, v.wday, now);
	wr(RTC_MDAY, v.mday, now);
	wr(RTC_MON, v.mon, now);
	wr(RTC_YEAR, v.year, now);
	wr(RTC_CENTURY, v.cent, now);
}

static void test_power_on_values(void **state)
{
	boot(HZ_1G, EPOCH, 5000);
	assert_int_equal(rd(RTC_REG_A, t0), 0x26);
	assert_int_equal(rd(RTC_REG_B, t0), 0x02);
	assert_int_equal(rd(RTC_REG_C, t0), 0x00);
	assert_int_equal(rd(RTC_REG_D, t0), 0x80);
	for (unsigned a = RTC_SEC_ALM; a <= RTC_HOUR_ALM; a += 2)
		assert_int_equal(rd((uint8_t)a, t0), 0);
	assert_false(irq.level);
}

static void test_bcd_binary_24h(void **state)
{
	boot(HZ_1G, EPOCH, 5000);
	assert_regs(t0, (struct regs){0x07, 0x05, 0x13, 7, 0x09, 0x03, 0x24, 0x20});
	wr(RTC_REG_B, RTC_B_24H | RTC_B_BINARY, t0);
	assert_regs(t0, (struct regs){7, 5, 13, 7, 9, 3, 24, 20});
	wr(RTC_REG_B, 0, t0); /* BCD, 12-hour: 13:05 is 1 PM */
	assert_int_equal(rd(RTC_HOUR, t0), 0x81);
	wr(RTC_REG_B, RTC_B_BINARY, t0);
	assert_int_equal(rd(RTC_HOUR, t0), 0x81);
	/* Binary 59 is 0x3B, BCD 0x59. */
	rtc_set_time(&rtc, DAY_START + 23 * 3600 + 59 * 60 + 59, t0);
	assert_int_equal(rd(RTC_SEC, t0), 0x3B);
	wr(RTC_REG_B, RTC_B_24H, t0);
	assert_int_equal(rd(RTC_SEC, t0), 0x59);
}

/* 12-hour bytes for hour-of-day h: {BCD, binary}. */
static void check_12h(unsigned h, uint8_t want_bcd, uint8_t want_bin)
{
	rtc_set_time(&rtc, DAY_START + h * 3600 + 1800, t0);
	wr(RTC_REG_B, 0, t0);
	assert_int_equal(rd(RTC_HOUR, t0), want_bcd);
	wr(RTC_REG_B, RTC_B_BINARY, t0);
	assert_int_equal(rd(RTC_HOUR, t0), want_bin);
	wr(RTC_REG_B, RTC_B_24H, t0);
	assert_int_equal(rd(RTC_HOUR, t0), bcd(h));
}

static void test_12h_edges(void **state)
{
	boot(HZ_1G, EPOCH, 5000);
	check_12h(0, 0x12, 0x0C);  /* 12 AM */
	check_12h(1, 0x01, 0x01);  /* 1 AM */
	check_12h(11, 0x11, 0x0B); /* 11 AM */
	check_12h(12, 0x92, 0x8C); /* 12 PM */
	check_12h(13, 0x81, 0x81); /* 1 PM */
	check_12h(23, 0x91, 0x8B); /* 11 PM */
	/* Setting in 12-hour mode: 12 AM is 00, 12 PM is 12, 1 PM is 13. */
	static const uint8_t in12[] = {0x12, 0x92, 0x81, 0x01};
	static const uint8_t out24[] = {0x00, 0x12, 0x13, 0x01};
	for (unsigned i = 0; i < ARRAY_SIZE(in12); i++) {
		wr(RTC_REG_B, RTC_B_SET, t0);
		wr(RTC_HOUR, in12[i], t0);
		wr(RTC_REG_B, 0, t0);
		wr(RTC_REG_B, RTC_B_24H, t0);
		assert_int_equal(rd(RTC_HOUR, t0), out24[i]);
	}
}

static void check_uip(uint64_t tsc_hz)
{
	boot(tsc_hz, EPOCH, 12345);
	for (uint64_t s = 0; s < 3; s++) {
		uint64_t upd = t0 + (s + 1) * hz;
		uint64_t win = tick_at(t0, s * 32768 + 32760); /* 244.14 us before */

		assert_int_equal(rd(RTC_REG_A, win - 1), 0x26);
		assert_int_equal(rd(RTC_REG_A, win), 0xA6);
		assert_int_equal(rd(RTC_REG_A, upd - 1), 0xA6);
		assert_int_equal(rd(RTC_SEC, upd - 1), bcd(7 + (unsigned)s));
		assert_int_equal(rd(RTC_REG_A, upd), 0x26);
		assert_int_equal(rd(RTC_SEC, upd), bcd(8 + (unsigned)s));
	}
	/* The window is 244 us long, give or take one TSC tick of rounding. */
	uint64_t len = t0 + hz - tick_at(t0, 32760);
	assert_true(len >= hz * 244 / 1000000 && len <= hz * 245 / 1000000);
	/* SET clears UIP even inside the window. */
	wr(RTC_REG_B, RTC_B_SET | RTC_B_24H, tick_at(t0, 3 * 32768 + 32762));
	assert_int_equal(rd(RTC_REG_A, tick_at(t0, 3 * 32768 + 32763)), 0x26);
}

static void test_uip_window(void **state)
{
	check_uip(HZ_1G);
	check_uip(HZ_ODD);
	check_uip(HZ_SMALL);
}

/* Linux's mc146818_avoid_UIP + mc146818_get_time: 1 us per port access, 1 ms delays. */
static uint64_t lnow;

static uint8_t cmos_read(uint8_t idx)
{
	lnow += hz / 1000000;
	return rd(idx, lnow);
}

static struct regs linux_get_time(void)
{
	for (int i = 0; i < 100; i++) {
		struct regs v;

		if (cmos_read(RTC_REG_A) & RTC_A_UIP) {
			lnow += hz / 1000;
			continue;
		}
		v.sec = cmos_read(RTC_SEC);
		v.min = cmos_read(RTC_MIN);
		v.hour = cmos_read(RTC_HOUR);
		v.mday = cmos_read(RTC_MDAY);
		v.mon = cmos_read(RTC_MON);
		v.year = cmos_read(RTC_YEAR);
		v.cent = cmos_read(RTC_CENTURY);
		(void)cmos_read(RTC_REG_B);
		if (cmos_read(RTC_REG_A) & RTC_A_UIP) {
			lnow += hz / 1000;
			continue;
		}
		if (v.sec != cmos_read(RTC_SEC))
			continue;
		return v;
	}
	fail_msg("mc146818_get_time gave up");
	return (struct regs){0};
}

static void test_linux_get_time(void **state)
{
	static const uint64_t hzs[] = {HZ_1G, HZ_ODD};

	for (unsigned i = 0; i < ARRAY_SIZE(hzs); i++) {
		boot(hzs[i], EPOCH, 999);
		/* Mid-second: straight through. */
		lnow = at_us(400000);
		struct regs v = linux_get_time();
		assert_int_equal(v.sec, 0x07);
		assert_int_equal(v.min, 0x05);
		assert_int_equal(v.cent, 0x20);
		/* Inside the window: waits, then reads the updated second. */
		lnow = at_us(1000000 - 100);
		v = linux_get_time();
		assert_int_equal(v.sec, 0x08);
		/* Just before the window: UIP rises between the two checks, so it retries. */
		lnow = at_us(2000000 - 250);
		v = linux_get_time();
		assert_int_equal(v.sec, 0x09);
		assert_true(lnow > at_us(2000000));
	}
}

static const struct regs y2030 = {0x00, 0x00, 0x08, 0x07, 0x15, 0x06, 0x30, 0x20};

static void test_set_freezes(void **state)
{
	boot(HZ_1G, EPOCH, 0);
	(void)rd(RTC_REG_C, at_us(2500000));
	wr(RTC_REG_B, RTC_B_SET | RTC_B_UIE | RTC_B_24H, at_us(2500000));
	assert_int_equal(rd(RTC_REG_B, at_us(2500000)), RTC_B_SET | RTC_B_24H); /* UIE cleared */
	assert_int_equal(rd(RTC_SEC, at_us(7900000)), 0x09);			/* frozen */
	assert_int_equal(rd(RTC_REG_A, at_us(7999900)), 0x26);
	write_regs(y2030, at_us(8200000));
	assert_regs(at_us(9500000), y2030); /* bytes hold while SET */
	wr(RTC_REG_B, RTC_B_24H, at_us(10300000));
	assert_int_equal(rd(RTC_REG_C, at_us(10300000)) & RTC_C_UF, 0); /* no updates ran */
	assert_regs(at_us(10300000), y2030);
	assert_regs(at_us(10999999), y2030);
	/* The chain kept its phase: the next update is on the original second boundary. */
	assert_int_equal(rd(RTC_SEC, at_us(11000000)), 0x01);
	assert_int_equal(rd(RTC_REG_C, at_us(11000000)) & RTC_C_UF, RTC_C_UF);
	assert_regs(at_us(71000000), (struct regs){0x01, 0x01, 0x08, 0x07, 0x15, 0x06, 0x30, 0x20});
}

/* Linux's mc146818_set_time: SET, divider reset, write, restore B, then restore A. */
static void test_linux_set_time(void **state)
{
	boot(HZ_ODD, EPOCH, 31337);
	uint64_t t = at_us(3300000);
	uint8_t save_control = rd(RTC_REG_B, t);
	wr(RTC_REG_B, save_control | RTC_B_SET, t);
	uint8_t save_freq = rd(RTC_REG_A, t);
	assert_int_equal(save_freq, 0x26);
	wr(RTC_REG_A, save_freq | 0x70, t);
	write_regs(y2030, at_us(3300100));
	wr(RTC_REG_B, save_control, at_us(3300200));
	assert_regs(at_us(3800000), y2030); /* divider in reset: no counting */
	uint64_t go = at_us(3900000);
	wr(RTC_REG_A, save_freq, go);
	/* The first update comes half a second after the divider is released. */
	uint64_t first = tick_at(go, 16384);
	assert_int_equal(rd(RTC_SEC, first - 1), 0x00);
	assert_int_equal(rd(RTC_SEC, first), 0x01);
	assert_int_equal(rd(RTC_SEC, tick_at(go, 16384 + 32768) - 1), 0x01);
	assert_int_equal(rd(RTC_SEC, tick_at(go, 16384 + 32768)), 0x02);
	assert_int_equal(rd(RTC_REG_A, tick_at(go, 16384 + 32768 - 8)), 0xA6);
}

/* util-linux hwclock --directisa: SET, write the time, clear SET. */
static void test_hwclock_directisa(void **state)
{
	boot(HZ_1G, EPOCH, 0);
	wr(RTC_REG_B, RTC_B_SET | RTC_B_24H, at_us(500000));
	write_regs((struct regs){0x58, 0x59, 0x23, 0x01, 0x31, 0x12, 0x99, 0x19}, at_us(600000));
	wr(RTC_REG_B, RTC_B_24H, at_us(700000));
	assert_regs(at_us(999999), (struct regs){0x58, 0x59, 0x23, 0x01, 0x31, 0x12, 0x99, 0x19});
	assert_regs(at_us(2000000), (struct regs){0x00, 0x00, 0x00, 0x02, 0x01, 0x01, 0x00, 0x20});
}

static void test_write_without_set(void **state)
{
	boot(HZ_1G, EPOCH, 0);
	wr(RTC_SEC, 0x30, at_us(2500000));
	assert_int_equal(rd(RTC_SEC, at_us(2500000)), 0x30);
	assert_int_equal(rd(RTC_MIN, at_us(2500000)), 0x05);
	assert_int_equal(rd(RTC_SEC, at_us(2999999)), 0x30);
	assert_int_equal(rd(RTC_SEC, at_us(3000000)), 0x31);
}

static void test_rollovers(void **state)
{
	boot(HZ_1G, 4102444799ULL, 0); /* 2099-12-31 23:59:59, Thursday */
	assert_regs(t0, (struct regs){0x59, 0x59, 0x23, 5, 0x31, 0x12, 0x99, 0x20});
	assert_regs(at_us(1000000), (struct regs){0x00, 0x00, 0x00, 6, 0x01, 0x01, 0x00, 0x21});
	rtc_set_time(&rtc, 4107542399ULL, at_us(1000000)); /* 2100-02-28 23:59:59, no leap day */
	assert_regs(at_us(2000000), (struct regs){0x00, 0x00, 0x00, 2, 0x01, 0x03, 0x00, 0x21});
	rtc_set_time(&rtc, 951782399ULL, at_us(2000000)); /* 2000-02-28 23:59:59 */
	assert_regs(at_us(3000000), (struct regs){0x00, 0x00, 0x00, 3, 0x29, 0x02, 0x00, 0x20});
	wr(RTC_REG_B, RTC_B_24H | RTC_B_BINARY, at_us(3000000));
	assert_regs(at_us(3000000), (struct regs){0, 0, 0, 3, 29, 2, 0, 20});
}

static void test_weekday_counts_from_written(void **state)
{
	boot(HZ_1G, EPOCH, 0);
	wr(RTC_REG_B, RTC_B_SET | RTC_B_24H, t0);
	wr(RTC_HOUR, 0x23, t0);
	wr(RTC_MIN, 0x59, t0);
	wr(RTC_SEC, 0x59, t0);
	wr(RTC_WDAY, 3, t0); /* software's weekday, not the calendar's (7) */
	wr(RTC_REG_B, RTC_B_24H, t0);
	assert_int_equal(rd(RTC_WDAY, at_us(999999)), 3);
	assert_int_equal(rd(RTC_WDAY, at_us(1000000)), 4);
	assert_int_equal(rd(RTC_MDAY, at_us(1000000)), 0x10);
	rtc_set_time(&rtc, EPOCH, at_us(1000000)); /* a host time reload resets it */
	assert_int_equal(rd(RTC_WDAY, at_us(1000000)), 7);
}

static void test_divider_stops_chain(void **state)
{
	static const uint8_t stop[] = {0x70, 0x60, 0x00, 0x10, 0x30, 0x40, 0x50};

	for (unsigned i = 0; i < ARRAY_SIZE(stop); i++) {
		boot(HZ_1G, EPOCH, 0);
		wr(RTC_REG_A, stop[i] | 6, at_us(2300000));
		(void)rd(RTC_REG_C, at_us(2300000));
		assert_int_equal(rd(RTC_SEC, at_us(10000000)), 0x09);
		assert_int_equal(rd(RTC_REG_A, at_us(10000000)), stop[i] | 6); /* no UIP */
		assert_int_equal(rd(RTC_REG_C, at_us(10000000)), 0);	       /* no PF, no UF */
		assert_int_equal(rtc_next_event(&rtc), UINT64_MAX);
		wr(RTC_REG_A, 0x26, at_us(10000000));
		assert_int_equal(rd(RTC_REG_C, tick_at(at_us(10000000), 32) - 1), 0);
		assert_int_equal(rd(RTC_REG_C, tick_at(at_us(10000000), 32)), RTC_C_PF);
		assert_int_equal(rd(RTC_SEC, at_us(10499999)), 0x09);
		assert_int_equal(rd(RTC_SEC, at_us(10500000)), 0x10);
	}
}

static void test_registers_rw(void **state)
{
	boot(HZ_1G, EPOCH, 0);
	uint64_t t = at_us(300000);
	wr(RTC_REG_D, 0x00, t);
	assert_int_equal(rd(RTC_REG_D, t), 0x80);
	wr(RTC_REG_A, 0xA5, t); /* UIP is read-only */
	assert_int_equal(rd(RTC_REG_A, t), 0x25);
	wr(RTC_REG_B, 0x7F, t); /* everything but SET */
	assert_int_equal(rd(RTC_REG_B, t), 0x7F);
	wr(RTC_REG_B, 0xFF, t); /* SET drops UIE */
	assert_int_equal(rd(RTC_REG_B, t), 0xEF);
	wr(RTC_REG_C, 0xFF, t);
	(void)rd(RTC_REG_C, t);
	assert_int_equal(rd(RTC_REG_C, t), 0);
	/* Alarm bytes are plain storage. */
	wr(RTC_SEC_ALM, 0x12, t);
	wr(RTC_MIN_ALM, 0xC5, t);
	wr(RTC_HOUR_ALM, 0xFF, t);
	assert_int_equal(rd(RTC_SEC_ALM, t), 0x12);
	assert_int_equal(rd(RTC_MIN_ALM, t), 0xC5);
	assert_int_equal(rd(RTC_HOUR_ALM, t), 0xFF);
}

static void test_nvram(void **state)
{
	boot(HZ_1G, EPOCH, 0);
	for (unsigned i = RTC_NVRAM; i < RTC_CMOS_SIZE; i++)
		assert_int_equal(rd((uint8_t)i, t0), i == RTC_CENTURY ? 0x20 : 0);
	for (unsigned i = RTC_NVRAM; i < RTC_CMOS_SIZE; i++)
		if (i != RTC_CENTURY)
			wr((uint8_t)i, (uint8_t)(i ^ 0xA5), t0);
	for (unsigned i = RTC_NVRAM; i < RTC_CMOS_SIZE; i++)
		assert_int_equal(rd((uint8_t)i, t0), i == RTC_CENTURY ? 0x20 : (i ^ 0xA5));
	/* Time and control registers are untouched by the NVRAM writes. */
	assert_int_equal(rd(RTC_SEC, t0), 0x07);
	assert_int_equal(rd(RTC_REG_B, t0), 0x02);

	assert_int_equal(rtc_set_nvram(&rtc, 0x10, 0x40), 0); /* 1.44 MB floppy A: */
	assert_int_equal(rtc_set_nvram(&rtc, 0x15, 0x80), 0); /* 640 KiB base memory */
	assert_int_equal(rtc_set_nvram(&rtc, 0x0E, 0x01), 0);
	assert_int_equal(rtc_set_nvram(&rtc, 0x7F, 0x7F), 0);
	assert_int_equal(rd(0x10, t0), 0x40);
	assert_int_equal(rd(0x15, t0), 0x80);
	assert_int_equal(rd(0x0E, t0), 0x01);
	assert_int_equal(rd(0x7F, t0), 0x7F);
	assert_int_equal(rtc_set_nvram(&rtc, RTC_CENTURY, 0x19), -EINVAL);
	assert_int_equal(rtc_set_nvram(&rtc, RTC_REG_D, 0), -EINVAL);
	assert_int_equal(rtc_set_nvram(&rtc, RTC_SEC, 0), -EINVAL);
	assert_int_equal(rtc_set_nvram(&rtc, 0x80, 0), -EINVAL);
	assert_int_equal(rd(RTC_CENTURY, t0), 0x20);
}

static void test_index_port(void **state)
{
	uint8_t v;

	boot(HZ_1G, EPOCH, 0);
	wr(RTC_REG_D | RTC_INDEX_NMI, 0x00, t0);
	assert_true(rtc.nmi_masked);
	assert_int_equal(rd(RTC_REG_D | RTC_INDEX_NMI, t0), 0x80);
	rtc_write(&rtc, RTC_PORT_INDEX, t0, RTC_SEC);
	assert_false(rtc.nmi_masked);
	rtc_read(&rtc, RTC_PORT_DATA, t0, &v);
	assert_int_equal(v, 0x07);
	wr(0x8E, 0x42, t0); /* index & 0x7F */
	assert_int_equal(rd(0x0E, t0), 0x42);
	wr(0xFF, 0x99, t0);
	assert_int_equal(rd(0x7F, t0), 0x99);
	rtc_read(&rtc, RTC_PORT_INDEX, t0, &v);
	assert_int_equal(v, 0xFF); /* write-only */
	rtc_read(&rtc, 0x72, t0, &v);
	assert_int_equal(v, 0xFF);
	rtc_write(&rtc, 0x72, t0, 0x0E);
	rtc_write(&rtc, 0x73, t0, 0x00);
	assert_int_equal(rd(0x0E, t0), 0x42);
}

static void test_reset(void **state)
{
	boot(HZ_1G, EPOCH, 0);
	wr(0x20, 0x5A, t0);
	wr(RTC_REG_B, RTC_B_SET | RTC_B_24H, t0);
	write_regs(y2030, t0);
	wr(RTC_REG_B, RTC_B_PIE | RTC_B_AIE | RTC_B_UIE | RTC_B_SQWE | RTC_B_BINARY | RTC_B_24H,
	   t0);
	wr(RTC_REG_A, 0x2F, t0);
	rtc_advance(&rtc, at_us(1000000));
	assert_true(irq.level);
	rtc_reset(&rtc, at_us(5500000));
	assert_false(irq.level);
	assert_int_equal(rd(RTC_REG_B, at_us(5500000)), RTC_B_BINARY | RTC_B_24H);
	assert_int_equal(rd(RTC_REG_C, at_us(5500000)), 0); /* nothing from before the reset */
	assert_int_equal(rd(RTC_REG_A, at_us(5500000)), 0x2F);
	assert_int_equal(rd(0x20, at_us(5500000)), 0x5A);
	/* The host time again, on the host reference's second boundaries. */
	assert_int_equal(rd(RTC_SEC, at_us(5500000)), 12);
	assert_int_equal(rd(RTC_YEAR, at_us(5500000)), 24);
	assert_int_equal(rd(RTC_SEC, at_us(5999999)), 12);
	assert_int_equal(rd(RTC_SEC, at_us(6000000)), 13);
	assert_int_equal(rd(RTC_REG_C, at_us(6000000)), RTC_C_PF | RTC_C_UF); /* 2 Hz goes on */

	/* A reset long after the last access: nothing from before it is flagged either. */
	boot(HZ_ODD, EPOCH, 77);
	rtc_reset(&rtc, at_us(7300000));
	assert_int_equal(rd(RTC_REG_C, at_us(7300000)), 0);
	assert_int_equal(rd(RTC_SEC, at_us(7300000)), 0x14);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_power_on_values),
	    cmocka_unit_test(test_bcd_binary_24h),
	    cmocka_unit_test(test_12h_edges),
	    cmocka_unit_test(test_uip_window),
	    cmocka_unit_test(test_linux_get_time),
	    cmocka_unit_test(test_set_freezes),
	    cmocka_unit_test(test_linux_set_time),
	    cmocka_unit_test(test_hwclock_directisa),
	    cmocka_unit_test(test_write_without_set),
	    cmocka_unit_test(test_rollovers),
	    cmocka_unit_test(test_weekday_counts_from_written),
	    cmocka_unit_test(test_divider_stops_chain),
	    cmocka_unit_test(test_registers_rw),
	    cmocka_unit_test(test_nvram),
	    cmocka_unit_test(test_index_port),
	    cmocka_unit_test(test_reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
