/*
 * Multiboot2 header and 32-bit entry of the test guest: stash the entry TSC, magic and
 * info pointer, zero .bss, identity-map the first GiB with 2 MiB pages, enter long mode
 * and call guest_main(). Entered as the Multiboot2 i386 machine state (docs/abi.md).
 */
#include "guests/testguest/abi.h"

#define SEL_CODE32 0x08
#define SEL_CODE64 0x10
#define SEL_DATA   0x18

#define CR0_PE	   0x00000001
#define CR0_PG	   0x80000000
#define CR4_PAE	   0x00000020
#define MSR_EFER   0xC0000080
#define EFER_LME   0x00000100
#define PDE_2M_RW  0x83 /* present, writable, page size */
#define TABLE_RW   0x03 /* present, writable */

	.section .multiboot2, "a"
	.balign 8
mb2_header:
	.long MB2_HEADER_MAGIC
	.long 0 /* architecture: i386 protected mode */
	.long mb2_header_end - mb2_header
	.long 0x100000000 - (MB2_HEADER_MAGIC + (mb2_header_end - mb2_header))
	.balign 8
	.short 0, 0 /* end tag */
	.long 8
mb2_header_end:

	.section .text.entry, "ax"
	.code32
	.globl _start
_start:
	/* RDTSC clobbers EAX, which holds the magic: one MOV first. */
	mov %eax, %esi
	rdtsc
	mov %eax, boot_tsc
	mov %edx, boot_tsc + 4
	mov %esi, boot_magic
	mov %ebx, boot_mbi

	lgdt gdt_ptr
	ljmp $SEL_CODE32, $1f
1:	mov $SEL_DATA, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %fs
	mov %eax, %gs
	mov %eax, %ss
	mov $stack_top, %esp

	/* Zero .bss, unless a broken loader put the boot information inside it. */
	mov $__bss_start, %edi
	mov $__bss_end, %ecx
	cmp %edi, %ebx
	jb 2f
	cmp %ecx, %ebx
	jae 2f
	movl $1, boot_mbi_in_bss
	jmp 3f
2:	sub %edi, %ecx
	shr $2, %ecx
	xor %eax, %eax
	cld
	rep stosl
3:
	/* The boot tables: pml4[0] -> pdpt, pdpt[0] -> pd, pd[i] = i * 2 MiB. */
	mov $boot_pml4, %edi
	mov $(3 * 1024), %ecx
	xor %eax, %eax
	rep stosl
	movl $(boot_pdpt + TABLE_RW), boot_pml4
	movl $(boot_pd + TABLE_RW), boot_pdpt
	mov $boot_pd, %edi
	mov $PDE_2M_RW, %eax
	mov $512, %ecx
4:	mov %eax, (%edi)
	movl $0, 4(%edi)
	add $0x200000, %eax
	add $8, %edi
	loop 4b

	/* Long mode: CR4.PAE, CR3, EFER.LME, then CR0.PG ("Initializing IA-32e Mode"). */
	mov %cr4, %eax
	or $CR4_PAE, %eax
	mov %eax, %cr4
	mov $boot_pml4, %eax
	mov %eax, %cr3
	mov $MSR_EFER, %ecx
	rdmsr
	or $EFER_LME, %eax
	wrmsr
	mov %cr0, %eax
	or $(CR0_PG | CR0_PE), %eax
	mov %eax, %cr0
	ljmp $SEL_CODE64, $long_entry

	.code64
long_entry:
	mov $SEL_DATA, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	mov $stack_top, %rsp
	xor %ebp, %ebp
	call guest_main
5:	cli
	hlt
	jmp 5b

	.data
	.balign 8
	.globl boot_tsc, boot_magic, boot_mbi, boot_mbi_in_bss
boot_tsc:	.quad 0
boot_magic:	.long 0
boot_mbi:	.long 0
boot_mbi_in_bss: .long 0

	.balign 16
	.globl gdt, gdt_limit /* the APs load it too (smp_boot.S) */
gdt:
	.quad 0
	.quad 0x00CF9B000000FFFF /* 0x08: code, 32-bit, flat, accessed */
	.quad 0x00AF9B000000FFFF /* 0x10: code, 64-bit */
	.quad 0x00CF93000000FFFF /* 0x18: data, flat, accessed */
	.quad 0 /* 0x20, 0x28: code segments the mmio_extra scenario builds (mmio_extra.c) */
	.quad 0
gdt_end:
	.set gdt_limit, gdt_end - gdt - 1
	.balign 8
	.word 0, 0, 0
gdt_ptr:
	.word gdt_end - gdt - 1
	.quad gdt

	.section .bss.pagetables, "aw", @nobits
	.balign 4096
	.globl boot_pml4
boot_pml4:	.skip 4096
boot_pdpt:	.skip 4096
boot_pd:	.skip 4096

	.bss
	.balign 16
stack:		.skip 16384
	.globl stack_top
stack_top:
