/*
 * libFuzzer target for loader/loader.c and loader/bootinfo.c: the input is an image (raw, or an
 * ELF / Multiboot header assembled from input fields so the deep paths are reached) loaded
 * into a small guest of guarded host buffers, or the parameters of a boot information
 * build. Aborts on a guard byte changed, a write after a refusal, a result outside RAM,
 * a malformed error line, or boot information that mb2_parse() does not read back whole.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw/mb2.h"
#include "lib/errno.h"
#include "loader/bootinfo.h"
#include "loader/loader.h"
#include "test/fuzz/reader.h"

#define GUARD  256
#define POISON 0xCC
#define BUF_SZ (16 * KiB)

/* RAM [0, 32 KiB) in two buffers, RAM at 1 MiB, ROM at the top of 4 GiB. */
static const uint64_t buf_gpa[] = {0, BUF_SZ, MiB, 0xFFFFC000ULL};
static const enum region_kind buf_kind[] = {REGION_RAM, REGION_RAM, REGION_RAM, REGION_ROM};
#define NR_BUFS 4

static uint8_t bufs[NR_BUFS][GUARD + BUF_SZ + GUARD];
static struct memslots ms;

static void die(const char *why)
{
	fprintf(stderr, "fuzz_loader: %s\n", why);
	abort();
}

static void init(void)
{
	static bool done;

	if (done)
		return;
	done = true;
	memslots_init(&ms);
	for (int i = 0; i < NR_BUFS; i++) {
		struct mem_slot s = {.base_gfn = gpa_to_gfn(gpa(buf_gpa[i])),
				     .npages = BUF_SZ >> PAGE_SHIFT,
				     .hpa = hpa((uint64_t)(uintptr_t)(bufs[i] + GUARD)),
				     .kind = buf_kind[i],
				     .rights = REGION_RWX};

		if (memslot_add(&ms, &s))
			die("memslot_add");
	}
	/* MMIO with no host frames (or bogus ones): any touch faults under ASan */
	struct mem_slot e = {.base_gfn = gfn(0xD0000), .npages = 1, .kind = REGION_MMIO_EMUL};
	struct mem_slot p = {
	    .base_gfn = gfn(0xFEC00), .npages = 1, .hpa = hpa(16), .kind = REGION_MMIO_PASS};

	if (memslot_add(&ms, &e) || memslot_add(&ms, &p))
		die("memslot_add mmio");
}

static void poison(void)
{
	memset(bufs, POISON, sizeof(bufs));
}

/* Guards intact always; with @clean, nothing written at all. */
static void check_mem(bool clean)
{
	static uint8_t ref[GUARD + BUF_SZ + GUARD];

	if (!ref[0])
		memset(ref, POISON, sizeof(ref));
	for (int i = 0; i < NR_BUFS; i++) {
		if (memcmp(bufs[i], ref, GUARD) || memcmp(bufs[i] + GUARD + BUF_SZ, ref, GUARD))
			die("guard byte written");
		if (clean && memcmp(bufs[i] + GUARD, ref, BUF_SZ))
			die("memory written on failure");
	}
}

static void check_err(int ret, const char *err, size_t errlen)
{
	size_t n = strnlen(err, errlen);

	if (n == errlen)
		die("error text not terminated");
	if (memchr(err, '\n', n))
		die("error text has a newline");
	if (ret && n == 0)
		die("failure without a message");
	if (!ret && n)
		die("success with a message");
}

/* ---- reading the input (take() is test/fuzz/reader.h) ---- */

/* Guest addresses: mostly near our RAM and ROM, sometimes anything. */
static uint64_t addr(struct rd *r)
{
	static const uint64_t near[] = {
	    0, BUF_SZ, MiB, 0xFFFFC000ULL, 0xFFFFFFFFULL, 0xFFFFFFFFFFFFF000ULL};
	unsigned sel = (unsigned)take(r, 1);

	if (sel >= 0xF0)
		return take(r, 8);
	return near[sel % ARRAY_SIZE(near)] + take(r, 2) - 0x100;
}

static void put(uint8_t *img, size_t size, size_t off, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes && off + i < size; i++)
		img[off + i] = (uint8_t)(v >> (8 * i));
}

