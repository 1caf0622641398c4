/*
 * Unit tests for devices/pic.c, part one: reset state, the ICW sequences of
 * Linux and SeaBIOS and their variants, the ELCR, edge and level triggering,
 * spurious IR7/IR15 and unknown ports. Priorities, EOIs, poll and the special
 * modes are in test_pic_modes.c.
 */
#include "pic_fixture.h"

static void test_reset_state(void **state)
{
	fresh_pic();
	assert_int_equal(rec.calls, 0);
	assert_false(pic_has_interrupt(&pic));
	assert_int_equal(inb(PIC_MASTER_DATA), 0xFF);
	assert_int_equal(inb(PIC_SLAVE_DATA), 0xFF);
	assert_int_equal(inb(PIC_MASTER_CMD), 0x00); /* IRR */
	assert_int_equal(read_isr(PIC_MASTER_CMD), 0x00);
	assert_int_equal(inb(PIC_ELCR1), 0x00);
	assert_int_equal(inb(PIC_ELCR2), 0x00);
	/* masked: the request is visible in the IRR but INT stays low */
	pic_set_irq(&pic, 1, true);
	assert_int_equal(inb(PIC_MASTER_CMD), 0x02);
	assert_false(pic_has_interrupt(&pic));
	assert_int_equal(pic_intack(&pic), 0x0F); /* default IR7, nothing in service */
	assert_int_equal(read_isr(PIC_MASTER_CMD), 0x00);
	/* wired as a PC/AT pair at the real-mode BIOS vectors */
	outb(PIC_MASTER_DATA, 0xFD);
	assert_true(rec.level);
	assert_int_equal(pic_intack(&pic), 0x09);
	assert_int_equal(read_isr(PIC_MASTER_CMD), 0x02);
	assert_false(rec.level);
	outb(PIC_MASTER_CMD, 0x20);
	outb(PIC_SLAVE_DATA, 0xFE);
	outb(PIC_MASTER_DATA, 0xF9);
	pic_set_irq(&pic, 8, true);
	assert_true(pic_has_interrupt(&pic));
	assert_int_equal(pic_intack(&pic), 0x70);
}

static void test_linux_init(void **state)
{
	fresh_pic();
	linux_init(0x30, false);
	assert_int_equal(inb(PIC_MASTER_DATA), 0xFB);
	assert_int_equal(inb(PIC_SLAVE_DATA), 0xFF);
	assert_int_equal(read_irr(PIC_MASTER_CMD), 0);
	assert_int_equal(read_isr(PIC_MASTER_CMD), 0);
	assert_int_equal(read_isr(PIC_SLAVE_CMD), 0);
	assert_int_equal(rec.calls, 0);

	unmask(0);
	assert_int_equal(inb(PIC_MASTER_DATA), 0xFA);
	assert_int_equal(raise_ack(0), 0x30);
	assert_int_equal(rec.rises, 1);
	assert_false(rec.level);
	assert_int_equal(read_isr(PIC_MASTER_CMD), 0x01);
	linux_eoi(0);
	assert_int_equal(read_isr(PIC_MASTER_CMD), 0x00);
	assert_false(rec.level); /* the line is still high: no new edge */
	pic_set_irq(&pic, 0, false);
	assert_int_equal(raise_ack(0), 0x30);
	linux_eoi(0);

	unmask(8); /* the RTC */
	assert_int_equal(raise_ack(8), 0x38);
	assert_int_equal(read_isr(PIC_MASTER_CMD), 0x04);
	assert_int_equal(read_isr(PIC_SLAVE_CMD), 0x01);
	assert_false(rec.level);
	linux_eoi(8);
	assert_int_equal(read_isr(PIC_MASTER_CMD), 0x00);
	assert_int_equal(read_isr(PIC_SLAVE_CMD), 0x00);

	/* i8259A_irq_pending reads the IRR, masked or not */
	pic_set_irq(&pic, 5, true);
	pic_set_irq(&pic, 13, true);
	assert_int_equal(inb(PIC_MASTER_CMD) & 0x20, 0x20);
	assert_int_equal(inb(PIC_SLAVE_CMD) & 0x20, 0x20);
	assert_false(rec.level);
	/* legacy_pic->mask_all */
	outb(PIC_MASTER_DATA, 0xFF);
	outb(PIC_SLAVE_DATA, 0xFF);
	assert_int_equal(inb(PIC_MASTER_DATA), 0xFF);
}

