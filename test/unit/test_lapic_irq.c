/*
 * Unit tests for devices/lapic.c interrupt handling: priority classes and nesting, TPR/
 * PPR/CR8, TMR and EOI broadcasts, illegal vectors, software disable, NMI/INIT/SIPI/
 * ExtINT messages and the LINT pins in each mode.
 */
#include "test/unit/lapic_fixture.h"

/* SDM "Interrupt, Task, and Processor Priority": only a higher class interrupts. */
static void test_priority_nesting(void **state)
{
	fx_default();
	sw_enable();
	deliver_fixed(0x31, false);
	take(0x31);
	assert_int_equal(rd(LAPIC_PPR), 0x30);
	deliver_fixed(0x3F, false); /* same class: waits */
	assert_int_equal(lapic_pending(&F.l), -1);
	deliver_fixed(0x25, false); /* lower class: waits */
	assert_int_equal(lapic_pending(&F.l), -1);
	deliver_fixed(0x51, false);
	take(0x51);
	assert_int_equal(rd(LAPIC_PPR), 0x50);
	assert_int_equal(lapic_pending(&F.l), -1);
	wr(LAPIC_EOI, 0); /* retires 0x51, the highest in service */
	assert_false(isr(0x51));
	assert_true(isr(0x31));
	assert_int_equal(rd(LAPIC_PPR), 0x30);
	assert_int_equal(lapic_pending(&F.l), -1);
	wr(LAPIC_EOI, 0);
	assert_int_equal(rd(LAPIC_PPR), 0);
	take(0x3F);
	wr(LAPIC_EOI, 0);
	take(0x25);
	wr(LAPIC_EOI, 0);
	wr(LAPIC_EOI, 0); /* nothing in service: harmless */
	assert_int_equal(rd(LAPIC_PPR), 0);
	assert_int_equal(lapic_pending(&F.l), -1);
	assert_int_equal(F.neoi, 0);
}

static void test_highest_irr_first(void **state)
{
	static const uint8_t order[] = {0x40, 0xFF, 0x10, 0x9F, 0x60, 0xA0};

	fx_default();
	sw_enable();
	for (unsigned i = 0; i < ARRAY_SIZE(order); i++)
		deliver_fixed(order[i], false);
	take(0xFF);
	assert_int_equal(lapic_pending(&F.l), -1); /* nothing is above class 15 */
	wr(LAPIC_EOI, 0);
	for (unsigned i = 0; i < 5; i++) {
		static const uint8_t next[] = {0xA0, 0x9F, 0x60, 0x40, 0x10};

		take(next[i]);
		wr(LAPIC_EOI, 0);
	}
	assert_int_equal(lapic_pending(&F.l), -1);
}

static void test_tpr_ppr(void **state)
{
	fx_default();
	sw_enable();
	wr(LAPIC_TPR, 0x55);
	assert_int_equal(rd(LAPIC_PPR), 0x55);
	deliver_fixed(0x5F, false);
	assert_int_equal(lapic_pending(&F.l), -1); /* class 5 is not above 5 */
	deliver_fixed(0x61, false);
	take(0x61);
	assert_int_equal(rd(LAPIC_PPR), 0x60); /* ISR class above TPR class: low bits 0 */
	wr(LAPIC_TPR, 0x6A);
	assert_int_equal(rd(LAPIC_PPR), 0x6A); /* TPR class >= ISR class: PPR = TPR */
	wr(LAPIC_TPR, 0x00);
	assert_int_equal(rd(LAPIC_PPR), 0x60);
	wr(LAPIC_EOI, 0);
	assert_int_equal(rd(LAPIC_PPR), 0);
	take(0x5F);
	wr(LAPIC_EOI, 0);
	wr(LAPIC_TPR, 0xF0);
	deliver_fixed(0xFE, false);
	assert_int_equal(lapic_pending(&F.l), -1); /* TPR 15 blocks everything */
	assert_int_equal(lapic_get_ppr(&F.l), 0xF0);
}

