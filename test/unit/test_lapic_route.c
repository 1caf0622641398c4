/*
 * Unit tests for devices/lapic.c and lapic_regs.c message routing: destination matching
 * in every mode (physical, broadcast, flat and cluster logical, x2APIC cluster) and the
 * messages ICR writes produce (shorthands, delivery status, dropped IPIs, self IPIs).
 */
#include "test/unit/lapic_fixture.h"

static void test_match_physical_xapic(void **state)
{
	struct lapic_config cfg = fx_default_cfg();
	struct apic_msg m = {.delivery = APIC_DM_FIXED};

	cfg.apic_id = 3;
	fx_start(&cfg);
	m.dest = 3;
	assert_true(lapic_match_dest(&F.l, &m));
	m.dest = 4;
	assert_false(lapic_match_dest(&F.l, &m));
	m.dest = 0x103;
	assert_false(lapic_match_dest(&F.l, &m));
	m.dest = 0xFF;
	assert_true(lapic_match_dest(&F.l, &m));
	m.dest = 0xFFFFFFFF;
	assert_true(lapic_match_dest(&F.l, &m));
	wr(LAPIC_ID, 0x09000000); /* the xAPIC ID is software-writable */
	m.dest = 9;
	assert_true(lapic_match_dest(&F.l, &m));
	m.dest = 3;
	assert_false(lapic_match_dest(&F.l, &m));
}

static void test_match_flat_logical(void **state)
{
	static const struct {
		uint32_t mda;
		bool hit;
	} c[] = {{0x04, true},	{0x08, true}, {0x0C, true},  {0x03, false},
		 {0xF3, false}, {0xFF, true}, {0x00, false}, {0x1FF, false}};
	struct apic_msg m = {.delivery = APIC_DM_FIXED, .logical = true};

	fx_default();
	wr(LAPIC_LDR, 0x0C000000);
	for (unsigned i = 0; i < ARRAY_SIZE(c); i++) {
		m.dest = c[i].mda;
		assert_int_equal(lapic_match_dest(&F.l, &m), c[i].hit);
	}
	wr(LAPIC_LDR, 0);
	m.dest = 0xFF; /* broadcast reaches an APIC with no logical ID too */
	assert_true(lapic_match_dest(&F.l, &m));
	m.dest = 0x7F;
	assert_false(lapic_match_dest(&F.l, &m));
}

static void test_match_cluster_logical(void **state)
{
	static const struct {
		uint32_t mda;
		bool hit;
	} c[] = {{0x21, true},	{0x23, true},  {0x2F, true}, {0x22, false},
		 {0x11, false}, {0xF1, false}, {0xFF, true}, {0x01, false}};
	struct apic_msg m = {.delivery = APIC_DM_FIXED, .logical = true};

	fx_default();
	wr(LAPIC_DFR, 0x0FFFFFFF);
	wr(LAPIC_LDR, 0x21000000); /* cluster 2, member 0 */
	for (unsigned i = 0; i < ARRAY_SIZE(c); i++) {
		m.dest = c[i].mda;
		assert_int_equal(lapic_match_dest(&F.l, &m), c[i].hit);
	}
	m.dest = 0x21;
	m.logical = false; /* physical 0x21 is not this APIC's ID */
	assert_false(lapic_match_dest(&F.l, &m));
}

static void test_match_x2apic(void **state)
{
	static const struct {
		bool logical;
		uint32_t dest;
		bool hit;
	} c[] = {
	    {false, 0x23, true},       {false, 0x24, false},	  {false, 0xFF, false},
	    {false, 0xFFFFFFFF, true}, {true, 0x00020008, true},  {true, 0x0002FFFF, true},
	    {true, 0x00020004, false}, {true, 0x00030008, false}, {true, 0x00000008, false},
	    {true, 0xFFFFFFFF, true},
	};
	struct lapic_config cfg = fx_default_cfg();
	struct apic_msg m = {.delivery = APIC_DM_FIXED};

	cfg.apic_id = 0x23; /* cluster 2, bit 3 */
	fx_start(&cfg);
	to_x2apic();
	for (unsigned i = 0; i < ARRAY_SIZE(c); i++) {
		m.logical = c[i].logical;
		m.dest = c[i].dest;
		assert_int_equal(lapic_match_dest(&F.l, &m), c[i].hit);
	}
	cfg.apic_id = 0xFF; /* 0xFF is an ordinary x2APIC ID */
	fx_start(&cfg);
	to_x2apic();
	m.logical = false;
	m.dest = 0xFF;
	assert_true(lapic_match_dest(&F.l, &m));
	m.dest = 0x7F;
	assert_false(lapic_match_dest(&F.l, &m));
}

