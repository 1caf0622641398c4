/*
 * Multiboot2 header (Multiboot2 Specification, "Header format"): asks GRUB for
 * a 32-bit protected-mode entry at _start with the memory map in the info.
 * No framebuffer or EFI-services tags: we want boot services exited.
 */
#define MB2_MAGIC	0xe85250d6
#define MB2_ARCH_I386	0

	.section .multiboot2, "a"
	.balign 8
mb2_header:
	.long MB2_MAGIC
	.long MB2_ARCH_I386
	.long mb2_header_end - mb2_header
	.long -(MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))

	/* information request: memory map, EFI memory map, cmdline, modules, ACPI */
	.balign 8
1:	.short 1, 0
	.long 2f - 1b
	.long 1, 3, 6, 14, 15, 17
2:
	/* module alignment: page-align modules */
	.balign 8
	.short 6, 0
	.long 8

	/* end tag */
	.balign 8
	.short 0, 0
	.long 8
mb2_header_end:
