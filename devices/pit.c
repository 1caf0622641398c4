/*
 * The 8254 and port 0x61. Every count, OUT level and edge is computed from the
 * PIT clock index floor(now * PIT_HZ / tsc_hz), so there is no per-tick state
 * and no drift. Invariant: irq0 carries channel 0's OUT as of last_clk.
 * Semantics follow the Intel 8254 datasheet ("Mode Definitions", "Read-Back
 * Command", "Counter Latch Command"); callers are the VM's port glue and timer.
 */
#include "devices/pit.h"
#include "lib/string.h"

#define PIT_NONE UINT64_MAX

#define CTRL_SC	      GENMASK(7, 6)
#define CTRL_RW	      GENMASK(5, 4)
#define CTRL_MODE     GENMASK(3, 1)
#define CTRL_BCD      BIT(0)
#define CTRL_KEEP     (CTRL_RW | CTRL_MODE | CTRL_BCD)
#define RW_LSB	      1
#define RW_MSB	      2
#define RB_NOCOUNT    BIT(5) /* read-back: 0 latches the counts */
#define RB_NOSTATUS   BIT(4) /* read-back: 0 latches the status */
#define STATUS_OUT    BIT(7)
#define STATUS_NULL   BIT(6)
#define P61_GATE2     BIT(0)
#define P61_WRITABLE  GENMASK(3, 0) /* gate, speaker data, parity/IOCHK enables */
#define P61_REFRESH   BIT(4)
#define P61_OUT2      BIT(5)
#define REFRESH_CLKS  18 /* the AT's refresh rhythm: channel 1 at count 18, 15.08 us */
#define PIT_MIN_COUNT 2	 /* count 1 is illegal in modes 2 and 3 */

/* The counting element's (load, n, phase) in effect at clock c. */
struct pit_seg {
	uint64_t start;
	uint64_t phase;
	uint32_t n;
};

/*
 * Clock <-> TSC conversions, exact, split into whole seconds and remainder
 * so that no product exceeds 64 bits while tsc_hz < 2^43 and no 128-bit
 * division (libgcc's __udivti3, absent from the image) is needed.
 */
static uint64_t pit_clk(const struct pit *p, uint64_t now)
{
	return now / p->tsc_hz * PIT_HZ + now % p->tsc_hz * PIT_HZ / p->tsc_hz;
}

/* First TSC value whose clock index reaches clk (UINT64_MAX if beyond). */
static uint64_t pit_tsc(const struct pit *p, uint64_t clk)
{
	uint64_t whole, part = (clk % PIT_HZ * p->tsc_hz + PIT_HZ - 1) / PIT_HZ, t;

	if (__builtin_mul_overflow(clk / PIT_HZ, p->tsc_hz, &whole) ||
	    __builtin_add_overflow(whole, part, &t))
		return UINT64_MAX;
	return t;
}

static uint32_t pit_modulus(const struct pit_channel *ch)
{
	return (ch->ctrl & CTRL_BCD) ? 10000 : 65536;
}

static uint16_t pit_to_bcd(uint32_t v)
{
	v %= 10000;
	return (uint16_t)((v / 1000) << 12 | (v / 100 % 10) << 8 | (v / 10 % 10) << 4 | v % 10);
}

/* Digits above 9 are taken at face value (the 8254 leaves them undefined). */
static uint32_t pit_from_bcd(uint16_t v)
{
	return (v >> 12) * 1000u + (v >> 8 & 15u) * 100u + (v >> 4 & 15u) * 10u + (v & 15u);
}

static struct pit_seg pit_seg_at(const struct pit_channel *ch, uint64_t c)
{
	if (ch->pending && c >= ch->pend_at)
		return (struct pit_seg){ch->pend_at, ch->pend_phase, ch->cr_n};
	return (struct pit_seg){ch->load, ch->phase, ch->n};
}

/* Clocks counted at c into *k; false while the element holds no running count. */
static bool pit_counted(const struct pit_channel *ch, uint64_t c, struct pit_seg *s, uint64_t *k)
{
	*s = pit_seg_at(ch, c);
	if (ch->state == PIT_HELD) {
		*k = ch->held;
		return true;
	}
	if (ch->state != PIT_RUN || c < s->start)
		return false;
	*k = c - s->start + s->phase;
	return true;
}

/*
 * Mode 3 counts down by two: an even n shows n, n-2, ... 2 in each half; an
 * odd n is high for (n+1)/2 clocks (n, n-1, n-3, ... 2) and low for (n-1)/2
 * (n, n-3, ... 2), as the datasheet's "Mode 3: Square Wave Mode" describes.
 */
static uint32_t pit_mode3_count(uint32_t n, uint32_t pos)
{
	uint32_t hi = (n + 1) / 2;

	if (!(n & 1))
		return n - 2 * (pos % (n / 2));
	if (pos < hi)
		return pos ? n + 1 - 2 * pos : n;
	pos -= hi;
	return pos ? n - 1 - 2 * pos : n;
}

/* The counting element's value (binary, 0 standing for the modulus). */
static uint32_t pit_count(const struct pit_channel *ch, uint64_t c)
{
	uint32_t m = pit_modulus(ch);
	struct pit_seg s;
	uint64_t k;

	if (!pit_counted(ch, c, &s, &k))
		return ch->ce_idle;
	switch (ch->mode) {
	case 2:
		return (s.n - (uint32_t)(k % s.n)) % m;
	case 3:
		return pit_mode3_count(s.n, (uint32_t)(k % s.n)) % m;
	default: /* one-shot modes wrap through the modulus after terminal count */
		return (uint32_t)((s.n + m - k % m) % m);
	}
}

static bool pit_out(const struct pit_channel *ch, uint64_t c)
{
	struct pit_seg s;
	uint64_t k;

	if (!pit_counted(ch, c, &s, &k))
		return ch->mode != 0; /* the control word's initial OUT */
	switch (ch->mode) {
	case 0:
	case 1:
		return k >= s.n;
	case 2: /* a gate held low forces OUT high */
		return ch->state == PIT_HELD || k % s.n != s.n - 1;
	case 3:
		return ch->state == PIT_HELD || k % s.n < (s.n + 1) / 2;
	default: /* 4, 5: low for the one clock at terminal count */
		return k != s.n;
	}
}

/* First clock after a at which segment s raises OUT, or PIT_NONE. */
static uint64_t pit_seg_rise(const struct pit_channel *ch, struct pit_seg s, uint64_t a)
{
	uint64_t target = s.n, e;

	switch (ch->mode) {
	case 2:
	case 3: /* OUT rises as each period ends: k = j * n, j >= 1 */
		if (a < s.start)
			return s.start + s.n - s.phase;
		return s.start + ((a - s.start + s.phase) / s.n + 1) * s.n - s.phase;
	case 4:
	case 5:
		target = (uint64_t)s.n + 1;
		break;
	default:
		break;
	}
	if (s.phase >= target)
		return PIT_NONE;
	e = s.start + target - s.phase;
	return e > a ? e : PIT_NONE;
}

static uint64_t pit_rise_after(const struct pit_channel *ch, uint64_t a)
{
	uint64_t e;

	if (ch->state != PIT_RUN)
		return PIT_NONE;
	e = pit_seg_rise(ch, pit_seg_at(ch, a), a);
	if (ch->pending && a < ch->pend_at && e > ch->pend_at)
		e = pit_seg_rise(ch, pit_seg_at(ch, ch->pend_at), ch->pend_at - 1);
	return e;
}

static void pit_settle(struct pit_channel *ch, uint64_t c)
{
	if (!ch->pending || c < ch->pend_at)
		return;
	ch->load = ch->pend_at;
	ch->phase = ch->pend_phase;
	ch->n = ch->cr_n;
	ch->pending = false;
}

/* The count register goes into the counting element on the next clock. */
static void pit_start(struct pit_channel *ch, uint64_t c, bool run)
{
	ch->n = ch->cr_n;
	ch->load = c + 1;
	ch->phase = 0;
	ch->held = 0;
	ch->pending = false;
	ch->xfer_at = c + 1;
	ch->state = run ? PIT_RUN : PIT_HELD;
}

/*
 * A new count while a mode 2/3 counter runs takes effect at the end of the
 * current period (mode 2) or half-cycle (mode 3); a mode 3 reload at the
 * falling half starts the new count in its low half.
 */
static void pit_schedule_reload(struct pit_channel *ch, uint64_t c)
{
	struct pit_seg s = pit_seg_at(ch, c);
	uint32_t pos, hi = (s.n + 1) / 2;

	if (c < s.start) { /* not loaded yet: replace the count outright */
		ch->n = ch->cr_n;
		return;
	}
	pos = (uint32_t)((c - s.start + s.phase) % s.n);
	ch->pending = true;
	ch->pend_phase = 0;
	ch->pend_at = c + s.n - pos;
	if (ch->mode == 3 && pos < hi) {
		ch->pend_at = c + hi - pos;
		ch->pend_phase = (ch->cr_n + 1) / 2;
	}
	ch->xfer_at = ch->pend_at;
}

static void pit_write_count(struct pit_channel *ch, uint16_t raw, uint64_t c)
{
	uint32_t m = pit_modulus(ch);
	uint32_t n = (ch->ctrl & CTRL_BCD) ? pit_from_bcd(raw) % m : raw;

	if (n == 0)
		n = m;
	if ((ch->mode == 2 || ch->mode == 3) && n < PIT_MIN_COUNT)
		n = PIT_MIN_COUNT;
	ch->ce_idle = (uint16_t)pit_count(ch, c);
	ch->cr_n = n;
	ch->null = true;
	ch->xfer_at = PIT_NONE;
	if (ch->mode == 1 || ch->mode == 5) {
		if (ch->state == PIT_IDLE) /* counting waits for a gate trigger */
			ch->state = PIT_ARMED;
		return;
	}
	if ((ch->mode == 2 || ch->mode == 3) && ch->state == PIT_RUN) {
		pit_schedule_reload(ch, c);
		return;
	}
	if ((ch->mode == 2 || ch->mode == 3) && ch->state == PIT_HELD)
		return; /* the gate's rising edge loads it */
	pit_start(ch, c, ch->gate);
}

static void pit_data_write(struct pit_channel *ch, uint8_t val, uint64_t c)
{
	switch ((ch->ctrl & CTRL_RW) >> 4) {
	case RW_LSB:
		pit_write_count(ch, val, c);
		break;
	case RW_MSB:
		pit_write_count(ch, (uint16_t)(val << 8), c);
		break;
	default:
		if (ch->wr_msb) {
			ch->wr_msb = false;
			pit_write_count(ch, (uint16_t)(ch->cr_lsb | val << 8), c);
			break;
		}
		ch->cr_lsb = val;
		ch->wr_msb = true;
		if (ch->mode == 0) { /* the first byte stops counting, OUT low */
			ch->ce_idle = (uint16_t)pit_count(ch, c);
			ch->state = PIT_IDLE;
			ch->pending = false;
		}
		break;
	}
}

static uint16_t pit_readable(const struct pit_channel *ch, uint64_t c)
{
	uint32_t v = pit_count(ch, c);

	return (ch->ctrl & CTRL_BCD) ? pit_to_bcd(v) : (uint16_t)v;
}

static uint8_t pit_data_read(struct pit_channel *ch, uint64_t c)
{
	uint16_t v;
	uint8_t b;

	if (ch->status_valid) {
		ch->status_valid = false;
		return ch->status;
	}
	v = ch->ol_valid ? ch->ol : pit_readable(ch, c);
	switch ((ch->ctrl & CTRL_RW) >> 4) {
	case RW_LSB:
		ch->ol_valid = false;
		return (uint8_t)v;
	case RW_MSB:
		ch->ol_valid = false;
		return (uint8_t)(v >> 8);
	default:
		b = ch->rd_msb ? (uint8_t)(v >> 8) : (uint8_t)v;
		if (ch->rd_msb)
			ch->ol_valid = false;
		ch->rd_msb = !ch->rd_msb;
		return b;
	}
}

/* A second latch before the first is read is ignored, per the datasheet. */
static void pit_latch(struct pit_channel *ch, uint64_t c)
{
	if (ch->ol_valid)
		return;
	ch->ol = pit_readable(ch, c);
	ch->ol_valid = true;
}

static void pit_latch_status(struct pit_channel *ch, uint64_t c)
{
	if (ch->status_valid)
		return;
	ch->status = ch->ctrl;
	if (pit_out(ch, c))
		ch->status |= STATUS_OUT;
	if (ch->null && c < ch->xfer_at)
		ch->status |= STATUS_NULL;
	ch->status_valid = true;
}

/* All control logic resets: OUT to the mode's initial level, no count. */
static void pit_control(struct pit_channel *ch, uint8_t val, uint64_t c)
{
	uint8_t mode = (val & CTRL_MODE) >> 1;

	ch->ce_idle = (uint16_t)pit_count(ch, c);
	ch->ctrl = val & CTRL_KEEP;
	ch->mode = mode > 5 ? mode - 4 : mode;
	ch->state = PIT_IDLE;
	ch->pending = false;
	ch->null = true;
	ch->xfer_at = PIT_NONE;
	ch->rd_msb = false;
	ch->wr_msb = false;
	ch->ol_valid = false;
	ch->status_valid = false;
}

static void pit_ctrl_write(struct pit *p, uint8_t val, uint64_t c)
{
	unsigned sc = (val & CTRL_SC) >> 6;

	if (sc == 3) { /* read-back */
		for (unsigned i = 0; i < 3; i++) {
			if (!(val & BIT(i + 1)))
				continue;
			if (!(val & RB_NOCOUNT))
				pit_latch(&p->ch[i], c);
			if (!(val & RB_NOSTATUS))
				pit_latch_status(&p->ch[i], c);
		}
	} else if (!(val & CTRL_RW)) {
		pit_latch(&p->ch[sc], c);
	} else {
		pit_control(&p->ch[sc], val, c);
	}
}

