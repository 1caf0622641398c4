/*
 * Unit tests for devices/lapic_regs.c in x2APIC mode (SDM "x2APIC Register Address
 * Space", "Reserved Bit Checking"): the whole MSR range's #GP map, the ID/LDR rules, the
 * 64-bit ICR, SELF IPI, EOI and ESR write rules, and every reserved-bit #GP.
 */
#include "test/unit/lapic_fixture.h"

enum { NONE, RO, WO, RW };

static unsigned msr_kind(uint32_t msr)
{
	switch (msr) {
	case 0x802: /* ID */
	case 0x803: /* VER */
	case 0x80A: /* PPR */
	case 0x80D: /* LDR */
	case 0x839: /* current count */
		return RO;
	case 0x80B: /* EOI */
	case 0x83F: /* SELF IPI */
		return WO;
	case 0x808:	      /* TPR */
	case 0x80F:	      /* SVR */
	case 0x828:	      /* ESR */
	case 0x82F:	      /* LVT CMCI */
	case 0x830:	      /* ICR */
	case 0x832 ... 0x838: /* LVTs, initial count */
	case 0x83E:	      /* divide */
		return RW;
	default:
		return msr >= 0x810 && msr <= 0x827 ? RO : NONE; /* ISR, TMR, IRR */
	}
}

/* A write of 0 is legal for every writable register; reserved and read-only ones #GP. */
static void test_msr_map(void **state)
{
	unsigned counts[4] = {0};

	for (uint32_t msr = 0x800; msr <= 0x8FF; msr++) {
		unsigned k = msr_kind(msr);
		uint64_t v;

		fx_default();
		to_x2apic();
		counts[k]++;
		assert_int_equal(lapic_msr_read(&F.l, msr, 0, &v), k == RO || k == RW ? 0 : -1);
		assert_int_equal(lapic_msr_write(&F.l, msr, 0, 0), k == WO || k == RW ? 0 : -1);
	}
	assert_int_equal(counts[RO], 5 + 24);
	assert_int_equal(counts[WO], 2);
	assert_int_equal(counts[RW], 13);
	/* the registers xAPIC has and x2APIC drops */
	assert_int_equal(msr_kind(0x809) | msr_kind(0x80C) | msr_kind(0x80E) | msr_kind(0x831),
			 NONE);
	/* outside the range is not the APIC's */
	fx_default();
	to_x2apic();
	assert_int_equal(lapic_msr_write(&F.l, 0x7FF, 0, 0), -1);
	assert_int_equal(lapic_msr_write(&F.l, 0x900, 0, 0), -1);
}

static void test_msr_gp_outside_x2apic(void **state)
{
	uint64_t v;

	fx_default();
	for (uint32_t msr = 0x800; msr <= 0x8FF; msr++) {
		assert_int_equal(lapic_msr_read(&F.l, msr, 0, &v), -1);
		assert_int_equal(lapic_msr_write(&F.l, msr, 0, 0), -1);
	}
	assert_int_equal(lapic_set_base(&F.l, 0xFEE00100), 0);
	assert_int_equal(lapic_msr_read(&F.l, 0x802, 0, &v), -1);
	assert_int_equal(lapic_msr_write(&F.l, 0x808, 0, 0), -1);
}

static void test_mmio_absent_in_x2apic(void **state)
{
	uint32_t v = 1;

	fx_default();
	to_x2apic();
	assert_int_equal(lapic_mmio_read(&F.l, LAPIC_VER, 4, 0, &v), LAPIC_MMIO_ABSENT);
	assert_int_equal(v, 0);
	assert_int_equal(lapic_mmio_write(&F.l, LAPIC_TPR, 4, 0, 0x20), LAPIC_MMIO_ABSENT);
	assert_int_equal(msr_rd(0x808), 0);
}

