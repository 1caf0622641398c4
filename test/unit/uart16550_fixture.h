/*
 * Shared fixture for the devices/uart16550.c tests: one UART on a bench that records
 * every level its IRQ pin is driven to and every byte it transmits, and a clock.
 */
#ifndef TEST_UNIT_UART16550_FIXTURE_H
#define TEST_UNIT_UART16550_FIXTURE_H

#include <stdarg.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "devices/uart16550.h"

struct bench {
	struct uart u;
	uint64_t now;
	bool level; /* the pin as the far end sees it */
	unsigned rises, falls;
	uint8_t sent[1024]; /* bytes handed to the host */
	unsigned nsent;
};

static struct bench b;

static inline void rec_irq(void *ctx, unsigned line, bool level)
{
	struct bench *t = ctx;

	assert_int_equal(line, UART_COM1_IRQ);
	assert_true(level != t->level); /* the model only reports changes */
	t->level = level;
	if (level)
		t->rises++;
	else
		t->falls++;
}

static inline void rec_tx(void *ctx, uint8_t byte)
{
	struct bench *t = ctx;

	assert_true(t->nsent < sizeof(t->sent));
	t->sent[t->nsent++] = byte;
}

static inline void bench_init(uint64_t tsc_hz)
{
	memset(&b, 0, sizeof(b));
	b.now = 1000;
	uart_init(&b.u, tsc_hz, rec_tx, &b,
		  (struct irq_line){.set = rec_irq, .ctx = &b, .line = UART_COM1_IRQ});
}

static inline int bench_setup(void **state)
{
	bench_init(1000000000);
	return 0;
}

/* rd/wr: inb/outb as a driver does them, at the bench's current time. */
static inline uint8_t rd(uint16_t off)
{
	uint8_t v = 0x5a;

	assert_int_equal(uart_read(&b.u, off, b.now, &v), 0);
	return v;
}

static inline void wr(uint16_t off, uint8_t v)
{
	assert_int_equal(uart_write(&b.u, off, b.now, v), 0);
}

static inline bool host_sends(uint8_t byte)
{
	return uart_receive(&b.u, byte, b.now);
}

static inline void set_divisor(uint16_t dl)
{
	uint8_t lcr = rd(UART_LCR);

	wr(UART_LCR, lcr | UART_LCR_DLAB);
	wr(UART_DLL, (uint8_t)dl);
	wr(UART_DLM, (uint8_t)(dl >> 8));
	wr(UART_LCR, lcr);
}

#endif
