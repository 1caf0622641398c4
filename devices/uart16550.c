/*
 * The 16550A UART model (PC16550D datasheet). Every entry point first brings the
 * character timeout to `now` (uart_sync), then acts, then drives the pin (update_irq).
 * The transmitter is instantaneous: THR and the shift register are always empty again
 * by the time a THR write returns, so LSR reads THRE|TEMT and THRE re-arms at once.
 */
#include "devices/uart16550.h"
#include "lib/string.h"

#define UART_BAUD_BASE 115200 /* 1.8432 MHz / 16: baud = UART_BAUD_BASE / divisor */

static bool fifo_on(const struct uart *u)
{
	return u->s.fcr & UART_FCR_ENABLE;
}

static unsigned rx_capacity(const struct uart *u)
{
	return fifo_on(u) ? UART_FIFO_SIZE : 1; /* 16450 mode: the RBR alone */
}

static unsigned rx_trigger(const struct uart *u)
{
	static const uint8_t levels[4] = {1, 4, 8, 14};

	return fifo_on(u) ? levels[(u->s.fcr & UART_FCR_TRIGGER) >> 6] : 1;
}

static bool loopback(const struct uart *u)
{
	return u->s.mcr & UART_MCR_LOOP;
}

/*
 * Four character times in TSC ticks, rounded up. A character is a start bit, 5-8 data
 * bits, an optional parity bit and 1, 1.5 or 2 stop bits: counted in half bits. A
 * divisor of 0 is not a rate the datasheet gives; the 16-bit counter makes it 65536.
 */
static uint64_t timeout_ticks(const struct uart *u)
{
	unsigned data = 5 + (u->s.lcr & UART_LCR_WLEN);
	unsigned stop2 = (u->s.lcr & UART_LCR_STOP) ? (data == 5 ? 3 : 4) : 2;
	unsigned half_bits = 2 * (1 + data) + ((u->s.lcr & UART_LCR_PARITY) ? 2 : 0) + stop2;
	uint64_t divisor = u->s.divisor ? u->s.divisor : 65536;
	unsigned __int128 num = (unsigned __int128)(2 * half_bits) * divisor * u->tsc_hz;

	return (uint64_t)((num + UART_BAUD_BASE - 1) / UART_BAUD_BASE);
}

static uint64_t timeout_deadline(const struct uart *u)
{
	uint64_t t = timeout_ticks(u);

	return u->s.rx_stamp > UINT64_MAX - t ? UINT64_MAX : u->s.rx_stamp + t;
}

/*
 * The timeout indication: FIFO mode, at least one byte waiting, and neither a byte
 * received nor one read for four character times.
 */
static void uart_sync(struct uart *u, uint64_t now)
{
	if (fifo_on(u) && u->s.rx_count && !u->s.timeout && now >= timeout_deadline(u))
		u->s.timeout = true;
}

/* The highest-priority enabled source, as the IIR's bits 3:0 give it. */
static uint8_t iir_id(const struct uart *u)
{
	const struct uart_chip *s = &u->s;

	if ((s->ier & UART_IER_RLS) && s->lsr_err)
		return UART_IIR_RLS;
	if ((s->ier & UART_IER_RDA) && s->rx_count >= rx_trigger(u))
		return UART_IIR_RDA;
	if ((s->ier & UART_IER_RDA) && s->timeout)
		return UART_IIR_CTI;
	if ((s->ier & UART_IER_THRE) && s->thre_pending)
		return UART_IIR_THRE;
	if ((s->ier & UART_IER_MSI) && (s->msr & UART_MSR_DELTA))
		return UART_IIR_MSI;
	return UART_IIR_NONE;
}

/*
 * PC wiring: the OUT2 pin enables the buffer between INTR and the IRQ line. Loopback
 * forces the modem output pins inactive, so it closes that gate too.
 */
static bool irq_gate_open(const struct uart *u)
{
	return (u->s.mcr & UART_MCR_OUT2) && !loopback(u);
}

static void update_irq(struct uart *u)
{
	bool level = iir_id(u) != UART_IIR_NONE && irq_gate_open(u);

	if (level != u->irq_level) {
		u->irq_level = level;
		irq_line_set(&u->irq, level);
	}
}

/* The byte at the head becomes the one the LSR reports on. */
static void rx_head_arrived(struct uart *u)
{
	u->s.lsr_err |= u->s.rx_flags[u->s.rx_head];
}

static void rx_clear(struct uart *u)
{
	u->s.rx_head = 0;
	u->s.rx_count = 0;
	u->s.timeout = false;
	memset(u->s.rx_flags, 0, sizeof(u->s.rx_flags));
}

static bool rx_push(struct uart *u, uint8_t byte, uint8_t flags, uint64_t now)
{
	struct uart_chip *s = &u->s;

	s->rx_stamp = now; /* a timeout that has fired stays until an RBR read */
	if (s->rx_count == rx_capacity(u)) {
		s->lsr_err |= UART_LSR_OE;
		if (fifo_on(u))
			return false; /* the shift register is overwritten, never moved in */
		s->rx_data[s->rx_head] = byte; /* the RBR is: its old byte is destroyed */
		s->rx_flags[s->rx_head] = flags;
		rx_head_arrived(u);
		return false;
	}
	unsigned slot = (s->rx_head + s->rx_count) % UART_FIFO_SIZE;
	s->rx_data[slot] = byte;
	s->rx_flags[slot] = flags;
	if (s->rx_count++ == 0)
		rx_head_arrived(u);
	return true;
}

static uint8_t rx_pop(struct uart *u, uint64_t now)
{
	struct uart_chip *s = &u->s;

	if (s->rx_count) {
		s->rbr = s->rx_data[s->rx_head];
		s->rx_flags[s->rx_head] = 0;
		s->rx_head = (uint8_t)((s->rx_head + 1) % UART_FIFO_SIZE);
		if (--s->rx_count)
			rx_head_arrived(u);
	}
	s->timeout = false;
	s->rx_stamp = now;
	return s->rbr;
}

static bool rx_has_error(const struct uart *u)
{
	for (unsigned i = 0; i < u->s.rx_count; i++)
		if (u->s.rx_flags[(u->s.rx_head + i) % UART_FIFO_SIZE])
			return true;
	return false;
}

/* Reading the LSR reports, then clears, the errors; the head byte's are now told. */
static uint8_t read_lsr(struct uart *u)
{
	uint8_t v = UART_LSR_THRE | UART_LSR_TEMT | u->s.lsr_err;

	if (u->s.rx_count)
		v |= UART_LSR_DR;
	if (fifo_on(u) && rx_has_error(u))
		v |= UART_LSR_FIFOERR;
	u->s.lsr_err = 0;
	if (u->s.rx_count)
		u->s.rx_flags[u->s.rx_head] = 0;
	return v;
}

static uint8_t read_iir(struct uart *u)
{
	uint8_t id = iir_id(u);

	if (id == UART_IIR_THRE) /* reading the IIR is what acknowledges THRE */
		u->s.thre_pending = false;
	return id | (fifo_on(u) ? UART_IIR_FIFOS : 0);
}

static uint8_t read_msr(struct uart *u)
{
	uint8_t v = u->s.msr;

	u->s.msr &= (uint8_t)~UART_MSR_DELTA;
	return v;
}

/* The modem inputs: the cable's, or in loopback the MCR outputs wired back. */
static uint8_t msr_inputs(const struct uart *u)
{
	uint8_t m = u->s.mcr, in = 0;

	if (!loopback(u))
		return UART_MSR_CABLE;
	if (m & UART_MCR_RTS)
		in |= UART_MSR_CTS;
	if (m & UART_MCR_DTR)
		in |= UART_MSR_DSR;
	if (m & UART_MCR_OUT1)
		in |= UART_MSR_RI;
	if (m & UART_MCR_OUT2)
		in |= UART_MSR_DCD;
	return in;
}

static void write_mcr(struct uart *u, uint8_t val)
{
	uint8_t old = u->s.msr & ~UART_MSR_DELTA, in, changed, delta = 0;

	u->s.mcr = val & UART_MCR_MASK;
	in = msr_inputs(u);
	changed = old ^ in;
	if (changed & UART_MSR_CTS)
		delta |= UART_MSR_DCTS;
	if (changed & UART_MSR_DSR)
		delta |= UART_MSR_DDSR;
	if (changed & old & UART_MSR_RI) /* trailing edge only */
		delta |= UART_MSR_TERI;
	if (changed & UART_MSR_DCD)
		delta |= UART_MSR_DDCD;
	u->s.msr = (uint8_t)(in | (u->s.msr & UART_MSR_DELTA) | delta);
}

static void write_ier(struct uart *u, uint8_t val)
{
	uint8_t old = u->s.ier;

	u->s.ier = val & UART_IER_MASK;
	/* Enabling THRE while the THR is empty (it always is) raises it anew. */
	if (!(old & UART_IER_THRE) && (u->s.ier & UART_IER_THRE))
		u->s.thre_pending = true;
}

/* FCR bits other than ENABLE are only programmed by a write that has ENABLE set. */
static void write_fcr(struct uart *u, uint8_t val)
{
	bool on = val & UART_FCR_ENABLE;

	if (on != fifo_on(u)) {
		/* Switching modes empties the FIFOs; the next THRE interrupt is immediate. */
		rx_clear(u);
		u->s.thre_pending = true;
	}
	u->s.fcr = on ? (uint8_t)(val & (UART_FCR_ENABLE | UART_FCR_DMA | UART_FCR_TRIGGER)) : 0;
	if (on && (val & UART_FCR_RX_RESET))
		rx_clear(u);
	/* UART_FCR_TX_RESET: the transmit FIFO is always empty already. */
}

