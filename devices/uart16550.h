/*
 * A 16550A UART (National PC16550D register set), wired as a PC COM port: registers,
 * a 16-byte receive FIFO, the interrupt pin (gated by OUT2), no line-speed emulation.
 * Callers: the VM's port-I/O glue, the host console and the VM's timer loop, serialised.
 */
#ifndef DEVICES_UART16550_H
#define DEVICES_UART16550_H

#include "lib/types.h"
#include "vm/irq.h"

#define UART_COM1_BASE 0x3f8
#define UART_COM1_IRQ  4
#define UART_NR_PORTS  8
#define UART_FIFO_SIZE 16

/* Offsets from the base port; DLL/DLM replace RBR-THR/IER while LCR.DLAB is set. */
#define UART_RBR 0 /* read */
#define UART_THR 0 /* write */
#define UART_DLL 0
#define UART_IER 1
#define UART_DLM 1
#define UART_IIR 2 /* read */
#define UART_FCR 2 /* write */
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7

#define UART_IER_RDA  BIT(0) /* received data available (and character timeout) */
#define UART_IER_THRE BIT(1) /* transmitter holding register empty */
#define UART_IER_RLS  BIT(2) /* receiver line status */
#define UART_IER_MSI  BIT(3) /* modem status */
#define UART_IER_MASK GENMASK(3, 0)

#define UART_IIR_NONE  BIT(0) /* no interrupt pending */
#define UART_IIR_ID    GENMASK(3, 1)
#define UART_IIR_MSI   0x00
#define UART_IIR_THRE  0x02
#define UART_IIR_RDA   0x04
#define UART_IIR_RLS   0x06
#define UART_IIR_CTI   0x0c	     /* character timeout */
#define UART_IIR_FIFOS GENMASK(7, 6) /* both set while FCR.ENABLE is */

#define UART_FCR_ENABLE	  BIT(0)
#define UART_FCR_RX_RESET BIT(1)
#define UART_FCR_TX_RESET BIT(2)
#define UART_FCR_DMA	  BIT(3) /* RXRDY/TXRDY pin mode: no pins here */
#define UART_FCR_TRIGGER  GENMASK(7, 6)

#define UART_LCR_WLEN	GENMASK(1, 0) /* data bits - 5 */
#define UART_LCR_STOP	BIT(2)	      /* 2 stop bits (1.5 with 5 data bits) */
#define UART_LCR_PARITY BIT(3)
#define UART_LCR_EPS	BIT(4)
#define UART_LCR_STICK	BIT(5)
#define UART_LCR_BREAK	BIT(6)
#define UART_LCR_DLAB	BIT(7)

#define UART_MCR_DTR  BIT(0)
#define UART_MCR_RTS  BIT(1)
#define UART_MCR_OUT1 BIT(2)
#define UART_MCR_OUT2 BIT(3) /* on a PC: enables the IRQ driver */
#define UART_MCR_LOOP BIT(4)
#define UART_MCR_MASK GENMASK(4, 0)

#define UART_LSR_DR	 BIT(0)
#define UART_LSR_OE	 BIT(1)
#define UART_LSR_PE	 BIT(2)
#define UART_LSR_FE	 BIT(3)
#define UART_LSR_BI	 BIT(4)
#define UART_LSR_THRE	 BIT(5)
#define UART_LSR_TEMT	 BIT(6)
#define UART_LSR_FIFOERR BIT(7) /* FIFO mode: a PE/FE/BI byte is in the FIFO */
#define UART_LSR_ERRORS	 (UART_LSR_OE | UART_LSR_PE | UART_LSR_FE | UART_LSR_BI)

#define UART_MSR_DCTS  BIT(0)
#define UART_MSR_DDSR  BIT(1)
#define UART_MSR_TERI  BIT(2) /* RI went from on to off */
#define UART_MSR_DDCD  BIT(3)
#define UART_MSR_CTS   BIT(4)
#define UART_MSR_DSR   BIT(5)
#define UART_MSR_RI    BIT(6)
#define UART_MSR_DCD   BIT(7)
#define UART_MSR_DELTA GENMASK(3, 0)

