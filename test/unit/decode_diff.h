/*
 * Differential oracle for emul/decode.c against Zydis, shared by test_decode.c and
 * fuzz_decode.c (host only). decode_diff() decodes one buffer with both and says whether
 * they agree on acceptance and, when both accept, on every field emulation relies on.
 */
#ifndef TEST_DECODE_DIFF_H
#define TEST_DECODE_DIFF_H

#include <stdio.h>
#include <string.h>
#include <Zydis/Zydis.h>

#include "emul/decode.h"

enum diff_result {
	DIFF_BOTH_REJECT = 0, /* neither (or Zydis: not one of our forms) */
	DIFF_MATCH = 1,	      /* both accept and every field agrees */
	DIFF_SKIPPED = 2,     /* a form we reject on purpose (66 63: MOVSXD r16) */
	DIFF_MISMATCH = -1,
};

struct zreg {
	int idx, size;
	bool high;
};

/* Zydis GPR -> our index, width and high-byte flag; false for non-GPRs. */
static inline bool diff_zreg(ZydisRegister r, struct zreg *o)
{
	o->high = false;
	if (r >= ZYDIS_REGISTER_AL && r <= ZYDIS_REGISTER_R15B) {
		int off = (int)(r - ZYDIS_REGISTER_AL);
		o->size = 1;
		o->high = off >= 4 && off < 8;
		o->idx = off < 4 ? off : off - 4;
		return true;
	}
	static const struct {
		ZydisRegister first;
		int size;
	} classes[] = {{ZYDIS_REGISTER_AX, 2}, {ZYDIS_REGISTER_EAX, 4}, {ZYDIS_REGISTER_RAX, 8}};
	for (unsigned i = 0; i < 3; i++) {
		if (r >= classes[i].first && r < classes[i].first + 16) {
			o->idx = (int)(r - classes[i].first);
			o->size = classes[i].size;
			return true;
		}
	}
	return false;
}

static inline int diff_zseg(ZydisRegister r)
{
	switch (r) {
	case ZYDIS_REGISTER_ES:
		return INSN_SEG_ES;
	case ZYDIS_REGISTER_CS:
		return INSN_SEG_CS;
	case ZYDIS_REGISTER_SS:
		return INSN_SEG_SS;
	case ZYDIS_REGISTER_DS:
		return INSN_SEG_DS;
	case ZYDIS_REGISTER_FS:
		return INSN_SEG_FS;
	case ZYDIS_REGISTER_GS:
		return INSN_SEG_GS;
	default:
		return -1;
	}
}

/* Our op for a Zydis mnemonic; EMUL_INVALID when not one of ours. */
static inline int diff_op(ZydisMnemonic m, bool mem_first, bool has_imm)
{
	switch (m) {
	case ZYDIS_MNEMONIC_MOV:
		if (!mem_first)
			return EMUL_MOV_LOAD;
		return has_imm ? EMUL_STORE_IMM : EMUL_MOV_STORE;
	case ZYDIS_MNEMONIC_MOVNTI:
		return EMUL_MOV_STORE;
	case ZYDIS_MNEMONIC_MOVZX:
		return EMUL_MOVZX;
	case ZYDIS_MNEMONIC_MOVSX:
	case ZYDIS_MNEMONIC_MOVSXD:
		return EMUL_MOVSX;
	case ZYDIS_MNEMONIC_STOSB:
	case ZYDIS_MNEMONIC_STOSW:
	case ZYDIS_MNEMONIC_STOSD:
	case ZYDIS_MNEMONIC_STOSQ:
		return EMUL_STOS;
	case ZYDIS_MNEMONIC_MOVSB:
	case ZYDIS_MNEMONIC_MOVSW:
	case ZYDIS_MNEMONIC_MOVSD:
	case ZYDIS_MNEMONIC_MOVSQ:
		return EMUL_MOVS;
	case ZYDIS_MNEMONIC_ADD:
		return EMUL_ADD;
	case ZYDIS_MNEMONIC_OR:
		return EMUL_OR;
	case ZYDIS_MNEMONIC_ADC:
		return EMUL_ADC;
	case ZYDIS_MNEMONIC_SBB:
		return EMUL_SBB;
	case ZYDIS_MNEMONIC_AND:
		return EMUL_AND;
	case ZYDIS_MNEMONIC_SUB:
		return EMUL_SUB;
	case ZYDIS_MNEMONIC_XOR:
		return EMUL_XOR;
	case ZYDIS_MNEMONIC_CMP:
		return EMUL_CMP;
	case ZYDIS_MNEMONIC_TEST:
		return EMUL_TEST;
	case ZYDIS_MNEMONIC_XCHG:
		return EMUL_XCHG;
	case ZYDIS_MNEMONIC_BT:
		return EMUL_BT;
	case ZYDIS_MNEMONIC_BTS:
		return EMUL_BTS;
	case ZYDIS_MNEMONIC_BTR:
		return EMUL_BTR;
	case ZYDIS_MNEMONIC_BTC:
		return EMUL_BTC;
	default:
		return EMUL_INVALID;
	}
}

