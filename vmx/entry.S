/*
 * The world switch and the run loop. vmx_enter(regs, launched) saves the
 * host's callee-saved registers, points HOST_RSP at this frame, loads the
 * guest GPRs and enters. On a VM exit the CPU lands at vmx_exit_entry with
 * RSP = HOST_RSP: guest GPRs go to regs[], vmx_exit_dispatch(regs, reason)
 * handles the exit and the guest resumes right away while it returns
 * nonzero; when it returns 0 (the VM stopped), vmx_enter returns 0. A failed
 * VMLAUNCH/VMRESUME returns 1. The HC_NULL_MIN hypercall is answered here:
 * the bare-minimum exit (save, read reason, advance RIP, restore, resume)
 * that the benchmark uses as its reference.
 */
#define HOST_RSP	0x6c14
#define EXIT_REASON	0x4402
#define EXIT_INSTR_LEN	0x440c
#define GUEST_RIP	0x681e
#define EXIT_VMCALL	18
#define HC_NULL_MIN	0xffff
#define EXIT_RESUME	1	/* vmx/exit.h */

#define R_RAX 0
#define R_RCX 8
#define R_RDX 16
#define R_RBX 24
#define R_RBP 40
#define R_RSI 48
#define R_RDI 56
#define R_R8  64
#define R_R9  72
#define R_R10 80
#define R_R11 88
#define R_R12 96
#define R_R13 104
#define R_R14 112
#define R_R15 120

/* The host's callee-saved registers and the regs pointer: vmx_enter's frame. */
.macro HOST_FRAME_PUSH
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	pushq %rdi
.endm

.macro HOST_FRAME_POP
	popq %rdi
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
.endm

	.text
	.globl vmx_enter
vmx_enter:
	HOST_FRAME_PUSH			/* regs on top, found again at vmx_exit_entry */
	movl $HOST_RSP, %eax
	vmwrite %rsp, %rax
	movl %esi, %eax			/* launched? */
	testl %eax, %eax
	jnz resume

	call load_guest_regs
	vmlaunch
	jmp entry_failed
resume:
	call load_guest_regs
	vmresume
entry_failed:				/* nothing of the guest ran */
	HOST_FRAME_POP
	movl $1, %eax
	ret

/* Load guest GPRs from regs (in %rdi); %rdi last. Keeps the flags. */
load_guest_regs:
	movq R_RAX(%rdi), %rax
	movq R_RCX(%rdi), %rcx
	movq R_RDX(%rdi), %rdx
	movq R_RBX(%rdi), %rbx
	movq R_RBP(%rdi), %rbp
	movq R_RSI(%rdi), %rsi
	movq R_R8(%rdi), %r8
	movq R_R9(%rdi), %r9
	movq R_R10(%rdi), %r10
	movq R_R11(%rdi), %r11
	movq R_R12(%rdi), %r12
	movq R_R13(%rdi), %r13
	movq R_R14(%rdi), %r14
	movq R_R15(%rdi), %r15
	movq R_RDI(%rdi), %rdi
	ret

	.globl vmx_exit_entry
vmx_exit_entry:
	pushq %rdi
	movq 8(%rsp), %rdi
	movq %rax, R_RAX(%rdi)
	movq %rcx, R_RCX(%rdi)
	movq %rdx, R_RDX(%rdi)
	movq %rbx, R_RBX(%rdi)
	movq %rbp, R_RBP(%rdi)
	movq %rsi, R_RSI(%rdi)
	movq %r8, R_R8(%rdi)
	movq %r9, R_R9(%rdi)
	movq %r10, R_R10(%rdi)
	movq %r11, R_R11(%rdi)
	movq %r12, R_R12(%rdi)
	movq %r13, R_R13(%rdi)
	movq %r14, R_R14(%rdi)
	movq %r15, R_R15(%rdi)
	popq R_RDI(%rdi)

	/* reference path: VMCALL with RAX = HC_NULL_MIN */
	movl $EXIT_REASON, %eax
	vmread %rax, %rcx
	cmpl $EXIT_VMCALL, %ecx
	jne 3f
	cmpq $HC_NULL_MIN, R_RAX(%rdi)
	jne 3f
	movl $EXIT_INSTR_LEN, %eax
	vmread %rax, %rcx
	movl $GUEST_RIP, %eax
	vmread %rax, %rdx
	addq %rcx, %rdx
	vmwrite %rdx, %rax
	movq R_RCX(%rdi), %rcx
	movq R_RDX(%rdi), %rdx
	movq R_RAX(%rdi), %rax
	movq R_RDI(%rdi), %rdi
	vmresume
	jmp entry_failed

	/*
	 * Every other exit: the C handlers. C keeps RBX RBP R12-R15, so after
	 * EXIT_RESUME they still hold the guest's values (RBX aside: CPUID's);
	 * after EXIT_RESUME_ALL a handler may have written any of regs[].
	 */
3:	movzwl %cx, %esi		/* the basic exit reason */
	call vmx_exit_dispatch		/* (regs, reason): EXIT_STOP or how to resume */
	movq (%rsp), %rdi
	cmpl $EXIT_RESUME, %eax
	jne 5f
	movq R_RBX(%rdi), %rbx
resume_clobbered:			/* the registers C code may change, RDI last */
	movq R_RAX(%rdi), %rax
	movq R_RCX(%rdi), %rcx
	movq R_RDX(%rdi), %rdx
	movq R_RSI(%rdi), %rsi
	movq R_R8(%rdi), %r8
	movq R_R9(%rdi), %r9
	movq R_R10(%rdi), %r10
	movq R_R11(%rdi), %r11
	movq R_RDI(%rdi), %rdi
	vmresume
	jmp entry_failed

5:	testl %eax, %eax		/* EXIT_STOP */
	jz 4f
	movq R_RBX(%rdi), %rbx		/* EXIT_RESUME_ALL */
	movq R_RBP(%rdi), %rbp
	movq R_R12(%rdi), %r12
	movq R_R13(%rdi), %r13
	movq R_R14(%rdi), %r14
	movq R_R15(%rdi), %r15
	jmp resume_clobbered

4:	HOST_FRAME_POP
	xorl %eax, %eax
	ret
