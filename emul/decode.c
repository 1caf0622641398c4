/*
 * Table-light x86 decoder for the MMIO instruction subset (see emul/decode.h).
 * Invariants: never reads buf past len nor past 15 bytes; accepts only encodings the CPU
 * executes (LOCK rules, mandatory-prefix rules) and that have a memory operand.
 * Called by the VMX MMIO exit path and by host tests; no state, no allocation.
 */
#include "emul/decode.h"
#include "lib/errno.h"
#include "lib/string.h"

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

/* Operand size classes: a fixed byte count, or the effective operand size. */
#define SZ_OSZ 0xff

enum imm_kind {
	IMM_NONE,
	IMM_8,	/* imm8, sign-extended */
	IMM_8U, /* imm8, unsigned (bit offsets) */
	IMM_Z,	/* imm16 or imm32 by operand size, sign-extended to 64 */
};

enum group {
	G_NONE,
	G_ALU,	/* 80 81 82 83: /reg selects ADD..CMP */
	G_MOV,	/* C6 C7: only /0 */
	G_TEST, /* F6 F7: /0 and /1 are TEST */
	G_BT,	/* 0F BA: /4../7 are BT BTS BTR BTC */
};

struct opdesc {
	uint8_t op;    /* enum emul_op (before group resolution) */
	uint8_t form;  /* enum form */
	uint8_t msize; /* memory operand bytes, or SZ_OSZ */
	uint8_t rsize; /* register operand bytes, or SZ_OSZ */
	uint8_t imm;   /* enum imm_kind */
	uint8_t group; /* enum group */
	bool no_opsz;  /* 66/F2/F3 make it invalid (MOVNTI is "NP") */
};

