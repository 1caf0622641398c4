/*
 * Test hooks and the in-image benchmarks, kept out of the product path: each
 * runs only when its word is on the hypervisor's command line. The tests and
 * `make bench` read what they print.
 */
#include "arch/x86/cpu.h"
#include "arch/x86/mm.h"
#include "arch/x86/nmi.h"
#include "arch/x86/smp.h"
#include "hv/hv.h"
#include "lib/cmdline.h"
#include "lib/console.h"
#include "lib/string.h"
#include "vmx/caps.h"
#include "vmx/vmcs.h"
#include "vmx/exit.h"

#define BENCH_ROUNDS 1000

static uint64_t bench_pairs(unsigned order)
{
	struct buddy *b = mm_buddy();
	uint64_t t0 = rdtsc();
	hpa_t a;

	for (int i = 0; i < BENCH_ROUNDS; i++) {
		if (buddy_alloc(b, order, OWNER_HYP, &a))
			return 0;
		buddy_free(b, a, order, OWNER_HYP);
	}
	return (rdtsc() - t0) / BENCH_ROUNDS;
}

/* page_owner() of frames spread over the first 128 MiB: the per-frame owner look-up. */
static uint64_t bench_owner(void)
{
	uint64_t t0 = rdtsc(), sink = 0;

	for (uint64_t i = 0; i < BENCH_ROUNDS; i++)
		sink += page_owner(hpa((i * 0x9e3779b1ULL % (128 * MiB)) & ~(PAGE_SIZE - 1)));
	__asm__ volatile("" ::"r"(sink));
	return (rdtsc() - t0) / BENCH_ROUNDS;
}

/* "bench": allocator costs in instructions (Bochs's TSC counts instructions). */
void hooks_benchmarks(const char *cmdline)
{
	uint64_t t0 = rdtsc();

	if (!cmdline_has(cmdline, "bench"))
		return;
	pr_info("BENCH hv_entry_tsc %lu\n", boot_tsc);
	pr_info("BENCH buddy_order0_pair %lu\n", bench_pairs(0));
	pr_info("BENCH buddy_2m_pair %lu\n", bench_pairs(9));
	pr_info("BENCH owner_lookup %lu\n", bench_owner());
	/* What the lines above cost: boot figures measured from hv_entry_tsc leave it out. */
	pr_info("BENCH bench_hooks_tsc %lu\n", rdtsc() - t0);
}

/*
 * inject=hv-pagefault / hv-gp: the hypervisor faults on purpose and must print
 * the vector, error code, RIP, CR2 and registers, then power off. inject=nmi:
 * an NMI to this CPU in VMX root, which must be counted and nothing more (the
 * VMs' CPUs get theirs once their guests run, hooks_nmi_vms).
 * inject=missing-control: the CPU check sees the VM-exit control "load IA32_EFER"
 * as not allowed (runs before it) and must refuse the CPU naming that control.
 */
void hooks_faults(const char *cmdline)
{
	char what[32];

	if (!cmdline_get(cmdline, "inject", what, sizeof(what)))
		return;
	if (!strcmp(what, "nmi")) {
		uint64_t before = nmi_count(smp_this_cpu());
		smp_send_nmi(smp_this_cpu());
		for (unsigned i = 0; i < 1000000 && nmi_count(smp_this_cpu()) == before; i++)
			cpu_relax();
		pr_info("inject: NMI to cpu %u in VMX root: %lu taken, the boot goes on\n",
			smp_this_cpu(), nmi_count(smp_this_cpu()) - before);
	} else if (!strcmp(what, "hv-pagefault"))
		*(volatile uint64_t *)0x100000000000ULL = 1; /* 16 TiB: beyond the direct map */
	else if (!strcmp(what, "hv-gp"))
		*(volatile uint64_t *)0x8000000000000000ULL = 1; /* non-canonical */
	else if (!strcmp(what, "missing-control"))
		vmx_caps_hide_control(CTL_EXIT, EXIT_LOAD_EFER);
}

#define NMI_TRIES 100
#define NMI_GAP	  100000 /* TSC ticks between two tries */

/*
 * inject=nmi, once the VMs on other CPUs run: NMIs to each such CPU until one of them
 * arrives while its guest runs (an exception-nmi exit), at most NMI_TRIES; the others
 * land in VMX root. Every one must be counted and none must reach a guest.
 */
void hooks_nmi_vms(const char *cmdline, struct vm *vms, unsigned n)
{
	char what[32];

	if (!cmdline_get(cmdline, "inject", what, sizeof(what)) || strcmp(what, "nmi"))
		return;
	for (unsigned i = 0; i < n; i++) {
		struct vm *vm = &vms[i];
		unsigned cpu = vm->vcpus[0].cpu, sent = 0;

		if (cpu == smp_this_cpu())
			continue;
		while (sent < NMI_TRIES &&
		       !__atomic_load_n(&vm->vcpus[0].stats.exits[EXIT_EXCEPTION_NMI],
					__ATOMIC_RELAXED)) {
			uint64_t t = rdtsc();
			smp_send_nmi(cpu);
			sent++;
			while (rdtsc() - t < NMI_GAP)
				cpu_relax();
		}
		pr_info(
		    "inject: %u NMI(s) to cpu %u, running vm \"%s\": %lu arrived in its guest\n",
		    sent, cpu, vm->cfg->name,
		    __atomic_load_n(&vm->vcpus[0].stats.exits[EXIT_EXCEPTION_NMI],
				    __ATOMIC_RELAXED));
	}
}
