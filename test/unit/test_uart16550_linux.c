/*
 * devices/uart16550.c driven as stock drivers drive a COM port, access by access:
 * Linux's serial8250 autoconfig (with the 16550A-variant probes), startup with its
 * THRE and TXEN tests, set_termios, interrupt-driven transmit and receive and the
 * console; SeaBIOS's port detection. Each must conclude "plain 16550A, no bugs".
 */
#include "test/unit/uart16550_fixture.h"

/* Linux's names, so the sequences read as drivers/tty/serial/8250/8250_port.c does. */
#define UART_EFR	      2 /* where a 16650's EFR would be: our IIR/FCR */
#define UART_LCR_CONF_MODE_A  0x80
#define UART_LCR_CONF_MODE_B  0xbf
#define UART_FCR7_64BYTE      0x20
#define UART_IER_UUE	      0x40
#define UART_IIR_FIFO_ENABLED 0xc0
#define UART_IIR_FIFO_16750   0xe0
#define UART_FCR_CLEAR_BOTH   (UART_FCR_RX_RESET | UART_FCR_TX_RESET)
#define UART_LSR_BOTH_EMPTY   (UART_LSR_THRE | UART_LSR_TEMT)

static void clear_fifos(void)
{
	wr(UART_FCR, UART_FCR_ENABLE);
	wr(UART_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR_BOTH);
	wr(UART_FCR, 0);
}

static uint16_t dl_read(void)
{
	return (uint16_t)(rd(UART_DLL) | rd(UART_DLM) << 8);
}

static void dl_write(uint16_t dl)
{
	wr(UART_DLL, (uint8_t)dl);
	wr(UART_DLM, (uint8_t)(dl >> 8));
}

static unsigned size_fifo(void)
{
	uint8_t old_lcr = rd(UART_LCR), old_fcr, old_mcr;
	uint16_t old_dl;
	unsigned count;

	wr(UART_LCR, 0);
	old_fcr = rd(UART_FCR); /* reads the IIR, as Linux does */
	old_mcr = rd(UART_MCR);
	wr(UART_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR_BOTH);
	wr(UART_MCR, UART_MCR_LOOP);
	wr(UART_LCR, UART_LCR_CONF_MODE_A);
	old_dl = dl_read();
	dl_write(1);
	wr(UART_LCR, 0x03);
	for (count = 0; count < 256; count++)
		wr(UART_THR, (uint8_t)count);
	b.now += 20000000; /* mdelay(20) */
	for (count = 0; (rd(UART_LSR) & UART_LSR_DR) && count < 256; count++)
		assert_int_equal(rd(UART_RBR), count); /* the first 16 looped back, in order */
	wr(UART_FCR, old_fcr);
	wr(UART_MCR, old_mcr);
	wr(UART_LCR, UART_LCR_CONF_MODE_A);
	dl_write(old_dl);
	wr(UART_LCR, old_lcr);
	return count;
}

/* autoconfig_16550a(): every test a 16650, 16750, NS SuperIO, XScale or U6 would pass. */
static void autoconfig_16550a(void)
{
	uint8_t status1, status2, iersave;

	wr(UART_LCR, UART_LCR_CONF_MODE_A);
	assert_int_not_equal(rd(UART_EFR), 0); /* no EFRv1 (ST16C650V1) */
	wr(UART_LCR, UART_LCR_CONF_MODE_B);
	assert_int_not_equal(rd(UART_EFR), 0); /* no EFRv2 */

	wr(UART_LCR, 0);
	status1 = rd(UART_MCR);
	wr(UART_LCR, 0xe0);
	status2 = rd(0x02); /* EXCR1 on a National SuperIO */
	assert_false((status2 ^ status1) & UART_MCR_LOOP);
	wr(UART_LCR, 0);
	wr(UART_MCR, status1 ^ UART_MCR_LOOP);
	wr(UART_LCR, 0xe0);
	status2 = rd(0x02);
	wr(UART_LCR, 0);
	wr(UART_MCR, status1);
	assert_false((status2 ^ status1) & UART_MCR_LOOP); /* not an NS16550A */

	wr(UART_LCR, 0);
	wr(UART_FCR, UART_FCR_ENABLE | UART_FCR7_64BYTE);
	status1 = rd(UART_IIR) & UART_IIR_FIFO_16750;
	wr(UART_FCR, UART_FCR_ENABLE);
	wr(UART_LCR, UART_LCR_CONF_MODE_A);
	wr(UART_FCR, UART_FCR_ENABLE | UART_FCR7_64BYTE);
	status2 = rd(UART_IIR) & UART_IIR_FIFO_16750;
	wr(UART_FCR, UART_FCR_ENABLE);
	wr(UART_LCR, 0);
	assert_int_equal(status1, UART_IIR_FIFO_ENABLED);
	assert_int_equal(status2, UART_IIR_FIFO_ENABLED); /* no 64-byte FIFO: not a 16750 */

	iersave = rd(UART_IER);
	wr(UART_IER, iersave & ~UART_IER_UUE);
	assert_false(rd(UART_IER) & UART_IER_UUE);
	wr(UART_IER, iersave | UART_IER_UUE);
	assert_false(rd(UART_IER) & UART_IER_UUE); /* not an XScale */
	wr(UART_IER, iersave);

	assert_int_equal(size_fifo(), 16); /* not a U6 16550A (64) */
}

