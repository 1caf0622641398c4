/*
 * VMCS setup for a vCPU: controls adjusted to the capability MSRs, host state
 * of this CPU, and the guest state of the multiboot i386 entry (32-bit flat
 * protected mode, paging off) that unrestricted guest lets us enter directly.
 * Also the per-VM MSR bitmap and the vcpu_ops the VM model calls.
 */
#include "arch/x86/cpu.h"
#include "lib/console.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/page.h"
#include "vm/tsc.h"
#include "vmx/caps.h"
#include "vmx/exit.h"
#include "vmx/pml.h"
#include "arch/x86/smp.h"
#include "vmx/vcpu.h"
#include "vmx/vmx.h"
#include "vmx/vmcs.h"

#define AR_CODE32	  0xc09b /* G, D/B, P, S, type execute/read accessed */
#define AR_DATA32	  0xc093 /* G, D/B, P, S, type read/write accessed */
#define AR_TSS32_BUSY	  0x008b
#define AR_CODE16	  0x009b /* P, S, type execute/read accessed: real mode's CS */
#define AR_DATA16	  0x0093 /* P, S, type read/write accessed */
#define AR_LDT		  0x0082
#define AR_UNUSABLE	  BIT(16)
#define CR0_ET		  BIT(4)
#define GUEST_PAT_DEFAULT 0x0007040600070406ULL

/*
 * The preemption timer gives every VM a periodic tick (watchdog, end of the
 * run, console input); it counts down at the TSC rate divided by
 * 2^IA32_VMX_MISC[4:0]. The tick is 400 ms (4M instructions in Bochs), or the
 * watchdog's period if shorter, in TSC ticks at the rate measured at boot.
 */
#define TICK_US		    400000
#define VMX_MISC_TIMER_RATE GENMASK(4, 0)

static void setup_tick(struct vcpu *v)
{
	unsigned rate = (unsigned)(rdmsr(MSR_IA32_VMX_MISC) & VMX_MISC_TIMER_RATE);
	uint64_t wd = vm_watchdog_tsc(v->vm), every = tsc_from_us(TICK_US, v->vm->tsc_hz);
	uint64_t tick = wd ? MIN(wd, every) : every;

	v->hw.timer_reload = (uint32_t)MIN(MAX(tick >> rate, 1), UINT32_MAX);
	v->hw.timer_rate = rate;
	v->hw.tick_due = rdtsc() + tick;
	vmcs_write32(GUEST_PREEMPTION_TIMER, v->hw.timer_reload);
}

/*
 * Fields the SDM does not promise zero in a fresh VMCS region (its layout is the CPU's
 * own; VMCLEAR sets only the launch state) and that kestrel does not otherwise use: no
 * MSR lists, every #PF follows exception-bitmap bit 14 (mask = match = 0), the guest's
 * TSC is the host's, no CR3-target values, nothing injected at the first entry.
 */
static void setup_unused_fields(void)
{
	vmcs_write32(EXIT_MSR_STORE_COUNT, 0);
	vmcs_write32(EXIT_MSR_LOAD_COUNT, 0);
	vmcs_write32(ENTRY_MSR_LOAD_COUNT, 0);
	vmcs_write32(PF_ERROR_CODE_MASK, 0);
	vmcs_write32(PF_ERROR_CODE_MATCH, 0);
	vmcs_write64(TSC_OFFSET, 0);
	vmcs_write32(CR3_TARGET_COUNT, 0);
	vmcs_write32(ENTRY_INTR_INFO, 0);
	vmcs_write32(ENTRY_EXCEPTION_ERROR_CODE, 0);
	vmcs_write32(ENTRY_INSTR_LEN, 0);
}

/*
 * A restarted VM reuses its VPID and may get its EPT at the same address: translations
 * the CPU cached for the previous run (linear and combined ones by VPID, guest-physical
 * ones by EPTP) must not survive into the new one. INVVPID and INVEPT act on this CPU,
 * the one vcpu_setup runs on and the vCPU enters from.
 */
static void flush_translations(struct vcpu *v)
{
	vmx_invvpid_single(v->hw.vpid);
	vmx_invept_single(v->vm->hw.eptp);
}