/* The opcodes this decoder claims (legacy map 0 and 0F); Zydis says which mnemonic. */
static inline bool diff_opcode_ours(const ZydisDecodedInstruction *zi)
{
	uint8_t o = zi->opcode;
	if (zi->encoding != ZYDIS_INSTRUCTION_ENCODING_LEGACY)
		return false;
	if (zi->opcode_map == ZYDIS_OPCODE_MAP_0F)
		return o == 0xA3 || o == 0xAB || o == 0xB3 || o == 0xBB || o == 0xBA || o == 0xB6 ||
		       o == 0xB7 || o == 0xBE || o == 0xBF || o == 0xC3;
	if (zi->opcode_map != ZYDIS_OPCODE_MAP_DEFAULT)
		return false;
	if (o < 0x40)
		return (o & 7) < 4;
	return o == 0x63 || (o >= 0x80 && o <= 0x8B) || (o >= 0xA0 && o <= 0xA5) || o == 0xAA ||
	       o == 0xAB || o == 0xC6 || o == 0xC7 ||
	       ((o == 0xF6 || o == 0xF7) && zi->mnemonic == ZYDIS_MNEMONIC_TEST);
}

#define DIFF_FAIL(...)                                                                             \
	do {                                                                                       \
		snprintf(why, whylen, __VA_ARGS__);                                                \
		return DIFF_MISMATCH;                                                              \
	} while (0)

static inline int diff_mem(const struct insn *in, const ZydisDecodedInstruction *zi,
			   const ZydisDecodedOperand *mo, char *why, size_t whylen)
{
	ZydisDecodedOperandMem zfix = mo->mem, *zm = &zfix;
	struct zreg r;
	int zseg = diff_zseg(zm->segment);

	/*
	 * Zydis 4.0.0 bug (zyantific/zydis#592, fixed upstream after 4.0.0): with a 67 prefix and
	 * REX.B, SIB base 101b under mod 00 comes out as [r13d] without the disp32 instead of
	 * [disp32]. Compare against what the SDM says, taken from Zydis's raw fields.
	 */
	if (zi->address_width == 32 && zi->raw.modrm.mod == 0 && zi->raw.modrm.rm == 4 &&
	    zi->raw.sib.base == 5 && zm->base == ZYDIS_REGISTER_R13D) {
		zm->base = ZYDIS_REGISTER_NONE;
		zm->disp.has_displacement = true;
		zm->disp.value = zi->raw.disp.value;
	}

	if (in->mem.addr_size * 8 != zi->address_width)
		DIFF_FAIL("address size %u vs %u", in->mem.addr_size * 8, zi->address_width);
	if (zm->base == ZYDIS_REGISTER_RIP || zm->base == ZYDIS_REGISTER_EIP) {
		if (!in->mem.rip_relative || in->mem.base != INSN_REG_NONE)
			DIFF_FAIL("expected rip-relative");
	} else if (zm->base == ZYDIS_REGISTER_NONE) {
		if (in->mem.base != INSN_REG_NONE || in->mem.rip_relative)
			DIFF_FAIL("expected no base, got %d", in->mem.base);
	} else if (!diff_zreg(zm->base, &r) || r.idx != in->mem.base ||
		   r.size != in->mem.addr_size || in->mem.rip_relative) {
		DIFF_FAIL("base %d vs %s", in->mem.base, ZydisRegisterGetString(zm->base));
	}
	if (zm->index == ZYDIS_REGISTER_NONE) {
		if (in->mem.index != INSN_REG_NONE)
			DIFF_FAIL("expected no index, got %d", in->mem.index);
	} else if (!diff_zreg(zm->index, &r) || r.idx != in->mem.index ||
		   zm->scale != in->mem.scale) {
		DIFF_FAIL("index %d*%u vs %s*%u", in->mem.index, in->mem.scale,
			  ZydisRegisterGetString(zm->index), zm->scale);
	}
	uint64_t amask = in->mem.addr_size == 8 ? ~0ULL : (1ULL << (8 * in->mem.addr_size)) - 1;
	/* Only the low addr_size bytes reach the address (Zydis sign-extends 32-bit moffs). */
	if (((uint64_t)(zm->disp.has_displacement ? zm->disp.value : 0) ^ (uint64_t)in->mem.disp) &
	    amask)
		DIFF_FAIL("disp %#llx vs %#llx", (unsigned long long)in->mem.disp,
			  (unsigned long long)zm->disp.value);
	if (zseg != in->mem.seg)
		DIFF_FAIL("segment %u vs %d", in->mem.seg, zseg);
	if (mo->size != in->width * 8u)
		DIFF_FAIL("width %u vs %u bits", in->width, mo->size);
	return DIFF_MATCH;
}

