/*
 * Unit tests for loader/bootinfo.c: Multiboot2 information built into guarded guest RAM and
 * parsed back with fw/mb2.c's mb2_parse(); Multiboot v1 information checked field by
 * field through a packed layout of our own; sizes, alignment and every failure mode.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fw/mb2.h"
#include "lib/errno.h"
#include "loader/bootinfo.h"
#include "loader/loader.h"

/* ---- guest RAM [0, 2 MiB) in two host buffers, and a ROM ---- */

#define GUARD	   4096
#define GUARD_BYTE 0xA5
#define POISON	   0xCC
#define ROM_GPA	   0xFFF00000ULL

static uint8_t *raw[3], *mem[3];
static const size_t buf_size[3] = {MiB, MiB, 64 * KiB};
static const uint64_t buf_gpa[3] = {0, MiB, ROM_GPA};
static struct memslots ms;

static int setup(void **state)
{
	static const enum region_kind kind[3] = {REGION_RAM, REGION_RAM, REGION_ROM};

	memslots_init(&ms);
	for (int i = 0; i < 3; i++) {
		struct mem_slot s;

		raw[i] = malloc(buf_size[i] + 2 * GUARD);
		assert_non_null(raw[i]);
		memset(raw[i], GUARD_BYTE, buf_size[i] + 2 * GUARD);
		mem[i] = raw[i] + GUARD;
		s = (struct mem_slot){.base_gfn = gpa_to_gfn(gpa(buf_gpa[i])),
				      .npages = buf_size[i] >> PAGE_SHIFT,
				      .hpa = hpa((uint64_t)(uintptr_t)mem[i]),
				      .kind = kind[i],
				      .rights = REGION_RWX};
		assert_int_equal(memslot_add(&ms, &s), 0);
	}
	return 0;
}

static void check_guards(void)
{
	for (int i = 0; i < 3; i++)
		for (size_t j = 0; j < GUARD; j++) {
			assert_int_equal(raw[i][j], GUARD_BYTE);
			assert_int_equal(mem[i][buf_size[i] + j], GUARD_BYTE);
		}
}

static int teardown(void **state)
{
	check_guards();
	for (int i = 0; i < 3; i++)
		free(raw[i]);
	return 0;
}

static void poison(void)
{
	for (int i = 0; i < 3; i++)
		memset(mem[i], POISON, buf_size[i]);
}

static uint8_t *host(uint64_t a)
{
	for (int i = 0; i < 3; i++)
		if (a >= buf_gpa[i] && a - buf_gpa[i] < buf_size[i])
			return mem[i] + (a - buf_gpa[i]);
	fail_msg("GPA 0x%llx is not in a test buffer", (unsigned long long)a);
	return NULL;
}

/* Every byte of RAM outside [lo, hi) still poisoned. */
static void assert_untouched_outside(uint64_t lo, uint64_t hi)
{
	for (uint64_t a = 0; a < 2 * MiB; a++)
		if ((a < lo || a >= hi) && *host(a) != POISON)
			fail_msg("GPA 0x%llx written outside [0x%llx, 0x%llx)",
				 (unsigned long long)a, (unsigned long long)lo,
				 (unsigned long long)hi);
	check_guards();
}

/* ---- the VM: regions deliberately out of order ---- */

static const struct vm_region regions[] = {
    {ROM_GPA, 64 * KiB, REGION_ROM, REGION_R | REGION_X, "testrom", 0, 0},
    {MiB, MiB, REGION_RAM, REGION_RWX, NULL, 0, 0},
    {0, 640 * KiB, REGION_RAM, REGION_RWX, NULL, 0, 0},
    {0xC0000000, 2 * MiB, REGION_SHARED, REGION_R | REGION_W, "shm0", 0, 0},
    {2 * MiB, 6 * MiB, REGION_RAM, REGION_RWX, NULL, 0, 0}, /* adjoins [1 MiB, 2 MiB) */
    {0xD0000000, 8 * KiB, REGION_MMIO_EMUL, REGION_R | REGION_W, "testdev", 0, 0},
    {0xFEC00000, 4 * KiB, REGION_MMIO_PASS, REGION_R | REGION_W, NULL, 0xFEC00000, 0},
    {0x100000000ULL, MiB, REGION_RAM, REGION_RWX, NULL, 0, 0}, /* not contiguous */
};

/* The same regions in address order, with the types the guest must see. */
static const struct {
	uint64_t base, len;
	uint32_t type;
} want_map[] = {
    {0, 640 * KiB, 1},	      {MiB, MiB, 1},
    {2 * MiB, 6 * MiB, 1},    {0xC0000000, 2 * MiB, 2},
    {0xD0000000, 8 * KiB, 2}, {0xFEC00000, 4 * KiB, 2},
    {ROM_GPA, 64 * KiB, 2},   {0x100000000ULL, MiB, 1},
};

#define CMDLINE "console=ttyS0 quiet" /* 19 characters */

static const struct vm_config cfg = {
    .name = "bi",
    .regions = regions,
    .nr_regions = ARRAY_SIZE(regions),
    .cmdline = CMDLINE,
};

static const struct guest_module mods[] = {
    {{0x150000}, 0x1234, "initrd arg=1"},
    {{0x160000}, 0x10, NULL},
};

/* header 8, cmdline 8+20 -> 32, loader 8+8, meminfo 16, mmap 16+8*24, modules 16+13 -> 32
 * and 16+1 -> 24, end 8 */
#define MB2_SIZE (8 + 32 + 16 + 16 + 208 + 32 + 24 + 8)

static struct mb2_info info; /* large: not on the stack */

static void check_mb2_info(const struct mb2_info *in, uint32_t size)
{
	assert_int_equal(in->nr_errors, 0);
	assert_int_equal(in->info_size, size);
	assert_string_equal(in->cmdline, CMDLINE);
	assert_string_equal(in->loader, "kestrel");
	assert_true(in->has_meminfo);
	assert_int_equal(in->mem_lower, 640);
	assert_int_equal(in->mem_upper, 7 * 1024);
	assert_true(in->has_mmap);
	assert_int_equal(in->mmap_entry_version, 0);
	assert_int_equal(in->nr_mmap, ARRAY_SIZE(want_map));
	for (unsigned i = 0; i < ARRAY_SIZE(want_map); i++) {
		assert_int_equal(in->mmap[i].base, want_map[i].base);
		assert_int_equal(in->mmap[i].len, want_map[i].len);
		assert_int_equal(in->mmap[i].type, want_map[i].type);
	}
	assert_ptr_equal(in->best_mmap, in->mmap);
	assert_int_equal(in->nr_modules, 2);
	assert_int_equal(in->modules[0].start, 0x150000);
	assert_int_equal(in->modules[0].end, 0x151234);
	assert_string_equal(in->modules[0].string, "initrd arg=1");
	assert_int_equal(in->modules[1].start, 0x160000);
	assert_int_equal(in->modules[1].end, 0x160010);
	assert_string_equal(in->modules[1].string, "");
	assert_false(in->fb.present || in->has_efi64 || in->has_efi_mmap || in->has_load_base);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Walk the raw tags: 8-aligned, padding zeroed, mmap entry_size 24, reserved 0. */
static void check_mb2_raw(const uint8_t *p, uint32_t size)
{
	uint32_t off = 8, types = 0;

	assert_int_equal(rd32(p), size);
	assert_int_equal(rd32(p + 4), 0);
	for (;;) {
		uint32_t type = rd32(p + off), tsize = rd32(p + off + 4);

		assert_int_equal(off % 8, 0);
		assert_true(tsize >= 8 && off + tsize <= size);
		for (uint32_t j = off + tsize; j < ALIGN_UP(off + tsize, 8); j++)
			assert_int_equal(p[j], 0);
		if (type == MB2_TAG_MMAP) {
			assert_int_equal(rd32(p + off + 8), 24);
			assert_int_equal(tsize, 16 + 24 * ARRAY_SIZE(want_map));
			for (unsigned i = 0; i < ARRAY_SIZE(want_map); i++)
				assert_int_equal(rd32(p + off + 16 + 24 * i + 20), 0);
		}
		types |= 1u << type;
		if (type == MB2_TAG_END) {
			assert_int_equal(tsize, 8);
			assert_int_equal(off + 8, size);
			break;
		}
		off += (uint32_t)ALIGN_UP(tsize, 8);
	}
	assert_int_equal(types, BIT(0) | BIT(1) | BIT(2) | BIT(3) | BIT(4) | BIT(6));
}

static void test_mb2_build(void **state)
{
	const uint64_t at = 0x10000;
	uint32_t size = 0;

	poison();
	assert_int_equal(bootinfo_mb2(&ms, gpa(at), 4096, &cfg, mods, 2, &size), 0);
	assert_int_equal(size, MB2_SIZE);
	check_mb2_raw(host(at), size);
	assert_int_equal(mb2_parse(host(at), size, &info), 0);
	check_mb2_info(&info, size);
	assert_untouched_outside(at, at + size);
}

/* Across the two host buffers backing [0, 1 MiB) and [1 MiB, 2 MiB). */
static void test_mb2_across_slots(void **state)
{
	const uint64_t at = MiB - 64;
	static uint8_t copy[MB2_SIZE];
	uint32_t size = 0;

	poison();
	assert_int_equal(bootinfo_mb2(&ms, gpa(at), MB2_SIZE, &cfg, mods, 2, &size), 0);
	assert_int_equal(size, MB2_SIZE);
	assert_int_equal(gmem_read(&ms, gpa(at), copy, size), 0);
	check_mb2_raw(copy, size);
	assert_int_equal(mb2_parse(copy, size, &info), 0);
	check_mb2_info(&info, size);
	assert_untouched_outside(at, at + size);
}

static void test_mb2_minimal(void **state)
{
	static const struct vm_region one[] = {{MiB, MiB, REGION_RAM, REGION_RWX, NULL, 0, 0}};
	const struct vm_config c = {.name = "min", .regions = one, .nr_regions = 1};
	uint32_t size = 0;

	poison();
	assert_int_equal(bootinfo_mb2(&ms, gpa(0x2000), 4096, &c, NULL, 0, &size), 0);
	/* header, cmdline "" (8+1 -> 16), loader 16, meminfo 16, mmap 16+24, end 8 */
	assert_int_equal(size, 8 + 16 + 16 + 16 + 40 + 8);
	assert_int_equal(mb2_parse(host(0x2000), size, &info), 0);
	assert_int_equal(info.nr_errors, 0);
	assert_string_equal(info.cmdline, "");
	assert_int_equal(info.mem_lower, 0); /* no RAM at 0 */
	assert_int_equal(info.mem_upper, 1024);
	assert_int_equal(info.nr_mmap, 1);
	assert_int_equal(info.nr_modules, 0);
	assert_untouched_outside(0x2000, 0x2000 + size);
}

static void test_mem_sizes(void **state)
{
	static const struct vm_region low512[] = {
	    {0, 512 * KiB, REGION_RAM, REGION_RWX, NULL, 0, 0}};
	static const struct vm_region big[] = {
	    {0, 2 * MiB, REGION_RAM, REGION_RWX, NULL, 0, 0},
	    {2 * MiB, 2 * MiB, REGION_ROM, REGION_R, "rom", 0, 0}, /* not RAM: ends the run */
	    {4 * MiB, MiB, REGION_RAM, REGION_RWX, NULL, 0, 0},
	};
	static const struct vm_region off[] = {
	    {4 * KiB, 4 * MiB, REGION_RAM, REGION_RWX, NULL, 0, 0}};
	struct vm_config c = {.name = "m"};

	c.regions = low512, c.nr_regions = 1;
	assert_int_equal(bootinfo_mem_lower(&c), 512);
	assert_int_equal(bootinfo_mem_upper(&c), 0);
	c.regions = big, c.nr_regions = 3;
	assert_int_equal(bootinfo_mem_lower(&c), 640);
	assert_int_equal(bootinfo_mem_upper(&c), 1024);
	c.regions = off, c.nr_regions = 1;
	assert_int_equal(bootinfo_mem_lower(&c), 0);
	assert_int_equal(bootinfo_mem_upper(&c), 4 * 1024 - 1024 + 4);
	assert_int_equal(bootinfo_mem_lower(&cfg), 640);
	assert_int_equal(bootinfo_mem_upper(&cfg), 7 * 1024);
}

typedef int (*build_fn)(const struct memslots *, gpa_t, size_t, const struct vm_config *,
			const struct guest_module *, unsigned, uint32_t *);

/* Failures of both builders: nothing written, the right errno. */
static void check_failures(build_fn build, uint32_t need)
{
	static const struct guest_module high[] = {{{0x100000000ULL}, 16, "hi"}};
	static const struct guest_module edge[] = {{{0xFFFFF000ULL}, 0x1000, "edge"}};
	uint32_t size = 0;

	poison();
	assert_int_equal(build(&ms, gpa(0x10000), need - 1, &cfg, mods, 2, &size), -ENOSPC);
	assert_int_equal(size, need); /* what it would have needed */
	assert_int_equal(build(&ms, gpa(0x10004), 4096, &cfg, mods, 2, &size), -EINVAL);
	assert_int_equal(build(&ms, gpa(2 * MiB - 128), 4096, &cfg, mods, 2, &size), -EFAULT);
	assert_int_equal(build(&ms, gpa(ROM_GPA), 4096, &cfg, mods, 2, &size), -EFAULT);
	assert_int_equal(build(&ms, gpa(0x40000000), 4096, &cfg, mods, 2, &size), -EFAULT);
	assert_int_equal(build(&ms, gpa(0x100000000ULL), 4096, &cfg, mods, 2, &size), -ERANGE);
	assert_int_equal(build(&ms, gpa(0x10000), 4096, &cfg, high, 1, &size), -ERANGE);
	assert_int_equal(build(&ms, gpa(0x10000), 4096, &cfg, edge, 1, &size), -ERANGE);
	assert_untouched_outside(0, 0);
	/* exactly enough room */
	assert_int_equal(build(&ms, gpa(0x10000), need, &cfg, mods, 2, &size), 0);
	assert_int_equal(size, need);
}

static void test_mb2_failures(void **state)
{
	check_failures(bootinfo_mb2, MB2_SIZE);
}

/* ---- Multiboot v1: our own layout of the spec's structures ---- */

struct t_mb1_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr, drives_length, drives_addr, config_table;
	uint32_t boot_loader_name, apm_table, vbe_control_info, vbe_mode_info;
	uint16_t vbe_mode, vbe_interface_seg, vbe_interface_off, vbe_interface_len;
	uint8_t framebuffer[28];
} __attribute__((packed));

