/*
 * The 8254 programmable interval timer at 0x40-0x43 and the PC's port 0x61
 * (channel 2 gate, speaker data, refresh toggle, channel 2 OUT). Channel 0's
 * OUT drives irq0; channel 1 counts but drives nothing; channel 2's OUT is
 * read through 0x61. Pure state machine, time given as guest TSC; the caller
 * serialises all calls and never lets `now` go backwards.
 */
#ifndef DEVICES_PIT_H
#define DEVICES_PIT_H

#include "lib/types.h"
#include "vm/irq.h"

#define PIT_HZ	      1193182u /* input clock of every channel */
#define PIT_PORT_CH0  0x40
#define PIT_PORT_CTRL 0x43
#define PIT_PORT_61   0x61

enum pit_state {
	PIT_IDLE,  /* no count since the control word (or mode 0 half-written) */
	PIT_ARMED, /* modes 1 and 5: count written, waiting for a gate trigger */
	PIT_RUN,   /* counting since clock `load` */
	PIT_HELD,  /* gate low: stopped after `held` clocks */
};

/*
 * One counter. Time is in PIT clocks since TSC 0 (all channels share one CLK).
 * Invariants: 1 <= n, cr_n <= modulus (65536, or 10000 in BCD), and >= 2 in
 * modes 2 and 3; in PIT_RUN the counter at clock c >= load has counted
 * k = c - load + phase clocks and its count and OUT are pure functions of
 * (mode, n, k); a pending reload (modes 2, 3) replaces (load, n, phase) by
 * (pend_at, cr_n, pend_phase) from clock pend_at, a half-cycle boundary.
 */
struct pit_channel {
	uint64_t load;	  /* clock at which the counting element took n */
	uint64_t held;	  /* clocks counted when the gate stopped it */
	uint64_t pend_at; /* clock of the pending reload */
	uint64_t xfer_at; /* clock the count register reaches the counting element */
	uint64_t phase;	  /* clocks already counted at load (gate resume, mode 3 reload) */
	uint64_t pend_phase;
	uint32_t n;	  /* count in the counting element */
	uint32_t cr_n;	  /* count register: the count of the next load */
	uint16_t ce_idle; /* what reads show while not counting */
	uint16_t ol;	  /* output latch, as read (BCD encoded in BCD mode) */
	uint8_t cr_lsb;	  /* first byte of a two-byte count */
	uint8_t ctrl;	  /* RW, M, BCD as written: the status byte's low bits */
	uint8_t mode;	  /* 0-5 (6 and 7 alias 2 and 3) */
	uint8_t state;	  /* enum pit_state */
	uint8_t status;	  /* latched status byte */
	bool gate;
	bool pending;	   /* a mode 2/3 reload at pend_at */
	bool null;	   /* a written count has not reached the counting element */
	bool ol_valid;	   /* count latched, not yet fully read */
	bool status_valid; /* status latched, not yet read */
	bool rd_msb;	   /* read flip-flop: next byte of a two-byte read is the MSB */
	bool wr_msb;	   /* write flip-flop */
};

struct pit {
	struct pit_channel ch[3];
	struct irq_line irq0;
	uint64_t tsc_hz;
	uint64_t last_clk; /* clock pit_advance last brought irq0 to */
	uint8_t port61;	   /* bits 0-3 as written */
	bool irq_level;	   /* level last driven on irq0 */
};

/*
 * Stores the wiring and resets.
 * @pre PIT_HZ <= tsc_hz < 2^43 (keeps the exact conversions within 64 bits)
 */
void pit_init(struct pit *p, uint64_t tsc_hz, struct irq_line irq0);

/*
 * The 8254's state before programming is undefined; ours: every counter
 * mode 0, LSB-then-MSB, binary, no count (null count set, not counting,
 * OUT low); gates of channels 0 and 1 high, channel 2's gate from port 0x61,
 * which resets to 0; irq0 low.
 */
void pit_reset(struct pit *p);

/*
 * Byte accesses to 0x40-0x43 and 0x61 (absolute port numbers); other ports
 * read as 0xFF and ignore writes. Return 0. A write first runs pit_advance.
 * @pre now is not before any earlier call's now
 */
int pit_read(struct pit *p, uint16_t port, uint64_t now, uint8_t *val);
int pit_write(struct pit *p, uint16_t port, uint64_t now, uint8_t val);

/* TSC of the next rising edge of channel 0's OUT, or UINT64_MAX. */
uint64_t pit_next_event(const struct pit *p);

/*
 * Brings irq0 to channel 0's OUT at now: a rising edge in between is driven
 * once (low then high, or high then low when OUT has fallen again), however
 * many periods were missed; the period's phase is kept.
 * @pre now is not before any earlier call's now
 */
void pit_advance(struct pit *p, uint64_t now);

#endif
