/*
 * x86 instruction decoder for MMIO emulation: one instruction from a byte buffer into a
 * struct insn. Covers only the memory-operand forms compilers emit for device access
 * (MOV family, string stores/moves, ALU with memory, XCHG, BT family). Pure and host-buildable.
 */
#ifndef EMUL_DECODE_H
#define EMUL_DECODE_H

#include "lib/types.h"

#define INSN_MAX_LEN  15 /* architectural limit, prefixes included */
#define INSN_REG_NONE (-1)
#define INSN_MODE_64  64 /* long mode, 64-bit code segment */
#define INSN_MODE_32  32 /* protected mode (or compatibility mode), 32-bit code segment */
#define INSN_MODE_16  16 /* 16-bit code: real mode, virtual-8086 mode, or a CS with D clear */

/* What the instruction does to its memory operand. */
enum emul_op {
	EMUL_INVALID = 0,
	EMUL_MOV_LOAD,	/* reg <- mem: 8A 8B A0 A1 */
	EMUL_MOV_STORE, /* mem <- reg: 88 89 A2 A3, 0F C3 (MOVNTI) */
	EMUL_STORE_IMM, /* mem <- imm: C6 /0, C7 /0 */
	EMUL_MOVZX,	/* reg <- zero-extended mem: 0F B6, 0F B7 */
	EMUL_MOVSX,	/* reg <- sign-extended mem: 0F BE, 0F BF, 63 (MOVSXD) */
	EMUL_STOS,	/* ES:[rDI] <- rAX: AA AB */
	EMUL_MOVS,	/* ES:[rDI] <- seg:[rSI]: A4 A5 */
	/* ALU: the order matches the /reg field of the 80/81/83 group. */
	EMUL_ADD,
	EMUL_OR,
	EMUL_ADC,
	EMUL_SBB,
	EMUL_AND,
	EMUL_SUB,
	EMUL_XOR,
	EMUL_CMP,
	EMUL_TEST, /* 84 85, F6 /0 /1, F7 /0 /1 */
	EMUL_XCHG, /* 86 87 */
	/* Bit tests: the order matches the /reg field (4-7) of 0F BA. */
	EMUL_BT,
	EMUL_BTS,
	EMUL_BTR,
	EMUL_BTC,
};

/* Segment registers, in the order of their encoding. */
enum insn_seg {
	INSN_SEG_ES = 0,
	INSN_SEG_CS,
	INSN_SEG_SS,
	INSN_SEG_DS,
	INSN_SEG_FS,
	INSN_SEG_GS,
	INSN_SEG_NONE = 0xff,
};

/* The memory operand: effective address = base + index * scale + disp (+ rIP), truncated to
 * addr_size bytes. For A0-A3 (moffs) disp holds the zero-extended absolute offset. */
struct insn_mem {
	int64_t disp;	   /* sign-extended displacement */
	int8_t base;	   /* 0-15 in encoding order, or INSN_REG_NONE */
	int8_t index;	   /* 0-15, or INSN_REG_NONE */
	uint8_t scale;	   /* 1, 2, 4 or 8 */
	uint8_t seg;	   /* effective segment (override or default), enum insn_seg */
	uint8_t addr_size; /* 2, 4 or 8 bytes */
	bool rip_relative; /* base is the address of the next instruction */
};

/* insn.flags */
#define INSN_MEM_DST   BIT(0) /* the memory operand is written (or is the ALU destination) */
#define INSN_HAS_IMM   BIT(1) /* imm is the source operand instead of reg */
#define INSN_REG_HIGH8 BIT(2) /* reg 0-3 names AH CH DH BH */
#define INSN_LOCK      BIT(3) /* F0 prefix (only where architecturally legal) */

struct insn {
	struct insn_mem
	    mem;	/* for MOVS: the destination ES:[rDI]; the source is seg_override:[rSI] */
	int64_t imm;	/* sign-extended from its encoded size as the CPU does (0F BA: unsigned) */
	uint8_t length; /* bytes, prefixes included */
	uint8_t op;	/* enum emul_op */
	uint8_t width;	/* bytes accessed at the memory operand: 1, 2, 4 or 8 */
	uint8_t reg_width; /* bytes of the register operand (0 when none); MOVZX/MOVSX dest size */
	int8_t reg;	   /* register operand 0-15 (RAX..R15), or INSN_REG_NONE */
	uint8_t flags;	   /* INSN_* above */
	uint8_t rep;	   /* 0, 0xF3 (REP/REPE) or 0xF2 (REPNE); last one wins */
	uint8_t seg_override; /* explicit segment prefix that takes effect, or INSN_SEG_NONE */
	uint8_t mode;	      /* INSN_MODE_64, INSN_MODE_32 or INSN_MODE_16 */
};

/*
 * Decode one instruction from buf[0..len) in @mode (INSN_MODE_64, _32 or _16: the code
 * segment's default operand and address size, which 66 and 67 switch between 16 and 32).
 * Returns 0 and fills *out; -EFAULT when the instruction continues past @len (more bytes
 * would be needed); -EINVAL when it is invalid, longer than 15 bytes, has no memory operand,
 * or is not one of the supported forms (e.g. LOCK where the CPU raises #UD).
 * @pre out != NULL; buf readable for len bytes.
 */
int decode_insn(const uint8_t *buf, size_t len, unsigned mode, struct insn *out);

/*
 * Effective address (offset within the segment, no segment base) of the memory operand,
 * given the general registers in encoding order and the address of the next instruction.
 */
uint64_t decode_effective_address(const struct insn *in, const uint64_t regs[16],
				  uint64_t rip_after);

#endif
