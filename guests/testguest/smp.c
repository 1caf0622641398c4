/*
 * The SMP scenarios' CPUs (smp.h): AP start-up by the SDM's universal algorithm ("MP
 * Initialization Protocol Algorithm": INIT, 10 ms, SIPI, 200 us, SIPI; INIT de-assert sent
 * after the INIT as stock OSes still do), the AP's C entry and idle loop, the mailboxes,
 * per-CPU APIC access and the counting interrupt handlers. APs are started one at a time
 * and only once per boot; each keeps running its idle loop (IF = 1) until the run ends.
 */
#include "guests/testguest/smp.h"
#include "lib/errno.h"
#include "lib/string.h"

#define INIT_WAIT_US  10000
#define SIPI_GAP_US   200
#define ICR_IDLE_US   1000
#define TRAMP_LO      0x1000
#define TRAMP_HI      0x9F000
#define TRAMP_DEFAULT 0x8000 /* vector 0x08 */

struct smp_cpu smp_cpus[SMP_MAX_CPUS];
unsigned smp_nr_cpus;
uint32_t smp_trampoline;
void (*volatile smp_irq_hook)(unsigned vec);

extern const char smp_tramp_start[], smp_tramp_end[], smp_tramp_tsc[];
extern const char smp_irq_stubs[];
extern uint32_t smp_ap_cr3;
extern volatile uint32_t smp_ap_arrivals;
void smp_ap_main(unsigned arrival);
void smp_irq(unsigned vec);

static int bringup_state; /* 0 not tried, 1 up, -1 failed */

/* ---- per-CPU local APIC ---- */

uint32_t smp_lapic_read(uint32_t reg)
{
	if (smp_this()->x2apic)
		return (uint32_t)rdmsr(MSR_X2APIC(reg));
	return *(volatile uint32_t *)(APIC_BASE_ADDR + reg);
}

void smp_lapic_write(uint32_t reg, uint32_t v)
{
	if (smp_this()->x2apic)
		wrmsr(MSR_X2APIC(reg), v);
	else
		*(volatile uint32_t *)(APIC_BASE_ADDR + reg) = v;
}

static bool icr_idle(void)
{
	uint64_t end = rdtsc_ordered() + pc_us_to_tsc(ICR_IDLE_US);

	while (smp_lapic_read(APIC_ICR_LO) & APIC_ICR_PENDING)
		if (rdtsc_ordered() > end)
			return false;
	return true;
}

/* x2APIC: one 64-bit ICR write, no delivery status (SDM "x2APIC Interrupt Command
 * Register (ICR) Operation"). */
bool smp_send(uint32_t dest, uint32_t icr_lo)
{
	if (smp_this()->x2apic) {
		wrmsr(MSR_X2APIC_ICR, (uint64_t)dest << 32 | icr_lo);
		return true;
	}
	if (!icr_idle())
		return false;
	smp_lapic_write(APIC_ICR_HI, dest << 24);
	smp_lapic_write(APIC_ICR_LO, icr_lo);
	return icr_idle();
}

static void lapic_enable_sw(void)
{
	smp_lapic_write(APIC_SVR, APIC_SVR_ENABLE | VEC_SPURIOUS);
	smp_lapic_write(APIC_TPR, 0);
}

bool smp_set_x2apic(bool on)
{
	struct smp_cpu *me = smp_this();
	uint64_t base = rdmsr(MSR_APIC_BASE);

	if (!(cpuid(1, 0).ecx & CPUID1_ECX_X2APIC))
		return false;
	if (on && !(base & APIC_BASE_EXTD)) {
		wrmsr(MSR_APIC_BASE, base | APIC_BASE_EN | APIC_BASE_EXTD);
	} else if (!on && (base & APIC_BASE_EXTD)) {
		/* x2APIC -> disabled -> xAPIC: the only legal way back; the APIC resets */
		wrmsr(MSR_APIC_BASE, base & ~(APIC_BASE_EN | APIC_BASE_EXTD));
		wrmsr(MSR_APIC_BASE, (base & ~APIC_BASE_EXTD) | APIC_BASE_EN);
	}
	me->x2apic = on;
	if (!on)
		lapic_enable_sw();
	return !!(rdmsr(MSR_APIC_BASE) & APIC_BASE_EXTD) == on;
}

/* ---- interrupts ---- */

void smp_irq(unsigned vec)
{
	struct smp_cpu *me = smp_this();
	void (*hook)(unsigned) = smp_irq_hook;

	__atomic_fetch_add(&me->irq_count[vec - SMP_VEC_FIRST], 1, __ATOMIC_SEQ_CST);
	if (hook)
		hook(vec);
	smp_lapic_write(APIC_EOI, 0);
}

static void smp_nmi(struct trap_frame *f)
{
	(void)f;
	__atomic_fetch_add(&smp_this()->nmi_count, 1, __ATOMIC_SEQ_CST);
}

void smp_irq_install(void)
{
	for (unsigned i = 0; i < SMP_NR_VECS; i++)
		trap_set_gate(SMP_VEC_FIRST + i, (void (*)(void))(smp_irq_stubs + 16 * i));
	nmi_hook = smp_nmi;
}

void smp_irq_remove(void)
{
	for (unsigned i = 0; i < SMP_NR_VECS; i++)
		trap_route_irq(SMP_VEC_FIRST + i, false);
	nmi_hook = NULL;
}

void smp_clear_counts(void)
{
	for (unsigned c = 0; c < smp_nr_cpus; c++) {
		for (unsigned i = 0; i < SMP_NR_VECS; i++)
			smp_cpus[c].irq_count[i] = 0;
		smp_cpus[c].nmi_count = 0;
	}
}

/* ---- mailboxes ---- */

void smp_post(unsigned cpu, smp_work_fn fn, void *arg)
{
	struct smp_cpu *c = &smp_cpus[cpu];

	c->work = fn;
	c->arg = arg;
	__atomic_store_n(&c->posted, c->posted + 1, __ATOMIC_RELEASE);
}

bool smp_wait(unsigned cpu, uint64_t us)
{
	struct smp_cpu *c = &smp_cpus[cpu];
	uint64_t end = rdtsc_ordered() + pc_us_to_tsc(us);

	while (__atomic_load_n(&c->done, __ATOMIC_ACQUIRE) != c->posted)
		if (rdtsc_ordered() > end)
			return false;
	return true;
}

bool smp_call(unsigned cpu, smp_work_fn fn, void *arg)
{
	smp_post(cpu, fn, arg);
	if (smp_wait(cpu, SMP_WAIT_US))
		return true;
	t_fail("CPU %u did not finish its work item in %u us", cpu, SMP_WAIT_US);
	return false;
}

bool smp_call_all(smp_work_fn fn, void *arg)
{
	bool ok = true;

	for (unsigned c = 1; c < smp_nr_cpus; c++)
		smp_post(c, fn, arg);
	fn(arg);
	for (unsigned c = 1; c < smp_nr_cpus; c++)
		if (!smp_wait(c, SMP_WAIT_US)) {
			t_fail("CPU %u did not finish its work item in %u us", c, SMP_WAIT_US);
			ok = false;
		}
	return ok;
}

/* ---- the AP side ---- */

static struct smp_cpu *cpu_by_apic_id(uint32_t id)
{
	for (unsigned c = 1; c < smp_nr_cpus; c++)
		if (smp_cpus[c].apic_id == id)
			return &smp_cpus[c];
	return NULL;
}

/* The AP's C entry on its own stack: IDT, %gs, APIC, then the idle loop (IF = 1). */
void smp_ap_main(unsigned arrival)
{
	uint64_t tsc =
	    *(volatile const uint64_t *)(smp_trampoline + (smp_tramp_tsc - smp_tramp_start));
	uint32_t id = cpuid(1, 0).ebx >> 24; /* the initial APIC ID */
	struct smp_cpu *me = cpu_by_apic_id(id);

	(void)arrival;
	trap_load_idt();
	if (!me)
		for (;;)
			__asm__ volatile("cli; hlt");
	wrmsr(MSR_GS_BASE, (uint64_t)me);
	me->x2apic = false;
	me->entry_tsc = tsc;
	me->seen_apic_id = smp_lapic_read(APIC_ID) >> 24;
	lapic_enable_sw();
	me->svr = smp_lapic_read(APIC_SVR);
	__atomic_fetch_add(&me->boots, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&me->online, true, __ATOMIC_RELEASE);
	irq_on();
	for (;;) {
		uint32_t posted = __atomic_load_n(&me->posted, __ATOMIC_ACQUIRE);

		if (posted != me->done) {
			me->work(me->arg);
			__atomic_store_n(&me->done, posted, __ATOMIC_RELEASE);
		}
		cpu_relax();
	}
}

/* ---- the BSP side ---- */

/* The first free RAM page below 640 KiB for the SIPI vector, 0x8000 when it is free. */
static uint32_t trampoline_page(void)
{
	if (boot_range_is_ram(TRAMP_DEFAULT, TRAMP_DEFAULT + PAGE_SIZE) &&
	    !boot_range_used(TRAMP_DEFAULT, TRAMP_DEFAULT + PAGE_SIZE))
		return TRAMP_DEFAULT;
	for (uint32_t p = TRAMP_LO; p < TRAMP_HI; p += PAGE_SIZE)
		if (boot_range_is_ram(p, p + PAGE_SIZE) && !boot_range_used(p, p + PAGE_SIZE))
			return p;
	return 0;
}

static bool wait_online(struct smp_cpu *c, uint64_t us)
{
	uint64_t end = rdtsc_ordered() + pc_us_to_tsc(us);

	while (!__atomic_load_n(&c->online, __ATOMIC_ACQUIRE))
		if (rdtsc_ordered() > end)
			return false;
	return true;
}

