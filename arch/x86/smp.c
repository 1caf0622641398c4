/*
 * AP bring-up (SDM "Multiple-Processor (MP) Initialization": INIT, 10 ms, SIPI, 200 us,
 * SIPI) and the per-CPU work mailboxes. Invariants: APs start one at a time, so the
 * smp_ap_* variables and the trampoline page serve one AP at a time; an AP allocates
 * nothing (the boot CPU gives it its stacks and VMXON region before the SIPI).
 */
#include "arch/x86/smp.h"
#include "arch/x86/cpu.h"
#include "arch/x86/percpu.h"
#include "fw/mb2.h"
#include "fw/acpi.h"
#include "lib/console.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/page.h"

struct percpu percpu_area[SMP_MAX_CPUS];
static unsigned nr_online = 1;

/* Read by trampoline.S for the AP being started. */
uint64_t smp_ap_cr0, smp_ap_cr3, smp_ap_cr4, smp_ap_stack;
uint32_t smp_ap_cpu;
static uint64_t sipi_tsc;	  /* TSC just before the first SIPI */
static smp_ap_init_fn ap_init_fn; /* VMXON on each AP, from the layer above */
static uint64_t bringup_ticks;	  /* TSC ticks smp_init spent starting the APs */

extern const char trampoline_start[], trampoline_end[], tramp_alive[], tramp_cr3[], tramp_entry[];
extern const char boot_pml4[], ap_entry64[];

/* ---- local APIC (SDM "Advanced Programmable Interrupt Controller (APIC)") ---- */

#define APIC_BASE_EXTD	   BIT(10) /* x2APIC mode */
#define APIC_BASE_ENABLE   BIT(11)
#define APIC_BASE_ADDR	   GENMASK(51, 12)
#define LAPIC_ID	   0x20
#define LAPIC_SVR	   0xf0
#define LAPIC_ICR_LO	   0x300
#define LAPIC_ICR_HI	   0x310
#define SVR_ENABLE	   BIT(8)
#define ICR_DM_INIT	   (5u << 8)
#define ICR_DM_STARTUP	   (6u << 8)
#define ICR_SEND_PENDING   BIT(12)
#define ICR_ASSERT	   BIT(14)
#define MSR_X2APIC_ID	   0x802
#define MSR_X2APIC_SVR	   0x80f
#define MSR_X2APIC_ICR	   0x830
#define CPUID1_ECX_MONITOR BIT(3)

static volatile uint32_t *lapic; /* xAPIC registers; NULL in x2APIC mode */

static uint32_t lapic_read(unsigned reg)
{
	return lapic[reg / 4];
}
static void lapic_write(unsigned reg, uint32_t v)
{
	lapic[reg / 4] = v;
}

static uint32_t lapic_id(void)
{
	return lapic ? lapic_read(LAPIC_ID) >> 24 : (uint32_t)rdmsr(MSR_X2APIC_ID);
}

static void lapic_send(uint32_t apic_id, uint32_t icr_lo)
{
	if (!lapic) {
		wrmsr(MSR_X2APIC_ICR, (uint64_t)apic_id << 32 | icr_lo);
		return;
	}
	while (lapic_read(LAPIC_ICR_LO) & ICR_SEND_PENDING)
		cpu_relax();
	lapic_write(LAPIC_ICR_HI, apic_id << 24);
	lapic_write(LAPIC_ICR_LO, icr_lo);
	while (lapic_read(LAPIC_ICR_LO) & ICR_SEND_PENDING)
		cpu_relax();
}

#define LAPIC_EOI      0xb0
#define MSR_X2APIC_EOI 0x80b

/*
 * Make @cpu leave guest mode: a fixed IPI that its VM exits on (external-interrupt
 * exiting), so it looks at pending doorbells. The hypervisor never enables
 * interrupts in root, so the IPI needs no handler, only the EOI after the exit.
 */
void smp_kick(unsigned cpu)
{
	if (cpu < smp_nr_cpus() && cpu != smp_this_cpu())
		lapic_send(smp_apic_id(cpu), ICR_ASSERT | SMP_KICK_VECTOR);
}

#define ICR_DM_NMI (4u << 8)

/* Test hook (inject=nmi): a physical NMI to @cpu, this one included (never fatal: trap.c). */
void smp_send_nmi(unsigned cpu)
{
	if (cpu < smp_nr_cpus())
		lapic_send(smp_apic_id(cpu), ICR_DM_NMI | ICR_ASSERT);
}

void smp_eoi(void)
{
	if (lapic)
		lapic_write(LAPIC_EOI, 0);
	else
		wrmsr(MSR_X2APIC_EOI, 0);
}

/*
 * Software-enable this CPU's local APIC (SVR bit 8, spurious vector 0xFF) when it is not:
 * after INIT an AP's APIC is software-disabled (SDM "Local APIC State After an INIT
 * Reset"), and a disabled APIC drops fixed interrupts (the kick IPIs) on real CPUs and
 * under KVM. Returns the SVR as it now reads.
 */
static uint32_t lapic_sw_enable(void)
{
	if (!lapic) {
		if (!(rdmsr(MSR_X2APIC_SVR) & SVR_ENABLE))
			wrmsr(MSR_X2APIC_SVR, SVR_ENABLE | 0xff);
		return (uint32_t)rdmsr(MSR_X2APIC_SVR);
	}
	if (!(lapic_read(LAPIC_SVR) & SVR_ENABLE))
		lapic_write(LAPIC_SVR, SVR_ENABLE | 0xff);
	return lapic_read(LAPIC_SVR);
}

/* The boot CPU's local APIC: enabled, software-enabled, xAPIC MMIO or x2APIC MSRs. */
static int lapic_init(const struct acpi_info *acpi)
{
	uint64_t base = rdmsr(MSR_IA32_APIC_BASE);

	if (!(base & APIC_BASE_ENABLE)) {
		pr_warn("smp: the local APIC is disabled (IA32_APIC_BASE 0x%lx)\n", base);
		return -ENODEV;
	}
	if (base & APIC_BASE_EXTD) {
		lapic = NULL;
		lapic_sw_enable();
		return 0;
	}
	if ((base & APIC_BASE_ADDR) != acpi->lapic_addr)
		pr_warn("smp: MADT says the local APIC is at 0x%lx, IA32_APIC_BASE says 0x%lx\n",
			acpi->lapic_addr, (uint64_t)(base & APIC_BASE_ADDR));
	lapic = hpa_to_va(hpa(acpi->lapic_addr));
	lapic_sw_enable();
	return 0;
}

/* ---- delays: the ACPI PM timer (3.579545 MHz), else port 0x80 writes (~1 us each) ---- */

#define PM_TIMER_HZ 3579545
#define POST_PORT   0x80

static uint16_t pm_tmr;
static uint32_t pm_tmr_mask;

struct clock {
	uint32_t last;
	uint64_t ticks;
};

static void clock_start(struct clock *c)
{
	c->last = pm_tmr ? inl(pm_tmr) & pm_tmr_mask : 0;
	c->ticks = 0;
}

static uint64_t clock_us(struct clock *c)
{
	uint32_t now;

	if (!pm_tmr) {
		outb(POST_PORT, 0);
		return ++c->ticks;
	}
	now = inl(pm_tmr) & pm_tmr_mask;
	c->ticks += (now - c->last) & pm_tmr_mask;
	c->last = now;
	return c->ticks * 1000000 / PM_TIMER_HZ;
}

/* Spin until cond(arg) holds or @us have passed; true when it held. */
static bool wait_for(bool (*cond)(const void *arg), const void *arg, uint64_t us)
{
	struct clock c;

	clock_start(&c);
	while (!cond(arg))
		if (clock_us(&c) >= us)
			return cond(arg);
	return true;
}

static bool never(const void *arg)
{
	return false;
}

static void udelay(uint64_t us)
{
	wait_for(never, NULL, us);
}

/* ---- the trampoline page ---- */

static const char *trampoline_page_busy(const struct mb2_info *mb, const void *mbi)
{
	const uint64_t lo = SMP_TRAMPOLINE, hi = SMP_TRAMPOLINE + PAGE_SIZE;
	bool efi = mb->has_efi_mmap && mb->nr_efi_mmap; /* as boot/main.c prefers */
	const struct mb2_mmap_entry *map = efi ? mb->efi_mmap : mb->best_mmap;
	unsigned nr = efi ? mb->nr_efi_mmap : mb->nr_best_mmap;
	bool ram = false;

	for (unsigned i = 0; i < nr; i++) {
		if (map[i].base >= hi || map[i].base + map[i].len <= lo)
			continue;
		if (map[i].type != MB2_MMAP_AVAILABLE)
			return "not RAM in the firmware map";
		ram |= map[i].base <= lo && map[i].base + map[i].len >= hi;
	}
	if (!ram)
		return "not RAM in the firmware map";
	if ((uint64_t)mbi < hi && (uint64_t)mbi + mb->info_size > lo)
		return "holds the boot information";
	for (unsigned i = 0; i < mb->nr_modules; i++)
		if (mb->modules[i].start < hi && mb->modules[i].end > lo)
			return "holds a boot module";
	return NULL;
}

/* Write @v at @sym's place in the copy at SMP_TRAMPOLINE. */
static void tramp_patch(const char *sym, uint32_t v)
{
	memcpy(hpa_to_va(hpa(SMP_TRAMPOLINE + (uint64_t)(sym - trampoline_start))), &v, sizeof(v));
}

static int trampoline_install(const struct mb2_info *mb, const void *mbi)
{
	size_t size = (size_t)(trampoline_end - trampoline_start);
	const char *why = trampoline_page_busy(mb, mbi);

	BUG_ON(size > PAGE_SIZE);
	if (why) {
		pr_warn("smp: trampoline page 0x%x %s: not starting the other CPUs\n",
			SMP_TRAMPOLINE, why);
		return -EBUSY;
	}
	memcpy(hpa_to_va(hpa(SMP_TRAMPOLINE)), trampoline_start, size);
	/* where the image runs (below 4 GiB, boot/header.S): the 32-bit part's two jumps */
	tramp_patch(tramp_cr3, (uint32_t)(uintptr_t)boot_pml4);
	tramp_patch(tramp_entry, (uint32_t)(uintptr_t)ap_entry64);
	smp_ap_cr0 = read_cr0();
	smp_ap_cr3 = read_cr3();
	smp_ap_cr4 = read_cr4() & ~CR4_VMXE;
	return 0;
}

/* ---- starting one AP ---- */

static volatile uint8_t *tramp_alive_flag(void)
{
	return hpa_to_va(hpa(SMP_TRAMPOLINE + (uint64_t)(tramp_alive - trampoline_start)));
}

static uint64_t alloc_top(unsigned order)
{
	uint8_t *p = page_alloc(order, OWNER_HYP, NULL);

	return p ? (uint64_t)(p + (PAGE_SIZE << order)) : 0;
}

/* Stacks and VMXON region, kept in the slot if an AP fails and the slot is reused. */
static int ap_alloc(struct percpu *pc)
{
	if (!pc->stack_top)
		pc->stack_top = alloc_top(2);
	for (unsigned i = 0; i < ARRAY_SIZE(pc->ist_top); i++)
		if (!pc->ist_top[i])
			pc->ist_top[i] = alloc_top(1);
	if (!pc->vmxon.v)
		page_alloc(0, OWNER_HYP, &pc->vmxon);
	static_assert(PERCPU_STACK_SIZE == PAGE_SIZE << 2 && PERCPU_IST_SIZE == PAGE_SIZE << 1,
		      "allocation orders");
	return pc->stack_top && pc->ist_top[0] && pc->ist_top[1] && pc->vmxon.v ? 0 : -ENOMEM;
}

static bool alive(const void *flag)
{
	return *(const volatile uint8_t *)flag;
}

static bool online(const void *pc)
{
	return __atomic_load_n(&((const struct percpu *)pc)->state, __ATOMIC_ACQUIRE) ==
	       PERCPU_ONLINE;
}

static int start_ap(unsigned cpu, uint32_t apic_id)
{
	struct percpu *pc = percpu_get(cpu);
	const uint32_t sipi = ICR_DM_STARTUP | ICR_ASSERT | (SMP_TRAMPOLINE >> 12);

	if (ap_alloc(pc)) {
		pr_err("smp: no memory for CPU %u's stacks\n", cpu);
		return -ENOMEM;
	}
	pc->index = cpu;
	pc->apic_id = apic_id;
	pc->state = PERCPU_ABSENT;
	smp_ap_cpu = cpu;
	smp_ap_stack = pc->stack_top;
	*tramp_alive_flag() = 0;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	lapic_send(apic_id, ICR_DM_INIT | ICR_ASSERT);
	udelay(10000);
	sipi_tsc = rdtsc();
	lapic_send(apic_id, sipi);
	if (!wait_for(alive, (const void *)tramp_alive_flag(), 200))
		lapic_send(apic_id, sipi);
	if (wait_for(online, pc, 1000000))
		return 0;
	lapic_send(apic_id, ICR_DM_INIT | ICR_ASSERT); /* back to wait-for-SIPI, for good */
	pr_err("smp: CPU with APIC ID %u did not start (%s)\n", apic_id,
	       *tramp_alive_flag() ? "stuck after real mode" : "no sign of life");
	return -EIO;
}

static void start_aps(const struct acpi_info *acpi, uint32_t self)
{
	for (unsigned i = 0; i < acpi->nr_cpus; i++) {
		uint32_t id = acpi->cpus[i].apic_id;

		if (id == self)
			continue;
		if (nr_online == SMP_MAX_CPUS) {
			pr_warn("smp: more than %u CPUs; APIC ID %u and later stay off\n",
				SMP_MAX_CPUS, id);
			return;
		}
		if (lapic && id > 0xff) {
			pr_warn("smp: APIC ID %u needs x2APIC mode; it stays off\n", id);
			continue;
		}
		if (!start_ap(nr_online, id))
			nr_online++;
	}
}

static bool madt_has(const struct acpi_info *acpi, uint32_t apic_id)
{
	for (unsigned i = 0; i < acpi->nr_cpus; i++)
		if (acpi->cpus[i].apic_id == apic_id)
			return true;
	return false;
}

void smp_init(const struct acpi_info *acpi, const struct mb2_info *mb, const void *mbi,
	      smp_ap_init_fn ap_init)
{
	ap_init_fn = ap_init;
	struct percpu *bsp = percpu_get(0);

	bsp->state = PERCPU_ONLINE;
	if (!acpi || !acpi->has_madt || !acpi->nr_cpus) {
		pr_info("smp: no ACPI MADT: assuming one CPU\n");
	} else if (!lapic_init(acpi)) {
		pm_tmr = acpi->pm_tmr;
		pm_tmr_mask = acpi->pm_tmr_bits == 32 ? ~0u : 0xffffffu;
		bsp->apic_id = lapic_id();
		pr_debug("smp: CPU 0 (APIC ID %u) is the boot CPU; the MADT lists %u enabled, %u "
			 "disabled; %s\n",
			 bsp->apic_id, acpi->nr_cpus, acpi->nr_cpus_disabled,
			 lapic ? "xAPIC" : "x2APIC");
		if (!madt_has(acpi, bsp->apic_id))
			pr_warn("smp: the boot CPU's APIC ID %u is not in the MADT\n",
				bsp->apic_id);
		uint64_t t0 = rdtsc();
		if (acpi->nr_cpus > 1 && !trampoline_install(mb, mbi))
			start_aps(acpi, bsp->apic_id);
		bringup_ticks = rdtsc() - t0;
	}
	pr_info("smp: %u CPU%s online\n", nr_online, nr_online == 1 ? "" : "s");
}

/* ---- on the AP ---- */

static void monitor(const void *p)
{
	__asm__ volatile("monitor" ::"a"(p), "c"(0), "d"(0));
}

static void mwait(void)
{
	__asm__ volatile("mwait" ::"a"(0), "c"(0) : "memory");
}

/* Sleep until the mailbox has a request past @seen: MWAIT (C1) if there, else PAUSE. */
static uint32_t mailbox_wait(struct smp_mailbox *mb, uint32_t seen, bool has_monitor)
{
	uint32_t p;

	while ((p = __atomic_load_n(&mb->posted, __ATOMIC_ACQUIRE)) == seen) {
		if (!has_monitor) {
			cpu_relax();
			continue;
		}
		monitor(&mb->posted);
		if (__atomic_load_n(&mb->posted, __ATOMIC_ACQUIRE) == seen)
			mwait();
	}
	return p;
}

__noreturn void ap_main(unsigned cpu)
{
	struct percpu *pc = percpu_get(cpu);
	bool has_monitor = cpuid(1, 0).ecx & CPUID1_ECX_MONITOR;
	uint32_t seen = 0, svr;
	int ret;

	pc->tsc_in_c = rdtsc();
	cpu_init_tables(cpu);
	if (!lapic) /* x2APIC mode is per CPU: follow the boot CPU */
		wrmsr(MSR_IA32_APIC_BASE, rdmsr(MSR_IA32_APIC_BASE) | APIC_BASE_EXTD);
	svr = lapic_sw_enable();
	ret = ap_init_fn ? ap_init_fn() : -ENOTSUP;
	pr_info("smp: CPU %u (APIC ID %u) online, %s, in C %lu TSC ticks after the first SIPI, "
		"APIC SVR 0x%x\n",
		cpu, lapic_id(),
		!ret		  ? "VMX root"
		: ret == -ENOTSUP ? "no VMX"
				  : "VMXON failed",
		pc->tsc_in_c - sipi_tsc, svr);
	__atomic_store_n(&pc->state, PERCPU_ONLINE, __ATOMIC_RELEASE);
	for (;;) {
		struct smp_mailbox *mb = &pc->mbox;

		seen = mailbox_wait(mb, seen, has_monitor);
		if (mb->park) {
			pc->state = PERCPU_PARKED;
			__atomic_store_n(&mb->done, seen, __ATOMIC_RELEASE);
			cpu_halt_forever();
		}
		mb->fn(mb->arg);
		__atomic_store_n(&mb->done, seen, __ATOMIC_RELEASE);
	}
}

/* ---- the API ---- */

unsigned smp_nr_cpus(void)
{
	return nr_online;
}
unsigned smp_this_cpu(void)
{
	return this_cpu()->index;
}
uint32_t smp_apic_id(unsigned cpu)
{
	return cpu < nr_online ? percpu_get(cpu)->apic_id : ~0u;
}

static int post(unsigned cpu, smp_fn fn, void *arg, bool park)
{
	struct smp_mailbox *mb;
	int ret = 0;

	if (cpu >= nr_online || cpu == smp_this_cpu() || (!fn && !park) ||
	    __atomic_load_n(&percpu_get(cpu)->state, __ATOMIC_ACQUIRE) != PERCPU_ONLINE)
		return -EINVAL;
	mb = &percpu_get(cpu)->mbox;
	spin_lock(&mb->lock);
	if (__atomic_load_n(&mb->done, __ATOMIC_ACQUIRE) != mb->posted) {
		ret = -EBUSY;
	} else {
		mb->fn = fn;
		mb->arg = arg;
		mb->park = park;
		__atomic_store_n(&mb->posted, mb->posted + 1, __ATOMIC_RELEASE);
	}
	spin_unlock(&mb->lock);
	return ret;
}

int smp_run_on(unsigned cpu, smp_fn fn, void *arg)
{
	return post(cpu, fn, arg, false);
}
int smp_park(unsigned cpu)
{
	return post(cpu, NULL, NULL, true);
}

void smp_wait(unsigned cpu)
{
	struct smp_mailbox *mb;

	if (cpu >= nr_online || cpu == smp_this_cpu())
		return;
	mb = &percpu_get(cpu)->mbox;
	while (__atomic_load_n(&mb->done, __ATOMIC_ACQUIRE) !=
	       __atomic_load_n(&mb->posted, __ATOMIC_ACQUIRE))
		cpu_relax();
}

void smp_wait_all(void)
{
	for (unsigned cpu = 0; cpu < nr_online; cpu++)
		smp_wait(cpu);
}

/* ---- "smptest" ---- */

#define CHATTER_LINES 20

static void nothing(void *arg) {}

/* Lines from several CPUs at once: the console lock keeps each one whole. */
static void chatter(void *arg)
{
	for (unsigned i = 1; i <= CHATTER_LINES; i++)
		pr_info("smp: chatter from CPU %u, line %u of %u\n", smp_this_cpu(), i,
			CHATTER_LINES);
}

static void hello(void *arg)
{
	uint64_t *tsc = arg;

	*tsc = rdtsc();
	pr_info("smp: hello from CPU %u (APIC ID %u)\n", smp_this_cpu(), lapic_id());
}

void smp_selftest(void)
{
	pr_info("smp: starting the APs took %lu TSC ticks on the boot CPU\n", bringup_ticks);
	for (unsigned cpu = 1; cpu < nr_online; cpu++) {
		uint64_t t0 = rdtsc(), t_run = 0;
		int ret = smp_run_on(cpu, hello, &t_run);

		if (ret) {
			pr_err("smp: cannot post work to CPU %u (%d)\n", cpu, ret);
			continue;
		}
		smp_wait(cpu);
		pr_info("smp: work on CPU %u: started %lu, returned %lu TSC ticks after posting\n",
			cpu, t_run - t0, rdtsc() - t0);
		t0 = rdtsc();
		ret = smp_run_on(cpu, nothing, NULL);
		smp_wait(cpu);
		pr_info("smp: empty work item on CPU %u: %lu TSC ticks from post to return (%d)\n",
			cpu, rdtsc() - t0, ret);
	}
	if (smp_run_on(0, hello, NULL) != -EINVAL)
		pr_err("smp: posting work to the calling CPU was accepted\n");
	for (unsigned cpu = 1; cpu < nr_online; cpu++)
		smp_run_on(cpu, chatter, NULL);
	chatter(NULL);
	smp_wait_all();
}
