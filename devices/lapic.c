/*
 * Local APIC core: reset and IA32_APIC_BASE mode changes, priorities (TPR/PPR and the
 * IRR -> ISR -> EOI path), message acceptance, destination matching and the LINT pins.
 * Register access lives in lapic_regs.c, the timer in lapic_timer.c.
 */
#include "devices/lapic_priv.h"
#include "lib/string.h"

static const struct lapic_ops lapic_no_ops;

static const unsigned lapic_lvts[] = {
    LAPIC_LVT_CMCI,  LAPIC_LVT_TIMER, LAPIC_LVT_THERM, LAPIC_LVT_PERF,
    LAPIC_LVT_LINT0, LAPIC_LVT_LINT1, LAPIC_LVT_ERR,
};
static_assert(ARRAY_SIZE(lapic_lvts) == LAPIC_MAX_LVT + 1, "VER's max LVT entry counts these");

enum lapic_mode { MODE_DISABLED, MODE_INVALID, MODE_XAPIC, MODE_X2APIC };

static enum lapic_mode base_mode(uint64_t base)
{
	if (base & LAPIC_BASE_EN)
		return (base & LAPIC_BASE_EXTD) ? MODE_X2APIC : MODE_XAPIC;
	return (base & LAPIC_BASE_EXTD) ? MODE_INVALID : MODE_DISABLED;
}

/* SDM "Logical Destination Mode in x2APIC Mode": cluster in 31:16, one bit of 16 in 15:0. */
static uint32_t x2apic_ldr(uint32_t id)
{
	return ((id >> 4) << 16) | (1u << (id & 15));
}

static void lapic_notify(struct lapic *l)
{
	if (l->ops->notify)
		l->ops->notify(l->ctx);
}

void lapic_mask_lvts(struct lapic *l)
{
	for (unsigned i = 0; i < ARRAY_SIZE(lapic_lvts); i++)
		lapic_reg_set(l, lapic_lvts[i], lapic_reg(l, lapic_lvts[i]) | LAPIC_MASKED);
}

/* The register page as after RESET, with the given ID register. */
static void lapic_regs_reset(struct lapic *l, uint32_t id_reg)
{
	uint32_t ver = LAPIC_VERSION | (LAPIC_MAX_LVT << 16);

	if (l->cfg.eoi_suppress)
		ver |= LAPIC_VER_NO_BCAST;
	memset(l->regs, 0, LAPIC_PAGE_SIZE);
	memset(l->shadow, 0, sizeof(l->shadow));
	lapic_reg_set(l, LAPIC_ID, id_reg);
	lapic_reg_set(l, LAPIC_VER, ver);
	lapic_reg_set(l, LAPIC_DFR, 0xFFFFFFFFu);
	lapic_reg_set(l, LAPIC_SVR, 0xFF);
	lapic_mask_lvts(l);
	if (lapic_x2apic_mode(l))
		lapic_reg_set(l, LAPIC_LDR, x2apic_ldr(l->cfg.apic_id));
	l->esr_pending = 0;
	l->extint_pending = false;
	l->ppr_tpr = 0; /* TPR, ISR and PPR are 0 */
	memset(l->vec_words, 0, sizeof(l->vec_words));
	lapic_timer_reset(l);
}

void lapic_init(struct lapic *l, void *page, const struct lapic_config *cfg,
		const struct lapic_ops *ops, void *ctx)
{
	memset(l, 0, sizeof(*l));
	l->regs = page;
	l->cfg = *cfg;
	l->ops = ops ? ops : &lapic_no_ops;
	l->ctx = ctx;
	lapic_reset(l, false);
}

void lapic_reset(struct lapic *l, bool init_signal)
{
	uint32_t id = lapic_reg(l, LAPIC_ID);

	if (!init_signal) {
		l->apic_base = LAPIC_DEFAULT_BASE | LAPIC_BASE_EN;
		if (l->cfg.bsp)
			l->apic_base |= LAPIC_BASE_BSP;
		id = (l->cfg.apic_id & 0xFF) << 24;
		l->sipi_pending = false;
	}
	l->nmi_pending = false;
	l->init_pending = false;
	lapic_regs_reset(l, id);
}

uint64_t lapic_get_base(const struct lapic *l)
{
	return l->apic_base;
}

