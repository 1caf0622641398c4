/*
 * The VMX part of a vCPU checkpoint (vm/ckpt.h struct ckpt_arch): every guest-state
 * VMCS field that can change while the guest runs, the entry fields of a pending event
 * and the controls the exit handlers toggle (interrupt and NMI windows, IA-32e entry),
 * and the CPU state the guest owns outside the VMCS (vmx/cpustate.c's list: the MSRs the
 * bitmap passes through, DR0-3, DR6, CR2, x87/SSE by FXSAVE). Runs on the vCPU's own CPU.
 */
#include "arch/x86/cpu.h"
#include "lib/string.h"
#include "vm/ckpt.h"
#include "vmx/vcpu.h"
#include "vmx/vmx.h"

#define CR4_OSFXSR BIT(9)

/* Always present with our controls (EPT, the preemption timer, unrestricted guest). */
static const uint32_t fields[] = {GUEST_ES_SEL,
				  GUEST_CS_SEL,
				  GUEST_SS_SEL,
				  GUEST_DS_SEL,
				  GUEST_FS_SEL,
				  GUEST_GS_SEL,
				  GUEST_LDTR_SEL,
				  GUEST_TR_SEL,
				  GUEST_IA32_DEBUGCTL,
				  GUEST_IA32_PAT,
				  GUEST_IA32_EFER,
				  GUEST_PDPTE0,
				  GUEST_PDPTE1,
				  GUEST_PDPTE2,
				  GUEST_PDPTE3,
				  GUEST_ES_LIMIT,
				  GUEST_CS_LIMIT,
				  GUEST_SS_LIMIT,
				  GUEST_DS_LIMIT,
				  GUEST_FS_LIMIT,
				  GUEST_GS_LIMIT,
				  GUEST_LDTR_LIMIT,
				  GUEST_TR_LIMIT,
				  GUEST_GDTR_LIMIT,
				  GUEST_IDTR_LIMIT,
				  GUEST_ES_AR,
				  GUEST_CS_AR,
				  GUEST_SS_AR,
				  GUEST_DS_AR,
				  GUEST_FS_AR,
				  GUEST_GS_AR,
				  GUEST_LDTR_AR,
				  GUEST_TR_AR,
				  GUEST_INTERRUPTIBILITY,
				  GUEST_ACTIVITY_STATE,
				  GUEST_SYSENTER_CS,
				  GUEST_PREEMPTION_TIMER,
				  CR0_READ_SHADOW,
				  CR4_READ_SHADOW,
				  GUEST_CR0,
				  GUEST_CR3,
				  GUEST_CR4,
				  GUEST_ES_BASE,
				  GUEST_CS_BASE,
				  GUEST_SS_BASE,
				  GUEST_DS_BASE,
				  GUEST_FS_BASE,
				  GUEST_GS_BASE,
				  GUEST_LDTR_BASE,
				  GUEST_TR_BASE,
				  GUEST_GDTR_BASE,
				  GUEST_IDTR_BASE,
				  GUEST_DR7,
				  GUEST_RSP,
				  GUEST_RIP,
				  GUEST_RFLAGS,
				  GUEST_PENDING_DBG,
				  GUEST_SYSENTER_ESP,
				  GUEST_SYSENTER_EIP,
				  PROC_BASED_CTLS,
				  ENTRY_CTLS,
				  ENTRY_INTR_INFO,
				  ENTRY_EXCEPTION_ERROR_CODE,
				  ENTRY_INSTR_LEN};
/* Present with the APIC virtualization the vCPU uses (struct vcpu_hw says). */
static const uint32_t tpr_fields[] = {TPR_THRESHOLD};
static const uint32_t vintr_fields[] = {GUEST_INTR_STATUS, EOI_EXIT_BITMAP0, EOI_EXIT_BITMAP1,
					EOI_EXIT_BITMAP2, EOI_EXIT_BITMAP3};
static const uint32_t msrs[] = {0xc0000081, 0xc0000082, 0xc0000083,
				0xc0000084, 0xc0000102, 0xc0000103};

