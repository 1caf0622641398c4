/*
 * Unit tests for the model under VMX APIC-register virtualization (devices/lapic.h,
 * lapic_apic_write): the CPU stores a guest's xAPIC write in the register page itself
 * and then exits. Each write-virtualized register, stored in the page and handed to
 * lapic_apic_write, must leave the APIC exactly as the same write through MMIO leaves a
 * twin APIC (whole page, timer deadline, IPIs, EOI broadcasts), with the guest's raw value
 * never surviving where the register does not take it (read-only bits, ESR, EOI). And
 * virtual-interrupt delivery: RVI/SVI and the EOI-exit bitmap, a model that reads IRR/ISR
 * from the page while the CPU moves their bits, and the EOI-induced exit's level part.
 */
#include "test/unit/lapic_fixture.h"

/* The twin: driven through lapic_mmio_write, with its own recorder. */
static uint32_t twin_page[1024] __aligned(4096);
static struct lapic twin;
static unsigned twin_ipis, twin_eois;

static void twin_send_ipi(void *ctx, const struct apic_msg *m, unsigned sh)
{
	twin_ipis++;
}

static void twin_eoi(void *ctx, uint8_t vector)
{
	twin_eois++;
}

static const struct lapic_ops twin_ops = {.send_ipi = twin_send_ipi, .eoi = twin_eoi};

static void start(void)
{
	struct lapic_config cfg = fx_default_cfg();

	fx_start(&cfg);
	memset(twin_page, 0x5A, sizeof(twin_page));
	lapic_init(&twin, twin_page, &cfg, &twin_ops, NULL);
	twin_ipis = twin_eois = 0;
}

/* The guest writes @val at @off: the CPU's store and APIC-write exit here, MMIO there. */
static void both(uint32_t off, uint32_t val, uint64_t now)
{
	F.page[off / 4] = val;
	assert_int_equal(lapic_apic_write(&F.l, off, now), 0);
	assert_int_equal(lapic_mmio_write(&twin, off, 4, now, val), 0);
}

static void assert_same(void)
{
	assert_memory_equal(F.page, twin_page, LAPIC_PAGE_SIZE);
	assert_int_equal(lapic_next_event(&F.l), lapic_next_event(&twin));
	assert_int_equal(F.nipi, twin_ipis);
	assert_int_equal(F.neoi, twin_eois);
	assert_int_equal(lapic_pending(&F.l), lapic_pending(&twin));
}

static void deliver_both(uint8_t vector, bool level)
{
	struct apic_msg m = fixed(vector, level);

	lapic_deliver(&F.l, &m);
	lapic_deliver(&twin, &m);
}

static void take_both(uint8_t vector)
{
	assert_int_equal(lapic_pending(&F.l), vector);
	lapic_ack(&F.l, vector);
	lapic_ack(&twin, vector);
}

static const uint32_t write_virtualized[] = {
    LAPIC_ID,	     LAPIC_LDR,	      LAPIC_DFR,       LAPIC_SVR,	LAPIC_ESR,
    LAPIC_LVT_CMCI,  LAPIC_ICR_HI,    LAPIC_LVT_TIMER, LAPIC_LVT_THERM, LAPIC_LVT_PERF,
    LAPIC_LVT_LINT0, LAPIC_LVT_LINT1, LAPIC_LVT_ERR,   LAPIC_TDCR,	LAPIC_TMICT,
};

/* Every write-virtualized register with all ones, zero and a pattern, enabled or not. */
static void test_every_register_as_mmio(void **state)
{
	static const uint32_t vals[] = {0xFFFFFFFF, 0, 0x12345678, 0x000200EF, 0x1FF};

	for (unsigned sw = 0; sw < 2; sw++) {
		for (unsigned v = 0; v < ARRAY_SIZE(vals); v++) {
			for (unsigned r = 0; r < ARRAY_SIZE(write_virtualized); r++) {
				start();
				if (sw)
					both(LAPIC_SVR, 0x1FF, 0);
				both(write_virtualized[r], vals[v], 100);
				assert_same();
			}
		}
	}
}

