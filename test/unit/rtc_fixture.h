/*
 * Shared by test_rtc.c and test_rtc_irq.c: one RTC wired to an IRQ 8 recorder,
 * register access through the real ports, and time points computed independently of
 * the model (host-only 128-bit arithmetic).
 */
#ifndef TEST_RTC_FIXTURE_H
#define TEST_RTC_FIXTURE_H

#include "devices/rtc.h"

/* 2024-03-09 13:05:07 UTC, a Saturday. */
#define EPOCH	     1709989507ULL
#define DAY_START    1709942400ULL /* 2024-03-09 00:00:00 */
#define HZ_1G	     1000000000ULL
#define HZ_ODD	     2893312000ULL
#define HZ_SMALL     1000003ULL
#define REG_B_24_BCD RTC_B_24H

struct irq_rec {
	bool level;
	unsigned rises, falls;
};

static struct rtc rtc;
static struct irq_rec irq;
static uint64_t hz, t0;

static inline void irq_set(void *ctx, unsigned line, bool level)
{
	struct irq_rec *r = ctx;

	assert_int_equal(line, RTC_IRQ);
	assert_true(level != r->level); /* the model reports changes only */
	r->level = level;
	if (level)
		r->rises++;
	else
		r->falls++;
}

static inline void boot(uint64_t tsc_hz, uint64_t epoch, uint64_t now)
{
	irq = (struct irq_rec){0};
	hz = tsc_hz;
	t0 = now;
	rtc_init(&rtc, tsc_hz, epoch, now, (struct irq_line){irq_set, &irq, RTC_IRQ});
}

static inline uint8_t rd(uint8_t idx, uint64_t now)
{
	uint8_t v = 0x5A;

	assert_int_equal(rtc_write(&rtc, RTC_PORT_INDEX, now, idx), 0);
	assert_int_equal(rtc_read(&rtc, RTC_PORT_DATA, now, &v), 0);
	return v;
}

static inline void wr(uint8_t idx, uint8_t val, uint64_t now)
{
	assert_int_equal(rtc_write(&rtc, RTC_PORT_INDEX, now, idx), 0);
	assert_int_equal(rtc_write(&rtc, RTC_PORT_DATA, now, val), 0);
}

/* TSC of t0 + us microseconds, and of 32.768 kHz chain tick k counted from origin. */
static inline uint64_t at_us(uint64_t us)
{
	return t0 + (uint64_t)((unsigned __int128)us * hz / 1000000);
}

static inline uint64_t tick_at(uint64_t origin, uint64_t k)
{
	return origin + (uint64_t)(((unsigned __int128)k * hz + 32767) / 32768);
}

static inline uint8_t bcd(unsigned v)
{
	return (uint8_t)(((v / 10) << 4) | (v % 10));
}

#endif
