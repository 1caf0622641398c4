/*
 * 32-bit entry from GRUB (EAX = multiboot2 magic, EBX = info, paging off) to
 * 64-bit C. Builds a boot identity map of the first 4 GiB with 2 MiB pages;
 * mm_direct_map() replaces it with the full map later. Owns no state after.
 */
#define CR0_PE		(1 << 0)
#define CR0_PG		(1 << 31)
#define CR4_PAE		(1 << 5)
#define MSR_EFER	0xc0000080
#define EFER_LME	(1 << 8)
#define EFER_NXE	(1 << 11)
#define PTE_P		(1 << 0)
#define PTE_W		(1 << 1)
#define PTE_PS		(1 << 7)
#define BOOT_STACK_SIZE	16384

	.section .text.entry, "ax"
	.code32
	.globl _start
_start:
	movl %eax, %esi
	movl %ebx, %edi
	/* The first thing measured: Bochs's TSC counts instructions exactly. */
	rdtsc
	movl %eax, boot_tsc
	movl %edx, boot_tsc + 4
	movl $boot_stack_top, %esp

	/* PML4[0] -> PDPT; PDPT[0..3] -> 4 page directories of 2 MiB pages */
	movl $boot_pdpt, %eax
	orl $(PTE_P | PTE_W), %eax
	movl %eax, boot_pml4
	xorl %ecx, %ecx
1:	movl %ecx, %eax
	shll $12, %eax
	addl $boot_pd, %eax
	orl $(PTE_P | PTE_W), %eax
	movl %eax, boot_pdpt(, %ecx, 8)
	incl %ecx
	cmpl $4, %ecx
	jne 1b
	xorl %ecx, %ecx
2:	movl %ecx, %eax
	shll $21, %eax
	orl $(PTE_P | PTE_W | PTE_PS), %eax
	movl %eax, boot_pd(, %ecx, 8)
	movl %ecx, %eax
	shrl $11, %eax
	movl %eax, boot_pd + 4(, %ecx, 8)
	incl %ecx
	cmpl $2048, %ecx
	jne 2b

	movl %cr4, %eax
	orl $CR4_PAE, %eax
	movl %eax, %cr4
	movl $boot_pml4, %eax
	movl %eax, %cr3
	movl $MSR_EFER, %ecx
	rdmsr
	orl $EFER_LME, %eax
	movl %eax, %edx
	/* NXE only if CPUID.80000001H:EDX[20] says so */
	movl $0x80000001, %eax
	pushl %edx
	cpuid
	movl %edx, %ebx
	popl %eax
	testl $(1 << 20), %ebx
	jz 3f
	orl $EFER_NXE, %eax
3:	xorl %edx, %edx
	movl $MSR_EFER, %ecx
	wrmsr
	movl %cr0, %eax
	orl $(CR0_PE | CR0_PG), %eax
	movl %eax, %cr0

	lgdt boot_gdt_desc
	ljmp $0x08, $long_entry

	.code64
long_entry:
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	xorw %ax, %ax
	movw %ax, %fs
	movw %ax, %gs
	movq $boot_stack_top, %rsp
	movl %esi, %esi		/* upper halves are undefined after the switch */
	movl %edi, %edi
	/* clear .bss; the boot page tables and stack live in .bss.boot */
	pushq %rsi
	pushq %rdi
	movq $__bss_start, %rdi
	movq $__bss_end, %rcx
	subq %rdi, %rcx
	xorl %eax, %eax
	rep stosb
	popq %rsi		/* info */
	popq %rdi		/* magic */
	xorl %ebp, %ebp
	call hv_main
4:	cli
	hlt
	jmp 4b

	.section .rodata
	.balign 8
boot_gdt:
	.quad 0
	.quad 0x00af9a000000ffff	/* 0x08: 64-bit code */
	.quad 0x00cf92000000ffff	/* 0x10: data */
boot_gdt_end:
boot_gdt_desc:
	.short boot_gdt_end - boot_gdt - 1
	.long boot_gdt

	.data
	.balign 8
	.globl boot_tsc
boot_tsc:
	.quad 0

	.section .bootbss, "aw", @nobits
	.balign 4096
	.globl boot_pml4
boot_pml4:	.skip 4096
boot_pdpt:	.skip 4096
boot_pd:	.skip 4 * 4096
	.balign 16
	.globl boot_stack_top
boot_stack:	.skip BOOT_STACK_SIZE
boot_stack_top:
