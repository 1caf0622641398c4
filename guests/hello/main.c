/*
 * hello: the smallest kernel to try `make run KERNEL=...` with (Multiboot v1 or v2, 32-bit).
 * It prints a line on COM1 and leaves through the debug-exit port 0xF4, like a test kernel
 * written for QEMU's isa-debug-exit. A word of its command line picks another ending:
 *   (none)  write 0 to 0xF4       fail   write 1 to 0xF4
 *   fault   triple fault          halt   cli; hlt with nothing to wake it
 */
#include <stdint.h>

#define MB1_BOOT_MAGIC	 0x2BADB002
#define MB2_BOOT_MAGIC	 0x36D76289
#define MB1_INFO_CMDLINE (1u << 2)
#define MB2_TAG_CMDLINE	 1
#define COM1		 0x3F8
#define COM1_LSR	 0x3FD
#define LSR_THRE	 0x20
#define DEBUG_EXIT	 0xF4

void hello_main(uint32_t magic, uint32_t info);

static void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}
static uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static void puts(const char *s)
{
	for (; *s; s++) {
		for (int i = 0; i < 100000 && !(inb(COM1_LSR) & LSR_THRE); i++)
			;
		outb(COM1, (uint8_t)*s);
	}
}

/* The command line from either protocol's boot information, or "". */
static const char *cmdline(uint32_t magic, uint32_t info)
{
	const uint32_t *p = (const uint32_t *)info;

	if (magic == MB1_BOOT_MAGIC && (p[0] & MB1_INFO_CMDLINE))
		return (const char *)p[4];
	if (magic == MB2_BOOT_MAGIC)
		for (uint32_t off = 8; off + 8 <= p[0]; off += (p[off / 4 + 1] + 7) & ~7u) {
			if (p[off / 4] == MB2_TAG_CMDLINE)
				return (const char *)(info + off + 8);
			if (p[off / 4] == 0 || p[off / 4 + 1] < 8)
				break;
		}
	return "";
}

/* @word appears in @s as a whole space-separated word. */
static int has_word(const char *s, const char *word)
{
	for (const char *p = s; *p; p++) {
		const char *a = p, *b = word;

		if (p != s && p[-1] != ' ')
			continue;
		while (*b && *a == *b)
			a++, b++;
		if (!*b && (*a == ' ' || *a == '\0'))
			return 1;
	}
	return 0;
}

/* No IDT: the next exception cannot be delivered, which is a triple fault. */
static void triple_fault(void)
{
	static const struct __attribute__((packed)) {
		uint16_t limit;
		uint32_t base;
	} none = {0, 0};

	__asm__ volatile("lidt %0; int3" : : "m"(none));
}

void hello_main(uint32_t magic, uint32_t info)
{
	const char *cmd = cmdline(magic, info);

	puts(magic == MB2_BOOT_MAGIC   ? "hello from my kernel (multiboot2)\n"
	     : magic == MB1_BOOT_MAGIC ? "hello from my kernel (multiboot)\n"
				       : "hello from my kernel (no multiboot magic)\n");
	if (has_word(cmd, "fault")) {
		puts("hello: triple fault\n");
		triple_fault();
	}
	if (has_word(cmd, "halt")) {
		puts("hello: halting\n");
		for (;;)
			__asm__ volatile("cli; hlt");
	}
	puts(has_word(cmd, "fail") ? "hello: exit 1\n" : "hello: exit 0\n");
	outb(DEBUG_EXIT, has_word(cmd, "fail") ? 1 : 0);
	for (;;)
		__asm__ volatile("cli; hlt");
}