uint64_t lapic_mmio_base(const struct lapic *l)
{
	return l->apic_base & GENMASK(l->cfg.maxphyaddr - 1, 12);
}

bool lapic_hw_enabled(const struct lapic *l)
{
	return (l->apic_base & LAPIC_BASE_EN) != 0;
}

bool lapic_x2apic_mode(const struct lapic *l)
{
	return base_mode(l->apic_base) == MODE_X2APIC;
}

bool lapic_sw_enabled(const struct lapic *l)
{
	return (lapic_reg(l, LAPIC_SVR) & LAPIC_SVR_ENABLE) != 0;
}

/*
 * SDM "x2APIC State Transitions": disabled <-> xAPIC -> x2APIC -> disabled; EXTD without
 * EN is invalid. Disabling loses all state but the ID; entering x2APIC keeps most of it
 * but takes the initial 32-bit ID, derives LDR and drops the ICR's high half. BSP is
 * read-only here (the write's bit 8 is ignored).
 */
int lapic_set_base(struct lapic *l, uint64_t val)
{
	uint64_t ok = GENMASK(l->cfg.maxphyaddr - 1, 12) | LAPIC_BASE_EN | LAPIC_BASE_BSP;
	enum lapic_mode from = base_mode(l->apic_base), to = base_mode(val);

	if (l->cfg.x2apic)
		ok |= LAPIC_BASE_EXTD;
	if ((val & ~ok) || to == MODE_INVALID || (from == MODE_X2APIC && to == MODE_XAPIC) ||
	    (from == MODE_DISABLED && to == MODE_X2APIC))
		return -1;
	l->apic_base = (val & ~LAPIC_BASE_BSP) | (l->apic_base & LAPIC_BASE_BSP);
	if (to == MODE_DISABLED && from != MODE_DISABLED) {
		uint32_t id = lapic_reg(l, LAPIC_ID);

		if (from == MODE_X2APIC)
			id = (l->cfg.apic_id & 0xFF) << 24;
		lapic_regs_reset(l, id);
	} else if (to == MODE_X2APIC && from == MODE_XAPIC) {
		lapic_reg_set(l, LAPIC_ID, l->cfg.apic_id);
		lapic_reg_set(l, LAPIC_LDR, x2apic_ldr(l->cfg.apic_id));
		lapic_reg_set(l, LAPIC_ICR_HI, 0);
	}
	return 0;
}

/* Which of an array's words are nonzero, as the page holds them now. */
static unsigned vec_words_of(const struct lapic *l, unsigned base)
{
	unsigned sum = 0;

	for (unsigned i = 0; i < 8; i++)
		if (lapic_reg(l, base + i * 16))
			sum |= 1u << i;
	return sum;
}

/*
 * Highest set vector of a 256-bit IRR/ISR array, or -1; its summary finds the word
 * (read from the page while the CPU moves vectors too).
 */
static int lapic_highest(const struct lapic *l, unsigned base)
{
	unsigned sum = l->cpu_vectors ? vec_words_of(l, base) : l->vec_words[lapic_vec_array(base)],
		 i;

	if (!sum)
		return -1;
	i = 31u - (unsigned)__builtin_clz(sum);
	return (int)(i * 32 + 31 - (unsigned)__builtin_clz(lapic_reg(l, base + i * 16)));
}

/* SDM "Processor Priority Register (PPR)", from TPR and ISR as the page holds them now. */
static uint32_t ppr_of(const struct lapic *l)
{
	uint32_t tpr = lapic_reg(l, LAPIC_TPR) & 0xFF;
	int isrv = lapic_highest(l, LAPIC_ISR);
	uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xF0;

	return (tpr & 0xF0) >= isr_class ? tpr : isr_class;
}

/*
 * Under VMX TPR shadowing the CPU writes TPR in the page (MOV to CR8) without an exit.
 * The page's PPR holds for the TPR it was computed from (ISR changes always update it):
 * while TPR is still that value it is the answer, else PPR is derived afresh.
 */
uint32_t lapic_ppr(const struct lapic *l)
{
	if (likely(lapic_reg(l, LAPIC_TPR) == l->ppr_tpr))
		return lapic_reg(l, LAPIC_PPR);
	return ppr_of(l);
}

