/*
 * VM lifecycle beyond the first boot: the stop-or-restart policy applied to
 * fatal guest events, restart (RAM scrubbed, devices reset, guest booted
 * again), the heartbeat watchdog on the VMX preemption timer, doorbells
 * between VMs (an external interrupt on vector 0x40 injected into the peer),
 * and idle HLT. Invariant: a VM's failure touches only that VM's state.
 */
#include "arch/x86/cpu.h"
#include "arch/x86/smp.h"
#include "lib/console.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "vmx/caps.h"
#include "vmx/exit.h"
#include "vmx/vmcs.h"

#define DOORBELL_VECTOR	     VEC_DOORBELL
#define DEFAULT_MAX_RESTARTS 64
#define MAX_VM_TABLE	     16

volatile bool hv_stopping;
static struct vm *vm_table[MAX_VM_TABLE];
static unsigned nr_vm_table;

void vm_register(struct vm *vm)
{
	if (nr_vm_table < MAX_VM_TABLE)
		vm_table[nr_vm_table++] = vm;
}

struct vm *vm_by_id(unsigned id)
{
	for (unsigned i = 0; i < nr_vm_table; i++)
		if (vm_table[i]->id == id)
			return vm_table[i];
	return NULL;
}

unsigned vm_count(void)
{
	return nr_vm_table;
}

/* Statistics of every VM and CPU, and an ownership audit: at shutdown and on HC_STATS. */
void hv_print_stats(const struct vm *asker)
{
	uint64_t per_cpu[MAX_VM_TABLE] = {0};

	if (asker)
		pr_info("stats: requested by vm \"%s\"\n", asker->cfg->name);
	for (unsigned i = 0; i < nr_vm_table; i++) {
		const struct vm *vm = vm_table[i];
		uint64_t total = 0;
		for (unsigned r = 0; r < NR_EXIT_REASONS; r++)
			total += vm->exits[r];
		if (vm->cpu < MAX_VM_TABLE)
			per_cpu[vm->cpu] += total;
		pr_info("stats: vm \"%s\" cpu %u: %lu exits, %u restarts, %u watchdog fires, "
			"doorbells %lu sent %lu received\n",
			vm->cfg->name, vm->cpu, total, vm->restarts, vm->watchdog_fires,
			vm->doorbells_sent, vm->doorbells_received);
		vm_audit(vm);
	}
	for (unsigned c = 0; c < MAX_VM_TABLE; c++)
		if (per_cpu[c])
			pr_info("stats: cpu %u: %lu exits\n", c, per_cpu[c]);
}

/* When every foreground VM has stopped, the run is over: background VMs stop at their next tick. */
void hv_note_stopped(void)
{
	for (unsigned i = 0; i < nr_vm_table; i++)
		if (!(vm_table[i]->cfg->flags & VM_FLAG_BACKGROUND) &&
		    vm_table[i]->state != VM_STOPPED)
			return;
	if (!hv_stopping)
		pr_info("kestrel: every foreground VM has stopped; ending the run\n");
	hv_stopping = true;
}

void vm_fault(struct vm *vm, int status, const char *why)
{
	unsigned limit = vm->cfg->max_restarts ? vm->cfg->max_restarts : DEFAULT_MAX_RESTARTS;

	if (vm->cfg->policy != VM_POLICY_RESTART || hv_stopping) {
		vm_stop(vm, status, why);
		return;
	}
	if (vm->restarts >= limit) {
		pr_err("vm \"%s\": %s after %u restarts: giving up\n", vm->cfg->name, why,
		       vm->restarts);
		vm_stop(vm, status, why);
		return;
	}
	pr_info("vm \"%s\": %s (status %d): restarting at TSC %lu\n", vm->cfg->name, why, status,
		rdtsc());
	vm_stop(vm, status, why);
	vm->state = VM_RESTARTING;
}

/* Back to the configuration's initial state: scrubbed RAM, fresh devices, the guest reloaded. */
int vm_restart(struct vm *vm)
{
	for (unsigned i = 0; i < vm->nr_ram; i++)
		if (vm->ram[i].scrub)
			memset(hpa_to_va(vm->ram[i].hpa), 0, PAGE_SIZE << vm->ram[i].order);
	for (unsigned i = 0; i < vm->nr_devs; i++)
		if (vm->devs[i].state)
			memset(vm->devs[i].state, 0, vm->devs[i].ops->state_size);
	vm->restarts++;
	vm->line_len = 0;
	vm->irq_pending = false;
	vm->state = VM_RUNNING;
	vm->stop_reason = NULL;
	return vm_load_guest(vm);
}

