/*
 * The 8259A pair and the ELCR. Invariant: after every entry point the slave's
 * INT has been fed to master IR2 and intr carries the master's INT. Called by
 * the VM's port glue and interrupt router (one caller at a time).
 * Semantics follow the Intel 8259A datasheet ("Programming the 8259A",
 * "Priority Modes", "Edge and Level Triggered Modes") and the PIIX ELCR.
 */
#include "devices/pic.h"
#include "lib/string.h"

#define ICW1_IC4  BIT(0) /* ICW4 follows */
#define ICW1_SNGL BIT(1) /* single chip: no ICW3 */
#define ICW1_LTIM BIT(3) /* level triggered mode, all inputs */
#define ICW1_INIT BIT(4) /* with A0 = 0: this is ICW1 */
#define ICW1_KEEP (ICW1_IC4 | ICW1_SNGL | ICW1_LTIM)

#define ICW4_UPM  BIT(0) /* 8086 mode; MCS-80 mode is not modelled */
#define ICW4_AEOI BIT(1)
#define ICW4_SFNM BIT(4) /* special fully nested mode */

#define OCW3_SEL    BIT(3) /* with A0 = 0 and D4 = 0: OCW3, else OCW2 */
#define OCW3_RIS    BIT(0)
#define OCW3_RR	    BIT(1)
#define OCW3_P	    BIT(2)
#define OCW3_SMM    BIT(5)
#define OCW3_ESMM   BIT(6)
#define OCW2_OP	    GENMASK(7, 5) /* R, SL, EOI */
#define OCW2_LEVEL  GENMASK(2, 0)
#define POLL_INT    BIT(7)
#define PIC_NOLEVEL (-1)

/* PIIX: IRQ 0, 1, 2, 8 and 13 are always edge; their ELCR bits read 0. */
static const uint8_t pic_elcr_mask[2] = {0xF8, 0xDE};

static uint8_t pic_irr(const struct pic_chip *c)
{
	uint8_t level = (c->icw1 & ICW1_LTIM) ? 0xFF : c->elcr;

	return c->lines & (level | c->armed);
}

/* Rank under the rotating priority: 0 is the highest. */
static unsigned pic_rank(const struct pic_chip *c, unsigned l)
{
	return (l - c->lowest - 1u) & 7u;
}

/* The highest-priority level set in mask, or PIC_NOLEVEL. */
static int pic_top(const struct pic_chip *c, uint8_t mask)
{
	for (unsigned r = 0; r < 8; r++) {
		unsigned l = (c->lowest + 1u + r) & 7u;

		if (mask & BIT(l))
			return (int)l;
	}
	return PIC_NOLEVEL;
}

static bool pic_is_cascade(const struct pic_chip *c, bool master, unsigned l)
{
	return master && !(c->icw1 & ICW1_SNGL) && (c->icw3 & BIT(l));
}

/*
 * The level this chip would hand to an acknowledge now, or PIC_NOLEVEL. In
 * special mask mode only a level's own ISR bit holds it back; otherwise it
 * must outrank the highest level in service, except that in special fully
 * nested mode a slave's input may interrupt its own service.
 */
static int pic_request(const struct pic_chip *c, bool master)
{
	uint8_t req = (uint8_t)(pic_irr(c) & ~c->imr);
	int top, busy;

	if (c->smm)
		return pic_top(c, (uint8_t)(req & ~c->isr));
	top = pic_top(c, req);
	busy = pic_top(c, c->isr);
	if (top == PIC_NOLEVEL || busy == PIC_NOLEVEL)
		return top;
	if (pic_rank(c, (unsigned)top) < pic_rank(c, (unsigned)busy))
		return top;
	if (top == busy && (c->icw4 & ICW4_SFNM) && pic_is_cascade(c, master, (unsigned)top))
		return top;
	return PIC_NOLEVEL;
}

static void pic_set_line(struct pic_chip *c, unsigned l, bool level)
{
	if (level) {
		c->lines |= (uint8_t)BIT(l);
	} else {
		c->lines = (uint8_t)(c->lines & ~BIT(l));
		c->armed |= (uint8_t)BIT(l);
	}
}

/* Cascade the slave's INT into master IR2 and drive the master's INT pin. */
static void pic_update(struct pic *p)
{
	bool slave_int = pic_request(&p->chip[1], false) != PIC_NOLEVEL;
	bool master_int;

	pic_set_line(&p->chip[0], PIC_CASCADE_IR, slave_int);
	master_int = pic_request(&p->chip[0], true) != PIC_NOLEVEL;
	if (master_int != p->int_out) {
		p->int_out = master_int;
		irq_line_set(&p->intr, master_int);
	}
}

/* Level l goes into service: its edge latch disarms; AEOI ends it at once. */
static void pic_ack_level(struct pic_chip *c, unsigned l, bool aeoi)
{
	c->armed = (uint8_t)(c->armed & ~BIT(l));
	if (!aeoi)
		c->isr |= (uint8_t)BIT(l);
	else if (c->rotate_aeoi)
		c->lowest = (uint8_t)l;
}

static void pic_chip_reset(struct pic_chip *c, uint8_t vbase, uint8_t icw3)
{
	uint8_t lines = c->lines;

	memset(c, 0, sizeof(*c));
	c->lines = lines;
	c->armed = (uint8_t)(lines ^ 0xFF);
	c->imr = 0xFF;
	c->lowest = 7;
	c->icw1 = ICW1_IC4;
	c->vbase = vbase;
	c->icw3 = icw3;
	c->icw4 = ICW4_UPM;
}

void pic_reset(struct pic *p)
{
	pic_chip_reset(&p->chip[0], 0x08, BIT(PIC_CASCADE_IR));
	pic_chip_reset(&p->chip[1], 0x70, PIC_CASCADE_IR);
	pic_update(p);
}

void pic_init(struct pic *p, struct irq_line intr_out)
{
	memset(p, 0, sizeof(*p));
	p->intr = intr_out;
	pic_reset(p);
}

void pic_set_irq(struct pic *p, unsigned irq, bool level)
{
	if (irq >= 16 || irq == PIC_CASCADE_IR)
		return;
	pic_set_line(&p->chip[irq >> 3], irq & 7u, level);
	pic_update(p);
}

/*
 * ICW1 resets the edge sense circuit, clears the IMR, gives IR7 the lowest
 * priority, leaves special mask mode, selects the IRR for reads and, without
 * IC4, clears every ICW4 function. The ISR is cleared too, as every PC
 * emulator and the guests' reinitialisation after a crash expect.
 */
static void pic_icw1(struct pic_chip *c, uint8_t val)
{
	c->icw1 = val & ICW1_KEEP;
	c->armed = (uint8_t)(c->lines ^ 0xFF);
	c->imr = 0;
	c->isr = 0;
	c->lowest = 7;
	c->smm = false;
	c->read_isr = false;
	c->poll = false;
	c->rotate_aeoi = false;
	if (!(val & ICW1_IC4))
		c->icw4 = 0;
	c->init_step = 2;
}

static void pic_icw_data(struct pic_chip *c, uint8_t val)
{
	switch (c->init_step) {
	case 2:
		c->vbase = val & 0xF8;
		c->init_step = (c->icw1 & ICW1_SNGL) ? 4 : 3;
		break;
	case 3:
		c->icw3 = val;
		c->init_step = 4;
		break;
	default:
		c->icw4 = val;
		c->init_step = 0;
		return;
	}
	if (c->init_step == 4 && !(c->icw1 & ICW1_IC4))
		c->init_step = 0;
}

/* End of interrupt for level l (PIC_NOLEVEL: nothing in service). */
static void pic_eoi(struct pic_chip *c, int l, bool rotate)
{
	if (l == PIC_NOLEVEL)
		return;
	c->isr = (uint8_t)(c->isr & ~BIT(l));
	if (rotate)
		c->lowest = (uint8_t)l;
}

static void pic_ocw2(struct pic_chip *c, uint8_t val)
{
	unsigned level = val & OCW2_LEVEL;

	switch ((val & OCW2_OP) >> 5) {
	case 0: /* rotate in automatic EOI mode (clear) */
		c->rotate_aeoi = false;
		break;
	case 1: /* non-specific EOI */
		pic_eoi(c, pic_top(c, c->isr), false);
		break;
	case 3: /* specific EOI */
		pic_eoi(c, (int)level, false);
		break;
	case 4: /* rotate in automatic EOI mode (set) */
		c->rotate_aeoi = true;
		break;
	case 5: /* rotate on non-specific EOI */
		pic_eoi(c, pic_top(c, c->isr), true);
		break;
	case 6: /* set priority: level becomes the lowest */
		c->lowest = (uint8_t)level;
		break;
	case 7: /* rotate on specific EOI */
		pic_eoi(c, (int)level, true);
		break;
	default: /* 2: no operation */
		break;
	}
}