static void autoconfig(void)
{
	uint8_t scratch, scratch2, scratch3, save_mcr, save_lcr;

	scratch = rd(UART_IER);
	wr(UART_IER, 0);
	scratch2 = rd(UART_IER) & 0x0f;
	wr(UART_IER, 0x0f);
	scratch3 = rd(UART_IER) & 0x0f;
	wr(UART_IER, scratch);
	assert_int_equal(scratch2, 0);
	assert_int_equal(scratch3, 0x0f);

	save_mcr = rd(UART_MCR);
	save_lcr = rd(UART_LCR);
	wr(UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2 | UART_MCR_RTS);
	assert_int_equal(rd(UART_MSR) & 0xf0, UART_MSR_DCD | UART_MSR_CTS);
	wr(UART_MCR, save_mcr);

	wr(UART_LCR, UART_LCR_CONF_MODE_B);
	wr(UART_EFR, 0);
	wr(UART_LCR, 0);
	wr(UART_FCR, UART_FCR_ENABLE);
	assert_int_equal(rd(UART_IIR) & UART_IIR_FIFO_ENABLED, UART_IIR_FIFO_ENABLED); /* 16550A */
	autoconfig_16550a();

	wr(UART_LCR, save_lcr);
	wr(UART_MCR, save_mcr);
	clear_fifos();
	rd(UART_RBR);
	wr(UART_IER, 0);
}

/* As SeaBIOS and a boot loader leave COM1: 115200 8N1, DTR|RTS, interrupts off. */
static void firmware_setup(void)
{
	wr(UART_LCR, 0x83);
	dl_write(1);
	wr(UART_LCR, 0x03);
	wr(UART_MCR, UART_MCR_DTR | UART_MCR_RTS);
}

static void test_linux_autoconfig(void **state)
{
	firmware_setup();
	autoconfig();
	assert_int_equal(b.nsent, 0); /* loopback bytes never reach the line */
	assert_int_equal(b.rises, 0); /* OUT2 only ever set in loopback: the pin stayed off */
	assert_int_equal(rd(UART_LCR), 0x03);
	assert_int_equal(rd(UART_MCR), UART_MCR_DTR | UART_MCR_RTS);
	assert_int_equal(rd(UART_IIR), 0x01); /* FIFOs off again */
	assert_int_equal(rd(UART_LSR), 0x60);
	wr(UART_LCR, 0x83);
	assert_int_equal(dl_read(), 1); /* size_fifo() put the divisor back */
	wr(UART_LCR, 0x03);
	/* autoconfig_8250()'s scratch test, which a 16450 passes too. */
	wr(UART_SCR, 0xa5);
	assert_int_equal(rd(UART_SCR), 0xa5);
	wr(UART_SCR, 0x5a);
	assert_int_equal(rd(UART_SCR), 0x5a);
}

/* serial8250_do_startup() up to the IER shadow, with irq 4 not shared. */
static void startup(void)
{
	uint8_t iir1, iir, lsr;

	clear_fifos();
	rd(UART_LSR);
	rd(UART_RBR);
	rd(UART_IIR);
	rd(UART_MSR);
	assert_int_not_equal(rd(UART_LSR), 0xff);

	/* The THRE test: a real 16550 re-asserts THRE when IER.THRI is set again. */
	assert_true(rd(UART_LSR) & UART_LSR_THRE);
	wr(UART_IER, UART_IER_THRE);
	iir1 = rd(UART_IIR);
	wr(UART_IER, 0);
	wr(UART_IER, UART_IER_THRE);
	iir = rd(UART_IIR);
	wr(UART_IER, 0);
	assert_int_equal(iir1, UART_IIR_THRE);
	assert_int_equal(iir, UART_IIR_THRE);
	assert_false(!(iir1 & UART_IIR_NONE) && (iir & UART_IIR_NONE)); /* no UART_BUG_THRE */

	wr(UART_LCR, 0x03);
	wr(UART_MCR, UART_MCR_OUT2); /* "Most PC uarts need OUT2 raised" */
	assert_false(b.level);

	/* The TXEN test. */
	wr(UART_IER, UART_IER_THRE);
	assert_true(b.level);
	lsr = rd(UART_LSR);
	iir = rd(UART_IIR);
	assert_false(b.level);
	wr(UART_IER, 0);
	assert_false((lsr & UART_LSR_TEMT) && (iir & UART_IIR_NONE)); /* no UART_BUG_TXEN */

	rd(UART_LSR);
	rd(UART_RBR);
	rd(UART_IIR);
	rd(UART_MSR);
}