void vm_watchdog_kick(struct vm *vm)
{
	if (vm->cfg->watchdog)
		vm->wd_deadline = rdtsc() + vm->cfg->watchdog;
}

bool vm_watchdog_expired(struct vm *vm)
{
	if (!vm->cfg->watchdog || vm->state != VM_RUNNING || rdtsc() <= vm->wd_deadline)
		return false;
	vm->watchdog_fires++;
	pr_err("vm \"%s\": watchdog: no heartbeat within %lu TSC ticks (RIP 0x%lx)\n",
	       vm->cfg->name, vm->cfg->watchdog, vmcs_readnat(GUEST_RIP));
	vm_fault(vm, -1, "watchdog");
	return true;
}

int vm_ring_doorbell(struct vm *from, uint64_t peer_id)
{
	struct vm *peer = peer_id < 0x10000 ? vm_by_id((unsigned)peer_id) : NULL;

	if (!peer || peer == from || peer->state == VM_STOPPED)
		return -EINVAL;
	__atomic_store_n(&peer->irq_pending, true, __ATOMIC_SEQ_CST);
	/*
	 * A peer idling in HLT polls the flag; one running its guest is kicked out to
	 * take it. Both sides store, then load the other's flag, sequentially consistent,
	 * so at least one of them sees the other: no doorbell waits for the next tick.
	 */
	if (!__atomic_load_n(&peer->idle, __ATOMIC_SEQ_CST))
		smp_kick(peer->cpu);
	from->doorbells_sent++;
	return 0;
}

static bool can_inject(void)
{
	return (vmcs_readnat(GUEST_RFLAGS) & RFLAGS_IF) &&
	       !(vmcs_read32(GUEST_INTERRUPTIBILITY) & INTERRUPTIBILITY_BLOCKING) &&
	       !(vmcs_read32(ENTRY_INTR_INFO) & INTR_INFO_VALID);
}

static void set_window_exiting(bool on)
{
	uint32_t proc = vmcs_read32(PROC_BASED_CTLS);
	uint32_t want = on ? proc | PROC_INTR_WINDOW_EXITING : proc & ~PROC_INTR_WINDOW_EXITING;

	if (want != proc)
		vmcs_write32(PROC_BASED_CTLS, want);
}

/* Before every resume: a rung doorbell becomes an interrupt as soon as the guest takes one. */
void vm_deliver_pending(struct vm *vm)
{
	if (likely(!vm->irq_pending))
		return;
	if (!can_inject()) {
		set_window_exiting(true);
		return;
	}
	__atomic_store_n(&vm->irq_pending, false, __ATOMIC_RELAXED);
	vmcs_write32(ENTRY_INTR_INFO, INTR_INFO_VALID | INTR_TYPE_EXT_INTR | DOORBELL_VECTOR);
	set_window_exiting(false);
	vm->doorbells_received++;
}

void handle_interrupt_window(struct vm *vm)
{
	set_window_exiting(false); /* vm_deliver_pending turns it back on if still blocked */
}

void handle_preemption_timer(struct vm *vm)
{
	/* A periodic tick: watchdog, shutdown of background VMs. */
	vmcs_write32(GUEST_PREEMPTION_TIMER, vm->timer_reload);
	if (vm_watchdog_expired(vm))
		return;
	if (hv_stopping && (vm->cfg->flags & VM_FLAG_BACKGROUND))
		vm_stop(vm, 0, "run ended");
}

/*
 * HLT: the CPU is this VM's alone, so it idles in root until a doorbell, the
 * watchdog or the end of the run. A guest that halts with interrupts off, or
 * with no other VM that could ring it, has ended.
 */
void handle_hlt(struct vm *vm)
{
	vcpu_advance_rip();
	if (!(vmcs_readnat(GUEST_RFLAGS) & RFLAGS_IF) || (vm_count() < 2 && !vm->irq_pending)) {
		pr_info("vm \"%s\": halted at RIP 0x%lx with nothing to wake it\n", vm->cfg->name,
			vmcs_readnat(GUEST_RIP));
		vm_stop(vm, 0, "halted");
		return;
	}
	__atomic_store_n(&vm->idle, true, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&vm->irq_pending, __ATOMIC_ACQUIRE)) {
		if (vm_watchdog_expired(vm))
			break;
		if (hv_stopping) {
			vm_stop(vm, 0, "run ended");
			break;
		}
		cpu_relax();
	}
	__atomic_store_n(&vm->idle, false, __ATOMIC_SEQ_CST); /* pairs with vm_ring_doorbell */
}
