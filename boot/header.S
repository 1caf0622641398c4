/*
 * Multiboot2 header (Multiboot2 Specification, "Header format"): asks GRUB for
 * a 32-bit protected-mode entry at _start with the memory map in the info, and
 * a framebuffer for the console mirror (drivers/fbcon.c): any mode, optional, so
 * a loader without video still boots us, and EGA text is fine (no console-flags
 * tag: GRUB keeps text mode when gfxpayload=text), and leave to load the image
 * at another address when 2 MiB is taken (relocatable tag; boot/entry.S copes).
 * No EFI-services tag: we want boot services exited.
 */
#define MB2_MAGIC	0xe85250d6
#define MB2_ARCH_I386	0
#define MB2_TAG_OPTIONAL 1
/* relocatable tag: where GRUB may put the image (see linker.ld) */
#define RELOC_MIN	0x200000	/* the link address: taken when free */
#define RELOC_MAX	0xc0000000	/* the image's end below 3 GiB: boot map, AP CR3 */
#define RELOC_ALIGN	0x200000
#define RELOC_PREFER_LOW 1

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
	/* framebuffer (tag 5), optional: width, height, depth 0 = no preference */
	.balign 8
	.short 5, MB2_TAG_OPTIONAL
	.long 20
	.long 0, 0, 0

	/* relocatable (tag 10): min_addr, max_addr, align, preference */
	.balign 8
	.short 10, 0
	.long 24
	.long RELOC_MIN, RELOC_MAX, RELOC_ALIGN, RELOC_PREFER_LOW

	/* module alignment: page-align modules */
	.balign 8
	.short 6, 0
	.long 8

	/* end tag */
	.balign 8
	.short 0, 0
	.long 8
mb2_header_end:
