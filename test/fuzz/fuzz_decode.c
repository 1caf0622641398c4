/*
 * libFuzzer target for emul/decode.c: arbitrary bytes in both modes must never crash, and
 * must decode exactly as Zydis does for the supported forms (abort on any disagreement).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/errno.h"
#include "emul/decode.h"
#include "test/unit/decode_diff.h"

static ZydisDecoder zd64, zd32;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	ZydisDecoderInit(&zd64, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
	ZydisDecoderInit(&zd32, ZYDIS_MACHINE_MODE_LEGACY_32, ZYDIS_STACK_WIDTH_32);
	return 0;
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
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Copy so that ASan catches any read past the length we pass. */
	uint8_t *buf = malloc(size ? size : 1);
	memcpy(buf, data, size);
	check(&zd64, 64, buf, size);
	check(&zd32, 32, buf, size);
	free(buf);
	return 0;
}
