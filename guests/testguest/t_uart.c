/*
 * uart_irq: the 16550A on COM1 driven by interrupts as Linux's 8250 driver drives it: MCR
 * OUT2 set (the PC's IRQ gate), FIFOs on, IRQ 4 through IOAPIC pin 4, a handler that reads
 * IIR until "no interrupt". Transmit: one line through THRE interrupts. Loopback (MCR bit
 * 4), polled: received-data (IIR 0xC4) and character-timeout (0xCC) with the IRQ gated off.
 * Receive (guestargs uart_rx=1): a line typed on the host console, by interrupts.
 * Nothing else may print while the scenario owns the port.
 */
#include "guests/testguest/pc.h"
#include "lib/string.h"

#define UART_RBR      (COM1 + 0)
#define UART_IER      (COM1 + 1)
#define UART_IIR      (COM1 + 2)
#define UART_FCR      (COM1 + 2)
#define UART_LCR      (COM1 + 3)
#define UART_MCR      (COM1 + 4)
#define UART_LSR      (COM1 + 5)
#define UART_MSR      (COM1 + 6)
#define IER_RDI	      BIT(0)
#define IER_THRI      BIT(1)
#define IIR_NONE      BIT(0)
#define IIR_ID	      0x0F
#define IIR_MSI	      0x00
#define IIR_THRI      0x02
#define IIR_RDI	      0x04
#define IIR_RLSI      0x06
#define IIR_CTI	      0x0C
#define IIR_FIFO      0xC0
#define FCR_TX14      0xC7 /* FIFO on, both cleared, receive trigger 14 */
#define FCR_RX4	      0x47 /* FIFO on, both cleared, receive trigger 4 */
#define MCR_BASE      0x0B /* DTR, RTS, OUT2 */
#define MCR_LOOP      BIT(4)
#define LSR_DR	      BIT(0)
#define LSR_TEMT      BIT(6)
#define VEC_UART      0x3C
#define PIN_UART      4
#define FIFO_SIZE     16
#define TX_US	      500000
#define RX_US	      100000
#define HANDLER_LOOPS 8

static const char tx_line[] = "uart_irq: this line was sent by THRE interrupts\n";

static struct {
	unsigned tx_pos, thre_irqs, rx_len, iir_kinds; /* iir_kinds: BIT(IIR & 0xF) seen */
	char rx[32];
	uint8_t bad_iir;
} u;

static void uart_tx_some(void)
{
	for (unsigned i = 0; i < FIFO_SIZE && u.tx_pos < sizeof(tx_line) - 1; i++)
		outb(COM1, (uint8_t)tx_line[u.tx_pos++]);
	if (u.tx_pos == sizeof(tx_line) - 1)
		outb(UART_IER, (uint8_t)(inb(UART_IER) & ~IER_THRI));
}

static void uart_rx_all(void)
{
	while ((inb(UART_LSR) & LSR_DR) && u.rx_len < sizeof(u.rx) - 1)
		u.rx[u.rx_len++] = (char)inb(UART_RBR);
}

static void uart_hook(unsigned vec)
{
	for (unsigned i = 0; i < HANDLER_LOOPS; i++) {
		uint8_t iir = inb(UART_IIR);

		if (iir & IIR_NONE)
			break;
		if ((iir & IIR_FIFO) != IIR_FIFO)
			u.bad_iir = iir;
		u.iir_kinds |= BIT(iir & IIR_ID);
		switch (iir & IIR_ID) {
		case IIR_THRI:
			u.thre_irqs++;
			uart_tx_some();
			break;
		case IIR_RDI:
		case IIR_CTI:
			uart_rx_all();
			break;
		case IIR_RLSI:
			inb(UART_LSR);
			break;
		default:
			inb(UART_MSR);
			break;
		}
	}
	(void)vec;
	lapic_eoi();
}

static bool uart_drain(void)
{
	uint64_t end = rdtsc_ordered() + pc_us_to_tsc(TX_US);

	while (!(inb(UART_LSR) & LSR_TEMT))
		if (rdtsc_ordered() > end)
			return false;
	return true;
}

static bool wait_for(volatile unsigned *v, unsigned want, uint64_t us)
{
	uint64_t end = rdtsc_ordered() + pc_us_to_tsc(us);

	irq_on();
	while (READ_ONCE(*v) < want && rdtsc_ordered() < end)
		cpu_relax();
	irq_off();
	return READ_ONCE(*v) >= want;
}

/* Read IIR until it says @id (noting every kind seen), or RX_US pass. */
static void poll_iir(uint8_t id)
{
	uint64_t end = rdtsc_ordered() + pc_us_to_tsc(RX_US);
	uint8_t iir;

	do {
		iir = inb(UART_IIR);
		u.iir_kinds |= BIT(iir & IIR_ID);
	} while ((iir & IIR_ID) != id && rdtsc_ordered() < end);
}

/*
 * Loopback, polled: 4 bytes reach the trigger (IIR 0xC4), 2 more time out (0xCC). Loopback
 * holds OUT2, the PC's IRQ gate, inactive (16550A datasheet, MCR bit 4), so no interrupt
 * may arrive meanwhile, though IER asks for them.
 */
