/*
 * Unit tests for devices/ioapic.c: register file masks and reset values, every
 * redirection field, edge and level delivery with Remote IRR and EOI, polarity,
 * odd accesses, and the sequences Linux's io_apic.c performs.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "devices/ioapic.h"

struct recorder {
	unsigned n;
	struct apic_msg last;
};

static void record(void *ctx, const struct apic_msg *m)
{
	struct recorder *r = ctx;

	r->n++;
	r->last = *m;
}

static struct ioapic io;
static struct recorder rec;

static int setup(void **state)
{
	rec = (struct recorder){0};
	ioapic_init(&io, 2, record, &rec);
	return 0;
}

static uint32_t rd(uint8_t reg)
{
	uint64_t v = 0;

	assert_int_equal(ioapic_write(&io, IOAPIC_REGSEL, 4, reg), 0);
	assert_int_equal(ioapic_read(&io, IOAPIC_WINDOW, 4, &v), 0);
	assert_true(v <= 0xFFFFFFFFULL);
	return (uint32_t)v;
}

static void wr(uint8_t reg, uint32_t val)
{
	assert_int_equal(ioapic_write(&io, IOAPIC_REGSEL, 4, reg), 0);
	assert_int_equal(ioapic_write(&io, IOAPIC_WINDOW, 4, val), 0);
}

/* Program pin as Linux's ioapic_write_entry does: high dword first, then low. */
static void program(unsigned pin, uint32_t low, uint8_t dest)
{
	wr((uint8_t)(0x11 + 2 * pin), (uint32_t)dest << 24);
	wr((uint8_t)(0x10 + 2 * pin), low);
}

#define LEVEL	 ((uint32_t)IOAPIC_RTE_LEVEL)
#define LOW_ACT	 ((uint32_t)IOAPIC_RTE_LOW_ACT)
#define MASKED	 ((uint32_t)IOAPIC_RTE_MASKED)
#define RIRR	 ((uint32_t)IOAPIC_RTE_RIRR)
#define LOGICAL	 ((uint32_t)IOAPIC_RTE_LOGICAL)
#define DM(mode) ((uint32_t)(mode) << 8)

static void test_reset_values(void **state)
{
	assert_int_equal(rd(IOAPIC_REG_ID), 2U << 24);
	assert_int_equal(rd(IOAPIC_REG_VER), 0x00170011);
	assert_int_equal(rd(IOAPIC_REG_ARB), 2U << 24);
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++) {
		assert_int_equal(rd((uint8_t)(0x10 + 2 * pin)), 0x00010000);
		assert_int_equal(rd((uint8_t)(0x11 + 2 * pin)), 0);
	}
	/* IOREGSEL reads back the last index written. */
	uint64_t v;
	ioapic_write(&io, IOAPIC_REGSEL, 4, 0x3F);
	ioapic_read(&io, IOAPIC_REGSEL, 4, &v);
	assert_int_equal(v, 0x3F);
	ioapic_write(&io, IOAPIC_REGSEL, 4, 0xFFFFFF12);
	ioapic_read(&io, IOAPIC_REGSEL, 4, &v);
	assert_int_equal(v, 0x12);
}

static void test_id_arb_ver_masks(void **state)
{
	wr(IOAPIC_REG_ID, 0xFFFFFFFF);
	assert_int_equal(rd(IOAPIC_REG_ID), 0x0F000000);
	assert_int_equal(rd(IOAPIC_REG_ARB), 0x0F000000); /* loaded from the ID */
	wr(IOAPIC_REG_ID, 0x05000000);
	assert_int_equal(rd(IOAPIC_REG_ID), 0x05000000);
	wr(IOAPIC_REG_VER, 0);
	wr(IOAPIC_REG_ARB, 0x0A000000);
	assert_int_equal(rd(IOAPIC_REG_VER), 0x00170011);
	assert_int_equal(rd(IOAPIC_REG_ARB), 0x05000000);
	/* Reset brings the init ID back, not the one software wrote. */
	ioapic_reset(&io);
	assert_int_equal(rd(IOAPIC_REG_ID), 0x02000000);
	assert_int_equal(rd(IOAPIC_REG_ARB), 0x02000000);
}