/* SDM "x2APIC ID" and "Logical Destination Mode in x2APIC Mode". */
static void test_id_and_ldr(void **state)
{
	static const uint32_t ids[] = {0, 1, 15, 16, 31, 0xFF, 0x12345, 0xFFFFFFFE};

	for (unsigned i = 0; i < ARRAY_SIZE(ids); i++) {
		struct lapic_config cfg = fx_default_cfg();

		cfg.apic_id = ids[i];
		fx_start(&cfg);
		to_x2apic();
		assert_int_equal(msr_rd(0x802), ids[i]);
		assert_int_equal(msr_rd(0x80D), ((ids[i] >> 4) << 16) | (1u << (ids[i] & 15)));
		assert_int_equal(lapic_msr_write(&F.l, 0x802, 0, 0), -1);
		assert_int_equal(lapic_msr_write(&F.l, 0x80D, 0, 0), -1);
		assert_int_equal(msr_rd(0x802), ids[i]);
	}
	/* the page holds the x2APIC form, as APIC-register virtualization will read it */
	assert_int_equal(F.page[LAPIC_ID / 4], 0xFFFFFFFE);
}

static void test_eoi_and_esr_writes(void **state)
{
	fx_default();
	to_x2apic();
	msr_wr(0x80F, 0x1FF);
	deliver_fixed(0x40, false);
	take(0x40);
	assert_int_equal(lapic_msr_write(&F.l, 0x80B, 0, 1), -1);
	assert_true(isr(0x40));
	assert_int_equal(lapic_msr_write(&F.l, 0x80B, 0, BIT(32)), -1);
	msr_wr(0x80B, 0);
	assert_false(isr(0x40));

	deliver_fixed(2, false);
	assert_int_equal(lapic_msr_write(&F.l, 0x828, 0, 1), -1);
	assert_int_equal(msr_rd(0x828), 0);
	msr_wr(0x828, 0);
	assert_int_equal(msr_rd(0x828), LAPIC_ESR_RECV_ILLEGAL);
}

struct rsvd_case {
	uint32_t msr;
	uint64_t val;
	int expect;
};

/* SDM "Reserved Bit Checking": nonzero reserved bits in a WRMSR raise #GP. */
static void test_reserved_bits(void **state)
{
	static const struct rsvd_case cases[] = {
	    {0x808, 0xFF, 0},
	    {0x808, 0x100, -1},
	    {0x808, BIT(32), -1},
	    {0x80F, 0x3FF, 0},
	    {0x80F, BIT(10), -1},
	    {0x80F, BIT(12), -1}, /* no EOI-broadcast suppression advertised */
	    {0x832, 0x300FF & ~BIT(18), 0},
	    {0x832, 0x400FF, 0},  /* TSC-deadline */
	    {0x832, 0x600FF, -1}, /* mode 11b */
	    {0x832, BIT(19), -1},
	    {0x832, BIT(8), -1}, /* the timer has no delivery mode */
	    {0x832, BIT(12), 0}, /* delivery status is read-only, not reserved */
	    {0x833, 0x107FF, 0},
	    {0x833, BIT(13), -1},
	    {0x834, BIT(15), -1},
	    {0x82F, BIT(17), -1},
	    {0x835, 0x1A7FF, 0},
	    {0x835, 0x1A7FF | BIT(12) | BIT(14), 0},
	    {0x835, BIT(17), -1},
	    {0x836, BIT(31), -1},
	    {0x837, 0x100FF, 0},
	    {0x837, BIT(8), -1},
	    {0x837, BIT(13), -1},
	    {0x838, 0xFFFFFFFF, 0},
	    {0x838, BIT(32), -1},
	    {0x83E, 0xB, 0},
	    {0x83E, BIT(2), -1},
	    {0x83E, BIT(4), -1},
	    {0x83F, 0x1FF, -1},
	    {0x83F, BIT(32) | 0x40, -1},
	    {0x830, BIT(13), -1},
	    {0x830, BIT(16), -1},
	    {0x830, BIT(17), -1},
	    {0x830, BIT(20), -1},
	    {0x830, BIT(31), -1},
	    {0x830, BIT(12) | BIT(14) | 0x400, 0}, /* bit 12 is ignored */
	};

	for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
		fx_default();
		to_x2apic();
		msr_wr(0x80F, 0x100);
		assert_int_equal(lapic_msr_write(&F.l, cases[i].msr, 0, cases[i].val),
				 cases[i].expect);
	}
	/* with the feature, SVR bit 12 is writable */
	struct lapic_config cfg = fx_default_cfg();

	cfg.eoi_suppress = true;
	fx_start(&cfg);
	to_x2apic();
	msr_wr(0x80F, 0x11FF);
	assert_int_equal(msr_rd(0x80F), 0x11FF);
	assert_int_equal(msr_rd(0x803), 0x01060014);
	/* without CPUID TSC-deadline, timer mode bit 18 is reserved */
	cfg = fx_default_cfg();
	cfg.tsc_deadline = false;
	fx_start(&cfg);
	to_x2apic();
	assert_int_equal(lapic_msr_write(&F.l, 0x832, 0, 0x400FF), -1);
	msr_wr(0x832, 0x200FF);
}

