/*
 * Table-driven x86 decoder for the MMIO instruction subset (see emul/decode.h).
 * Invariants: never reads buf past len nor past 15 bytes; accepts only encodings the CPU
 * executes (LOCK rules, mandatory-prefix rules) and that have a memory operand.
 * Called by the VMX MMIO exit path and by host tests; no state, no allocation.
 */
#include "emul/decode.h"
#include "lib/errno.h"

#define PFX_LOCK  0xF0
#define PFX_REPNE 0xF2
#define PFX_REP	  0xF3
#define PFX_OPSZ  0x66
#define PFX_ADSZ  0x67

#define REX_B BIT(0)
#define REX_X BIT(1)
#define REX_R BIT(2)
#define REX_W BIT(3)

#define MODRM_MOD(m) ((m) >> 6)
#define MODRM_REG(m) (((m) >> 3) & 7)
#define MODRM_RM(m)  ((m)&7)

/* How the operands are encoded (SDM "Instruction Format", operand encoding tables). */
enum form {
	F_RM_REG, /* ModRM r/m = memory (destination), ModRM reg = register */
	F_REG_RM, /* ModRM reg = register (destination), r/m = memory (source) */
	F_RM_IMM, /* ModRM r/m = memory (destination), immediate source */
	F_MOFFS_LOAD,
	F_MOFFS_STORE,
	F_STRING,
};

/* Operand size classes: a byte count, the effective operand size, or "W": opcode bit 0 picks
 * byte (clear) or the effective operand size (set), as in 88/89. 0 means no operand. */
#define SZ_OSZ 0xff
#define SZ_W   0xfe

enum imm_kind {
	IMM_NONE,
	IMM_8,	/* imm8, sign-extended */
	IMM_8U, /* imm8, unsigned (bit offsets) */
	IMM_Z,	/* imm16 or imm32 by operand size, sign-extended to 64 */
	IMM_W,	/* IMM_8 for byte opcodes (bit 0 clear), else IMM_Z */
};

enum group {
	G_NONE,
	G_ALU,	/* 80 81 82 83: /reg selects ADD..CMP */
	G_MOV,	/* C6 C7: only /0 */
	G_TEST, /* F6 F7: /0 and /1 are TEST */
	G_BT,	/* 0F BA: /4../7 are BT BTS BTR BTC */
};

/* opdesc.attr: encodings that exist only under some conditions. */
#define D_NP	 BIT(0) /* 66/F2/F3 make it invalid (MOVNTI is "NP") */
#define D_64ONLY BIT(1) /* 63 is ARPL outside 64-bit mode */
#define D_32ONLY BIT(2) /* 82 is invalid in 64-bit mode */
#define D_NO_R16 BIT(3) /* 66 without REX.W rejected: MOVSXD r16 (SDM says m16, Zydis m32) */
#define D_OSZ32	 BIT(4) /* no 16-bit form: 32 bits unless REX.W, in 16-bit code too (MOVNTI) */

struct opdesc {
	uint8_t op;    /* enum emul_op (before group resolution); EMUL_INVALID: not ours */
	uint8_t form;  /* enum form */
	uint8_t msize; /* memory operand size class */
	uint8_t rsize; /* register operand size class, 0 when none */
	uint8_t imm;   /* enum imm_kind */
	uint8_t group; /* enum group */
	uint8_t attr;  /* D_* */
};

#define W SZ_W
#define O SZ_OSZ
/* One-byte opcodes other than the 00-3F ALU block (SDM "One-byte Opcode Map"). */
static const struct opdesc map1[256] = {
    [0x63] = {EMUL_MOVSX, F_REG_RM, 4, O, IMM_NONE, G_NONE, D_64ONLY | D_NO_R16},
    [0x80 ... 0x81] = {EMUL_ADD, F_RM_IMM, W, 0, IMM_W, G_ALU, 0},
    [0x82] = {EMUL_ADD, F_RM_IMM, 1, 0, IMM_8, G_ALU, D_32ONLY},
    [0x83] = {EMUL_ADD, F_RM_IMM, O, 0, IMM_8, G_ALU, 0},
    [0x84 ... 0x85] = {EMUL_TEST, F_RM_REG, W, W, IMM_NONE, G_NONE, 0},
    [0x86 ... 0x87] = {EMUL_XCHG, F_RM_REG, W, W, IMM_NONE, G_NONE, 0},
    [0x88 ... 0x89] = {EMUL_MOV_STORE, F_RM_REG, W, W, IMM_NONE, G_NONE, 0},
    [0x8A ... 0x8B] = {EMUL_MOV_LOAD, F_REG_RM, W, W, IMM_NONE, G_NONE, 0},
    [0xA0 ... 0xA1] = {EMUL_MOV_LOAD, F_MOFFS_LOAD, W, W, IMM_NONE, G_NONE, 0},
    [0xA2 ... 0xA3] = {EMUL_MOV_STORE, F_MOFFS_STORE, W, W, IMM_NONE, G_NONE, 0},
    [0xA4 ... 0xA5] = {EMUL_MOVS, F_STRING, W, 0, IMM_NONE, G_NONE, 0},
    [0xAA ... 0xAB] = {EMUL_STOS, F_STRING, W, W, IMM_NONE, G_NONE, 0},
    [0xC6 ... 0xC7] = {EMUL_STORE_IMM, F_RM_IMM, W, 0, IMM_W, G_MOV, 0},
    [0xF6 ... 0xF7] = {EMUL_TEST, F_RM_IMM, W, 0, IMM_W, G_TEST, 0},
};

/* Two-byte opcodes 0F xx (SDM "Two-byte Opcode Map"). */
static const struct opdesc map0f[256] = {
    [0xA3] = {EMUL_BT, F_RM_REG, O, O, IMM_NONE, G_NONE, 0},
    [0xAB] = {EMUL_BTS, F_RM_REG, O, O, IMM_NONE, G_NONE, 0},
    [0xB3] = {EMUL_BTR, F_RM_REG, O, O, IMM_NONE, G_NONE, 0},
    [0xBB] = {EMUL_BTC, F_RM_REG, O, O, IMM_NONE, G_NONE, 0},
    [0xBA] = {EMUL_BT, F_RM_IMM, O, 0, IMM_8U, G_BT, 0},
    [0xB6] = {EMUL_MOVZX, F_REG_RM, 1, O, IMM_NONE, G_NONE, 0},
    [0xB7] = {EMUL_MOVZX, F_REG_RM, 2, O, IMM_NONE, G_NONE, 0},
    [0xBE] = {EMUL_MOVSX, F_REG_RM, 1, O, IMM_NONE, G_NONE, 0},
    [0xBF] = {EMUL_MOVSX, F_REG_RM, 2, O, IMM_NONE, G_NONE, 0},
    [0xC3] = {EMUL_MOV_STORE, F_RM_REG, O, O, IMM_NONE, G_NONE, D_NP | D_OSZ32},
};
#undef W
#undef O

struct dstate {
	const uint8_t *buf;
	size_t len;
	size_t pos;
	unsigned mode;
	uint8_t rex;
	bool opsz;	/* 66 seen */
	bool adsz;	/* 67 seen */
	bool simd_pfx;	/* F2 or F3 seen */
	uint8_t seg;	/* effective segment prefix or INSN_SEG_NONE */
	uint8_t opcode; /* last opcode byte (bit 0 is the W bit of SZ_W / IMM_W) */
	struct insn *out;
};

static int next_byte(struct dstate *st, uint8_t *b)
{
	if (st->pos >= INSN_MAX_LEN)
		return -EINVAL;
	if (st->pos >= st->len)
		return -EFAULT;
	*b = st->buf[st->pos++];
	return 0;
}

/* Little-endian, @n bytes, zero-extended. */
static int next_le(struct dstate *st, unsigned n, uint64_t *v)
{
	uint64_t r = 0;
	for (unsigned i = 0; i < n; i++) {
		uint8_t b;
		int rc = next_byte(st, &b);
		if (rc)
			return rc;
		r |= (uint64_t)b << (8 * i);
	}
	*v = r;
	return 0;
}

static int64_t sext(uint64_t v, unsigned bytes)
{
	unsigned sh = 64 - 8 * bytes;
	return (int64_t)(v << sh) >> sh;
}

/*
 * Segment override: in 64-bit mode CS/DS/ES/SS prefixes are ignored, so only FS/GS count
 * (SDM "Segment Override Prefixes in 64-bit Mode"); otherwise the last one wins.
 */
static bool is_segment_prefix(uint8_t b)
{
	return b == 0x26 || b == 0x2E || b == 0x36 || b == 0x3E || b == 0x64 || b == 0x65;
}

static void note_segment(struct dstate *st, uint8_t b)
{
	/* 26 2E 36 3E carry ES CS SS DS in bits 4:3; 64 65 are FS GS. */
	uint8_t seg = b >= 0x64 ? (uint8_t)(b - 0x60) : (uint8_t)((b >> 3) & 3);
	if (st->mode == INSN_MODE_64 && seg < INSN_SEG_FS)
		return;
	st->seg = seg;
}

/* Record legacy prefix @b; false when @b is not one. */
static bool note_prefix(struct dstate *st, uint8_t b)
{
	if (is_segment_prefix(b)) {
		note_segment(st, b);
		return true;
	}
	switch (b) {
	case PFX_LOCK:
		st->out->flags |= INSN_LOCK;
		return true;
	case PFX_REPNE:
	case PFX_REP:
		st->out->rep = b; /* the last of F2/F3 wins */
		st->simd_pfx = true;
		return true;
	case PFX_OPSZ:
		st->opsz = true;
		return true;
	case PFX_ADSZ:
		st->adsz = true;
		return true;
	default:
		return false;
	}
}

/* Legacy prefixes in any order, then REX (64-bit mode). A REX that is not directly before
 * the opcode is ignored. Leaves st->pos at the opcode. */
static int decode_prefixes(struct dstate *st)
{
	for (;;) {
		uint8_t b;
		int rc = next_byte(st, &b);
		if (rc)
			return rc;
		if (st->mode == INSN_MODE_64 && (b & 0xF0) == 0x40) {
			st->rex = b;
			continue;
		}
		if (!note_prefix(st, b)) {
			st->pos--;
			return 0;
		}
		st->rex = 0;
	}
}

/* 00-3F: ADD OR ADC SBB AND SUB XOR CMP, columns 0-3 (r/m,reg and reg,r/m in both widths). */
static struct opdesc lookup_alu(uint8_t b)
{
	uint8_t form = (b & 2) ? F_REG_RM : F_RM_REG;
	return (struct opdesc){
	    (uint8_t)(EMUL_ADD + (b >> 3)), form, SZ_W, SZ_W, IMM_NONE, G_NONE, 0};
}

/* Whether the encoding exists with these prefixes in this mode. */
static bool attr_ok(const struct dstate *st, uint8_t attr)
{
	if ((attr & D_NP) && (st->opsz || st->simd_pfx))
		return false;
	if ((attr & D_64ONLY) && st->mode != INSN_MODE_64)
		return false;
	if ((attr & D_32ONLY) && st->mode == INSN_MODE_64)
		return false;
	return !((attr & D_NO_R16) && st->opsz && !(st->rex & REX_W));
}

/* ModRM.reg of a group opcode selects the operation; false when that slot is not ours. */
static bool resolve_group(struct opdesc *d, unsigned reg)
{
	switch (d->group) {
	case G_ALU:
		d->op = (uint8_t)(EMUL_ADD + reg);
		return true;
	case G_MOV:
		return reg == 0;
	case G_TEST:
		return reg <= 1;
	case G_BT:
		d->op = (uint8_t)(EMUL_BT + reg - 4);
		return reg >= 4;
	default:
		return true;
	}
}

/* SDM "Operand-Size and Address-Size Attributes": 66 and 67 pick the other of 16 and 32. */
static unsigned operand_size(const struct dstate *st)
{
	if (st->rex & REX_W)
		return 8;
	if (st->mode == INSN_MODE_16)
		return st->opsz ? 4 : 2;
	return st->opsz ? 2 : 4;
}

static unsigned address_size(const struct dstate *st)
{
	if (st->mode == INSN_MODE_64)
		return st->adsz ? 4 : 8;
	if (st->mode == INSN_MODE_16)
		return st->adsz ? 4 : 2;
	return st->adsz ? 2 : 4;
}

static uint8_t default_segment(int base)
{
	return (base == 4 || base == 5) ? INSN_SEG_SS : INSN_SEG_DS;
}

static int read_disp(struct dstate *st, unsigned bytes)
{
	uint64_t v;
	int rc = next_le(st, bytes, &v);
	if (rc)
		return rc;
	st->out->mem.disp = sext(v, bytes);
	return 0;
}

/*
 * 16-bit addressing (16-bit code, or 32-bit code with a 67 prefix): the fixed base/index pairs of
 * SDM table "16-Bit Addressing Forms with the ModR/M Byte".
 */
static int decode_mem16(struct dstate *st, uint8_t modrm)
{
	static const int8_t base16[8] = {3, 3, 5, 5, 6, 7, 5, 3};      /* BX BX BP BP SI DI BP BX */
	static const int8_t index16[8] = {6, 7, 6, 7, -1, -1, -1, -1}; /* SI DI SI DI */
	struct insn_mem *m = &st->out->mem;
	unsigned mod = MODRM_MOD(modrm), rm = MODRM_RM(modrm);

	m->base = base16[rm];
	m->index = index16[rm];
	m->seg = (rm == 2 || rm == 3 || (rm == 6 && mod != 0)) ? INSN_SEG_SS : INSN_SEG_DS;
	if (mod == 0 && rm == 6) {
		m->base = INSN_REG_NONE;
		m->seg = INSN_SEG_DS;
		return read_disp(st, 2);
	}
	return mod ? read_disp(st, mod == 1 ? 1 : 2) : 0;
}

/* SIB byte (SDM table "32-Bit Addressing Forms with the SIB Byte"). */
static int decode_sib(struct dstate *st, unsigned mod, bool *disp32)
{
	struct insn_mem *m = &st->out->mem;
	uint8_t sib;
	int rc = next_byte(st, &sib);
	if (rc)
		return rc;
	unsigned idx = ((sib >> 3) & 7) | ((st->rex & REX_X) ? 8 : 0);
	m->scale = (uint8_t)(1u << (sib >> 6));
	m->index = idx == 4 ? INSN_REG_NONE : (int8_t)idx; /* R12 is a valid index */
	if ((sib & 7) == 5 && mod == 0) {
		m->base = INSN_REG_NONE;
		*disp32 = true;
	} else {
		m->base = (int8_t)((sib & 7) | ((st->rex & REX_B) ? 8 : 0));
	}
	return 0;
}

/* 32/64-bit addressing forms, after the ModRM byte. */
static int decode_mem(struct dstate *st, uint8_t modrm)
{
	struct insn_mem *m = &st->out->mem;
	unsigned mod = MODRM_MOD(modrm), rm = MODRM_RM(modrm);
	bool disp32 = mod == 2;
	int rc = 0;

	m->index = INSN_REG_NONE;
	if (rm == 4) {
		rc = decode_sib(st, mod, &disp32);
	} else if (rm == 5 && mod == 0) {
		m->base = INSN_REG_NONE;
		m->rip_relative = st->mode == INSN_MODE_64;
		disp32 = true;
	} else {
		m->base = (int8_t)(rm | ((st->rex & REX_B) ? 8 : 0));
	}
	if (rc)
		return rc;
	m->seg = default_segment(m->base);
	if (mod == 1)
		return read_disp(st, 1);
	return disp32 ? read_disp(st, 4) : 0;
}

/* Register operand from ModRM.reg; a byte register 4-7 without REX is AH CH DH BH. */
static void set_reg_operand(struct dstate *st, uint8_t modrm, unsigned rsize)
{
	unsigned r = MODRM_REG(modrm) | ((st->rex & REX_R) ? 8 : 0);
	if (rsize == 1 && !st->rex && r >= 4) {
		r -= 4;
		st->out->flags |= INSN_REG_HIGH8;
	}
	st->out->reg = (int8_t)r;
	st->out->reg_width = (uint8_t)rsize;
}

static int read_imm(struct dstate *st, unsigned kind, unsigned osz)
{
	if (kind == IMM_W)
		kind = (st->opcode & 1) ? IMM_Z : IMM_8;
	unsigned n = kind == IMM_Z ? (osz == 2 ? 2 : 4) : 1;
	uint64_t v;
	int rc = next_le(st, n, &v);
	if (rc)
		return rc;
	st->out->imm = kind == IMM_8U ? (int64_t)v : sext(v, n);
	st->out->flags |= INSN_HAS_IMM;
	return 0;
}

static int decode_modrm_form(struct dstate *st, struct opdesc *d, unsigned rsize, unsigned osz)
{
	uint8_t modrm;
	int rc = next_byte(st, &modrm);
	if (rc)
		return rc;
	if (MODRM_MOD(modrm) == 3 || !resolve_group(d, MODRM_REG(modrm)))
		return -EINVAL;
	st->out->mem.scale = 1;
	st->out->mem.rip_relative = false;
	rc = address_size(st) == 2 ? decode_mem16(st, modrm) : decode_mem(st, modrm);
	if (rc)
		return rc;
	if (d->form == F_RM_IMM)
		return read_imm(st, d->imm, osz);
	set_reg_operand(st, modrm, rsize);
	return 0;
}

static int decode_moffs(struct dstate *st, unsigned rsize)
{
	struct insn_mem *m = &st->out->mem;
	uint64_t v;
	int rc = next_le(st, address_size(st), &v);
	if (rc)
		return rc;
	m->base = m->index = INSN_REG_NONE;
	m->scale = 1;
	m->seg = INSN_SEG_DS;
	m->disp = (int64_t)v;
	st->out->reg = 0; /* AL / AX / EAX / RAX */
	st->out->reg_width = (uint8_t)rsize;
	return 0;
}