static void test_redir_fields(void **state)
{
	/* Every writable bit sticks; Delivery Status, Remote IRR and reserved bits read 0. */
	wr(0x10 + 2 * 5, 0xFFFFFFFF);
	assert_int_equal(rd(0x10 + 2 * 5), 0x0001AFFF);
	wr(0x11 + 2 * 5, 0xFFFFFFFF);
	assert_int_equal(rd(0x11 + 2 * 5), 0xFF000000);
	/* Field by field. */
	static const uint32_t fields[] = {
	    0x000000A5, DM(APIC_DM_LOWEST), DM(APIC_DM_EXTINT), LOGICAL, LOW_ACT, LEVEL, MASKED};
	for (unsigned i = 0; i < ARRAY_SIZE(fields); i++) {
		wr(0x10 + 2 * 7, fields[i]);
		assert_int_equal(rd(0x10 + 2 * 7), fields[i]);
	}
	wr(0x11 + 2 * 7, 0x5A000000);
	assert_int_equal(rd(0x11 + 2 * 7), 0x5A000000);
	/* The halves are independent. */
	assert_int_equal(rd(0x10 + 2 * 7), MASKED);
	/* Other pins untouched. */
	assert_int_equal(rd(0x10 + 2 * 6), MASKED);
	assert_int_equal(rd(0x11 + 2 * 8), 0);
	ioapic_reset(&io);
	assert_int_equal(rd(0x10 + 2 * 5), MASKED);
	assert_int_equal(rd(0x11 + 2 * 5), 0);
}

static void test_message_fields(void **state)
{
	program(3, 0x41 | DM(APIC_DM_LOWEST) | LOGICAL, 0x0F);
	ioapic_set_irq(&io, 3, true);
	assert_int_equal(rec.n, 1);
	assert_int_equal(rec.last.vector, 0x41);
	assert_int_equal(rec.last.delivery, APIC_DM_LOWEST);
	assert_true(rec.last.logical);
	assert_false(rec.last.level);
	assert_int_equal(rec.last.dest, 0x0F);

	program(4, 0x52 | LEVEL, 0xC3);
	ioapic_set_irq(&io, 4, true);
	assert_int_equal(rec.n, 2);
	assert_int_equal(rec.last.vector, 0x52);
	assert_int_equal(rec.last.delivery, APIC_DM_FIXED);
	assert_false(rec.last.logical);
	assert_true(rec.last.level);
	assert_int_equal(rec.last.dest, 0xC3);
}

static void test_edge_once_per_edge(void **state)
{
	program(1, 0x31, 0);
	ioapic_set_irq(&io, 1, true);
	assert_int_equal(rec.n, 1);
	ioapic_set_irq(&io, 1, true); /* still high: no new edge */
	assert_int_equal(rec.n, 1);
	ioapic_set_irq(&io, 1, false);
	assert_int_equal(rec.n, 1);
	ioapic_set_irq(&io, 1, true);
	assert_int_equal(rec.n, 2);
	/* Edge entries never set Remote IRR, and an EOI does nothing to them. */
	assert_int_equal(rd(0x12) & RIRR, 0);
	ioapic_eoi(&io, 0x31);
	assert_int_equal(rec.n, 2);
}

static void test_masked_edge_lost(void **state)
{
	program(2, 0x32 | MASKED, 0);
	ioapic_set_irq(&io, 2, true);
	ioapic_set_irq(&io, 2, false);
	assert_int_equal(rec.n, 0);
	program(2, 0x32, 0); /* unmask: the edge is gone, not pending */
	assert_int_equal(rec.n, 0);
	/* Unmasking an edge pin held high sends nothing either: no transition. */
	program(2, 0x32 | MASKED, 0);
	ioapic_set_irq(&io, 2, true);
	program(2, 0x32, 0);
	assert_int_equal(rec.n, 0);
	ioapic_set_irq(&io, 2, false);
	ioapic_set_irq(&io, 2, true);
	assert_int_equal(rec.n, 1);
}

static void test_level_remote_irr(void **state)
{
	program(9, 0x59 | LEVEL, 0);
	ioapic_set_irq(&io, 9, true);
	assert_int_equal(rec.n, 1);
	assert_int_equal(rd(0x10 + 2 * 9), 0x59 | LEVEL | RIRR);
	/* Remote IRR holds further messages while the line stays or goes high again. */
	ioapic_set_irq(&io, 9, true);
	ioapic_set_irq(&io, 9, false);
	ioapic_set_irq(&io, 9, true);
	assert_int_equal(rec.n, 1);
	/* Remote IRR is read-only: writing the entry (level, bit 14 clear) keeps it. */
	wr(0x10 + 2 * 9, 0x59 | LEVEL);
	assert_int_equal(rd(0x10 + 2 * 9), 0x59 | LEVEL | RIRR);
	assert_int_equal(rec.n, 1);
	/* EOI while low: Remote IRR clears, nothing sent. */
	ioapic_set_irq(&io, 9, false);
	ioapic_eoi(&io, 0x59);
	assert_int_equal(rd(0x10 + 2 * 9), 0x59 | LEVEL);
	assert_int_equal(rec.n, 1);
	ioapic_set_irq(&io, 9, true);
	assert_int_equal(rec.n, 2);
}

static void test_eoi_redelivers_while_high(void **state)
{
	program(10, 0x60 | LEVEL, 1);
	ioapic_set_irq(&io, 10, true);
	assert_int_equal(rec.n, 1);
	ioapic_eoi(&io, 0x60);
	assert_int_equal(rec.n, 2);
	assert_true(rec.last.level);
	assert_int_equal(rd(0x10 + 2 * 10) & RIRR, RIRR);
	ioapic_eoi(&io, 0x60);
	assert_int_equal(rec.n, 3);
	/* Two pins sharing a vector: one EOI serves both. */
	program(11, 0x60 | LEVEL, 1);
	ioapic_set_irq(&io, 11, true);
	assert_int_equal(rec.n, 4);
	ioapic_set_irq(&io, 10, false);
	ioapic_eoi(&io, 0x60);
	assert_int_equal(rec.n, 5); /* pin 11 again, pin 10 is low */
	assert_int_equal(rd(0x10 + 2 * 10) & RIRR, 0);
	assert_int_equal(rd(0x10 + 2 * 11) & RIRR, RIRR);
}

static void test_eoi_other_vector(void **state)
{
	program(12, 0x70 | LEVEL, 0);
	ioapic_set_irq(&io, 12, true);
	ioapic_eoi(&io, 0x71);
	ioapic_eoi(&io, 0x00);
	assert_int_equal(rec.n, 1);
	assert_int_equal(rd(0x10 + 2 * 12) & RIRR, RIRR);
}

static void test_polarity(void **state)
{
	/* Active low, level: the line is asserted while low. */
	program(16, 0x80 | LEVEL | LOW_ACT, 0);
	assert_int_equal(rec.n, 1); /* pin is low since reset, so asserted on unmask */
	ioapic_set_irq(&io, 16, true);
	ioapic_eoi(&io, 0x80);
	assert_int_equal(rec.n, 1); /* high = deasserted: EOI does not resend */
	ioapic_set_irq(&io, 16, false);
	assert_int_equal(rec.n, 2);

	/* Active low, edge: the falling edge is the asserting one. */
	ioapic_set_irq(&io, 17, true);
	program(17, 0x81 | LOW_ACT, 0);
	assert_int_equal(rec.n, 2);
	ioapic_set_irq(&io, 17, false);
	assert_int_equal(rec.n, 3);
	assert_int_equal(rec.last.vector, 0x81);
	ioapic_set_irq(&io, 17, true);
	assert_int_equal(rec.n, 3);
}

static void test_unmask_while_asserted(void **state)
{
	program(13, 0x90 | LEVEL | MASKED, 0);
	ioapic_set_irq(&io, 13, true);
	assert_int_equal(rec.n, 0);
	assert_int_equal(rd(0x10 + 2 * 13) & RIRR, 0);
	program(13, 0x90 | LEVEL, 0);
	assert_int_equal(rec.n, 1);
	/* Masked while Remote IRR is set: the EOI clears it, the unmask sends. */
	wr(0x10 + 2 * 13, 0x90 | LEVEL | MASKED);
	ioapic_eoi(&io, 0x90);
	assert_int_equal(rec.n, 1);
	assert_int_equal(rd(0x10 + 2 * 13) & RIRR, 0);
	wr(0x10 + 2 * 13, 0x90 | LEVEL);
	assert_int_equal(rec.n, 2);
	/* Asserted then dropped while masked: nothing on unmask. */
	ioapic_eoi(&io, 0x90);
	assert_int_equal(rec.n, 3);
	wr(0x10 + 2 * 13, 0x90 | LEVEL | MASKED);
	ioapic_eoi(&io, 0x90);
	ioapic_set_irq(&io, 13, false);
	wr(0x10 + 2 * 13, 0x90 | LEVEL);
	assert_int_equal(rec.n, 3);
}