static void test_cr8(void **state)
{
	fx_default();
	sw_enable();
	lapic_set_cr8(&F.l, 5);
	assert_int_equal(rd(LAPIC_TPR), 0x50);
	assert_int_equal(rd(LAPIC_PPR), 0x50);
	assert_int_equal(lapic_get_cr8(&F.l), 5);
	wr(LAPIC_TPR, 0x7A);
	assert_int_equal(lapic_get_cr8(&F.l), 7);
	assert_int_equal(lapic_get_tpr(&F.l), 0x7A);
	lapic_set_cr8(&F.l, 7); /* a CR8 write clears TPR[3:0] */
	assert_int_equal(rd(LAPIC_TPR), 0x70);
	deliver_fixed(0x71, false);
	assert_int_equal(lapic_pending(&F.l), -1);
	lapic_set_cr8(&F.l, 6);
	assert_int_equal(lapic_pending(&F.l), 0x71);
	lapic_set_tpr(&F.l, 0x81);
	assert_int_equal(lapic_get_ppr(&F.l), 0x81);
	assert_int_equal(lapic_pending(&F.l), -1);
}

/* SDM "Signaling Interrupt Servicing Completion": only TMR-set vectors broadcast. */
static void test_tmr_and_eoi_broadcast(void **state)
{
	fx_default();
	sw_enable();
	deliver_fixed(0x70, true);
	assert_true(tmr(0x70));
	take(0x70);
	wr(LAPIC_EOI, 0);
	assert_int_equal(F.neoi, 1);
	assert_int_equal(F.eoi[0], 0x70);
	deliver_fixed(0x70, false); /* edge acceptance clears the TMR bit */
	assert_false(tmr(0x70));
	take(0x70);
	wr(LAPIC_EOI, 0);
	assert_int_equal(F.neoi, 1);
	/* nested: level under edge */
	deliver_fixed(0x81, true);
	take(0x81);
	deliver_fixed(0x92, false);
	take(0x92);
	wr(LAPIC_EOI, 0);
	assert_int_equal(F.neoi, 1);
	wr(LAPIC_EOI, 0);
	assert_int_equal(F.neoi, 2);
	assert_int_equal(F.eoi[1], 0x81);
}

static void test_eoi_broadcast_suppression(void **state)
{
	struct lapic_config cfg = fx_default_cfg();

	cfg.eoi_suppress = true;
	fx_start(&cfg);
	wr(LAPIC_SVR, 0x11FF);
	deliver_fixed(0x70, true);
	take(0x70);
	wr(LAPIC_EOI, 0);
	assert_int_equal(F.neoi, 0);
	assert_false(isr(0x70));
	wr(LAPIC_SVR, 0x1FF);
	deliver_fixed(0x70, true);
	take(0x70);
	wr(LAPIC_EOI, 0);
	assert_int_equal(F.neoi, 1);
}

static void test_illegal_vectors(void **state)
{
	fx_default();
	sw_enable();
	for (unsigned v = 0; v < 16; v++) {
		deliver_fixed((uint8_t)v, false);
		assert_false(irr((uint8_t)v));
		assert_int_equal(esr(), LAPIC_ESR_RECV_ILLEGAL);
	}
	deliver_fixed(16, false);
	assert_true(irr(16));
	assert_int_equal(esr(), 0);
	assert_int_equal(lapic_pending(&F.l), 16);
}

/* SDM "Local APIC State After It Has Been Software Disabled". */
static void test_software_disable(void **state)
{
	struct apic_msg nmi = {.delivery = APIC_DM_NMI}, init = {.delivery = APIC_DM_INIT};
	struct apic_msg sipi = {.delivery = APIC_DM_SIPI, .vector = 0x9A};
	uint8_t v = 0;

	struct apic_msg extint = {.delivery = APIC_DM_EXTINT};

	fx_default(); /* SVR = 0xFF after reset: software-disabled */
	deliver_fixed(0x40, false);
	assert_false(irr(0x40));
	lapic_deliver(&F.l, &extint);
	assert_false(lapic_extint_pending(&F.l));
	wr(LAPIC_LVT_LINT1, 0x400); /* masks cannot be cleared */
	assert_int_equal(rd(LAPIC_LVT_LINT1), 0x10400);
	lapic_deliver(&F.l, &nmi);
	lapic_deliver(&F.l, &init);
	lapic_deliver(&F.l, &sipi);
	assert_true(lapic_take_nmi(&F.l));
	assert_true(lapic_take_init(&F.l));
	assert_true(lapic_take_sipi(&F.l, &v));
	assert_int_equal(v, 0x9A);
	assert_false(lapic_take_nmi(&F.l));
	assert_false(lapic_take_init(&F.l));
	assert_false(lapic_take_sipi(&F.l, &v));

	sw_enable();
	wr(LAPIC_LVT_LINT1, 0x400);
	wr(LAPIC_LVT_TIMER, 0x20030);
	assert_int_equal(rd(LAPIC_LVT_LINT1), 0x400);
	deliver_fixed(0x40, false);
	deliver_fixed(0x50, false);
	take(0x50);
	wr(LAPIC_SVR, 0x0FF); /* disabling sets every mask bit */
	assert_int_equal(rd(LAPIC_SVR), 0xFF);
	deliver_fixed(0x41, false);
	assert_false(irr(0x41));
	assert_int_equal(rd(LAPIC_LVT_LINT1), 0x10400);
	assert_int_equal(rd(LAPIC_LVT_TIMER), 0x30030);
	assert_int_equal(rd(LAPIC_LVT_ERR), 0x10000);
	assert_true(isr(0x50)); /* IRR and ISR are held */
	wr(LAPIC_EOI, 0);
	assert_int_equal(lapic_pending(&F.l), 0x40);
	wr(LAPIC_SVR, 0x1FF); /* re-enabling leaves the masks set */
	assert_int_equal(rd(LAPIC_LVT_LINT1), 0x10400);
}

