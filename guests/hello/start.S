/* The 32-bit entry both headers share (included by entry.S and entry_mb2.S). */
	.text
	.code32
	.globl hello_start
hello_start:
	cli
	cld
	mov $stack_top, %esp
	push %ebx
	push %eax
	call hello_main
1:	hlt
	jmp 1b

	.bss
	.balign 16
	.skip 4096
stack_top:
