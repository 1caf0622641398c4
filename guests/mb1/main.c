/*
 * mb1: a tiny 32-bit Multiboot (v1) kernel that knows nothing about kestrel. It prints on
 * COM1 what its loader handed it (magic, memory sizes, command line, modules) and leaves
 * through the debug-exit port: status 0 after "MB1 PASS", 1 after "MB1 FAIL <why>".
 */
#include <stdbool.h>
#include <stdint.h>

#define MB1_BOOT_MAGIC	 0x2BADB002
#define MB1_INFO_MEM	 (1u << 0)
#define MB1_INFO_CMDLINE (1u << 2)
#define MB1_INFO_MODS	 (1u << 3)
#define COM1		 0x3F8
#define COM1_LSR	 0x3FD
#define LSR_THRE	 0x20
#define DEBUG_EXIT	 0xF4
#define MOD_PEEK	 8 /* bytes of each module shown */
#define MAX_MODS	 16

struct mb1_info {
	uint32_t flags;
	uint32_t mem_lower, mem_upper; /* KiB below 1 MiB, KiB above 1 MiB */
	uint32_t boot_device;
	uint32_t cmdline;
	uint32_t mods_count, mods_addr;
} __attribute__((packed));

struct mb1_module {
	uint32_t mod_start, mod_end, string, reserved;
} __attribute__((packed));
_Static_assert(sizeof(struct mb1_module) == 16, "Multiboot module entry is 16 bytes");

void mb1_main(uint32_t magic, const struct mb1_info *info);

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

static void putc(char c)
{
	for (int i = 0; i < 100000 && !(inb(COM1_LSR) & LSR_THRE); i++)
		;
	outb(COM1, (uint8_t)c);
}

static void puts(const char *s)
{
	while (*s)
		putc(*s++);
}

static void putdec(uint32_t v)
{
	char buf[11];
	int n = 0;

	do {
		buf[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		putc(buf[--n]);
}

static void puthex(uint32_t v, int digits)
{
	for (int i = digits - 1; i >= 0; i--)
		putc("0123456789abcdef"[(v >> (4 * i)) & 0xF]);
}

static __attribute__((noreturn)) void finish(const char *why)
{
	if (why) {
		puts("MB1 FAIL ");
		puts(why);
		puts("\n");
	} else {
		puts("MB1 PASS\n");
	}
	outb(DEBUG_EXIT, why ? 1 : 0);
	for (;;)
		__asm__ volatile("cli; hlt");
}

static void show_module(uint32_t i, const struct mb1_module *m)
{
	const uint8_t *p = (const uint8_t *)m->mod_start;
	uint32_t size = m->mod_end - m->mod_start;

	puts("MB1 module ");
	putdec(i);
	puts(" \"");
	puts(m->string ? (const char *)m->string : "");
	puts("\" at 0x");
	puthex(m->mod_start, 8);
	puts(" size ");
	putdec(size);
	puts(" bytes");
	for (uint32_t k = 0; k < MOD_PEEK && k < size; k++) {
		putc(' ');
		puthex(p[k], 2);
	}
	puts("\n");
}

void mb1_main(uint32_t magic, const struct mb1_info *info)
{
	if (magic != MB1_BOOT_MAGIC) {
		puts("MB1 magic bad 0x");
		puthex(magic, 8);
		puts("\n");
		finish("magic");
	}
	puts("MB1 magic ok\n");
	if (!(info->flags & MB1_INFO_MEM))
		finish("no memory information");
	puts("MB1 mem_lower ");
	putdec(info->mem_lower);
	puts(" KiB mem_upper ");
	putdec(info->mem_upper);
	puts(" KiB\n");
	puts("MB1 cmdline \"");
	if (info->flags & MB1_INFO_CMDLINE)
		puts((const char *)info->cmdline);
	puts("\"\n");
	puts("MB1 modules ");
	putdec(info->flags & MB1_INFO_MODS ? info->mods_count : 0);
	puts("\n");
	if (info->flags & MB1_INFO_MODS)
		for (uint32_t i = 0; i < info->mods_count && i < MAX_MODS; i++)
			show_module(i, (const struct mb1_module *)info->mods_addr + i);
	finish(0);
}