static void test_linux_auto_eoi(void **state)
{
	fresh_pic();
	linux_init(0x20, true);
	unmask(0);
	unmask(12);
	assert_int_equal(raise_ack(0), 0x20);
	assert_int_equal(read_isr(PIC_MASTER_CMD), 0x00);
	assert_int_equal(raise_ack(12), 0x2C);
	assert_int_equal(read_isr(PIC_MASTER_CMD), 0x00); /* master AEOI */
	assert_int_equal(read_isr(PIC_SLAVE_CMD), 0x10);  /* the slave was not */
	outb(PIC_SLAVE_CMD, 0x20);
	assert_int_equal(read_isr(PIC_SLAVE_CMD), 0x00);
}

/* SeaBIOS src/hw/pic.c: pic_setup() interleaves the two chips' ICWs. */
static void test_seabios_init(void **state)
{
	fresh_pic();
	outb(PIC_MASTER_CMD, 0x11);
	outb(PIC_SLAVE_CMD, 0x11);
	outb(PIC_MASTER_DATA, 0x08);
	outb(PIC_SLAVE_DATA, 0x70);
	outb(PIC_MASTER_DATA, 0x04);
	outb(PIC_SLAVE_DATA, 0x02);
	outb(PIC_MASTER_DATA, 0x01);
	outb(PIC_SLAVE_DATA, 0x01);
	outb(PIC_MASTER_DATA, 0xFB);
	outb(PIC_SLAVE_DATA, 0xFF);
	assert_int_equal(inb(PIC_MASTER_DATA), 0xFB);
	assert_int_equal(inb(PIC_SLAVE_DATA), 0xFF);

	unmask(0);
	unmask(8);
	assert_int_equal(raise_ack(0), 0x08);
	outb(PIC_MASTER_CMD, 0x20); /* pic_eoi1: non-specific EOI */
	assert_int_equal(read_isr(PIC_MASTER_CMD), 0x00);
	assert_int_equal(raise_ack(8), 0x70);
	outb(PIC_SLAVE_CMD, 0x20); /* pic_eoi2 */
	outb(PIC_MASTER_CMD, 0x20);
	assert_int_equal(read_isr(PIC_SLAVE_CMD), 0x00);
	assert_int_equal(read_isr(PIC_MASTER_CMD), 0x00);
	/* handle_hwpic1 on an unexpected vector: ISR read shows nothing */
	assert_int_equal(read_isr(PIC_MASTER_CMD), 0x00);
}

static void test_icw_without_icw4(void **state)
{
	fresh_pic();
	outb(PIC_MASTER_CMD, 0x10);  /* cascade, edge, no ICW4: AEOI off */
	outb(PIC_MASTER_DATA, 0x47); /* low three bits are the level, ignored */
	outb(PIC_MASTER_DATA, 0x04);
	outb(PIC_MASTER_DATA, 0xEF); /* already OCW1 */
	assert_int_equal(inb(PIC_MASTER_DATA), 0xEF);
	assert_int_equal(raise_ack(4), 0x44);
	assert_int_equal(read_isr(PIC_MASTER_CMD), 0x10);
}

static void test_icw_single(void **state)
{
	fresh_pic();
	linux_init(0x20, false);
	outb(PIC_MASTER_CMD, 0x13); /* single, ICW4: no ICW3 */
	outb(PIC_MASTER_DATA, 0x50);
	outb(PIC_MASTER_DATA, 0x01);
	outb(PIC_MASTER_DATA, 0xFA);
	assert_int_equal(inb(PIC_MASTER_DATA), 0xFA);
	/* IR2 is a plain input now: the master answers for it itself */
	unmask(8);
	unmask(2);
	assert_int_equal(raise_ack(8), 0x52);
	assert_int_equal(read_isr(PIC_MASTER_CMD), 0x04);
	assert_int_equal(read_isr(PIC_SLAVE_CMD), 0x00);

	outb(PIC_MASTER_CMD, 0x12); /* single, no ICW4 */
	outb(PIC_MASTER_DATA, 0x60);
	outb(PIC_MASTER_DATA, 0x7F);
	assert_int_equal(inb(PIC_MASTER_DATA), 0x7F);
}