static void test_nmi_init_sipi_extint_messages(void **state)
{
	struct apic_msg m = {.delivery = APIC_DM_NMI};
	uint8_t v = 0;

	fx_default();
	sw_enable();
	lapic_deliver(&F.l, &m);
	assert_int_equal(F.notify, 1);
	assert_int_equal(lapic_pending(&F.l), -1); /* NMI is not an IRR vector */
	assert_true(lapic_take_nmi(&F.l));
	m = (struct apic_msg){.delivery = APIC_DM_SIPI, .vector = 0x10};
	lapic_deliver(&F.l, &m);
	assert_true(lapic_take_sipi(&F.l, &v));
	assert_int_equal(v, 0x10);
	m = (struct apic_msg){.delivery = APIC_DM_EXTINT};
	F.extint_vector = 0x28;
	lapic_deliver(&F.l, &m);
	assert_true(lapic_extint_pending(&F.l));
	assert_int_equal(lapic_extint_ack(&F.l), 0x28);
	assert_int_equal(F.extint_acks, 1);
	assert_false(lapic_extint_pending(&F.l));
	m = (struct apic_msg){.delivery = APIC_DM_SMI};
	lapic_deliver(&F.l, &m);
	assert_int_equal(F.notify, 3);
	deliver_fixed(0x44, false);
	assert_int_equal(F.notify, 4);
	m = (struct apic_msg){.delivery = APIC_DM_LOWEST, .vector = 0x45, .level = true};
	lapic_deliver(&F.l, &m);
	assert_true(irr(0x45) && tmr(0x45));
}

/* Virtual-wire mode as SeaBIOS and Linux set it up: LINT0 ExtINT, LINT1 NMI. */
static void test_lint_virtual_wire(void **state)
{
	fx_default();
	F.extint_vector = 0x30;
	lapic_set_lint(&F.l, 0, true);
	assert_false(lapic_extint_pending(&F.l)); /* LVT0 masked after reset */
	sw_enable();
	wr(LAPIC_LVT_LINT0, 0x700);
	assert_true(lapic_extint_pending(&F.l)); /* level sensitive: already high */
	assert_int_equal(lapic_pending(&F.l), -1);
	wr(LAPIC_TPR, 0xF0); /* ExtINT bypasses the APIC's priorities */
	assert_true(lapic_extint_pending(&F.l));
	assert_int_equal(lapic_extint_ack(&F.l), 0x30);
	assert_true(lapic_extint_pending(&F.l)); /* as long as the PIC holds INTR */
	lapic_set_lint(&F.l, 0, false);
	assert_false(lapic_extint_pending(&F.l));
	wr(LAPIC_LVT_LINT0, 0x10700);
	lapic_set_lint(&F.l, 0, true);
	assert_false(lapic_extint_pending(&F.l));

	wr(LAPIC_LVT_LINT1, 0x400);
	lapic_set_lint(&F.l, 1, true);
	assert_true(lapic_take_nmi(&F.l));
	lapic_set_lint(&F.l, 1, true); /* edge: holding high gives no second NMI */
	assert_false(lapic_take_nmi(&F.l));
	lapic_set_lint(&F.l, 1, false);
	assert_false(lapic_take_nmi(&F.l));
	lapic_set_lint(&F.l, 1, true);
	assert_true(lapic_take_nmi(&F.l));
	wr(LAPIC_LVT_LINT1, 0x10400);
	lapic_set_lint(&F.l, 1, false);
	lapic_set_lint(&F.l, 1, true);
	assert_false(lapic_take_nmi(&F.l));
}

