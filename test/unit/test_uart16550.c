/*
 * Unit tests for devices/uart16550.c against the PC16550D datasheet: reset values,
 * DLAB, IIR priorities, the THRE interrupt rules, FIFO trigger levels and resets,
 * overrun, break, the character timeout at several rates, loopback and OUT2 gating.
 */
#include "test/unit/uart16550_fixture.h"

#define LSR_IDLE (UART_LSR_THRE | UART_LSR_TEMT)

static void test_reset_values(void **state)
{
	assert_int_equal(rd(UART_IER), 0x00);
	assert_int_equal(rd(UART_IIR), 0x01);
	assert_int_equal(rd(UART_LCR), 0x00);
	assert_int_equal(rd(UART_MCR), 0x00);
	assert_int_equal(rd(UART_LSR), 0x60);
	assert_int_equal(rd(UART_MSR), 0xb0); /* CTS DSR DCD from the cable, no deltas */
	assert_int_equal(rd(UART_SCR), 0x00);
	wr(UART_LCR, UART_LCR_DLAB);
	assert_int_equal(rd(UART_DLL), 12);
	assert_int_equal(rd(UART_DLM), 0);
	wr(UART_LCR, 0);
	assert_int_equal(uart_rx_room(&b.u), 1); /* FIFOs off: the RBR alone */
	assert_int_equal(uart_next_event(&b.u), UINT64_MAX);
	for (unsigned off = UART_NR_PORTS; off < 0x20; off++)
		assert_int_equal(rd((uint16_t)off), 0xff);
	assert_false(b.level);
}

static void test_reset_restores_and_keeps_wiring(void **state)
{
	wr(UART_MCR, UART_MCR_OUT2 | UART_MCR_DTR);
	wr(UART_IER, UART_IER_THRE);
	assert_true(b.level);
	wr(UART_FCR, 0xc1);
	wr(UART_SCR, 0x77);
	wr(UART_LCR, 0x9b);
	wr(UART_DLL, 1);
	assert_true(host_sends('x'));
	uart_reset(&b.u);
	assert_false(b.level); /* the reset lowered the pin */
	assert_int_equal(rd(UART_IER), 0);
	assert_int_equal(rd(UART_IIR), 0x01);
	assert_int_equal(rd(UART_LCR), 0);
	assert_int_equal(rd(UART_MCR), 0);
	assert_int_equal(rd(UART_LSR), 0x60);
	assert_int_equal(rd(UART_MSR), 0xb0);
	assert_int_equal(rd(UART_SCR), 0);
	wr(UART_LCR, UART_LCR_DLAB);
	assert_int_equal(rd(UART_DLL), 12);
	wr(UART_LCR, 0);
	wr(UART_THR, 'k'); /* tx and irq wiring survive */
	assert_int_equal(b.nsent, 1);
	assert_int_equal(b.sent[0], 'k');
	wr(UART_MCR, UART_MCR_OUT2);
	wr(UART_IER, UART_IER_THRE);
	assert_true(b.level);
}

static void test_dlab(void **state)
{
	wr(UART_IER, UART_IER_RDA | UART_IER_RLS);
	wr(UART_LCR, UART_LCR_DLAB | 0x03);
	wr(UART_DLL, 0x34);
	wr(UART_DLM, 0x12);
	assert_int_equal(b.nsent, 0); /* DLL is not the THR */
	assert_int_equal(rd(UART_DLL), 0x34);
	assert_int_equal(rd(UART_DLM), 0x12);
	assert_int_equal(rd(UART_IIR), 0x01); /* offset 2 ignores DLAB */
	assert_int_equal(rd(UART_LCR), 0x83);
	wr(UART_LCR, 0x03);
	assert_int_equal(rd(UART_IER), UART_IER_RDA | UART_IER_RLS); /* DLM write left IER */
	wr(UART_IER, 0xff);
	assert_int_equal(rd(UART_IER), 0x0f); /* bits 7:4 are always 0 */
	wr(UART_LCR, UART_LCR_DLAB);
	assert_int_equal(rd(UART_DLM), 0x12);
	assert_int_equal(rd(UART_DLL), 0x34);
	wr(UART_LCR, 0);
	assert_true(host_sends('q'));
	wr(UART_LCR, UART_LCR_DLAB);
	assert_int_equal(rd(UART_RBR), 0x34); /* DLL read does not pop */
	wr(UART_LCR, 0);
	assert_int_equal(rd(UART_LSR), LSR_IDLE | UART_LSR_DR);
	assert_int_equal(rd(UART_RBR), 'q');
	assert_int_equal(rd(UART_LSR), LSR_IDLE);
}

