/*
 * Unit tests for devices/pic.c, part two: priority resolution and nesting,
 * the cascade's place in the master's order, every OCW2 form (EOIs,
 * rotations, set priority), automatic EOI with rotation, the poll command,
 * special mask mode and special fully nested mode.
 */
#include "pic_fixture.h"

/* Pulse a line low then high: a fresh edge request. */
static void edge(unsigned irq)
{
	pic_set_irq(&pic, irq, false);
	pic_set_irq(&pic, irq, true);
}

static void test_fixed_priority(void **state)
{
	linux_all_unmasked();
	pic_set_irq(&pic, 5, true);
	pic_set_irq(&pic, 3, true);
	assert_int_equal(pic_intack(&pic), 0x23);
	assert_false(rec.level); /* 5 is below 3 in service */
	outb(PIC_MASTER_CMD, 0x20);
	assert_true(rec.level);
	assert_int_equal(pic_intack(&pic), 0x25);
	assert_int_equal(read_isr(PIC_MASTER_CMD), 0x20);
}

static void test_nesting(void **state)
{
	linux_all_unmasked();
	assert_int_equal(raise_ack(5), 0x25);
	assert_int_equal(raise_ack(3), 0x23); /* higher: nests */
	assert_int_equal(read_isr(PIC_MASTER_CMD), 0x28);
	pic_set_irq(&pic, 6, true);
	pic_set_irq(&pic, 5, false);
	pic_set_irq(&pic, 5, true); /* 5 again while in service */
	assert_false(rec.level);
	outb(PIC_MASTER_CMD, 0x20); /* non-specific: the highest in service, 3 */
	assert_int_equal(read_isr(PIC_MASTER_CMD), 0x20);
	assert_false(rec.level);
	outb(PIC_MASTER_CMD, 0x20);
	assert_int_equal(read_isr(PIC_MASTER_CMD), 0x00);
	assert_int_equal(pic_intack(&pic), 0x25);
	outb(PIC_MASTER_CMD, 0x20);
	assert_int_equal(pic_intack(&pic), 0x26);
	/* a masked level in service still holds lower ones off */
	outb(PIC_MASTER_DATA, 0x40);
	pic_set_irq(&pic, 7, true);
	assert_false(rec.level);
	outb(PIC_MASTER_CMD, 0x20);
	assert_int_equal(pic_intack(&pic), 0x27);
}

/* Slave requests rank at IR2 in the master's order. */
static void test_cascade_priority(void **state)
{
	linux_all_unmasked();
	pic_set_irq(&pic, 3, true);
	pic_set_irq(&pic, 9, true);
	pic_set_irq(&pic, 1, true);
	assert_int_equal(pic_intack(&pic), 0x21);
	outb(PIC_MASTER_CMD, 0x20);
	assert_int_equal(pic_intack(&pic), 0x29);
	assert_false(rec.level); /* 3 is below IR2 in service */
	linux_eoi(9);
	assert_int_equal(pic_intack(&pic), 0x23);
	/* within the slave, 8 outranks 15 */
	pic_set_irq(&pic, 15, true);
	pic_set_irq(&pic, 8, true);
	outb(PIC_MASTER_CMD, 0x20);
	assert_int_equal(pic_intack(&pic), 0x28);
	linux_eoi(8);
	assert_int_equal(pic_intack(&pic), 0x2F);
	assert_int_equal(read_isr(PIC_SLAVE_CMD), 0x80); /* a real IRQ 15 */
}

static void test_specific_eoi(void **state)
{
	linux_all_unmasked();
	assert_int_equal(raise_ack(5), 0x25);
	assert_int_equal(raise_ack(3), 0x23);
	outb(PIC_MASTER_CMD, 0x65); /* specific EOI on the lower one */
	assert_int_equal(read_isr(PIC_MASTER_CMD), 0x08);
	outb(PIC_MASTER_CMD, 0x61); /* not in service: no effect */
	assert_int_equal(read_isr(PIC_MASTER_CMD), 0x08);
	outb(PIC_MASTER_CMD, 0x40); /* OCW2 no-op */
	assert_int_equal(read_isr(PIC_MASTER_CMD), 0x08);
	outb(PIC_MASTER_CMD, 0x63);
	assert_int_equal(read_isr(PIC_MASTER_CMD), 0x00);
	outb(PIC_MASTER_CMD, 0x20); /* nothing in service: harmless */
	assert_int_equal(read_isr(PIC_MASTER_CMD), 0x00);
}