static void test_icw1_restarts_and_resets(void **state)
{
	linux_all_unmasked();
	outb(PIC_MASTER_DATA, 0x55);
	outb(PIC_MASTER_CMD, 0xC3); /* lowest priority 3 */
	outb(PIC_MASTER_CMD, 0x68); /* special mask mode */
	pic_set_irq(&pic, 3, true);
	outb(PIC_MASTER_DATA, 0x00);
	assert_int_equal(pic_intack(&pic), 0x23);
	outb(PIC_MASTER_CMD, 0x0B); /* reads return the ISR */
	assert_int_equal(inb(PIC_MASTER_CMD), 0x08);

	pic_set_irq(&pic, 4, true); /* held high across ICW1 */
	assert_int_equal(pic_intack(&pic), 0x24);
	outb(PIC_MASTER_CMD, 0x11);
	outb(PIC_MASTER_DATA, 0x20);
	outb(PIC_MASTER_CMD, 0x11); /* a second ICW1 starts over */
	outb(PIC_MASTER_DATA, 0x40);
	outb(PIC_MASTER_DATA, 0x04);
	outb(PIC_MASTER_DATA, 0x01);
	assert_int_equal(inb(PIC_MASTER_DATA), 0x00); /* IMR cleared */
	assert_int_equal(inb(PIC_MASTER_CMD), 0x00);  /* IRR selected; edge sense reset */
	assert_int_equal(read_isr(PIC_MASTER_CMD), 0x00);
	assert_false(rec.level);
	/* IR7 lowest again and the special mask mode is gone */
	pic_set_irq(&pic, 5, true);
	pic_set_irq(&pic, 7, true);
	assert_int_equal(pic_intack(&pic), 0x45);
	pic_set_irq(&pic, 4, false);
	pic_set_irq(&pic, 4, true);
	assert_int_equal(pic_intack(&pic), 0x44);
	assert_false(rec.level); /* 7 waits for both */
	outb(PIC_MASTER_CMD, 0x20);
	outb(PIC_MASTER_CMD, 0x20);
	assert_int_equal(pic_intack(&pic), 0x47);
}

static void test_elcr_masks(void **state)
{
	fresh_pic();
	outb(PIC_ELCR1, 0xFF);
	outb(PIC_ELCR2, 0xFF);
	assert_int_equal(inb(PIC_ELCR1), 0xF8); /* IRQ 0, 1, 2 always edge */
	assert_int_equal(inb(PIC_ELCR2), 0xDE); /* IRQ 8, 13 always edge */
	outb(PIC_ELCR1, 0x20);
	outb(PIC_ELCR2, 0x0C);
	assert_int_equal(inb(PIC_ELCR1), 0x20);
	assert_int_equal(inb(PIC_ELCR2), 0x0C);
	pic_reset(&pic);
	assert_int_equal(inb(PIC_ELCR1), 0x00);
	assert_int_equal(inb(PIC_ELCR2), 0x00);
}