/* ---- images ---- */

static void check_load(int ret, const struct load_result *r, const char *err)
{
	check_err(ret, err, LOADER_ERR_LEN);
	check_mem(ret != 0);
	if (ret)
		return;
	if (r->lo.v >= r->end.v || !gmem_covered(&ms, r->lo, 1, GMEM_RAM) ||
	    !gmem_covered(&ms, gpa(r->end.v - 1), 1, GMEM_RAM))
		die("loaded range not in RAM");
	if (r->bits != 32 && r->bits != 64)
		die("bits");
}

static void load(int mode, const uint8_t *img, size_t size)
{
	struct load_result r;
	char err[LOADER_ERR_LEN];
	struct mb1_header_info h1;
	struct mb2_header_info h2;
	int ret;

	poison();
	if (mode == 0)
		ret = loader_load_elf(&ms, img, size, &r, err, sizeof(err));
	else
		ret = loader_load_image(&ms, mode == 1 ? BOOT_MULTIBOOT1 : BOOT_MULTIBOOT2, img,
					size, &r, err, sizeof(err));
	check_load(ret, &r, err);
	if (loader_find_mb1_header(img, size, &h1) == 0 && h1.offset % 4)
		die("mb1 header misaligned");
	if (loader_find_mb2_header(img, size, &h2) == 0 &&
	    (h2.offset % 8 || h2.offset + h2.length > size))
		die("mb2 header misplaced");
}

/* An ELF header and program headers from input fields, the rest raw. */
static size_t build_elf(struct rd *r, uint8_t *img, size_t cap)
{
	bool is64 = take(r, 1) & 1;
	unsigned phnum = (unsigned)take(r, 1) % 6, ehs = is64 ? 64 : 52, phs = is64 ? 56 : 32;
	size_t size = ehs + phnum * phs + (size_t)take(r, 2) % 2048;

	size = size > cap ? cap : size;
	memset(img, 0, size);
	put(img, size, 0, 0x464C457F, 4);
	put(img, size, 4, is64 ? 2 : 1, 1);
	put(img, size, 5, 1, 1);
	put(img, size, 6, 1, 1);
	put(img, size, 16, 2, 2);
	put(img, size, 18, is64 ? 62 : 3, 2);
	put(img, size, 24, addr(r), is64 ? 8 : 4);
	put(img, size, is64 ? 32 : 28, ehs, is64 ? 8 : 4);
	put(img, size, is64 ? 54 : 42, phs, 2);
	put(img, size, is64 ? 56 : 44, phnum, 2);
	for (unsigned i = 0; i < phnum; i++) {
		size_t ph = ehs + i * phs;
		uint64_t f = take(r, 2), m = f + take(r, 2), o = take(r, 2);

		put(img, size, ph, take(r, 1) & 1 ? 1 : 4, 4);
		put(img, size, ph + (is64 ? 8 : 4), o, is64 ? 8 : 4);
		put(img, size, ph + (is64 ? 24 : 12), addr(r), is64 ? 8 : 4);
		put(img, size, ph + (is64 ? 32 : 16), f, is64 ? 8 : 4);
		put(img, size, ph + (is64 ? 40 : 20), m, is64 ? 8 : 4);
	}
	for (size_t i = ehs + phnum * phs; i < size; i++)
		img[i] = (uint8_t)take(r, 1);
	return size;
}

