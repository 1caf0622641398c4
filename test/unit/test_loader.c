/*
 * Unit tests for vm/loader.c: the guest memory accessor over memslots backed by guarded
 * host buffers, ELF64/ELF32 images built byte by byte here (valid, and every malformed
 * variant with its exact message), Multiboot v1/v2 header scans, the a.out kludge and the
 * address tag, and the real guest ELFs when they have been built.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <cmocka.h>

#include "lib/errno.h"
#include "vm/loader.h"

/* ---- a guest over guarded host buffers ---- */

#define GUARD	   4096
#define GUARD_BYTE 0xA5
#define POISON	   0xCC /* fresh guest memory, so zeroing shows */

struct hbuf {
	uint8_t *raw, *mem;
	size_t size;
};

enum { B_RAM0, B_RAM1, B_RAM2, B_SHM, B_SHM_RO, B_ROM, NR_BUFS };

static struct hbuf bufs[NR_BUFS];
static struct memslots ms;

#define RAM1_GPA  0x100000ULL
#define RAM2_GPA  0x400000ULL /* [0x200000, 0x400000) is a hole */
#define SHM_GPA	  0xC0000000ULL
#define SHMRO_GPA 0xC0002000ULL
#define MMIO_GPA  0xD0000000ULL
#define PASS_GPA  0xFEC00000ULL
#define ROM_GPA	  0xFFF00000ULL

static void buf_alloc(struct hbuf *b, size_t size)
{
	b->raw = malloc(size + 2 * GUARD);
	assert_non_null(b->raw);
	b->mem = b->raw + GUARD;
	b->size = size;
	memset(b->raw, GUARD_BYTE, size + 2 * GUARD);
}

static void add_slot(uint64_t gpa_v, uint64_t size, uint64_t hpa_v, enum region_kind kind,
		     uint32_t rights)
{
	struct mem_slot s = {.base_gfn = gpa_v >> PAGE_SHIFT,
			     .npages = size >> PAGE_SHIFT,
			     .hpa = hpa(hpa_v),
			     .kind = kind,
			     .rights = rights};

	assert_int_equal(memslot_add(&ms, &s), 0);
}

static void add_buf_slot(int i, uint64_t gpa_v, size_t size, enum region_kind kind, uint32_t rights)
{
	buf_alloc(&bufs[i], size);
	add_slot(gpa_v, size, (uint64_t)(uintptr_t)bufs[i].mem, kind, rights);
}

static int setup(void **state)
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

static void check_guards(void)
{
	for (int i = 0; i < NR_BUFS; i++) {
		struct hbuf *b = &bufs[i];

		for (size_t j = 0; j < GUARD; j++) {
			assert_int_equal(b->raw[j], GUARD_BYTE);
			assert_int_equal(b->mem[b->size + j], GUARD_BYTE);
		}
	}
}

static int teardown(void **state)
{
	check_guards();
	for (int i = 0; i < NR_BUFS; i++)
		free(bufs[i].raw);
	return 0;
}

static void poison_all(void)
{
	for (int i = 0; i < NR_BUFS; i++)
		memset(bufs[i].mem, POISON, bufs[i].size);
}

/* Host pointer behind a GPA in one of our buffers (test's own translation). */
static uint8_t *host(uint64_t a)
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

static void assert_guest_bytes(uint64_t a, const uint8_t *want, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (*host(a + i) != want[i])
			fail_msg("GPA 0x%llx: 0x%02x, want 0x%02x", (unsigned long long)(a + i),
				 *host(a + i), want[i]);
}

static void assert_guest_fill(uint64_t a, int c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (*host(a + i) != c)
			fail_msg("GPA 0x%llx: 0x%02x, want 0x%02x", (unsigned long long)(a + i),
				 *host(a + i), c);
}

static void assert_all_poisoned(void)
{
	for (int i = 0; i < NR_BUFS; i++)
		for (size_t j = 0; j < bufs[i].size; j++)
			if (bufs[i].mem[j] != POISON)
				fail_msg("buffer %d byte 0x%zx written", i, j);
}

/* ---- gmem ---- */

static void test_gmem_cross_slots(void **state)
{
	uint8_t src[64], back[64];

	poison_all();
	for (unsigned i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 3 + 1);
	assert_int_equal(gmem_write(&ms, gpa(RAM1_GPA - 20), src, sizeof(src)), 0);
	assert_memory_equal(bufs[B_RAM0].mem + MiB - 20, src, 20);
	assert_memory_equal(bufs[B_RAM1].mem, src + 20, 44);
	assert_int_equal(bufs[B_RAM0].mem[MiB - 21], POISON);
	assert_int_equal(bufs[B_RAM1].mem[44], POISON);
	assert_int_equal(gmem_read(&ms, gpa(RAM1_GPA - 20), back, sizeof(back)), 0);
	assert_memory_equal(back, src, sizeof(src));
	assert_int_equal(gmem_zero(&ms, gpa(RAM1_GPA - 4), 8), 0);
	assert_guest_fill(RAM1_GPA - 4, 0, 8);
	assert_guest_bytes(RAM1_GPA - 20, src, 16);
	assert_guest_bytes(RAM1_GPA + 4, src + 24, 40);
	assert_int_equal(gmem_write(&ms, gpa(0x123), src, 0), 0);
	assert_int_equal(gmem_write(&ms, gpa(0x40000000), src, 0), 0); /* nothing to check */
}

