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
#include "vmx/slots.h"
#include "vmx/vcpu.h"

#define MAX_CPUS_STATS SMP_MAX_CPUS /* every CPU a VM can run on */

/*
 * Back to the configuration's initial state: fresh devices, the guest reloaded, and
 * RAM unmapped, to be zeroed 2 MiB at a time on first touch (vm/ramzero.c): every
 * vCPU's cached translations go too (a shoot-down: the APs are parked and take it).
 * Slots added at run time are removed first, their frames scrubbed and freed: every
 * vCPU is in root and takes the shoot-down before it next enters its guest.
 */
/*
 * Every demand block unmapped, flushed from every vCPU, and only then given back (zeroed
 * when next taken). The buddy's free count before and after says what came back: the
 * blocks, their map pages and the EPT tables left empty. @pre no vCPU runs the guest.
 */
static void demand_return(struct vm *vm)
{
	uint64_t before = buddy_free_frames(mm_buddy()), released = vm->demand.st.released;

	demand_unmap_all(&vm->demand, &vm->ept);
	vmx_ept_shootdown(&vm->vcpus[0]);
	demand_release(&vm->demand);
	pr_debug("vm \"%s\": demand RAM returned %lu blocks; buddy free %lu KiB -> %lu KiB\n",
		 vm->cfg->name, vm->demand.st.released - released, before * (PAGE_SIZE / KiB),
		 buddy_free_frames(mm_buddy()) * (PAGE_SIZE / KiB));
}

int vm_restart(struct vm *vm)
{
	ckpt_reset(vm); /* checkpoints of the previous boot mean nothing to the next */
	vmx_slots_drop(&vm->vcpus[0]); /* run-time slots go: the configured map comes back */
	ramzero_reset(vm);
	if (vm->demand.nr)
		demand_return(vm);
	else
		vmx_ept_shootdown(&vm->vcpus[0]);
	coalesced_discard(&vm->coal); /* writes to devices about to be reset */
	dev_reset_all(vm);
	vm->restarts++;
	vm_reset_runtime(vm);
	return vm_load_guest(vm);
}

/*
 * The rollback policy: back to the last checkpoint (vm/ckpt.h), its RAM pages written
 * since, device and vCPU state, every cached translation flushed; a cold restart when
 * none was taken yet or the guest reset its platform (a reset asks for a boot). A
 * rollback counts against max_restarts like a restart.
 */
static int vm_recover(struct vm *vm)
{
	struct vcpu *v0 = &vm->vcpus[0];
	bool cold = vm->ckpt.cold;

	vm->ckpt.cold = false;
	if (vm->cfg->policy != VM_POLICY_ROLLBACK)
		return vm_restart(vm);
	if (cold || !ckpt_valid(vm)) {
		pr_info("vm \"%s\": rollback: %s: cold restart\n", vm->cfg->name,
			cold ? "the guest reset its platform" : "no checkpoint taken yet");
		return vm_restart(vm);
	}
	coalesced_discard(&vm->coal); /* writes after the checkpoint, to devices it restores */
	ckpt_rollback(v0);
	vmx_ept_shootdown(v0);
	vm->restarts++;
	vm->line_len = 0;
	vm->stop_reason = NULL;
	vm->state = VM_RUNNING;
	pr_info("vm \"%s\": rolled back to checkpoint %lu: %lu RAM pages restored in %lu TSC "
		"ticks; the guest's clock jumps forward\n",
		vm->cfg->name, vm->ckpt.gen, vm->ckpt.stats.rollback_pages,
		vm->ckpt.stats.rollback_tsc);
	return 0;
}

/*
 * The boot vCPU waits until every AP of the VM has left its guest and parked for this
 * epoch (vm_run_ap), so nothing runs on the VM's state while it is restarted or ended;
 * meanwhile it takes EPT shoot-downs like any waiting vCPU. The stop kicked every vCPU
 * (vm_stop), and one about to enter its guest then exits at once (the IPI is pending).
 */
static void wait_aps_parked(struct vm *vm)
{
	struct vcpu *v0 = &vm->vcpus[0];

	for (unsigned i = 1; i < vm->nr_vcpus; i++)
		while (__atomic_load_n(&vm->parked[i], __ATOMIC_ACQUIRE) != vm->epoch + 1) {
			if (__atomic_load_n(&v0->work, __ATOMIC_SEQ_CST) & VCPU_WORK_FLUSH)
				vmx_flush_take(v0);
			cpu_relax();
		}
}