/* A raw image with a Multiboot (v1, or v2 with tags) header planted in it. */
static size_t build_mb(struct rd *r, uint8_t *img, size_t cap, bool v2)
{
	size_t size = 64 + (size_t)take(r, 2) % 4096, off;
	uint32_t flags = (uint32_t)take(r, 4), len;

	size = size > cap ? cap : size;
	for (size_t i = 0; i < size; i++)
		img[i] = (uint8_t)take(r, 1);
	off = (take(r, 1) * 8) % (size - 48);
	if (!v2) {
		put(img, size, off, 0x1BADB002u, 4);
		put(img, size, off + 4, flags, 4);
		put(img, size, off + 8, (uint32_t) - (0x1BADB002u + flags), 4);
		for (int i = 0; i < 5; i++)
			put(img, size, off + 12 + 4 * i, addr(r), 4);
		return size;
	}
	len = (uint32_t)(size - off);
	len = len > 256 ? 256 : len;
	len = flags & 1 ? len : (uint32_t)take(r, 1) + 24;
	put(img, size, off, 0xE85250D6u, 4);
	put(img, size, off + 4, 0, 4);
	put(img, size, off + 8, len, 4);
	put(img, size, off + 12, (uint32_t) - (0xE85250D6u + len), 4);
	/* an address tag and an entry tag, then whatever the input holds */
	put(img, size, off + 16, 2 | (flags & 0x10000), 4);
	put(img, size, off + 20, 24, 4);
	for (int i = 0; i < 4; i++)
		put(img, size, off + 24 + 4 * i, addr(r), 4);
	put(img, size, off + 40, 3, 4);
	put(img, size, off + 44, 12, 4);
	put(img, size, off + 48, addr(r), 4);
	return size;
}

/* ---- boot information ---- */

static void bootinfo(struct rd *r, bool v2)
{
	static char strs[5][24];
	static uint8_t copy[8192];
	static struct mb2_info info;
	struct vm_region regs[6];
	struct guest_module mods[3];
	struct vm_config cfg = {.name = "fz", .regions = regs};
	unsigned nr_mods = (unsigned)take(r, 1) % 4;
	uint32_t size = 0;
	uint64_t at;
	size_t max;
	int ret;

	cfg.nr_regions = (unsigned)take(r, 1) % 7;
	for (unsigned i = 0; i < cfg.nr_regions; i++)
		regs[i] =
		    (struct vm_region){.gpa = addr(r),
				       .size = take(r, 3) + 1,
				       .kind = (enum region_kind)(take(r, 1) % REGION_KIND_COUNT),
				       .rights = REGION_RWX};
	for (unsigned i = 0; i < 5; i++) {
		memset(strs[i], 0, sizeof(strs[i]));
		for (unsigned j = 0; j < (unsigned)take(r, 1) % sizeof(strs[i]); j++)
			strs[i][j] = (char)(take(r, 1) | 1);
	}
	cfg.cmdline = take(r, 1) & 1 ? strs[0] : NULL;
	for (unsigned i = 0; i < nr_mods; i++)
		mods[i] = (struct guest_module){gpa(addr(r)), take(r, 4), strs[1 + i]};
	at = addr(r);
	max = (size_t)take(r, 2);
	poison();
	if (v2)
		ret = bootinfo_mb2(&ms, gpa(at), max, &cfg, mods, nr_mods, &size);
	else
		ret = bootinfo_mb1(&ms, gpa(at), max, &cfg, mods, nr_mods, &size);
	check_mem(ret != 0);
	if (ret)
		return;
	if (size > max || size > sizeof(copy) || gmem_read(&ms, gpa(at), copy, size))
		die("boot information size or place");
	if (!v2)
		return;
	if (mb2_parse(copy, size, &info) || info.nr_errors || info.info_size != size ||
	    strcmp(info.loader, "kestrel") || info.nr_mmap != cfg.nr_regions)
		die("mb2 information does not parse back");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t scratch[8192];
	struct rd r = {data, size};
	unsigned mode = (unsigned)take(&r, 1) % 7;
	size_t n;
	uint8_t *img;

	init();
	if (mode == 5 || mode == 6) {
		bootinfo(&r, mode == 5);
		return 0;
	}
	if (mode < 3) {
		n = r.n; /* raw: the rest of the input is the image */
		memcpy(scratch, r.p, n > sizeof(scratch) ? sizeof(scratch) : n);
		n = n > sizeof(scratch) ? sizeof(scratch) : n;
	} else if (mode == 3) {
		n = build_elf(&r, scratch, sizeof(scratch));
	} else {
		n = build_mb(&r, scratch, sizeof(scratch), take(&r, 1) & 1);
	}
	img = malloc(n ? n : 1); /* exact size: ASan sees any read past the image */
	memcpy(img, scratch, n);
	load(mode < 3 ? (int)mode : (int)(take(&r, 1) % 3), img, n);
	free(img);
	return 0;
}