static void test_icr_64bit(void **state)
{
	fx_default();
	to_x2apic();
	msr_wr(0x830, (0x12345678ULL << 32) | 0xC8F1); /* logical, level-triggered assert, 0xF1 */
	assert_int_equal(F.nipi, 1);
	assert_int_equal(F.ipi[0].dest, 0x12345678);
	assert_int_equal(F.ipi[0].vector, 0xF1);
	assert_int_equal(F.ipi[0].delivery, APIC_DM_FIXED);
	assert_true(F.ipi[0].logical);
	assert_true(F.ipi[0].level);
	assert_int_equal(F.ipi_sh[0], LAPIC_SH_NONE);
	assert_int_equal(msr_rd(0x830), (0x12345678ULL << 32) | 0xC8F1);
	assert_int_equal(F.page[LAPIC_ICR_HI / 4], 0x12345678);
	msr_wr(0x830, (0xFFFFFFFFULL << 32) | 0x1400); /* NMI, bit 12 set */
	assert_int_equal(F.nipi, 2);
	assert_int_equal(F.ipi[1].delivery, APIC_DM_NMI);
	assert_int_equal(F.ipi[1].dest, 0xFFFFFFFF);
	assert_int_equal(msr_rd(0x830), (0xFFFFFFFFULL << 32) | 0x400);
	msr_wr(0x830, 0xC0030); /* all excluding self */
	assert_int_equal(F.ipi_sh[2], LAPIC_SH_OTHERS);
	assert_int_equal(F.ipi[2].dest, 0);
}

static void test_self_ipi(void **state)
{
	fx_default();
	to_x2apic();
	msr_wr(0x80F, 0x1FF);
	msr_wr(0x83F, 0x55);
	assert_int_equal(F.nipi, 0); /* handled inside the model */
	assert_true(irr(0x55));
	assert_false(tmr(0x55));
	assert_int_equal(lapic_pending(&F.l), 0x55);
	msr_wr(0x83F, 0x05);
	msr_wr(0x828, 0);
	assert_int_equal(msr_rd(0x828), LAPIC_ESR_SEND_ILLEGAL);
	assert_false(irr(0x05));
	msr_wr(0x830, 0x40066); /* ICR self shorthand */
	assert_true(irr(0x66));
	assert_int_equal(F.nipi, 0);
}

static void test_x2apic_priority_regs(void **state)
{
	fx_default();
	to_x2apic();
	msr_wr(0x80F, 0x1FF);
	msr_wr(0x808, 0x35);
	assert_int_equal(msr_rd(0x80A), 0x35);
	deliver_fixed(0x61, true);
	take(0x61);
	assert_int_equal(msr_rd(0x80A), 0x60);
	assert_int_equal(msr_rd(0x813), BIT(1)); /* ISR 0x61 */
	assert_int_equal(msr_rd(0x81B), BIT(1)); /* TMR */
	assert_int_equal(msr_rd(0x823), 0);	 /* IRR */
	msr_wr(0x80B, 0);
	assert_int_equal(F.neoi, 1);
	assert_int_equal(F.eoi[0], 0x61);
	assert_int_equal(msr_rd(0x80A), 0x35);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_msr_map),
	    cmocka_unit_test(test_msr_gp_outside_x2apic),
	    cmocka_unit_test(test_mmio_absent_in_x2apic),
	    cmocka_unit_test(test_id_and_ldr),
	    cmocka_unit_test(test_eoi_and_esr_writes),
	    cmocka_unit_test(test_reserved_bits),
	    cmocka_unit_test(test_icr_64bit),
	    cmocka_unit_test(test_self_ipi),
	    cmocka_unit_test(test_x2apic_priority_regs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