/* A LINT pin's remote IRR (read-only) survives a guest write that clears it in the page. */
static void test_lint_remote_irr_kept(void **state)
{
	start();
	both(LAPIC_SVR, 0x1FF, 0);
	both(LAPIC_LVT_LINT0, LAPIC_TRIGGER | 0x41, 0); /* fixed, level */
	lapic_set_lint(&F.l, 0, true);
	lapic_set_lint(&twin, 0, true);
	assert_true(F.page[LAPIC_LVT_LINT0 / 4] & LAPIC_LEVEL);
	both(LAPIC_LVT_LINT0, LAPIC_TRIGGER | 0x42, 0);
	assert_int_equal(F.page[LAPIC_LVT_LINT0 / 4], LAPIC_TRIGGER | LAPIC_LEVEL | 0x42);
	assert_same();
}

/* The timer rebases from the old divider and count, not the guest's new page values. */
static void test_timer_rebases_from_old_values(void **state)
{
	start();
	both(LAPIC_SVR, 0x1FF, 0);
	both(LAPIC_TDCR, 0xB, 0); /* divide by 1: one tick is 10 TSC */
	both(LAPIC_LVT_TIMER, (LAPIC_TIMER_PERIODIC << 17) | 0x30, 0);
	both(LAPIC_TMICT, 1000, 0);
	assert_int_equal(lapic_next_event(&F.l), 10000);
	both(LAPIC_TDCR, 0x0, 5000); /* divide by 2 from TSC 5000, 500 ticks in */
	assert_same();
	assert_int_equal(lapic_next_event(&F.l), 5000 + 500 * 20);
	assert_int_equal(rd_at(LAPIC_TMCCT, 5000 + 100 * 20), 400);
	both(LAPIC_TMICT, 300, 7000);
	assert_same();
	assert_int_equal(rd_at(LAPIC_TMCCT, 7000), 300);
	both(LAPIC_LVT_TIMER, LAPIC_MASKED | 0x30, 8000); /* mode periodic -> one-shot */
	assert_same();
}

/* EOI: the in-service vector retires (a level one is broadcast); the page reads 0 again. */
static void test_eoi(void **state)
{
	start();
	both(LAPIC_SVR, 0x1FF, 0);
	deliver_both(0x50, true);
	take_both(0x50);
	deliver_both(0x60, false);
	take_both(0x60); /* nested: 0x60 over 0x50 */
	both(LAPIC_EOI, 0xDEAD, 0);
	assert_int_equal(F.page[LAPIC_EOI / 4], 0);
	assert_false(isr(0x60));
	assert_true(isr(0x50));
	assert_int_equal(F.neoi, 0);
	both(LAPIC_EOI, 0, 0);
	assert_int_equal(F.neoi, 1);
	assert_int_equal(F.eoi[0], 0x50);
	assert_int_equal(F.page[LAPIC_ISR / 4 + 2 * 4], 0);
	assert_same();
}

/* ESR: the write latches the errors since the last one; the guest's value is gone. */
static void test_esr(void **state)
{
	start();
	both(LAPIC_SVR, 0x1FF, 0);
	deliver_both(3, false); /* illegal vector: receive error */
	both(LAPIC_ESR, 0xFFFFFFFF, 0);
	assert_int_equal(F.page[LAPIC_ESR / 4], LAPIC_ESR_RECV_ILLEGAL);
	both(LAPIC_ESR, 0xFFFFFFFF, 0);
	assert_int_equal(F.page[LAPIC_ESR / 4], 0);
	assert_same();
}

/* ICR: high half then low half; the low write sends, delivery status stays 0. */
static void test_icr(void **state)
{
	start();
	both(LAPIC_SVR, 0x1FF, 0);
	both(LAPIC_ICR_HI, 0x03FFFFFF, 0);
	assert_int_equal(F.page[LAPIC_ICR_HI / 4], 0x03000000);
	both(LAPIC_ICR_LO, LAPIC_DS | 0x4031, 0);
	assert_int_equal(F.nipi, 1);
	assert_int_equal(F.ipi[0].dest, 3);
	assert_int_equal(F.ipi[0].vector, 0x31);
	assert_int_equal(F.page[LAPIC_ICR_LO / 4], 0x4031);
	both(LAPIC_ICR_LO, (LAPIC_SH_SELF << 18) | 0x32, 0); /* self: delivered by the model */
	assert_true(irr(0x32));
	assert_same();
}

