/*
 * hello entry, Multiboot2: the header (only the end tag: ELF load, nothing asked of the
 * loader) and the same 32-bit entry as the Multiboot (v1) build.
 */
#define MB2_MAGIC 0xE85250D6
#define MB2_ARCH  0 /* i386, protected mode */

	.section .multiboot, "a"
	.balign 8
mb2_header:
	.long MB2_MAGIC
	.long MB2_ARCH
	.long mb2_header_end - mb2_header
	.long -(MB2_MAGIC + MB2_ARCH + (mb2_header_end - mb2_header))
	.word 0, 0 /* end tag: type 0, flags 0, size 8 */
	.long 8
mb2_header_end:

#include "guests/hello/start.S"
