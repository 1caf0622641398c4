/*
 * Unit tests for devices/lapic.c and lapic_regs.c, xAPIC side: every register after
 * power-up and INIT, the IA32_APIC_BASE transition matrix and reserved bits, state
 * across mode changes, reserved/read-only MMIO registers, access widths, ESR, LVT error.
 */
#include "test/unit/lapic_fixture.h"

static const uint32_t lvts[] = {LAPIC_LVT_CMCI,	 LAPIC_LVT_TIMER, LAPIC_LVT_THERM, LAPIC_LVT_PERF,
				LAPIC_LVT_LINT0, LAPIC_LVT_LINT1, LAPIC_LVT_ERR};

/* Every architectural register at its RESET value, with ID register `id`. */
static void assert_reset_regs(uint32_t id)
{
	assert_int_equal(rd(LAPIC_ID), id);
	assert_int_equal(rd(LAPIC_VER), 0x00060014);
	assert_int_equal(rd(LAPIC_TPR), 0);
	assert_int_equal(rd(LAPIC_APR), 0);
	assert_int_equal(rd(LAPIC_PPR), 0);
	assert_int_equal(rd(LAPIC_EOI), 0);
	assert_int_equal(rd(LAPIC_RRD), 0);
	assert_int_equal(rd(LAPIC_LDR), 0);
	assert_int_equal(rd(LAPIC_DFR), 0xFFFFFFFF);
	assert_int_equal(rd(LAPIC_SVR), 0xFF);
	for (unsigned i = 0; i < 8; i++) {
		assert_int_equal(rd(LAPIC_ISR + i * 16), 0);
		assert_int_equal(rd(LAPIC_TMR + i * 16), 0);
		assert_int_equal(rd(LAPIC_IRR + i * 16), 0);
	}
	assert_int_equal(rd(LAPIC_ESR), 0);
	for (unsigned i = 0; i < ARRAY_SIZE(lvts); i++)
		assert_int_equal(rd(lvts[i]), 0x00010000);
	assert_int_equal(rd(LAPIC_ICR_LO), 0);
	assert_int_equal(rd(LAPIC_ICR_HI), 0);
	assert_int_equal(rd(LAPIC_TMICT), 0);
	assert_int_equal(rd(LAPIC_TMCCT), 0);
	assert_int_equal(rd(LAPIC_TDCR), 0);
	assert_int_equal(lapic_next_event(&F.l), UINT64_MAX);
	assert_int_equal(lapic_pending(&F.l), -1);
	assert_false(lapic_sw_enabled(&F.l));
}

static void test_poweron_reset(void **state)
{
	struct lapic_config cfg = fx_default_cfg();

	fx_default();
	assert_int_equal(lapic_get_base(&F.l), 0xFEE00900);
	assert_int_equal(lapic_mmio_base(&F.l), 0xFEE00000);
	assert_true(lapic_hw_enabled(&F.l));
	assert_false(lapic_x2apic_mode(&F.l));
	assert_reset_regs(0);

	cfg.bsp = false;
	cfg.apic_id = 0x1234; /* an xAPIC sees the low 8 bits */
	fx_start(&cfg);
	assert_int_equal(lapic_get_base(&F.l), 0xFEE00800);
	assert_reset_regs(0x34000000);
}

/* Program everything a stock OS would, with interrupts pending and in service. */
static void dirty_everything(void)
{
	sw_enable();
	wr(LAPIC_ID, 0x05000000);
	wr(LAPIC_TPR, 0x10);
	wr(LAPIC_LDR, 0x01000000);
	wr(LAPIC_DFR, 0x0FFFFFFF);
	for (unsigned i = 0; i < ARRAY_SIZE(lvts); i++)
		wr(lvts[i], 0xEF);
	wr(LAPIC_ICR_HI, 0x07000000);
	wr(LAPIC_ICR_LO, 0x000C40FD);
	wr(LAPIC_TDCR, 0xB);
	wr(LAPIC_TMICT, 1000000);
	deliver_fixed(0x40, true);
	take(0x40);
	deliver_fixed(0x30, false);
	deliver_fixed(3, false);
	wr(LAPIC_ESR, 0);
	assert_int_not_equal(rd(LAPIC_ESR), 0);
}

