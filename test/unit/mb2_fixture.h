/*
 * Shared fixture for the fw/mb2.c unit tests: a little-endian multiboot2 builder
 * independent of the parser's structs, the GRUB BIOS layout, and an exact-length parse.
 */
#ifndef TEST_UNIT_MB2_FIXTURE_H
#define TEST_UNIT_MB2_FIXTURE_H

#include <stdarg.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fw/mb2.h"

/* ---- a little-endian builder, independent of the parser's structs ---- */

struct mb {
	uint8_t buf[16384];
	size_t off, tag;
	size_t last_end; /* unpadded end of the last closed tag */
};

static inline void put8(struct mb *b, uint8_t v)
{
	assert_true(b->off < sizeof(b->buf));
	b->buf[b->off++] = v;
}

static inline void put16(struct mb *b, uint16_t v)
{
	put8(b, (uint8_t)v);
	put8(b, (uint8_t)(v >> 8));
}

static inline void put32(struct mb *b, uint32_t v)
{
	put16(b, (uint16_t)v);
	put16(b, (uint16_t)(v >> 16));
}

static inline void put64(struct mb *b, uint64_t v)
{
	put32(b, (uint32_t)v);
	put32(b, (uint32_t)(v >> 32));
}

static inline void putstr(struct mb *b, const char *s)
{
	do
		put8(b, (uint8_t)*s);
	while (*s++);
}

static inline void poke32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void mb_init(struct mb *b)
{
	memset(b, 0, sizeof(*b));
	b->off = 8;
}

static inline size_t tag_begin(struct mb *b, uint32_t type)
{
	b->tag = b->off;
	put32(b, type);
	put32(b, 0);
	return b->tag;
}

/* Close the open tag with its natural size (or @size when non-zero); pad to 8. */
static inline size_t tag_end_sized(struct mb *b, uint32_t size)
{
	size = size ? size : (uint32_t)(b->off - b->tag);
	poke32(b->buf + b->tag + 4, size);
	b->last_end = b->tag + size;
	while (b->off % 8)
		put8(b, 0);
	return b->off;
}

static inline size_t tag_end(struct mb *b)
{
	return tag_end_sized(b, 0);
}

static inline size_t mb_finish(struct mb *b)
{
	tag_begin(b, 0);
	tag_end(b);
	poke32(b->buf, (uint32_t)b->off);
	return b->off;
}

static inline void string_tag(struct mb *b, uint32_t type, const char *s)
{
	tag_begin(b, type);
	putstr(b, s);
	tag_end(b);
}

static inline void module_tag(struct mb *b, uint32_t start, uint32_t end, const char *s)
{
	tag_begin(b, 3);
	put32(b, start);
	put32(b, end);
	putstr(b, s);
	tag_end(b);
}

static inline void mmap_entry(struct mb *b, uint64_t base, uint64_t len, uint32_t type)
{
	put64(b, base);
	put64(b, len);
	put32(b, type);
	put32(b, 0);
}

static inline void efi_descr(struct mb *b, uint32_t type, uint64_t phys, uint64_t pages)
{
	put32(b, type);
	put32(b, 0);
	put64(b, phys);
	put64(b, 0);
	put64(b, pages);
	put64(b, 0xf); /* attribute: UC|WC|WT|WB */
	put64(b, 0);   /* GRUB's descriptors are 48 bytes: 8 bytes of slack */
}

static inline void rsdp_tag(struct mb *b, uint32_t type, uint8_t rev, unsigned len)
{
	static const char sig[8] = "RSD PTR ";

	tag_begin(b, type);
	for (unsigned i = 0; i < len; i++)
		put8(b, i < 8 ? (uint8_t)sig[i] : i == 15 ? rev : (uint8_t)i);
	tag_end(b);
}

/* ---- parsing an exact-length heap copy ---- */

static struct mb2_info info;
static uint8_t *copy;

static inline int parse_n(const void *buf, size_t len)
{
	free(copy);
	copy = malloc(len ? len : 1);
	assert_non_null(copy);
	memcpy(copy, buf, len);
	return mb2_parse(copy, len, &info);
}

static inline int parse(struct mb *b, size_t len)
{
	return parse_n(b->buf, len);
}

static inline int teardown(void **state)
{
	(void)state;
	free(copy);
	copy = NULL;
	return 0;
}

static inline bool has_error(const char *needle)
{
	for (unsigned i = 0; i < info.nr_errors; i++)
		if (strstr(info.errors[i], needle))
			return true;
	return false;
}

#define assert_error(needle)                                                                       \
	do {                                                                                       \
		if (!has_error(needle)) {                                                          \
			for (unsigned i_ = 0; i_ < info.nr_errors; i_++)                           \
				print_message("  have: %s\n", info.errors[i_]);                    \
			fail_msg("no error containing \"%s\"", needle);                            \
		}                                                                                  \
	} while (0)

static inline void assert_entry(const struct mb2_mmap_entry *e, uint64_t base, uint64_t len,
				uint32_t type)
{
	assert_int_equal(e->base, base);
	assert_int_equal(e->len, len);
	assert_int_equal(e->type, type);
}

/* ---- fixtures ---- */

/* Unpadded tag ends of the BIOS layout, for the truncation test. */
struct bios_offsets {
	size_t cmdline, loader, mod1, mod2, meminfo, mmap, fb, rsdp, total;
};

static inline size_t build_bios(struct mb *b, struct bios_offsets *o)
{
	struct bios_offsets tmp;

	o = o ? o : &tmp;
	mb_init(b);
	string_tag(b, 1, "hv console=com1 loglevel=7");
	o->cmdline = b->last_end;
	string_tag(b, 2, "GRUB 2.06");
	o->loader = b->last_end;
	module_tag(b, 0x200000, 0x280000, "linux root=/dev/sda1 console=ttyS0");
	o->mod1 = b->last_end;
	module_tag(b, 0x300000, 0x300000, "initrd");
	o->mod2 = b->last_end;
	tag_begin(b, 4);
	put32(b, 639);
	put32(b, 2096000);
	tag_end(b);
	o->meminfo = b->last_end;
	tag_begin(b, 6);
	put32(b, 24);
	put32(b, 0);
	mmap_entry(b, 0, 0x9fc00, 1);
	mmap_entry(b, 0x9fc00, 0x400, 2);
	mmap_entry(b, 0xf0000, 0x10000, 2);
	mmap_entry(b, 0x100000, 0x7fee0000, 1);
	mmap_entry(b, 0x7ffe0000, 0x20000, 3);
	mmap_entry(b, 0xfffc0000, 0x40000, 2);
	mmap_entry(b, 0x100000000ULL, 0x80000000ULL, 1);
	tag_end(b);
	o->mmap = b->last_end;
	tag_begin(b, 8);
	put64(b, 0xfd000000);
	put32(b, 4096);
	put32(b, 1024);
	put32(b, 768);
	put8(b, 32);
	put8(b, 1);
	put16(b, 0);
	put8(b, 16), put8(b, 8), put8(b, 8), put8(b, 8), put8(b, 0), put8(b, 8);
	tag_end(b);
	o->fb = b->last_end;
	rsdp_tag(b, 14, 0, 20);
	o->rsdp = b->last_end;
	o->total = mb_finish(b);
	return o->total;
}

#endif /* TEST_UNIT_MB2_FIXTURE_H */