static void uart_loopback(uint8_t *msr, unsigned *irqs)
{
	unsigned before = irq_count[VEC_UART];

	outb(UART_MCR, MCR_BASE | MCR_LOOP);
	*msr = inb(UART_MSR);
	outb(UART_FCR, FCR_RX4);
	while (inb(UART_LSR) & LSR_DR)
		inb(UART_RBR);
	outb(UART_IER, IER_RDI);
	irq_on();
	for (const char *c = "abcd"; *c; c++)
		outb(COM1, (uint8_t)*c);
	poll_iir(IIR_RDI);
	uart_rx_all(); /* below the trigger again: the next two can only time out */
	for (const char *c = "ef"; *c; c++)
		outb(COM1, (uint8_t)*c);
	poll_iir(IIR_CTI);
	irq_off();
	*irqs = irq_count[VEC_UART] - before;
	uart_rx_all();
	outb(UART_IER, 0);
	outb(UART_MCR, MCR_BASE);
}

/*
 * Receive from the line: the host types RX_TEXT on the console once it sees the prompt
 * (test/integration/cases_platform.py); the bytes arrive by received-data and timeout
 * interrupts. Only run with guestargs uart_rx=1: other runs have nobody typing.
 */
#define RX_TEXT	   "kestrel rx\r"
#define RX_WAIT_US 20000000

static void uart_receive_line(void)
{
	uint64_t end = rdtsc_ordered() + pc_us_to_tsc(RX_WAIT_US);

	u.rx_len = 0;
	memset(u.rx, 0, sizeof(u.rx));
	outb(UART_FCR, FCR_RX4);
	outb(UART_IER, IER_RDI);
	gprintf("uart_irq: type now\n");
	irq_on();
	while ((!u.rx_len || u.rx[u.rx_len - 1] != '\r') && u.rx_len < sizeof(u.rx) - 1 &&
	       rdtsc_ordered() < end)
		cpu_relax();
	irq_off();
	outb(UART_IER, 0);
}
void t_uart_irq(void)
{
	uint8_t mcr = inb(UART_MCR), msr = 0;
	unsigned loop_irqs = 0, rx_irqs;
	char loop_rx[sizeof(u.rx)];
	bool sent, typed = arg_is("uart_rx", "1");

	if (!pc_setup(false))
		return;
	memset(&u, 0, sizeof(u));
	irq_set(VEC_UART, uart_hook);
	ioapic_route(PIN_UART, VEC_UART);
	if (!uart_drain()) {
		t_fail("LSR.TEMT never set: the console does not drain");
		return;
	}
	outb(UART_IER, 0);
	outb(UART_FCR, FCR_TX14);
	outb(UART_MCR, MCR_BASE);
	irq_clear_counts();
	outb(UART_IER, IER_THRI); /* THR empty: the interrupt comes at once */
	sent = wait_for(&u.tx_pos, sizeof(tx_line) - 1, TX_US);
	uart_drain();
	outb(UART_IER, 0);
	uart_loopback(&msr, &loop_irqs);
	memcpy(loop_rx, u.rx, sizeof(loop_rx));
	rx_irqs = irq_count[VEC_UART];
	if (typed)
		uart_receive_line();
	rx_irqs = irq_count[VEC_UART] - rx_irqs;
	outb(UART_FCR, FCR_TX14);
	outb(UART_MCR, mcr | MCR_BASE);
	pc_teardown();
	gprintf("uart_irq: %u THRE interrupts, IIR kinds 0x%x, loopback MSR 0x%02x, loopback rx "
		"\"%s\" with %u interrupts\n",
		u.thre_irqs, u.iir_kinds, msr, loop_rx, loop_irqs);
	if (!sent)
		t_fail("transmit: %u of %u bytes sent by THRE interrupts", u.tx_pos,
		       (unsigned)sizeof(tx_line) - 1);
	if (u.thre_irqs < (sizeof(tx_line) - 1 + FIFO_SIZE - 1) / FIFO_SIZE)
		t_fail("%u THRE interrupts for %u bytes", u.thre_irqs,
		       (unsigned)sizeof(tx_line) - 1);
	t_expect("loopback MSR (DTR->DSR, RTS->CTS, OUT2->DCD)", msr & 0xF0, 0xB0);
	if (strcmp(loop_rx, "abcdef"))
		t_fail("loopback received \"%s\", want \"abcdef\"", loop_rx);
	t_expect("interrupts in loopback (OUT2 gate closed)", loop_irqs, 0);
	t_expect("IIR 0xc4 (received data) seen polling", !!(u.iir_kinds & BIT(IIR_RDI)), 1);
	t_expect("IIR 0xcc (character timeout) seen polling", !!(u.iir_kinds & BIT(IIR_CTI)), 1);
	t_expect("IIR 0xc2 (THR empty) seen", !!(u.iir_kinds & BIT(IIR_THRI)), 1);
	t_expect("IIR without FIFO bits 7:6", u.bad_iir, 0);
	if (typed) {
		bool same = !strcmp(u.rx, RX_TEXT);

		if (u.rx_len && u.rx[u.rx_len - 1] == '\r')
			u.rx[u.rx_len - 1] = '\0'; /* the console drops a CR: show the rest */
		gprintf("uart_irq: received \"%s\" and CR by %u interrupts\n", u.rx, rx_irqs);
		if (!same)
			t_fail("received \"%s\" (CR cut), want \"%s\" and CR", u.rx, RX_TEXT);
		/*
		 * The bytes may come in one burst (the hypervisor hands over what waits in the
		 * host UART): one received-data interrupt at least, whatever the timing.
		 */
		if (!rx_irqs)
			t_fail("no receive interrupt for %u bytes", (unsigned)strlen(RX_TEXT));
	}
	t_expect("unexpected interrupts", irq_unexpected(), 0);
}
