/*
 * Unit tests for loader/linux.c's refusals: every malformed setup header, bad reserved range,
 * part that does not fit guest RAM or meets a reserved range, and a map too large for the
 * zero page, each with its return, its exact message, untouched guest memory and results,
 * and an exact-size copy of the image so ASan sees any read past its end.
 */
#include "lib/errno.h"
#include "loader/loader.h"

#include "linux_fixture.h"

#define MB16 (16 * MiB)

static const struct vm_region ram16[] = {R_RAM(0, MB16)};

struct bad {
	const char *name;
	void (*mutate)(struct bz *, struct linux_boot *);
	int ret;
	const char *msg;
};

#define MUT(n, ...)                                                                                \
	static void n(struct bz *z, struct linux_boot *lb)                                         \
	{                                                                                          \
		__VA_ARGS__;                                                                       \
	}

MUT(m_tiny, z->size = 0x100)
MUT(m_short, z->size = 0x207)
MUT(m_null, lb->image = NULL)
MUT(m_flag, bw(z, 0x1FE, 0x1234, 2))
MUT(m_magic, z->b[0x202] = 'h')
MUT(m_v203, bw(z, 0x206, 0x0203, 2))
MUT(m_v205, bw(z, 0x206, 0x0205, 2))
MUT(m_hdr_past, z->size = 0x260)
MUT(m_hdr_short, z->b[0x201] = 0x30)
MUT(m_hdr_short206, bw(z, 0x206, 0x0206, 2); z->b[0x201] = 0x38)
MUT(m_zimage, bw(z, 0x211, 0x00, 1))
MUT(m_zimage_heap, bw(z, 0x211, 0x80, 1))
MUT(m_sects, bw(z, 0x1F1, 200, 1))
MUT(m_sects_all, bw(z, 0x1F1, 28, 1))
MUT(m_syssize0, bw(z, 0x1F4, 0, 4))
MUT(m_syssize_big, bw(z, 0x1F4, 0x301, 4))
MUT(m_cut, z->size = BZ_SIZE - 1)
MUT(m_align3, bw(z, 0x230, 0x300000, 4))
MUT(m_align0, bw(z, 0x230, 0, 4))
MUT(m_init_small, bw(z, 0x260, 0x2FFF, 4))
MUT(m_init0, bw(z, 0x260, 0, 4))
MUT(m_cmdline, bw(z, 0x238, 3, 4); lb->cmdline = "ro quiet")
MUT(m_nr_res, lb->nr_reserved = 5)
MUT(m_res_empty, lb->nr_reserved = 1; lb->reserved[0] = (struct linux_range){0x1000, 0, 2})
MUT(m_res_wrap, lb->nr_reserved = 1;
    lb->reserved[0] = (struct linux_range){0xFFFFFFFFFFFFF000ULL, 0x2000, 2})
MUT(m_res_type1, lb->nr_reserved = 1; lb->reserved[0] = (struct linux_range){0xE0000, 4096, 1})
MUT(m_res_type6, lb->nr_reserved = 1; lb->reserved[0] = (struct linux_range){0xE0000, 4096, 6})
MUT(m_res_overlap, lb->nr_reserved = 2; lb->reserved[0] = (struct linux_range){0xE0000, 0x10000, 3};
    lb->reserved[1] = (struct linux_range){0xE8000, 0x1000, 2})
MUT(m_rsdp, lb->rsdp = 0x2000000)
MUT(m_rsdp_edge, lb->rsdp = MB16 - 16)
MUT(m_res_kernel, lb->nr_reserved = 1;
    lb->reserved[0] = (struct linux_range){0x2FF000, 0x1000, E820_ACPI})
MUT(m_res_zp, lb->nr_reserved = 1; lb->reserved[0] = (struct linux_range){0x7FFF, 1, 2})
MUT(m_res_gdt, lb->nr_reserved = 1; lb->reserved[0] = (struct linux_range){0x801F, 1, 4})
MUT(m_res_cmd, lb->nr_reserved = 1; lb->reserved[0] = (struct linux_range){0x20000, 1, 2})
MUT(m_init_big, bw(z, 0x260, 0x1000000, 4))
MUT(m_pref_4g, bw(z, 0x258, 0x100000000ULL, 8))
MUT(m_kend_4g, bw(z, 0x258, 0xFFF00000ULL, 8); bw(z, 0x260, 0x200000, 4))
MUT(m_code32_low, bw(z, 0x234, 0, 1); bw(z, 0x214, 0x10000, 4))
MUT(m_code32_high, bw(z, 0x234, 0, 1); bw(z, 0x214, 0x2000000, 4))

