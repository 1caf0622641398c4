/*
 * MMIO instruction emulator (see emul/emulate.h): register file rules, arithmetic flags and
 * one string iteration per call. Invariant: guest registers and rip change only after every
 * callback of the instruction succeeded. Called from the VMX EPT-violation path and host tests.
 */
#include "emul/emulate.h"
#include "lib/errno.h"

static uint64_t width_mask(unsigned width)
{
	return width >= 8 ? ~0ULL : BIT(8 * width) - 1;
}

static uint64_t sign_extend(uint64_t v, unsigned width)
{
	unsigned sh = 64 - 8 * width;
	return (uint64_t)((int64_t)(v << sh) >> sh);
}

/* Register operand value, AH..BH included. */
static uint64_t reg_read(const struct emul_ctx *ctx, const struct insn *in, unsigned width)
{
	uint64_t v = ctx->regs[in->reg];
	if (in->flags & INSN_REG_HIGH8)
		v >>= 8;
	return v & width_mask(width);
}

/*
 * Register write with the architectural merge rules (SDM "General-Purpose Registers in
 * 64-Bit Mode"): 8/16-bit writes keep the other bits, 32-bit writes zero bits 63:32.
 */
static void reg_write(uint64_t *r, bool high8, unsigned width, uint64_t v)
{
	if (high8)
		*r = (*r & ~0xff00ULL) | ((v & 0xff) << 8);
	else if (width >= 4)
		*r = v & width_mask(width);
	else
		*r = (*r & ~width_mask(width)) | (v & width_mask(width));
}

static void set_reg_operand(struct emul_ctx *ctx, const struct insn *in, uint64_t v)
{
	reg_write(&ctx->regs[in->reg], in->flags & INSN_REG_HIGH8, in->reg_width, v);
}

static bool parity_even(uint64_t v)
{
	v &= 0xff;
	v ^= v >> 4;
	v ^= v >> 2;
	v ^= v >> 1;
	return !(v & 1);
}

/* ZF, SF, PF of a result; CF/OF/AF computed by the caller. */
static uint64_t result_flags(uint64_t res, unsigned width)
{
	uint64_t f = 0;
	if ((res & width_mask(width)) == 0)
		f |= RFLAGS_ZF;
	if (res & BIT(8 * width - 1))
		f |= RFLAGS_SF;
	if (parity_even(res))
		f |= RFLAGS_PF;
	return f;
}

static uint64_t flag_if(bool c, uint64_t flag)
{
	return c ? flag : 0;
}

/*
 * a OP b at @width, the ALU ops of enum emul_op; *rflags gets the arithmetic flags.
 * Carry/borrow and overflow come from the sign bits of the operands and the result, which
 * also covers the carry-in of ADC/SBB.
 */
static uint64_t alu(unsigned op, uint64_t a, uint64_t b, unsigned width, uint64_t *rflags)
{
	uint64_t m = width_mask(width), top = BIT(8 * width - 1), cin = *rflags & RFLAGS_CF;
	uint64_t res, f;

	a &= m;
	b &= m;
	switch (op) {
	case EMUL_ADD:
	case EMUL_ADC:
		res = (a + b + (op == EMUL_ADC ? cin : 0)) & m;
		f = flag_if(((a & b) | ((a | b) & ~res)) & top, RFLAGS_CF) |
		    flag_if((a ^ res) & (b ^ res) & top, RFLAGS_OF) |
		    flag_if((a ^ b ^ res) & 0x10, RFLAGS_AF);
		break;
	case EMUL_SUB:
	case EMUL_SBB:
	case EMUL_CMP:
		res = (a - b - (op == EMUL_SBB ? cin : 0)) & m;
		f = flag_if(((~a & b) | ((~a | b) & res)) & top, RFLAGS_CF) |
		    flag_if((a ^ b) & (a ^ res) & top, RFLAGS_OF) |
		    flag_if((a ^ b ^ res) & 0x10, RFLAGS_AF);
		break;
	case EMUL_OR:
		res = a | b;
		f = 0;
		break;
	case EMUL_XOR:
		res = a ^ b;
		f = 0;
		break;
	default: /* AND, TEST */
		res = a & b;
		f = 0;
		break;
	}
	*rflags = (*rflags & ~RFLAGS_ARITH) | f | result_flags(res, width);
	return res;
}

static bool is_alu(unsigned op)
{
	return op >= EMUL_ADD && op <= EMUL_TEST;
}