static void test_scratch_and_read_only(void **state)
{
	wr(UART_SCR, 0xa5);
	assert_int_equal(rd(UART_SCR), 0xa5);
	wr(UART_SCR, 0x5a);
	assert_int_equal(rd(UART_SCR), 0x5a);
	wr(UART_MCR, 0xff);
	assert_int_equal(rd(UART_MCR), 0x1f); /* bits 7:5 are always 0 */
	wr(UART_MCR, 0);
	rd(UART_MSR);
	wr(UART_LSR, 0x1f);
	wr(UART_MSR, 0x0f);
	assert_int_equal(rd(UART_LSR), 0x60);
	assert_int_equal(rd(UART_MSR), 0xb0);
	wr(0x8, 0x41);
	wr(0xffff, 0x41);
	assert_int_equal(b.nsent, 0);
}

/* Every source at once, IER all on: each is reported in turn as the one above it clears. */
static void test_iir_priority(void **state)
{
	wr(UART_MCR, UART_MCR_LOOP);
	wr(UART_MCR, UART_MCR_OUT2); /* the cable's lines went away and back: three deltas */
	assert_true(host_sends('1'));
	assert_false(host_sends('2')); /* 16450 mode: overrun */
	wr(UART_IER, 0x0f);	       /* THRE armed too */
	assert_true(b.level);
	assert_int_equal(rd(UART_IIR), UART_IIR_RLS);
	assert_int_equal(rd(UART_IIR), UART_IIR_RLS); /* reading the IIR does not clear RLS */
	assert_int_equal(rd(UART_LSR), LSR_IDLE | UART_LSR_DR | UART_LSR_OE);
	assert_int_equal(rd(UART_IIR), UART_IIR_RDA);
	assert_int_equal(rd(UART_RBR), '2');
	assert_int_equal(rd(UART_IIR), UART_IIR_THRE); /* this read acknowledges it */
	assert_int_equal(rd(UART_IIR), UART_IIR_MSI);
	assert_true(b.level);
	assert_int_equal(rd(UART_MSR), 0xb0 | UART_MSR_DCTS | UART_MSR_DDSR | UART_MSR_DDCD);
	assert_int_equal(rd(UART_IIR), UART_IIR_NONE);
	assert_false(b.level);
}

/* A disabled source is neither reported nor on the pin; enabling it shows it. */
static void test_iir_masking(void **state)
{
	wr(UART_MCR, UART_MCR_OUT2);
	wr(UART_FCR, UART_FCR_ENABLE);
	assert_true(host_sends('a'));
	wr(UART_IER, UART_IER_MSI | UART_IER_RLS);
	assert_int_equal(rd(UART_IIR), 0xc1);
	assert_false(b.level);
	wr(UART_IER, UART_IER_MSI | UART_IER_RLS | UART_IER_RDA);
	assert_int_equal(rd(UART_IIR), 0xc4);
	assert_true(b.level);
	/* Past four character times: RDA still shows while the trigger level is met. */
	b.now += 10000000; /* four 5N1 characters at 9600 take 2.9 ms */
	wr(UART_IER, UART_IER_RDA | UART_IER_THRE);
	assert_int_equal(rd(UART_IIR), 0xc4);
	wr(UART_FCR, UART_FCR_ENABLE | 0x40); /* trigger 4, same mode: the byte stays */
	assert_int_equal(rd(UART_IIR), 0xcc); /* the timeout, and it outranks THRE */
	assert_int_equal(rd(UART_RBR), 'a');
	assert_int_equal(rd(UART_IIR), 0xc2);
	assert_int_equal(rd(UART_IIR), 0xc1);
	assert_false(b.level);
}

static void test_thre_rules(void **state)
{
	wr(UART_MCR, UART_MCR_OUT2);
	wr(UART_IER, UART_IER_THRE); /* 0 -> 1 with the THR empty: pending */
	assert_true(b.level);
	assert_int_equal(rd(UART_LSR), LSR_IDLE); /* the LSR read does not clear it */
	assert_int_equal(rd(UART_IIR), UART_IIR_THRE);
	assert_false(b.level);
	assert_int_equal(rd(UART_IIR), UART_IIR_NONE);
	wr(UART_IER, UART_IER_THRE | UART_IER_RDA); /* THRE stays 1: no new interrupt */
	assert_int_equal(rd(UART_IIR), UART_IIR_NONE);
	wr(UART_IER, UART_IER_RDA);
	wr(UART_IER, UART_IER_RDA | UART_IER_THRE); /* 0 -> 1 again: re-armed */
	assert_int_equal(rd(UART_IIR), UART_IIR_THRE);

	/* The THR write clears it and, the byte gone at once, the empty THR raises it again. */
	unsigned rises = b.rises, falls = b.falls;
	wr(UART_IER, 0);
	wr(UART_IER, UART_IER_THRE);
	assert_int_equal(b.rises, rises + 1);
	wr(UART_THR, 'z');
	assert_int_equal(b.falls, falls + 1);
	assert_int_equal(b.rises, rises + 2);
	assert_true(b.level);
	assert_int_equal(b.sent[0], 'z');
	assert_int_equal(rd(UART_IIR), UART_IIR_THRE);

	/* An IIR read that reports a higher source leaves THRE pending. */
	wr(UART_THR, 'y');
	wr(UART_IER, UART_IER_THRE | UART_IER_RDA);
	assert_true(host_sends('r'));
	assert_int_equal(rd(UART_IIR), UART_IIR_RDA);
	assert_int_equal(rd(UART_RBR), 'r');
	assert_int_equal(rd(UART_IIR), UART_IIR_THRE);
	assert_int_equal(rd(UART_IIR), UART_IIR_NONE);

	/* Changing FCR0 makes the next THRE interrupt immediate. */
	wr(UART_FCR, UART_FCR_ENABLE);
	assert_int_equal(rd(UART_IIR), 0xc2);
	assert_int_equal(rd(UART_IIR), 0xc1);
	wr(UART_FCR, UART_FCR_ENABLE | UART_FCR_TX_RESET); /* no mode change */
	assert_int_equal(rd(UART_IIR), 0xc1);
	wr(UART_FCR, 0);
	assert_int_equal(rd(UART_IIR), 0x02);
	assert_false(b.level);
}

static void test_rx_trigger_levels(void **state)
{
	static const struct {
		uint8_t fcr;
		unsigned level;
	} t[] = {{0x01, 1}, {0x41, 4}, {0x81, 8}, {0xc1, 14}};

	wr(UART_MCR, UART_MCR_OUT2);
	wr(UART_IER, UART_IER_RDA);
	for (unsigned i = 0; i < ARRAY_SIZE(t); i++) {
		wr(UART_FCR, t[i].fcr | UART_FCR_RX_RESET);
		for (unsigned n = 0; n + 1 < t[i].level; n++)
			assert_true(host_sends((uint8_t)('A' + n)));
		assert_int_equal(rd(UART_IIR), 0xc1);
		assert_false(b.level);
		assert_true(host_sends('!'));
		assert_int_equal(rd(UART_IIR), 0xc4);
		assert_true(b.level);
		assert_int_equal(uart_rx_room(&b.u), UART_FIFO_SIZE - t[i].level);
		assert_int_equal(rd(UART_RBR), t[i].level == 1 ? '!' : 'A');
		assert_int_equal(rd(UART_IIR), 0xc1); /* below the level again */
		assert_false(b.level);
	}
}

static void test_overrun_fifo(void **state)
{
	wr(UART_MCR, UART_MCR_OUT2);
	wr(UART_FCR, 0xc1);
	wr(UART_IER, UART_IER_RLS);
	for (unsigned n = 0; n < UART_FIFO_SIZE; n++)
		assert_true(host_sends((uint8_t)n));
	assert_int_equal(uart_rx_room(&b.u), 0);
	assert_false(b.level);
	assert_false(host_sends(0x99)); /* dropped */
	assert_true(b.level);
	assert_int_equal(rd(UART_IIR), 0xc6);
	assert_int_equal(rd(UART_LSR), LSR_IDLE | UART_LSR_DR | UART_LSR_OE);
	assert_false(b.level);
	assert_int_equal(rd(UART_LSR), LSR_IDLE | UART_LSR_DR); /* the read cleared OE */
	for (unsigned n = 0; n < UART_FIFO_SIZE; n++)
		assert_int_equal(rd(UART_RBR), n);
	assert_int_equal(rd(UART_LSR), LSR_IDLE);
	assert_int_equal(uart_rx_room(&b.u), UART_FIFO_SIZE);
}