static void test_gmem_faults_write_nothing(void **state)
{
	uint8_t src[32] = {1, 2, 3}, back[32];

	poison_all();
	/* runs from RAM into the hole: nothing at all is written */
	assert_int_equal(gmem_write(&ms, gpa(2 * MiB - 8), src, sizeof(src)), -EFAULT);
	assert_int_equal(gmem_zero(&ms, gpa(2 * MiB - 8), 9), -EFAULT);
	assert_int_equal(gmem_write(&ms, gpa(RAM2_GPA - 1), src, 2), -EFAULT);
	/* ROM: not for the guest; emulated and passthrough MMIO: never */
	assert_int_equal(gmem_write(&ms, gpa(ROM_GPA), src, 4), -EFAULT);
	assert_int_equal(gmem_zero(&ms, gpa(ROM_GPA), 4), -EFAULT);
	assert_int_equal(gmem_write_kinds(&ms, gpa(MMIO_GPA), src, 4, GMEM_BACKED), -EFAULT);
	assert_int_equal(gmem_write_kinds(&ms, gpa(PASS_GPA), src, 4, ~0u), -EFAULT);
	assert_int_equal(gmem_read_kinds(&ms, gpa(PASS_GPA), back, 4, ~0u), -EFAULT);
	assert_int_equal(gmem_read(&ms, gpa(MMIO_GPA + 0x100), back, 4), -EFAULT);
	/* read-only shared memory refuses guest writes, not the loader's */
	assert_int_equal(gmem_write(&ms, gpa(SHMRO_GPA), src, 4), -EFAULT);
	/* the range wraps the address space */
	assert_int_equal(gmem_write(&ms, gpa(UINT64_MAX - 3), src, 8), -EFAULT);
	assert_int_equal(gmem_write_kinds(&ms, gpa(0x10), src, 4, GMEM_ROM), -EFAULT);
	assert_false(gmem_covered(&ms, gpa(0), UINT64_MAX, GMEM_BACKED));
	assert_all_poisoned();
}

static void test_gmem_rom_and_shared(void **state)
{
	uint8_t src[16] = "kestrel rom!", back[16];

	poison_all();
	assert_int_equal(
	    gmem_write_kinds(&ms, gpa(ROM_GPA + 0x10), src, sizeof(src), GMEM_RAM | GMEM_ROM), 0);
	assert_memory_equal(bufs[B_ROM].mem + 0x10, src, sizeof(src));
	assert_int_equal(gmem_read(&ms, gpa(ROM_GPA + 0x10), back, sizeof(back)), 0);
	assert_memory_equal(back, src, sizeof(src));
	/* shared memory slots are separate: the write stops at the end of SHM */
	assert_int_equal(gmem_write(&ms, gpa(SHM_GPA + 8 * KiB - 8), src, 8), 0);
	assert_memory_equal(bufs[B_SHM].mem + 8 * KiB - 8, src, 8);
	/* adjacent shared slots: RW then RO */
	assert_int_equal(gmem_write(&ms, gpa(SHM_GPA + 8 * KiB - 8), src, 16), -EFAULT);
	assert_int_equal(gmem_write_kinds(&ms, gpa(SHM_GPA + 8 * KiB - 8), src, 16, GMEM_SHARED),
			 0);
	assert_memory_equal(bufs[B_SHM_RO].mem, src + 8, 8);
	assert_true(gmem_covered(&ms, gpa(0), 2 * MiB, GMEM_RAM));
	assert_false(gmem_covered(&ms, gpa(0), 2 * MiB + 1, GMEM_RAM));
	assert_false(gmem_covered(&ms, gpa(ROM_GPA), 1, GMEM_RAM));
	check_guards();
}

/* ---- ELF images built byte by byte ---- */

struct img {
	uint8_t b[0x10000];
	size_t size;
};

static void w16(struct img *m, size_t off, uint16_t v)
{
	for (int i = 0; i < 2; i++)
		m->b[off + i] = (uint8_t)(v >> (8 * i));
}

static void w32(struct img *m, size_t off, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		m->b[off + i] = (uint8_t)(v >> (8 * i));
}

static void w64(struct img *m, size_t off, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		m->b[off + i] = (uint8_t)(v >> (8 * i));
}

static uint8_t pattern(size_t i)
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

static void ident(struct img *m, uint8_t cls)
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

static void ph64(struct img *m, int i, uint32_t type, uint64_t off, uint64_t paddr, uint64_t filesz,
		 uint64_t memsz)
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
static void elf64(struct img *m)
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

static void ph32(struct img *m, int i, uint32_t type, uint32_t off, uint32_t paddr, uint32_t filesz,
		 uint32_t memsz)
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
static void elf32(struct img *m)
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

static void check_loaded(const struct img *m, uint64_t bss_gpa)
{
	assert_guest_bytes(0xfff00, m->b + 0x1000, 0x200);
	assert_guest_fill(0xfff00 - 16, POISON, 16);
	assert_guest_fill(0x100100, POISON, 16);
	assert_guest_bytes(bss_gpa, m->b + 0x1200, 0x100);
	assert_guest_fill(bss_gpa + 0x100, 0, 0x2f00);
	assert_guest_fill(bss_gpa + 0x3000, POISON, 16);
	check_guards();
}

static void test_elf64_load(void **state)
{
	static struct img m;
	struct load_result r;
	char err[LOADER_ERR_LEN] = "junk";

	elf64(&m);
	poison_all();
	assert_int_equal(loader_load_elf(&ms, m.b, m.size, &r, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(r.entry, 0x100000);
	assert_int_equal(r.lo.v, 0xfff00);
	assert_int_equal(r.end.v, 0x183000);
	assert_int_equal(r.bits, 64);
	assert_false(r.align_modules);
	check_loaded(&m, 0x180000);
}

static void test_elf32_load(void **state)
{
	static struct img m;
	struct load_result r;

	elf32(&m);
	poison_all();
	assert_int_equal(loader_load_elf(&ms, m.b, m.size, &r, NULL, 0), 0);
	assert_int_equal(r.entry, 0x100010);
	assert_int_equal(r.lo.v, 0xfff00);
	assert_int_equal(r.end.v, RAM2_GPA + 0x3100);
	assert_int_equal(r.bits, 32);
	check_loaded(&m, RAM2_GPA + 0x100);
}

/* ---- malformed ELF: each variant, its return and its exact message ---- */

struct bad_elf {
	void (*build)(struct img *);
	void (*mutate)(struct img *);
	int ret;
	const char *msg;
};

static void m_magic(struct img *m)
{
	m->b[1] = 'e';
}
static void m_tiny(struct img *m)
{
	m->size = 3;
}
static void m_ident_short(struct img *m)
{
	m->size = 10;
}
static void m_hdr_short(struct img *m)
{
	m->size = 40;
}
static void m_class(struct img *m)
{
	m->b[4] = 3;
}
static void m_data(struct img *m)
{
	m->b[5] = 2;
}
static void m_version(struct img *m)
{
	m->b[6] = 0;
}
static void m_type(struct img *m)
{
	w16(m, E_TYPE, 3);
}
static void m_mach386(struct img *m)
{
	w16(m, E_MACHINE, 3);
}
static void m_mach64(struct img *m)
{
	w16(m, E_MACHINE, 62);
}
static void m_phent(struct img *m)
{
	w16(m, E64_PHENT, 40);
}
static void m_phent32(struct img *m)
{
	w16(m, E32_PHENT, 56);
}
static void m_phnum0(struct img *m)
{
	w16(m, E64_PHNUM, 0);
}
static void m_phnum_big(struct img *m)
{
	w16(m, E64_PHNUM, 200);
}
static void m_phoff_end(struct img *m)
{
	w64(m, E64_PHOFF, IMG_SIZE - 100);
}
static void m_phoff_wrap(struct img *m)
{
	w64(m, E64_PHOFF, 0xfffffffffffffff0ULL);
}
static void m_phtab_cut(struct img *m)
{
	m->size = PH64(2) + 20;
}
static void m_phoff32_end(struct img *m)
{
	w32(m, E32_PHOFF, IMG_SIZE - 40);
}
static void m_seg_end(struct img *m)
{
	w64(m, PH64(2) + P64_OFFSET, IMG_SIZE - 0x10);
}
static void m_seg_wrap(struct img *m)
{
	w64(m, PH64(0) + P64_OFFSET, 0xffffffffffffff00ULL);
}
static void m_filesz(struct img *m)
{
	w64(m, PH64(2) + P64_MEMSZ, 0x80);
}
static void m_filesz_empty(struct img *m)
{
	w64(m, PH64(2) + P64_MEMSZ, 0);
}
static void m_addr_wrap(struct img *m)
{
	w64(m, PH64(0) + P64_PADDR, 0xfffffffffffff000ULL);
	w64(m, PH64(0) + P64_MEMSZ, 0x2000);
}
static void m_addr_wrap32(struct img *m)
{
	w32(m, PH32(2) + P32_PADDR, 0xfffff000u);
}
static void m_hole(struct img *m)
{
	w64(m, PH64(2) + P64_PADDR, 0x1f0000);
	w64(m, PH64(2) + P64_MEMSZ, 0x20000);
}
static void m_rom(struct img *m)
{
	w64(m, PH64(2) + P64_PADDR, ROM_GPA);
}
static void m_mmio32(struct img *m)
{
	w32(m, PH32(2) + P32_PADDR, (uint32_t)MMIO_GPA);
}
static void m_shm(struct img *m)
{
	w64(m, PH64(2) + P64_PADDR, SHM_GPA);
}
static void m_overlap(struct img *m)
{
	w64(m, PH64(2) + P64_PADDR, 0xfff80);
}
static void m_noload(struct img *m)
{
	w32(m, PH64(0), 4);
	w32(m, PH64(2), 4);
}

static const struct bad_elf bad_elves[] = {
    {elf64, m_magic, -EINVAL, "not an ELF image (bad magic)"},
    {elf64, m_tiny, -EINVAL, "not an ELF image (bad magic)"},
    {elf64, m_ident_short, -EINVAL, "ELF: header truncated (image of 10 bytes)"},
    {elf64, m_hdr_short, -EINVAL, "ELF: header truncated (image of 40 bytes, need 64)"},
    {elf32, m_hdr_short, -EINVAL, "ELF: header truncated (image of 40 bytes, need 52)"},
    {elf64, m_class, -EINVAL, "ELF: bad class 3"},
    {elf64, m_data, -ENOTSUP, "ELF: data encoding 2 is not little-endian"},
    {elf64, m_version, -EINVAL, "ELF: bad version 0"},
    {elf64, m_type, -ENOTSUP, "ELF: type 3 is not an executable (ET_EXEC)"},
    {elf64, m_mach386, -ENOTSUP, "ELF: machine 3 is not x86-64"},
    {elf32, m_mach64, -ENOTSUP, "ELF: machine 62 is not i386"},
    {elf64, m_phent, -EINVAL, "ELF: e_phentsize 40, expected 56"},
    {elf32, m_phent32, -EINVAL, "ELF: e_phentsize 56, expected 32"},
    {elf64, m_phnum0, -EINVAL, "ELF: no program headers"},
    {elf64, m_phnum_big, -ENOTSUP, "ELF: 200 program headers, at most 128 supported"},
    {elf64, m_phoff_end, -EINVAL,
     "ELF: program header table runs past the end of the image (size 4864)"},
    {elf64, m_phoff_wrap, -EINVAL,
     "ELF: program header table runs past the end of the image (size 4864)"},
    {elf64, m_phtab_cut, -EINVAL,
     "ELF: program header table runs past the end of the image (size 196)"},
    {elf32, m_phoff32_end, -EINVAL,
     "ELF: program header table runs past the end of the image (size 4864)"},
    {elf64, m_seg_end, -EINVAL,
     "ELF: segment 2 file range [0x12f0+0x100) runs past the end of the image (size 4864)"},
    {elf64, m_seg_wrap, -EINVAL,
     "ELF: segment 0 file range [0xffffffffffffff00+0x200) runs past the end of the image "
     "(size 4864)"},
    {elf64, m_filesz, -EINVAL, "ELF: segment 2 has filesz 0x100 > memsz 0x80"},
    {elf64, m_filesz_empty, -EINVAL, "ELF: segment 2 has filesz 0x100 > memsz 0x0"},
    {elf64, m_addr_wrap, -EINVAL,
     "ELF: segment 0 [0xfffffffffffff000+0x2000) overflows the 64-bit address space"},
    {elf32, m_addr_wrap32, -EINVAL,
     "ELF: segment 2 [0xfffff000+0x3000) overflows the 32-bit address space"},
    {elf64, m_hole, -EFAULT, "ELF: segment 2 [0x1f0000+0x20000) lies outside guest RAM"},
    {elf64, m_rom, -EFAULT, "ELF: segment 2 [0xfff00000+0x3000) lies outside guest RAM"},
    {elf32, m_mmio32, -EFAULT, "ELF: segment 2 [0xd0000000+0x3000) lies outside guest RAM"},
    {elf64, m_shm, -EFAULT, "ELF: segment 2 [0xc0000000+0x3000) lies outside guest RAM"},
    {elf64, m_overlap, -EINVAL, "ELF: segment 2 [0xfff80+0x3000) overlaps segment 0"},
    {elf64, m_noload, -EINVAL, "ELF: no loadable segment"},
};

static void test_elf_malformed(void **state)
{
	static struct img m;

	for (unsigned i = 0; i < ARRAY_SIZE(bad_elves); i++) {
		const struct bad_elf *t = &bad_elves[i];
		struct load_result r = {.entry = 0x5a5a};
		char err[LOADER_ERR_LEN];
		int ret;

		t->build(&m);
		t->mutate(&m);
		poison_all();
		ret = loader_load_elf(&ms, m.b, m.size, &r, err, sizeof(err));
		if (ret != t->ret || strcmp(err, t->msg))
			fail_msg("case %u: got %d \"%s\", want %d \"%s\"", i, ret, err, t->ret,
				 t->msg);
		assert_int_equal(r.entry, 0x5a5a); /* out untouched */
		assert_all_poisoned();		   /* checked whole before copying */
		/* the exact buffer: ASan catches any read past the image */
		uint8_t *copy = malloc(m.size ? m.size : 1);

		memcpy(copy, m.b, m.size);
		assert_int_equal(loader_load_elf(&ms, copy, m.size, &r, NULL, 0), t->ret);
		free(copy);
	}
}

static void test_elf_address_overflow(void **state)
{
	static struct img m;
	struct load_result r;
	char err[LOADER_ERR_LEN];

	/* paddr + memsz wraps 64 bits (memsz enormous) */
	elf64(&m);
	w64(&m, PH64(2) + P64_PADDR, 0x180000);
	w64(&m, PH64(2) + P64_MEMSZ, UINT64_MAX - 0x1000);
	poison_all();
	assert_int_equal(loader_load_elf(&ms, m.b, m.size, &r, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "ELF: segment 2 [0x180000+0xffffffffffffefff) overflows the "
				 "64-bit address space");
	assert_all_poisoned();
}

static void test_elf_err_buffer(void **state)
{
	static struct img m;
	struct load_result r;
	char err[12];

	elf64(&m);
	m_hole(&m);
	memset(err, 'x', sizeof(err));
	assert_int_equal(loader_load_elf(&ms, m.b, m.size, &r, err, sizeof(err)), -EFAULT);
	assert_string_equal(err, "ELF: segmen"); /* truncated, terminated */
	assert_int_equal(loader_load_elf(&ms, NULL, 100, &r, err, sizeof(err)), -EINVAL);
	assert_int_equal(loader_load_elf(&ms, m.b, 0, &r, NULL, 0), -EINVAL);
}

/* ---- Multiboot v1 header and the a.out kludge ---- */

static void mb1_header(struct img *m, size_t off, uint32_t flags)
{
	w32(m, off, 0x1BADB002u);
	w32(m, off + 4, flags);
	w32(m, off + 8, (uint32_t) - (0x1BADB002u + flags));
}

static void mb1_addrs(struct img *m, size_t off, uint32_t header, uint32_t load, uint32_t load_end,
		      uint32_t bss_end, uint32_t entry)
{
	w32(m, off + 12, header);
	w32(m, off + 16, load);
	w32(m, off + 20, load_end);
	w32(m, off + 24, bss_end);
	w32(m, off + 28, entry);
}

static void raw_image(struct img *m, size_t size)
{
	memset(m, 0, sizeof(*m));
	for (size_t i = 0; i < size; i++)
		m->b[i] = pattern(i);
	m->size = size;
}

static void test_mb1_scan(void **state)
{
	static struct img m;
	struct mb1_header_info h;

	raw_image(&m, 0x4000);
	assert_int_equal(loader_find_mb1_header(m.b, m.size, &h), -ENOENT);
	mb1_header(&m, 0x1002, 0x3); /* misaligned */
	assert_int_equal(loader_find_mb1_header(m.b, m.size, &h), -ENOENT);
	mb1_header(&m, 8192, 0x3); /* past the search area */
	assert_int_equal(loader_find_mb1_header(m.b, m.size, &h), -ENOENT);
	mb1_header(&m, 0x800, 0x3);
	w32(&m, 0x808, 0);		/* bad checksum: not a header */
	mb1_header(&m, 8192 - 12, 0x3); /* the last place it may be */
	assert_int_equal(loader_find_mb1_header(m.b, m.size, &h), 0);
	assert_int_equal(h.offset, 8192 - 12);
	assert_int_equal(h.flags, 0x3);
	assert_false(h.has_addrs);
	assert_int_equal(loader_find_mb1_header(m.b, 8192 - 1, &h), -ENOENT); /* cut */
	mb1_header(&m, 0x40, 0x7 | BIT(20)); /* video and an unknown optional bit: fine */
	assert_int_equal(loader_find_mb1_header(m.b, m.size, &h), 0);
	assert_int_equal(h.offset, 0x40);
	mb1_header(&m, 0x40, 0x1 | BIT(3)); /* unknown required bit */
	assert_int_equal(loader_find_mb1_header(m.b, m.size, &h), -ENOTSUP);
	assert_int_equal(h.flags, 0x9);
	mb1_header(&m, 0x40, BIT(15));
	assert_int_equal(loader_find_mb1_header(m.b, m.size, &h), -ENOTSUP);
	mb1_header(&m, 0x40, BIT(16));
	mb1_addrs(&m, 0x40, 0x100040, 0x100000, 0x102000, 0x103000, 0x100080);
	assert_int_equal(loader_find_mb1_header(m.b, m.size, &h), 0);
	assert_true(h.has_addrs);
	assert_int_equal(h.addrs.header_addr, 0x100040);
	assert_int_equal(h.addrs.load_addr, 0x100000);
	assert_int_equal(h.addrs.load_end_addr, 0x102000);
	assert_int_equal(h.addrs.bss_end_addr, 0x103000);
	assert_int_equal(h.entry_addr, 0x100080);
	assert_int_equal(loader_find_mb1_header(m.b, 0x40 + 31, &h), -EINVAL);
	raw_image(&m, 0x4000);
	mb1_header(&m, 8192 - 16, BIT(16)); /* address fields would cross 8192 */
	assert_int_equal(loader_find_mb1_header(m.b, m.size, &h), -EINVAL);
}

static void test_mb1_aout_load(void **state)
{
	static struct img m;
	struct load_result r;
	char err[LOADER_ERR_LEN];

	raw_image(&m, 0x3000);
	mb1_header(&m, 0x40, BIT(16) | BIT(0) | BIT(1));
	mb1_addrs(&m, 0x40, 0x100040, 0x100000, 0x102800, 0x105000, 0x100080);
	poison_all();
	assert_int_equal(loader_load_image(&ms, BOOT_MULTIBOOT1, m.b, m.size, &r, err, sizeof(err)),
			 0);
	assert_int_equal(r.entry, 0x100080);
	assert_int_equal(r.lo.v, 0x100000);
	assert_int_equal(r.end.v, 0x105000);
	assert_int_equal(r.bits, 32);
	assert_true(r.align_modules);
	assert_guest_bytes(0x100000, m.b, 0x2800);
	assert_guest_fill(0x102800, 0, 0x2800);
	assert_guest_fill(0x105000, POISON, 64);
	assert_guest_fill(0xfffc0, POISON, 64);

	/* load_end 0: the whole file; no bss; header deeper in the file than header-load */
	raw_image(&m, 0x1800);
	mb1_header(&m, 0x1000, BIT(16));
	mb1_addrs(&m, 0x1000, 0x180800, 0x180000, 0, 0, 0x180000);
	poison_all();
	assert_int_equal(loader_load_image(&ms, BOOT_MULTIBOOT1, m.b, m.size, &r, err, sizeof(err)),
			 0);
	assert_int_equal(r.lo.v, 0x180000);
	assert_int_equal(r.end.v, 0x181000);
	assert_guest_bytes(0x180000, m.b + 0x800, 0x1000);
	assert_guest_fill(0x181000, POISON, 64);
	check_guards();
}

struct bad_aout {
	uint32_t header, load, load_end, bss_end;
	int ret;
	const char *msg;
};

static void test_mb1_aout_bad(void **state)
{
	static const struct bad_aout cases[] = {
	    {0x100040, 0x100050, 0, 0, -EINVAL,
	     "multiboot: load_addr 0x100050 above header_addr 0x100040"},
	    {0x100040, 0xf0000, 0, 0, -EINVAL,
	     "multiboot: load_addr 0xf0000 lies before the start of the image"},
	    {0x100040, 0x100000, 0xff000, 0, -EINVAL,
	     "multiboot: load_end_addr 0xff000 below load_addr 0x100000"},
	    {0x100040, 0x100000, 0x104000, 0, -EINVAL,
	     "multiboot: segment 0 file range [0x0+0x4000) runs past the end of the image "
	     "(size 12288)"},
	    {0x100040, 0x100000, 0x102000, 0x101000, -EINVAL,
	     "multiboot: bss_end_addr 0x101000 below the end of the file 0x102000"},
	    {0x1f0040, 0x1f0000, 0, 0x220000, -EFAULT,
	     "multiboot: segment 0 [0x1f0000+0x30000) lies outside guest RAM"},
	    {0xfffff040, 0xfffff000, 0, 0, -EINVAL,
	     "multiboot: segment 0 [0xfffff000+0x3000) overflows the 32-bit address space"},
	};
	static struct img m;

	for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct bad_aout *c = &cases[i];
		struct load_result r;
		char err[LOADER_ERR_LEN];
		int ret;

		raw_image(&m, 0x3000);
		mb1_header(&m, 0x40, BIT(16));
		mb1_addrs(&m, 0x40, c->header, c->load, c->load_end, c->bss_end, c->load);
		poison_all();
		ret = loader_load_image(&ms, BOOT_MULTIBOOT1, m.b, m.size, &r, err, sizeof(err));
		if (ret != c->ret || strcmp(err, c->msg))
			fail_msg("case %u: got %d \"%s\", want %d \"%s\"", i, ret, err, c->ret,
				 c->msg);
		assert_all_poisoned();
	}
}

static void test_mb1_elf(void **state)
{
	static struct img m;
	struct load_result r;
	char err[LOADER_ERR_LEN];

	elf32(&m);
	mb1_header(&m, 0x1010, 0x2); /* inside segment 0's file bytes */
	poison_all();
	assert_int_equal(loader_load_image(&ms, BOOT_MULTIBOOT1, m.b, m.size, &r, err, sizeof(err)),
			 0);
	assert_int_equal(r.entry, 0x100010);
	assert_false(r.align_modules);
	check_loaded(&m, RAM2_GPA + 0x100);

	elf32(&m);
	assert_int_equal(loader_load_image(&ms, BOOT_MULTIBOOT1, m.b, m.size, &r, err, sizeof(err)),
			 -ENOENT);
	assert_string_equal(err, "multiboot: no header in the first 8192 bytes");
	mb1_header(&m, 0x1010, 0x10);
	assert_int_equal(loader_load_image(&ms, BOOT_MULTIBOOT1, m.b, m.size, &r, err, sizeof(err)),
			 -ENOTSUP);
	assert_string_equal(err,
			    "multiboot: header at +0x1010 requires unsupported features (flags "
			    "0x00000010)");
	mb1_header(&m, 0x1010, 0);
	w16(&m, E_MACHINE, 0x28); /* ARM */
	assert_int_equal(loader_load_image(&ms, BOOT_MULTIBOOT1, m.b, m.size, &r, err, sizeof(err)),
			 -ENOTSUP);
	assert_string_equal(err, "ELF: machine 40 is not i386");
	assert_int_equal(
	    loader_load_image(&ms, (enum boot_proto)7, m.b, m.size, &r, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "unknown boot protocol 7");
}

/* ---- Multiboot2 header ---- */

/* A header at @off with @ntags tags of @tag_bytes (each already padded), then the end tag. */
static size_t mb2_header(struct img *m, size_t off, uint32_t arch, const uint8_t *tags,
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

static void t32(struct tags *t, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		t->b[t->n++] = (uint8_t)(v >> (8 * i));
}

static void tag(struct tags *t, uint16_t type, uint16_t flags, uint32_t size)
{
	t32(t, (uint32_t)type | (uint32_t)flags << 16);
	t32(t, size);
}

static void tpad(struct tags *t)
{
	while (t->n % 8)
		t->b[t->n++] = 0;
}

static void test_mb2_scan(void **state)
{
	static struct img m;
	struct mb2_header_info h;
	struct tags t = {.n = 0};

	raw_image(&m, 0x9000);
	assert_int_equal(loader_find_mb2_header(m.b, m.size, &h), -ENOENT);
	mb2_header(&m, 0x1004, 0, NULL, 0); /* 4- but not 8-aligned */
	assert_int_equal(loader_find_mb2_header(m.b, m.size, &h), -ENOENT);
	mb2_header(&m, 32768, 0, NULL, 0); /* past the search area */
	assert_int_equal(loader_find_mb2_header(m.b, m.size, &h), -ENOENT);
	mb2_header(&m, 32768 - 24, 0, NULL, 0); /* the last place it fits */
	assert_int_equal(loader_find_mb2_header(m.b, m.size, &h), 0);
	assert_int_equal(h.offset, 32768 - 24);
	assert_int_equal(h.length, 24);
	assert_false(h.has_addrs || h.has_entry || h.align_modules);
	mb2_header(&m, 0x800, 4, NULL, 0); /* MIPS */
	assert_int_equal(loader_find_mb2_header(m.b, m.size, &h), -ENOTSUP);
	assert_int_equal(h.bad_tag, 0);
	assert_int_equal(h.bad_value, 4);
	w32(&m, 0x80c, 0); /* bad checksum: skipped */
	assert_int_equal(loader_find_mb2_header(m.b, m.size, &h), 0);
	assert_int_equal(h.offset, 32768 - 24);

	/* information request for ours (required) and for VBE (optional) */
	raw_image(&m, 0x2000);
	tag(&t, 1, 0, 8 + 12);
	t32(&t, 1), t32(&t, 6), t32(&t, 3);
	tpad(&t);
	tag(&t, 1, 1, 8 + 4);
	t32(&t, 7);
	tpad(&t);
	tag(&t, 6, 0, 8);  /* module alignment */
	tag(&t, 5, 1, 20); /* framebuffer, optional */
	t32(&t, 0), t32(&t, 0), t32(&t, 0);
	tpad(&t);
	tag(&t, 3, 0, 12); /* entry address */
	t32(&t, 0x100040);
	tpad(&t);
	tag(&t, 10, 0, 24); /* relocatable */
	t32(&t, 0), t32(&t, 0), t32(&t, 0), t32(&t, 0);
	mb2_header(&m, 0x100, 0, t.b, t.n);
	assert_int_equal(loader_find_mb2_header(m.b, m.size, &h), 0);
	assert_true(h.align_modules);
	assert_true(h.has_entry);
	assert_int_equal(h.entry_addr, 0x100040);
	assert_false(h.has_addrs);

	/* required framebuffer; required request for VBE info; unknown required tag */
	t.n = 0;
	tag(&t, 5, 0, 20);
	t32(&t, 0), t32(&t, 0), t32(&t, 0);
	tpad(&t);
	mb2_header(&m, 0x100, 0, t.b, t.n);
	assert_int_equal(loader_find_mb2_header(m.b, m.size, &h), -ENOTSUP);
	assert_int_equal(h.bad_tag, 5);
	t.n = 0;
	tag(&t, 1, 0, 16);
	t32(&t, 4), t32(&t, 7);
	mb2_header(&m, 0x100, 0, t.b, t.n);
	assert_int_equal(loader_find_mb2_header(m.b, m.size, &h), -ENOTSUP);
	assert_int_equal(h.bad_tag, 1);
	assert_int_equal(h.bad_value, 7);
	t.n = 0;
	tag(&t, 42, 1, 8); /* unknown, optional: fine */
	tag(&t, 42, 0, 8);
	mb2_header(&m, 0x100, 0, t.b, t.n);
	assert_int_equal(loader_find_mb2_header(m.b, m.size, &h), -ENOTSUP);
	assert_int_equal(h.bad_tag, 42);
}

static void test_mb2_malformed(void **state)
{
	static struct img m;
	struct mb2_header_info h;
	struct tags t = {.n = 0};
	size_t len;

	raw_image(&m, 0x2000);
	tag(&t, 3, 0, 12);
	t32(&t, 0x100040);
	tpad(&t);
	len = mb2_header(&m, 0x100, 0, t.b, t.n);
	assert_int_equal(loader_find_mb2_header(m.b, m.size, &h), 0);
	assert_int_equal(loader_find_mb2_header(m.b, 0x100 + len - 1, &h), -EINVAL); /* cut */
	w32(&m, 0x100 + 16 + 4, 9999); /* tag runs past header_length */
	assert_int_equal(loader_find_mb2_header(m.b, m.size, &h), -EINVAL);
	w32(&m, 0x100 + 16 + 4, 4); /* tag smaller than its header */
	assert_int_equal(loader_find_mb2_header(m.b, m.size, &h), -EINVAL);
	w32(&m, 0x100 + 16 + 4, 8); /* entry tag too small for its field */
	assert_int_equal(loader_find_mb2_header(m.b, m.size, &h), -EINVAL);
	/* no end tag: the last tag is not type 0 */
	raw_image(&m, 0x2000);
	len = mb2_header(&m, 0x100, 0, NULL, 0);
	w32(&m, 0x100 + 16, 6);
	assert_int_equal(loader_find_mb2_header(m.b, m.size, &h), -EINVAL);
	/* header_length too small for the end tag */
	raw_image(&m, 0x2000);
	w32(&m, 0x100, 0xE85250D6u);
	w32(&m, 0x104, 0);
	w32(&m, 0x108, 16);
	w32(&m, 0x10c, (uint32_t) - (0xE85250D6u + 16));
	assert_int_equal(loader_find_mb2_header(m.b, m.size, &h), -EINVAL);
}

static void test_mb2_load(void **state)
{
	static struct img m;
	struct load_result r;
	struct tags t = {.n = 0};
	char err[LOADER_ERR_LEN];

	/* ELF with an entry address tag: loaded as ELF, entered at the tag's address */
	elf64(&m);
	tag(&t, 3, 0, 12);
	t32(&t, 0xfff10);
	tpad(&t);
	tag(&t, 6, 1, 8);
	mb2_header(&m, 0x1000, 0, t.b, t.n);
	poison_all();
	assert_int_equal(loader_load_image(&ms, BOOT_MULTIBOOT2, m.b, m.size, &r, err, sizeof(err)),
			 0);
	assert_int_equal(r.entry, 0xfff10);
	assert_int_equal(r.bits, 64);
	assert_true(r.align_modules);
	check_loaded(&m, 0x180000);

	/* address tag with load_addr -1: from the start of the file */
	raw_image(&m, 0x2000);
	t.n = 0;
	tag(&t, 2, 0, 24);
	t32(&t, 0x100800), t32(&t, 0xffffffffu), t32(&t, 0), t32(&t, 0x104000);
	tag(&t, 3, 0, 12);
	t32(&t, 0x100900);
	tpad(&t);
	mb2_header(&m, 0x800, 0, t.b, t.n);
	poison_all();
	assert_int_equal(loader_load_image(&ms, BOOT_MULTIBOOT2, m.b, m.size, &r, err, sizeof(err)),
			 0);
	assert_int_equal(r.entry, 0x100900);
	assert_int_equal(r.lo.v, 0x100000);
	assert_int_equal(r.end.v, 0x104000);
	assert_int_equal(r.bits, 32);
	assert_guest_bytes(0x100000, m.b, 0x2000);
	assert_guest_fill(0x102000, 0, 0x2000);
	assert_guest_fill(0x104000, POISON, 16);

	/* address tag without entry tag */
	raw_image(&m, 0x2000);
	t.n = 0;
	tag(&t, 2, 0, 24);
	t32(&t, 0x100800), t32(&t, 0x100000), t32(&t, 0), t32(&t, 0);
	mb2_header(&m, 0x800, 0, t.b, t.n);
	poison_all();
	assert_int_equal(loader_load_image(&ms, BOOT_MULTIBOOT2, m.b, m.size, &r, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "multiboot2: address tag without an entry address tag");
	assert_all_poisoned();
}

static void test_mb2_load_errors(void **state)
{
	static struct img m;
	struct load_result r;
	struct tags t = {.n = 0};
	char err[LOADER_ERR_LEN];

	elf64(&m);
	poison_all();
	assert_int_equal(loader_load_image(&ms, BOOT_MULTIBOOT2, m.b, m.size, &r, err, sizeof(err)),
			 -ENOENT);
	assert_string_equal(err, "multiboot2: no header in the first 32768 bytes");
	/* a 64-bit entry cannot be reached from the 32-bit Multiboot state */
	mb2_header(&m, 0x1000, 0, NULL, 0);
	w64(&m, E_ENTRY, 0xffffffff80100000ULL);
	assert_int_equal(loader_load_image(&ms, BOOT_MULTIBOOT2, m.b, m.size, &r, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "multiboot2: entry point 0xffffffff80100000 is above 4 GiB");
	mb2_header(&m, 0x1000, 4, NULL, 0);
	assert_int_equal(loader_load_image(&ms, BOOT_MULTIBOOT2, m.b, m.size, &r, err, sizeof(err)),
			 -ENOTSUP);
	assert_string_equal(err, "multiboot2: header at +0x1000 is for architecture 4, not i386");
	tag(&t, 1, 0, 12);
	t32(&t, 8);
	tpad(&t);
	mb2_header(&m, 0x1000, 0, t.b, t.n);
	assert_int_equal(loader_load_image(&ms, BOOT_MULTIBOOT2, m.b, m.size, &r, err, sizeof(err)),
			 -ENOTSUP);
	assert_string_equal(err, "multiboot2: header at +0x1000 requires boot information type 8, "
				 "which we do not give");
	t.n = 0;
	tag(&t, 5, 0, 20);
	t32(&t, 0), t32(&t, 0), t32(&t, 0);
	tpad(&t);
	mb2_header(&m, 0x1000, 0, t.b, t.n);
	assert_int_equal(loader_load_image(&ms, BOOT_MULTIBOOT2, m.b, m.size, &r, err, sizeof(err)),
			 -ENOTSUP);
	assert_string_equal(err, "multiboot2: header at +0x1000 requires unsupported tag type 5");
	w32(&m, 0x1000 + 16 + 4, 4000);
	assert_int_equal(loader_load_image(&ms, BOOT_MULTIBOOT2, m.b, m.size, &r, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "multiboot2: header at +0x1000 is malformed");
	assert_all_poisoned();
}

/* ---- real images, when built ---- */

static uint8_t *slurp(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	p = malloc(n > 0 ? (size_t)n : 1);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*size = (size_t)n;
	return p;
}

static uint64_t rd(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* Check each PT_LOAD landed, reading the program headers independently. */
static void check_real_segments(const uint8_t *img, const uint8_t *ram)
{
	bool is64 = img[4] == 2;
	uint64_t phoff = rd(img + (is64 ? 32 : 28), is64 ? 8 : 4);
	unsigned phnum = (unsigned)rd(img + (is64 ? 56 : 44), 2);

	for (unsigned i = 0; i < phnum; i++) {
		const uint8_t *ph = img + phoff + i * (is64 ? 56 : 32);
		uint64_t off = is64 ? rd(ph + 8, 8) : rd(ph + 4, 4);
		uint64_t pa = is64 ? rd(ph + 24, 8) : rd(ph + 12, 4);
		uint64_t fs = is64 ? rd(ph + 32, 8) : rd(ph + 16, 4);
		uint64_t msz = is64 ? rd(ph + 40, 8) : rd(ph + 20, 4);

		if (rd(ph, 4) != 1)
			continue;
		assert_memory_equal(ram + pa, img + off, fs);
		for (uint64_t j = fs; j < msz; j++)
			assert_int_equal(ram[pa + j], 0);
	}
}

static void test_real_guests(void **state)
{
	const size_t ram_size = 128 * MiB;
	struct memslots big;
	struct mem_slot s;
	unsigned loaded = 0;
	uint8_t *ram = malloc(ram_size);
	DIR *d = opendir("build/guests");
	struct dirent *e;

	assert_non_null(ram);
	memslots_init(&big);
	s = (struct mem_slot){.base_gfn = 0,
			      .npages = ram_size >> PAGE_SHIFT,
			      .hpa = hpa((uint64_t)(uintptr_t)ram),
			      .kind = REGION_RAM,
			      .rights = REGION_RWX};
	assert_int_equal(memslot_add(&big, &s), 0);
	while (d && (e = readdir(d))) {
		char path[512], err[LOADER_ERR_LEN];
		size_t n = strlen(e->d_name), size;
		struct load_result r;
		struct mb2_header_info h;
		struct mb1_header_info h1;
		unsigned protos = 0;
		uint8_t *img;

		if (n < 4 || strcmp(e->d_name + n - 4, ".elf"))
			continue;
		snprintf(path, sizeof(path), "build/guests/%s", e->d_name);
		img = slurp(path, &size);
		assert_non_null(img);
		memset(ram, POISON, ram_size);
		if (loader_load_elf(&big, img, size, &r, err, sizeof(err)))
			fail_msg("%s: %s", path, err);
		assert_true(r.lo.v < r.end.v && r.end.v <= ram_size);
		check_real_segments(img, ram);
		if (loader_find_mb2_header(img, size, &h) == 0) {
			assert_int_equal(loader_load_image(&big, BOOT_MULTIBOOT2, img, size, &r,
							   err, sizeof(err)),
					 0);
			assert_true(r.entry >= r.lo.v && r.entry < r.end.v);
			protos++;
		}
		if (loader_find_mb1_header(img, size, &h1) == 0) {
			assert_int_equal(loader_load_image(&big, BOOT_MULTIBOOT1, img, size, &r,
							   err, sizeof(err)),
					 0);
			assert_true(r.entry >= r.lo.v && r.entry < r.end.v);
			protos++;
		}
		assert_true(protos > 0); /* every guest speaks one of them */
		printf("    loaded %s: [0x%llx, 0x%llx) entry 0x%llx, ELF%u\n", path,
		       (unsigned long long)r.lo.v, (unsigned long long)r.end.v,
		       (unsigned long long)r.entry, r.bits);
		free(img);
		loaded++;
	}
	if (d)
		closedir(d);
	free(ram);
	if (!loaded)
		skip(); /* guests not built */
}

/*
 * The hypervisor's own image carries the Multiboot2 header GRUB boots it by. It asks
 * GRUB for information a guest is not given (ACPI), so as a guest it is refused.
 */
static void test_hv_header(void **state)
{
	struct mb2_header_info h;
	size_t size;
	uint8_t *img = slurp("build/hv.elf", &size);
	int ret;

	if (!img)
		skip();
	ret = loader_find_mb2_header(img, size, &h);
	free(img);
	assert_true(ret == 0 || (ret == -ENOTSUP && h.bad_tag == 1));
	assert_int_equal(h.arch, 0);
	assert_int_equal(h.offset % 8, 0);
	assert_true(h.length >= 24 && h.offset + h.length <= 32768);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_gmem_cross_slots),
	    cmocka_unit_test(test_gmem_faults_write_nothing),
	    cmocka_unit_test(test_gmem_rom_and_shared),
	    cmocka_unit_test(test_elf64_load),
	    cmocka_unit_test(test_elf32_load),
	    cmocka_unit_test(test_elf_malformed),
	    cmocka_unit_test(test_elf_address_overflow),
	    cmocka_unit_test(test_elf_err_buffer),
	    cmocka_unit_test(test_mb1_scan),
	    cmocka_unit_test(test_mb1_aout_load),
	    cmocka_unit_test(test_mb1_aout_bad),
	    cmocka_unit_test(test_mb1_elf),
	    cmocka_unit_test(test_mb2_scan),
	    cmocka_unit_test(test_mb2_malformed),
	    cmocka_unit_test(test_mb2_load),
	    cmocka_unit_test(test_mb2_load_errors),
	    cmocka_unit_test(test_real_guests),
	    cmocka_unit_test(test_hv_header),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
