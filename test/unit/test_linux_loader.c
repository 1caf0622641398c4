/*
 * Unit tests for loader/linux.c: bzImages built byte by byte loaded into a VM of guarded,
 * poisoned buffers; the zero page compared whole against one built here from boot.rst and
 * zero-page.rst offsets; placement of the kernel, initrd and low structures; every refusal
 * with its exact message and untouched memory; detection; the real Debian kernel if present.
 */
#include "lib/errno.h"
#include "loader/loader.h"

#include "linux_fixture.h"
#include "test/unit/slurp.h"

#define MB16 (16 * MiB)
#define ZP   0x7000ULL

static const struct vm_region ram16[] = {R_RAM(0, MB16)};

/* ---- the zero page we expect, from the documents' offsets ---- */

struct zp {
	uint8_t b[4096];
};

static void zput(struct zp *z, size_t off, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		z->b[off + i] = (uint8_t)(v >> (8 * i));
}

struct want {
	unsigned hdr_end; /* setup header bytes the image has */
	uint8_t loadflags;
	uint32_t code32;
	uint64_t initrd, initrd_size, rsdp;
	uint32_t alt_mem_k;
	const struct linux_e820_entry *e820;
	unsigned nr_e820;
};

static void want_zp(struct zp *z, const struct bz *img, const struct want *w)
{
	memset(z, 0, sizeof(*z));
	memcpy(z->b + 0x1F1, img->b + 0x1F1, w->hdr_end - 0x1F1);
	zput(z, 0x210, 0xFF, 1);		     /* type_of_loader: undefined */
	zput(z, 0x211, w->loadflags, 1);	     /* loadflags */
	zput(z, 0x214, w->code32, 4);		     /* code32_start */
	zput(z, 0x218, (uint32_t)w->initrd, 4);	     /* ramdisk_image */
	zput(z, 0x21C, (uint32_t)w->initrd_size, 4); /* ramdisk_size */
	zput(z, 0x224, 0xDE00, 2);		     /* heap_end_ptr */
	zput(z, 0x226, 0, 2);			     /* ext_loader_ver, ext_loader_type */
	zput(z, 0x228, 0x20000, 4);		     /* cmd_line_ptr */
	if (w->hdr_end > 0x23C) {
		zput(z, 0x23C, 0, 4); /* hardware_subarch: PC */
		zput(z, 0x240, 0, 8); /* hardware_subarch_data */
		zput(z, 0x250, 0, 8); /* setup_data */
	}
	zput(z, 0x070, w->rsdp, 8);
	zput(z, 0x0C0, w->initrd >> 32, 4);
	zput(z, 0x0C4, w->initrd_size >> 32, 4);
	zput(z, 0x1E0, w->alt_mem_k, 4);
	zput(z, 0x1E8, w->nr_e820, 1);
	for (unsigned i = 0; i < w->nr_e820; i++) {
		zput(z, 0x2D0 + 20 * i, w->e820[i].addr, 8);
		zput(z, 0x2D0 + 20 * i + 8, w->e820[i].size, 8);
		zput(z, 0x2D0 + 20 * i + 16, w->e820[i].type, 4);
	}
}

static void assert_zp(const struct zp *z)
{
	for (size_t i = 0; i < sizeof(z->b); i++)
		if (*gp(ZP + i) != z->b[i])
			fail_msg("zero page +0x%03zx: 0x%02x, want 0x%02x", i, *gp(ZP + i),
				 z->b[i]);
}

static const struct linux_e820_entry map16[] = {
    {0, 0x9F000, E820_RAM},
    {0x9F000, 0x61000, E820_RESERVED},
    {0x100000, 0xF00000, E820_RAM},
};

static void assert_gdt(void)
{
	static const uint8_t gdt[32] = {
	    [16] = 0xFF, 0xFF, 0, 0, 0, 0x9B, 0xCF, 0, /* 0x10: code, base 0, 4 GiB, 32-bit */
	    [24] = 0xFF, 0xFF, 0, 0, 0, 0x93, 0xCF, 0, /* 0x18: data, base 0, 4 GiB */
	};

	assert_guest_eq(0x8000, gdt, sizeof(gdt));
	assert_guest_filled(0x8020, LPOISON, 16);
}

/* ---- a good load ---- */