static void pit_gate_low(struct pit_channel *ch, uint64_t c)
{
	struct pit_seg s;
	uint64_t k = 0;

	if (ch->state != PIT_RUN || ch->mode == 1 || ch->mode == 5)
		return;
	pit_counted(ch, c, &s, &k);
	ch->held = k;
	ch->state = PIT_HELD;
	if (ch->pending) { /* the reload now waits for the gate */
		ch->pending = false;
		ch->xfer_at = PIT_NONE;
	}
}

/*
 * Gate: modes 0 and 4 pause while it is low; a rising edge restarts modes 2
 * and 3 and triggers modes 1 and 5, loading the count on the next clock.
 */
static void pit_set_gate(struct pit_channel *ch, bool gate, uint64_t c)
{
	if (gate == ch->gate)
		return;
	ch->gate = gate;
	if (!gate) {
		pit_gate_low(ch, c);
	} else if (ch->mode == 0 || ch->mode == 4) {
		if (ch->state == PIT_HELD && c >= ch->load) {
			ch->phase = ch->held;
			ch->load = c;
		}
		if (ch->state == PIT_HELD)
			ch->state = PIT_RUN;
	} else if (ch->state == PIT_RUN || ch->state == PIT_HELD || ch->state == PIT_ARMED) {
		pit_start(ch, c, true);
	}
}

static void pit_drive(struct pit *p, bool rose, bool out)
{
	if (rose) {
		if (p->irq_level)
			irq_line_set(&p->irq0, false);
		irq_line_set(&p->irq0, true);
		p->irq_level = true;
	}
	if (out != p->irq_level) {
		p->irq_level = out;
		irq_line_set(&p->irq0, out);
	}
}

void pit_advance(struct pit *p, uint64_t now)
{
	uint64_t c = pit_clk(p, now);
	bool rose;

	if (c < p->last_clk)
		c = p->last_clk;
	rose = pit_rise_after(&p->ch[0], p->last_clk) <= c;
	for (unsigned i = 0; i < 3; i++)
		pit_settle(&p->ch[i], c);
	p->last_clk = c;
	pit_drive(p, rose, pit_out(&p->ch[0], c));
}

uint64_t pit_next_event(const struct pit *p)
{
	uint64_t e = pit_rise_after(&p->ch[0], p->last_clk);

	return e == PIT_NONE ? UINT64_MAX : pit_tsc(p, e);
}

void pit_reset(struct pit *p)
{
	memset(p->ch, 0, sizeof(p->ch));
	for (unsigned i = 0; i < 3; i++) {
		p->ch[i].ctrl = CTRL_RW; /* LSB then MSB, mode 0, binary */
		p->ch[i].null = true;
		p->ch[i].xfer_at = PIT_NONE;
		p->ch[i].gate = i != 2;
	}
	p->port61 = 0;
	p->last_clk = 0;
	pit_drive(p, false, false);
}

void pit_init(struct pit *p, uint64_t tsc_hz, struct irq_line irq0)
{
	memset(p, 0, sizeof(*p));
	p->tsc_hz = tsc_hz;
	p->irq0 = irq0;
	pit_reset(p);
}

int pit_read(struct pit *p, uint16_t port, uint64_t now, uint8_t *val)
{
	uint64_t c = pit_clk(p, now);

	if (c < p->last_clk)
		c = p->last_clk;
	if (port >= PIT_PORT_CH0 && port < PIT_PORT_CTRL) {
		*val = pit_data_read(&p->ch[port - PIT_PORT_CH0], c);
	} else if (port == PIT_PORT_61) {
		*val = p->port61;
		if ((c / REFRESH_CLKS) & 1)
			*val |= P61_REFRESH;
		if (pit_out(&p->ch[2], c))
			*val |= P61_OUT2;
	} else {
		*val = 0xFF; /* includes 0x43: the control word cannot be read */
	}
	return 0;
}

int pit_write(struct pit *p, uint16_t port, uint64_t now, uint8_t val)
{
	uint64_t c;

	pit_advance(p, now);
	c = p->last_clk;
	if (port >= PIT_PORT_CH0 && port < PIT_PORT_CTRL)
		pit_data_write(&p->ch[port - PIT_PORT_CH0], val, c);
	else if (port == PIT_PORT_CTRL)
		pit_ctrl_write(p, val, c);
	else if (port == PIT_PORT_61) {
		p->port61 = val & P61_WRITABLE;
		pit_set_gate(&p->ch[2], (val & P61_GATE2) != 0, c);
	}
	pit_drive(p, false, pit_out(&p->ch[0], c));
	return 0;
}
