/*
 * Unit tests for devices/pit.c, part two, clock by clock: the count and OUT
 * sequences of modes 0-5, BCD, the counter latch, read-back (status and
 * count), the read/write flip-flops and RW forms, new counts while counting,
 * gates through port 0x61, the refresh toggle, channel 1.
 * Most run at 1000 TSC ticks per PIT clock so at(c) reads as a clock index.
 */
#include "pit_fixture.h"

#define HZX (PIT_HZ * 1000ull)

struct step {
	uint16_t count;
	bool out;
};

/* From clock `from`, one latched count and one status OUT bit per clock. */
static void expect_steps(unsigned ch, uint64_t from, const struct step *s, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(latched_count(ch, at(from + i)), s[i].count);
		assert_int_equal(status_of(ch, at(from + i)) >> 7, s[i].out);
	}
}

static void test_mode2_sequence(void **state)
{
	static const struct step s[] = {{5, 1}, {4, 1}, {3, 1}, {2, 1}, {1, 0},
					{5, 1}, {4, 1}, {3, 1}, {2, 1}, {1, 0}};

	fresh_pit(HZX);
	outb(PIT_PORT_CTRL, 0x34, at(100));
	assert_int_equal(status_of(0, at(100)), 0xF4); /* OUT high, null count */
	outb(PIT_PORT_CH0, 5, at(100));
	outb(PIT_PORT_CH0, 0, at(100));
	assert_int_equal(status_of(0, at(100)), 0xF4); /* loads on the next clock */
	assert_int_equal(status_of(0, at(101)), 0xB4);
	expect_steps(0, 101, s, ARRAY_SIZE(s));
	assert_false(rec.level); /* irq0 followed OUT into the low clock */
	assert_int_equal(rec.rises, 2);
	assert_int_equal(pit_next_event(&pit), at(111));
}

static void test_mode3_sequences(void **state)
{
	static const struct step even[] = {{6, 1}, {4, 1}, {2, 1}, {6, 0},
					   {4, 0}, {2, 0}, {6, 1}, {4, 1}};
	static const struct step odd[] = {{5, 1}, {4, 1}, {2, 1}, {5, 0}, {2, 0}, {5, 1}, {4, 1}};

	fresh_pit(HZX);
	program(0, 0x06, 6, at(10));
	expect_steps(0, 11, even, ARRAY_SIZE(even));
	program(0, 0x06, 5, at(100)); /* odd: high (N+1)/2, low (N-1)/2 */
	expect_steps(0, 101, odd, ARRAY_SIZE(odd));
	assert_int_equal(pit_next_event(&pit), at(111));
	program(0, 0x06, 1, at(200)); /* 1 is illegal: taken as 2 */
	assert_int_equal(pit_next_event(&pit), at(203));
}

static void test_mode0_sequence_and_wrap(void **state)
{
	static const struct step s[] = {{3, 0}, {2, 0}, {1, 0}, {0, 1}, {0xFFFF, 1}, {0xFFFE, 1}};

	fresh_pit(HZX);
	outb(PIT_PORT_CTRL, 0x30, at(7));
	assert_int_equal(status_of(0, at(7)), 0x70);
	outb(PIT_PORT_CH0, 3, at(7));
	outb(PIT_PORT_CH0, 0, at(7));
	expect_steps(0, 8, s, ARRAY_SIZE(s));
	assert_int_equal(status_of(0, at(20)), 0xB0);
}

static void test_mode4_sequence(void **state)
{
	static const struct step s[] = {{3, 1}, {2, 1}, {1, 1}, {0, 0}, {0xFFFF, 1}, {0xFFFE, 1}};

	fresh_pit(HZX);
	program(0, 0x08, 3, at(7));
	expect_steps(0, 8, s, ARRAY_SIZE(s));
}

static void test_bcd(void **state)
{
	static const struct step s[] = {{3, 0}, {2, 0}, {1, 0}, {0, 1}, {0x9999, 1}, {0x9998, 1}};

	fresh_pit(HZX);
	outb(PIT_PORT_CTRL, 0x31, at(7)); /* mode 0, BCD */
	outb(PIT_PORT_CH0, 0x03, at(7));
	outb(PIT_PORT_CH0, 0x00, at(7));
	expect_steps(0, 8, s, ARRAY_SIZE(s));
	assert_int_equal(status_of(0, at(20)), 0xB1);

	program(0, 0x05, 0x1000, at(100)); /* mode 2, BCD 1000 */
	assert_int_equal(latched_count(0, at(102)), 0x0999);
	assert_int_equal(latched_count(0, at(101 + 501)), 0x0499);
	assert_int_equal(pit_next_event(&pit), at(1101));
	program(0, 0x05, 0x0000, at(2000)); /* 0 is 10000 in BCD */
	assert_int_equal(pit_next_event(&pit), at(12001));
	assert_int_equal(latched_count(0, at(2001)), 0x0000);
	assert_int_equal(latched_count(0, at(2002)), 0x9999);
}

static void test_counter_latch(void **state)
{
	fresh_pit(HZX);
	program(0, 0x04, 1000, at(100));
	outb(PIT_PORT_CTRL, 0x00, at(201)); /* latch: 900 */
	outb(PIT_PORT_CTRL, 0x00, at(301)); /* ignored until read */
	assert_int_equal(inb(PIT_PORT_CH0, at(500)), 900 & 0xFF);
	assert_int_equal(inb(PIT_PORT_CH0, at(600)), 900 >> 8);
	assert_int_equal(inb(PIT_PORT_CH0, at(601)), (1000 - 500) & 0xFF); /* live again */
	assert_int_equal(inb(PIT_PORT_CH0, at(601)), (1000 - 500) >> 8);
	assert_int_equal(latched_count(0, at(700)), 1000 - 599);

	/* LSB-only: one read releases the latch */
	program(0, 0x04, 0, at(1000));
	outb(PIT_PORT_CTRL, 0x14, at(1000));
	outb(PIT_PORT_CH0, 0x80, at(1000));
	outb(PIT_PORT_CTRL, 0x00, at(1011)); /* 0x80 - 10 */
	assert_int_equal(inb(PIT_PORT_CH0, at(1050)), 0x76);
	assert_int_equal(inb(PIT_PORT_CH0, at(1050)), 0x80 - 49);
}

/* Latches hold until read, even across a change; a control word drops them. */
static void test_latch_until_read(void **state)
{
	fresh_pit(HZX);
	program(0, 0x00, 10, at(0));
	outb(PIT_PORT_CTRL, 0xE2, at(5));
	outb(PIT_PORT_CTRL, 0xE2, at(20)); /* OUT has risen, but the first one stays */
	assert_int_equal(inb(PIT_PORT_CH0, at(20)), 0x30);
	assert_int_equal(status_of(0, at(21)), 0xB0);
	outb(PIT_PORT_CTRL, 0x00, at(30)); /* latches 10 - 29 = 0xFFED */
	outb(PIT_PORT_CTRL, 0x34, at(31));
	assert_int_equal(inb(PIT_PORT_CH0, at(31)), 0xEC); /* the element, not the latch */
	assert_int_equal(inb(PIT_PORT_CH0, at(31)), 0xFF);
}