static void test_overrun_16450(void **state)
{
	assert_true(host_sends('o'));
	assert_int_equal(uart_rx_room(&b.u), 0);
	assert_false(host_sends('n')); /* replaces the unread byte */
	assert_int_equal(rd(UART_LSR), LSR_IDLE | UART_LSR_DR | UART_LSR_OE);
	assert_int_equal(rd(UART_RBR), 'n');
	assert_int_equal(rd(UART_LSR), LSR_IDLE);
	assert_int_equal(rd(UART_RBR), 'n'); /* an empty RBR gives its last byte */
}

static void test_break(void **state)
{
	wr(UART_FCR, UART_FCR_ENABLE);
	assert_true(host_sends('a'));
	assert_true(uart_receive_break(&b.u, b.now));
	assert_true(host_sends('b'));
	/* The break is in the FIFO (bit 7) but not yet at its head. */
	assert_int_equal(rd(UART_LSR), LSR_IDLE | UART_LSR_DR | UART_LSR_FIFOERR);
	assert_int_equal(rd(UART_RBR), 'a');
	assert_int_equal(rd(UART_LSR), LSR_IDLE | UART_LSR_DR | UART_LSR_BI | UART_LSR_FIFOERR);
	assert_int_equal(rd(UART_LSR), LSR_IDLE | UART_LSR_DR); /* told once, then cleared */
	assert_int_equal(rd(UART_RBR), 0);
	assert_int_equal(rd(UART_RBR), 'b');
	assert_int_equal(rd(UART_LSR), LSR_IDLE);
	/* 16450 mode: BI without bit 7. */
	wr(UART_FCR, 0);
	wr(UART_MCR, UART_MCR_OUT2);
	wr(UART_IER, UART_IER_RLS);
	assert_true(uart_receive_break(&b.u, b.now));
	assert_true(b.level);
	assert_int_equal(rd(UART_IIR), 0x06);
	assert_int_equal(rd(UART_LSR), LSR_IDLE | UART_LSR_DR | UART_LSR_BI);
	assert_false(b.level);
}

static void test_fifo_reset(void **state)
{
	wr(UART_FCR, 0xc1);
	for (unsigned n = 0; n < 5; n++)
		assert_true(host_sends((uint8_t)('0' + n)));
	wr(UART_FCR, 0x43 | UART_FCR_TX_RESET); /* RX reset, trigger 4 */
	assert_int_equal(rd(UART_LSR), LSR_IDLE);
	assert_int_equal(rd(UART_IIR), 0xc1); /* FIFOs still on */
	assert_int_equal(uart_rx_room(&b.u), UART_FIFO_SIZE);
	wr(UART_IER, UART_IER_RDA);
	for (unsigned n = 0; n < 3; n++)
		assert_true(host_sends('p'));
	assert_int_equal(rd(UART_IIR), 0xc1); /* the reset write set trigger 4 */
	assert_true(host_sends('p'));
	assert_int_equal(rd(UART_IIR), 0xc4);
	/* Leaving FIFO mode empties the FIFO. */
	wr(UART_FCR, 0);
	assert_int_equal(rd(UART_IIR), 0x01);
	assert_int_equal(rd(UART_LSR), LSR_IDLE);
	/* In 16450 mode, a write without ENABLE programs nothing: the RBR keeps its byte. */
	assert_true(host_sends('k'));
	wr(UART_FCR, UART_FCR_RX_RESET);
	assert_int_equal(rd(UART_LSR), LSR_IDLE | UART_LSR_DR);
	/* Entering FIFO mode empties the RBR too. */
	wr(UART_FCR, UART_FCR_ENABLE);
	assert_int_equal(rd(UART_LSR), LSR_IDLE);
}

static void test_loopback_bytes(void **state)
{
	wr(UART_FCR, UART_FCR_ENABLE);
	wr(UART_MCR, UART_MCR_LOOP);
	wr(UART_THR, 'L');
	wr(UART_THR, 'B');
	assert_int_equal(b.nsent, 0); /* not on the line */
	assert_int_equal(uart_rx_room(&b.u), 0);
	assert_false(host_sends('h')); /* the line input is disconnected */
	assert_int_equal(rd(UART_LSR), LSR_IDLE | UART_LSR_DR);
	assert_int_equal(rd(UART_RBR), 'L');
	assert_int_equal(rd(UART_RBR), 'B');
	assert_int_equal(rd(UART_LSR), LSR_IDLE);
	wr(UART_MCR, 0);
	wr(UART_THR, 'T');
	assert_int_equal(b.nsent, 1);
	assert_int_equal(b.sent[0], 'T');
	assert_int_equal(rd(UART_LSR), LSR_IDLE);
	assert_true(host_sends('h'));
	assert_int_equal(rd(UART_RBR), 'h');
}

static void test_loopback_modem_lines(void **state)
{
	static const struct {
		uint8_t mcr, msr;
	} t[] = {
	    {UART_MCR_RTS, UART_MSR_CTS},	  {UART_MCR_DTR, UART_MSR_DSR},
	    {UART_MCR_OUT1, UART_MSR_RI},	  {UART_MCR_OUT2, UART_MSR_DCD},
	    {UART_MCR_OUT2 | UART_MCR_RTS, 0x90}, /* Linux's loopback test */
	};

	for (unsigned i = 0; i < ARRAY_SIZE(t); i++) {
		wr(UART_MCR, UART_MCR_LOOP | t[i].mcr);
		assert_int_equal(rd(UART_MSR) & 0xf0, t[i].msr);
	}
	/* Deltas follow the looped-back lines; TERI only on RI's trailing edge. */
	wr(UART_MCR, UART_MCR_LOOP);
	rd(UART_MSR);
	wr(UART_MCR, UART_MCR_LOOP | UART_MCR_OUT1);
	assert_int_equal(rd(UART_MSR), UART_MSR_RI);
	wr(UART_MCR, UART_MCR_LOOP);
	assert_int_equal(rd(UART_MSR), UART_MSR_TERI);
	wr(UART_MCR, UART_MCR_LOOP | UART_MCR_RTS | UART_MCR_DTR);
	assert_int_equal(rd(UART_MSR), 0x30 | UART_MSR_DCTS | UART_MSR_DDSR);
	assert_int_equal(rd(UART_MSR), 0x30);
	/* The modem status interrupt works in loopback, but the pin is gated off. */
	wr(UART_IER, UART_IER_MSI);
	wr(UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2);
	assert_int_equal(rd(UART_IIR), UART_IIR_MSI);
	assert_false(b.level);
	/* Leaving loopback: the cable's lines come back. */
	wr(UART_MCR, UART_MCR_OUT2);
	assert_int_equal(rd(UART_MSR), 0xb0 | UART_MSR_DCTS | UART_MSR_DDSR | UART_MSR_DDCD);
	assert_int_equal(rd(UART_MSR), 0xb0);
}

static void test_out2_gating(void **state)
{
	wr(UART_IER, UART_IER_THRE);
	assert_false(b.level);
	wr(UART_MCR, UART_MCR_DTR | UART_MCR_RTS | UART_MCR_OUT1);
	assert_false(b.level);
	wr(UART_MCR, UART_MCR_OUT2);
	assert_true(b.level); /* still pending: nothing read the IIR */
	wr(UART_MCR, 0);
	assert_false(b.level);
	wr(UART_MCR, UART_MCR_OUT2 | UART_MCR_LOOP); /* loopback forces OUT2's pin off */
	assert_false(b.level);
	wr(UART_MCR, UART_MCR_OUT2);
	assert_true(b.level);
	assert_int_equal(rd(UART_IIR), UART_IIR_THRE);
	assert_false(b.level);
	assert_int_equal(b.rises, 2);
	assert_int_equal(b.falls, 2);
}

struct rate {
	uint64_t tsc_hz;
	uint16_t divisor;
	uint8_t lcr;
	uint64_t ticks; /* four character times, rounded up */
};

static void check_timeout(const struct rate *r)
{
	bench_init(r->tsc_hz);
	set_divisor(r->divisor);
	wr(UART_LCR, r->lcr);
	wr(UART_FCR, 0xc1); /* trigger 14 */
	wr(UART_MCR, UART_MCR_OUT2);
	wr(UART_IER, UART_IER_RDA);
	b.now = 77777;
	assert_true(host_sends('1'));
	assert_int_equal(uart_next_event(&b.u), 77777 + r->ticks);
	b.now += 100;
	assert_true(host_sends('2')); /* a new byte restarts the timer */
	uint64_t due = b.now + r->ticks;
	assert_int_equal(uart_next_event(&b.u), due);
	uart_advance(&b.u, due - 1);
	assert_false(b.level);
	b.now = due - 1;
	assert_int_equal(rd(UART_IIR), 0xc1);
	uart_advance(&b.u, due);
	assert_true(b.level);
	assert_int_equal(uart_next_event(&b.u), UINT64_MAX);
	b.now = due + 5;
	assert_true(host_sends('3')); /* once fired, a new byte does not clear it */
	assert_int_equal(rd(UART_IIR), 0xcc);
	assert_int_equal(rd(UART_RBR), '1'); /* the read clears it and restarts the timer */
	assert_false(b.level);
	assert_int_equal(rd(UART_IIR), 0xc1);
	assert_int_equal(uart_next_event(&b.u), b.now + r->ticks);
	b.now += r->ticks;
	assert_int_equal(rd(UART_IIR), 0xcc); /* a read finds it due without uart_advance */
	assert_true(b.level);
	rd(UART_RBR);
	rd(UART_RBR);
	assert_false(b.level);
	assert_int_equal(uart_next_event(&b.u), UINT64_MAX); /* empty */
}

static void test_char_timeout_rates(void **state)
{
	static const struct rate t[] = {
	    {1000000000, 1, 0x03, 347223},	/* 115200 8N1: 40 bits */
	    {2893312000, 12, 0x03, 12055467},	/* 9600 8N1 */
	    {1000000000, 3, 0x0e, 1145834},	/* 38400 7O2: 44 bits */
	    {1000000000, 3, 0x1f, 1250000},	/* 38400 8E2: 48 bits */
	    {2893312000, 384, 0x04, 289331200}, /* 300 5N1.5: 30 bits, exactly 0.1 s */
	    {2893312000, 1, 0x0b, 1105085},	/* 115200 8O1: 44 bits */
	    {3000000000, 0, 0x03, 68266666667}, /* divisor 0 as 65536 */
	};

	for (unsigned i = 0; i < ARRAY_SIZE(t); i++)
		check_timeout(&t[i]);
}

static void test_char_timeout_conditions(void **state)
{
	set_divisor(1);
	wr(UART_LCR, 0x03);
	wr(UART_MCR, UART_MCR_OUT2);
	wr(UART_IER, UART_IER_RDA);
	/* 16450 mode has no timeout. */
	assert_true(host_sends('a'));
	assert_int_equal(uart_next_event(&b.u), UINT64_MAX);
	b.now += 10000000;
	assert_int_equal(rd(UART_IIR), 0x04);
	rd(UART_RBR);
	/* At or above the trigger level RDA is what shows. */
	wr(UART_FCR, 0x01);
	assert_true(host_sends('a'));
	assert_int_equal(uart_next_event(&b.u), UINT64_MAX);
	b.now += 10000000;
	assert_int_equal(rd(UART_IIR), 0xc4);
	rd(UART_RBR);
	/* With RDA disabled the pin cannot change, but the indication still comes due. */
	wr(UART_FCR, 0x81);
	wr(UART_IER, 0);
	assert_true(host_sends('a'));
	assert_int_equal(uart_next_event(&b.u), UINT64_MAX);
	b.now += 347223;
	wr(UART_IER, UART_IER_RDA);
	assert_true(b.level);
	assert_int_equal(rd(UART_IIR), 0xcc);
	/* An RX FIFO reset drops it with the bytes. */
	wr(UART_FCR, 0x83);
	assert_int_equal(rd(UART_IIR), 0xc1);
	assert_false(b.level);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_reset_values, bench_setup),
	    cmocka_unit_test_setup(test_reset_restores_and_keeps_wiring, bench_setup),
	    cmocka_unit_test_setup(test_dlab, bench_setup),
	    cmocka_unit_test_setup(test_scratch_and_read_only, bench_setup),
	    cmocka_unit_test_setup(test_iir_priority, bench_setup),
	    cmocka_unit_test_setup(test_iir_masking, bench_setup),
	    cmocka_unit_test_setup(test_thre_rules, bench_setup),
	    cmocka_unit_test_setup(test_rx_trigger_levels, bench_setup),
	    cmocka_unit_test_setup(test_overrun_fifo, bench_setup),
	    cmocka_unit_test_setup(test_overrun_16450, bench_setup),
	    cmocka_unit_test_setup(test_break, bench_setup),
	    cmocka_unit_test_setup(test_fifo_reset, bench_setup),
	    cmocka_unit_test_setup(test_loopback_bytes, bench_setup),
	    cmocka_unit_test_setup(test_loopback_modem_lines, bench_setup),
	    cmocka_unit_test_setup(test_out2_gating, bench_setup),
	    cmocka_unit_test(test_char_timeout_rates),
	    cmocka_unit_test_setup(test_char_timeout_conditions, bench_setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