static void pic_ocw3(struct pic_chip *c, uint8_t val)
{
	if (val & OCW3_ESMM)
		c->smm = (val & OCW3_SMM) != 0;
	if (val & OCW3_RR)
		c->read_isr = (val & OCW3_RIS) != 0;
	c->poll = (val & OCW3_P) != 0;
}

static void pic_chip_write(struct pic_chip *c, bool data, uint8_t val)
{
	if (!data && (val & ICW1_INIT))
		pic_icw1(c, val);
	else if (!data && (val & OCW3_SEL))
		pic_ocw3(c, val);
	else if (!data)
		pic_ocw2(c, val);
	else if (c->init_step)
		pic_icw_data(c, val);
	else
		c->imr = val;
}

/*
 * Poll command: the read acts as an acknowledge of this chip alone (software
 * polls the slave next when the master answers IR2). With no INTA pulses
 * there is no automatic EOI: the ISR bit is set whatever ICW4 says.
 */
static uint8_t pic_poll(struct pic *p, unsigned idx)
{
	struct pic_chip *c = &p->chip[idx];
	int l = pic_request(c, idx == 0);

	c->poll = false;
	if (l == PIC_NOLEVEL)
		return 0;
	pic_ack_level(c, (unsigned)l, false);
	pic_update(p);
	return (uint8_t)(POLL_INT | (unsigned)l);
}

static int pic_chip_index(uint16_t port)
{
	switch (port) {
	case PIC_MASTER_CMD:
	case PIC_MASTER_DATA:
		return 0;
	case PIC_SLAVE_CMD:
	case PIC_SLAVE_DATA:
		return 1;
	default:
		return -1;
	}
}

int pic_read(struct pic *p, uint16_t port, uint8_t *val)
{
	int idx = pic_chip_index(port);
	const struct pic_chip *c;

	if (port == PIC_ELCR1 || port == PIC_ELCR2) {
		*val = p->chip[port - PIC_ELCR1].elcr;
		return 0;
	}
	if (idx < 0) {
		*val = 0xFF;
		return 0;
	}
	c = &p->chip[idx];
	if (c->poll)
		*val = pic_poll(p, (unsigned)idx);
	else if (port & 1)
		*val = c->imr;
	else
		*val = c->read_isr ? c->isr : pic_irr(c);
	return 0;
}

int pic_write(struct pic *p, uint16_t port, uint8_t val)
{
	int idx = pic_chip_index(port);

	if (port == PIC_ELCR1 || port == PIC_ELCR2) {
		unsigned e = port - PIC_ELCR1;

		p->chip[e].elcr = val & pic_elcr_mask[e];
	} else if (idx >= 0) {
		pic_chip_write(&p->chip[idx], (port & 1) != 0, val);
	} else {
		return 0;
	}
	pic_update(p);
	return 0;
}

static uint8_t pic_vector(const struct pic_chip *c, unsigned l)
{
	return (uint8_t)(c->vbase | l);
}

int pic_intack(struct pic *p)
{
	struct pic_chip *m = &p->chip[0], *s = &p->chip[1];
	int l = pic_request(m, true), sl;
	uint8_t vec;

	if (l == PIC_NOLEVEL)
		return pic_vector(m, 7);
	pic_ack_level(m, (unsigned)l, (m->icw4 & ICW4_AEOI) != 0);
	if (!pic_is_cascade(m, true, (unsigned)l)) {
		vec = pic_vector(m, (unsigned)l);
	} else if ((sl = pic_request(s, false)) == PIC_NOLEVEL) {
		vec = pic_vector(s, 7);
	} else {
		pic_ack_level(s, (unsigned)sl, (s->icw4 & ICW4_AEOI) != 0);
		vec = pic_vector(s, (unsigned)sl);
	}
	pic_update(p);
	return vec;
}

bool pic_has_interrupt(const struct pic *p)
{
	return p->int_out;
}