static void test_lint0_nmi_and_init(void **state)
{
	fx_default();
	sw_enable();
	wr(LAPIC_LVT_LINT0, 0x400);
	lapic_set_lint(&F.l, 0, true);
	assert_true(lapic_take_nmi(&F.l));
	assert_false(lapic_extint_pending(&F.l));
	lapic_set_lint(&F.l, 0, false);
	wr(LAPIC_LVT_LINT0, 0x500);
	lapic_set_lint(&F.l, 0, true);
	assert_true(lapic_take_init(&F.l));
	wr(LAPIC_LVT_LINT1, 0x2400); /* active low */
	lapic_set_lint(&F.l, 1, true);
	assert_false(lapic_take_nmi(&F.l));
	lapic_set_lint(&F.l, 1, false);
	assert_true(lapic_take_nmi(&F.l));
}

/* Globally disabled, LINT0 and LINT1 are the processor's INTR and NMI pins. */
static void test_lint_when_globally_disabled(void **state)
{
	fx_default();
	assert_int_equal(lapic_set_base(&F.l, 0xFEE00100), 0);
	F.extint_vector = 0x08;
	lapic_set_lint(&F.l, 0, true);
	assert_true(lapic_extint_pending(&F.l));
	assert_int_equal(lapic_extint_ack(&F.l), 0x08);
	lapic_set_lint(&F.l, 0, false);
	assert_false(lapic_extint_pending(&F.l));
	lapic_set_lint(&F.l, 1, true);
	assert_true(lapic_take_nmi(&F.l));
	lapic_set_lint(&F.l, 1, true); /* NMI is an edge */
	assert_false(lapic_take_nmi(&F.l));
}

static void test_lint_fixed(void **state)
{
	fx_default();
	sw_enable();
	wr(LAPIC_LVT_LINT0, 0x41); /* fixed, edge */
	lapic_set_lint(&F.l, 0, true);
	assert_true(irr(0x41));
	assert_false(tmr(0x41));
	take(0x41);
	lapic_set_lint(&F.l, 0, true);
	assert_false(irr(0x41));
	wr(LAPIC_EOI, 0);
	lapic_set_lint(&F.l, 0, false);

	wr(LAPIC_LVT_LINT1, 0x8042); /* fixed, level */
	lapic_set_lint(&F.l, 1, true);
	assert_true(irr(0x42) && tmr(0x42));
	assert_int_equal(rd(LAPIC_LVT_LINT1), 0xC042); /* remote IRR */
	take(0x42);
	wr(LAPIC_EOI, 0); /* the pin is still high: it comes again */
	assert_int_equal(F.neoi, 1);
	assert_true(irr(0x42));
	assert_int_equal(rd(LAPIC_LVT_LINT1), 0xC042);
	take(0x42);
	lapic_set_lint(&F.l, 1, false);
	wr(LAPIC_EOI, 0);
	assert_int_equal(rd(LAPIC_LVT_LINT1), 0x8042);
	assert_int_equal(lapic_pending(&F.l), -1);
	wr(LAPIC_LVT_LINT1, 0x8042 | LAPIC_LEVEL); /* remote IRR is read-only */
	assert_int_equal(rd(LAPIC_LVT_LINT1), 0x8042);
}

/* VMX TPR shadow: the CPU writes TPR in the page itself (MOV to CR8), never telling the model. */
static void cpu_writes_tpr(uint32_t tpr)
{
	F.page[LAPIC_TPR / 4] = tpr;
}

static void test_tpr_written_in_page(void **state)
{
	fx_default();
	sw_enable();
	cpu_writes_tpr(0x50);
	assert_int_equal(rd(LAPIC_PPR), 0x50);
	assert_int_equal(lapic_get_ppr(&F.l), 0x50);
	deliver_fixed(0x45, false);
	assert_int_equal(lapic_pending(&F.l), -1);
	assert_int_equal(lapic_tpr_threshold(&F.l), 4);
	deliver_fixed(0x5E, false); /* class 5 is not above TPR's 5 either */
	assert_int_equal(lapic_pending(&F.l), -1);
	assert_int_equal(lapic_tpr_threshold(&F.l), 5);
	cpu_writes_tpr(0x40); /* MOV CR8, 4: below 5, the exit the threshold asks for */
	assert_int_equal(rd(LAPIC_PPR), 0x40);
	assert_int_equal(lapic_tpr_threshold(&F.l), 0);
	take(0x5E);
	assert_int_equal(F.page[LAPIC_PPR / 4], 0x50);	/* the model refreshed the page's PPR */
	assert_int_equal(lapic_tpr_threshold(&F.l), 4); /* 0x45: TPR class 4 holds it back */
	cpu_writes_tpr(0);
	assert_int_equal(lapic_tpr_threshold(&F.l), 0); /* ISR (class 5) holds it now */
	assert_int_equal(lapic_pending(&F.l), -1);
	assert_int_equal(rd(LAPIC_PPR), 0x50);
	wr(LAPIC_EOI, 0);
	assert_int_equal(F.page[LAPIC_PPR / 4], 0);
	take(0x45);
	wr(LAPIC_EOI, 0);
	assert_int_equal(lapic_tpr_threshold(&F.l), 0);
	assert_int_equal(lapic_pending(&F.l), -1);
}