void lapic_update_ppr(struct lapic *l)
{
	l->ppr_tpr = lapic_reg(l, LAPIC_TPR);
	lapic_reg_set(l, LAPIC_PPR, ppr_of(l));
}

int lapic_pending(const struct lapic *l)
{
	int v = lapic_highest(l, LAPIC_IRR);

	if (v < 0 || ((uint32_t)v & 0xF0) <= (lapic_ppr(l) & 0xF0))
		return -1;
	return v;
}

/*
 * SDM "TPR Virtualization": with a TPR shadow, lowering TPR below the threshold's class
 * exits. The class of the highest IRR vector is the threshold when TPR holds it back (its
 * class is not above TPR's); otherwise 0: it is deliverable, or ISR holds it back and the
 * EOI that frees it exits anyway. Never above TPR[7:4], as VM entry requires.
 */
uint8_t lapic_tpr_threshold(const struct lapic *l)
{
	int v = lapic_highest(l, LAPIC_IRR);
	uint32_t tpr_class = (lapic_reg(l, LAPIC_TPR) >> 4) & 0xF;

	if (v < 0 || ((uint32_t)v >> 4) > tpr_class)
		return 0;
	return (uint8_t)((uint32_t)v >> 4);
}

void lapic_set_cpu_vectors(struct lapic *l, bool on)
{
	l->cpu_vectors = on;
	for (unsigned base = LAPIC_ISR; base <= LAPIC_IRR; base += 0x80)
		l->vec_words[lapic_vec_array(base)] = (uint8_t)vec_words_of(l, base);
	lapic_update_ppr(l);
}

uint16_t lapic_intr_status(const struct lapic *l, uint64_t eoi_exit[4])
{
	int rvi = lapic_highest(l, LAPIC_IRR), svi = lapic_highest(l, LAPIC_ISR);

	for (unsigned i = 0; i < 4; i++)
		eoi_exit[i] = (uint64_t)lapic_reg(l, LAPIC_TMR + (2 * i + 1) * 16) << 32 |
			      lapic_reg(l, LAPIC_TMR + 2 * i * 16);
	return (uint16_t)((rvi < 0 ? 0 : rvi) | (svi < 0 ? 0 : svi) << 8);
}

void lapic_ack(struct lapic *l, uint8_t vector)
{
	lapic_vec_assign(l, LAPIC_IRR, vector, false);
	lapic_vec_assign(l, LAPIC_ISR, vector, true);
	lapic_update_ppr(l);
}

uint8_t lapic_get_ppr(const struct lapic *l)
{
	return (uint8_t)lapic_ppr(l);
}

uint8_t lapic_get_tpr(const struct lapic *l)
{
	return (uint8_t)lapic_reg(l, LAPIC_TPR);
}

void lapic_set_tpr(struct lapic *l, uint8_t tpr)
{
	lapic_reg_set(l, LAPIC_TPR, tpr);
	lapic_update_ppr(l);
}

uint8_t lapic_get_cr8(const struct lapic *l)
{
	return lapic_get_tpr(l) >> 4;
}

void lapic_set_cr8(struct lapic *l, uint8_t cr8)
{
	lapic_set_tpr(l, (uint8_t)(cr8 << 4));
}

/*
 * EOI retires the highest in-service vector. A level-triggered one (TMR set) is
 * broadcast to the IOAPICs unless SVR suppresses it, and frees a LINT pin's remote IRR.
 */
static void eoi_level(struct lapic *l, int v);

void lapic_eoi(struct lapic *l)
{
	int v = lapic_highest(l, LAPIC_ISR);

	if (v < 0)
		return;
	lapic_vec_assign(l, LAPIC_ISR, (uint8_t)v, false);
	lapic_update_ppr(l);
	eoi_level(l, v);
}

void lapic_virtual_eoi(struct lapic *l, uint8_t vector)
{
	lapic_update_ppr(l); /* the CPU's PPR virtualization did the same from the page */
	eoi_level(l, vector);
}

/* The level-triggered part of the EOI of @v: the broadcast and the LINT pins' remote IRR. */
static void eoi_level(struct lapic *l, int v)
{
	if (!lapic_vec_test(l, LAPIC_TMR, (uint8_t)v))
		return;
	if (!(lapic_reg(l, LAPIC_SVR) & LAPIC_SVR_NO_BCAST) && l->ops->eoi)
		l->ops->eoi(l->ctx, (uint8_t)v);
	for (unsigned pin = 0; pin < 2; pin++) {
		unsigned off = pin ? LAPIC_LVT_LINT1 : LAPIC_LVT_LINT0;
		uint32_t lvt = lapic_reg(l, off);

		if ((lvt & LAPIC_LEVEL) && (lvt & LAPIC_VECTOR) == (uint32_t)v) {
			lapic_reg_set(l, off, lvt & ~LAPIC_LEVEL);
			lapic_lint_update(l, pin);
		}
	}
}

/* ESR error: latched for the next ESR write, and signalled through LVT error. */
void lapic_error(struct lapic *l, uint32_t esr_bits)
{
	uint32_t lvt = lapic_reg(l, LAPIC_LVT_ERR);
	uint8_t vector = (uint8_t)(lvt & LAPIC_VECTOR);

	l->esr_pending |= esr_bits;
	if (lvt & LAPIC_MASKED)
		return;
	if (vector < 16) {
		/* the error vector itself is illegal: log it, do not loop */
		l->esr_pending |= LAPIC_ESR_RECV_ILLEGAL;
		return;
	}
	lapic_accept(l, vector, false);
}

/* A fixed interrupt reaches IRR; vectors 0-15 are refused (SDM "Error Handling"). */
void lapic_accept(struct lapic *l, uint8_t vector, bool level)
{
	if (vector < 16) {
		lapic_error(l, LAPIC_ESR_RECV_ILLEGAL);
		return;
	}
	lapic_vec_assign(l, LAPIC_IRR, vector, true);
	lapic_vec_assign(l, LAPIC_TMR, vector, level);
	lapic_notify(l);
}

/*
 * A software-disabled APIC still takes NMI, INIT and SIPI (SDM "Local APIC State After
 * It Has Been Software Disabled") but drops fixed, lowest-priority and ExtINT messages.
 * SMI is dropped: kestrel guests have no SMM.
 */
void lapic_deliver(struct lapic *l, const struct apic_msg *m)
{
	bool sw = lapic_sw_enabled(l);

	if (!lapic_hw_enabled(l))
		return;
	switch (m->delivery) {
	case APIC_DM_FIXED:
	case APIC_DM_LOWEST:
		if (sw)
			lapic_accept(l, m->vector, m->level);
		return;
	case APIC_DM_NMI:
		l->nmi_pending = true;
		break;
	case APIC_DM_INIT:
		l->init_pending = true;
		break;
	case APIC_DM_SIPI:
		l->sipi_pending = true;
		l->sipi_vector = m->vector;
		break;
	case APIC_DM_EXTINT:
		if (!sw)
			return;
		l->extint_pending = true;
		break;
	default:
		return;
	}
	lapic_notify(l);
}

/* SDM "Logical Destination Mode": flat (DFR model 1111b) or cluster (0000b). */
static bool xapic_match_logical(const struct lapic *l, uint32_t mda)
{
	uint32_t ldr = lapic_reg(l, LAPIC_LDR) >> 24;

	if (mda > 0xFF)
		return false;
	if ((lapic_reg(l, LAPIC_DFR) >> 28) == 0xF)
		return (ldr & mda) != 0;
	return (ldr >> 4) == (mda >> 4) && (ldr & mda & 0xF) != 0;
}

/*
 * The destination is in the receiver's format: in x2APIC mode 0xFFFFFFFF broadcasts and
 * an 8-bit IOAPIC/MSI broadcast (0xFF) must be widened by the router; in xAPIC mode
 * both 0xFF and an x2APIC sender's 0xFFFFFFFF broadcast.
 */
bool lapic_match_dest(const struct lapic *l, const struct apic_msg *m)
{
	uint32_t ldr = lapic_reg(l, LAPIC_LDR);

	if (!lapic_hw_enabled(l))
		return false;
	if (m->dest == 0xFFFFFFFFu)
		return true;
	if (lapic_x2apic_mode(l)) {
		if (!m->logical)
			return m->dest == l->cfg.apic_id;
		return (m->dest >> 16) == (ldr >> 16) && (m->dest & ldr & 0xFFFF) != 0;
	}
	if (m->dest == 0xFF)
		return true;
	if (!m->logical)
		return m->dest == lapic_reg(l, LAPIC_ID) >> 24;
	return xapic_match_logical(l, m->dest);
}

