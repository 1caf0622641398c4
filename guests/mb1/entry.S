/*
 * mb1 entry: the Multiboot (v1) header asking for page-aligned modules and memory
 * information, and the 32-bit entry point: a stack, then mb1_main(EAX, EBX).
 */
#define MB1_MAGIC 0x1BADB002
#define MB1_FLAGS 0x00000003 /* bit 0: align modules on pages; bit 1: memory information */

	.section .multiboot, "a"
	.balign 4
	.long MB1_MAGIC
	.long MB1_FLAGS
	.long -(MB1_MAGIC + MB1_FLAGS)

	.text
	.code32
	.globl mb1_start
mb1_start:
	cli
	cld
	mov $stack_top, %esp
	push %ebx
	push %eax
	call mb1_main
1:	hlt
	jmp 1b

	.bss
	.balign 16
	.skip 8192
stack_top:
