/*
 * Exception entry stubs for vectors 0-31: push a zero error code where the CPU pushes none,
 * push the vector, save the general registers as struct trap_frame and call trap_handler().
 * trap_handler() may change frame->rip (fix-ups) before we return with IRETQ.
 * Interrupt stubs (vectors 32-255): the doorbell and everything else only count and return;
 * they touch no register (a locked increment in memory, flags restored by IRETQ).
 * irq_stubs: one 16-byte stub per vector 32-255 that takes the trap_handler() path too
 * (the platform scenarios install them with irq_set(), pc.c).
 */
	.text
	.code64

	.macro stub n
isr_\n:
	.if (\n == 8) || (\n == 10) || (\n == 11) || (\n == 12) || (\n == 13) || (\n == 14) || (\n == 17) || (\n == 21) || (\n == 29) || (\n == 30)
	.else
	pushq $0
	.endif
	pushq $\n
	jmp isr_common
	.endm

	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	stub \n
	.endr

isr_common:
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	mov %rsp, %rdi
	cld
	call trap_handler
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	add $16, %rsp
	iretq

	/* 16 bytes each: pushq $0 (2), pushq $imm32 (5), jmp rel32 (5), padding */
	.balign 16
	.globl irq_stubs
irq_stubs:
	.set vec, 32
	.rept 224
	.balign 16
	pushq $0
	.byte 0x68
	.long vec
	jmp isr_common
	.set vec, vec + 1
	.endr

	.globl doorbell_isr, stray_isr
doorbell_isr:
	lock incq doorbell_count(%rip)
	iretq

stray_isr:
	lock incq stray_irq_count(%rip)
	iretq

	.section .rodata
	.balign 8
	.globl isr_stubs
isr_stubs:
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad isr_\n
	.endr
