/*
 * Shared fixture for the 8259A tests: a PIC whose INT pin feeds a recorder,
 * port helpers, and the init sequences Linux and SeaBIOS write.
 */
#ifndef TEST_PIC_FIXTURE_H
#define TEST_PIC_FIXTURE_H

#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "devices/pic.h"

struct int_rec {
	bool level;
	unsigned rises; /* low-to-high changes seen */
	unsigned calls;
};

static struct int_rec rec;
static struct pic pic;

static void rec_set(void *ctx, unsigned line, bool level)
{
	struct int_rec *r = ctx;

	assert_int_equal(line, 0);
	assert_true(level != r->level); /* the PIC only reports changes */
	if (level)
		r->rises++;
	r->level = level;
	r->calls++;
}

static void fresh_pic(void)
{
	memset(&rec, 0, sizeof(rec));
	pic_init(&pic, (struct irq_line){.set = rec_set, .ctx = &rec, .line = 0});
}

static void outb(uint16_t port, uint8_t val)
{
	assert_int_equal(pic_write(&pic, port, val), 0);
}

static uint8_t inb(uint16_t port)
{
	uint8_t v = 0x5A;

	assert_int_equal(pic_read(&pic, port, &v), 0);
	return v;
}

/* OCW3 read-register selection as Linux's i8259A_irq_real does it. */
static uint8_t read_isr(uint16_t cmd)
{
	uint8_t v;

	outb(cmd, 0x0B);
	v = inb(cmd);
	outb(cmd, 0x0A);
	return v;
}

static __unused uint8_t read_irr(uint16_t cmd)
{
	outb(cmd, 0x0A);
	return inb(cmd);
}

/* arch/x86/kernel/i8259.c: probe_8259A() then init_8259A(auto_eoi). */
static void linux_init(uint8_t base, bool auto_eoi)
{
	outb(PIC_SLAVE_DATA, 0xFF);
	outb(PIC_MASTER_DATA, 0xFB);
	assert_int_equal(inb(PIC_MASTER_DATA), 0xFB); /* a PIC is present */
	outb(PIC_MASTER_DATA, 0xFF);
	outb(PIC_MASTER_CMD, 0x11);
	outb(PIC_MASTER_DATA, base);
	outb(PIC_MASTER_DATA, 1u << PIC_CASCADE_IR);
	outb(PIC_MASTER_DATA, auto_eoi ? 0x03 : 0x01);
	outb(PIC_SLAVE_CMD, 0x11);
	outb(PIC_SLAVE_DATA, (uint8_t)(base + 8));
	outb(PIC_SLAVE_DATA, PIC_CASCADE_IR);
	outb(PIC_SLAVE_DATA, 0x01);
	outb(PIC_MASTER_DATA, 0xFB); /* cached masks: all but the cascade */
	outb(PIC_SLAVE_DATA, 0xFF);
}

/* The EOI of Linux's mask_and_ack_8259A (the mask half is left out). */
static __unused void linux_eoi(unsigned irq)
{
	if (irq & 8) {
		outb(PIC_SLAVE_CMD, (uint8_t)(0x60 + (irq & 7)));
		outb(PIC_MASTER_CMD, 0x60 + PIC_CASCADE_IR);
	} else {
		outb(PIC_MASTER_CMD, (uint8_t)(0x60 + irq));
	}
}

static __unused void unmask(unsigned irq)
{
	uint16_t port = irq & 8 ? PIC_SLAVE_DATA : PIC_MASTER_DATA;

	outb(port, (uint8_t)(inb(port) & ~(1u << (irq & 7))));
}

/* Master and slave both ready (Linux, vectors 0x20/0x28), everything unmasked. */
static __unused void linux_all_unmasked(void)
{
	fresh_pic();
	linux_init(0x20, false);
	outb(PIC_MASTER_DATA, 0x00);
	outb(PIC_SLAVE_DATA, 0x00);
}

/* Raise and ack: the vector delivered for a line held high. */
static __unused int raise_ack(unsigned irq)
{
	pic_set_irq(&pic, irq, true);
	assert_true(pic_has_interrupt(&pic));
	return pic_intack(&pic);
}

#endif