/*
 * The far end is a null-modem cable to a host that is always ready: its RTS and DTR
 * hold our CTS, DSR and DCD on; nothing rings.
 */
#define UART_MSR_CABLE (UART_MSR_CTS | UART_MSR_DSR | UART_MSR_DCD)

/* The chip; uart_reset clears all of it. */
struct uart_chip {
	uint8_t ier, lcr, mcr, scr;
	uint8_t fcr;	  /* ENABLE, DMA and TRIGGER as last programmed; 0 in 16450 mode */
	uint16_t divisor; /* DLM:DLL */
	uint8_t lsr_err;  /* UART_LSR_ERRORS latched until the LSR is read */
	uint8_t msr;	  /* modem inputs (7:4) and their deltas (3:0) */
	bool thre_pending;
	bool timeout; /* the character timeout indication */
	uint8_t rbr;  /* what an RBR read gives when the FIFO is empty: the last byte */
	uint8_t rx_head, rx_count;
	uint8_t rx_data[UART_FIFO_SIZE];
	uint8_t rx_flags[UART_FIFO_SIZE]; /* PE/FE/BI that came with each byte */
	uint64_t rx_stamp; /* last byte received or read: the timeout timer's start */
};

/*
 * Invariants: rx_count <= 16 with FIFOs on, <= 1 off; the FIFO's bytes are
 * rx_data[(rx_head + i) % 16] for i < rx_count; rx_flags of a slot outside them is 0;
 * irq_level is the level last driven on irq.
 */
struct uart {
	uint64_t tsc_hz;
	void (*tx)(void *ctx, uint8_t byte);
	void *tx_ctx;
	struct irq_line irq;
	bool irq_level;
	struct uart_chip s;
};

/*
 * Store the wiring and reset. tx gets each byte the guest transmits (loopback
 * excepted), at once.
 * @pre tsc_hz > 0; tx may be NULL (bytes dropped); tx must not call back into u.
 */
void uart_init(struct uart *u, uint64_t tsc_hz, void (*tx)(void *ctx, uint8_t byte), void *tx_ctx,
	       struct irq_line irq);

/*
 * Power-on state: IER=0, IIR=0x01, FCR=0 (16450 mode), LCR=0, MCR=0, LSR=0x60,
 * MSR=0xb0 (the cable's lines, no deltas), SCR=0, divisor 12 (9600 baud; the
 * datasheet leaves SCR and the divisor undefined). Lowers the pin if it was high.
 */
void uart_reset(struct uart *u);

/*
 * Port access at off (0..7 from the base). Other offsets read 0xff and ignore
 * writes. Return 0.
 * @pre now never goes backwards across calls on u.
 */
int uart_read(struct uart *u, uint16_t off, uint64_t now, uint8_t *val);
int uart_write(struct uart *u, uint16_t off, uint64_t now, uint8_t val);

/*
 * A byte arrives on the line. Returns true when it is in the receiver with nothing
 * lost. False: in loopback (the line input is disconnected; nothing changes), or an
 * overrun: LSR.OE is set and, as the datasheet has it, with FIFOs on the arriving
 * byte is dropped, in 16450 mode it replaces the unread one.
 */
bool uart_receive(struct uart *u, uint8_t byte, uint64_t now);

/* A break on the line: a 0 byte flagged BI (same return as uart_receive). */
bool uart_receive_break(struct uart *u, uint64_t now);

/* Bytes uart_receive takes without an overrun (0 in loopback): how the host paces input. */
unsigned uart_rx_room(const struct uart *u);

/* The TSC at which the character timeout would change the pin, or UINT64_MAX. */
uint64_t uart_next_event(const struct uart *u);

/* Bring the timeout to now and drive the pin. @pre now never goes backwards. */
void uart_advance(struct uart *u, uint64_t now);

#endif