static const struct bad bads[] = {
    {"tiny", m_tiny, -EINVAL, "bzImage: image of 256 bytes is too small for a setup header"},
    {"short", m_short, -EINVAL, "bzImage: image of 519 bytes is too small for a setup header"},
    {"null", m_null, -EINVAL, "bzImage: image of 0 bytes is too small for a setup header"},
    {"flag", m_flag, -EINVAL, "bzImage: boot flag 0x1234 at 0x1fe is not 0xaa55"},
    {"magic", m_magic, -EINVAL, "bzImage: no \"HdrS\" signature at 0x202 (not a bzImage)"},
    {"v2.03", m_v203, -ENOTSUP,
     "bzImage: boot protocol 2.03 is older than 2.06, the oldest kestrel loads"},
    {"v2.05", m_v205, -ENOTSUP,
     "bzImage: boot protocol 2.05 is older than 2.06, the oldest kestrel loads"},
    {"hdr-past", m_hdr_past, -EINVAL,
     "bzImage: setup header ends at 0x26c, past the end of the image (608 bytes)"},
    {"hdr-short", m_hdr_short, -EINVAL,
     "bzImage: setup header ends at 0x232, short of 0x264 for protocol 2.15"},
    {"hdr-short-2.06", m_hdr_short206, -EINVAL,
     "bzImage: setup header ends at 0x23a, short of 0x23c for protocol 2.06"},
    {"zimage", m_zimage, -ENOTSUP,
     "bzImage: loadflags 0x00 lack LOADED_HIGH: a zImage, which kestrel does not load"},
    {"zimage-heap", m_zimage_heap, -ENOTSUP,
     "bzImage: loadflags 0x80 lack LOADED_HIGH: a zImage, which kestrel does not load"},
    {"setup-sects", m_sects, -EINVAL,
     "bzImage: setup of 200 sectors runs past the end of the image (14848 bytes)"},
    {"setup-all", m_sects_all, -EINVAL,
     "bzImage: protected-mode kernel truncated: syssize says 0x3000 bytes, the image has 0x0 "
     "after the setup"},
    {"syssize0", m_syssize0, -EINVAL, "bzImage: syssize is 0: no protected-mode kernel"},
    {"syssize-big", m_syssize_big, -EINVAL,
     "bzImage: protected-mode kernel truncated: syssize says 0x3010 bytes, the image has "
     "0x3000 after the setup"},
    {"cut", m_cut, -EINVAL,
     "bzImage: protected-mode kernel truncated: syssize says 0x3000 bytes, the image has "
     "0x2fff after the setup"},
    {"align3", m_align3, -EINVAL, "bzImage: kernel_alignment 0x300000 is not a power of two"},
    {"align0", m_align0, -EINVAL, "bzImage: kernel_alignment 0x0 is not a power of two"},
    {"init-small", m_init_small, -EINVAL,
     "bzImage: init_size 0x2fff is smaller than the protected-mode kernel (0x3000 bytes)"},
    {"init0", m_init0, -EINVAL,
     "bzImage: init_size 0x0 is smaller than the protected-mode kernel (0x3000 bytes)"},
    {"cmdline", m_cmdline, -E2BIG,
     "bzImage: command line of 8 characters is longer than the kernel's cmdline_size 3"},
    {"nr-reserved", m_nr_res, -EINVAL, "bzImage: 5 reserved ranges, at most 4"},
    {"res-empty", m_res_empty, -EINVAL, "bzImage: reserved range 0 [0x1000+0x0) is empty or wraps"},
    {"res-wrap", m_res_wrap, -EINVAL,
     "bzImage: reserved range 0 [0xfffffffffffff000+0x2000) is empty or wraps"},
    {"res-type1", m_res_type1, -EINVAL, "bzImage: reserved range 0 has e820 type 1 (2..5 allowed)"},
    {"res-type6", m_res_type6, -EINVAL, "bzImage: reserved range 0 has e820 type 6 (2..5 allowed)"},
    {"res-overlap", m_res_overlap, -EINVAL, "bzImage: reserved range 1 overlaps reserved range 0"},
    {"rsdp", m_rsdp, -EFAULT, "bzImage: RSDP at 0x2000000 is not in guest RAM or ROM"},
    {"rsdp-edge", m_rsdp_edge, -EFAULT, "bzImage: RSDP at 0xfffff0 is not in guest RAM or ROM"},
    {"res-kernel", m_res_kernel, -EBUSY,
     "bzImage: kernel area [0x100000, 0x300000) overlaps reserved range 0"},
    {"res-zero-page", m_res_zp, -EBUSY,
     "bzImage: zero page [0x7000, 0x8000) overlaps reserved range 0"},
    {"res-gdt", m_res_gdt, -EBUSY, "bzImage: GDT [0x8000, 0x8020) overlaps reserved range 0"},
    {"res-cmdline", m_res_cmd, -EBUSY,
     "bzImage: command line [0x20000, 0x20001) overlaps reserved range 0"},
    {"init-big", m_init_big, -EFAULT,
     "bzImage: kernel area [0x100000, 0x1200000) is not all guest RAM"},
    {"pref-4g", m_pref_4g, -EFAULT,
     "bzImage: runtime start 0x100000000 is above 4 GiB (the 32-bit entry runs with paging "
     "off)"},
    {"kend-4g", m_kend_4g, -EFAULT,
     "bzImage: kernel area [0x100000, 0x100100000) ends above 4 GiB"},
    {"code32-low", m_code32_low, -ENOTSUP,
     "bzImage: non-relocatable kernel at code32_start 0x10000, below 1 MiB"},
    {"code32-high", m_code32_high, -EFAULT,
     "bzImage: kernel area [0x200000, 0x2100000) is not all guest RAM"},
};