/* A byte or word stored inside a register: dropped as from MMIO, the page restored. */
static void test_partial_write_dropped(void **state)
{
	start();
	both(LAPIC_SVR, 0x1FF, 0);
	both(LAPIC_LVT_TIMER, 0x30, 0);
	F.page[LAPIC_LVT_TIMER / 4] = 0x99000030;
	assert_int_equal(lapic_apic_write(&F.l, LAPIC_LVT_TIMER + 3, 0), 0);
	assert_int_equal(F.page[LAPIC_LVT_TIMER / 4], 0x30);
	assert_same();
}

/* Not in xAPIC mode (x2APIC, disabled): the page is restored and nothing else happens. */
static void test_not_xapic(void **state)
{
	start();
	to_x2apic();
	F.page[LAPIC_LVT_ERR / 4] = 0x33;
	assert_int_equal(lapic_apic_write(&F.l, LAPIC_LVT_ERR, 0), LAPIC_MMIO_ABSENT);
	assert_int_equal(F.page[LAPIC_LVT_ERR / 4], LAPIC_MASKED);
	assert_int_equal(lapic_set_base(&F.l, 0), 0); /* disabled */
	F.page[LAPIC_SVR / 4] = 0x1FF;
	assert_int_equal(lapic_apic_write(&F.l, LAPIC_SVR, 0), LAPIC_MMIO_ABSENT);
	assert_int_equal(F.page[LAPIC_SVR / 4], 0xFF);
	assert_int_equal(lapic_apic_write(&F.l, LAPIC_SVR + 1, 0), LAPIC_MMIO_ABSENT);
	/* an offset no register has (the CPU never reports one): ignored */
	assert_int_equal(lapic_apic_write(&F.l, 0x800, 0), 0);
}

/* The registers the page serves without an exit stay current through the model's changes. */
static void test_page_current(void **state)
{
	start();
	both(LAPIC_SVR, 0x1FF, 0);
	deliver_both(0x71, true);
	assert_true(irr(0x71) && tmr(0x71));
	take_both(0x71);
	assert_true(isr(0x71) && !irr(0x71));
	assert_int_equal(F.page[LAPIC_PPR / 4], 0x70);
	both(LAPIC_EOI, 0, 0);
	assert_false(isr(0x71));
	assert_int_equal(F.page[LAPIC_PPR / 4], 0);
	assert_same();
}

/* ---- virtual-interrupt delivery: the CPU moves IRR/ISR bits in the page ---- */

static void page_bit(unsigned base, uint8_t v, bool on)
{
	uint32_t *w = &F.page[(base + (v >> 5) * 16u) / 4];

	*w = on ? *w | 1u << (v & 31) : *w & ~(1u << (v & 31));
}

/* What the CPU's virtual-interrupt delivery does with @v (SDM "Virtual-Interrupt Delivery"). */
static void cpu_delivers(uint8_t v)
{
	page_bit(LAPIC_ISR, v, true);
	page_bit(LAPIC_IRR, v, false);
	F.page[LAPIC_PPR / 4] = v & 0xF0;
}

/* What EOI virtualization does: retire @v, PPR from TPR (0 here) and the next ISR class. */
static void cpu_eois(uint8_t v, uint8_t next_isr)
{
	page_bit(LAPIC_ISR, v, false);
	F.page[LAPIC_PPR / 4] = next_isr & 0xF0;
}

/* RVI/SVI and the EOI-exit bitmap, computed independently of the model. */
static void test_intr_status(void **state)
{
	uint64_t bm[4] = {1, 1, 1, 1};

	start();
	both(LAPIC_SVR, 0x1FF, 0);
	assert_int_equal(lapic_intr_status(&F.l, bm), 0);
	assert_true(bm[0] == 0 && bm[1] == 0 && bm[2] == 0 && bm[3] == 0);
	deliver_both(0x31, false);
	deliver_both(0x62, true);
	deliver_both(0xFE, true);
	take_both(0xFE);
	deliver_both(0x45, false);
	assert_int_equal(lapic_intr_status(&F.l, bm), 0xFE62);
	assert_int_equal(bm[0], 0);
	assert_int_equal(bm[1], 1ULL << (0x62 - 64));
	assert_int_equal(bm[2], 0);
	assert_int_equal(bm[3], 1ULL << (0xFE - 192));
}