static void test_set_priority(void **state)
{
	linux_all_unmasked();
	outb(PIC_MASTER_CMD, 0xC4); /* 4 lowest: order 5 6 7 0 1 2 3 4 */
	pic_set_irq(&pic, 4, true);
	pic_set_irq(&pic, 3, true);
	pic_set_irq(&pic, 5, true);
	assert_int_equal(pic_intack(&pic), 0x25);
	assert_false(rec.level);
	outb(PIC_MASTER_CMD, 0x20);
	assert_int_equal(pic_intack(&pic), 0x23);
	assert_false(rec.level);	      /* 4 now the lowest */
	assert_int_equal(raise_ack(0), 0x20); /* 0 above 3 */
	/* non-specific EOI clears by rotated priority: 0 before 3 */
	outb(PIC_MASTER_CMD, 0x20);
	assert_int_equal(read_isr(PIC_MASTER_CMD), 0x08);
	outb(PIC_MASTER_CMD, 0x20);
	assert_int_equal(pic_intack(&pic), 0x24);
}

static void test_rotate_on_nonspecific_eoi(void **state)
{
	linux_all_unmasked();
	pic_set_irq(&pic, 1, true);
	pic_set_irq(&pic, 6, true);
	assert_int_equal(pic_intack(&pic), 0x21);
	outb(PIC_MASTER_CMD, 0xA0); /* 1 becomes the lowest */
	edge(1);
	pic_set_irq(&pic, 0, true);
	assert_int_equal(pic_intack(&pic), 0x26); /* order 2 3 .. 7 0 1 */
	outb(PIC_MASTER_CMD, 0xA0);		  /* now 6 is lowest: 7 0 1 .. 6 */
	assert_int_equal(pic_intack(&pic), 0x20);
	outb(PIC_MASTER_CMD, 0xA0); /* 0 lowest */
	assert_int_equal(pic_intack(&pic), 0x21);
	outb(PIC_MASTER_CMD, 0xA0);
	assert_int_equal(read_isr(PIC_MASTER_CMD), 0x00);
	/* with nothing in service the rotation does nothing */
	outb(PIC_MASTER_CMD, 0xA0);
	pic_set_irq(&pic, 3, true);
	edge(0);
	assert_int_equal(pic_intack(&pic), 0x23); /* 1 still lowest: 3 before 0 */
}

static void test_rotate_on_specific_eoi(void **state)
{
	linux_all_unmasked();
	assert_int_equal(raise_ack(3), 0x23);
	outb(PIC_MASTER_CMD, 0xE3); /* EOI 3 and make it the lowest */
	assert_int_equal(read_isr(PIC_MASTER_CMD), 0x00);
	pic_set_irq(&pic, 2, true);
	pic_set_irq(&pic, 4, true);
	pic_set_irq(&pic, 1, true);
	assert_int_equal(pic_intack(&pic), 0x24); /* order 4 5 6 7 0 1 2 3 */
	outb(PIC_MASTER_CMD, 0x20);
	assert_int_equal(pic_intack(&pic), 0x21);
}