/* serial8250_do_set_termios() for 115200 8N1 with the 16550A's FCR, then dtr_rts. */
static void set_termios(void)
{
	wr(UART_LCR, 0x03 | UART_LCR_DLAB);
	dl_write(1);
	wr(UART_LCR, 0x03);
	wr(UART_FCR, UART_FCR_ENABLE);
	wr(UART_FCR, UART_FCR_ENABLE | 0x80); /* UART_FCR_R_TRIG_10: 8 bytes */
	wr(UART_IER, UART_IER_RLS | UART_IER_RDA);
	wr(UART_MCR, UART_MCR_OUT2 | UART_MCR_DTR | UART_MCR_RTS);
}

/* serial8250_handle_irq(): returns false when the IIR said "none". */
static bool handle_irq(const char **tx, uint8_t *ier, char *rx, unsigned *nrx)
{
	uint8_t iir = rd(UART_IIR), lsr;

	if (iir & UART_IIR_NONE)
		return false;
	lsr = rd(UART_LSR);
	while (lsr & (UART_LSR_DR | UART_LSR_BI)) {
		rx[(*nrx)++] = (char)rd(UART_RBR);
		lsr = rd(UART_LSR);
	}
	rd(UART_MSR);
	if ((lsr & UART_LSR_THRE) && (*ier & UART_IER_THRE)) {
		for (unsigned n = 0; n < 16 && **tx; n++)
			wr(UART_THR, (uint8_t) * (*tx)++);
		if (!**tx) {
			*ier &= (uint8_t)~UART_IER_THRE; /* __stop_tx */
			wr(UART_IER, *ier);
		}
	}
	return true;
}

static void test_linux_startup_and_irq_io(void **state)
{
	const char *tx = "hello, kestrel: twenty-six";
	uint8_t ier = UART_IER_RLS | UART_IER_RDA;
	char rx[32] = {0};
	unsigned nrx = 0, passes = 0;

	firmware_setup();
	autoconfig();
	startup();
	set_termios();
	assert_int_equal(rd(UART_IIR), 0xc1);
	assert_false(b.level);

	/* start_tx, then the interrupt handler until the IIR is clear. */
	ier |= UART_IER_THRE;
	wr(UART_IER, ier);
	assert_true(b.level);
	while (handle_irq(&tx, &ier, rx, &nrx))
		passes++;
	assert_int_equal(passes, 2); /* 16 bytes, then the last 10 */
	assert_int_equal(b.nsent, 26);
	assert_memory_equal(b.sent, "hello, kestrel: twenty-six", 26);
	assert_false(b.level);
	assert_int_equal(rd(UART_IER), UART_IER_RLS | UART_IER_RDA);

	/* Receive three bytes, below the trigger: the character timeout brings them in. */
	b.now = 5000000;
	for (const char *p = "ls\r"; *p; p++) {
		assert_true(host_sends((uint8_t)*p));
		b.now += 86806; /* a character time at 115200 8N1 */
	}
	assert_false(b.level);
	uint64_t due = uart_next_event(&b.u);
	assert_int_equal(due, 5000000 + 2 * 86806 + 347223);
	uart_advance(&b.u, due);
	assert_true(b.level);
	b.now = due;
	assert_true(handle_irq(&tx, &ier, rx, &nrx));
	assert_false(handle_irq(&tx, &ier, rx, &nrx));
	assert_int_equal(nrx, 3);
	assert_memory_equal(rx, "ls\r", 3);
	assert_false(b.level);
	assert_int_equal(uart_next_event(&b.u), UINT64_MAX);
}

/* serial8250_console_write(): IER off, poll BOTH_EMPTY around each byte, IER back. */
static void test_linux_console_write(void **state)
{
	firmware_setup();
	startup();
	set_termios();
	uint8_t ier = rd(UART_IER);

	wr(UART_IER, 0);
	for (const char *p = "[    0.000000] Linux"; *p; p++) {
		assert_int_equal(rd(UART_LSR) & UART_LSR_BOTH_EMPTY, UART_LSR_BOTH_EMPTY);
		wr(UART_THR, (uint8_t)*p);
	}
	assert_int_equal(rd(UART_LSR) & UART_LSR_BOTH_EMPTY, UART_LSR_BOTH_EMPTY);
	wr(UART_IER, ier);
	assert_int_equal(b.nsent, 20);
	assert_memory_equal(b.sent, "[    0.000000] Linux", 20);
	assert_int_equal(rd(UART_IIR), 0xc1); /* IER.THRI stayed off: nothing raised */
	assert_false(b.level);
}

/* SeaBIOS detect_serial(): IER reads back and THRE shows in the IIR at once. */
static void test_seabios_detect(void **state)
{
	wr(UART_IER, 0x02);
	assert_int_equal(rd(UART_IER), 0x02);
	assert_int_equal(rd(UART_IIR) & 0x3f, 0x02);
	wr(UART_IER, 0x00);
	assert_int_equal(rd(UART_IIR), 0x01);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_linux_autoconfig, bench_setup),
	    cmocka_unit_test_setup(test_linux_startup_and_irq_io, bench_setup),
	    cmocka_unit_test_setup(test_linux_console_write, bench_setup),
	    cmocka_unit_test_setup(test_seabios_detect, bench_setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
