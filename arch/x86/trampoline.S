/*
 * AP start-up: real-mode code that smp.c copies to SMP_TRAMPOLINE (below 1 MiB) and
 * points each AP at with a SIPI. 16-bit -> 32-bit -> 64-bit on the boot page tables
 * (boot_pml4: identity map of the first 4 GiB, inside the image, so below 4 GiB),
 * then ap_entry64 in the image loads the hypervisor's CR0/CR3/CR4, its stack, and
 * calls ap_main(cpu). One AP at a time: smp.c fills the smp_ap_* variables first.
 * The image is position-independent: the two addresses the 32-bit part needs in the
 * image (boot_pml4, ap_entry64) are filled into the copy by smp.c (tramp_cr3,
 * tramp_entry); everything else is relative to the copy or to RIP.
 * SDM "Multiple-Processor (MP) Initialization", "Initializing IA-32e Mode".
 */
#include "arch/x86/smp.h"

#define CR0_PE		(1 << 0)
#define CR0_NW		(1 << 29)
#define CR0_CD		(1 << 30)
#define CR0_PG		(1 << 31)
#define CR4_PAE		(1 << 5)
#define MSR_EFER	0xc0000080
#define EFER_LME	(1 << 8)
#define EFER_NXE	(1 << 11)
#define SEL_CODE64	0x08
#define SEL_DATA	0x10
#define SEL_CODE32	0x18
/* an address in the copy at SMP_TRAMPOLINE */
#define LOW(sym)	(SMP_TRAMPOLINE + (sym) - trampoline_start)

	.section .rodata
	.code16
	.balign 16
	.globl trampoline_start
trampoline_start:
	cli
	cld
	movw %cs, %ax
	movw %ax, %ds
	movb $1, tramp_alive - trampoline_start	/* tells the BSP a second SIPI is not needed */
	lgdtl tramp_gdt_desc - trampoline_start
	movl %cr0, %eax
	orl $CR0_PE, %eax
	movl %eax, %cr0
	ljmpl $SEL_CODE32, $LOW(tramp_32)

	.code32
tramp_32:
	movw $SEL_DATA, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movl %cr4, %eax
	orl $CR4_PAE, %eax
	movl %eax, %cr4
	movl LOW(tramp_cr3), %eax
	movl %eax, %cr3
	/* EFER.LME, and NXE when CPUID.80000001H:EDX[20] has it (as boot/entry.S) */
	movl $0x80000001, %eax
	cpuid
	movl %edx, %ebx
	movl $MSR_EFER, %ecx
	rdmsr
	orl $EFER_LME, %eax
	testl $(1 << 20), %ebx
	jz 1f
	orl $EFER_NXE, %eax
1:	wrmsr
	/* INIT left the caches disabled (CD, NW): enable them with paging */
	movl %cr0, %eax
	andl $~(CR0_CD | CR0_NW), %eax
	orl $(CR0_PE | CR0_PG), %eax
	movl %eax, %cr0
	ljmpl *LOW(tramp_entry)

	.balign 8
tramp_gdt:
	.quad 0
	.quad 0x00af9a000000ffff	/* 0x08: 64-bit code */
	.quad 0x00cf92000000ffff	/* 0x10: data */
	.quad 0x00cf9a000000ffff	/* 0x18: 32-bit code */
tramp_gdt_end:
tramp_gdt_desc:
	.short tramp_gdt_end - tramp_gdt - 1
	.long LOW(tramp_gdt)
	.globl tramp_alive
tramp_alive:
	.byte 0
	.balign 4
	.globl tramp_cr3, tramp_entry
tramp_cr3:
	.long 0			/* boot_pml4 */
tramp_entry:
	.long 0			/* ap_entry64 */
	.short SEL_CODE64
	.globl trampoline_end
trampoline_end:

	.text
	.code64
	.globl ap_entry64
ap_entry64:
	movw $SEL_DATA, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	xorl %eax, %eax
	movw %ax, %fs
	movw %ax, %gs
	movq smp_ap_cr3(%rip), %rax
	movq %rax, %cr3
	movq smp_ap_cr4(%rip), %rax
	movq %rax, %cr4
	movq smp_ap_cr0(%rip), %rax
	movq %rax, %cr0
	movq smp_ap_stack(%rip), %rsp
	movl smp_ap_cpu(%rip), %edi
	xorl %ebp, %ebp
	call ap_main
2:	cli
	hlt
	jmp 2b