static bool sipi(struct smp_cpu *c, unsigned n)
{
	uint32_t icr = ICR_DM_STARTUP | ICR_ASSERT | (smp_trampoline >> 12);

	if (!icr_idle())
		return false;
	smp_lapic_write(APIC_ICR_HI, c->apic_id << 24);
	c->sipi_tsc[n] = rdtsc_ordered();
	smp_lapic_write(APIC_ICR_LO, icr);
	return icr_idle();
}

bool smp_sipi_again(unsigned cpu)
{
	uint64_t keep = smp_cpus[cpu].sipi_tsc[1];
	bool ok = sipi(&smp_cpus[cpu], 1);

	smp_cpus[cpu].sipi_tsc[1] = keep;
	return ok;
}

static bool start_ap(struct smp_cpu *c)
{
	bool ok = smp_send(c->apic_id, ICR_DM_INIT | ICR_LEVEL | ICR_ASSERT) &&
		  smp_send(c->apic_id, ICR_DM_INIT | ICR_LEVEL);

	if (!ok) {
		t_fail("AP %u (APIC ID %u): INIT not accepted (ICR delivery status pending)",
		       c->index, c->apic_id);
		return false;
	}
	pc_delay_us(INIT_WAIT_US);
	if (!sipi(c, 0)) {
		t_fail("AP %u: first SIPI pending", c->index);
		return false;
	}
	pc_delay_us(SIPI_GAP_US);
	if (!sipi(c, 1)) {
		t_fail("AP %u: second SIPI pending", c->index);
		return false;
	}
	pc_delay_us(SIPI_GAP_US);
	if (!wait_online(c, SMP_WAIT_US)) {
		t_fail("AP %u (APIC ID %u) did not come up within %u us of the SIPIs (%u "
		       "arrivals)",
		       c->index, c->apic_id, SMP_WAIT_US, smp_ap_arrivals);
		return false;
	}
	gprintf("AP %u: APIC ID %u\n", c->index, c->seen_apic_id);
	return true;
}

/* The MADT's CPUs into smp_cpus[], the BSP (its own APIC ID) first. */
static bool cpus_from_madt(void)
{
	uint32_t ids[SMP_MAX_CPUS], me = lapic_read(APIC_ID) >> 24;
	unsigned n, k = 1;
	char err[120];
	bool found = false;

	if (madt_cpus(ids, SMP_MAX_CPUS, &n, err, sizeof(err))) {
		t_fail("%s", err);
		return false;
	}
	memset(smp_cpus, 0, sizeof(smp_cpus));
	for (unsigned i = 0; i < n; i++) {
		struct smp_cpu *c = ids[i] == me && !found ? &smp_cpus[0] : &smp_cpus[k++];

		found |= c == &smp_cpus[0];
		if (c - smp_cpus >= SMP_MAX_CPUS)
			break;
		c->self = c;
		c->index = (unsigned)(c - smp_cpus);
		c->apic_id = ids[i];
	}
	if (!found) {
		t_fail("the BSP's APIC ID %u is not among the MADT's %u CPUs", me, n);
		return false;
	}
	smp_nr_cpus = n;
	gprintf("smp: the MADT lists %u enabled CPUs; the BSP has APIC ID %u\n", n, me);
	return true;
}

static bool bringup(void)
{
	uint64_t cr3 = read_cr3() & PTE_ADDR;

	if (!pc_setup(false) || !cpus_from_madt())
		return false;
	wrmsr(MSR_GS_BASE, (uint64_t)&smp_cpus[0]);
	smp_cpus[0].online = true;
	smp_cpus[0].boots = 1;
	smp_cpus[0].seen_apic_id = smp_cpus[0].apic_id;
	smp_trampoline = trampoline_page();
	if (!smp_trampoline || cr3 >= 4 * GiB) {
		t_fail("no free RAM page below 640 KiB for the SIPI vector (or CR3 above 4 GiB)");
		return false;
	}
	memcpy((void *)(uint64_t)smp_trampoline, smp_tramp_start,
	       (size_t)(smp_tramp_end - smp_tramp_start));
	smp_ap_cr3 = (uint32_t)cr3;
	mfence();
	for (unsigned c = 1; c < smp_nr_cpus; c++)
		if (!start_ap(&smp_cpus[c]))
			return false;
	return true;
}

bool smp_bringup(void)
{
	if (bringup_state) {
		if (bringup_state < 0)
			t_fail("the APs did not start earlier in this run");
		else if (!smp_cpus[0].x2apic) /* smp_ipi with bochs_quirks=1 stays there */
			pc_setup(false);      /* the BSP's APIC as each scenario expects it */
		return bringup_state > 0;
	}
	bringup_state = bringup() ? 1 : -1;
	return bringup_state > 0;
}