/* Run one refusal: exact return and message, nothing written, results untouched. */
static void expect_refusal(const char *name, const struct bz *z, const struct linux_boot *in,
			   int want_ret, const char *want_msg)
{
	struct linux_boot lb = *in;
	char err[LOADER_ERR_LEN];
	uint8_t *copy;
	int ret;

	lb.entry = 0x5a5a;
	lb.initrd_gpa = 0x6b6b;
	vm_poison();
	ret = linux_load(&lms, &lcfg, &lb, err, sizeof(err));
	if (ret != want_ret || strcmp(err, want_msg))
		fail_msg("%s: got %d \"%s\", want %d \"%s\"", name, ret, err, want_ret, want_msg);
	assert_true(strlen(want_msg) < LOADER_ERR_LEN - 1); /* never cut */
	assert_int_equal(lb.entry, 0x5a5a);
	assert_int_equal(lb.initrd_gpa, 0x6b6b);
	vm_assert_poisoned();
	if (!lb.image)
		return;
	copy = malloc(lb.size ? lb.size : 1);
	memcpy(copy, z->b, lb.size);
	lb.image = copy;
	assert_int_equal(linux_load(&lms, &lcfg, &lb, NULL, 0), want_ret);
	free(copy);
	vm_assert_poisoned();
}

static void test_malformed(void **state)
{
	static struct bz z;

	vm_make(ram16, 1);
	for (unsigned i = 0; i < ARRAY_SIZE(bads); i++) {
		struct linux_boot lb;

		bz_build(&z);
		lb = bz_boot(&z);
		lb.initrd = "abc";
		lb.initrd_size = 3;
		bads[i].mutate(&z, &lb);
		lb.size = lb.image ? z.size : 0;
		expect_refusal(bads[i].name, &z, &lb, bads[i].ret, bads[i].msg);
	}
	vm_free();
}

/* ---- the low structures and the kernel outside RAM, by memory map ---- */

struct bad_map {
	struct vm_region regs[3];
	unsigned nr;
	int ret;
	const char *msg;
};