static void test_load(void **state)
{
	static struct bz z;
	static struct zp want;
	const char *cmd = "console=ttyS0 root=/dev/vda ro";
	struct linux_boot lb;
	char err[LOADER_ERR_LEN] = "junk";

	vm_make(ram16, 1);
	bz_build(&z);
	bw(&z, 0x23C, 2, 4);	   /* hardware_subarch Xen: we say PC */
	bw(&z, 0x240, 0x1234, 8);  /* hardware_subarch_data */
	bw(&z, 0x250, 0x99999, 8); /* setup_data: we pass none */
	bw(&z, 0x210, 0x72, 1);	   /* type_of_loader: ours replaces it */
	bw(&z, 0x228, 0x90000, 4); /* cmd_line_ptr */
	lb = bz_boot(&z);
	lb.cmdline = cmd;
	assert_int_equal(linux_load(&lms, &lcfg, &lb, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(lb.entry, 0x100000);
	assert_int_equal(lb.zero_page, 0x7000);
	assert_int_equal(lb.gdt_base, 0x8000);
	assert_int_equal(lb.gdt_limit, 0x1F);
	assert_int_equal(lb.kernel_lo, 0x100000);
	assert_int_equal(lb.kernel_end, 0x300000); /* 2 MiB + init_size */
	assert_int_equal(lb.initrd_gpa, 0);
	assert_int_equal(lb.cmdline_gpa, 0x20000);
	assert_int_equal(lb.version, 0x020F);
	assert_int_equal(lb.nr_e820, 3);
	assert_false(lb.rsdp_dropped);
	/* the protected-mode kernel, and nothing around it */
	assert_guest_eq(0x100000, z.b + BZ_KOFS, BZ_KBYTES);
	assert_guest_filled(0x100000 - 64, LPOISON, 64);
	assert_guest_filled(0x100000 + BZ_KBYTES, LPOISON, 64);
	/* the command line */
	assert_guest_eq(0x20000, cmd, strlen(cmd) + 1);
	assert_guest_filled(0x20000 + strlen(cmd) + 1, LPOISON, 16);
	assert_gdt();
	want_zp(&want, &z,
		&(struct want){.hdr_end = BZ_HDR_END,
			       .loadflags = 0x81,
			       .code32 = 0x100000,
			       .alt_mem_k = 15 * 1024,
			       .e820 = map16,
			       .nr_e820 = 3});
	assert_zp(&want);
	assert_int_equal(*gp(ZP + 0x1EF), 0); /* sentinel clear: the kernel keeps our fields */
	assert_guest_filled(ZP - 16, LPOISON, 16);
	vm_free();
}

/* 2.06: no init_size or pref_address; nothing past its header end reaches the zero page. */
static void test_load_proto_206(void **state)
{
	static struct bz z;
	static struct zp want;
	struct linux_boot lb;
	char err[LOADER_ERR_LEN];

	vm_make(ram16, 1);
	bz_build(&z);
	bw(&z, 0x206, 0x0206, 2);
	bw(&z, 0x200, 0xEB | (0x23C - 0x202) << 8, 2);
	memset(z.b + 0x23C, 0xEE, 0x290 - 0x23C); /* not header: must not be copied */
	lb = bz_boot(&z);
	assert_int_equal(linux_load(&lms, &lcfg, &lb, err, sizeof(err)), 0);
	assert_int_equal(lb.version, 0x0206);
	/* runtime start align_up(1 MiB, 2 MiB); the area is what was loaded there */
	assert_int_equal(lb.kernel_lo, 0x100000);
	assert_int_equal(lb.kernel_end, 0x200000 + BZ_KBYTES);
	want_zp(&want, &z,
		&(struct want){.hdr_end = 0x23C,
			       .loadflags = 0x81,
			       .code32 = 0x100000,
			       .alt_mem_k = 15 * 1024,
			       .e820 = map16,
			       .nr_e820 = 3});
	assert_zp(&want);
	vm_free();
}

/* setup_sects 0 means 4; loadflags keep LOADED_HIGH and KASLR, lose QUIET and KEEP_SEGMENTS. */
static void test_setup_sects_and_loadflags(void **state)
{
	static struct bz z;
	struct linux_boot lb;

	vm_make(ram16, 1);
	bz_build(&z);
	bw(&z, 0x1F1, 0, 1);
	bw(&z, 0x211, 0x63, 1); /* LOADED_HIGH, KASLR_FLAG, QUIET, KEEP_SEGMENTS */
	lb = bz_boot(&z);
	assert_int_equal(linux_load(&lms, &lcfg, &lb, NULL, 0), 0);
	assert_guest_eq(0x100000, z.b + 5 * 512, BZ_KBYTES);
	assert_int_equal(rdg(ZP + 0x211, 1), 0x83);
	assert_int_equal(rdg(ZP + 0x1F1, 1), 0); /* setup_sects as the image has it */
	vm_free();
}

/* A non-relocatable kernel loads at code32_start and runs from pref_address. */
static void test_non_relocatable(void **state)
{
	static struct bz z;
	struct linux_boot lb;

	vm_make(ram16, 1);
	bz_build(&z);
	bw(&z, 0x234, 0, 1);
	bw(&z, 0x230, 0x300000, 4); /* ignored without relocatable_kernel */
	bw(&z, 0x214, 0x400000, 4);
	bw(&z, 0x258, 0x800000, 8);
	lb = bz_boot(&z);
	assert_int_equal(linux_load(&lms, &lcfg, &lb, NULL, 0), 0);
	assert_int_equal(lb.entry, 0x400000);
	assert_int_equal(lb.kernel_lo, 0x400000);
	assert_int_equal(lb.kernel_end, 0x800000 + BZ_INIT_SIZE);
	assert_guest_eq(0x400000, z.b + BZ_KOFS, BZ_KBYTES);
	assert_int_equal(rdg(ZP + 0x214, 4), 0x400000);
	assert_guest_filled(0x100000, LPOISON, 64);
	/* an initrd that may not go above the kernel area goes right below it */
	bw(&z, 0x22C, 0x5FFFFF, 4);
	lb.initrd = "initrd";
	lb.initrd_size = 6;
	assert_int_equal(linux_load(&lms, &lcfg, &lb, NULL, 0), 0);
	assert_int_equal(lb.initrd_gpa, 0x3FF000);
	assert_guest_eq(0x3FF000, "initrd", 6);
	vm_free();
}

/* Relocatable, pref_address below the aligned load address: the aligned address wins. */
static void test_runtime_alignment(void **state)
{
	static struct bz z;
	struct linux_boot lb;

	vm_make(ram16, 1);
	bz_build(&z);
	bw(&z, 0x230, 0x400000, 4); /* align 4 MiB: runtime start 4 MiB */
	bw(&z, 0x258, 0x100000, 8);
	lb = bz_boot(&z);
	assert_int_equal(linux_load(&lms, &lcfg, &lb, NULL, 0), 0);
	assert_int_equal(lb.kernel_lo, 0x100000);
	assert_int_equal(lb.kernel_end, 0x400000 + BZ_INIT_SIZE);
	vm_free();
}

/* ---- the command line and the RSDP ---- */

static void test_cmdline_limits(void **state)
{
	static struct bz z;
	static char line[4096];
	struct linux_boot lb;
	char err[LOADER_ERR_LEN];

	vm_make(ram16, 1);
	bz_build(&z);
	bw(&z, 0x238, 10, 4);
	lb = bz_boot(&z);
	lb.cmdline = "0123456789"; /* exactly cmdline_size characters */
	assert_int_equal(linux_load(&lms, &lcfg, &lb, err, sizeof(err)), 0);
	assert_guest_eq(0x20000, "0123456789", 11);
	lb.cmdline = NULL; /* reads as "" */
	assert_int_equal(linux_load(&lms, &lcfg, &lb, err, sizeof(err)), 0);
	assert_int_equal(*gp(0x20000), 0);
	assert_int_equal(rdg(ZP + 0x228, 4), 0x20000);
	vm_poison();
	lb.cmdline = "0123456789a";
	assert_int_equal(linux_load(&lms, &lcfg, &lb, err, sizeof(err)), -E2BIG);
	assert_string_equal(err, "bzImage: command line of 11 characters is longer than the "
				 "kernel's cmdline_size 10");
	vm_assert_poisoned();
	/* longer than the window below the EBDA, whatever cmdline_size says */
	bw(&z, 0x238, 0xFFFFFFFF, 4);
	memset(line, 'x', sizeof(line) - 1);
	lb.cmdline = line;
	assert_int_equal(linux_load(&lms, &lcfg, &lb, NULL, 0), 0);
	vm_poison();
	{
		size_t n = 0x9F000 - 0x20000;
		char *big = malloc(n + 1);

		memset(big, 'y', n);
		big[n] = '\0';
		lb.cmdline = big;
		assert_int_equal(linux_load(&lms, &lcfg, &lb, err, sizeof(err)), -E2BIG);
		assert_string_equal(err, "bzImage: command line of 520192 characters does not "
					 "fit in [0x20000, 0x9f000)");
		vm_assert_poisoned();
		big[n - 1] = '\0'; /* one less: the NUL ends at 0x9f000 */
		assert_int_equal(linux_load(&lms, &lcfg, &lb, err, sizeof(err)), 0);
		assert_int_equal(*gp(0x9EFFF), 0);
		free(big);
	}
	vm_free();
}

static void test_rsdp(void **state)
{
	static const struct vm_region regs[] = {R_RAM(0, MB16), R_ROM(0xFFF00000ULL, 64 * KiB)};
	static struct bz z;
	struct linux_boot lb;
	char err[LOADER_ERR_LEN];

	vm_make(regs, 2);
	bz_build(&z);
	lb = bz_boot(&z);
	lb.rsdp = 0xE0000;
	assert_int_equal(linux_load(&lms, &lcfg, &lb, err, sizeof(err)), 0);
	assert_int_equal(rdg(ZP + 0x70, 8), 0xE0000);
	assert_false(lb.rsdp_dropped);
	lb.rsdp = 0xFFF00010; /* in ROM is fine */
	assert_int_equal(linux_load(&lms, &lcfg, &lb, err, sizeof(err)), 0);
	assert_int_equal(rdg(ZP + 0x70, 8), 0xFFF00010);
	/* 2.13 kernels do not read acpi_rsdp_addr: left 0, and said so */
	bw(&z, 0x206, 0x020D, 2);
	assert_int_equal(linux_load(&lms, &lcfg, &lb, err, sizeof(err)), 0);
	assert_int_equal(rdg(ZP + 0x70, 8), 0);
	assert_true(lb.rsdp_dropped);
	lb.rsdp = 0;
	assert_int_equal(linux_load(&lms, &lcfg, &lb, err, sizeof(err)), 0);
	assert_false(lb.rsdp_dropped);
	vm_free();
}

/* ---- the initrd ---- */

static uint8_t initrd_data[14 * MiB];

static void fill_initrd(size_t n)
{
	for (size_t i = 0; i < n; i++)
		initrd_data[i] = (uint8_t)(i * 7 + 1);
}

/* Load with an initrd of @n bytes; returns its GPA after checking bytes and fields. */
static uint64_t load_initrd(struct linux_boot *lb, size_t n)
{
	lb->initrd = initrd_data;
	lb->initrd_size = n;
	vm_poison();
	assert_int_equal(linux_load(&lms, &lcfg, lb, NULL, 0), 0);
	assert_int_equal(lb->initrd_gpa % PAGE_SIZE, 0);
	assert_guest_eq(lb->initrd_gpa, initrd_data, n);
	assert_int_equal(rdg(ZP + 0x218, 4), (uint32_t)lb->initrd_gpa);
	assert_int_equal(rdg(ZP + 0x21C, 4), (uint32_t)n);
	assert_int_equal(rdg(ZP + 0x0C0, 4), lb->initrd_gpa >> 32);
	assert_int_equal(rdg(ZP + 0x0C4, 4), 0);
	return lb->initrd_gpa;
}

static void test_initrd_placement(void **state)
{
	static struct bz z;
	struct linux_boot lb;

	vm_make(ram16, 1);
	fill_initrd(sizeof(initrd_data));
	bz_build(&z);
	lb = bz_boot(&z);
	/* as high as RAM goes, page-aligned down */
	assert_int_equal(load_initrd(&lb, 0x5000), MB16 - 0x5000);
	assert_int_equal(load_initrd(&lb, 0x4321), MB16 - 0x5000);
	assert_guest_filled(MB16 - 0x5000 + 0x4321, LPOISON, 0x5000 - 0x4321);
	/* below initrd_addr_max, the highest byte it may occupy */
	bw(&z, 0x22C, 0x7FFFFF, 4);
	assert_int_equal(load_initrd(&lb, 0x5000), 0x800000 - 0x5000);
	bw(&z, 0x22C, 0x7FF7FF, 4);
	assert_int_equal(load_initrd(&lb, 0x5000), 0x7FA000);
	bw(&z, 0x22C, 0x7FFFFFFF, 4);
	/* below a reserved range at the top of RAM */
	lb.reserved[0] = (struct linux_range){0xFF0000, 0x10000, E820_ACPI};
	lb.nr_reserved = 1;
	assert_int_equal(load_initrd(&lb, 0x5000), 0xFF0000 - 0x5000);
	/* a reserved range in the middle: the initrd goes below it when it does not fit above */
	lb.reserved[0] = (struct linux_range){0xA00000, 0x1000, E820_RESERVED};
	assert_int_equal(load_initrd(&lb, 0x5000), MB16 - 0x5000);
	assert_int_equal(load_initrd(&lb, 0x700000), 0xA00000 - 0x700000);
	lb.nr_reserved = 0;
	/* exactly the room between the kernel area and the top */
	assert_int_equal(load_initrd(&lb, MB16 - 0x300000), 0x300000);
	vm_free();
}

static void test_initrd_refused(void **state)
{
	static struct bz z;
	struct linux_boot lb = {.entry = 0x5a5a};
	char err[LOADER_ERR_LEN];

	vm_make(ram16, 1);
	bz_build(&z);
	lb.image = z.b;
	lb.size = z.size;
	lb.initrd = initrd_data;
	lb.initrd_size = MB16 - 0x300000 + PAGE_SIZE; /* a page more than above the kernel */
	bw(&z, 0x236, 0x01, 2);			      /* not above 4 GiB */
	assert_int_equal(linux_load(&lms, &lcfg, &lb, err, sizeof(err)), -ENOSPC);
	assert_string_equal(err, "bzImage: no room for an initrd of 0xd01000 bytes in free RAM in "
				 "[1 MiB, 0x80000000)");
	bw(&z, 0x236, 0x7F, 2);
	assert_int_equal(linux_load(&lms, &lcfg, &lb, err, sizeof(err)), -ENOSPC);
	assert_string_equal(err, "bzImage: no room for an initrd of 0xd01000 bytes in free RAM in "
				 "[1 MiB, 0x80000000) or above 4 GiB");
	/* initrd_addr_max below the kernel area's end leaves no room */
	lb.initrd_size = 0x1000;
	bw(&z, 0x22C, 0x2FFFFF, 4);
	assert_int_equal(linux_load(&lms, &lcfg, &lb, err, sizeof(err)), -ENOSPC);
	assert_string_equal(err, "bzImage: no room for an initrd of 0x1000 bytes in free RAM in "
				 "[1 MiB, 0x300000) or above 4 GiB");
	lb.initrd = NULL;
	assert_int_equal(linux_load(&lms, &lcfg, &lb, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "bzImage: initrd of 4096 bytes has no data");
	assert_int_equal(lb.entry, 0x5a5a);
	vm_assert_poisoned();
	vm_free();
}

/* RAM below 4 GiB and above: an initrd that does not fit low goes high when allowed. */
static void test_initrd_above_4g(void **state)
{
	static const struct vm_region regs[] = {R_RAM(0, 8 * MiB), R_RAM(0x100000000ULL, 8 * MiB)};
	static struct bz z;
	struct linux_boot lb;
	char err[LOADER_ERR_LEN];

	vm_make(regs, 2);
	bz_build(&z);
	lb = bz_boot(&z);
	assert_int_equal(load_initrd(&lb, 5 * MiB), 0x300000); /* just fits low */
	assert_int_equal(load_initrd(&lb, 7 * MiB), 0x100100000ULL);
	assert_int_equal(rdg(ZP + 0x218, 4), 0x00100000);
	assert_int_equal(rdg(ZP + 0x0C0, 4), 1);
	bw(&z, 0x236, 0x01, 2); /* XLF_KERNEL_64 only */
	vm_poison();
	assert_int_equal(linux_load(&lms, &lcfg, &lb, err, sizeof(err)), -ENOSPC);
	vm_assert_poisoned();
	/* before 2.12 xloadflags does not exist */
	bw(&z, 0x236, 0x7F, 2);
	bw(&z, 0x206, 0x020B, 2);
	assert_int_equal(linux_load(&lms, &lcfg, &lb, err, sizeof(err)), -ENOSPC);
	vm_assert_poisoned();
	vm_free();
}

/* ---- detection ---- */

static void test_detect(void **state)
{
	static struct bz z;
	struct load_result r = {.entry = 7};
	char err[LOADER_ERR_LEN];

	bz_build(&z);
	assert_true(linux_is_bzimage(z.b, z.size));
	assert_true(linux_is_bzimage(z.b, 0x206));
	assert_false(linux_is_bzimage(z.b, 0x205));
	assert_false(linux_is_bzimage(NULL, 0x1000));
	assert_int_equal(loader_detect_proto(z.b, z.size), BOOT_LINUX);
	assert_int_equal(loader_load_image(&lms, BOOT_AUTO, z.b, z.size, &r, err, sizeof(err)),
			 -ENOTSUP);
	assert_string_equal(err, "a Linux bzImage: loaded by linux_load(), not as a Multiboot "
				 "kernel");
	assert_int_equal(loader_load_image(&lms, BOOT_LINUX, z.b, z.size, &r, err, sizeof(err)),
			 -ENOTSUP);
	assert_int_equal(r.entry, 7);
	z.b[0x1FF] = 0x55;
	assert_false(linux_is_bzimage(z.b, z.size));
	assert_int_equal(loader_detect_proto(z.b, z.size), BOOT_AUTO);
	bz_build(&z);
	z.b[0x205] = 'T';
	assert_false(linux_is_bzimage(z.b, z.size));
	/* the boot-sector signature alone still means "the Linux loader", which names the damage */
	assert_int_equal(loader_detect_proto(z.b, z.size), BOOT_LINUX);
	/* a Multiboot header wins over the bzImage's */
	bz_build(&z);
	bw(&z, 0x1000, 0x1BADB002u, 4);
	bw(&z, 0x1004, 0, 4);
	bw(&z, 0x1008, (uint32_t)-0x1BADB002u, 4);
	assert_true(linux_is_bzimage(z.b, z.size));
	assert_int_equal(loader_detect_proto(z.b, z.size), BOOT_MULTIBOOT1);
}

/* ---- the real kernel, when this machine has it ---- */

#define DEBIAN_KERNEL "build/linux/vmlinuz" /* tools/fetch-linux.sh, when it ran */

static void test_real_kernel(void **state)
{
	static const struct vm_region regs[] = {R_RAM(0, 128 * MiB)};
	struct linux_boot lb = {.cmdline = "console=ttyS0"};
	char err[LOADER_ERR_LEN];
	size_t size;
	uint8_t *img = slurp(DEBIAN_KERNEL, &size);
	uint64_t sects, kbytes;

	if (!img)
		skip();
	assert_true(linux_is_bzimage(img, size));
	assert_int_equal(loader_detect_proto(img, size), BOOT_LINUX);
	vm_make(regs, 1);
	lb.image = img;
	lb.size = size;
	lb.initrd = initrd_data;
	lb.initrd_size = 4 * MiB;
	if (linux_load(&lms, &lcfg, &lb, err, sizeof(err)))
		fail_msg("%s: %s", DEBIAN_KERNEL, err);
	sects = img[0x1F1] ? img[0x1F1] : 4;
	kbytes = 16 * (uint64_t)(img[0x1F4] | img[0x1F5] << 8 | img[0x1F6] << 16 |
				 (uint32_t)img[0x1F7] << 24);
	assert_guest_eq(0x100000, img + (sects + 1) * 512, kbytes);
	assert_int_equal(lb.entry, 0x100000);
	assert_int_equal(lb.kernel_end, 0x1000000 + rdg(ZP + 0x260, 4)); /* pref + init_size */
	assert_int_equal(lb.initrd_gpa, 124 * MiB);
	printf("    %s: protocol %u.%02u, %llu bytes at 0x100000, kernel area [0x%llx, 0x%llx)\n",
	       DEBIAN_KERNEL, lb.version >> 8, lb.version & 0xFF, (unsigned long long)kbytes,
	       (unsigned long long)lb.kernel_lo, (unsigned long long)lb.kernel_end);
	free(img);
	vm_free();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_load),
	    cmocka_unit_test(test_load_proto_206),
	    cmocka_unit_test(test_setup_sects_and_loadflags),
	    cmocka_unit_test(test_non_relocatable),
	    cmocka_unit_test(test_runtime_alignment),
	    cmocka_unit_test(test_cmdline_limits),
	    cmocka_unit_test(test_rsdp),
	    cmocka_unit_test(test_initrd_placement),
	    cmocka_unit_test(test_initrd_refused),
	    cmocka_unit_test(test_initrd_above_4g),
	    cmocka_unit_test(test_detect),
	    cmocka_unit_test(test_real_kernel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
