/*
 * Local APIC register access: xAPIC MMIO and x2APIC MSRs over one register table
 * (SDM "Local APIC Register Address Map", "x2APIC Register Address Space"), the
 * per-register write rules, and ICR/SELF IPI sending. Called through lapic.h only.
 */
#include "devices/lapic_priv.h"

/* Who may touch a register, indexed by offset / 16 (= MSR - 0x800). */
#define RX  BIT(0) /* readable in xAPIC mode */
#define WX  BIT(1)
#define R2  BIT(2) /* readable in x2APIC mode */
#define W2  BIT(3)
#define RWA (RX | WX | R2 | W2)

static const uint8_t lapic_access[64] = {
    [0x02] = RX | WX | R2,     /* ID: read-only in x2APIC */
    [0x03] = RX | R2,	       /* VER */
    [0x08] = RWA,	       /* TPR */
    [0x09] = RX,	       /* APR: reads 0, absent in x2APIC */
    [0x0A] = RX | R2,	       /* PPR */
    [0x0B] = WX | W2,	       /* EOI */
    [0x0C] = RX,	       /* RRD: reads 0, absent in x2APIC */
    [0x0D] = RX | WX | R2,     /* LDR: derived in x2APIC */
    [0x0E] = RX | WX,	       /* DFR: absent in x2APIC */
    [0x0F] = RWA,	       /* SVR */
    [0x10 ... 0x27] = RX | R2, /* ISR, TMR, IRR */
    [0x28] = RWA,	       /* ESR */
    [0x2F] = RWA,	       /* LVT CMCI */
    [0x30] = RWA,	       /* ICR (one 64-bit MSR in x2APIC) */
    [0x31] = RX | WX,	       /* ICR high: folded into 0x830 in x2APIC */
    [0x32 ... 0x37] = RWA,     /* LVT timer, thermal, perf, LINT0, LINT1, error */
    [0x38] = RWA,	       /* initial count */
    [0x39] = RX | R2,	       /* current count */
    [0x3E] = RWA,	       /* divide configuration */
    [0x3F] = W2,	       /* SELF IPI */
};

#define ICR_BITS                                                                                   \
	(LAPIC_VECTOR | LAPIC_DM | LAPIC_DEST_LOG | LAPIC_LEVEL | LAPIC_TRIGGER | LAPIC_SHORTHAND)
#define TDCR_BITS 0xBu
#define XAPIC_ID  GENMASK(31, 24)

static uint8_t reg_access(uint32_t off)
{
	return (off >> 4) < ARRAY_SIZE(lapic_access) ? lapic_access[off >> 4] : 0;
}

/*
 * Sends what an ICR (or SELF IPI) write asks for. Illegal vectors of fixed and
 * lowest-priority IPIs are refused with "send illegal vector"; INIT level de-assert
 * (absent since the Pentium 4) and the reserved modes are dropped; self-only IPIs are
 * delivered here, the rest goes to ops->send_ipi with its shorthand.
 */
void lapic_send_icr(struct lapic *l, uint32_t lo, uint32_t dest)
{
	unsigned sh = (unsigned)((lo & LAPIC_SHORTHAND) >> 18);
	struct apic_msg m = {
	    .vector = (uint8_t)(lo & LAPIC_VECTOR),
	    .delivery = (uint8_t)((lo & LAPIC_DM) >> LAPIC_DM_SHIFT),
	    .logical = (lo & LAPIC_DEST_LOG) != 0,
	    .level = (lo & LAPIC_TRIGGER) != 0,
	    .dest = sh == LAPIC_SH_NONE ? dest : 0,
	};

	if ((m.delivery == APIC_DM_FIXED || m.delivery == APIC_DM_LOWEST) && m.vector < 16) {
		lapic_error(l, LAPIC_ESR_SEND_ILLEGAL);
		return;
	}
	if (m.delivery == APIC_DM_INIT && m.level && !(lo & LAPIC_LEVEL))
		return;
	if (m.delivery == 3 || m.delivery == APIC_DM_EXTINT)
		return;
	if (sh == LAPIC_SH_SELF)
		lapic_deliver(l, &m);
	else if (l->ops->send_ipi)
		l->ops->send_ipi(l->ctx, &m, sh);
}

