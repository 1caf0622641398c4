/*
 * Local APIC register scenarios: apic_regs (the power-up state of the xAPIC registers and
 * the IA32_APIC_BASE transitions of the SDM's "Local x2APIC State Transitions") and x2apic
 * (the MSR interface: ID, LDR, the #GP rules, SELF IPI and ICR). apic_regs must run first
 * in a fresh VM: it checks reset values.
 */
#include "guests/testguest/pc.h"
#include "lib/printf.h"

#define VER_VERSION(v) ((v)&0xFF)
#define VER_MAXLVT(v)  (((v) >> 16) & 0xFF)
#define VER_RSVD       (GENMASK(15, 8) | GENMASK(31, 25))
#define VEC_X2_SELF    0x34
#define VEC_X2_ICR     0x35
#define IPI_WAIT_US    10000

struct reg_reset {
	const char *name;
	uint32_t reg, want;
};

static const struct reg_reset reset_regs[] = {
    {"ID", APIC_ID, 0},
    {"TPR", APIC_TPR, 0},
    {"PPR", APIC_PPR, 0},
    {"LDR", APIC_LDR, 0},
    {"DFR", APIC_DFR, 0xFFFFFFFF},
    {"SVR", APIC_SVR, 0xFF},
    {"ICR low", APIC_ICR_LO, 0},
    {"ICR high", APIC_ICR_HI, 0},
    {"LVT timer", APIC_LVT_TIMER, APIC_LVT_MASKED},
    {"LVT thermal", APIC_LVT_THERM, APIC_LVT_MASKED},
    {"LVT perfmon", APIC_LVT_PERF, APIC_LVT_MASKED},
    {"LVT LINT0", APIC_LVT_LINT0, APIC_LVT_MASKED},
    {"LVT LINT1", APIC_LVT_LINT1, APIC_LVT_MASKED},
    {"LVT error", APIC_LVT_ERROR, APIC_LVT_MASKED},
    {"timer initial count", APIC_TIMER_INIT, 0},
    {"timer current count", APIC_TIMER_CUR, 0},
    {"timer divide", APIC_TIMER_DIV, 0},
};

/* Offsets the SDM's register map lists as reserved. */
static const uint32_t reserved_regs[] = {0x000, 0x010, 0x040, 0x050, 0x060, 0x070, 0x3A0, 0x3F0};

static void check_reset_values(void)
{
	char what[48];
	uint32_t ver = lapic_read(APIC_VER);

	for (unsigned i = 0; i < ARRAY_SIZE(reset_regs); i++) {
		ksnprintf(what, sizeof(what), "%s after reset", reset_regs[i].name);
		t_expect(what, lapic_read(reset_regs[i].reg), reset_regs[i].want);
	}
	for (unsigned i = 0; i < 8; i++) {
		t_expect("ISR after reset", lapic_read(APIC_ISR + i * 0x10), 0);
		t_expect("TMR after reset", lapic_read(APIC_TMR + i * 0x10), 0);
		t_expect("IRR after reset", lapic_read(APIC_IRR + i * 0x10), 0);
	}
	gprintf("apic_regs: version register 0x%08x (version 0x%02x, max LVT entry %u)\n", ver,
		VER_VERSION(ver), VER_MAXLVT(ver));
	t_expect("version", VER_VERSION(ver), 0x14);
	if (VER_MAXLVT(ver) < 5)
		t_fail("max LVT entry %u: the six LVTs need at least 5", VER_MAXLVT(ver));
	if (ver & VER_RSVD)
		t_fail("version register 0x%08x has reserved bits set", ver);
	if (VER_MAXLVT(ver) >= 6)
		t_expect("LVT CMCI after reset", lapic_read(APIC_LVT_CMCI), APIC_LVT_MASKED);
	lapic_write(APIC_ESR, 0); /* the ESR reads what was found since the last write */
	t_expect("ESR after reset", lapic_read(APIC_ESR), 0);
}

static void check_reserved_reads(void)
{
	unsigned traps = trap_fixups.count;

	for (unsigned i = 0; i < ARRAY_SIZE(reserved_regs); i++) {
		uint32_t v = lapic_read(reserved_regs[i]);

		gprintf("apic_regs: reserved offset 0x%03x reads 0x%08x\n", reserved_regs[i], v);
	}
	lapic_write(APIC_ESR, 0);
	gprintf("apic_regs: ESR 0x%08x after the reserved reads\n", lapic_read(APIC_ESR));
	t_expect("faults on reserved reads", trap_fixups.count - traps, 0);
	t_expect("SVR after the reserved reads", lapic_read(APIC_SVR), 0xFF);
}

/* Back to state `before` after a write that should have faulted, through legal steps. */
static void apic_base_restore(uint64_t before)
{
	uint64_t off = before & ~(APIC_BASE_EN | APIC_BASE_EXTD);

	wrmsr_safe(MSR_APIC_BASE, off);
	if (before & APIC_BASE_EN)
		wrmsr_safe(MSR_APIC_BASE, before & ~APIC_BASE_EXTD);
	if (before & APIC_BASE_EXTD)
		wrmsr_safe(MSR_APIC_BASE, before);
}

/* One WRMSR IA32_APIC_BASE that must raise #GP and leave the MSR as it was. */
static void expect_base_gp(const char *what, uint64_t v)
{
	uint64_t before = rdmsr(MSR_APIC_BASE);
	int r = wrmsr_safe(MSR_APIC_BASE, v);

	if (r != -13) {
		t_fail("WRMSR IA32_APIC_BASE 0x%llx (%s): %s", (unsigned long long)v, what,
		       r ? "wrong exception" : "no #GP");
		apic_base_restore(before);
	}
	t_expect(what, rdmsr(MSR_APIC_BASE), before);
}

static void expect_base_ok(const char *what, uint64_t v)
{
	if (wrmsr_safe(MSR_APIC_BASE, v))
		t_fail("WRMSR IA32_APIC_BASE 0x%llx (%s) faulted", (unsigned long long)v, what);
	t_expect(what, rdmsr(MSR_APIC_BASE), v);
}

static unsigned maxphyaddr(void)
{
	if (cpuid(0x80000000, 0).eax < 0x80000008)
		return 36;
	return cpuid(0x80000008, 0).eax & 0xFF;
}

/* Enabled xAPIC -> the illegal states and transitions -> back, through "disabled". */
static void check_base_transitions(void)
{
	uint64_t xapic = rdmsr(MSR_APIC_BASE);
	uint64_t off = xapic & ~(APIC_BASE_EN | APIC_BASE_EXTD);
	uint64_t x2 = xapic | APIC_BASE_EXTD;
	unsigned phys = maxphyaddr();
	bool has_x2 = cpuid(1, 0).ecx & CPUID1_ECX_X2APIC;

	t_expect("IA32_APIC_BASE after reset", xapic,
		 APIC_BASE_ADDR | APIC_BASE_EN | APIC_BASE_BSP);
	expect_base_gp("EXTD without EN", off | APIC_BASE_EXTD);
	expect_base_gp("reserved bit 9", xapic | BIT(9));
	if (phys < 64)
		expect_base_gp("base above MAXPHYADDR", xapic | BIT(phys));
	if (has_x2) {
		expect_base_ok("xAPIC -> x2APIC", x2);
		expect_base_gp("x2APIC -> xAPIC directly", xapic);
		expect_base_gp("x2APIC -> EXTD without EN", off | APIC_BASE_EXTD);
		expect_base_ok("x2APIC -> disabled", off);
	} else {
		expect_base_gp("x2APIC without CPUID.1:ECX[21]", x2);
		expect_base_ok("xAPIC -> disabled", off);
	}
	expect_base_gp("disabled -> x2APIC directly", x2);
	expect_base_ok("disabled -> xAPIC", xapic);
	/* Leaving "disabled" puts the APIC in its power-up state (the SDM, "Local APIC State
	 * After It Has Been Disabled" and the state transitions). */
	t_expect("SVR after disable/enable", lapic_read(APIC_SVR), 0xFF);
	t_expect("LVT timer after disable/enable", lapic_read(APIC_LVT_TIMER), APIC_LVT_MASKED);
}

void t_apic_regs(void)
{
	uint64_t base;

	if (rdmsr_safe(MSR_APIC_BASE, &base) || !(cpuid(1, 0).edx & CPUID1_EDX_APIC)) {
		t_fail("no local APIC (CPUID.1:EDX[9] or RDMSR IA32_APIC_BASE)");
		return;
	}
	gprintf("apic_regs: IA32_APIC_BASE 0x%llx\n", (unsigned long long)base);
	if (pt_map(APIC_BASE_ADDR, APIC_BASE_ADDR, 2 * MiB, PTE_W | PTE_UC)) {
		t_fail("cannot map the local APIC page");
		return;
	}
	if ((base & ~0xFFFULL) != APIC_BASE_ADDR || (base & APIC_BASE_EXTD)) {
		t_fail("IA32_APIC_BASE 0x%llx: not the xAPIC at 0xfee00000",
		       (unsigned long long)base);
		return;
	}
	check_reset_values();
	check_reserved_reads();
	check_base_transitions();
	if (pc_setup(false))
		pc_teardown();
}

/* ---- x2apic ---- */

static uint32_t initial_apic_id(void)
{
	if (cpuid(0, 0).eax >= 0xB && cpuid(0xB, 0).ebx)
		return cpuid(0xB, 0).edx;
	return cpuid(1, 0).ebx >> 24;
}

static void x2apic_expect_gp_rd(uint32_t msr, const char *what)
{
	uint64_t v;

	if (rdmsr_safe(msr, &v) != -13)
		t_fail("RDMSR 0x%x (%s): no #GP", msr, what);
}

static void x2apic_expect_gp_wr(uint32_t msr, uint64_t v, const char *what)
{
	if (wrmsr_safe(msr, v) != -13)
		t_fail("WRMSR 0x%x <- 0x%llx (%s): no #GP", msr, (unsigned long long)v, what);
}

/*
 * Reads give the last write's value, bits 63:32 zero (they may come from the virtual-APIC
 * page, where a MOV to CR8 also lands), TPR and PPR follow CR8.
 */
static void x2apic_reads_follow_writes(void)
{
	wrmsr(0x808, 0x40);
	t_expect("TPR (MSR 0x808) after writing 0x40", rdmsr(0x808), 0x40);
	t_expect("PPR (MSR 0x80A) with TPR 0x40", rdmsr(0x80A), 0x40);
	__asm__ volatile("mov %0, %%cr8" : : "r"(7UL) : "memory");
	t_expect("TPR (MSR 0x808) after MOV CR8, 7", rdmsr(0x808), 0x70);
	t_expect("PPR (MSR 0x80A) after MOV CR8, 7", rdmsr(0x80A), 0x70);
	__asm__ volatile("mov %0, %%cr8" : : "r"(0UL) : "memory");
	t_expect("TPR (MSR 0x808) after MOV CR8, 0", rdmsr(0x808), 0);
	wrmsr(0x83E, 0xB);
	t_expect("TDCR (MSR 0x83E) after writing 0xB", rdmsr(0x83E), 0xB);
	wrmsr(0x838, 123456);
	t_expect("TMICT (MSR 0x838) after writing 123456", rdmsr(0x838), 123456);
	wrmsr(0x838, 0);
	wrmsr(0x83E, 0);
	t_expect("TMICT (MSR 0x838) after writing 0", rdmsr(0x838), 0);
}

static void x2apic_registers(uint32_t xapic_ver)
{
	uint32_t id = (uint32_t)rdmsr(0x802), ldr = (uint32_t)rdmsr(0x80D);

	gprintf("x2apic: ID 0x%x LDR 0x%08x version 0x%08x\n", id, ldr, (uint32_t)rdmsr(0x803));
	t_expect("x2APIC ID (MSR 0x802) vs the initial APIC ID", id, initial_apic_id());
	t_expect("x2APIC LDR (MSR 0x80D): cluster << 16 | 1 << (ID & 15)", ldr,
		 ((id >> 4) << 16) | BIT(id & 0xF));
	t_expect("x2APIC version (MSR 0x803) = the xAPIC one", (uint32_t)rdmsr(0x803), xapic_ver);
	t_expect("SVR kept across xAPIC -> x2APIC", (uint32_t)rdmsr(0x80F),
		 APIC_SVR_ENABLE | VEC_SPURIOUS);
	x2apic_expect_gp_rd(0x80B, "EOI is write-only");
	x2apic_expect_gp_wr(0x80B, 1, "EOI takes only 0");
	x2apic_expect_gp_rd(0x83F, "SELF IPI is write-only");
	x2apic_expect_gp_rd(0x80E, "no DFR in x2APIC mode");
	x2apic_expect_gp_rd(0x831, "no ICR high half in x2APIC mode");
	x2apic_expect_gp_rd(0x801, "reserved");
	x2apic_expect_gp_wr(0x802, id, "ID is read-only");
	x2apic_expect_gp_wr(0x80D, ldr, "LDR is read-only");
	x2apic_expect_gp_wr(0x83F, 0x100 | VEC_X2_SELF, "SELF IPI reserved bits");
	x2apic_expect_gp_wr(0x828, 1, "ESR takes only 0");
	if (wrmsr_safe(0x80B, 0))
		t_fail("WRMSR EOI <- 0 faulted");
	x2apic_reads_follow_writes();
}

static void x2apic_ipis(void)
{
	irq_set(VEC_X2_SELF, lapic_eoi_hook);
	irq_set(VEC_X2_ICR, lapic_eoi_hook);
	wrmsr(MSR_X2APIC_SELF, VEC_X2_SELF);
	t_expect("SELF IPI pending in IRR while IF = 0", lapic_vec_bit(APIC_IRR, VEC_X2_SELF), 1);
	irq_wait_count(&irq_count[VEC_X2_SELF], 2, IPI_WAIT_US);
	t_expect("SELF IPI (MSR 0x83F) deliveries", irq_count[VEC_X2_SELF], 1);
	/* ICR as one 64-bit MSR: destination in bits 63:32, here the self shorthand. */
	wrmsr(MSR_X2APIC(APIC_ICR_LO), VEC_X2_ICR | APIC_ICR_ASSERT | APIC_ICR_SELF);
	irq_wait_count(&irq_count[VEC_X2_ICR], 2, IPI_WAIT_US);
	t_expect("ICR (MSR 0x830) self-shorthand deliveries", irq_count[VEC_X2_ICR], 1);
	wrmsr(MSR_X2APIC(APIC_ICR_LO),
	      ((uint64_t)rdmsr(0x802) << 32) | VEC_X2_ICR | APIC_ICR_ASSERT);
	irq_wait_count(&irq_count[VEC_X2_ICR], 3, IPI_WAIT_US);
	t_expect("ICR (MSR 0x830) to its own x2APIC ID: deliveries", irq_count[VEC_X2_ICR], 2);
	t_expect("ISR empty after the EOIs", lapic_vec_bit(APIC_ISR, VEC_X2_ICR), 0);
	t_expect("unexpected interrupts", irq_unexpected(), 0);
}

void t_x2apic(void)
{
	uint64_t base;
	uint32_t ver;

	if (!(cpuid(1, 0).ecx & CPUID1_ECX_X2APIC)) {
		t_fail("CPUID.1:ECX bit 21 (x2APIC) clear");
		return;
	}
	if (!pc_setup(false))
		return;
	ver = lapic_read(APIC_VER);
	base = rdmsr(MSR_APIC_BASE);
	if (wrmsr_safe(MSR_APIC_BASE, base | APIC_BASE_EXTD)) {
		t_fail("WRMSR IA32_APIC_BASE: xAPIC -> x2APIC faulted");
		return;
	}
	lapic_x2apic = true;
	t_expect("IA32_APIC_BASE in x2APIC mode", rdmsr(MSR_APIC_BASE), base | APIC_BASE_EXTD);
	x2apic_registers(ver);
	x2apic_ipis();
	pc_teardown();
	/* back to xAPIC for the next scenario: through "disabled" (pc_setup does it) */
	if (pc_setup(false))
		pc_teardown();
}