struct t_mb1_mod {
	uint32_t start, end, string, reserved;
} __attribute__((packed));

struct t_mb1_mmap {
	uint32_t size;
	uint64_t base, len;
	uint32_t type;
} __attribute__((packed));

static_assert(offsetof(struct t_mb1_info, mem_lower) == 4, "mem_lower");
static_assert(offsetof(struct t_mb1_info, mem_upper) == 8, "mem_upper");
static_assert(offsetof(struct t_mb1_info, cmdline) == 16, "cmdline");
static_assert(offsetof(struct t_mb1_info, mods_count) == 20, "mods_count");
static_assert(offsetof(struct t_mb1_info, mods_addr) == 24, "mods_addr");
static_assert(offsetof(struct t_mb1_info, mmap_length) == 44, "mmap_length");
static_assert(offsetof(struct t_mb1_info, mmap_addr) == 48, "mmap_addr");
static_assert(offsetof(struct t_mb1_info, boot_loader_name) == 64, "boot_loader_name");
static_assert(offsetof(struct t_mb1_info, framebuffer) == 88, "framebuffer_addr");
static_assert(sizeof(struct t_mb1_info) == 116, "multiboot info");
static_assert(sizeof(struct t_mb1_mod) == 16, "module");
static_assert(offsetof(struct t_mb1_mmap, type) == 20, "mmap type");
static_assert(sizeof(struct t_mb1_mmap) == 24, "mmap entry");

/* 120 (the structure, padded), 2 modules, 8 map entries, strings "CMDLINE", "kestrel",
 * "initrd arg=1", "" */
#define MB1_SIZE (120 + 2 * 16 + 8 * 24 + 20 + 8 + 13 + 1)

/* A NUL-terminated string at @a, inside [lo, hi). */
static const char *gstr(uint32_t a, uint64_t lo, uint64_t hi)
{
	const char *s = (const char *)host(a);

	assert_true(a >= lo && a < hi);
	assert_true(a + strnlen(s, hi - a) < hi);
	return s;
}

static void check_mb1(uint64_t at, uint32_t size)
{
	struct t_mb1_info in;
	uint64_t end = at + size;
	uint32_t a;

	memcpy(&in, host(at), sizeof(in));
	assert_int_equal(in.flags, BIT(0) | BIT(2) | BIT(3) | BIT(6) | BIT(9));
	assert_int_equal(in.mem_lower, 640);
	assert_int_equal(in.mem_upper, 7 * 1024);
	assert_string_equal(gstr(in.cmdline, at, end), CMDLINE);
	assert_string_equal(gstr(in.boot_loader_name, at, end), "kestrel");
	assert_int_equal(in.mods_count, 2);
	for (unsigned i = 0; i < 2; i++) {
		struct t_mb1_mod m;

		assert_true(in.mods_addr + 16 * (i + 1) <= end);
		memcpy(&m, host(in.mods_addr + 16 * i), sizeof(m));
		assert_int_equal(m.start, mods[i].start.v);
		assert_int_equal(m.end, mods[i].start.v + mods[i].size);
		assert_string_equal(gstr(m.string, at, end), mods[i].string ? mods[i].string : "");
		assert_int_equal(m.reserved, 0);
	}
	/* the map the way a v1 guest walks it: size field first, next at +size+4 */
	assert_int_equal(in.mmap_length, ARRAY_SIZE(want_map) * 24);
	assert_true(in.mmap_addr >= at && in.mmap_addr + in.mmap_length <= end);
	a = in.mmap_addr;
	for (unsigned i = 0; i < ARRAY_SIZE(want_map); i++) {
		struct t_mb1_mmap e;

		memcpy(&e, host(a), sizeof(e));
		assert_int_equal(e.size, 20);
		assert_int_equal(e.base, want_map[i].base);
		assert_int_equal(e.len, want_map[i].len);
		assert_int_equal(e.type, want_map[i].type);
		a += e.size + 4;
	}
	assert_int_equal(a, in.mmap_addr + in.mmap_length);
	/* fields we do not claim are zero */
	assert_int_equal(in.boot_device, 0);
	assert_int_equal(in.syms[0] | in.syms[1] | in.syms[2] | in.syms[3], 0);
	assert_int_equal(in.drives_length | in.drives_addr | in.config_table | in.apm_table, 0);
	assert_int_equal(in.vbe_control_info | in.vbe_mode_info | in.vbe_mode, 0);
	for (unsigned i = 0; i < sizeof(in.framebuffer); i++)
		assert_int_equal(in.framebuffer[i], 0);
}

static void test_mb1_build(void **state)
{
	const uint64_t at = 0x20000;
	uint32_t size = 0;

	poison();
	assert_int_equal(bootinfo_mb1(&ms, gpa(at), 4096, &cfg, mods, 2, &size), 0);
	assert_int_equal(size, MB1_SIZE);
	check_mb1(at, size);
	assert_untouched_outside(at, at + size);

	/* across the slot boundary */
	poison();
	assert_int_equal(bootinfo_mb1(&ms, gpa(MiB - 200), 4096, &cfg, mods, 2, &size), 0);
	check_mb1(MiB - 200, size);
	assert_untouched_outside(MiB - 200, MiB - 200 + size);
}