static void test_init_reset(void **state)
{
	struct apic_msg nmi = {.delivery = APIC_DM_NMI},
			sipi = {.delivery = APIC_DM_SIPI, .vector = 9};
	uint8_t v = 0;

	fx_default();
	dirty_everything();
	assert_int_equal(lapic_set_base(&F.l, 0xFED00900), 0);
	lapic_deliver(&F.l, &nmi);
	lapic_deliver(&F.l, &sipi);
	lapic_reset(&F.l, true);
	assert_int_equal(lapic_get_base(&F.l), 0xFED00900); /* kept by INIT */
	assert_reset_regs(0x05000000);			    /* ID kept by INIT */
	assert_false(lapic_take_nmi(&F.l));
	assert_true(lapic_take_sipi(&F.l, &v)); /* may come before INIT is processed */
	assert_int_equal(v, 9);

	lapic_deliver(&F.l, &sipi);
	lapic_reset(&F.l, false);
	assert_int_equal(lapic_get_base(&F.l), 0xFEE00900);
	assert_reset_regs(0);
	assert_false(lapic_take_sipi(&F.l, &v));
}

static void test_init_in_x2apic(void **state)
{
	struct lapic_config cfg = fx_default_cfg();
	uint64_t val;

	cfg.apic_id = 0x123;
	fx_start(&cfg);
	to_x2apic();
	msr_wr(0x80F, 0x1FF);
	msr_wr(0x808, 0x20);
	msr_wr(0x832, 0x30);
	lapic_reset(&F.l, true);
	assert_true(lapic_x2apic_mode(&F.l)); /* INIT keeps x2APIC mode */
	assert_int_equal(msr_rd(0x802), 0x123);
	assert_int_equal(msr_rd(0x80D), (0x12 << 16) | (1 << 3));
	assert_int_equal(msr_rd(0x80F), 0xFF);
	assert_int_equal(msr_rd(0x808), 0);
	assert_int_equal(msr_rd(0x832), 0x10000);
	lapic_reset(&F.l, false); /* RESET goes back to xAPIC */
	assert_false(lapic_x2apic_mode(&F.l));
	assert_int_equal(lapic_msr_read(&F.l, 0x802, 0, &val), -1);
	assert_reset_regs(0x23000000);
}

static void test_init_while_disabled(void **state)
{
	fx_default();
	assert_int_equal(lapic_set_base(&F.l, 0xFEE00100), 0);
	lapic_reset(&F.l, true);
	assert_int_equal(lapic_get_base(&F.l), 0xFEE00100); /* INIT keeps it disabled */
	assert_false(lapic_hw_enabled(&F.l));
}

static void test_base_reserved_bits(void **state)
{
	struct lapic_config cfg = fx_default_cfg();

	cfg.maxphyaddr = 36;
	fx_start(&cfg);
	for (unsigned b = 0; b < 64; b++) {
		uint64_t val = 0xFEE00800 | BIT(b);
		bool ok = b == 8 || b == 10 || b == 11 || (b >= 12 && b < 36);

		lapic_reset(&F.l, false);
		assert_int_equal(lapic_set_base(&F.l, val), ok ? 0 : -1);
		if (!ok)
			assert_int_equal(lapic_get_base(&F.l), 0xFEE00900);
	}
	/* BSP is read-only: writing it 0 keeps it */
	lapic_reset(&F.l, false);
	assert_int_equal(lapic_set_base(&F.l, 0xFEE00800), 0);
	assert_int_equal(lapic_get_base(&F.l), 0xFEE00900);
	/* Without CPUID.x2APIC, EXTD is reserved */
	cfg.x2apic = false;
	fx_start(&cfg);
	assert_int_equal(lapic_set_base(&F.l, 0xFEE00C00), -1);
	assert_false(lapic_x2apic_mode(&F.l));
}

