/*
 * Exit handlers for instructions the guest executes: CPUID, VMCALL, MOV to
 * control registers, port I/O, RDMSR/WRMSR, XSETBV. Each either emulates the
 * instruction and advances RIP, or injects the fault the CPU would raise.
 */
#include "arch/x86/cpu.h"
#include "lib/console.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/gmem.h"
#include "vmx/caps.h"
#include "vmx/exit.h"
#include "vmx/slots.h"
#include "vmx/vmcs.h"
#include "vm/cpuid.h"

#define CPUID_HV_LEAF  CPUID_HV_BASE
#define HV_ABI_VERSION KESTREL_ABI_VERSION
#define VECTOR_GP      13
#define VECTOR_UD      6

/* Basic leaves: the VM's CPU model (vm/cpuid.c) applied to what this CPU says. */
static void cpuid_basic(const struct vcpu *v, uint32_t leaf, uint32_t sub, struct cpuid_regs *c)
{
	struct cpuid_view w = {v->index, v->vm->nr_vcpus, v->intc.pending != NULL, v->vm->tsc_hz};
	uint32_t r[4] = {c->eax, c->ebx, c->ecx, c->edx};

	vm_cpuid_basic(&w, leaf, sub, r);
	*c = (struct cpuid_regs){r[0], r[1], r[2], r[3]};
}

static inline void cpuid_answer(uint64_t *r, struct cpuid_regs c)
{
	r[RAX] = c.eax;
	r[RBX] = c.ebx;
	r[RCX] = c.ecx;
	r[RDX] = c.edx;
	exit_advance_rip();
}

/*
 * Every leaf but the hypervisor's own: what the CPU says for the leaves below them, as
 * the filters above leave it. Out of line (a tail call), so that the hot path below
 * calls nothing and keeps the vCPU in a caller-saved register.
 */
static __attribute__((noinline)) uint32_t cpuid_host(struct vcpu *v, uint32_t leaf)
{
	struct cpuid_regs c = cpuid(leaf, (uint32_t)v->regs[RCX]);

	if (leaf < CPUID_HV_LEAF)
		cpuid_basic(v, leaf, (uint32_t)v->regs[RCX], &c);
	else if (leaf < 0x40000100) /* the hypervisor range beyond ours: nothing */
		c = (struct cpuid_regs){0, 0, 0, 0};
	cpuid_answer(v->regs, c);
	return exit_pending(v);
}

/* The hypervisor leaves are answered without asking the CPU. */
uint32_t vmx_exit_cpuid(struct vcpu *v)
{
	uint32_t leaf = (uint32_t)v->regs[RAX];

	v->stats.exits[EXIT_CPUID]++;
	if (leaf == CPUID_HV_LEAF) /* signature "KestrelHV\0\0\0" in EBX:ECX:EDX */
		cpuid_answer(v->regs, (struct cpuid_regs){CPUID_HV_LEAF + 1, HV_SIG_EBX, HV_SIG_ECX,
							  HV_SIG_EDX});
	else if (leaf == CPUID_HV_LEAF + 1)
		cpuid_answer(v->regs, (struct cpuid_regs){HV_ABI_VERSION, 0, 0, 0});
	else
		return cpuid_host(v, leaf);
	return exit_pending(v);
}

static uint64_t vm_ram_bytes(const struct vm *vm)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < vm->cfg->nr_regions; i++)
		if (vm->cfg->regions[i].kind == REGION_RAM)
			n += vm->cfg->regions[i].size;
	return n;
}

static __attribute__((noinline)) int64_t hc_console_write(struct vm *vm, uint64_t buf, uint64_t len)
{
	char tmp[256];

	if (len > 4096)
		return -EINVAL;
	for (uint64_t done = 0; done < len;) {
		size_t n = (size_t)MIN(len - done, sizeof(tmp));
		if (gmem_read(&vm->slots, gpa(buf + done), tmp, n))
			return -EFAULT;
		for (size_t i = 0; i < n; i++)
			vm_console_putc(vm, tmp[i]);
		done += n;
	}
	return (int64_t)len;
}

static __attribute__((noinline)) int64_t hc_vm_info(struct vm *vm, uint64_t at)
{
	struct hc_vm_info info = {.version = KESTREL_ABI_VERSION,
				  .vm_id = vm->id,
				  .ram_bytes = vm_ram_bytes(vm),
				  .restarts = vm->restarts,
				  .cpu = vm->vcpus[0].cpu};
	size_t n = strnlen(vm->cfg->name, sizeof(info.name) - 1);

	memcpy(info.name, vm->cfg->name, n);
	return gmem_write(&vm->slots, gpa(at), &info, sizeof(info)) ? -EFAULT : 0;
}

/* Every hypercall but HC_NULL: the number in RAX, arguments in RDI RSI RDX RCX, the result in RAX. */
static __attribute__((noinline)) void hypercall(struct vcpu *v)
{
	struct vm *vm = v->vm;
	uint64_t *r = v->regs;
	int64_t ret;

	switch (r[RAX]) {
	case HC_CONSOLE_WRITE:
		ret = hc_console_write(vm, r[RDI], r[RSI]);
		break;
	case HC_EXIT:
		vm_stop(vm, (int)r[RDI], "exit hypercall");
		return;
	case HC_VM_INFO:
		ret = hc_vm_info(vm, r[RDI]);
		break;
	case HC_HEARTBEAT:
		vm_watchdog_kick(vm, rdtsc());
		ret = 0;
		break;
	case HC_DOORBELL:
		ret = vm_ring_doorbell(vm, r[RDI]);
		break;
	case HC_DIRTY_LOG: /* the bitmap buffer's size in R10 (docs/abi.md) */
		ret = vm_dirty_hypercall(vm, v, r[RDI], r[RSI], r[RDX], r[R10]);
		break;
	case HC_STATS:
		ret = vm->cfg->flags & VM_FLAG_PRIVILEGED ? 0 : -EPERM;
		if (!ret && vm_stats_printer)
			vm_stats_printer(vm);
		break;
	case HC_CHECKPOINT:
		ret = ckpt_hypercall(v, r[RDI]);
		break;
	case HC_SLOT_ADD: /* VM id, GPA, size, rights in R10 */
		ret = vmx_hc_slot_add(v, r[RDI], r[RSI], r[RDX], r[R10]);
		break;
	case HC_SLOT_REMOVE:
		ret = vmx_hc_slot_remove(v, r[RDI], r[RSI]);
		break;
	default:
		ret = -ENOSYS;
		break;
	}
	r[RAX] = (uint64_t)ret;
}

/*
 * HC_NULL, the benchmark's null exit, is answered without the switch: its result, 0, is
 * already in RAX (HC_NULL is 0, compared on all 64 bits).
 */
static_assert(HC_NULL == 0, "HC_NULL's result is its number");

/* The switch out of line (a tail call): the hot path calls nothing. */
static __attribute__((noinline)) uint32_t hypercall_exit(struct vcpu *v)
{
	hypercall(v);
	return exit_pending(v);
}

uint32_t vmx_exit_vmcall(struct vcpu *v)
{
	v->stats.exits[EXIT_VMCALL]++;
	exit_advance_rip();
	if (unlikely(v->regs[RAX] != HC_NULL))
		return hypercall_exit(v);
	return exit_pending(v);
}

/* ---- control registers (SDM "Exit Qualification for Control-Register Accesses") ---- */

#define CRQ_NUM	    GENMASK(3, 0)
#define CRQ_TYPE(q) (((q) >> 4) & 3)
#define CRQ_GPR(q)  (((q) >> 8) & 15)
#define CR_MOV_TO   0
#define CR_CLTS	    2
#define CR_LMSW	    3
#define CR0_TS	    BIT(3)

static uint64_t guest_gpr(struct vcpu *v, unsigned n)
{
	return n == RSP ? vmcs_readnat(GUEST_RSP) : v->regs[n];
}

/*
 * Guest wrote @val: the shadow shows it; the real register also has the VMX
 * fixed bits, which are exactly the host-owned bits of the guest/host mask
 * (vmx/vcpu.c), CR0.PG aside (owned only to see the switch to long mode).
 */
static void guest_write_cr0(uint64_t val)
{
	vmcs_writenat(CR0_READ_SHADOW, val);
	vmcs_writenat(GUEST_CR0, val | (vmcs_readnat(CR0_GUEST_HOST_MASK) & ~CR0_PG));
}

static void guest_write_cr4(uint64_t val)
{
	vmcs_writenat(CR4_READ_SHADOW, val);
	vmcs_writenat(GUEST_CR4, val | vmcs_readnat(CR4_GUEST_HOST_MASK));
}