/* The non-memory operand: immediate or register. */
static inline uint64_t source_operand(const struct emul_ctx *ctx, const struct insn *in)
{
	if (in->flags & INSN_HAS_IMM)
		return (uint64_t)in->imm & width_mask(in->width);
	return reg_read(ctx, in, in->reg_width);
}

static int emul_alu(struct emul_ctx *ctx, const struct insn *in, uint64_t gpa)
{
	uint64_t mem, res, fl = ctx->rflags;
	bool writes = in->op != EMUL_CMP && in->op != EMUL_TEST;
	int rc = ctx->mmio_read(ctx->opaque, gpa, in->width, &mem);

	if (rc)
		return rc;
	if (!(in->flags & INSN_MEM_DST)) { /* reg = reg OP mem */
		res = alu(in->op, reg_read(ctx, in, in->width), mem, in->width, &fl);
		if (writes)
			set_reg_operand(ctx, in, res);
	} else {
		res = alu(in->op, mem, source_operand(ctx, in), in->width, &fl);
		if (writes && (rc = ctx->mmio_write(ctx->opaque, gpa, in->width, res)))
			return rc;
	}
	ctx->rflags = fl;
	return 0;
}

/* BT BTS BTR BTC: the bit offset is taken modulo the operand width (SDM "BT"). */
static int emul_bt(struct emul_ctx *ctx, const struct insn *in, uint64_t gpa)
{
	unsigned bit = (unsigned)(source_operand(ctx, in) & (8u * in->width - 1));
	uint64_t v, mask = BIT(bit);
	int rc = ctx->mmio_read(ctx->opaque, gpa, in->width, &v);

	if (rc)
		return rc;
	bool old = v & mask;
	if (in->op != EMUL_BT) {
		v = in->op == EMUL_BTS ? v | mask : in->op == EMUL_BTR ? v & ~mask : v ^ mask;
		rc = ctx->mmio_write(ctx->opaque, gpa, in->width, v);
		if (rc)
			return rc;
	}
	ctx->rflags = (ctx->rflags & ~RFLAGS_CF) | flag_if(old, RFLAGS_CF);
	return 0;
}

static int emul_load(struct emul_ctx *ctx, const struct insn *in, uint64_t gpa)
{
	uint64_t v;
	int rc = ctx->mmio_read(ctx->opaque, gpa, in->width, &v);

	if (rc)
		return rc;
	v &= width_mask(in->width);
	if (in->op == EMUL_MOVSX)
		v = sign_extend(v, in->width);
	set_reg_operand(ctx, in, v);
	return 0;
}

static int emul_xchg(struct emul_ctx *ctx, const struct insn *in, uint64_t gpa)
{
	uint64_t old;
	int rc = ctx->mmio_read(ctx->opaque, gpa, in->width, &old);

	if (!rc)
		rc = ctx->mmio_write(ctx->opaque, gpa, in->width, reg_read(ctx, in, in->width));
	if (!rc)
		set_reg_operand(ctx, in, old);
	return rc;
}

/* ---- string instructions: one iteration ---- */

static uint64_t addr_mask(const struct insn *in)
{
	return width_mask(in->mem.addr_size);
}

static uint64_t seg_base(const struct emul_ctx *ctx, const struct insn *in, unsigned seg)
{
	if (in->mode == INSN_MODE_64 && seg != INSN_SEG_FS && seg != INSN_SEG_GS)
		return 0;
	return ctx->seg_base[seg];
}

/* Move rSI/rDI by one element in the direction of DF, at the address size. */
static void string_step(struct emul_ctx *ctx, const struct insn *in, unsigned reg)
{
	uint64_t delta = (ctx->rflags & RFLAGS_DF) ? -(uint64_t)in->width : in->width;
	reg_write(&ctx->regs[reg], false, in->mem.addr_size, ctx->regs[reg] + delta);
}

/* MOVS side at linear @lin: device when it translates to the faulting @gpa, else memory. */
static int movs_side(struct emul_ctx *ctx, uint64_t lin, bool write, uint64_t gpa, uint64_t *out,
		     bool *mmio)
{
	int rc = ctx->translate(ctx->opaque, lin, write, out);
	*mmio = !rc && *out == gpa;
	return rc;
}