static const struct bad_map bad_maps[] = {
    {{R_RAM(0x10000, MB16)},
     1,
     -EFAULT,
     "bzImage: zero page [0x7000, 0x8000) is not all guest RAM"},
    {{R_RAM(0, 0x8000), R_RAM(0x9000, MB16)},
     2,
     -EFAULT,
     "bzImage: GDT [0x8000, 0x8020) is not all guest RAM"},
    {{R_RAM(0, 0x20000), R_RAM(0x100000, MB16)},
     2,
     -EFAULT,
     "bzImage: command line [0x20000, 0x20001) is not all guest RAM"},
    {{R_RAM(0, MiB), R_RAM(2 * MiB, MB16)},
     2,
     -EFAULT,
     "bzImage: kernel area [0x100000, 0x300000) is not all guest RAM"},
    {{R_RAM(0, MiB), R_SHM(MiB, MiB), R_RAM(2 * MiB, MB16)},
     3,
     -EFAULT,
     "bzImage: kernel area [0x100000, 0x300000) is not all guest RAM"},
    {{R_RAM(0, MiB), R_ROM(MiB, 4 * MiB)},
     2,
     -EFAULT,
     "bzImage: kernel area [0x100000, 0x300000) is not all guest RAM"},
};

static void test_bad_maps(void **state)
{
	static struct bz z;

	for (unsigned i = 0; i < ARRAY_SIZE(bad_maps); i++) {
		struct linux_boot lb;
		char name[16];

		vm_make(bad_maps[i].regs, bad_maps[i].nr);
		bz_build(&z);
		lb = bz_boot(&z);
		snprintf(name, sizeof(name), "map %u", i);
		expect_refusal(name, &z, &lb, bad_maps[i].ret, bad_maps[i].msg);
		vm_free();
	}
}

/* ---- a map too large for the zero page ---- */

static void test_e820_full(void **state)
{
	static struct vm_region regs[1 + 130];
	static struct bz z;
	struct linux_boot lb;
	uint64_t last;

	vm_make(ram16, 1); /* slots for the RAM; the MMIO regions exist only in the map */
	regs[0] = lregs[0];
	for (unsigned i = 0; i < 130; i++)
		regs[1 + i] = (struct vm_region)R_MMIO(0x20000000ULL + i * 0x2000ULL, 0x1000);
	lcfg.regions = regs;
	bz_build(&z);
	lb = bz_boot(&z);
	lcfg.nr_regions = 1 + 130;
	expect_refusal("133 entries", &z, &lb, -ENOSPC,
		       "bzImage: the memory map needs 133 e820 entries, the zero page holds 128");
	lcfg.nr_regions = 1 + 126;
	expect_refusal("129 entries", &z, &lb, -ENOSPC,
		       "bzImage: the memory map needs 129 e820 entries, the zero page holds 128");
	lcfg.nr_regions = 1 + 125; /* 3 + 125: exactly full */
	assert_int_equal(linux_load(&lms, &lcfg, &lb, NULL, 0), 0);
	assert_int_equal(lb.nr_e820, 128);
	assert_int_equal(rdg(0x7000 + 0x1E8, 1), 128);
	last = 0x7000 + 0x2D0 + 127 * 20;
	assert_int_equal(rdg(last, 8), 0x20000000ULL + 124 * 0x2000ULL);
	assert_int_equal(rdg(last + 8, 8), 0x1000);
	assert_int_equal(rdg(last + 16, 4), E820_RESERVED);
	assert_int_equal(rdg(last + 20, 8), 0); /* and nothing after it */
	lcfg.regions = lregs;
	lcfg.nr_regions = 1;
	vm_free();
}

/* ---- the error buffer ---- */

static void test_err_buffer(void **state)
{
	static struct bz z;
	struct linux_boot lb;
	char err[12];

	vm_make(ram16, 1);
	bz_build(&z);
	bw(&z, 0x1FE, 0, 2);
	lb = bz_boot(&z);
	memset(err, 'x', sizeof(err));
	assert_int_equal(linux_load(&lms, &lcfg, &lb, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "bzImage: bo"); /* cut, terminated */
	assert_int_equal(linux_load(&lms, &lcfg, &lb, NULL, 0), -EINVAL);
	assert_int_equal(linux_load(&lms, &lcfg, &lb, err, 0), -EINVAL);
	assert_string_equal(err, "bzImage: bo"); /* errlen 0: not touched */
	vm_assert_poisoned();
	vm_free();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_bad_maps),
	    cmocka_unit_test(test_e820_full),
	    cmocka_unit_test(test_err_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