static void test_edge_write_clears_rirr(void **state)
{
	/* Linux's __eoi_ioapic_pin without an EOI register: mask + edge, then level back. */
	program(14, 0xA0 | LEVEL, 0);
	ioapic_set_irq(&io, 14, true);
	ioapic_set_irq(&io, 14, false);
	assert_int_equal(rd(0x10 + 2 * 14) & RIRR, RIRR);
	wr(0x10 + 2 * 14, 0xA0 | MASKED);
	assert_int_equal(rd(0x10 + 2 * 14), 0xA0 | MASKED);
	wr(0x10 + 2 * 14, 0xA0 | LEVEL);
	assert_int_equal(rd(0x10 + 2 * 14), 0xA0 | LEVEL);
	assert_int_equal(rec.n, 1);
}

static void test_nmi_extint_are_edge(void **state)
{
	/* NMI programmed level: delivered as an edge, Remote IRR never set. */
	program(15, DM(APIC_DM_NMI) | LEVEL, 0);
	ioapic_set_irq(&io, 15, true);
	assert_int_equal(rec.n, 1);
	assert_int_equal(rec.last.delivery, APIC_DM_NMI);
	assert_false(rec.last.level);
	assert_int_equal(rd(0x10 + 2 * 15) & RIRR, 0);
	ioapic_set_irq(&io, 15, true);
	assert_int_equal(rec.n, 1);
	/* ExtINT on pin 0, as in virtual-wire mode. */
	program(0, DM(APIC_DM_EXTINT), 0);
	ioapic_set_irq(&io, 0, true);
	assert_int_equal(rec.n, 2);
	assert_int_equal(rec.last.delivery, APIC_DM_EXTINT);
}

static void test_out_of_range(void **state)
{
	uint64_t v;

	/* Indices with no register read all ones and drop writes. */
	static const uint8_t bad[] = {0x03, 0x0F, 0x40, 0x41, 0x80, 0xFF};
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		wr(bad[i], 0);
		assert_int_equal(rd(bad[i]), 0xFFFFFFFF);
	}
	assert_int_equal(rd(0x3F), 0); /* the last valid index: pin 23 high */
	assert_int_equal(rd(0x3E), MASKED);
	/* Pins past 23 are ignored. */
	ioapic_set_irq(&io, 24, true);
	ioapic_set_irq(&io, 1000, true);
	assert_int_equal(rec.n, 0);
	assert_int_equal(io.level, 0);
	/* No EOI register at 0x40 (version 0x11); other offsets are unbacked. */
	program(5, 0xB0 | LEVEL, 0);
	ioapic_set_irq(&io, 5, true);
	ioapic_write(&io, 0x40, 4, 0xB0);
	assert_int_equal(rd(0x10 + 2 * 5) & RIRR, RIRR);
	ioapic_read(&io, 0x40, 4, &v);
	assert_int_equal(v, 0xFFFFFFFF);
	ioapic_read(&io, 0x04, 4, &v);
	assert_int_equal(v, 0xFFFFFFFF);
	ioapic_read(&io, 0x20, 4, &v);
	assert_int_equal(v, 0xFFFFFFFF);
}

static void test_widths(void **state)
{
	uint64_t v;

	wr(IOAPIC_REG_VER, 0);
	ioapic_read(&io, IOAPIC_WINDOW, 1, &v);
	assert_int_equal(v, 0xFF);
	ioapic_read(&io, IOAPIC_WINDOW, 2, &v);
	assert_int_equal(v, 0xFFFF);
	ioapic_read(&io, IOAPIC_WINDOW, 8, &v);
	assert_true(v == ~0ULL);
	ioapic_read(&io, IOAPIC_REGSEL, 1, &v);
	assert_int_equal(v, 0xFF);
	/* Narrow or wide writes are dropped: IOREGSEL and the window keep their values. */
	ioapic_write(&io, IOAPIC_REGSEL, 1, 0x10);
	ioapic_write(&io, IOAPIC_REGSEL, 2, 0x10);
	ioapic_write(&io, IOAPIC_REGSEL, 8, 0x10);
	ioapic_read(&io, IOAPIC_WINDOW, 4, &v);
	assert_int_equal(v, 0x00170011);
	ioapic_write(&io, IOAPIC_REGSEL, 4, 0x10);
	ioapic_write(&io, IOAPIC_WINDOW, 2, 0x0021);
	ioapic_write(&io, IOAPIC_WINDOW, 8, 0x0021);
	assert_int_equal(rd(0x10), MASKED);
}

