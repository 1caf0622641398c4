/*
 * MMIO instruction emulator: applies one decoded instruction (emul/decode.h) whose memory
 * operand hit an emulated device, through callbacks the VMX exit path (or a test) provides.
 * Pure and host-buildable: all guest state lives in struct emul_ctx.
 */
#ifndef EMUL_EMULATE_H
#define EMUL_EMULATE_H

#include "lib/types.h"
#include "emul/decode.h"

/* RFLAGS bits the emulator reads or writes (SDM "EFLAGS Register"). */
#define RFLAGS_CF    BIT(0)
#define RFLAGS_PF    BIT(2)
#define RFLAGS_AF    BIT(4)
#define RFLAGS_ZF    BIT(6)
#define RFLAGS_SF    BIT(7)
#define RFLAGS_DF    BIT(10)
#define RFLAGS_OF    BIT(11)
#define RFLAGS_ARITH (RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF)

/* Register indices in encoding order (struct emul_ctx.regs). */
enum emul_reg {
	EMUL_RAX,
	EMUL_RCX,
	EMUL_RDX,
	EMUL_RBX,
	EMUL_RSP,
	EMUL_RBP,
	EMUL_RSI,
	EMUL_RDI,
	EMUL_R8,
	EMUL_R9,
	EMUL_R10,
	EMUL_R11,
	EMUL_R12,
	EMUL_R13,
	EMUL_R14,
	EMUL_R15,
};

struct emul_ctx {
	uint64_t *regs; /* the caller's 16 GPRs, enum emul_reg order, RSP synced with the VMCS */
	uint64_t rip;
	uint64_t rflags;
	uint64_t seg_base[6]; /* by enum insn_seg; MOVS only; in 64-bit mode only FS/GS count */
	void *opaque;	      /* passed back to every callback */

	/* Device access at @gpa, @width bytes (1, 2, 4, 8), little-endian value. Required. */
	int (*mmio_read)(void *opaque, uint64_t gpa, unsigned width, uint64_t *val);
	int (*mmio_write)(void *opaque, uint64_t gpa, unsigned width, uint64_t val);

	/*
	 * MOVS only (may be NULL otherwise): translate a linear address through the guest's page
	 * tables (gwalk on the VMX side; on failure it returns -errno and records the fault to
	 * inject), and access guest RAM, or any other region the VMX side routes, by gpa.
	 */
	int (*translate)(void *opaque, uint64_t gva, bool write, uint64_t *gpa);
	int (*mem_read)(void *opaque, uint64_t gpa, void *buf, unsigned len);
	int (*mem_write)(void *opaque, uint64_t gpa, const void *buf, unsigned len);
};

/*
 * Perform @in, whose memory operand the CPU accessed at guest-physical @gpa (the EPT
 * violation's address; for BT/BTS/BTR/BTC with a register bit offset that is already the
 * displaced address), then advance ctx->rip by in->length.
 *
 * Loads zero- or sign-extend per opcode; a 32-bit register write clears bits 63:32, 8- and
 * 16-bit writes merge. ALU forms update CF PF AF ZF SF OF like the CPU (AF cleared by the
 * logical ops, where the SDM leaves it undefined); BT* change only CF. Read-modify-write forms
 * make two device accesses (read, then write) and are not atomic against other vCPUs.
 *
 * STOS/MOVS run ONE iteration per call: with REP (F3 or F2, which the CPU treats alike here)
 * rCX is decremented and rip is left in place until rCX reaches 0, so the guest re-executes
 * the instruction and traps again on the next device access. REP with rCX == 0 only
 * advances rip. rSI/rDI/rCX are updated at the address size (32-bit writes zero-extend).
 *
 * Returns 0, or -errno from a callback / -EINVAL for an op it cannot apply (e.g. MOVS whose
 * neither side translates to @gpa); on error rip and registers are left unchanged.
 * @pre in came from decode_insn() == 0; ctx callbacks set as documented above.
 */
int emul_mmio(struct emul_ctx *ctx, const struct insn *in, uint64_t gpa);

#endif