/* STOS and MOVS: the memory operand is ES:[rDI], which no prefix overrides. */
static void set_string_mem(struct dstate *st, unsigned rsize)
{
	struct insn_mem *m = &st->out->mem;
	m->base = 7; /* rDI */
	m->index = INSN_REG_NONE;
	m->scale = 1;
	m->seg = INSN_SEG_ES;
	if (rsize) {
		st->out->reg = 0; /* STOS stores rAX */
		st->out->reg_width = (uint8_t)rsize;
	}
}

/* LOCK is legal only on read-modify-write forms with a memory destination (SDM "LOCK"). */
static bool lock_allowed(const struct insn *in)
{
	const uint32_t rmw = BIT(EMUL_ADD) | BIT(EMUL_OR) | BIT(EMUL_ADC) | BIT(EMUL_SBB) |
			     BIT(EMUL_AND) | BIT(EMUL_SUB) | BIT(EMUL_XOR) | BIT(EMUL_XCHG) |
			     BIT(EMUL_BTS) | BIT(EMUL_BTR) | BIT(EMUL_BTC);
	if (!(rmw & BIT(in->op)))
		return false;
	return in->op == EMUL_XCHG || (in->flags & INSN_MEM_DST);
}

static unsigned size_of(const struct dstate *st, uint8_t cls, unsigned osz)
{
	if (cls == SZ_OSZ)
		return osz;
	if (cls == SZ_W)
		return (st->opcode & 1) ? osz : 1;
	return cls;
}

static int decode_operands(struct dstate *st, struct opdesc *d)
{
	unsigned osz = (d->attr & D_OSZ32) && !(st->rex & REX_W) ? 4 : operand_size(st);
	unsigned msize = size_of(st, d->msize, osz);
	unsigned rsize = size_of(st, d->rsize, osz);
	int rc;

	switch (d->form) {
	case F_MOFFS_LOAD:
	case F_MOFFS_STORE:
		rc = decode_moffs(st, rsize);
		break;
	case F_STRING:
		rc = 0;
		set_string_mem(st, rsize);
		break;
	default:
		rc = decode_modrm_form(st, d, rsize, osz);
		break;
	}
	if (rc)
		return rc;
	st->out->op = d->op;
	st->out->width = (uint8_t)msize;
	if (d->form == F_RM_REG || d->form == F_RM_IMM || d->form == F_MOFFS_STORE ||
	    d->form == F_STRING)
		st->out->flags |= INSN_MEM_DST;
	return 0;
}

static int decode_opcode(struct dstate *st, struct opdesc *d)
{
	int rc = next_byte(st, &st->opcode);
	bool two_byte = st->opcode == 0x0F;

	if (!rc && two_byte)
		rc = next_byte(st, &st->opcode);
	if (rc)
		return rc;
	if (two_byte)
		*d = map0f[st->opcode];
	else if (st->opcode < 0x40 && (st->opcode & 7) < 4)
		*d = lookup_alu(st->opcode);
	else
		*d = map1[st->opcode];
	return d->op != EMUL_INVALID && attr_ok(st, d->attr) ? 0 : -EINVAL;
}

int decode_insn(const uint8_t *buf, size_t len, unsigned mode, struct insn *out)
{
	struct dstate st = {.buf = buf, .len = len, .mode = mode, .seg = INSN_SEG_NONE, .out = out};
	struct opdesc d;
	int rc;

	*out = (struct insn){.reg = INSN_REG_NONE};
	if (mode != INSN_MODE_64 && mode != INSN_MODE_32 && mode != INSN_MODE_16)
		return -EINVAL;
	rc = decode_prefixes(&st);
	if (!rc)
		rc = decode_opcode(&st, &d);
	if (!rc)
		rc = decode_operands(&st, &d);
	if (!rc && (out->flags & INSN_LOCK) && !lock_allowed(out))
		rc = -EINVAL;
	if (rc)
		return rc;
	out->mode = (uint8_t)mode;
	out->length = (uint8_t)st.pos;
	out->seg_override = st.seg;
	out->mem.addr_size = (uint8_t)address_size(&st);
	if (st.seg != INSN_SEG_NONE && out->op != EMUL_STOS && out->op != EMUL_MOVS)
		out->mem.seg = st.seg;
	return 0;
}

uint64_t decode_effective_address(const struct insn *in, const uint64_t regs[16],
				  uint64_t rip_after)
{
	const struct insn_mem *m = &in->mem;
	uint64_t ea = (uint64_t)m->disp;

	if (m->rip_relative)
		ea += rip_after;
	if (m->base != INSN_REG_NONE)
		ea += regs[m->base];
	if (m->index != INSN_REG_NONE)
		ea += regs[m->index] * m->scale;
	if (m->addr_size < 8)
		ea &= GENMASK(8 * m->addr_size - 1, 0);
	return ea;
}