static void test_read_back(void **state)
{
	fresh_pit(HZX);
	program(0, 0x04, 1000, at(10));
	program(1, 0x04, 18, at(10));
	program(2, 0x00, 500, at(10)); /* gate low: held at 500 */
	/* 0xCE: status and count of all three; status comes first */
	outb(PIT_PORT_CTRL, 0xCE, at(20));
	outb(PIT_PORT_CTRL, 0xCE, at(25)); /* both latches already full: ignored */
	assert_int_equal(inb(PIT_PORT_CH0, at(40)), 0xB4);
	assert_int_equal(inb(PIT_PORT_CH0, at(40)), 991 & 0xFF);
	assert_int_equal(inb(PIT_PORT_CH0, at(40)), 991 >> 8);
	assert_int_equal(inb(0x41, at(40)), 0xB4);
	assert_int_equal(inb(0x41, at(40)), 9);
	assert_int_equal(inb(0x41, at(40)), 0);
	assert_int_equal(inb(0x42, at(40)), 0x30); /* OUT low, loaded, mode 0 */
	assert_int_equal(inb(0x42, at(40)), 500 & 0xFF);
	assert_int_equal(inb(0x42, at(40)), 500 >> 8);
	/* 0xC2: channel 0 only */
	outb(PIT_PORT_CTRL, 0xC2, at(111));
	assert_int_equal(inb(PIT_PORT_CH0, at(300)), 0xB4);
	assert_int_equal(inb(PIT_PORT_CH0, at(300)), 900 & 0xFF);
	assert_int_equal(inb(PIT_PORT_CH0, at(300)), 900 >> 8);
	/* 0xD2 count only, 0xE2 status only */
	outb(PIT_PORT_CTRL, 0xD2, at(311));
	assert_int_equal(inb(PIT_PORT_CH0, at(399)), 700 & 0xFF);
	assert_int_equal(inb(PIT_PORT_CH0, at(399)), 700 >> 8);
	outb(PIT_PORT_CTRL, 0xE2, at(400));
	assert_int_equal(inb(PIT_PORT_CH0, at(450)), 0xB4);
	assert_int_equal(inb(PIT_PORT_CH0, at(450)), (1000 - 439) & 0xFF); /* live */
	assert_int_equal(inb(PIT_PORT_CH0, at(450)), (1000 - 439) >> 8);
	/* modes 6 and 7 read back as written and act as 2 and 3 */
	outb(PIT_PORT_CTRL, 0x3C, at(2000));
	assert_int_equal(status_of(0, at(2000)), 0xFC);
	outb(PIT_PORT_CH0, 10, at(2000));
	outb(PIT_PORT_CH0, 0, at(2000));
	assert_int_equal(pit_next_event(&pit), at(2011));
	outb(PIT_PORT_CTRL, 0x3E, at(3000));
	assert_int_equal(status_of(0, at(3000)), 0xFE);
	outb(PIT_PORT_CH0, 10, at(3000));
	outb(PIT_PORT_CH0, 0, at(3000));
	assert_int_equal(latched_count(0, at(3002)), 8); /* counts by two */
}

static void test_flip_flops_and_rw(void **state)
{
	fresh_pit(HZX);
	program(0, 0x04, 0x1234, at(0));
	assert_int_equal(inb(PIT_PORT_CH0, at(1)), 0x34);
	outb(PIT_PORT_CTRL, 0x34, at(1)); /* resets the read flip-flop */
	assert_int_equal(inb(PIT_PORT_CH0, at(1)), 0x34);
	/* the write flip-flop is separate: LSB, a read pair, then MSB */
	outb(PIT_PORT_CH0, 0x10, at(1));
	assert_int_equal(inb(PIT_PORT_CH0, at(1)), 0x12); /* MSB of the old count */
	outb(PIT_PORT_CH0, 0x00, at(1));
	assert_int_equal(pit_next_event(&pit), at(2 + 0x10));
	/* RW = LSB only and MSB only */
	outb(PIT_PORT_CTRL, 0x14, at(100));
	outb(PIT_PORT_CH0, 0x20, at(100));
	assert_int_equal(pit_next_event(&pit), at(101 + 0x20));
	assert_int_equal(inb(PIT_PORT_CH0, at(102)), 0x1F);
	assert_int_equal(inb(PIT_PORT_CH0, at(103)), 0x1E);
	outb(PIT_PORT_CTRL, 0x24, at(200));
	outb(PIT_PORT_CH0, 0x01, at(200));
	assert_int_equal(pit_next_event(&pit), at(201 + 0x100));
	assert_int_equal(inb(PIT_PORT_CH0, at(201)), 0x01);
	assert_int_equal(inb(PIT_PORT_CH0, at(202)), 0x00);
	assert_int_equal(status_of(0, at(202)), 0xA4);
}

static void test_new_count_mode2(void **state)
{
	fresh_pit(HZX);
	program(0, 0x04, 100, at(0));
	outb(PIT_PORT_CH0, 50, at(31));
	outb(PIT_PORT_CH0, 0, at(31));
	assert_int_equal(status_of(0, at(31)) & 0x40, 0x40); /* null until the reload */
	assert_int_equal(latched_count(0, at(60)), 100 - 59);
	assert_int_equal(pit_next_event(&pit), at(101));
	advance(at(101));
	assert_int_equal(status_of(0, at(101)) & 0x40, 0);
	assert_int_equal(latched_count(0, at(102)), 49);
	assert_int_equal(pit_next_event(&pit), at(151));
}

static void test_new_count_mode3(void **state)
{
	fresh_pit(HZX);
	program(0, 0x06, 100, at(0));
	outb(PIT_PORT_CH0, 40, at(31)); /* in the high half: reload at its end */
	outb(PIT_PORT_CH0, 0, at(31));
	assert_int_equal(pit_next_event(&pit), at(71));	     /* 51 + 20 low */
	assert_int_equal(status_of(0, at(50)) & 0xC0, 0xC0); /* high, new count not loaded */
	assert_int_equal(latched_count(0, at(51)), 40);
	assert_int_equal(status_of(0, at(51)) & 0xC0, 0x00); /* low half, loaded */
	advance(at(71));
	assert_int_equal(pit_next_event(&pit), at(111));

	program(0, 0x06, 100, at(1000));
	outb(PIT_PORT_CH0, 40, at(1061)); /* in the low half: reload at period end */
	outb(PIT_PORT_CH0, 0, at(1061));
	assert_int_equal(pit_next_event(&pit), at(1101));
	advance(at(1101));
	assert_int_equal(pit_next_event(&pit), at(1141));
}

static void test_mode0_first_byte_stops(void **state)
{
	uint16_t held;

	fresh_pit(HZX);
	program(0, 0x00, 10, at(10));
	advance(at(21));
	assert_true(rec.level);
	outb(PIT_PORT_CH0, 0x05, at(50)); /* first byte: OUT low, counting stops */
	assert_false(rec.level);
	held = latched_count(0, at(50));
	assert_int_equal(latched_count(0, at(60)), held);
	assert_int_equal(pit_next_event(&pit), UINT64_MAX);
	outb(PIT_PORT_CH0, 0x01, at(70));
	assert_int_equal(pit_next_event(&pit), at(71 + 0x105));
}

static void test_gate_mode0(void **state)
{
	fresh_pit(HZX);
	outb(PIT_PORT_61, 0x01, at(0));
	program(2, 0x00, 100, at(10));
	outb(PIT_PORT_61, 0x00, at(41));
	assert_int_equal(latched_count(2, at(41)), 70);
	assert_int_equal(latched_count(2, at(80)), 70);
	outb(PIT_PORT_61, 0x01, at(80));
	assert_int_equal(latched_count(2, at(81)), 69);
	assert_false(out2(at(149)));
	assert_true(out2(at(150)));
	/* written while the gate is low: loaded, but it does not count */
	outb(PIT_PORT_61, 0x00, at(200));
	program(2, 0x00, 5, at(200));
	assert_false(out2(at(300)));
	assert_int_equal(latched_count(2, at(300)), 5);
	outb(PIT_PORT_61, 0x01, at(300));
	assert_true(out2(at(305)));
}

static void test_gate_mode2(void **state)
{
	fresh_pit(HZX);
	outb(PIT_PORT_61, 0x01, at(0));
	program(2, 0x04, 10, at(0));
	assert_false(out2(at(10)));
	assert_true(out2(at(11)));
	assert_false(out2(at(20)));
	outb(PIT_PORT_61, 0x00, at(20)); /* during the low clock: OUT high at once */
	assert_true(out2(at(20)));
	assert_int_equal(latched_count(2, at(30)), 1);
	outb(PIT_PORT_61, 0x01, at(30)); /* rising gate reloads on the next clock */
	assert_int_equal(latched_count(2, at(31)), 10);
	assert_false(out2(at(40)));
	assert_true(out2(at(41)));
}

static void test_mode1_trigger(void **state)
{
	fresh_pit(HZX);
	program(2, 0x02, 10, at(0)); /* gate low: waits for a trigger */
	assert_int_equal(status_of(2, at(40)), 0xF2);
	outb(PIT_PORT_61, 0x01, at(50));
	assert_true(out2(at(50)));
	assert_false(out2(at(51)));
	assert_int_equal(status_of(2, at(51)), 0x32);
	assert_false(out2(at(60)));
	assert_true(out2(at(61)));
	/* retrigger restarts the one-shot */
	outb(PIT_PORT_61, 0x00, at(62));
	outb(PIT_PORT_61, 0x01, at(63));
	assert_false(out2(at(64)));
	/* a new count waits for the next trigger */
	outb(PIT_PORT_CTRL, 0xB2, at(100));
	outb(0x42, 10, at(100));
	outb(0x42, 0, at(100));
	outb(PIT_PORT_61, 0x00, at(101));
	outb(PIT_PORT_61, 0x01, at(102));
	outb(0x42, 20, at(105));
	outb(0x42, 0, at(105));
	assert_true(out2(at(113)));
	outb(PIT_PORT_61, 0x00, at(120));
	outb(PIT_PORT_61, 0x01, at(121));
	assert_false(out2(at(141)));
	assert_true(out2(at(142)));
}

