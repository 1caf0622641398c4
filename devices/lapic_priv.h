/*
 * Shared between devices/lapic.c, lapic_regs.c and lapic_timer.c only: register-page
 * accessors and the internal steps each file offers the others. Not for other callers.
 */
#ifndef DEVICES_LAPIC_PRIV_H
#define DEVICES_LAPIC_PRIV_H

#include "devices/lapic.h"

static inline uint32_t lapic_reg(const struct lapic *l, unsigned off)
{
	return l->regs[off / 4];
}

/* Every register write of the model; the shadow keeps what it wrote (lapic_apic_write). */
static inline void lapic_reg_set(struct lapic *l, unsigned off, uint32_t v)
{
	l->regs[off / 4] = v;
	if (off < LAPIC_REG_END)
		l->shadow[off >> 4] = v;
}

/* Bit `vector` of a 256-bit IRR/ISR/TMR array starting at `base`. */
static inline bool lapic_vec_test(const struct lapic *l, unsigned base, uint8_t vector)
{
	return (lapic_reg(l, base + (vector >> 5) * 16u) >> (vector & 31)) & 1;
}

/* Which of the three 256-bit arrays (ISR 0x100, TMR 0x180, IRR 0x200): l->vec_words index. */
static inline unsigned lapic_vec_array(unsigned base)
{
	return (base - LAPIC_ISR) / 0x80;
}

/* The one writer of ISR/TMR/IRR bits: keeps the array's nonzero-word summary. */
static inline void lapic_vec_assign(struct lapic *l, unsigned base, uint8_t vector, bool on)
{
	unsigned word = vector >> 5, off = base + word * 16u;
	uint32_t bit = 1u << (vector & 31);
	uint32_t v = on ? lapic_reg(l, off) | bit : lapic_reg(l, off) & ~bit;
	uint8_t *sum = &l->vec_words[lapic_vec_array(base)];

	lapic_reg_set(l, off, v);
	*sum = v ? (uint8_t)(*sum | 1u << word) : (uint8_t)(*sum & ~(1u << word));
}

static inline bool lapic_lvt_masked(const struct lapic *l, unsigned off)
{
	return (lapic_reg(l, off) & LAPIC_MASKED) != 0;
}

/* lapic.c */
void lapic_accept(struct lapic *l, uint8_t vector, bool level);
void lapic_error(struct lapic *l, uint32_t esr_bits);
void lapic_eoi(struct lapic *l);
uint32_t lapic_ppr(const struct lapic *l);
void lapic_update_ppr(struct lapic *l);
void lapic_lint_update(struct lapic *l, unsigned pin);
void lapic_mask_lvts(struct lapic *l);

/* lapic_regs.c */
void lapic_send_icr(struct lapic *l, uint32_t lo, uint32_t dest);

/* lapic_timer.c */
void lapic_timer_reset(struct lapic *l);
void lapic_timer_set_lvt(struct lapic *l, uint32_t val, uint64_t now);
void lapic_timer_set_tmict(struct lapic *l, uint32_t val, uint64_t now);
void lapic_timer_set_tdcr(struct lapic *l, uint32_t val, uint64_t now);
uint32_t lapic_timer_tmcct(const struct lapic *l, uint64_t now);
unsigned lapic_timer_mode(const struct lapic *l);

#endif
