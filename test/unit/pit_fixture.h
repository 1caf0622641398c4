/*
 * Shared fixture for the 8254 tests: a PIT whose irq0 feeds a recorder that
 * notes every rising edge, port helpers, and clock <-> TSC conversions
 * written from the specification (clock = floor(now * 1193182 / tsc_hz)).
 */
#ifndef TEST_PIT_FIXTURE_H
#define TEST_PIT_FIXTURE_H

#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "devices/pit.h"

#define MAX_RISES 64

struct irq0_rec {
	bool level;
	unsigned rises;
	unsigned calls;
	uint64_t rise_at[MAX_RISES]; /* `now` of the call that raised it */
};

static struct irq0_rec rec;
static struct pit pit;
static uint64_t hz;	 /* the fixture's tsc_hz */
static uint64_t cur_now; /* the time of the call in progress */

static void rec_set(void *ctx, unsigned line, bool level)
{
	struct irq0_rec *r = ctx;

	assert_int_equal(line, 0);
	assert_true(level != r->level); /* only changes are reported */
	if (level) {
		if (r->rises < MAX_RISES)
			r->rise_at[r->rises] = cur_now;
		r->rises++;
	}
	r->level = level;
	r->calls++;
}

static void fresh_pit(uint64_t tsc_hz)
{
	memset(&rec, 0, sizeof(rec));
	hz = tsc_hz;
	cur_now = 0;
	pit_init(&pit, tsc_hz, (struct irq_line){.set = rec_set, .ctx = &rec, .line = 0});
}

static __unused uint64_t clk_of(uint64_t now)
{
	return (uint64_t)((unsigned __int128)now * PIT_HZ / hz);
}

/* The first TSC value in PIT clock c. */
static uint64_t at(uint64_t c)
{
	return (uint64_t)(((unsigned __int128)c * hz + PIT_HZ - 1) / PIT_HZ);
}

static void outb(uint16_t port, uint8_t val, uint64_t now)
{
	cur_now = now;
	assert_int_equal(pit_write(&pit, port, now, val), 0);
}

static uint8_t inb(uint16_t port, uint64_t now)
{
	uint8_t v = 0x5A;

	cur_now = now;
	assert_int_equal(pit_read(&pit, port, now, &v), 0);
	return v;
}

static __unused void advance(uint64_t now)
{
	cur_now = now;
	pit_advance(&pit, now);
}

static __unused void program(unsigned ch, uint8_t mode_bits, uint16_t count, uint64_t now)
{
	outb(PIT_PORT_CTRL, (uint8_t)(ch << 6 | 0x30 | mode_bits), now);
	outb((uint16_t)(PIT_PORT_CH0 + ch), (uint8_t)count, now);
	outb((uint16_t)(PIT_PORT_CH0 + ch), (uint8_t)(count >> 8), now);
}

/* Counter latch command, then LSB and MSB. */
static __unused uint16_t latched_count(unsigned ch, uint64_t now)
{
	uint16_t lo, hi;

	outb(PIT_PORT_CTRL, (uint8_t)(ch << 6), now);
	lo = inb((uint16_t)(PIT_PORT_CH0 + ch), now);
	hi = inb((uint16_t)(PIT_PORT_CH0 + ch), now);
	return (uint16_t)(hi << 8 | lo);
}

/* Read-back of one channel's status byte. */
static __unused uint8_t status_of(unsigned ch, uint64_t now)
{
	outb(PIT_PORT_CTRL, (uint8_t)(0xE0 | 2u << ch), now);
	return inb((uint16_t)(PIT_PORT_CH0 + ch), now);
}

static __unused bool out2(uint64_t now)
{
	return (inb(PIT_PORT_61, now) & 0x20) != 0;
}

/* Follow pit_next_event until limit; returns the number of events taken. */
static __unused unsigned run_events(uint64_t limit)
{
	uint64_t prev = 0;
	unsigned n = 0;

	for (uint64_t e = pit_next_event(&pit); e <= limit; e = pit_next_event(&pit)) {
		assert_true(n == 0 || e > prev); /* an event, once advanced to, is consumed */
		advance(e);
		prev = e;
		n++;
	}
	return n;
}

#endif