static void test_rotate_in_aeoi(void **state)
{
	fresh_pic();
	linux_init(0x20, true);
	outb(PIC_MASTER_DATA, 0x00);
	outb(PIC_MASTER_CMD, 0x80); /* rotate in automatic EOI mode: set */
	pic_set_irq(&pic, 1, true);
	pic_set_irq(&pic, 3, true);
	assert_int_equal(pic_intack(&pic), 0x21);
	assert_int_equal(read_isr(PIC_MASTER_CMD), 0x00);
	edge(1); /* 1 is lowest now */
	assert_int_equal(pic_intack(&pic), 0x23);
	edge(3); /* 3 lowest: 1 wins */
	assert_int_equal(pic_intack(&pic), 0x21);
	outb(PIC_MASTER_CMD, 0x00); /* clear: 1 stays the lowest */
	edge(1);
	pic_set_irq(&pic, 0, true);
	assert_int_equal(pic_intack(&pic), 0x23); /* order 2 3 .. 0 1 */
	edge(3);
	assert_int_equal(pic_intack(&pic), 0x23); /* no rotation any more */
	assert_int_equal(pic_intack(&pic), 0x20);
	assert_int_equal(pic_intack(&pic), 0x21);
	assert_int_equal(read_isr(PIC_MASTER_CMD), 0x00);
}

static void test_poll(void **state)
{
	linux_all_unmasked();
	outb(PIC_MASTER_CMD, 0x0C);
	assert_int_equal(inb(PIC_MASTER_CMD), 0x00); /* no request */
	pic_set_irq(&pic, 6, true);
	pic_set_irq(&pic, 4, true);
	assert_int_equal(inb(PIC_MASTER_CMD), 0x50); /* poll was one-shot: IRR */
	outb(PIC_MASTER_CMD, 0x0C);
	assert_int_equal(inb(PIC_MASTER_CMD), 0x84);
	assert_int_equal(read_isr(PIC_MASTER_CMD), 0x10);
	assert_false(rec.level);
	outb(PIC_MASTER_CMD, 0x20);
	outb(PIC_MASTER_CMD, 0x0C);
	assert_int_equal(inb(PIC_MASTER_DATA), 0x86); /* either port answers */
	assert_int_equal(inb(PIC_MASTER_DATA), 0x00); /* and then the IMR again */
	outb(PIC_MASTER_CMD, 0x20);
	/* through the cascade: master says IR2, the slave says which */
	pic_set_irq(&pic, 13, true);
	outb(PIC_MASTER_CMD, 0x0C);
	assert_int_equal(inb(PIC_MASTER_CMD), 0x82);
	outb(PIC_SLAVE_CMD, 0x0C);
	assert_int_equal(inb(PIC_SLAVE_CMD), 0x85);
	assert_int_equal(read_isr(PIC_MASTER_CMD), 0x04);
	assert_int_equal(read_isr(PIC_SLAVE_CMD), 0x20);
	assert_false(rec.level);
	linux_eoi(13);
	/* the poll keeps the register selection; poll has no automatic EOI */
	outb(PIC_MASTER_CMD, 0x0B);
	edge(6);
	outb(PIC_MASTER_CMD, 0x0C);
	assert_int_equal(inb(PIC_MASTER_CMD), 0x86);
	assert_int_equal(inb(PIC_MASTER_CMD), 0x40); /* ISR */
}

static void test_poll_aeoi_sets_isr(void **state)
{
	fresh_pic();
	linux_init(0x20, true);
	outb(PIC_MASTER_DATA, 0x00);
	pic_set_irq(&pic, 5, true);
	outb(PIC_MASTER_CMD, 0x0C);
	assert_int_equal(inb(PIC_MASTER_CMD), 0x85);
	assert_int_equal(read_isr(PIC_MASTER_CMD), 0x20);
}

static void test_special_mask_mode(void **state)
{
	linux_all_unmasked();
	assert_int_equal(raise_ack(3), 0x23);
	pic_set_irq(&pic, 5, true);
	outb(PIC_MASTER_DATA, 0x08); /* mask the level in service */
	assert_false(rec.level);     /* normal mode: 3 in service blocks 5 */
	outb(PIC_MASTER_CMD, 0x68);  /* enter special mask mode */
	assert_true(rec.level);
	assert_int_equal(pic_intack(&pic), 0x25);
	assert_int_equal(read_isr(PIC_MASTER_CMD), 0x28);
	/* every level not itself in service may interrupt, higher or lower */
	pic_set_irq(&pic, 7, true);
	assert_int_equal(pic_intack(&pic), 0x27);
	edge(5); /* in service: its own ISR bit holds it */
	assert_false(rec.level);
	outb(PIC_MASTER_CMD, 0x08); /* OCW3 without ESMM: SMM bit ignored, stays */
	pic_set_irq(&pic, 6, true);
	assert_int_equal(pic_intack(&pic), 0x26);
	outb(PIC_MASTER_CMD, 0x48); /* leave special mask mode */
	outb(PIC_MASTER_CMD, 0x65);
	edge(7);
	assert_false(rec.level); /* 3 still in service, masked or not */
	outb(PIC_MASTER_CMD, 0x63);
	outb(PIC_MASTER_CMD, 0x66);
	outb(PIC_MASTER_CMD, 0x67);
	assert_int_equal(pic_intack(&pic), 0x25);
}