static int setup_controls(struct vcpu *v)
{
	/*
	 * MONITOR/MWAIT exit: the guest must not idle the CPU below the timer; RDPMC exits:
	 * it must not read the host's performance counters (exit_insn.c).
	 */
	uint32_t want = PROC_HLT_EXITING | PROC_UNCOND_IO_EXITING | PROC_USE_MSR_BITMAPS |
			PROC_SECONDARY | PROC_MWAIT_EXITING | PROC_MONITOR_EXITING |
			PROC_RDPMC_EXITING;
	uint32_t pin, proc, proc2, exit, entry;

	/*
	 * CR8 is the guest's TPR, never the host's: a TPR shadow on the vCPU's APIC page
	 * (vmx/apicv.c), else CR8 exits (vmx/exit_insn.c).
	 */
	apicv_setup(v, &want);
	if (vmx_ctls_pick(CTL_PIN,
			  PIN_EXTINT_EXITING | PIN_NMI_EXITING | PIN_VIRTUAL_NMIS |
			      PIN_PREEMPT_TIMER,
			  &pin) ||
	    vmx_ctls_pick(CTL_PROC, want, &proc) ||
	    vmx_ctls_pick(CTL_PROC2,
			  PROC2_ENABLE_EPT | PROC2_ENABLE_VPID | PROC2_UNRESTRICTED_GUEST |
			      PROC2_RDTSCP | PROC2_INVPCID | PROC2_XSAVES | vmx_pml_control(v),
			  &proc2) ||
	    vmx_ctls_pick(CTL_EXIT,
			  EXIT_HOST_64BIT | EXIT_ACK_INTR | EXIT_SAVE_PAT | EXIT_LOAD_PAT |
			      EXIT_SAVE_EFER | EXIT_LOAD_EFER | EXIT_SAVE_PREEMPT_TIMER,
			  &exit) ||
	    vmx_ctls_pick(CTL_ENTRY, ENTRY_LOAD_PAT | ENTRY_LOAD_EFER, &entry))
		return -ENOTSUP;
	vmcs_write32(PIN_BASED_CTLS, pin);
	v->hw.vnmi = pin & PIN_VIRTUAL_NMIS;
	vmcs_write32(PROC_BASED_CTLS, proc);
	vmcs_write32(PROC_BASED_CTLS2, proc2);
	vmcs_write32(EXIT_CTLS, exit);
	vmcs_write32(ENTRY_CTLS, entry);
	vmcs_write32(EXCEPTION_BITMAP, BIT(8)); /* #DF only: a triple fault's cause (vmx/exit.c) */
	setup_unused_fields();
	vmcs_write64(MSR_BITMAP, v->vm->hw.msr_bitmap_hpa.v);
	vmcs_write64(EPT_POINTER, v->vm->hw.eptp);
	vmcs_write16(VPID, v->hw.vpid);
	if (vmx_pml_setup(v))
		return -ENOMEM;
	flush_translations(v);
	apicv_write_fields(v);
	setup_tick(v);
	return 0;
}

static void setup_host_state(void)
{
	vmcs_writenat(HOST_CR0, read_cr0());
	vmcs_writenat(HOST_CR3, read_cr3());
	vmcs_writenat(HOST_CR4, read_cr4());
	vmcs_write16(HOST_CS_SEL, 0x08);
	vmcs_write16(HOST_SS_SEL, 0x10);
	vmcs_write16(HOST_DS_SEL, 0x10);
	vmcs_write16(HOST_ES_SEL, 0x10);
	vmcs_write16(HOST_FS_SEL, 0);
	vmcs_write16(HOST_GS_SEL, 0);
	vmcs_write16(HOST_TR_SEL, cpu_tr_selector());
	vmcs_writenat(HOST_FS_BASE, 0);
	vmcs_writenat(HOST_GS_BASE, 0);
	vmcs_writenat(HOST_TR_BASE, cpu_tss_base());
	vmcs_writenat(HOST_GDTR_BASE, cpu_gdt_base());
	vmcs_writenat(HOST_IDTR_BASE, cpu_idt_base());
	vmcs_write32(HOST_SYSENTER_CS, 0);
	vmcs_writenat(HOST_SYSENTER_ESP, 0);
	vmcs_writenat(HOST_SYSENTER_EIP, 0);
	vmcs_write64(HOST_IA32_PAT, rdmsr(MSR_IA32_PAT));
	vmcs_write64(HOST_IA32_EFER, rdmsr(MSR_EFER));
	vmcs_writenat(HOST_RIP, (uint64_t)vmx_exit_entry);
}