bool lapic_nmi_pending(const struct lapic *l)
{
	return l->nmi_pending;
}

bool lapic_take_nmi(struct lapic *l)
{
	bool r = l->nmi_pending;

	l->nmi_pending = false;
	return r;
}

bool lapic_take_init(struct lapic *l)
{
	bool r = l->init_pending;

	l->init_pending = false;
	return r;
}

bool lapic_take_sipi(struct lapic *l, uint8_t *vector)
{
	bool r = l->sipi_pending;

	if (r)
		*vector = l->sipi_vector;
	l->sipi_pending = false;
	return r;
}

static unsigned lint_off(unsigned pin)
{
	return pin ? LAPIC_LVT_LINT1 : LAPIC_LVT_LINT0;
}

static unsigned lvt_dm(uint32_t lvt)
{
	return (lvt & LAPIC_DM) >> LAPIC_DM_SHIFT;
}

/* The pin's logical state: its level through the LVT's polarity. */
static bool lint_asserted(const struct lapic *l, unsigned pin)
{
	return l->lint_level[pin] != ((lapic_reg(l, lint_off(pin)) & LAPIC_POLARITY) != 0);
}

bool lapic_extint_pending(const struct lapic *l)
{
	uint32_t lvt = lapic_reg(l, LAPIC_LVT_LINT0);

	if (!lapic_hw_enabled(l))
		return l->lint_level[0];
	if (l->extint_pending)
		return true;
	return !(lvt & LAPIC_MASKED) && lvt_dm(lvt) == APIC_DM_EXTINT && lint_asserted(l, 0);
}

uint8_t lapic_extint_ack(struct lapic *l)
{
	l->extint_pending = false;
	return l->ops->extint_ack ? l->ops->extint_ack(l->ctx) : 0;
}

/*
 * Level-sensitive LINT inputs, re-evaluated when the pin, its LVT or its remote IRR
 * changes: ExtINT (always level) and fixed level-triggered, which sets remote IRR.
 */
void lapic_lint_update(struct lapic *l, unsigned pin)
{
	unsigned off = lint_off(pin);
	uint32_t lvt = lapic_reg(l, off);
	uint8_t vector = (uint8_t)(lvt & LAPIC_VECTOR);

	if ((lvt & LAPIC_MASKED) || !lint_asserted(l, pin) || !lapic_hw_enabled(l))
		return;
	if (lvt_dm(lvt) == APIC_DM_EXTINT) {
		lapic_notify(l);
		return;
	}
	if (lvt_dm(lvt) != APIC_DM_FIXED || !(lvt & LAPIC_TRIGGER) || (lvt & LAPIC_LEVEL))
		return;
	if (vector >= 16)
		lapic_reg_set(l, off, lvt | LAPIC_LEVEL);
	lapic_accept(l, vector, true);
}

/* Edge-sensitive LINT delivery: NMI, INIT and fixed edge-triggered (SDM "Local Vector
 * Table"). With the APIC globally disabled the pins are plain INTR and NMI. */
static void lint_edge(struct lapic *l, unsigned pin)
{
	uint32_t lvt = lapic_reg(l, lint_off(pin));

	if (lvt & LAPIC_MASKED)
		return;
	switch (lvt_dm(lvt)) {
	case APIC_DM_FIXED:
		if (!(lvt & LAPIC_TRIGGER))
			lapic_accept(l, (uint8_t)(lvt & LAPIC_VECTOR), false);
		break;
	case APIC_DM_NMI:
		l->nmi_pending = true;
		lapic_notify(l);
		break;
	case APIC_DM_INIT:
		l->init_pending = true;
		lapic_notify(l);
		break;
	default:
		break;
	}
}

void lapic_set_lint(struct lapic *l, unsigned pin, bool level)
{
	bool was = lint_asserted(l, pin), old_level = l->lint_level[pin];

	l->lint_level[pin] = level;
	if (!lapic_hw_enabled(l)) {
		if (pin == 1 && level && !old_level) {
			l->nmi_pending = true;
			lapic_notify(l);
		} else if (pin == 0 && level) {
			lapic_notify(l);
		}
		return;
	}
	if (lint_asserted(l, pin) && !was)
		lint_edge(l, pin);
	lapic_lint_update(l, pin);
}