/* CR0.PG with EFER.LME enters IA-32e mode, and clearing PG leaves it: keep LMA and the entry control in step. */
static void sync_ia32e(void)
{
	uint64_t efer = vmcs_read64(GUEST_IA32_EFER);
	uint32_t entry = vmcs_read32(ENTRY_CTLS);

	if ((vmcs_readnat(GUEST_CR0) & CR0_PG) && (efer & EFER_LME)) {
		efer |= EFER_LMA;
		entry |= ENTRY_IA32E_GUEST;
	} else {
		efer &= ~EFER_LMA;
		entry &= ~ENTRY_IA32E_GUEST;
	}
	vmcs_write64(GUEST_IA32_EFER, efer);
	vmcs_write32(ENTRY_CTLS, entry);
}

/*
 * CR8 is the TPR's window (SDM "Task Priority Register"): with a local APIC it
 * is the APIC's TPR[7:4], without one a plain value; never the host's own CR8.
 */
#define CR_MOV_FROM 1

static void guest_cr8(struct vcpu *v, uint64_t q)
{
	unsigned gpr = CRQ_GPR(q);
	bool apic = v->intc.get_cr8 != NULL;

	if (CRQ_TYPE(q) == CR_MOV_FROM) {
		uint64_t val = v->cr8;
		if (apic) {
			vm_dev_lock(v);
			val = v->intc.get_cr8(v->intc.ctx);
			vm_dev_unlock(v);
		}
		if (gpr == RSP)
			vmcs_writenat(GUEST_RSP, val);
		else
			v->regs[gpr] = val;
		return;
	}
	if (apic) {
		vm_dev_lock(v);
		v->intc.set_cr8(v->intc.ctx, (uint8_t)(guest_gpr(v, gpr) & 15));
		vm_dev_unlock(v);
	} else
		v->cr8 = (uint8_t)(guest_gpr(v, gpr) & 15);
}

void handle_cr_access(struct vcpu *v)
{
	uint64_t q = vmcs_readnat(EXIT_QUALIFICATION);
	unsigned cr = (unsigned)(q & CRQ_NUM);
	uint64_t shadow = vmcs_readnat(CR0_READ_SHADOW);

	if (cr == 8) {
		guest_cr8(v, q);
		vcpu_advance_rip();
		return;
	}
	if (CRQ_TYPE(q) == CR_MOV_TO && cr == 0)
		guest_write_cr0(guest_gpr(v, CRQ_GPR(q)));
	else if (CRQ_TYPE(q) == CR_MOV_TO && cr == 4)
		guest_write_cr4(guest_gpr(v, CRQ_GPR(q)));
	else if (CRQ_TYPE(q) == CR_CLTS)
		guest_write_cr0(shadow & ~CR0_TS);
	else if (CRQ_TYPE(q) == CR_LMSW)
		guest_write_cr0((shadow & ~0xfULL) | ((q >> 16) & 0xf) | (shadow & CR0_PE));
	else {
		pr_err("vm \"%s\": unexpected control-register exit, qualification 0x%lx\n",
		       v->vm->cfg->name, q);
		vm_fault(v->vm, -1, "control-register access");
		return;
	}
	if (cr == 0)
		sync_ia32e();
	vcpu_advance_rip();
}

/* ---- port I/O (SDM "Exit Qualification for I/O Instructions") ---- */

#define IOQ_SIZE(q) ((unsigned)((q)&7) + 1)
#define IOQ_IN	    BIT(3)
#define IOQ_STRING  BIT(4)
#define IOQ_PORT(q) ((uint16_t)((q) >> 16))

static uint64_t io_mask(unsigned size)
{
	return size == 4 ? 0xffffffffULL : (1ULL << (size * 8)) - 1;
}

/* IN, and the string forms kestrel does not emulate. Out of line (a tail call). */
static __attribute__((noinline)) uint32_t io_in(struct vcpu *v, uint64_t q)
{
	unsigned size = IOQ_SIZE(q);
	uint64_t mask = io_mask(size), val;

	if (q & IOQ_STRING) {
		pr_err("vm \"%s\": string I/O (INS/OUTS) on port 0x%x is not supported\n",
		       v->vm->cfg->name, IOQ_PORT(q));
		vm_fault(v->vm, -1, "string I/O");
		return exit_pending(v);
	}
	exit_advance_rip();
	vm_dev_lock(v);
	if (iobus_read(&v->vm->bus, IOBUS_PIO, IOQ_PORT(q), size, &val))
		val = ~0ULL; /* nothing decodes the port: the bus floats high */
	vm_dev_unlock(v);
	v->regs[RAX] = (v->regs[RAX] & ~mask) | (val & mask);
	return exit_pending(v);
}

/* OUT to a device: its handler under the device lock. Out of line (a tail call). */
static __attribute__((noinline)) uint32_t io_out(struct vcpu *v, const struct io_range *r,
						 uint16_t port, unsigned size)
{
	vm_dev_lock(v);
	r->ops->write(r->dev, port - r->base, size, v->regs[RAX] & io_mask(size));
	vm_dev_unlock(v);
	return exit_pending(v);
}

/*
 * OUT goes straight to the bus; a port nobody decodes drops the write. The bus is looked
 * up outside the device lock: its ranges are registered while the VM is built and never
 * change while it runs (the lock covers the devices' state, docs/smp.md).
 */
uint32_t vmx_exit_io(struct vcpu *v)
{
	uint64_t q = exit_readnat(EXIT_QUALIFICATION);
	const struct io_range *r;

	v->stats.exits[EXIT_IO]++;
	if (unlikely(q & (IOQ_IN | IOQ_STRING)))
		return io_in(v, q);
	exit_advance_rip();
	r = iobus_find(&v->vm->bus, IOBUS_PIO, IOQ_PORT(q));
	if (r)
		return io_out(v, r, IOQ_PORT(q), IOQ_SIZE(q));
	return exit_pending(v);
}

/* ---- MSRs: the bitmap passes the allow-list through; these see the rest ---- */

/* MSRs a device model claimed on the VM's MSR bus (IA32_APIC_BASE, x2APIC, ...) answer; the rest #GP. */
void handle_rdmsr(struct vcpu *v)
{
	uint64_t val = 0;
	uint32_t msr = (uint32_t)v->regs[RCX];
	int ret = 0;

	if (!vcpu_msr_read(v, msr, &val)) {
		vm_dev_lock(v);
		ret = iobus_read(&v->vm->bus, IOBUS_MSR, msr, 8, &val);
		vm_dev_unlock(v);
	}
	if (ret) {
		pr_debug("vm \"%s\": RDMSR 0x%lx refused (#GP)\n", v->vm->cfg->name, v->regs[RCX]);
		vcpu_inject_exception(VECTOR_GP, true, 0);
		return;
	}
	v->regs[RAX] = (uint32_t)val;
	v->regs[RDX] = val >> 32;
	exit_advance_rip();
}

void handle_wrmsr(struct vcpu *v)
{
	uint64_t val = (v->regs[RDX] << 32) | (uint32_t)v->regs[RAX];
	uint32_t msr = (uint32_t)v->regs[RCX];
	int own = vcpu_msr_write(v, msr, val);

	if (!own) {
		vm_dev_lock(v);
		own = iobus_write(&v->vm->bus, IOBUS_MSR, msr, 8, val) ? -1 : 1;
		vm_dev_unlock(v);
	}
	if (own < 0) {
		pr_debug("vm \"%s\": WRMSR 0x%lx refused (#GP)\n", v->vm->cfg->name, v->regs[RCX]);
		vcpu_inject_exception(VECTOR_GP, true, 0);
		return;
	}
	if (msr == MSR_IA32_APIC_BASE) /* x2APIC mode on or off: its reads follow */
		apicv_sync_mode(v);
	exit_advance_rip();
}

/*
 * MONITOR and MWAIT exit (MONITOR exiting and MWAIT exiting, vmx/vcpu.c): run
 * natively, MWAIT would let the guest put the physical CPU in a C-state, and the
 * VMX-preemption timer does not count in C-states deeper than C2 (SDM
 * "VMX-Preemption Timer"), which is what runs the watchdog and the guest's
 * device time. Neither a NOP nor HLT: the guest's CPUID says there is no
 * MONITOR/MWAIT (vm_cpuid_hidden, vm/cpuid.c), and for CPUID.01H:ECX.MONITOR[bit 3] = 0
 * both instructions raise #UD (SDM "MONITOR", "MWAIT"), so that is what it gets.
 */
void handle_monitor_mwait(struct vcpu *v)
{
	vcpu_inject_exception(VECTOR_UD, false, 0);
}

/*
 * RDPMC exits (RDPMC exiting, vmx/vcpu.c): run natively at CPL 0, or with CR4.PCE, it
 * reads the physical CPU's performance counters, which count the neighbours' work too.
 * The guest's CPUID leaf 0xA reports no counters (vm/cpuid.c), so every index in ECX is
 * invalid and the instruction raises #GP(0) (SDM "RDPMC"); that is what it gets.
 */
void handle_rdpmc(struct vcpu *v)
{
	vcpu_inject_exception(VECTOR_GP, true, 0);
}

void handle_xsetbv(struct vcpu *v)
{
	/* No XSAVE state for guests yet. */
	vcpu_inject_exception(VECTOR_UD, false, 0);
}
