/*
 * AP start-up code of the SMP scenarios and their counting interrupt stubs.
 * smp_tramp_start..smp_tramp_end is real-mode code that smp.c copies to the SIPI page
 * (below 1 MiB, CS = vector << 8, IP = 0): it reads the TSC first (the start-up
 * benchmark), loads the image's GDT, enters protected mode and jumps into the image;
 * there the AP enables PAE, loads the BSP's CR3, sets EFER.LME and CR0.PG (clearing the
 * CD and NW bits INIT left set), takes a stack by its arrival number and calls
 * smp_ap_main(arrival). SDM "Multiple-Processor (MP) Initialization", "Initializing
 * IA-32e Mode". The TSC slot in the page serves one AP at a time: the BSP starts them in
 * turn.
 */
#define SEL_CODE32 0x08 /* entry.S's GDT */
#define SEL_CODE64 0x10
#define SEL_DATA   0x18

#define CR0_PE	 0x00000001
#define CR0_NW	 0x20000000
#define CR0_CD	 0x40000000
#define CR0_PG	 0x80000000
#define CR4_PAE	 0x00000020
#define MSR_EFER 0xC0000080
#define EFER_LME 0x00000100

#define SMP_AP_STACKS	  16 /* twice SMP_MAX_CPUS: an AP started twice by mistake gets a new one */
#define SMP_AP_STACK_SIZE 16384
#define SMP_VEC_FIRST	  0x60
#define SMP_NR_VECS	  16

#define OFF(sym) ((sym) - smp_tramp_start)

	.section .rodata
	.code16
	.balign 16
	.globl smp_tramp_start, smp_tramp_end, smp_tramp_tsc
smp_tramp_start:
	rdtsc
	movl %eax, %cs:OFF(smp_tramp_tsc)
	movl %edx, %cs:OFF(smp_tramp_tsc) + 4
	cli
	cld
	movw %cs, %ax
	movw %ax, %ds
	lgdtl OFF(tramp_gdt_desc)
	movl %cr0, %eax
	orl $CR0_PE, %eax
	movl %eax, %cr0
	ljmpl $SEL_CODE32, $smp_ap_entry32

	.balign 8
smp_tramp_tsc:
	.quad 0
tramp_gdt_desc:
	.word gdt_limit
	.long gdt
smp_tramp_end:

	.text
	.code32
smp_ap_entry32:
	mov $SEL_DATA, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %fs
	mov %eax, %gs
	mov %eax, %ss
	mov %cr4, %eax
	or $CR4_PAE, %eax
	mov %eax, %cr4
	mov smp_ap_cr3, %eax
	mov %eax, %cr3
	mov $MSR_EFER, %ecx
	rdmsr
	or $EFER_LME, %eax
	wrmsr
	mov %cr0, %eax
	and $~(CR0_CD | CR0_NW), %eax
	or $(CR0_PG | CR0_PE), %eax
	mov %eax, %cr0
	ljmp $SEL_CODE64, $smp_ap_entry64

	.code64
smp_ap_entry64:
	mov $SEL_DATA, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	mov $1, %eax
	lock xadd %eax, smp_ap_arrivals(%rip)
	cmp $SMP_AP_STACKS, %eax
	jae 2f
	mov %eax, %edi
	inc %eax
	shl $14, %rax /* SMP_AP_STACK_SIZE */
	lea smp_ap_stacks(%rip), %rsp
	add %rax, %rsp
	xor %ebp, %ebp
	call smp_ap_main
2:	cli
	hlt
	jmp 2b

/*
 * One 16-byte stub per vector SMP_VEC_FIRST..+SMP_NR_VECS: smp_irq(vector) with the
 * caller-saved registers kept. Nine pushes after the CPU's five keep RSP 16-aligned at
 * the call.
 */
	.balign 16
	.globl smp_irq_stubs
smp_irq_stubs:
	.set vec, SMP_VEC_FIRST
	.rept SMP_NR_VECS
	.balign 16
	pushq %rdi
	movl $vec, %edi
	jmp smp_irq_common
	.set vec, vec + 1
	.endr

smp_irq_common:
	pushq %rax
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	cld
	call smp_irq
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rax
	popq %rdi
	iretq

	.data
	.balign 4
	.globl smp_ap_cr3, smp_ap_arrivals
smp_ap_cr3:	.long 0
smp_ap_arrivals: .long 0

	.bss
	.balign 16
smp_ap_stacks:	.skip SMP_AP_STACKS * SMP_AP_STACK_SIZE