/* All 240 legal vectors at once: taken from 255 down, one EOI each, then nothing. */
static void test_every_vector_in_order(void **state)
{
	fx_default();
	sw_enable();
	for (unsigned v = 16; v < 256; v++)
		deliver_fixed((uint8_t)v, false);
	for (int v = 255; v >= 16; v--) {
		take(v);
		assert_int_equal(rd(LAPIC_PPR), v & 0xF0);
		wr(LAPIC_EOI, 0);
		assert_false(isr((uint8_t)v));
	}
	assert_int_equal(lapic_pending(&F.l), -1);
	assert_int_equal(rd(LAPIC_PPR), 0);
	deliver_fixed(0x80, false); /* a software disable and reset leave nothing behind */
	assert_int_equal(lapic_set_base(&F.l, 0), 0);
	assert_int_equal(lapic_set_base(&F.l, LAPIC_DEFAULT_BASE | LAPIC_BASE_EN), 0);
	sw_enable();
	assert_int_equal(lapic_pending(&F.l), -1);
	deliver_fixed(0x20, false);
	take(0x20);
}

/* Every TPR class against a lone IRR vector: threshold and pending as the SDM defines them. */
static void test_tpr_threshold_all_classes(void **state)
{
	for (unsigned tpr = 0; tpr < 16; tpr++) {
		for (unsigned v = 16; v < 256; v++) {
			bool held = (v >> 4) <= tpr;

			fx_default();
			sw_enable();
			cpu_writes_tpr(tpr << 4 | (v & 0xF));
			deliver_fixed((uint8_t)v, false);
			assert_int_equal(lapic_tpr_threshold(&F.l), held ? v >> 4 : 0);
			assert_true(lapic_tpr_threshold(&F.l) <= tpr);
			assert_int_equal(lapic_pending(&F.l), held ? -1 : (int)v);
		}
	}
	fx_default();
	assert_int_equal(lapic_tpr_threshold(&F.l), 0); /* nothing requested */
}

/* x2APIC: PPR through its MSR follows the page's TPR as well. */
static void test_tpr_written_in_page_x2apic(void **state)
{
	fx_default();
	sw_enable();
	to_x2apic();
	cpu_writes_tpr(0xA0);
	assert_int_equal(msr_rd(0x80A), 0xA0);
	assert_int_equal(msr_rd(0x808), 0xA0);
	deliver_fixed(0xA1, false);
	assert_int_equal(lapic_tpr_threshold(&F.l), 10);
	msr_wr(0x808, 0x90);
	assert_int_equal(lapic_tpr_threshold(&F.l), 0);
	take(0xA1);
	assert_int_equal(msr_rd(0x80A), 0xA0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_priority_nesting),
	    cmocka_unit_test(test_highest_irr_first),
	    cmocka_unit_test(test_tpr_ppr),
	    cmocka_unit_test(test_cr8),
	    cmocka_unit_test(test_tpr_written_in_page),
	    cmocka_unit_test(test_every_vector_in_order),
	    cmocka_unit_test(test_tpr_threshold_all_classes),
	    cmocka_unit_test(test_tpr_written_in_page_x2apic),
	    cmocka_unit_test(test_tmr_and_eoi_broadcast),
	    cmocka_unit_test(test_eoi_broadcast_suppression),
	    cmocka_unit_test(test_illegal_vectors),
	    cmocka_unit_test(test_software_disable),
	    cmocka_unit_test(test_nmi_init_sipi_extint_messages),
	    cmocka_unit_test(test_lint_virtual_wire),
	    cmocka_unit_test(test_lint0_nmi_and_init),
	    cmocka_unit_test(test_lint_when_globally_disabled),
	    cmocka_unit_test(test_lint_fixed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
