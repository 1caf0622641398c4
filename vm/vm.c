/*
 * The VM model's own logic: vCPU set-up, the stop-or-restart decision on
 * fatal guest events and guest resets, the heartbeat watchdog and the guest console's lines. Called by
 * the VMX backend from exit handlers and by hv/ between runs; never touches
 * hardware, so it builds and is tested on the host. (The pending-vector set is
 * inline in vm/vm.h: it is on the exit path.)
 */
#include "vm/vm.h"
#include "lib/console.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "vm/tsc.h"

#define DEFAULT_MAX_RESTARTS 64

static unsigned vcpus_order(unsigned n)
{
	unsigned order = 0;

	while ((PAGE_SIZE << order) < n * sizeof(struct vcpu))
		order++;
	return order;
}

int vm_init(struct vm *vm, const struct vm_config *cfg, unsigned id, const struct vcpu_ops *ops)
{
	memset(vm, 0, sizeof(*vm));
	vm->cfg = cfg;
	vm->id = id;
	vm->owner = OWNER_VM(id);
	vm->vcpu_ops = ops;
	vm->nr_vcpus = vm_cfg_vcpus(cfg);
	vm->vcpus = page_alloc(vcpus_order(vm->nr_vcpus), OWNER_HYP, NULL);
	if (!vm->vcpus)
		return -ENOMEM;
	memset(vm->vcpus, 0, PAGE_SIZE << vcpus_order(vm->nr_vcpus));
	vm->dev_lock.holder = -1;
	memslots_init(&vm->slots);
	iobus_init(&vm->bus);
	irq_router_init(&vm->router);
	vm_reset_runtime(vm);
	return 0;
}

void vm_reset_runtime(struct vm *vm)
{
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		struct vcpu_hw hw = v->hw;	 /* the backend's VMCS and VPID outlive a restart */
		struct vcpu_intc intc = v->intc; /* wiring, like the devices' */
		struct vcpu_stats stats = v->stats;

		memset(v, 0, sizeof(*v));
		v->hw = hw;
		v->intc = intc;
		v->stats = stats;
		v->vm = vm;
		v->index = i;
		v->cpu = vm_cfg_cpu(vm->cfg, i);
		v->mp = i ? VCPU_MP_WAIT_SIPI : VCPU_MP_RUN; /* APs wait for INIT-SIPI */
	}
	vm->line_len = 0;
	vm->state = VM_RUNNING;
	vm->stop_reason = NULL;
}

void vm_kick_all(struct vm *vm)
{
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		vcpu_wake(&vm->vcpus[i], 0, vm->nr_vcpus > 1);
}

uint64_t vm_exits(const struct vm *vm, unsigned reason)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		n += vm->vcpus[i].stats.exits[reason];
	return n;
}

/* Under life_lock: the first stop of a run stands (a second vCPU's fault loses the race). */
static void stop_locked(struct vm *vm, int status, const char *why)
{
	if (vm->state != VM_RUNNING)
		return;
	if (vm->line_len)
		vm_console_putc(vm, '\n');
	vm->state = VM_STOPPED;
	vm->exit_status = status;
	vm->stop_reason = why;
	vm_kick_all(vm); /* every vCPU leaves its guest before the VM is stopped or restarted */
}

void vm_stop(struct vm *vm, int status, const char *why)
{
	spin_lock(&vm->life_lock);
	stop_locked(vm, status, why);
	spin_unlock(&vm->life_lock);
}

bool vm_faulted(const struct vm *vm)
{
	return vm->state == VM_STOPPED && vm->exit_status < 0 &&
	       !(vm->cfg->flags & VM_FLAG_EXPECT_FAULT);
}

/*
 * Under VM_POLICY_RESTART and within max_restarts, mark @vm for restart (hv/
 * restarts it) and return true; else false, printing why it gives up when the
 * limit is what stops it. The VM is stopped either way; a VM no longer running
 * (another vCPU stopped it first) is left as it is, and false.
 */
static bool stop_for_restart(struct vm *vm, int status, const char *why)
{
	unsigned limit = vm->cfg->max_restarts ? vm->cfg->max_restarts : DEFAULT_MAX_RESTARTS;
	bool restart = false;

	spin_lock(&vm->life_lock);
	if (vm->state == VM_RUNNING) {
		stop_locked(vm, status, why);
		restart = vm->cfg->policy != VM_POLICY_STOP && !vms_ending; /* or rollback */
		if (restart && vm->restarts >= limit) {
			pr_err("vm \"%s\": %s after %u restarts: giving up\n", vm->cfg->name, why,
			       vm->restarts);
			restart = false;
		}
		if (restart)
			vm->state = VM_RESTARTING;
	}
	spin_unlock(&vm->life_lock);
	return restart;
}

void vm_fault(struct vm *vm, int status, const char *why)
{
	if (stop_for_restart(vm, status, why))
		pr_info("vm \"%s\": %s (status %d): restarting at TSC %lu\n", vm->cfg->name, why,
			status, vm->vcpu_ops->now());
}

void vm_reboot(struct vm *vm, const char *why)
{
	vm->ckpt.cold = true; /* a reset asks for a boot, not the last checkpoint */
	if (stop_for_restart(vm, 0, why))
		pr_info("vm \"%s\": %s: restarting at TSC %lu\n", vm->cfg->name, why,
			vm->vcpu_ops->now());
}

/* The watchdog's period in TSC ticks at the rate measured at boot (vm/tsc.h). */
uint64_t vm_watchdog_tsc(const struct vm *vm)
{
	return vm->cfg->watchdog_us ? tsc_from_us(vm->cfg->watchdog_us, vm->tsc_hz) : 0;
}

void vm_watchdog_kick(struct vm *vm, uint64_t now)
{
	if (vm->cfg->watchdog_us)
		vm->wd_deadline = now + vm_watchdog_tsc(vm);
}

bool vm_watchdog_expired(struct vm *vm, uint64_t now)
{
	uint64_t due = __atomic_load_n(&vm->wd_deadline, __ATOMIC_RELAXED);

	if (!vm->cfg->watchdog_us || vm->state != VM_RUNNING || now <= due)
		return false;
	/* one vCPU of several fires it: the deadline moves out of reach until the next kick */
	if (!__atomic_compare_exchange_n(&vm->wd_deadline, &due, UINT64_MAX, false,
					 __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		return false;
	vm->watchdog_fires++;
	pr_err("vm \"%s\": watchdog: no heartbeat within %lu us = %lu TSC ticks (RIP 0x%lx)\n",
	       vm->cfg->name, vm->cfg->watchdog_us, vm_watchdog_tsc(vm),
	       vm->vcpu_ops->rip(&vm->vcpus[0]));
	vm_fault(vm, -1, "watchdog");
	return true;
}

/* Under con_lock. */
static void console_flush(struct vm *vm)
{
	vm->line[vm->line_len] = '\0';
	pr_always("[%s] %s\n", vm->cfg->name, vm->line);
	vm->line_len = 0;
}

/*
 * The guest's bytes are untrusted: printable ASCII passes, anything else
 * (control bytes, escape sequences, bytes >= 0x7f) is shown as \xNN, and a
 * line longer than the buffer is cut into several, each with the VM's prefix,
 * so a guest can never print a line that reads as the hypervisor's own.
 */
static void console_putc_locked(struct vm *vm, char c)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t b = (uint8_t)c;

	if (c == '\r')
		return;
	if (c == '\n') {
		console_flush(vm);
		return;
	}
	if (vm->line_len + 4 >= VM_LINE_MAX)
		console_flush(vm);
	if (b >= 0x20 && b < 0x7f && b != '\\') {
		vm->line[vm->line_len++] = c;
		return;
	}
	vm->line[vm->line_len++] = '\\';
	vm->line[vm->line_len++] = 'x';
	vm->line[vm->line_len++] = hex[b >> 4];
	vm->line[vm->line_len++] = hex[b & 15];
}

void vm_console_putc(struct vm *vm, char c)
{
	spin_lock(&vm->con_lock);
	console_putc_locked(vm, c);
	spin_unlock(&vm->con_lock);
}
