/*
 * The world switch and the run loop. vmx_enter(regs, launched) saves the
 * host's callee-saved registers, points HOST_RSP at this frame, loads the
 * guest GPRs and enters. On a VM exit the CPU lands at vmx_exit_entry with
 * RSP = HOST_RSP: guest GPRs go to regs[], the hot exits (VMCALL, CPUID, I/O,
 * the EPT exits) call their handlers directly and every other one goes
 * through vmx_exit_dispatch(regs, reason); the guest resumes right away while
 * nothing stops the vCPU; otherwise (the VM stopped, an INIT) vmx_enter
 * returns 0. A failed VMLAUNCH/VMRESUME returns 1. The HC_NULL_MIN hypercall
 * is answered here: the bare-minimum exit (save, read reason, advance RIP,
 * restore, resume) that the benchmark uses as its reference.
 */
#define HOST_RSP	0x6c14
#define EXIT_REASON	0x4402
#define EXIT_INSTR_LEN	0x440c
#define GUEST_RIP	0x681e
#define EXIT_CPUID	10	/* vmx/exit.h */
#define EXIT_IO		30
#define EXIT_EPT_VIOLATION 48
#define EXIT_EPT_MISCONFIG 49
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

/*
 * A hot exit (the basic exit reason in %esi): if it is \reason, \handler(regs)
 * handles it, the vCPU being the register file's owner, and returns its pending
 * work; with none, the guest resumes at \resume (the registers C may clobber,
 * RBX too for resume_rbx).
 */
.macro HOT_EXIT reason, handler, resume
	cmpl $\reason, %esi
	jne 1f
	call \handler
	movq (%rsp), %rdi
	testl %eax, %eax
	jz \resume
	jmp hot_pending
1:
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

	movl $EXIT_REASON, %eax
	vmread %rax, %rcx		/* RCX: the reference path restores it */

	/*
	 * The hot exits go straight to their handlers (vmx/exit_insn.c, exit.c), which
	 * count the exit and return the vCPU's pending work (vm->state | v->work, 0:
	 * none). VMCALL, CPUID and I/O write no guest GPR but RAX RBX RCX RDX (RBX:
	 * not I/O), so with nothing pending only those and the registers C may
	 * clobber are reloaded; the EPT exits (MMIO emulation) may write any GPR.
	 * VMCALL is tested first, on the basic reason (bits 15:0, as every test here),
	 * with the bare-minimum reference path inside it. The rest go through
	 * vmx_exit_dispatch and its table (vmx/exit.c).
	 */
	cmpw $EXIT_VMCALL, %cx
	jne 2f
	cmpq $HC_NULL_MIN, R_RAX(%rdi)
	je null_min
	call vmx_exit_vmcall
	movq (%rsp), %rdi
	testl %eax, %eax
	jz resume_rbx			/* a hypercall may answer in RBX too */
	jmp hot_pending
2:	movzwl %cx, %esi		/* the basic exit reason */
	HOT_EXIT EXIT_CPUID, vmx_exit_cpuid, resume_rbx
	HOT_EXIT EXIT_IO, vmx_exit_io, resume_light
	HOT_EXIT EXIT_EPT_MISCONFIG, vmx_exit_ept_misconfig, resume_all
	HOT_EXIT EXIT_EPT_VIOLATION, vmx_exit_ept_violation, resume_all

	/*
	 * Every other exit: the C handlers. C keeps RBX RBP R12-R15, so after
	 * EXIT_RESUME they still hold the guest's values (RBX aside: CPUID's);
	 * after EXIT_RESUME_ALL a handler may have written any of regs[].
	 */
	call vmx_exit_dispatch		/* (regs, reason): EXIT_STOP or how to resume */
resume_by_code:
	movq (%rsp), %rdi
	cmpl $EXIT_RESUME, %eax
	jne 5f
resume_rbx:
	movq R_RBX(%rdi), %rbx
resume_light:				/* the registers C code may change, RDI last */
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
	jmp resume_failed

5:	testl %eax, %eax		/* EXIT_STOP */
	jz 4f
resume_all:				/* EXIT_RESUME_ALL */
	movq R_RBP(%rdi), %rbp
	movq R_R12(%rdi), %r12
	movq R_R13(%rdi), %r13
	movq R_R14(%rdi), %r14
	movq R_R15(%rdi), %r15
	jmp resume_rbx

4:	HOST_FRAME_POP
	xorl %eax, %eax
	ret

	/* A hot exit found work pending or the VM no longer running: the C slow path. */
hot_pending:
	call vmx_exit_pending		/* (regs): EXIT_STOP or EXIT_RESUME_ALL */
	jmp resume_by_code

	/*
	 * The bare-minimum exit, the benchmark's reference: save, read the reason,
	 * two tests, advance RIP, restore what it used, resume.
	 */
null_min:
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
	/* fall through */

	/* VMRESUME after an exit failed: the VMCS is launched; vmx_enter returns 1. */
resume_failed:
	movq (%rsp), %rdi
	call vmx_exit_resume_failed
	jmp entry_failed