struct dstate {
	const uint8_t *buf;
	size_t len;
	size_t pos;
	unsigned mode;
	uint8_t rex;
	bool opsz;     /* 66 seen */
	bool adsz;     /* 67 seen */
	bool simd_pfx; /* F2 or F3 seen */
	uint8_t seg;   /* effective segment prefix or INSN_SEG_NONE */
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
static void note_segment(struct dstate *st, uint8_t b)
{
	uint8_t seg;
	switch (b) {
	case 0x26:
		seg = INSN_SEG_ES;
		break;
	case 0x2E:
		seg = INSN_SEG_CS;
		break;
	case 0x36:
		seg = INSN_SEG_SS;
		break;
	case 0x3E:
		seg = INSN_SEG_DS;
		break;
	case 0x64:
		seg = INSN_SEG_FS;
		break;
	default:
		seg = INSN_SEG_GS;
		break;
	}
	if (st->mode == INSN_MODE_64 && seg < INSN_SEG_FS)
		return;
	st->seg = seg;
}

/* Legacy prefixes in any order, then REX (64-bit mode; a REX not right before the opcode
 * is ignored). Leaves st->pos at the opcode. */
static int decode_prefixes(struct dstate *st)
{
	for (;;) {
		uint8_t b;
		int rc = next_byte(st, &b);
		if (rc)
			return rc;
		switch (b) {
		case PFX_LOCK:
			st->out->flags |= INSN_LOCK;
			break;
		case PFX_REPNE:
		case PFX_REP:
			st->out->rep = b;
			st->simd_pfx = true;
			break;
		case PFX_OPSZ:
			st->opsz = true;
			break;
		case PFX_ADSZ:
			st->adsz = true;
			break;
		case 0x26:
		case 0x2E:
		case 0x36:
		case 0x3E:
		case 0x64:
		case 0x65:
			note_segment(st, b);
			break;
		default:
			if (st->mode == INSN_MODE_64 && (b & 0xF0) == 0x40) {
				st->rex = b;
				continue; /* must be last: do not clear it below */
			}
			st->pos--;
			return 0;
		}
		st->rex = 0;
	}
}

static const struct opdesc D_NONE = {.op = EMUL_INVALID};

static struct opdesc desc(uint8_t op, uint8_t form, uint8_t msize, uint8_t rsize, uint8_t imm,
			  uint8_t group)
{
	return (struct opdesc){op, form, msize, rsize, imm, group, false};
}

/* 00-3F: ADD OR ADC SBB AND SUB XOR CMP, columns 0-3 (r/m,reg and reg,r/m in both widths). */
static struct opdesc lookup_alu(uint8_t b)
{
	uint8_t sz = (b & 1) ? SZ_OSZ : 1;
	uint8_t form = (b & 2) ? F_REG_RM : F_RM_REG;
	return desc((uint8_t)(EMUL_ADD + (b >> 3)), form, sz, sz, IMM_NONE, G_NONE);
}

static struct opdesc lookup_1byte(const struct dstate *st, uint8_t b)
{
	uint8_t osz = (b & 1) ? SZ_OSZ : 1; /* low bit selects byte vs full size */
	uint8_t immsz = (b & 1) ? IMM_Z : IMM_8;
	if (b < 0x40 && (b & 7) < 4)
		return lookup_alu(b);
	switch (b) {
	case 0x63:
		if (st->mode != INSN_MODE_64 || (st->opsz && !(st->rex & REX_W)))
			return D_NONE; /* ARPL; MOVSXD r16 (Zydis and the SDM disagree) */
		return desc(EMUL_MOVSX, F_REG_RM, 4, SZ_OSZ, IMM_NONE, G_NONE);
	case 0x82:
		if (st->mode == INSN_MODE_64)
			return D_NONE;
		return desc(EMUL_ADD, F_RM_IMM, 1, 0, IMM_8, G_ALU);
	case 0x80:
	case 0x81:
		return desc(EMUL_ADD, F_RM_IMM, osz, 0, immsz, G_ALU);
	case 0x83:
		return desc(EMUL_ADD, F_RM_IMM, SZ_OSZ, 0, IMM_8, G_ALU);
	case 0x84:
	case 0x85:
		return desc(EMUL_TEST, F_RM_REG, osz, osz, IMM_NONE, G_NONE);
	case 0x86:
	case 0x87:
		return desc(EMUL_XCHG, F_RM_REG, osz, osz, IMM_NONE, G_NONE);
	case 0x88:
	case 0x89:
		return desc(EMUL_MOV_STORE, F_RM_REG, osz, osz, IMM_NONE, G_NONE);
	case 0x8A:
	case 0x8B:
		return desc(EMUL_MOV_LOAD, F_REG_RM, osz, osz, IMM_NONE, G_NONE);
	case 0xA0:
	case 0xA1:
		return desc(EMUL_MOV_LOAD, F_MOFFS_LOAD, osz, osz, IMM_NONE, G_NONE);
	case 0xA2:
	case 0xA3:
		return desc(EMUL_MOV_STORE, F_MOFFS_STORE, osz, osz, IMM_NONE, G_NONE);
	case 0xA4:
	case 0xA5:
		return desc(EMUL_MOVS, F_STRING, osz, 0, IMM_NONE, G_NONE);
	case 0xAA:
	case 0xAB:
		return desc(EMUL_STOS, F_STRING, osz, osz, IMM_NONE, G_NONE);
	case 0xC6:
	case 0xC7:
		return desc(EMUL_STORE_IMM, F_RM_IMM, osz, 0, immsz, G_MOV);
	case 0xF6:
	case 0xF7:
		return desc(EMUL_TEST, F_RM_IMM, osz, 0, immsz, G_TEST);
	default:
		return D_NONE;
	}
}

static struct opdesc lookup_0f(uint8_t b)
{
	struct opdesc d;
	switch (b) {
	case 0xA3:
		return desc(EMUL_BT, F_RM_REG, SZ_OSZ, SZ_OSZ, IMM_NONE, G_NONE);
	case 0xAB:
		return desc(EMUL_BTS, F_RM_REG, SZ_OSZ, SZ_OSZ, IMM_NONE, G_NONE);
	case 0xB3:
		return desc(EMUL_BTR, F_RM_REG, SZ_OSZ, SZ_OSZ, IMM_NONE, G_NONE);
	case 0xBB:
		return desc(EMUL_BTC, F_RM_REG, SZ_OSZ, SZ_OSZ, IMM_NONE, G_NONE);
	case 0xBA:
		return desc(EMUL_BT, F_RM_IMM, SZ_OSZ, 0, IMM_8U, G_BT);
	case 0xB6:
		return desc(EMUL_MOVZX, F_REG_RM, 1, SZ_OSZ, IMM_NONE, G_NONE);
	case 0xB7:
		return desc(EMUL_MOVZX, F_REG_RM, 2, SZ_OSZ, IMM_NONE, G_NONE);
	case 0xBE:
		return desc(EMUL_MOVSX, F_REG_RM, 1, SZ_OSZ, IMM_NONE, G_NONE);
	case 0xBF:
		return desc(EMUL_MOVSX, F_REG_RM, 2, SZ_OSZ, IMM_NONE, G_NONE);
	case 0xC3:
		d = desc(EMUL_MOV_STORE, F_RM_REG, SZ_OSZ, SZ_OSZ, IMM_NONE, G_NONE);
		d.no_opsz = true;
		return d;
	default:
		return D_NONE;
	}
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

static unsigned operand_size(const struct dstate *st)
{
	if (st->rex & REX_W)
		return 8;
	return st->opsz ? 2 : 4;
}

static unsigned address_size(const struct dstate *st)
{
	if (st->mode == INSN_MODE_64)
		return st->adsz ? 4 : 8;
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
 * 16-bit addressing (32-bit mode with a 67 prefix): the fixed base/index pairs of
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
	switch (in->op) {
	case EMUL_ADD:
	case EMUL_OR:
	case EMUL_ADC:
	case EMUL_SBB:
	case EMUL_AND:
	case EMUL_SUB:
	case EMUL_XOR:
		return in->flags & INSN_MEM_DST;
	case EMUL_XCHG:
	case EMUL_BTS:
	case EMUL_BTR:
	case EMUL_BTC:
		return true;
	default:
		return false;
	}
}

static int decode_operands(struct dstate *st, struct opdesc *d)
{
	unsigned osz = operand_size(st);
	unsigned msize = d->msize == SZ_OSZ ? osz : d->msize;
	unsigned rsize = d->rsize == SZ_OSZ ? osz : d->rsize;
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
	uint8_t b;
	int rc = next_byte(st, &b);
	if (rc)
		return rc;
	if (b != 0x0F) {
		*d = lookup_1byte(st, b);
		return 0;
	}
	rc = next_byte(st, &b);
	if (rc)
		return rc;
	*d = lookup_0f(b);
	if (d->no_opsz && (st->opsz || st->simd_pfx))
		return -EINVAL;
	return 0;
}

int decode_insn(const uint8_t *buf, size_t len, unsigned mode, struct insn *out)
{
	struct dstate st = {.buf = buf, .len = len, .mode = mode, .seg = INSN_SEG_NONE, .out = out};
	struct opdesc d;
	int rc;

	memset(out, 0, sizeof(*out));
	out->reg = INSN_REG_NONE;
	if (mode != INSN_MODE_64 && mode != INSN_MODE_32)
		return -EINVAL;
	rc = decode_prefixes(&st);
	if (!rc)
		rc = decode_opcode(&st, &d);
	if (!rc && d.op == EMUL_INVALID)
		rc = -EINVAL;
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