/* Writable bits of an LVT entry; read-only ones (delivery status, remote IRR) aside. */
static uint32_t lvt_bits(const struct lapic *l, unsigned off)
{
	switch (off) {
	case LAPIC_LVT_TIMER:
		return LAPIC_VECTOR | LAPIC_MASKED |
		       (l->cfg.tsc_deadline ? LAPIC_TIMER_MODE : BIT(17));
	case LAPIC_LVT_LINT0:
	case LAPIC_LVT_LINT1:
		return LAPIC_VECTOR | LAPIC_DM | LAPIC_POLARITY | LAPIC_TRIGGER | LAPIC_MASKED;
	case LAPIC_LVT_ERR:
		return LAPIC_VECTOR | LAPIC_MASKED;
	default: /* CMCI, thermal, perf */
		return LAPIC_VECTOR | LAPIC_DM | LAPIC_MASKED;
	}
}

/* While software-disabled every LVT stays masked (SDM "Spurious-Interrupt Vector Register"). */
static int write_lvt(struct lapic *l, unsigned off, uint32_t val, uint64_t now, bool x2)
{
	bool lint = off == LAPIC_LVT_LINT0 || off == LAPIC_LVT_LINT1;
	uint32_t ok = lvt_bits(l, off), ro = LAPIC_DS | (lint ? LAPIC_LEVEL : 0);

	if (off == LAPIC_LVT_TIMER && (val & LAPIC_TIMER_MODE) == LAPIC_TIMER_MODE)
		ok &= ~BIT(18); /* mode 11b is reserved */
	if (x2 && (val & ~(ok | ro)))
		return -1;
	val &= ok;
	if (!lapic_sw_enabled(l))
		val |= LAPIC_MASKED;
	if (off == LAPIC_LVT_TIMER) {
		lapic_timer_set_lvt(l, val, now);
		return 0;
	}
	if (lint)
		val |= lapic_reg(l, off) & LAPIC_LEVEL;
	lapic_reg_set(l, off, val);
	if (lint)
		lapic_lint_update(l, off == LAPIC_LVT_LINT1);
	return 0;
}

static void write_svr(struct lapic *l, uint32_t val)
{
	lapic_reg_set(l, LAPIC_SVR, val);
	if (!(val & LAPIC_SVR_ENABLE))
		lapic_mask_lvts(l);
}

/* In x2APIC mode set reserved bits are #GP; in xAPIC mode they are dropped. */
static bool rsvd(uint32_t val, uint32_t ok, bool x2)
{
	return x2 && (val & ~ok);
}

/* The one write path of both interfaces, for registers the access table allows. */
static int reg_write(struct lapic *l, unsigned off, uint32_t val, uint64_t now, bool x2)
{
	uint32_t svr_ok = 0x3FF | (l->cfg.eoi_suppress ? LAPIC_SVR_NO_BCAST : 0);

	switch (off) {
	case LAPIC_ID:
	case LAPIC_LDR:
	case LAPIC_ICR_HI:
		lapic_reg_set(l, off, val & XAPIC_ID);
		return 0;
	case LAPIC_TPR:
		if (rsvd(val, 0xFF, x2))
			return -1;
		lapic_set_tpr(l, (uint8_t)val);
		return 0;
	case LAPIC_EOI:
		if (rsvd(val, 0, x2))
			return -1;
		lapic_eoi(l);
		return 0;
	case LAPIC_DFR:
		lapic_reg_set(l, off, val | 0x0FFFFFFFu);
		return 0;
	case LAPIC_SVR:
		if (rsvd(val, svr_ok, x2))
			return -1;
		write_svr(l, val & svr_ok);
		return 0;
	case LAPIC_ESR:
		if (rsvd(val, 0, x2))
			return -1;
		lapic_reg_set(l, off, l->esr_pending);
		l->esr_pending = 0;
		return 0;
	case LAPIC_ICR_LO:
		lapic_reg_set(l, off, val & ICR_BITS);
		lapic_send_icr(l, val & ICR_BITS, lapic_reg(l, LAPIC_ICR_HI) >> 24);
		return 0;
	case LAPIC_TMICT:
		lapic_timer_set_tmict(l, val, now);
		return 0;
	case LAPIC_TDCR:
		if (rsvd(val, TDCR_BITS, x2))
			return -1;
		lapic_timer_set_tdcr(l, val & TDCR_BITS, now);
		return 0;
	case LAPIC_SELF_IPI:
		if (rsvd(val, LAPIC_VECTOR, x2))
			return -1;
		lapic_send_icr(l, (val & LAPIC_VECTOR) | (LAPIC_SH_SELF << 18), 0);
		return 0;
	default: /* the LVT entries */
		return write_lvt(l, off, val, now, x2);
	}
}

/* TMCCT runs with time; PPR follows a TPR the CPU may have written in the page. */
static uint32_t reg_read(const struct lapic *l, unsigned off, uint64_t now)
{
	if (off == LAPIC_TMCCT)
		return lapic_timer_tmcct(l, now);
	return off == LAPIC_PPR ? lapic_ppr(l) : lapic_reg(l, off);
}

int lapic_mmio_read(struct lapic *l, uint32_t off, unsigned width, uint64_t now, uint32_t *val)
{
	uint8_t acc = reg_access(off);
	unsigned byte = off & 0xF;
	uint32_t v;

	*val = 0;
	if (!lapic_hw_enabled(l) || lapic_x2apic_mode(l))
		return LAPIC_MMIO_ABSENT;
	if (!(acc & (RX | WX))) {
		lapic_error(l, LAPIC_ESR_ILLEGAL_REG);
		return 0;
	}
	if (!(acc & RX) || (width != 1 && width != 2 && width != 4) || byte + width > 4)
		return 0;
	v = reg_read(l, off & ~0xFu, now) >> (byte * 8);
	*val = width == 4 ? v : v & ((1u << (width * 8)) - 1);
	return 0;
}

int lapic_mmio_write(struct lapic *l, uint32_t off, unsigned width, uint64_t now, uint32_t val)
{
	uint8_t acc = reg_access(off);

	if (!lapic_hw_enabled(l) || lapic_x2apic_mode(l))
		return LAPIC_MMIO_ABSENT;
	if (!(acc & (RX | WX))) {
		lapic_error(l, LAPIC_ESR_ILLEGAL_REG);
		return 0;
	}
	if (width != 4 || (off & 0xF) || !(acc & WX))
		return 0;
	reg_write(l, off, val, now, false);
	return 0;
}

int lapic_apic_write(struct lapic *l, uint32_t off, uint64_t now)
{
	unsigned reg = off & ~0xFu;
	uint32_t val;

	if (reg >= LAPIC_REG_END) /* the CPU stores only registers' bits 31:0 */
		return 0;
	val = lapic_reg(l, reg);
	l->regs[reg / 4] = l->shadow[reg >> 4];
	if (off & 0xF) /* a byte or word inside the register: dropped, as from MMIO */
		return lapic_hw_enabled(l) && !lapic_x2apic_mode(l) ? 0 : LAPIC_MMIO_ABSENT;
	return lapic_mmio_write(l, reg, 4, now, val);
}

int lapic_msr_read(struct lapic *l, uint32_t msr, uint64_t now, uint64_t *val)
{
	uint32_t off = (msr - LAPIC_MSR_BASE) << 4;

	*val = 0;
	if (!lapic_x2apic_mode(l) || msr < LAPIC_MSR_FIRST || msr > LAPIC_MSR_LAST ||
	    !(reg_access(off) & R2))
		return -1;
	if (msr == LAPIC_MSR_ICR)
		*val = (uint64_t)lapic_reg(l, LAPIC_ICR_HI) << 32 | lapic_reg(l, LAPIC_ICR_LO);
	else
		*val = reg_read(l, off, now);
	return 0;
}

/* The ICR is one 64-bit MSR (bit 12 is ignored); every other register's 63:32 is reserved. */
int lapic_msr_write(struct lapic *l, uint32_t msr, uint64_t now, uint64_t val)
{
	uint32_t off = (msr - LAPIC_MSR_BASE) << 4, lo = (uint32_t)val;

	if (!lapic_x2apic_mode(l) || msr < LAPIC_MSR_FIRST || msr > LAPIC_MSR_LAST ||
	    !(reg_access(off) & W2))
		return -1;
	if (msr == LAPIC_MSR_ICR) {
		if (lo & ~(ICR_BITS | LAPIC_DS))
			return -1;
		lapic_reg_set(l, LAPIC_ICR_LO, lo & ICR_BITS);
		lapic_reg_set(l, LAPIC_ICR_HI, (uint32_t)(val >> 32));
		lapic_send_icr(l, lo & ICR_BITS, (uint32_t)(val >> 32));
		return 0;
	}
	if (val >> 32)
		return -1;
	return reg_write(l, off, lo, now, true);
}
