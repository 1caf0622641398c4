/*
 * hello entry, Multiboot (v1): the header (no flags: ELF load, nothing asked of the loader)
 * and the 32-bit entry: a stack, then hello_main(EAX magic, EBX info).
 */
#define MB1_MAGIC 0x1BADB002
#define MB1_FLAGS 0

	.section .multiboot, "a"
	.balign 4
	.long MB1_MAGIC
	.long MB1_FLAGS
	.long -(MB1_MAGIC + MB1_FLAGS)

#include "guests/hello/start.S"