struct icr_case {
	uint32_t lo;
	bool sent;
	uint8_t vector, delivery;
	bool logical, level;
	unsigned sh;
	uint32_t dest;
};

/* Linux's and SeaBIOS's ICR writes, decoded into messages. */
static void test_icr_messages(void **state)
{
	static const struct icr_case c[] = {
	    {0x000040F0, true, 0xF0, APIC_DM_FIXED, false, false, 0, 5},
	    {0x00000830, true, 0x30, APIC_DM_FIXED, true, false, 0, 5},
	    {0x0000C131, true, 0x31, APIC_DM_LOWEST, false, true, 0, 5},
	    {0x00004400, true, 0x00, APIC_DM_NMI, false, false, 0, 5},
	    {0x0000C500, true, 0x00, APIC_DM_INIT, false, true, 0, 5}, /* INIT assert */
	    {.lo = 0x00008500},					       /* INIT de-assert */
	    {0x000C4500, true, 0x00, APIC_DM_INIT, false, false, 3, 0},
	    {0x00004608, true, 0x08, APIC_DM_SIPI, false, false, 0, 5},
	    {0x000C4698, true, 0x98, APIC_DM_SIPI, false, false, 3, 0},
	    {0x000800FD, true, 0xFD, APIC_DM_FIXED, false, false, 2, 0},
	    {.lo = 0x0000000F}, /* illegal vector */
	    {.lo = 0x0000010F}, /* illegal vector, lowest priority */
	    {.lo = 0x00000300}, /* reserved delivery mode */
	    {.lo = 0x00000700}, /* ExtINT is not an IPI */
	    {0x00000200, true, 0x00, APIC_DM_SMI, false, false, 0, 5},
	};

	for (unsigned i = 0; i < ARRAY_SIZE(c); i++) {
		fx_default();
		sw_enable();
		wr(LAPIC_ICR_HI, 0x05000000);
		wr(LAPIC_ICR_LO, c[i].lo | LAPIC_DS);
		assert_int_equal(rd(LAPIC_ICR_LO), c[i].lo); /* delivery status: idle */
		assert_int_equal(F.nipi, c[i].sent);
		if (!c[i].sent)
			continue;
		assert_int_equal(F.ipi[0].vector, c[i].vector);
		assert_int_equal(F.ipi[0].delivery, c[i].delivery);
		assert_int_equal(F.ipi[0].logical, c[i].logical);
		assert_int_equal(F.ipi[0].level, c[i].level);
		assert_int_equal(F.ipi_sh[0], c[i].sh);
		assert_int_equal(F.ipi[0].dest, c[i].dest);
		assert_int_equal(esr(), 0);
	}
	fx_default();
	wr(LAPIC_ICR_LO, 0x0F);
	assert_int_equal(esr(), LAPIC_ESR_SEND_ILLEGAL);
}

static void test_icr_self(void **state)
{
	fx_default();
	sw_enable();
	wr(LAPIC_ICR_HI, 0x05000000);
	wr(LAPIC_ICR_LO, 0x00044060); /* self, fixed, edge */
	assert_int_equal(F.nipi, 0);
	assert_true(irr(0x60));
	assert_false(tmr(0x60));
	wr(LAPIC_ICR_LO, 0x0004C061); /* self, level */
	assert_true(irr(0x61) && tmr(0x61));
	wr(LAPIC_ICR_LO, 0x00044400); /* self NMI */
	assert_true(lapic_take_nmi(&F.l));
	assert_int_equal(F.nipi, 0);
	take(0x61);
	wr(LAPIC_EOI, 0);
	assert_int_equal(F.neoi, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_match_physical_xapic),  cmocka_unit_test(test_match_flat_logical),
	    cmocka_unit_test(test_match_cluster_logical), cmocka_unit_test(test_match_x2apic),
	    cmocka_unit_test(test_icr_messages),	  cmocka_unit_test(test_icr_self),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