#define SEG(name, sel, ar)                                                                         \
	do {                                                                                       \
		vmcs_write16(GUEST_##name##_SEL, sel);                                             \
		vmcs_writenat(GUEST_##name##_BASE, 0);                                             \
		vmcs_write32(GUEST_##name##_LIMIT, 0xffffffff);                                    \
		vmcs_write32(GUEST_##name##_AR, ar);                                               \
	} while (0)

/* SDM "Processor State After Reset": real mode with 64 KiB segments, CS from the SIPI. */
static void setup_real_mode_segments(const struct vcpu_boot *b)
{
#define SEG16(name, base, ar)                                                                      \
	do {                                                                                       \
		vmcs_write16(GUEST_##name##_SEL, (uint16_t)((base) >> 4));                         \
		vmcs_writenat(GUEST_##name##_BASE, base);                                          \
		vmcs_write32(GUEST_##name##_LIMIT, 0xffff);                                        \
		vmcs_write32(GUEST_##name##_AR, ar);                                               \
	} while (0)
	SEG16(CS, b->entry, AR_CODE16);
	SEG16(DS, 0, AR_DATA16);
	SEG16(ES, 0, AR_DATA16);
	SEG16(SS, 0, AR_DATA16);
	SEG16(FS, 0, AR_DATA16);
	SEG16(GS, 0, AR_DATA16);
	SEG16(TR, 0, AR_TSS32_BUSY);
	SEG16(LDTR, 0, AR_LDT);
#undef SEG16
	vmcs_writenat(GUEST_GDTR_BASE, 0);
	vmcs_write32(GUEST_GDTR_LIMIT, 0xffff);
	vmcs_writenat(GUEST_IDTR_BASE, 0);
	vmcs_write32(GUEST_IDTR_LIMIT, 0xffff);
}

static void setup_segments(const struct vcpu_boot *b)
{
	if (b->real_mode) {
		setup_real_mode_segments(b);
		return;
	}
	SEG(CS, b->cs, AR_CODE32);
	SEG(DS, b->ds, AR_DATA32);
	SEG(ES, b->ds, AR_DATA32);
	SEG(SS, b->ds, AR_DATA32);
	SEG(FS, b->ds, AR_DATA32);
	SEG(GS, b->ds, AR_DATA32);
	vmcs_write16(GUEST_TR_SEL, 0);
	vmcs_writenat(GUEST_TR_BASE, 0);
	vmcs_write32(GUEST_TR_LIMIT, 0xff);
	vmcs_write32(GUEST_TR_AR, AR_TSS32_BUSY);
	vmcs_write16(GUEST_LDTR_SEL, 0);
	vmcs_writenat(GUEST_LDTR_BASE, 0);
	vmcs_write32(GUEST_LDTR_LIMIT, 0);
	vmcs_write32(GUEST_LDTR_AR, AR_UNUSABLE);
	vmcs_writenat(GUEST_GDTR_BASE, b->gdt_base);
	vmcs_write32(GUEST_GDTR_LIMIT, b->gdt_limit);
	vmcs_writenat(GUEST_IDTR_BASE, 0);
	vmcs_write32(GUEST_IDTR_LIMIT, 0xffff);
}

/*
 * CR0.NE and CR4.VMXE must stay set while the guest runs (VMX fixed bits) but
 * the guest should not see them: they are owned by the host through the
 * guest/host masks, and the read shadows show what the guest wrote. CR0.PG
 * is owned too, so that entering long mode exits and the IA-32e control follows.
 */
static void setup_control_regs(bool real_mode)
{
	uint64_t cr0_fixed = rdmsr(MSR_IA32_VMX_CR0_FIXED0) & ~(CR0_PE | CR0_PG);
	uint64_t cr4_fixed = rdmsr(MSR_IA32_VMX_CR4_FIXED0);
	uint64_t cr0 = real_mode ? CR0_ET : CR0_PE | CR0_ET; /* CD and NW clear: see docs/smp.md */

	vmcs_writenat(GUEST_CR0, cr0 | cr0_fixed);
	vmcs_writenat(CR0_GUEST_HOST_MASK, cr0_fixed | CR0_PG); /* PG: see sync_ia32e() */
	vmcs_writenat(CR0_READ_SHADOW, cr0);
	vmcs_writenat(GUEST_CR4, cr4_fixed);
	vmcs_writenat(CR4_GUEST_HOST_MASK, cr4_fixed);
	vmcs_writenat(CR4_READ_SHADOW, 0);
	vmcs_writenat(GUEST_CR3, 0);
}

static void setup_guest_state(const struct vcpu_boot *b)
{
	setup_segments(b);
	setup_control_regs(b->real_mode);
	vmcs_writenat(GUEST_DR7, 0x400);
	vmcs_writenat(GUEST_RSP, 0);
	vmcs_writenat(GUEST_RIP, b->real_mode ? 0 : b->entry);
	vmcs_writenat(GUEST_RFLAGS, 0x2);
	vmcs_writenat(GUEST_PENDING_DBG, 0);
	vmcs_write32(GUEST_INTERRUPTIBILITY, 0);
	vmcs_write32(GUEST_ACTIVITY_STATE, 0);
	vmcs_write32(GUEST_SYSENTER_CS, 0);
	vmcs_writenat(GUEST_SYSENTER_ESP, 0);
	vmcs_writenat(GUEST_SYSENTER_EIP, 0);
	vmcs_write64(GUEST_IA32_DEBUGCTL, 0);
	vmcs_write64(GUEST_IA32_PAT, GUEST_PAT_DEFAULT);
	vmcs_write64(GUEST_IA32_EFER, 0);
	vmcs_write64(VMCS_LINK_POINTER, ~0ULL);
	vmcs_write32(ENTRY_INTR_INFO, 0);
}

int vcpu_setup(struct vcpu *v, const struct vcpu_boot *b)
{
	int ret = v->hw.vmcs.v ? vmcs_clear_load(v->hw.vmcs) : vmcs_alloc_load(&v->hw.vmcs);

	if (ret)
		return ret;
	v->hw.launched = false;
	v->hw.df_cause = 0;
	v->hw.vpid = (uint16_t)(v->vm->id * VM_MAX_VCPUS + v->index + 1);
	ret = setup_controls(v);
	if (ret)
		return ret;
	setup_host_state();
	setup_guest_state(b);
	vcpu_reset_cpu_state();
	for (unsigned i = 0; i < NR_GPRS; i++)
		v->regs[i] = 0;
	v->regs[RAX] = b->rax;
	v->regs[RBX] = b->rbx;
	v->regs[RSI] = b->rsi;
	v->regs[RDX] = b->rdx;
	return 0;
}

void vcpu_inject_exception(unsigned vector, bool has_error, uint32_t error)
{
	uint32_t info = INTR_INFO_VALID | INTR_TYPE_HW_EXCEPTION | vector;

	if (has_error) {
		info |= INTR_INFO_DELIVER_EC;
		vmcs_write32(ENTRY_EXCEPTION_ERROR_CODE, error);
	}
	vmcs_write32(ENTRY_INTR_INFO, info);
}

static void msr_allow(uint8_t *bm, uint32_t msr, bool write)
{
	unsigned base = (msr >= 0xc0000000 ? 1024 : 0) + (write ? 2048 : 0);
	uint32_t n = msr & 0x1fff;

	bm[base + n / 8] &= (uint8_t) ~(1u << (n % 8));
}

int vmx_vm_init(struct vm *vm)
{
	static const uint32_t rw[] = {0x174,	  0x175,      0x176,	  0x277,      0xc0000080,
				      0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084, 0xc0000100,
				      0xc0000101, 0xc0000102, 0xc0000103};
	uint8_t *bm = page_alloc(0, OWNER_HYP, &vm->hw.msr_bitmap_hpa);

	if (!bm)
		return -ENOMEM;
	memset(bm, 0xff, PAGE_SIZE);
	for (unsigned i = 0; i < ARRAY_SIZE(rw); i++) {
		msr_allow(bm, rw[i], false);
		msr_allow(bm, rw[i], true);
	}
	msr_allow(bm, 0x10, false); /* IA32_TSC: read only */
	vm->hw.msr_bitmap = bm;
	return 0;
}

/* A vCPU that runs its guest on another CPU takes the kick IPI as an exit. */
static void vmx_kick(struct vcpu *v)
{
	smp_kick(v->cpu);
}

static uint64_t vmx_rip(struct vcpu *v)
{
	return vmcs_readnat(GUEST_RIP); /* the caller runs on v's CPU with its VMCS loaded */
}

static uint64_t vmx_now(void)
{
	return rdtsc();
}

const struct vcpu_ops vmx_vcpu_ops = {
    .kick = vmx_kick, .rip = vmx_rip, .now = vmx_now, .shootdown = vmx_ept_shootdown};