static int emul_movs(struct emul_ctx *ctx, const struct insn *in, uint64_t gpa)
{
	unsigned sseg = in->seg_override == INSN_SEG_NONE ? INSN_SEG_DS : in->seg_override;
	uint64_t src_lin = seg_base(ctx, in, sseg) + (ctx->regs[EMUL_RSI] & addr_mask(in));
	uint64_t dst_lin = seg_base(ctx, in, INSN_SEG_ES) + (ctx->regs[EMUL_RDI] & addr_mask(in));
	uint64_t src, dst, v = 0;
	bool src_mmio, dst_mmio;
	int rc;

	if (!ctx->translate || !ctx->mem_read || !ctx->mem_write)
		return -EINVAL;
	if ((rc = movs_side(ctx, src_lin, false, gpa, &src, &src_mmio)) ||
	    (rc = movs_side(ctx, dst_lin, true, gpa, &dst, &dst_mmio)))
		return rc;
	if (!src_mmio && !dst_mmio)
		return -EINVAL; /* the guest changed its mapping since the exit */
	rc = src_mmio ? ctx->mmio_read(ctx->opaque, src, in->width, &v)
		      : ctx->mem_read(ctx->opaque, src, &v, in->width); /* little-endian host */
	if (rc)
		return rc;
	v &= width_mask(in->width);
	rc = dst_mmio ? ctx->mmio_write(ctx->opaque, dst, in->width, v)
		      : ctx->mem_write(ctx->opaque, dst, &v, in->width);
	if (rc)
		return rc;
	string_step(ctx, in, EMUL_RSI);
	string_step(ctx, in, EMUL_RDI);
	return 0;
}

static int emul_stos(struct emul_ctx *ctx, const struct insn *in, uint64_t gpa)
{
	int rc = ctx->mmio_write(ctx->opaque, gpa, in->width, reg_read(ctx, in, in->width));
	if (!rc)
		string_step(ctx, in, EMUL_RDI);
	return rc;
}

/* One iteration; *done says whether the instruction is complete (rip may advance). */
static int emul_string(struct emul_ctx *ctx, const struct insn *in, uint64_t gpa, bool *done)
{
	uint64_t count = ctx->regs[EMUL_RCX] & addr_mask(in);
	int rc;

	*done = true;
	if (in->rep && count == 0)
		return 0;
	rc = in->op == EMUL_STOS ? emul_stos(ctx, in, gpa) : emul_movs(ctx, in, gpa);
	if (rc || !in->rep)
		return rc;
	reg_write(&ctx->regs[EMUL_RCX], false, in->mem.addr_size, count - 1);
	*done = count == 1;
	return 0;
}

/* Everything but the plain stores, out of line so that those stay cheap. */
static int emul_dispatch(struct emul_ctx *ctx, const struct insn *in, uint64_t gpa, bool *done)
{
	*done = true;
	switch (in->op) {
	case EMUL_MOV_LOAD:
	case EMUL_MOVZX:
	case EMUL_MOVSX:
		return emul_load(ctx, in, gpa);
	case EMUL_MOV_STORE:
	case EMUL_STORE_IMM:
		return ctx->mmio_write(ctx->opaque, gpa, in->width, source_operand(ctx, in));
	case EMUL_XCHG:
		return emul_xchg(ctx, in, gpa);
	case EMUL_STOS:
	case EMUL_MOVS:
		return emul_string(ctx, in, gpa, done);
	case EMUL_BT:
	case EMUL_BTS:
	case EMUL_BTR:
	case EMUL_BTC:
		return emul_bt(ctx, in, gpa);
	default:
		return is_alu(in->op) ? emul_alu(ctx, in, gpa) : -EINVAL;
	}
}

/* The instruction is done: the instruction pointer moves past it, as wide as the code. */
static inline int advance_rip(struct emul_ctx *ctx, const struct insn *in)
{
	/* IP, EIP or RIP (SDM "EIP Register") */
	ctx->rip += in->length;
	if (in->mode == INSN_MODE_32)
		ctx->rip &= 0xffffffffULL;
	else if (in->mode == INSN_MODE_16)
		ctx->rip &= 0xffffULL;
	return 0;
}

/* Everything but the plain stores. */
static __attribute__((noinline)) int emul_other(struct emul_ctx *ctx, const struct insn *in,
						uint64_t gpa)
{
	bool done = true;
	int rc = emul_dispatch(ctx, in, gpa, &done);

	if (rc || !done)
		return rc;
	return advance_rip(ctx, in);
}

/* The plain stores (MOV to memory, from a register or an immediate) take no detour. */
int emul_mmio(struct emul_ctx *ctx, const struct insn *in, uint64_t gpa)
{
	int rc;

	if (unlikely(in->op != EMUL_MOV_STORE && in->op != EMUL_STORE_IMM))
		return emul_other(ctx, in, gpa);
	rc = ctx->mmio_write(ctx->opaque, gpa, in->width, source_operand(ctx, in));
	return rc ? rc : advance_rip(ctx, in);
}