/*
 * The VM stopped for good: its devices get the coalesced writes still waiting, as they
 * would have without coalescing (a UART's last bytes). Every AP is parked.
 */
static void coalesced_stop(struct vm *vm)
{
	struct vcpu *v0 = &vm->vcpus[0];
	int ret;

	vm_dev_lock(v0);
	ret = coalesced_drain(&vm->coal, COALESCED_ON_STOP);
	vm_dev_unlock(v0);
	if (ret)
		pr_err("vm \"%s\": a device refused a coalesced write at the stop (%d)\n",
		       vm->cfg->name, ret);
}

void vm_run(struct vm *vm)
{
	for (;;) {
		if (vm->state == VM_RUNNING)
			vmx_vcpu_run(&vm->vcpus[0]);
		wait_aps_parked(vm);
		if (vm->state != VM_RESTARTING)
			break;
		if (vm_recover(vm))
			vm_stop(vm, -1, "restart failed");
		__atomic_add_fetch(&vm->epoch, 1, __ATOMIC_SEQ_CST); /* the APs go on */
	}
	coalesced_stop(vm);
	/* Stopped for good: its demand blocks go back while the APs still take flushes. */
	if (vm->demand.nr)
		demand_return(vm);
	vmx_slots_drop(&vm->vcpus[0]); /* the APs are parked: nothing uses them any more */
	__atomic_store_n(&vm->finished, true, __ATOMIC_SEQ_CST);
	pr_info("vm \"%s\": stopped (%s), status %d\n", vm->cfg->name, vm->stop_reason,
		vm->exit_status);
	vm_print_stats(vm);
	conin_vm_stopped(vm);
	vm_note_stopped();
}

/* Work moved, not hidden: what zeroing RAM on first touch cost, and who paid. */
static void ramzero_print(const struct vm *vm)
{
	const struct ramzero *rz = &vm->ramzero;

	if (!rz->nr_chunks)
		return;
	pr_info("vm \"%s\": RAM zeroed on first touch: %lu x 2 MiB by the guest (%lu TSC each), "
		"%lu by the host; %lu EPT violations mapped RAM\n",
		vm->cfg->name, rz->guest_faults,
		rz->guest_maps ? rz->fault_tsc / rz->guest_maps : 0, rz->host_zeroed,
		rz->guest_maps);
}

static void ckpt_print(const struct vm *vm)
{
	const struct ckpt_stats *s = &vm->ckpt.stats;

	if (!vm->ckpt.pages)
		return;
	pr_info("vm \"%s\": checkpoints %lu (full %lu, last %lu pages), refused %lu, rollbacks "
		"%lu; TSC: full %lu, incremental %lu on average, last rollback %lu (%lu pages)\n",
		vm->cfg->name, s->taken, s->full, s->last_pages, s->refused, s->rollbacks,
		s->full_tsc, s->incr_n ? s->incr_tsc / s->incr_n : 0, s->rollback_tsc,
		s->rollback_pages);
}

static void coalesced_print(const struct vm *vm)
{
	const struct coalesced_stats *st = &vm->coal.stats;

	if (!vm->coal.nr_ranges)
		return;
	pr_info("vm \"%s\": coalesced MMIO: %lu writes, %lu drained in %lu drains (%lu on read, "
		"%lu on full, %lu at stop), %lu discarded, %lu refused\n",
		vm->cfg->name, st->writes, st->drained,
		st->drains[COALESCED_ON_READ] + st->drains[COALESCED_ON_FULL] +
		    st->drains[COALESCED_ON_STOP],
		st->drains[COALESCED_ON_READ], st->drains[COALESCED_ON_FULL],
		st->drains[COALESCED_ON_STOP], st->discarded, st->errors);
}

/* Run-time RAM slots (HC_SLOT_ADD / HC_SLOT_REMOVE) this VM was given, when any. */
static void slots_print(const struct vm *vm)
{
	const struct slotctl *sc = &vm->slotctl;

	if (!sc->added && !sc->refused)
		return;
	pr_info("vm \"%s\": run-time slots: %lu added (%lu bytes), %lu removed (%lu bytes), %lu "
		"dropped by restart or stop, %lu refused; %lu bytes now\n",
		vm->cfg->name, sc->added, sc->bytes_added, sc->removed, sc->bytes_removed,
		sc->dropped, sc->refused, sc->bytes);
}