static void test_level_reraise_after_eoi(void **state)
{
	linux_all_unmasked();
	outb(PIC_ELCR2, 0x08); /* IRQ 11 level, as ACPI's SCI */
	assert_int_equal(raise_ack(11), 0x2B);
	assert_false(rec.level);
	assert_int_equal(read_irr(PIC_SLAVE_CMD), 0x08); /* still requesting */
	linux_eoi(11);
	assert_true(rec.level); /* line still high: asks again */
	assert_int_equal(pic_intack(&pic), 0x2B);
	pic_set_irq(&pic, 11, false); /* the handler cleared the source */
	assert_int_equal(read_irr(PIC_SLAVE_CMD), 0x00);
	linux_eoi(11);
	assert_false(rec.level);
	/* a level request that drops before the acknowledge is gone */
	pic_set_irq(&pic, 11, true);
	assert_true(rec.level);
	pic_set_irq(&pic, 11, false);
	assert_false(rec.level);
	assert_int_equal(pic_intack(&pic), 0x27);

	/* the same sequence on an edge input asks once */
	pic_set_irq(&pic, 10, true);
	assert_int_equal(pic_intack(&pic), 0x2A);
	linux_eoi(10);
	assert_false(rec.level);
	assert_int_equal(read_irr(PIC_SLAVE_CMD), 0x00);

	/* master level input; masked level requests wait in the IRR */
	outb(PIC_ELCR1, 0x20);
	outb(PIC_MASTER_DATA, 0x20);
	pic_set_irq(&pic, 5, true);
	assert_false(rec.level);
	outb(PIC_MASTER_DATA, 0x00);
	assert_int_equal(pic_intack(&pic), 0x25);
	linux_eoi(5);
	assert_int_equal(pic_intack(&pic), 0x25);
}

static void test_ltim_all_level(void **state)
{
	fresh_pic();
	outb(PIC_MASTER_CMD, 0x19); /* LTIM: IRQ 0 too, despite the ELCR */
	outb(PIC_MASTER_DATA, 0x20);
	outb(PIC_MASTER_DATA, 0x04);
	outb(PIC_MASTER_DATA, 0x01);
	pic_set_irq(&pic, 0, true);
	assert_int_equal(pic_intack(&pic), 0x20);
	outb(PIC_MASTER_CMD, 0x20);
	assert_true(rec.level);
	assert_int_equal(pic_intack(&pic), 0x20);
}

static void test_edge_semantics(void **state)
{
	linux_all_unmasked();
	/* an edge request whose line falls before the acknowledge is lost */
	pic_set_irq(&pic, 4, true);
	assert_true(rec.level);
	assert_int_equal(read_irr(PIC_MASTER_CMD), 0x10);
	pic_set_irq(&pic, 4, false);
	assert_false(rec.level);
	assert_int_equal(read_irr(PIC_MASTER_CMD), 0x00);
	/* a line held high asks once; low then high asks again */
	assert_int_equal(raise_ack(4), 0x24);
	linux_eoi(4);
	assert_false(rec.level);
	pic_set_irq(&pic, 4, true);
	assert_false(rec.level);
	pic_set_irq(&pic, 4, false);
	assert_int_equal(raise_ack(4), 0x24);
	/* an edge while in service waits for the EOI */
	pic_set_irq(&pic, 4, false);
	pic_set_irq(&pic, 4, true);
	assert_false(rec.level);
	linux_eoi(4);
	assert_true(rec.level);
	assert_int_equal(pic_intack(&pic), 0x24);
	linux_eoi(4);
	/* masked while high, unmasked later: still delivered */
	pic_set_irq(&pic, 6, false);
	outb(PIC_MASTER_DATA, 0x40);
	pic_set_irq(&pic, 6, true);
	assert_false(rec.level);
	outb(PIC_MASTER_DATA, 0x00);
	assert_int_equal(pic_intack(&pic), 0x26);
	/* acknowledged lines held high request nothing more */
	assert_int_equal(read_irr(PIC_MASTER_CMD), 0x00);
	/* IRQ 2 is the cascade: an ISA write to it changes nothing */
	pic_set_irq(&pic, 2, true);
	assert_int_equal(read_irr(PIC_MASTER_CMD), 0x00);
	assert_false(rec.level);
}

static void test_spurious_master(void **state)
{
	linux_all_unmasked();
	pic_set_irq(&pic, 3, true);
	assert_true(rec.level);
	pic_set_irq(&pic, 3, false); /* glitch: gone before the INTA */
	assert_int_equal(pic_intack(&pic), 0x27);
	assert_int_equal(read_isr(PIC_MASTER_CMD), 0x00); /* Linux: "spurious 8259A interrupt" */
	/* a real IRQ 7 has the same vector but its ISR bit set */
	assert_int_equal(raise_ack(7), 0x27);
	assert_int_equal(read_isr(PIC_MASTER_CMD), 0x80);
	/* every request masked after INT rose: also the default IR7 */
	linux_eoi(7);
	pic_set_irq(&pic, 5, true);
	outb(PIC_MASTER_DATA, 0xFF);
	assert_false(rec.level);
	assert_int_equal(pic_intack(&pic), 0x27);
	assert_int_equal(read_isr(PIC_MASTER_CMD), 0x00);
}

