/*
 * libFuzzer target for emul/decode.c: arbitrary bytes in all three modes must never crash, and
 * must decode exactly as Zydis does for the supported forms (abort on any disagreement).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/errno.h"
#include "emul/decode.h"
#include "emul/emulate.h"
#include "test/unit/decode_diff.h"

static ZydisDecoder zd64, zd32, zd16;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	ZydisDecoderInit(&zd64, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
	ZydisDecoderInit(&zd32, ZYDIS_MACHINE_MODE_LEGACY_32, ZYDIS_STACK_WIDTH_32);
	ZydisDecoderInit(&zd16, ZYDIS_MACHINE_MODE_LEGACY_16, ZYDIS_STACK_WIDTH_16);
	return 0;
}

/* Fake device and memory: deterministic values, every address accepted. */
static int f_mmio_read(void *o, uint64_t gpa, unsigned width, uint64_t *val)
{
	*val = (gpa * 0x9e3779b97f4a7c15ULL) & (width == 8 ? ~0ULL : (1ULL << (8 * width)) - 1);
	return 0;
}
static int f_mmio_write(void *o, uint64_t gpa, unsigned width, uint64_t val)
{
	if (width < 8 && (val >> (8 * width)))
		abort(); /* the emulator must hand devices clean values */
	return 0;
}
static int f_translate(void *o, uint64_t gva, bool write, uint64_t *gpa)
{
	*gpa = gva;
	return 0;
}
static int f_mem_read(void *o, uint64_t gpa, void *buf, unsigned len)
{
	memset(buf, 0x5a, len);
	return 0;
}
static int f_mem_write(void *o, uint64_t gpa, const void *buf, unsigned len)
{
	return 0;
}

/* Whatever decodes must emulate without undefined behaviour. */
static void emulate(const struct insn *in)
{
	uint64_t regs[16];
	struct emul_ctx c = {.regs = regs,
			     .rip = 0x1000,
			     .rflags = 0x202,
			     .mmio_read = f_mmio_read,
			     .mmio_write = f_mmio_write,
			     .translate = f_translate,
			     .mem_read = f_mem_read,
			     .mem_write = f_mem_write};
	for (unsigned i = 0; i < 16; i++)
		c.regs[i] = 0x0123456789abcdefULL * (i + 1);
	uint64_t amask = in->mem.addr_size == 8 ? ~0ULL : (1ULL << (8 * in->mem.addr_size)) - 1;
	int rc = emul_mmio(&c, in, c.regs[EMUL_RDI] & amask); /* MOVS: the destination faulted */
	if (rc != 0 || (c.rip != 0x1000 + in->length && !in->rep))
		abort();
}

static void check(const ZydisDecoder *zd, unsigned mode, const uint8_t *buf, size_t len)
{
	struct insn in;
	ZydisDecodedInstruction zi;
	char why[160];
	uint64_t regs[16];

	if (decode_diff(zd, mode, buf, len, &in, &zi, why, sizeof(why)) == DIFF_MISMATCH) {
		fprintf(stderr, "mode %u: %s\n", mode, why);
		abort();
	}
	if (decode_insn(buf, len, mode, &in) != 0)
		return;
	/* Every strict prefix of an accepted instruction must ask for more bytes. */
	for (size_t n = 0; n < in.length; n++) {
		struct insn t;
		if (decode_insn(buf, n, mode, &t) != -EFAULT)
			abort();
	}
	memset(regs, 0xa5, sizeof(regs));
	(void)decode_effective_address(&in, regs, 0x1000);
	emulate(&in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Copy so that ASan catches any read past the length we pass. */
	uint8_t *buf = malloc(size ? size : 1);
	memcpy(buf, data, size);
	check(&zd64, 64, buf, size);
	check(&zd32, 32, buf, size);
	check(&zd16, 16, buf, size);
	free(buf);
	return 0;
}