enum { DIS, XAPIC, X2APIC, INVALID };
static const uint64_t mode_bits[] = {
    [DIS] = 0,
    [XAPIC] = LAPIC_BASE_EN,
    [X2APIC] = LAPIC_BASE_EN | LAPIC_BASE_EXTD,
    [INVALID] = LAPIC_BASE_EXTD,
};

static void enter(unsigned mode)
{
	fx_default();
	if (mode == X2APIC)
		to_x2apic();
	if (mode == DIS)
		assert_int_equal(lapic_set_base(&F.l, 0xFEE00100), 0);
}

/* SDM "x2APIC State Transitions": every (from, to) pair. */
static void test_base_transition_matrix(void **state)
{
	static const int expect[3][4] = {
	    [DIS] = {[DIS] = 0, [XAPIC] = 0, [X2APIC] = -1, [INVALID] = -1},
	    [XAPIC] = {[DIS] = 0, [XAPIC] = 0, [X2APIC] = 0, [INVALID] = -1},
	    [X2APIC] = {[DIS] = 0, [XAPIC] = -1, [X2APIC] = 0, [INVALID] = -1},
	};

	for (unsigned from = 0; from < 3; from++) {
		for (unsigned to = 0; to < 4; to++) {
			uint64_t before, val = 0xFEE00100 | mode_bits[to];

			enter(from);
			before = lapic_get_base(&F.l);
			assert_int_equal(lapic_set_base(&F.l, val), expect[from][to]);
			assert_int_equal(lapic_get_base(&F.l), expect[from][to] ? before : val);
		}
	}
}

static void test_disable_resets_state(void **state)
{
	struct apic_msg m = {.delivery = APIC_DM_NMI, .dest = 0xFF};
	uint32_t v;
	uint64_t q;

	fx_default();
	dirty_everything();
	assert_int_equal(lapic_set_base(&F.l, 0xFEE00100), 0);
	assert_int_equal(lapic_mmio_read(&F.l, LAPIC_ID, 4, 0, &v), LAPIC_MMIO_ABSENT);
	assert_int_equal(lapic_mmio_write(&F.l, LAPIC_TPR, 4, 0, 0x20), LAPIC_MMIO_ABSENT);
	assert_int_equal(lapic_msr_read(&F.l, 0x802, 0, &q), -1);
	assert_false(lapic_match_dest(&F.l, &m));
	lapic_deliver(&F.l, &m);
	assert_false(lapic_take_nmi(&F.l));
	assert_int_equal(lapic_pending(&F.l), -1);
	assert_int_equal(lapic_next_event(&F.l), UINT64_MAX);
	assert_int_equal(lapic_set_base(&F.l, 0xFEE00900), 0);
	assert_reset_regs(0x05000000); /* the xAPIC ID survives */

	/* from x2APIC through disabled: the initial ID's low byte comes back */
	struct lapic_config cfg = fx_default_cfg();

	cfg.apic_id = 0x1A7;
	fx_start(&cfg);
	wr(LAPIC_ID, 0x05000000);
	to_x2apic();
	msr_wr(0x80F, 0x1FF);
	assert_int_equal(lapic_set_base(&F.l, 0xFEE00100), 0);
	assert_int_equal(lapic_set_base(&F.l, 0xFEE00900), 0);
	assert_reset_regs(0xA7000000);
}

/* SDM "State Changes From xAPIC Mode to x2APIC Mode": ID, LDR and ICR high are not kept. */
static void test_xapic_to_x2apic_state(void **state)
{
	struct lapic_config cfg = fx_default_cfg();

	cfg.apic_id = 0x21;
	fx_start(&cfg);
	sw_enable();
	wr(LAPIC_ID, 0x07000000);
	wr(LAPIC_LDR, 0x01000000);
	wr(LAPIC_ICR_HI, 0x03000000);
	wr(LAPIC_TPR, 0x20);
	wr(LAPIC_LVT_LINT0, 0x700);
	deliver_fixed(0x80, false);
	to_x2apic();
	assert_int_equal(msr_rd(0x802), 0x21);
	assert_int_equal(msr_rd(0x80D), (2 << 16) | 2);
	assert_int_equal(msr_rd(0x830) >> 32, 0);
	assert_int_equal(msr_rd(0x808), 0x20);
	assert_int_equal(msr_rd(0x80F), 0x1FF);
	assert_int_equal(msr_rd(0x835), 0x700);
	assert_int_equal(msr_rd(0x824), 1); /* IRR 0x80 */
	assert_int_equal(lapic_pending(&F.l), 0x80);
}

static void test_base_move(void **state)
{
	uint32_t v;

	fx_default();
	assert_int_equal(lapic_set_base(&F.l, 0xFED00900), 0);
	assert_int_equal(lapic_mmio_base(&F.l), 0xFED00000);
	assert_int_equal(lapic_mmio_read(&F.l, LAPIC_VER, 4, 0, &v), 0);
	assert_int_equal(v, 0x00060014);
	assert_int_equal(lapic_set_base(&F.l, 0x7FFFFFF000ULL | 0x900), 0); /* top of 39 bits */
	assert_int_equal(lapic_mmio_base(&F.l), 0x7FFFFFF000ULL);
	assert_int_equal(lapic_set_base(&F.l, 0x8000000000ULL | 0x900), -1);
}

static bool xapic_register(uint32_t off)
{
	static const uint32_t regs[] = {0x20,  0x30,  0x80,  0x90,  0xA0,  0xB0,  0xC0,	 0xD0,
					0xE0,  0xF0,  0x280, 0x2F0, 0x300, 0x310, 0x320, 0x330,
					0x340, 0x350, 0x360, 0x370, 0x380, 0x390, 0x3E0};

	if (off >= 0x100 && off < 0x280)
		return true; /* ISR, TMR, IRR */
	for (unsigned i = 0; i < ARRAY_SIZE(regs); i++)
		if (regs[i] == off)
			return true;
	return false;
}

/* SDM "Error Handling": reserved registers read 0, and any access logs an illegal address. */
static void test_xapic_reserved_registers(void **state)
{
	unsigned n = 0;

	fx_default();
	for (uint32_t off = 0; off < 4096; off += 16) {
		if (xapic_register(off))
			continue;
		n++;
		assert_int_equal(rd(off), 0);
		assert_int_equal(esr(), LAPIC_ESR_ILLEGAL_REG);
		assert_int_equal(esr(), 0);
		wr(off, 0xFFFFFFFF);
		assert_int_equal(rd(off), 0);
		assert_int_equal(esr(), LAPIC_ESR_ILLEGAL_REG);
	}
	assert_int_equal(n, 256 - 23 - 24);
	for (uint32_t off = 0; off < 4096; off += 16) {
		if (!xapic_register(off))
			continue;
		rd(off);
		assert_int_equal(esr(), 0);
	}
}