struct vmx_snap {
	uint8_t fx[512] __attribute__((aligned(16))); /* FXSAVE image */
	uint64_t f[ARRAY_SIZE(fields)];
	uint64_t tpr[ARRAY_SIZE(tpr_fields)];
	uint64_t vintr[ARRAY_SIZE(vintr_fields)];
	uint64_t msr[ARRAY_SIZE(msrs)];
	uint64_t dr[4], dr6, cr2;
};
static_assert(sizeof(struct vmx_snap) <= CKPT_ARCH_MAX, "fits the checkpoint's arch bytes");

static void fx(struct vmx_snap *s, bool save)
{
	uint64_t cr4 = read_cr4();

	write_cr4(cr4 | CR4_OSFXSR); /* the host runs without it (no SSE code) */
	if (save)
		__asm__ volatile("clts; fxsave64 %0" : "=m"(s->fx));
	else
		__asm__ volatile("clts; fxrstor64 %0" : : "m"(s->fx));
	write_cr4(cr4);
}

static void vmx_ckpt_save(struct vcpu *v, void *buf)
{
	struct vmx_snap *s = buf;

	for (unsigned i = 0; i < ARRAY_SIZE(fields); i++)
		s->f[i] = __vmcs_read(fields[i]);
	for (unsigned i = 0; v->hw.tpr_shadow && i < ARRAY_SIZE(tpr_fields); i++)
		s->tpr[i] = __vmcs_read(tpr_fields[i]);
	for (unsigned i = 0; v->hw.vintr && i < ARRAY_SIZE(vintr_fields); i++)
		s->vintr[i] = __vmcs_read(vintr_fields[i]);
	for (unsigned i = 0; i < ARRAY_SIZE(msrs); i++)
		s->msr[i] = rdmsr(msrs[i]);
	__asm__ volatile("mov %%db0, %0\n\tmov %%db1, %1\n\tmov %%db2, %2\n\tmov %%db3, %3\n\t"
			 "mov %%db6, %4\n\tmov %%cr2, %5"
			 : "=r"(s->dr[0]), "=r"(s->dr[1]), "=r"(s->dr[2]), "=r"(s->dr[3]),
			   "=r"(s->dr6), "=r"(s->cr2));
	fx(s, true);
}

/*
 * The guest's TSC is the host's (TSC offset 0): after a rollback the guest sees time jump
 * forward by how long ago the checkpoint was; the periodic tick starts anew from now.
 */
static void vmx_ckpt_restore(struct vcpu *v, const void *buf)
{
	const struct vmx_snap *s = buf;

	vmcs_load(v->hw.vmcs);
	for (unsigned i = 0; i < ARRAY_SIZE(fields); i++)
		__vmcs_write(fields[i], s->f[i]);
	for (unsigned i = 0; v->hw.tpr_shadow && i < ARRAY_SIZE(tpr_fields); i++)
		__vmcs_write(tpr_fields[i], s->tpr[i]);
	for (unsigned i = 0; v->hw.vintr && i < ARRAY_SIZE(vintr_fields); i++)
		__vmcs_write(vintr_fields[i], s->vintr[i]);
	for (unsigned i = 0; i < ARRAY_SIZE(msrs); i++)
		wrmsr(msrs[i], s->msr[i]);
	__asm__ volatile("mov %0, %%db0\n\tmov %1, %%db1\n\tmov %2, %%db2\n\tmov %3, %%db3\n\t"
			 "mov %4, %%db6\n\tmov %5, %%cr2"
			 :
			 : "r"(s->dr[0]), "r"(s->dr[1]), "r"(s->dr[2]), "r"(s->dr[3]), "r"(s->dr6),
			   "r"(s->cr2));
	fx((struct vmx_snap *)s, false);
	v->hw.tick_due = rdtsc() + ((uint64_t)v->hw.timer_reload << v->hw.timer_rate);
	vmx_invvpid_single(v->hw.vpid); /* the guest's page tables are the checkpoint's */
}

const struct ckpt_arch vmx_ckpt_arch = {.save = vmx_ckpt_save, .restore = vmx_ckpt_restore};
