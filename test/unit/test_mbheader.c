/*
 * Unit tests for loader/mbheader.c's Multiboot v1/v2 header scans, and for loading by those headers
 * through loader_load_image (loader/loader.c): the a.out kludge, the address and entry tags, the
 * messages for headers we refuse, and the hypervisor's own header when built.
 */
#include "lib/errno.h"
#include "loader/loader.h"
#include "loader/mbheader.h"

#include "loader_fixture.h"

/* ---- Multiboot v1 header and the a.out kludge ---- */

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

/* ---- the hypervisor image, when built ---- */
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

/* BOOT_AUTO: the header decides; Multiboot2 wins when an image has both; none is an error. */
static void test_auto_detect(void **state)
{
	static struct img m;
	struct load_result r;
	struct tags t = {.n = 0};
	char err[LOADER_ERR_LEN];

	raw_image(&m, 0x3000);
	assert_int_equal(loader_detect_proto(m.b, m.size), BOOT_AUTO);
	assert_int_equal(loader_load_image(&ms, BOOT_AUTO, m.b, m.size, &r, err, sizeof(err)),
			 -ENOENT);
	assert_string_equal(err, "no Multiboot2 header (first 32 KiB) nor Multiboot header (first "
				 "8 KiB): not a kernel kestrel can boot");
	mb1_header(&m, 0x40, BIT(16));
	mb1_addrs(&m, 0x40, 0x100040, 0x100000, 0x102000, 0x103000, 0x100080);
	assert_int_equal(loader_detect_proto(m.b, m.size), BOOT_MULTIBOOT1);
	assert_int_equal(loader_load_image(&ms, BOOT_AUTO, m.b, m.size, &r, err, sizeof(err)), 0);
	assert_int_equal(r.proto, BOOT_MULTIBOOT1);
	assert_int_equal(r.entry, 0x100080);

	elf64(&m);
	tag(&t, 6, 1, 8);
	mb2_header(&m, 0x1000, 0, t.b, t.n);
	assert_int_equal(loader_detect_proto(m.b, m.size), BOOT_MULTIBOOT2);
	assert_int_equal(loader_load_image(&ms, BOOT_AUTO, m.b, m.size, &r, err, sizeof(err)), 0);
	assert_int_equal(r.proto, BOOT_MULTIBOOT2);
	mb1_header(&m, 0x40, BIT(16)); /* both headers: Multiboot2 is asked first */
	assert_int_equal(loader_detect_proto(m.b, m.size), BOOT_MULTIBOOT2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mb1_scan),	 cmocka_unit_test(test_mb1_aout_load),
	    cmocka_unit_test(test_mb1_aout_bad), cmocka_unit_test(test_mb1_elf),
	    cmocka_unit_test(test_mb2_scan),	 cmocka_unit_test(test_mb2_malformed),
	    cmocka_unit_test(test_mb2_load),	 cmocka_unit_test(test_mb2_load_errors),
	    cmocka_unit_test(test_hv_header),	 cmocka_unit_test(test_auto_detect),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