static inline int diff_fields(const struct insn *in, const ZydisDecodedInstruction *zi,
			      const ZydisDecodedOperand *ops, int memidx, char *why, size_t whylen)
{
	const ZydisDecodedOperand *imm = NULL, *reg = NULL;
	struct zreg r;

	for (int i = 0; i < zi->operand_count; i++) {
		if (!imm && ops[i].type == ZYDIS_OPERAND_TYPE_IMMEDIATE)
			imm = &ops[i];
		if (!reg && ops[i].type == ZYDIS_OPERAND_TYPE_REGISTER &&
		    diff_zreg(ops[i].reg.value, &r))
			reg = &ops[i];
	}
	if (in->length != zi->length)
		DIFF_FAIL("length %u vs %u", in->length, zi->length);
	if (in->op != diff_op(zi->mnemonic, memidx == 0, imm != NULL))
		DIFF_FAIL("op %u vs mnemonic %s", in->op, ZydisMnemonicGetString(zi->mnemonic));
	if (!!(in->flags & INSN_MEM_DST) != (memidx == 0))
		DIFF_FAIL("memory operand position");
	if (!!(in->flags & INSN_LOCK) != !!(zi->attributes & ZYDIS_ATTRIB_HAS_LOCK))
		DIFF_FAIL("lock");
	if (in->op == EMUL_STOS || in->op == EMUL_MOVS) {
		bool zrep = zi->attributes & (ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE);
		bool zrepne = zi->attributes & ZYDIS_ATTRIB_HAS_REPNE;
		if ((in->rep == 0xF3) != zrep || (in->rep == 0xF2) != zrepne)
			DIFF_FAIL("rep %#x", in->rep);
	}
	if (imm && (!(in->flags & INSN_HAS_IMM) || (uint64_t)in->imm != imm->imm.value.u))
		DIFF_FAIL("imm %#llx vs %#llx", (unsigned long long)in->imm,
			  (unsigned long long)imm->imm.value.u);
	if (!imm && (in->flags & INSN_HAS_IMM))
		DIFF_FAIL("unexpected imm");
	if (in->op != EMUL_MOVS && reg) {
		diff_zreg(reg->reg.value, &r);
		if (r.idx != in->reg || r.size != in->reg_width ||
		    r.high != !!(in->flags & INSN_REG_HIGH8))
			DIFF_FAIL("reg %d/%u%s vs %s", in->reg, in->reg_width,
				  (in->flags & INSN_REG_HIGH8) ? "h" : "",
				  ZydisRegisterGetString(reg->reg.value));
	} else if (in->reg != INSN_REG_NONE) {
		DIFF_FAIL("unexpected reg %d", in->reg);
	}
	return diff_mem(in, zi, &ops[memidx], why, whylen);
}

/* First real memory operand (not LEA-style address generation), or -1. */
static inline int diff_memidx(const ZydisDecodedInstruction *zi, const ZydisDecodedOperand *ops)
{
	for (int i = 0; i < zi->operand_count; i++)
		if (ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY &&
		    ops[i].mem.type == ZYDIS_MEMOP_TYPE_MEM)
			return i;
	return -1;
}

/*
 * Decode buf[0..len) with both decoders. On DIFF_MISMATCH, why says what differs.
 * *out gets our decoding and *zi Zydis's (valid when the result is DIFF_MATCH).
 */
static inline int decode_diff(const ZydisDecoder *zd, unsigned mode, const uint8_t *buf, size_t len,
			      struct insn *out, ZydisDecodedInstruction *zi, char *why,
			      size_t whylen)
{
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	int rc = decode_insn(buf, len, mode, out);
	bool zok = ZYAN_SUCCESS(ZydisDecoderDecodeFull(zd, buf, len, zi, ops));
	int memidx = zok ? diff_memidx(zi, ops) : -1;
	bool ours = zok && memidx >= 0 && diff_opcode_ours(zi) &&
		    diff_op(zi->mnemonic, memidx == 0, false) != EMUL_INVALID;

	if (ours && zi->mnemonic == ZYDIS_MNEMONIC_MOVSXD && zi->operand_width == 16) {
		if (rc != -EINVAL)
			DIFF_FAIL("66 63 (MOVSXD r16) must be rejected");
		return DIFF_SKIPPED;
	}
	if (!ours) {
		if (rc == 0)
			DIFF_FAIL("we accept, Zydis %s", zok ? "decodes another form" : "rejects");
		return DIFF_BOTH_REJECT;
	}
	if (rc != 0)
		DIFF_FAIL("we reject (%d), Zydis accepts", rc);
	return diff_fields(out, zi, ops, memidx, why, whylen);
}

#endif
