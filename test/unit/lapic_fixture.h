/*
 * Shared fixture for the devices/lapic*.c tests: one APIC on a 4 KiB-aligned page with
 * recording ops (IPIs sent, EOI broadcasts, notifications, ExtINT acknowledges) and
 * MMIO/MSR helpers that fail the test when the access itself is refused.
 */
#ifndef TEST_LAPIC_FIXTURE_H
#define TEST_LAPIC_FIXTURE_H

#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "devices/lapic.h"

#define FX_MAX 32

struct fx {
	uint32_t page[1024] __aligned(4096);
	struct lapic l;
	struct lapic_config cfg;
	struct apic_msg ipi[FX_MAX];
	unsigned ipi_sh[FX_MAX];
	unsigned nipi;
	uint8_t eoi[FX_MAX];
	unsigned neoi;
	unsigned notify;
	unsigned extint_acks;
	uint8_t extint_vector;
};

static struct fx F;

static inline void fx_send_ipi(void *ctx, const struct apic_msg *m, unsigned sh)
{
	struct fx *f = ctx;

	assert_true(f->nipi < FX_MAX);
	f->ipi[f->nipi] = *m;
	f->ipi_sh[f->nipi++] = sh;
}

static inline void fx_eoi(void *ctx, uint8_t vector)
{
	struct fx *f = ctx;

	assert_true(f->neoi < FX_MAX);
	f->eoi[f->neoi++] = vector;
}

static inline void fx_notify(void *ctx)
{
	((struct fx *)ctx)->notify++;
}

static inline uint8_t fx_extint_ack(void *ctx)
{
	struct fx *f = ctx;

	f->extint_acks++;
	return f->extint_vector;
}

static const struct lapic_ops fx_ops = {
    .send_ipi = fx_send_ipi,
    .eoi = fx_eoi,
    .notify = fx_notify,
    .extint_ack = fx_extint_ack,
};

static inline struct lapic_config fx_default_cfg(void)
{
	return (struct lapic_config){
	    .apic_id = 0,
	    .bsp = true,
	    .tsc_hz = 1000000000,
	    .bus_hz = 100000000,
	    .maxphyaddr = 39,
	    .x2apic = true,
	    .tsc_deadline = true,
	    .eoi_suppress = false,
	};
}

/* A fresh APIC with cfg (the recorder cleared). */
static inline struct lapic *fx_start(const struct lapic_config *cfg)
{
	memset(&F, 0xA5, sizeof(F.page)); /* reset must not rely on a zeroed page */
	F.cfg = *cfg;
	F.nipi = F.neoi = F.notify = F.extint_acks = 0;
	F.extint_vector = 0;
	lapic_init(&F.l, F.page, cfg, &fx_ops, &F);
	return &F.l;
}

static inline struct lapic *fx_default(void)
{
	struct lapic_config cfg = fx_default_cfg();

	return fx_start(&cfg);
}

static inline uint32_t rd(uint32_t off)
{
	uint32_t v = 0xDEADBEEF;

	assert_int_equal(lapic_mmio_read(&F.l, off, 4, 0, &v), 0);
	return v;
}

static inline uint32_t rd_at(uint32_t off, uint64_t now)
{
	uint32_t v = 0xDEADBEEF;

	assert_int_equal(lapic_mmio_read(&F.l, off, 4, now, &v), 0);
	return v;
}

static inline void wr(uint32_t off, uint32_t val)
{
	assert_int_equal(lapic_mmio_write(&F.l, off, 4, 0, val), 0);
}

static inline void wr_at(uint32_t off, uint32_t val, uint64_t now)
{
	assert_int_equal(lapic_mmio_write(&F.l, off, 4, now, val), 0);
}

/* ESR as software reads it: write, then read. */
static inline uint32_t esr(void)
{
	wr(LAPIC_ESR, 0);
	return rd(LAPIC_ESR);
}

static inline void sw_enable(void)
{
	wr(LAPIC_SVR, 0x1FF);
}

static inline uint64_t msr_rd(uint32_t msr)
{
	uint64_t v = 0xDEADBEEF;

	assert_int_equal(lapic_msr_read(&F.l, msr, 0, &v), 0);
	return v;
}

static inline void msr_wr(uint32_t msr, uint64_t val)
{
	assert_int_equal(lapic_msr_write(&F.l, msr, 0, val), 0);
}

static inline void to_x2apic(void)
{
	assert_int_equal(lapic_set_base(&F.l, lapic_get_base(&F.l) | LAPIC_BASE_EXTD), 0);
	assert_true(lapic_x2apic_mode(&F.l));
}

static inline bool irr(uint8_t v)
{
	return (F.page[(LAPIC_IRR + (v >> 5) * 16) / 4] >> (v & 31)) & 1;
}

static inline bool isr(uint8_t v)
{
	return (F.page[(LAPIC_ISR + (v >> 5) * 16) / 4] >> (v & 31)) & 1;
}

static inline bool tmr(uint8_t v)
{
	return (F.page[(LAPIC_TMR + (v >> 5) * 16) / 4] >> (v & 31)) & 1;
}

static inline struct apic_msg fixed(uint8_t vector, bool level)
{
	return (struct apic_msg){.vector = vector, .delivery = APIC_DM_FIXED, .level = level};
}

static inline void deliver_fixed(uint8_t vector, bool level)
{
	struct apic_msg m = fixed(vector, level);

	lapic_deliver(&F.l, &m);
}

/* The CPU takes what is pending and checks it is `vector`. */
static inline void take(int vector)
{
	assert_int_equal(lapic_pending(&F.l), vector);
	lapic_ack(&F.l, (uint8_t)vector);
}

#endif