/*
 * The slave's default IR7: the master acknowledges a cascade input, no
 * request is left on the slave. In this model the slave's INT feeds IR2
 * synchronously, so the case needs a cascade input without a live slave
 * behind it: ICW3 declaring slaves on IR1 and IR2.
 */
static void test_spurious_slave(void **state)
{
	fresh_pic();
	outb(PIC_MASTER_CMD, 0x11);
	outb(PIC_MASTER_DATA, 0x20);
	outb(PIC_MASTER_DATA, 0x06);
	outb(PIC_MASTER_DATA, 0x01);
	outb(PIC_SLAVE_CMD, 0x11);
	outb(PIC_SLAVE_DATA, 0x28);
	outb(PIC_SLAVE_DATA, 0x02);
	outb(PIC_SLAVE_DATA, 0x01);
	pic_set_irq(&pic, 1, true);
	assert_int_equal(pic_intack(&pic), 0x2F);
	assert_int_equal(read_isr(PIC_MASTER_CMD), 0x02); /* the master's level is in service */
	assert_int_equal(read_isr(PIC_SLAVE_CMD), 0x00);
	assert_false(rec.level);
	outb(PIC_MASTER_CMD, 0x61); /* Linux EOIs the cascade */
	assert_int_equal(read_isr(PIC_MASTER_CMD), 0x00);
	/* and with a real slave request the slave answers */
	pic_set_irq(&pic, 9, true);
	assert_int_equal(pic_intack(&pic), 0x29);
	assert_int_equal(read_isr(PIC_MASTER_CMD), 0x04);
	assert_int_equal(read_isr(PIC_SLAVE_CMD), 0x02);
}

static void test_unknown_ports(void **state)
{
	struct pic before;

	linux_all_unmasked();
	pic_set_irq(&pic, 3, true);
	before = pic;
	assert_int_equal(inb(0x22), 0xFF);
	assert_int_equal(inb(0xA2), 0xFF);
	assert_int_equal(inb(0x4D2), 0xFF);
	outb(0x22, 0x11);
	outb(0x4CF, 0xFF);
	outb(0x1F, 0x00);
	assert_memory_equal(&before, &pic, sizeof(pic));
}

/* A reset keeps the wiring (INT still reaches the recorder) and input levels. */
static void test_reset_keeps_wiring(void **state)
{
	linux_all_unmasked();
	pic_set_irq(&pic, 3, true);
	assert_true(rec.level);
	pic_reset(&pic);
	assert_false(rec.level); /* all masked again */
	assert_int_equal(inb(PIC_MASTER_DATA), 0xFF);
	outb(PIC_MASTER_DATA, 0x00);
	assert_false(rec.level); /* the high line needs a fresh edge */
	pic_set_irq(&pic, 3, false);
	pic_set_irq(&pic, 3, true);
	assert_true(rec.level);
	assert_int_equal(pic_intack(&pic), 0x0B);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reset_state),
	    cmocka_unit_test(test_linux_init),
	    cmocka_unit_test(test_linux_auto_eoi),
	    cmocka_unit_test(test_seabios_init),
	    cmocka_unit_test(test_icw_without_icw4),
	    cmocka_unit_test(test_icw_single),
	    cmocka_unit_test(test_icw1_restarts_and_resets),
	    cmocka_unit_test(test_elcr_masks),
	    cmocka_unit_test(test_level_reraise_after_eoi),
	    cmocka_unit_test(test_ltim_all_level),
	    cmocka_unit_test(test_edge_semantics),
	    cmocka_unit_test(test_spurious_master),
	    cmocka_unit_test(test_spurious_slave),
	    cmocka_unit_test(test_unknown_ports),
	    cmocka_unit_test(test_reset_keeps_wiring),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
