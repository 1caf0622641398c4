/*
 * VM lifecycle policy: run a VM until it stops for good, restarting it when
 * its policy says so (RAM scrubbed, devices reset, guest booted again), and
 * the statistics printed at shutdown and on HC_STATS. Invariant: a VM's
 * failure touches only that VM's state.
 */
#include "arch/x86/cpu.h"
#include "arch/x86/mm.h"
#include "arch/x86/nmi.h"
#include "arch/x86/percpu.h"
#include "arch/x86/smp.h"
#include "devices/devices.h"
#include "ept/audit.h"
#include "hv/hv.h"
#include "lib/console.h"
#include "lib/printf.h"
#include "lib/spinlock.h"
#include "lib/string.h"
#include "vm/conin.h"
#include "vmx/exit.h"
#include "vmx/vcpu.h"

#define MAX_CPUS_STATS SMP_MAX_CPUS /* every CPU a VM can run on */

/* Back to the configuration's initial state: scrubbed RAM, fresh devices, the guest reloaded. */
int vm_restart(struct vm *vm)
{
	for (unsigned i = 0; i < vm->nr_ram; i++)
		if (vm->ram[i].scrub)
			memset(hpa_to_va(vm->ram[i].hpa), 0, PAGE_SIZE << vm->ram[i].order);
	dev_reset_all(vm);
	vm->restarts++;
	vm_reset_runtime(vm);
	return vm_load_guest(vm);
}

void vm_run(struct vm *vm)
{
	for (;;) {
		vmx_vcpu_run(&vm->vcpus[0]);
		if (vm->state != VM_RESTARTING)
			break;
		if (vm_restart(vm))
			vm_stop(vm, -1, "restart failed");
	}
	pr_info("vm \"%s\": stopped (%s), status %d\n", vm->cfg->name, vm->stop_reason,
		vm->exit_status);
	vm_print_stats(vm);
	conin_vm_stopped(vm);
	vm_note_stopped();
}

void vm_print_stats(const struct vm *vm)
{
	char line[400];
	int n = 0;

	for (uint32_t r = 0; r < VM_NR_EXIT_COUNTERS && n < (int)sizeof(line); r++)
		if (vm->exits[r])
			n += ksnprintf(line + n, sizeof(line) - (size_t)n, " %s:%lu",
				       exit_reason_name(r), vm->exits[r]);
	pr_info("vm \"%s\": exits%s\n", vm->cfg->name, n ? line : " none");
	pr_info(
	    "vm \"%s\": cpu %u, restarts %u, watchdog fires %u, doorbells sent %lu received %lu "
	    "refused %lu coalesced %lu\n",
	    vm->cfg->name, vm->vcpus[0].cpu, vm->restarts, vm->watchdog_fires, vm->doorbells_sent,
	    vm->doorbells_received, vm->doorbells_refused, vm->doorbells_coalesced);
}

/*
 * One printer at a time (HC_STATS from a privileged VM on one CPU, the end of the run on
 * another): each block of statistics comes out whole. The counters are other CPUs'
 * VMs' own, read as they are (aligned 64-bit loads: a value, possibly a stale one).
 */
static spinlock_t stats_lock = SPINLOCK_INIT;

void hv_print_stats(const struct vm *asker)
{
	uint64_t per_cpu[MAX_CPUS_STATS] = {0};

	spin_lock(&stats_lock);
	if (asker)
		pr_info("stats: requested by vm \"%s\"\n", asker->cfg->name);
	for (unsigned i = 0; i < vm_count(); i++) {
		const struct vm *vm = vm_at(i);
		unsigned cpu = vm->vcpus[0].cpu;
		uint64_t total = 0;
		for (unsigned r = 0; r < VM_NR_EXIT_COUNTERS; r++)
			total += vm->exits[r];
		if (cpu < MAX_CPUS_STATS)
			per_cpu[cpu] += total;
		pr_debug("stats: vm \"%s\" cpu %u: %lu exits, %u restarts, %u watchdog fires, "
			 "doorbells %lu sent %lu received %lu refused %lu coalesced\n",
			 vm->cfg->name, cpu, total, vm->restarts, vm->watchdog_fires,
			 vm->doorbells_sent, vm->doorbells_received, vm->doorbells_refused,
			 vm->doorbells_coalesced);
		vm_audit(vm);
	}
	for (unsigned c = 0; c < MAX_CPUS_STATS; c++)
		if (per_cpu[c])
			pr_debug("stats: cpu %u: %lu exits\n", c, per_cpu[c]);
	for (unsigned c = 0; c < smp_nr_cpus(); c++)
		if (nmi_count(c))
			pr_info(
			    "stats: cpu %u: %lu host NMIs (counted, none fatal, none given to a "
			    "guest)\n",
			    c, nmi_count(c));
	spin_unlock(&stats_lock);
}