static void test_mb1_no_modules(void **state)
{
	struct vm_config c = cfg;
	struct t_mb1_info in;
	uint32_t size = 0;

	c.cmdline = NULL;
	poison();
	assert_int_equal(bootinfo_mb1(&ms, gpa(0x8000), 4096, &c, NULL, 0, &size), 0);
	assert_int_equal(size, 120 + 8 * 24 + 1 + 8);
	memcpy(&in, host(0x8000), sizeof(in));
	assert_int_equal(in.mods_count, 0);
	assert_string_equal(gstr(in.cmdline, 0x8000, 0x8000 + size), "");
	assert_string_equal(gstr(in.boot_loader_name, 0x8000, 0x8000 + size), "kestrel");
	assert_untouched_outside(0x8000, 0x8000 + size);
}

static void test_mb1_failures(void **state)
{
	check_failures(bootinfo_mb1, MB1_SIZE);
}

/* Placement: the preferred address unless something is there, else the lowest free gap. */
static void test_place(void **state)
{
	static const struct vm_region r[] = {
	    {0, MiB, REGION_RAM, REGION_RWX, NULL, 0, 0},
	    {MiB, MiB, REGION_ROM, REGION_R, "rom", 0, 0},
	    {2 * MiB, 2 * MiB, REGION_RAM, REGION_RWX, NULL, 0, 0},
	};
	struct vm_config c = {.name = "p", .regions = r, .nr_regions = 3};
	struct gpa_span busy[3] = {{0x100000, 0x180000}};
	gpa_t at = gpa(1);

	/* the preferred place is free */
	assert_int_equal(bootinfo_place(&c, busy, 1, 0x800, 0x10000, &at), 0);
	assert_int_equal(at.v, 0x10000);
	/* an image loaded over it: the lowest gap, right after page 0 */
	busy[0] = (struct gpa_span){0x8000, 0x20000};
	assert_int_equal(bootinfo_place(&c, busy, 1, 0x800, 0x10000, &at), 0);
	assert_int_equal(at.v, 0x1000);
	/* [0x1000, 0x1800) taken by a module too: after the image, 8-byte aligned */
	busy[1] = (struct gpa_span){0x1000, 0x1801};
	assert_int_equal(bootinfo_place(&c, busy, 2, 0x800, 0x10000, &at), 0);
	assert_int_equal(at.v, 0x1808);
	busy[1] = (struct gpa_span){0x1000, 0x8000};
	assert_int_equal(bootinfo_place(&c, busy, 2, 0x800, 0x10000, &at), 0);
	assert_int_equal(at.v, 0x20000);
	/* all of the low MiB taken: never into the ROM, the next RAM region instead */
	busy[2] = (struct gpa_span){0x20000, MiB};
	assert_int_equal(bootinfo_place(&c, busy, 3, 0x800, 0x10000, &at), 0);
	assert_int_equal(at.v, 2 * MiB);
	/* a size that fits no RAM run clear of them: a named refusal, *at untouched */
	at = gpa(1);
	assert_int_equal(bootinfo_place(&c, busy, 3, 2 * MiB + 1, 0x10000, &at), -ENOSPC);
	assert_int_equal(at.v, 1);
	/* a preferred address that would straddle into the ROM is refused too */
	assert_int_equal(bootinfo_place(&c, busy, 0, 0x1000, MiB - 0x800, &at), 0);
	assert_int_equal(at.v, 0x1000);
	/* nothing below 4 GiB */
	static const struct vm_region high[] = {
	    {4ULL << 30, MiB, REGION_RAM, REGION_RWX, NULL, 0, 0}};
	c.regions = high, c.nr_regions = 1;
	assert_int_equal(bootinfo_place(&c, NULL, 0, 0x100, 4ULL << 30, &at), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mb2_build),	   cmocka_unit_test(test_mb2_across_slots),
	    cmocka_unit_test(test_mb2_minimal),	   cmocka_unit_test(test_mem_sizes),
	    cmocka_unit_test(test_mb2_failures),   cmocka_unit_test(test_mb1_build),
	    cmocka_unit_test(test_mb1_no_modules), cmocka_unit_test(test_mb1_failures),
	    cmocka_unit_test(test_place),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
