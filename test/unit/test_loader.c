/*
 * Unit tests for loader/loader.c's ELF loading: ELF64/ELF32 images built byte by byte (valid, and
 * every malformed variant with its exact message), and the real guest ELFs when built.
 * Loading by Multiboot header (loader_load_image) is tested in test_mbheader.c.
 */
#include <dirent.h>

#include "lib/errno.h"
#include "loader/loader.h"

#include "loader_fixture.h"

/* ---- ELF loading ---- */

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

/* ---- real images, when built ---- */

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
	s = (struct mem_slot){.base_gfn = gfn(0),
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_elf64_load),	   cmocka_unit_test(test_elf32_load),
	    cmocka_unit_test(test_elf_malformed),  cmocka_unit_test(test_elf_address_overflow),
	    cmocka_unit_test(test_elf_err_buffer), cmocka_unit_test(test_real_guests),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