static void test_special_fully_nested(void **state)
{
	/* Linux's sequence with SFNM in the master's ICW4 */
	fresh_pic();
	outb(PIC_MASTER_CMD, 0x11);
	outb(PIC_MASTER_DATA, 0x20);
	outb(PIC_MASTER_DATA, 0x04);
	outb(PIC_MASTER_DATA, 0x11);
	outb(PIC_SLAVE_CMD, 0x11);
	outb(PIC_SLAVE_DATA, 0x28);
	outb(PIC_SLAVE_DATA, 0x02);
	outb(PIC_SLAVE_DATA, 0x01);
	assert_int_equal(raise_ack(10), 0x2A);
	assert_int_equal(raise_ack(8), 0x28); /* higher slave level passes IR2 in service */
	assert_int_equal(read_isr(PIC_SLAVE_CMD), 0x05);
	pic_set_irq(&pic, 11, true);
	assert_false(rec.level); /* lower than the slave's own service */
	pic_set_irq(&pic, 3, true);
	assert_false(rec.level); /* lower than IR2 on the master */
	/* the software checks the slave's ISR before the master's EOI */
	outb(PIC_SLAVE_CMD, 0x20);
	assert_int_equal(read_isr(PIC_SLAVE_CMD), 0x04);
	outb(PIC_SLAVE_CMD, 0x20);
	assert_int_equal(pic_intack(&pic), 0x2B); /* 11 now, IR2 still in service */
	outb(PIC_SLAVE_CMD, 0x20);
	outb(PIC_MASTER_CMD, 0x20);
	assert_int_equal(pic_intack(&pic), 0x23);
}

static void test_fully_nested_blocks_slave(void **state)
{
	linux_all_unmasked();
	assert_int_equal(raise_ack(10), 0x2A);
	pic_set_irq(&pic, 8, true);
	assert_false(rec.level); /* master IR2 is in service */
	outb(PIC_SLAVE_CMD, 0x62);
	assert_false(rec.level);
	outb(PIC_MASTER_CMD, 0x62);
	assert_true(rec.level);
	assert_int_equal(pic_intack(&pic), 0x28);
}

static void test_slave_rotation(void **state)
{
	linux_all_unmasked();
	outb(PIC_SLAVE_CMD, 0xC2); /* slave: IRQ 10 lowest, 11 highest */
	pic_set_irq(&pic, 9, true);
	pic_set_irq(&pic, 11, true);
	assert_int_equal(pic_intack(&pic), 0x2B);
	linux_eoi(11);
	assert_int_equal(pic_intack(&pic), 0x29);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fixed_priority),
	    cmocka_unit_test(test_nesting),
	    cmocka_unit_test(test_cascade_priority),
	    cmocka_unit_test(test_specific_eoi),
	    cmocka_unit_test(test_set_priority),
	    cmocka_unit_test(test_rotate_on_nonspecific_eoi),
	    cmocka_unit_test(test_rotate_on_specific_eoi),
	    cmocka_unit_test(test_rotate_in_aeoi),
	    cmocka_unit_test(test_poll),
	    cmocka_unit_test(test_poll_aeoi_sets_isr),
	    cmocka_unit_test(test_special_mask_mode),
	    cmocka_unit_test(test_special_fully_nested),
	    cmocka_unit_test(test_fully_nested_blocks_slave),
	    cmocka_unit_test(test_slave_rotation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