/* Linux's setup: clear_IO_APIC masks every entry, then setup_IO_APIC_irqs programs
 * ISA pins edge/high and PCI pins level/low, high dword first, reading back to flush. */
static void test_linux_sequence(void **state)
{
	uint32_t ver = rd(IOAPIC_REG_VER);
	unsigned pins = ((ver >> 16) & 0xFF) + 1;

	assert_int_equal(pins, 24);
	for (unsigned pin = 0; pin < pins; pin++) {
		wr((uint8_t)(0x10 + 2 * pin), MASKED); /* ioapic_mask_entry: low, then high */
		wr((uint8_t)(0x11 + 2 * pin), 0);
	}
	/* ISA IRQ 4 (COM1) on pin 4: edge, active high, fixed, physical dest 1. */
	program(4, 0x24, 1);
	(void)rd(0x10 + 2 * 4);
	/* PCI INTA on pin 19: level, active low, masked until request_irq. */
	program(19, 0x39 | LEVEL | LOW_ACT | MASKED, 0);
	ioapic_set_irq(&io, 19, true); /* idle: high is deasserted */
	wr(0x10 + 2 * 19, 0x39 | LEVEL | LOW_ACT);
	(void)rd(0x10 + 2 * 19);
	assert_int_equal(rec.n, 0);

	ioapic_set_irq(&io, 4, true);
	ioapic_set_irq(&io, 4, false);
	assert_int_equal(rec.n, 1);
	assert_int_equal(rec.last.vector, 0x24);
	assert_int_equal(rec.last.dest, 1);

	ioapic_set_irq(&io, 19, false); /* device pulls INTA# low */
	assert_int_equal(rec.n, 2);
	assert_int_equal(rec.last.vector, 0x39);
	assert_true(rec.last.level);
	ioapic_eoi(&io, 0x39); /* handler has not quieted the device yet */
	assert_int_equal(rec.n, 3);
	ioapic_set_irq(&io, 19, true); /* device quiet */
	ioapic_eoi(&io, 0x39);
	assert_int_equal(rec.n, 3);
	assert_int_equal(rd(0x10 + 2 * 19), 0x39 | LEVEL | LOW_ACT);
}

static void test_no_deliver_callback(void **state)
{
	ioapic_init(&io, 0, NULL, NULL);
	program(1, 0x30 | LEVEL, 0);
	ioapic_set_irq(&io, 1, true); /* must not crash; Remote IRR still tracks */
	assert_int_equal(rd(0x12) & RIRR, RIRR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_reset_values, setup),
	    cmocka_unit_test_setup(test_id_arb_ver_masks, setup),
	    cmocka_unit_test_setup(test_redir_fields, setup),
	    cmocka_unit_test_setup(test_message_fields, setup),
	    cmocka_unit_test_setup(test_edge_once_per_edge, setup),
	    cmocka_unit_test_setup(test_masked_edge_lost, setup),
	    cmocka_unit_test_setup(test_level_remote_irr, setup),
	    cmocka_unit_test_setup(test_eoi_redelivers_while_high, setup),
	    cmocka_unit_test_setup(test_eoi_other_vector, setup),
	    cmocka_unit_test_setup(test_polarity, setup),
	    cmocka_unit_test_setup(test_unmask_while_asserted, setup),
	    cmocka_unit_test_setup(test_edge_write_clears_rirr, setup),
	    cmocka_unit_test_setup(test_nmi_extint_are_edge, setup),
	    cmocka_unit_test_setup(test_out_of_range, setup),
	    cmocka_unit_test_setup(test_widths, setup),
	    cmocka_unit_test_setup(test_linux_sequence, setup),
	    cmocka_unit_test_setup(test_no_deliver_callback, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
