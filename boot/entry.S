/*
 * 32-bit entry from GRUB (EAX = multiboot2 magic, EBX = info, paging off) to
 * 64-bit C. The image is position-independent (linked at LINK_BASE, loaded
 * wherever GRUB put it, see the relocatable tag in boot/header.S): this code
 * finds its own address, builds a boot identity map of the first 4 GiB with
 * 2 MiB pages, applies the image's R_X86_64_RELATIVE relocations, clears .bss
 * and calls hv_main. mm_direct_map() replaces the map later. No state after.
 * It references symbols only relative to itself, never by absolute address.
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
#define R_X86_64_RELATIVE 8
#define LINK_BASE	0x200000	/* linker.ld's first address */
/* @sym's distance from here: with %ebp = where here runs, OFF(sym)(%ebp) is sym. */
#define OFF(sym)	((sym) - here)

	.section .text.entry, "ax"
	.code32
	.globl _start
_start:
	movl %eax, %esi
	movl %ebx, %edi
	/*
	 * GRUB gives no stack. The one word the call below pushes lands on the info's
	 * reserved field (offset 4), which nothing reads: then %ebp = where we run.
	 */
	leal 8(%ebx), %esp
	call here
here:	popl %ebp
	/* The first thing measured: Bochs's TSC counts instructions exactly. */
	rdtsc
	movl %eax, OFF(boot_tsc)(%ebp)
	movl %edx, OFF(boot_tsc + 4)(%ebp)
	leal OFF(boot_stack_top)(%ebp), %esp

	/* PML4[0] -> PDPT; PDPT[0..3] -> 4 page directories of 2 MiB pages */
	leal OFF(boot_pdpt)(%ebp), %eax
	orl $(PTE_P | PTE_W), %eax
	movl %eax, OFF(boot_pml4)(%ebp)
	leal OFF(boot_pd)(%ebp), %ebx
	xorl %ecx, %ecx
1:	movl %ecx, %eax
	shll $12, %eax
	addl %ebx, %eax
	orl $(PTE_P | PTE_W), %eax
	movl %eax, OFF(boot_pdpt)(%ebp, %ecx, 8)
	incl %ecx
	cmpl $4, %ecx
	jne 1b
	xorl %ecx, %ecx
2:	movl %ecx, %eax
	shll $21, %eax
	orl $(PTE_P | PTE_W | PTE_PS), %eax
	movl %eax, OFF(boot_pd)(%ebp, %ecx, 8)
	movl %ecx, %eax
	shrl $11, %eax
	movl %eax, OFF(boot_pd + 4)(%ebp, %ecx, 8)
	incl %ecx
	cmpl $2048, %ecx
	jne 2b

	movl %cr4, %eax
	orl $CR4_PAE, %eax
	movl %eax, %cr4
	leal OFF(boot_pml4)(%ebp), %eax
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

	/* the GDT's base where it is; then a far return into 64-bit code */
	leal OFF(boot_gdt)(%ebp), %eax
	movl %eax, OFF(boot_gdt_desc + 2)(%ebp)
	lgdt OFF(boot_gdt_desc)(%ebp)
	leal OFF(long_entry)(%ebp), %eax
	pushl $0x08
	pushl %eax
	lret

	.code64
long_entry:
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	xorw %ax, %ax
	movw %ax, %fs
	movw %ax, %gs
	leaq boot_stack_top(%rip), %rsp
	movl %esi, %esi		/* upper halves are undefined after the switch */
	movl %edi, %edi
	pushq %rsi
	pushq %rdi
	call relocate
	/* clear .bss; the boot page tables and stack live in .bss.boot */
	leaq __bss_start(%rip), %rdi
	leaq __bss_end(%rip), %rcx
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

/*
 * Add the load offset (where we run - LINK_BASE) at every R_X86_64_RELATIVE
 * relocation: *(offset + r_offset) = offset + r_addend (System V x86-64 psABI,
 * "Relocation Types"). Any other type is a broken link: halt, as nothing can
 * be printed yet (the console's tables are among what gets relocated).
 */
relocate:
	leaq __image_start(%rip), %rdx
	subq $LINK_BASE, %rdx
	leaq __rela_start(%rip), %rsi
	leaq __rela_end(%rip), %rcx
5:	cmpq %rcx, %rsi
	jae 6f
	cmpl $R_X86_64_RELATIVE, 8(%rsi)
	jne 7f
	movq (%rsi), %rax
	movq 16(%rsi), %r8
	addq %rdx, %r8
	movq %r8, (%rdx, %rax)
	addq $24, %rsi
	jmp 5b
6:	ret
7:	cli
	hlt
	jmp 7b

	.data
	.balign 8
boot_gdt:
	.quad 0
	.quad 0x00af9a000000ffff	/* 0x08: 64-bit code */
	.quad 0x00cf92000000ffff	/* 0x10: data */
boot_gdt_end:
boot_gdt_desc:
	.short boot_gdt_end - boot_gdt - 1
	.long 0			/* the base, filled in at _start */

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
