/*
 * The guest-visible CPU state that lives outside the VMCS, set to its power-on values
 * (SDM "Processor State Following Power-up, Reset, or INIT") before a VM's vCPU starts and
 * every time it restarts, on the CPU that runs it. The hypervisor itself never uses this
 * state (it is built -mgeneral-regs-only, runs no SYSCALL, no FS/GS, no debug registers),
 * so between two entries of the same vCPU it stays the guest's; the one other thing that
 * could run on the CPU is another VM's vCPU, and static partitioning gives each CPU one
 * vCPU. docs/vmx.md, "CPU state a VM owns", has the list.
 */
#include "arch/x86/cpu.h"
#include "vmx/vcpu.h"

#define MSR_STAR	   0xc0000081
#define MSR_LSTAR	   0xc0000082
#define MSR_CSTAR	   0xc0000083
#define MSR_FMASK	   0xc0000084
#define MSR_KERNEL_GS_BASE 0xc0000102
#define MSR_TSC_AUX	   0xc0000103
#define MXCSR_RESET	   0x1f80
#define DR6_RESET	   0xffff0ff0ULL
#define CR4_OSFXSR	   BIT(9)

/* The MSRs the bitmap lets the guest read and write directly, and that the VMCS does not hold. */
static const uint32_t guest_msrs[] = {MSR_STAR,	 MSR_LSTAR,	     MSR_CSTAR,
				      MSR_FMASK, MSR_KERNEL_GS_BASE, MSR_TSC_AUX};

void vcpu_reset_cpu_state(void)
{
	static const uint32_t mxcsr = MXCSR_RESET;
	uint64_t cr4 = read_cr4();

	for (unsigned i = 0; i < sizeof(guest_msrs) / sizeof(guest_msrs[0]); i++)
		wrmsr(guest_msrs[i], 0);
	__asm__ volatile("mov %0, %%db0\n\t"
			 "mov %0, %%db1\n\t"
			 "mov %0, %%db2\n\t"
			 "mov %0, %%db3\n\t"
			 "mov %1, %%db6\n\t"
			 "mov %0, %%cr2"
			 :
			 : "r"(0ULL), "r"(DR6_RESET));
	/*
	 * x87 to FNINIT's state, every XMM register zero, MXCSR as at reset. The host runs
	 * with CR4.OSFXSR clear (it has no SSE code): set it for these instructions only.
	 */
	write_cr4(cr4 | CR4_OSFXSR);
	__asm__ volatile("clts\n\t"
			 "fninit\n\t"
			 "ldmxcsr %0\n\t"
			 "pxor %%xmm0, %%xmm0\n\tpxor %%xmm1, %%xmm1\n\t"
			 "pxor %%xmm2, %%xmm2\n\tpxor %%xmm3, %%xmm3\n\t"
			 "pxor %%xmm4, %%xmm4\n\tpxor %%xmm5, %%xmm5\n\t"
			 "pxor %%xmm6, %%xmm6\n\tpxor %%xmm7, %%xmm7\n\t"
			 "pxor %%xmm8, %%xmm8\n\tpxor %%xmm9, %%xmm9\n\t"
			 "pxor %%xmm10, %%xmm10\n\tpxor %%xmm11, %%xmm11\n\t"
			 "pxor %%xmm12, %%xmm12\n\tpxor %%xmm13, %%xmm13\n\t"
			 "pxor %%xmm14, %%xmm14\n\tpxor %%xmm15, %%xmm15"
			 :
			 : "m"(mxcsr));
	write_cr4(cr4);
}