static void test_mode5_strobe(void **state)
{
	fresh_pit(HZX);
	program(2, 0x0A, 10, at(0));
	assert_true(out2(at(40)));
	outb(PIT_PORT_61, 0x01, at(50));
	assert_true(out2(at(60)));
	assert_false(out2(at(61)));
	assert_true(out2(at(62)));
}

static void test_port61(void **state)
{
	fresh_pit(HZX);
	outb(PIT_PORT_61, 0xF0, at(0)); /* bits 4-7 are read-only */
	assert_int_equal(inb(PIT_PORT_61, at(0)), 0x00);
	outb(PIT_PORT_61, 0x0F, at(0));
	assert_int_equal(inb(PIT_PORT_61, at(0)), 0x0F);
	/* refresh toggles every 18 clocks (15.08 us) */
	for (unsigned k = 0; k < 12; k++) {
		assert_int_equal(inb(PIT_PORT_61, at(18 * k)) & 0x10, (k & 1) ? 0x10 : 0);
		assert_int_equal(inb(PIT_PORT_61, at(18 * k + 17)) & 0x10, (k & 1) ? 0x10 : 0);
	}
	/* bit 5 follows channel 2's OUT */
	program(2, 0x06, 4, at(1000));
	assert_int_equal(inb(PIT_PORT_61, at(1001)) & 0x20, 0x20);
	assert_int_equal(inb(PIT_PORT_61, at(1003)) & 0x20, 0x00);
	assert_int_equal(rec.calls, 0);
	/* at an odd TSC rate the toggle still follows the PIT clock */
	fresh_pit(2893312000);
	for (unsigned k = 0; k < 100; k++)
		assert_int_equal(inb(PIT_PORT_61, at(18 * k + 9)) & 0x10, (k & 1) ? 0x10 : 0);
}

static void test_channel1_and_new_control(void **state)
{
	fresh_pit(HZX);
	program(1, 0x04, 18, at(0)); /* the BIOS's refresh setting */
	assert_int_equal(latched_count(1, at(5)), 14);
	assert_int_equal(pit_next_event(&pit), UINT64_MAX);
	assert_int_equal(rec.calls, 0);
	/* a control word mid-count: OUT to its initial level, no count */
	program(0, 0x04, 100, at(10));
	assert_true(rec.level);
	outb(PIT_PORT_CTRL, 0x30, at(50));
	assert_false(rec.level);
	assert_int_equal(pit_next_event(&pit), UINT64_MAX);
	assert_int_equal(status_of(0, at(60)), 0x70);
	pit_reset(&pit);
	assert_false(rec.level);
	assert_int_equal(status_of(1, at(70)), 0x70);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mode2_sequence),
	    cmocka_unit_test(test_mode3_sequences),
	    cmocka_unit_test(test_mode0_sequence_and_wrap),
	    cmocka_unit_test(test_mode4_sequence),
	    cmocka_unit_test(test_bcd),
	    cmocka_unit_test(test_counter_latch),
	    cmocka_unit_test(test_latch_until_read),
	    cmocka_unit_test(test_read_back),
	    cmocka_unit_test(test_flip_flops_and_rw),
	    cmocka_unit_test(test_new_count_mode2),
	    cmocka_unit_test(test_new_count_mode3),
	    cmocka_unit_test(test_mode0_first_byte_stops),
	    cmocka_unit_test(test_gate_mode0),
	    cmocka_unit_test(test_gate_mode2),
	    cmocka_unit_test(test_mode1_trigger),
	    cmocka_unit_test(test_mode5_strobe),
	    cmocka_unit_test(test_port61),
	    cmocka_unit_test(test_channel1_and_new_control),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