static void test_xapic_readonly_registers(void **state)
{
	static const uint32_t ro[] = {LAPIC_VER, LAPIC_APR, LAPIC_PPR, LAPIC_RRD, LAPIC_TMCCT};

	fx_default();
	sw_enable();
	wr(LAPIC_TPR, 0x40);
	deliver_fixed(0x91, true);
	deliver_fixed(0x92, false);
	take(0x92);
	for (unsigned i = 0; i < ARRAY_SIZE(ro); i++)
		wr(ro[i], 0xFFFFFFFF);
	for (unsigned i = 0; i < 8; i++) {
		wr(LAPIC_ISR + i * 16, 0xFFFFFFFF);
		wr(LAPIC_TMR + i * 16, 0xFFFFFFFF);
		wr(LAPIC_IRR + i * 16, 0xFFFFFFFF);
	}
	assert_int_equal(rd(LAPIC_VER), 0x00060014);
	assert_int_equal(rd(LAPIC_APR), 0);
	assert_int_equal(rd(LAPIC_PPR), 0x90);
	assert_int_equal(rd(LAPIC_RRD), 0);
	assert_int_equal(rd(LAPIC_TMCCT), 0);
	assert_int_equal(rd(LAPIC_ISR + 0x40), BIT(0x12));
	assert_int_equal(rd(LAPIC_IRR + 0x40), BIT(0x11));
	assert_int_equal(rd(LAPIC_TMR + 0x40), BIT(0x11));
	assert_int_equal(rd(LAPIC_IRR), 0);
	assert_int_equal(esr(), 0); /* read-only is not an illegal address */
}

static void test_xapic_write_masks(void **state)
{
	struct lapic_config cfg = fx_default_cfg();

	fx_default();
	sw_enable();
	wr(LAPIC_ID, 0xFFFFFFFF);
	assert_int_equal(rd(LAPIC_ID), 0xFF000000);
	wr(LAPIC_TPR, 0xFFFFFFFF);
	assert_int_equal(rd(LAPIC_TPR), 0xFF);
	assert_int_equal(rd(LAPIC_PPR), 0xFF);
	wr(LAPIC_LDR, 0xFFFFFFFF);
	assert_int_equal(rd(LAPIC_LDR), 0xFF000000);
	wr(LAPIC_DFR, 0);
	assert_int_equal(rd(LAPIC_DFR), 0x0FFFFFFF);
	wr(LAPIC_ICR_HI, 0xFFFFFFFF);
	assert_int_equal(rd(LAPIC_ICR_HI), 0xFF000000);
	wr(LAPIC_TDCR, 0xFFFFFFFF);
	assert_int_equal(rd(LAPIC_TDCR), 0xB);
	wr(LAPIC_SVR, 0xFFFFFFFF); /* no EOI-broadcast suppression advertised */
	assert_int_equal(rd(LAPIC_SVR), 0x3FF);
	wr(LAPIC_LVT_TIMER, 0xFFFFFFFF); /* mode 11b is reserved: periodic */
	assert_int_equal(rd(LAPIC_LVT_TIMER), 0x300FF);
	wr(LAPIC_LVT_THERM, 0xFFFFFFFF);
	assert_int_equal(rd(LAPIC_LVT_THERM), 0x107FF);
	wr(LAPIC_LVT_PERF, 0xFFFFFFFF);
	assert_int_equal(rd(LAPIC_LVT_PERF), 0x107FF);
	wr(LAPIC_LVT_CMCI, 0xFFFFFFFF);
	assert_int_equal(rd(LAPIC_LVT_CMCI), 0x107FF);
	wr(LAPIC_LVT_LINT0, 0xFFFFFFFF);
	assert_int_equal(rd(LAPIC_LVT_LINT0), 0x1A7FF);
	wr(LAPIC_LVT_ERR, 0xFFFFFFFF);
	assert_int_equal(rd(LAPIC_LVT_ERR), 0x100FF);
	wr(LAPIC_LVT_LINT1, 0x000004FF & ~LAPIC_MASKED);
	assert_int_equal(rd(LAPIC_LVT_LINT1), 0x4FF);

	cfg.eoi_suppress = true;
	fx_start(&cfg);
	assert_int_equal(rd(LAPIC_VER), 0x01060014);
	wr(LAPIC_SVR, 0xFFFFFFFF);
	assert_int_equal(rd(LAPIC_SVR), 0x13FF);
}

/* Sub-dword reads inside a register's first dword; everything else is 0 or dropped. */
static void test_xapic_access_widths(void **state)
{
	uint32_t v;

	fx_default();
	wr(LAPIC_ID, 0xAB000000);
	assert_int_equal(lapic_mmio_read(&F.l, LAPIC_VER, 1, 0, &v), 0);
	assert_int_equal(v, 0x14);
	assert_int_equal(lapic_mmio_read(&F.l, LAPIC_VER + 2, 1, 0, &v), 0);
	assert_int_equal(v, 0x06);
	assert_int_equal(lapic_mmio_read(&F.l, LAPIC_ID + 2, 2, 0, &v), 0);
	assert_int_equal(v, 0xAB00);
	assert_int_equal(lapic_mmio_read(&F.l, LAPIC_ID + 4, 4, 0, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(lapic_mmio_read(&F.l, LAPIC_ID + 3, 2, 0, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(lapic_mmio_read(&F.l, LAPIC_ID, 8, 0, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(lapic_mmio_write(&F.l, LAPIC_TPR + 4, 4, 0, 0x30), 0);
	assert_int_equal(lapic_mmio_write(&F.l, LAPIC_TPR, 2, 0, 0x30), 0);
	assert_int_equal(lapic_mmio_write(&F.l, LAPIC_TPR, 1, 0, 0x30), 0);
	assert_int_equal(rd(LAPIC_TPR), 0);
	assert_int_equal(esr(), 0);
}

/* SDM "Error Status Register": a write latches the errors seen since the last write. */
static void test_esr_latch(void **state)
{
	fx_default();
	sw_enable();
	deliver_fixed(7, false);
	assert_int_equal(rd(LAPIC_ESR), 0); /* not latched yet */
	wr(LAPIC_ESR, 0x12345678);	    /* the value written is irrelevant */
	assert_int_equal(rd(LAPIC_ESR), LAPIC_ESR_RECV_ILLEGAL);
	assert_int_equal(rd(LAPIC_ESR), LAPIC_ESR_RECV_ILLEGAL); /* reading does not clear */
	rd(0x40);
	wr(LAPIC_ICR_LO, 0x0000000E);
	assert_int_equal(esr(), LAPIC_ESR_ILLEGAL_REG | LAPIC_ESR_SEND_ILLEGAL);
	assert_int_equal(esr(), 0);
}

static void test_lvt_error_interrupt(void **state)
{
	fx_default();
	sw_enable();
	wr(LAPIC_LVT_ERR, 0xFE);
	rd(0x50);
	assert_int_equal(lapic_pending(&F.l), 0xFE);
	assert_false(tmr(0xFE));
	take(0xFE);
	wr(LAPIC_EOI, 0);
	wr(LAPIC_LVT_ERR, LAPIC_MASKED | 0xFE);
	rd(0x50);
	assert_int_equal(lapic_pending(&F.l), -1);
	/* an illegal error vector is logged, not looped on */
	wr(LAPIC_LVT_ERR, 0x03);
	esr();
	rd(0x50);
	assert_int_equal(lapic_pending(&F.l), -1);
	assert_int_equal(esr(), LAPIC_ESR_ILLEGAL_REG | LAPIC_ESR_RECV_ILLEGAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_poweron_reset),
	    cmocka_unit_test(test_init_reset),
	    cmocka_unit_test(test_init_in_x2apic),
	    cmocka_unit_test(test_init_while_disabled),
	    cmocka_unit_test(test_base_reserved_bits),
	    cmocka_unit_test(test_base_transition_matrix),
	    cmocka_unit_test(test_disable_resets_state),
	    cmocka_unit_test(test_xapic_to_x2apic_state),
	    cmocka_unit_test(test_base_move),
	    cmocka_unit_test(test_xapic_reserved_registers),
	    cmocka_unit_test(test_xapic_readonly_registers),
	    cmocka_unit_test(test_xapic_write_masks),
	    cmocka_unit_test(test_xapic_access_widths),
	    cmocka_unit_test(test_esr_latch),
	    cmocka_unit_test(test_lvt_error_interrupt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
