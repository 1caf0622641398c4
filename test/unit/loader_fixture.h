/*
 * Shared fixture for the loader's unit tests (test_gmem.c, test_mbheader.c, test_loader.c):
 * a guest of memslots over guarded, poisoned host buffers with checks on them, and byte-by-byte
 * builders of ELF and Multiboot images. Host only; every helper is static inline.
 */
#ifndef TEST_UNIT_LOADER_FIXTURE_H
#define TEST_UNIT_LOADER_FIXTURE_H

#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/types.h"
#include "config/config.h"
#include "mm/memslot.h"

/* ---- a guest over guarded host buffers ---- */

#define GUARD	   4096
#define GUARD_BYTE 0xA5
#define POISON	   0xCC /* fresh guest memory, so zeroing shows */

struct hbuf {
	uint8_t *raw, *mem;
	size_t size;
};

enum { B_RAM0, B_RAM1, B_RAM2, B_SHM, B_SHM_RO, B_ROM, NR_BUFS };

static struct hbuf bufs[NR_BUFS] __attribute__((unused));
static struct memslots ms __attribute__((unused));

#define RAM1_GPA  0x100000ULL
#define RAM2_GPA  0x400000ULL /* [0x200000, 0x400000) is a hole */
#define SHM_GPA	  0xC0000000ULL
#define SHMRO_GPA 0xC0002000ULL
#define MMIO_GPA  0xD0000000ULL
#define PASS_GPA  0xFEC00000ULL
#define ROM_GPA	  0xFFF00000ULL

static inline void buf_alloc(struct hbuf *b, size_t size)
{
	b->raw = malloc(size + 2 * GUARD);
	assert_non_null(b->raw);
	b->mem = b->raw + GUARD;
	b->size = size;
	memset(b->raw, GUARD_BYTE, size + 2 * GUARD);
}

static inline void add_slot(uint64_t gpa_v, uint64_t size, uint64_t hpa_v, enum region_kind kind,
			    uint32_t rights)
{
	struct mem_slot s = {.base_gfn = gpa_to_gfn(gpa(gpa_v)),
			     .npages = size >> PAGE_SHIFT,
			     .hpa = hpa(hpa_v),
			     .kind = kind,
			     .rights = rights};

	assert_int_equal(memslot_add(&ms, &s), 0);
}

static inline void add_buf_slot(int i, uint64_t gpa_v, size_t size, enum region_kind kind,
				uint32_t rights)
{
	buf_alloc(&bufs[i], size);
	add_slot(gpa_v, size, (uint64_t)(uintptr_t)bufs[i].mem, kind, rights);
}

static inline int setup(void **state)
{
	memslots_init(&ms);
	add_buf_slot(B_RAM0, 0, MiB, REGION_RAM, REGION_RWX);
	add_buf_slot(B_RAM1, RAM1_GPA, MiB, REGION_RAM, REGION_RWX);
	add_buf_slot(B_RAM2, RAM2_GPA, 64 * KiB, REGION_RAM, REGION_RWX);
	add_buf_slot(B_SHM, SHM_GPA, 8 * KiB, REGION_SHARED, REGION_R | REGION_W);
	add_buf_slot(B_SHM_RO, SHMRO_GPA, 4 * KiB, REGION_SHARED, REGION_R);
	add_buf_slot(B_ROM, ROM_GPA, 64 * KiB, REGION_ROM, REGION_R | REGION_X);
	/* No host frames behind these: touching them would crash under ASan. */
	add_slot(MMIO_GPA, 8 * KiB, 0, REGION_MMIO_EMUL, REGION_R | REGION_W);
	add_slot(PASS_GPA, 4 * KiB, 0x1000, REGION_MMIO_PASS, REGION_R | REGION_W);
	return 0;
}

static inline void check_guards(void)
{
	for (int i = 0; i < NR_BUFS; i++) {
		struct hbuf *b = &bufs[i];

		for (size_t j = 0; j < GUARD; j++) {
			assert_int_equal(b->raw[j], GUARD_BYTE);
			assert_int_equal(b->mem[b->size + j], GUARD_BYTE);
		}
	}
}

static inline int teardown(void **state)
{
	check_guards();
	for (int i = 0; i < NR_BUFS; i++)
		free(bufs[i].raw);
	return 0;
}

static inline void poison_all(void)
{
	for (int i = 0; i < NR_BUFS; i++)
		memset(bufs[i].mem, POISON, bufs[i].size);
}