void vm_run_ap(struct vcpu *v)
{
	struct vm *vm = v->vm; /* v itself is reset by the restart while this AP is parked */
	unsigned i = v->index;

	for (;;) {
		uint64_t epoch = __atomic_load_n(&vm->epoch, __ATOMIC_ACQUIRE);
		vmx_ap_run(v);
		__atomic_store_n(&vm->parked[i], epoch + 1, __ATOMIC_RELEASE);
		while (__atomic_load_n(&vm->epoch, __ATOMIC_ACQUIRE) == epoch &&
		       !__atomic_load_n(&vm->finished, __ATOMIC_ACQUIRE)) {
			/* the restart's own shoot-down (stale translations) reaches it here */
			if (__atomic_load_n(&v->work, __ATOMIC_SEQ_CST) & VCPU_WORK_FLUSH)
				vmx_flush_take(v);
			cpu_relax();
		}
		if (vm->finished)
			return;
	}
}

/* " reason:count" for each exit reason @exits counted, or " none". */
static void format_exits(const uint64_t *exits, char *line, size_t size)
{
	int n = 0;

	for (uint32_t r = 0; r < VM_NR_EXIT_COUNTERS && n < (int)size; r++)
		if (exits[r])
			n += ksnprintf(line + n, size - (size_t)n, " %s:%lu", exit_reason_name(r),
				       exits[r]);
	if (!n)
		ksnprintf(line, size, " none");
}

void vm_print_stats(const struct vm *vm)
{
	uint64_t exits[VM_NR_EXIT_COUNTERS];
	char line[400];

	for (uint32_t r = 0; r < VM_NR_EXIT_COUNTERS; r++)
		exits[r] = vm_exits(vm, r);
	format_exits(exits, line, sizeof(line));
	pr_info("vm \"%s\": exits%s\n", vm->cfg->name, line);
	for (unsigned i = 0; vm->nr_vcpus > 1 && i < vm->nr_vcpus; i++) {
		const struct vcpu *v = &vm->vcpus[i];
		format_exits(v->stats.exits, line, sizeof(line));
		pr_info("vm \"%s\": vCPU %u on CPU %u: INIT %lu, SIPI %lu (ignored %lu), EPT "
			"flushes %lu, exits%s\n",
			vm->cfg->name, i, v->cpu, v->stats.inits, v->stats.sipis,
			v->stats.sipis_ignored, v->stats.flushes, line);
		pr_debug(
		    "vm \"%s\": vCPU %u: last start %lu TSC ticks from SIPI to VMCS ready; %lu "
		    "EPT shoot-downs sent, %lu TSC ticks each on average, %lu at most\n",
		    vm->cfg->name, i, v->stats.start_ticks, v->stats.shootdowns,
		    v->stats.shootdowns ? v->stats.shootdown_ticks / v->stats.shootdowns : 0,
		    v->stats.shootdown_max);
	}
	if (vm->nr_vcpus > 1)
		pr_info("vm \"%s\": IPIs between its vCPUs %lu, dropped %lu\n", vm->cfg->name,
			vm->ipis_sent, vm->ipis_dropped);
	pr_info(
	    "vm \"%s\": cpu %u, restarts %u, watchdog fires %u, doorbells sent %lu received %lu "
	    "refused %lu coalesced %lu\n",
	    vm->cfg->name, vm->vcpus[0].cpu, vm->restarts, vm->watchdog_fires, vm->doorbells_sent,
	    vm->doorbells_received, vm->doorbells_refused, vm->doorbells_coalesced);
	ramzero_print(vm);
	ckpt_print(vm);
	vm_dirty_print(vm);
	coalesced_print(vm);
	vm_dirty_print(vm);
	if (vm->demand.nr) {
		demand_format(&vm->demand, line, sizeof(line));
		pr_info("vm \"%s\": %s\n", vm->cfg->name, line);
	}
	slots_print(vm);
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
		for (unsigned k = 0; k < vm->nr_vcpus; k++) {
			uint64_t mine = 0;
			for (unsigned r = 0; r < VM_NR_EXIT_COUNTERS; r++)
				mine += vm->vcpus[k].stats.exits[r];
			if (vm->vcpus[k].cpu < MAX_CPUS_STATS)
				per_cpu[vm->vcpus[k].cpu] += mine;
			total += mine;
		}
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