/* With the CPU moving vectors, the model reads the page: its summaries would be stale. */
static void test_cpu_moves_vectors(void **state)
{
	uint64_t bm[4];

	start();
	both(LAPIC_SVR, 0x1FF, 0);
	lapic_set_cpu_vectors(&F.l, true);
	deliver_both(0x31, false);
	deliver_both(0x45, false);
	assert_int_equal(lapic_intr_status(&F.l, bm), 0x0045);
	cpu_delivers(0x45);
	assert_int_equal(lapic_intr_status(&F.l, bm), 0x4531);
	assert_int_equal(lapic_pending(&F.l), -1); /* 0x31 below PPR 0x40 */
	assert_int_equal(rd(LAPIC_PPR), 0x40);
	cpu_eois(0x45, 0);
	assert_int_equal(lapic_pending(&F.l), 0x31);
	cpu_delivers(0x31);
	assert_int_equal(lapic_intr_status(&F.l, bm), 0x3100);
	assert_int_equal(lapic_pending(&F.l), -1);
	/* an EOI the model does (x2APIC EOI exiting) retires what the CPU put in service */
	wr(LAPIC_EOI, 0);
	assert_false(isr(0x31));
	assert_int_equal(rd(LAPIC_PPR), 0);
	/* off again: the summaries are rebuilt from the page */
	deliver_both(0x50, false);
	cpu_delivers(0x50);
	lapic_set_cpu_vectors(&F.l, false);
	assert_int_equal(lapic_intr_status(&F.l, bm), 0x5000);
	assert_int_equal(lapic_pending(&F.l), -1);
	wr(LAPIC_EOI, 0);
	assert_int_equal(lapic_intr_status(&F.l, bm), 0);
}

/* An EOI-induced exit: a level vector is broadcast and frees its LINT pin; an edge one is not. */
static void test_virtual_eoi(void **state)
{
	start();
	both(LAPIC_SVR, 0x1FF, 0);
	lapic_set_cpu_vectors(&F.l, true);
	both(LAPIC_LVT_LINT1, LAPIC_TRIGGER | 0x66, 0); /* fixed, level */
	lapic_set_lint(&F.l, 1, true);
	assert_true(F.page[LAPIC_LVT_LINT1 / 4] & LAPIC_LEVEL);
	assert_true(irr(0x66) && tmr(0x66));
	cpu_delivers(0x66);
	cpu_eois(0x66, 0);
	lapic_virtual_eoi(&F.l, 0x66);
	assert_int_equal(F.neoi, 1);
	assert_int_equal(F.eoi[0], 0x66);
	/* the pin is still high: remote IRR freed, the level asserts again */
	assert_true(irr(0x66));
	assert_true(F.page[LAPIC_LVT_LINT1 / 4] & LAPIC_LEVEL);
	assert_int_equal(lapic_get_ppr(&F.l), 0);
	lapic_set_lint(&F.l, 1, false);
	cpu_delivers(0x66);
	cpu_eois(0x66, 0);
	lapic_virtual_eoi(&F.l, 0x66);
	assert_int_equal(F.neoi, 2);
	assert_false(F.page[LAPIC_LVT_LINT1 / 4] & LAPIC_LEVEL);
	assert_false(irr(0x66));
	deliver_both(0x70, false); /* edge: never in the bitmap, no broadcast if it came */
	cpu_delivers(0x70);
	cpu_eois(0x70, 0);
	lapic_virtual_eoi(&F.l, 0x70);
	assert_int_equal(F.neoi, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_register_as_mmio),
	    cmocka_unit_test(test_lint_remote_irr_kept),
	    cmocka_unit_test(test_timer_rebases_from_old_values),
	    cmocka_unit_test(test_eoi),
	    cmocka_unit_test(test_esr),
	    cmocka_unit_test(test_icr),
	    cmocka_unit_test(test_partial_write_dropped),
	    cmocka_unit_test(test_not_xapic),
	    cmocka_unit_test(test_page_current),
	    cmocka_unit_test(test_intr_status),
	    cmocka_unit_test(test_cpu_moves_vectors),
	    cmocka_unit_test(test_virtual_eoi),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