/* Host pointer behind a GPA in one of our buffers (test's own translation). */
static inline uint8_t *host(uint64_t a)
{
	static const struct {
		uint64_t gpa;
		int buf;
	} map[] = {
	    {0, B_RAM0},      {RAM1_GPA, B_RAM1},    {RAM2_GPA, B_RAM2},
	    {SHM_GPA, B_SHM}, {SHMRO_GPA, B_SHM_RO}, {ROM_GPA, B_ROM},
	};

	for (unsigned i = 0; i < ARRAY_SIZE(map); i++) {
		const struct hbuf *b = &bufs[map[i].buf];

		if (a >= map[i].gpa && a - map[i].gpa < b->size)
			return b->mem + (a - map[i].gpa);
	}
	fail_msg("GPA 0x%llx is not in a test buffer", (unsigned long long)a);
	return NULL;
}

static inline void assert_guest_bytes(uint64_t a, const uint8_t *want, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (*host(a + i) != want[i])
			fail_msg("GPA 0x%llx: 0x%02x, want 0x%02x", (unsigned long long)(a + i),
				 *host(a + i), want[i]);
}

static inline void assert_guest_fill(uint64_t a, int c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (*host(a + i) != c)
			fail_msg("GPA 0x%llx: 0x%02x, want 0x%02x", (unsigned long long)(a + i),
				 *host(a + i), c);
}

static inline void assert_all_poisoned(void)
{
	for (int i = 0; i < NR_BUFS; i++)
		for (size_t j = 0; j < bufs[i].size; j++)
			if (bufs[i].mem[j] != POISON)
				fail_msg("buffer %d byte 0x%zx written", i, j);
}

/* ---- ELF images built byte by byte ---- */

struct img {
	uint8_t b[0x10000];
	size_t size;
};

static inline void w16(struct img *m, size_t off, uint16_t v)
{
	for (int i = 0; i < 2; i++)
		m->b[off + i] = (uint8_t)(v >> (8 * i));
}

static inline void w32(struct img *m, size_t off, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		m->b[off + i] = (uint8_t)(v >> (8 * i));
}

static inline void w64(struct img *m, size_t off, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		m->b[off + i] = (uint8_t)(v >> (8 * i));
}

static inline uint8_t pattern(size_t i)
{
	return (uint8_t)(i * 13 + 7);
}

/* ELF64 field offsets ("System V ABI", ELF header and program header). */
#define E_TYPE	   16
#define E_MACHINE  18
#define E_ENTRY	   24
#define E64_PHOFF  32
#define E64_PHENT  54
#define E64_PHNUM  56
#define PH64(i)	   (64 + 56 * (i))
#define P64_OFFSET 8
#define P64_PADDR  24
#define P64_FILESZ 32
#define P64_MEMSZ  40
#define E32_PHOFF  28
#define E32_PHENT  42
#define E32_PHNUM  44
#define PH32(i)	   (52 + 32 * (i))
#define P32_OFFSET 4
#define P32_PADDR  12
#define P32_FILESZ 16
#define P32_MEMSZ  20

#define IMG_SIZE 0x1300 /* 4864 */

static inline void ident(struct img *m, uint8_t cls)
{
	static const uint8_t magic[4] = {0x7f, 'E', 'L', 'F'};

	memset(m, 0, sizeof(*m));
	memcpy(m->b, magic, 4);
	m->b[4] = cls;
	m->b[5] = 1; /* little-endian */
	m->b[6] = 1; /* version */
	w32(m, 20, 1);
	for (size_t i = 0x1000; i < IMG_SIZE; i++)
		m->b[i] = pattern(i);
	m->size = IMG_SIZE;
}

static inline void ph64(struct img *m, int i, uint32_t type, uint64_t off, uint64_t paddr,
			uint64_t filesz, uint64_t memsz)
{
	w32(m, PH64(i), type);
	w32(m, PH64(i) + 4, 7);
	w64(m, PH64(i) + P64_OFFSET, off);
	w64(m, PH64(i) + 16, paddr + 0xffffffff80000000ULL); /* vaddr: ignored */
	w64(m, PH64(i) + P64_PADDR, paddr);
	w64(m, PH64(i) + P64_FILESZ, filesz);
	w64(m, PH64(i) + P64_MEMSZ, memsz);
	w64(m, PH64(i) + 48, 0x1000);
}

/*
 * Segment 0: 0x200 bytes at 0xfff00, across the RAM0/RAM1 slot boundary.
 * Segment 1: a PT_NOTE full of nonsense, to be ignored.
 * Segment 2: 0x100 bytes at 0x180000 followed by 0x2f00 bytes of bss.
 */
static inline void elf64(struct img *m)
{
	ident(m, 2);
	w16(m, E_TYPE, 2);
	w16(m, E_MACHINE, 62);
	w64(m, E_ENTRY, 0x100000);
	w64(m, E64_PHOFF, 64);
	w16(m, 52, 64);
	w16(m, E64_PHENT, 56);
	w16(m, E64_PHNUM, 3);
	ph64(m, 0, 1, 0x1000, 0xfff00, 0x200, 0x200);
	ph64(m, 1, 4, 0xffffffff00000000ULL, 0, 0x10000000, 0);
	ph64(m, 2, 1, 0x1200, 0x180000, 0x100, 0x3000);
}

static inline void ph32(struct img *m, int i, uint32_t type, uint32_t off, uint32_t paddr,
			uint32_t filesz, uint32_t memsz)
{
	w32(m, PH32(i), type);
	w32(m, PH32(i) + P32_OFFSET, off);
	w32(m, PH32(i) + 8, paddr);
	w32(m, PH32(i) + P32_PADDR, paddr);
	w32(m, PH32(i) + P32_FILESZ, filesz);
	w32(m, PH32(i) + P32_MEMSZ, memsz);
	w32(m, PH32(i) + 24, 7);
	w32(m, PH32(i) + 28, 0x1000);
}

/* Same layout as elf64(), with the bss segment in the third RAM slot. */
static inline void elf32(struct img *m)
{
	ident(m, 1);
	w16(m, E_TYPE, 2);
	w16(m, E_MACHINE, 3);
	w32(m, E_ENTRY, 0x100010);
	w32(m, E32_PHOFF, 52);
	w16(m, 40, 52);
	w16(m, E32_PHENT, 32);
	w16(m, E32_PHNUM, 3);
	ph32(m, 0, 1, 0x1000, 0xfff00, 0x200, 0x200);
	ph32(m, 1, 0x6474e551, 0, 0, 0, 0); /* PT_GNU_STACK */
	ph32(m, 2, 1, 0x1200, RAM2_GPA + 0x100, 0x100, 0x3000);
}

static inline void check_loaded(const struct img *m, uint64_t bss_gpa)
{
	assert_guest_bytes(0xfff00, m->b + 0x1000, 0x200);
	assert_guest_fill(0xfff00 - 16, POISON, 16);
	assert_guest_fill(0x100100, POISON, 16);
	assert_guest_bytes(bss_gpa, m->b + 0x1200, 0x100);
	assert_guest_fill(bss_gpa + 0x100, 0, 0x2f00);
	assert_guest_fill(bss_gpa + 0x3000, POISON, 16);
	check_guards();
}

/* ---- Multiboot v1 and v2 headers ---- */

static inline void mb1_header(struct img *m, size_t off, uint32_t flags)
{
	w32(m, off, 0x1BADB002u);
	w32(m, off + 4, flags);
	w32(m, off + 8, (uint32_t) - (0x1BADB002u + flags));
}

static inline void mb1_addrs(struct img *m, size_t off, uint32_t header, uint32_t load,
			     uint32_t load_end, uint32_t bss_end, uint32_t entry)
{
	w32(m, off + 12, header);
	w32(m, off + 16, load);
	w32(m, off + 20, load_end);
	w32(m, off + 24, bss_end);
	w32(m, off + 28, entry);
}

static inline void raw_image(struct img *m, size_t size)
{
	memset(m, 0, sizeof(*m));
	for (size_t i = 0; i < size; i++)
		m->b[i] = pattern(i);
	m->size = size;
}

/* A header at @off with @ntags tags of @tag_bytes (each already padded), then the end tag. */
static inline size_t mb2_header(struct img *m, size_t off, uint32_t arch, const uint8_t *tags,
				size_t tag_bytes)
{
	uint32_t len = (uint32_t)(16 + tag_bytes + 8);

	w32(m, off, 0xE85250D6u);
	w32(m, off + 4, arch);
	w32(m, off + 8, len);
	w32(m, off + 12, (uint32_t) - (0xE85250D6u + arch + len));
	if (tag_bytes)
		memcpy(m->b + off + 16, tags, tag_bytes);
	w32(m, off + 16 + tag_bytes, 0); /* end tag: type 0, flags 0 */
	w32(m, off + 16 + tag_bytes + 4, 8);
	return len;
}

/* Little-endian tag bytes in a small array. */
struct tags {
	uint8_t b[256];
	size_t n;
};

static inline void t32(struct tags *t, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		t->b[t->n++] = (uint8_t)(v >> (8 * i));
}

static inline void tag(struct tags *t, uint16_t type, uint16_t flags, uint32_t size)
{
	t32(t, (uint32_t)type | (uint32_t)flags << 16);
	t32(t, size);
}

static inline void tpad(struct tags *t)
{
	while (t->n % 8)
		t->b[t->n++] = 0;
}

#include "test/unit/slurp.h"

#endif