/*
 * Writing the THR drops INTR if THRE held it; the byte leaves at once, the THR is
 * empty again and THRE is pending anew: the pin pulses low as a real one does for
 * the character's first bit time.
 */
static void write_thr(struct uart *u, uint8_t val, uint64_t now)
{
	u->s.thre_pending = false;
	update_irq(u);
	if (loopback(u))
		rx_push(u, val, 0, now);
	else if (u->tx)
		u->tx(u->tx_ctx, val);
	u->s.thre_pending = true;
}

void uart_reset(struct uart *u)
{
	memset(&u->s, 0, sizeof(u->s));
	u->s.divisor = 12;
	u->s.msr = msr_inputs(u);
	update_irq(u);
}

void uart_init(struct uart *u, uint64_t tsc_hz, void (*tx)(void *ctx, uint8_t byte), void *tx_ctx,
	       struct irq_line irq)
{
	memset(u, 0, sizeof(*u));
	u->tsc_hz = tsc_hz;
	u->tx = tx;
	u->tx_ctx = tx_ctx;
	u->irq = irq;
	uart_reset(u);
}

static uint8_t read_reg(struct uart *u, uint16_t off, uint64_t now)
{
	bool dlab = u->s.lcr & UART_LCR_DLAB;

	switch (off) {
	case UART_RBR:
		return dlab ? (uint8_t)u->s.divisor : rx_pop(u, now);
	case UART_IER:
		return dlab ? (uint8_t)(u->s.divisor >> 8) : u->s.ier;
	case UART_IIR:
		return read_iir(u);
	case UART_LCR:
		return u->s.lcr;
	case UART_MCR:
		return u->s.mcr;
	case UART_LSR:
		return read_lsr(u);
	case UART_MSR:
		return read_msr(u);
	case UART_SCR:
		return u->s.scr;
	default:
		return 0xff; /* nothing decodes it */
	}
}

int uart_read(struct uart *u, uint16_t off, uint64_t now, uint8_t *val)
{
	uart_sync(u, now);
	*val = read_reg(u, off, now);
	update_irq(u);
	return 0;
}

static void write_reg(struct uart *u, uint16_t off, uint64_t now, uint8_t val)
{
	bool dlab = u->s.lcr & UART_LCR_DLAB;

	switch (off) {
	case UART_THR:
		if (dlab)
			u->s.divisor = (uint16_t)((u->s.divisor & 0xff00) | val);
		else
			write_thr(u, val, now);
		break;
	case UART_IER:
		if (dlab)
			u->s.divisor = (uint16_t)((u->s.divisor & 0x00ff) | (val << 8));
		else
			write_ier(u, val);
		break;
	case UART_FCR:
		write_fcr(u, val);
		break;
	case UART_LCR:
		u->s.lcr = val;
		break;
	case UART_MCR:
		write_mcr(u, val);
		break;
	case UART_SCR:
		u->s.scr = val;
		break;
	default:
		break; /* LSR and MSR are read-only (LSR writes are a factory test) */
	}
}

int uart_write(struct uart *u, uint16_t off, uint64_t now, uint8_t val)
{
	uart_sync(u, now);
	write_reg(u, off, now, val);
	update_irq(u);
	return 0;
}

static bool receive(struct uart *u, uint8_t byte, uint8_t flags, uint64_t now)
{
	bool ok;

	uart_sync(u, now);
	ok = !loopback(u) && rx_push(u, byte, flags, now); /* loopback cuts the line input */
	update_irq(u);
	return ok;
}

bool uart_receive(struct uart *u, uint8_t byte, uint64_t now)
{
	return receive(u, byte, 0, now);
}

bool uart_receive_break(struct uart *u, uint64_t now)
{
	return receive(u, 0, UART_LSR_BI, now);
}

unsigned uart_rx_room(const struct uart *u)
{
	return loopback(u) ? 0 : rx_capacity(u) - u->s.rx_count;
}

/*
 * Only the timeout changes anything by itself, and only the pin matters here: a
 * register read brings the timeout to `now` on its own (uart_sync).
 */
uint64_t uart_next_event(const struct uart *u)
{
	const struct uart_chip *s = &u->s;

	if (!fifo_on(u) || !s->rx_count || s->timeout || !(s->ier & UART_IER_RDA) ||
	    s->rx_count >= rx_trigger(u) || !irq_gate_open(u))
		return UINT64_MAX;
	return timeout_deadline(u);
}

void uart_advance(struct uart *u, uint64_t now)
{
	uart_sync(u, now);
	update_irq(u);
}
