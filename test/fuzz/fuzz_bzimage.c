/*
 * libFuzzer target for loader/linux.c and loader/linux_e820.c: the input is a raw image, or a
 * valid bzImage header built from input fields and then mutated at input-chosen bytes, with
 * an input-chosen initrd, command line, reserved ranges and RSDP, loaded into a small guest
 * of guarded buffers; or a random memory map for linux_e820. Aborts on a guard byte changed,
 * a write after a refusal, a malformed error line, a load whose kernel, zero page or initrd
 * does not read back, or a map that is unsorted, overlapping, unmerged or of a wrong type.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/errno.h"
#include "loader/linux.h"
#include "loader/loader.h"
#include "mm/gmem.h"
#include "test/fuzz/reader.h"

#define GUARD  256
#define POISON 0xCC

/* RAM [0, 256 KiB) and [1 MiB, 3 MiB), RAM above 4 GiB, a ROM, emulated and passthrough MMIO. */
static const struct vm_region regs[] = {
    {.gpa = 0, .size = 256 * KiB, .kind = REGION_RAM, .rights = REGION_RWX},
    {.gpa = MiB, .size = 2 * MiB, .kind = REGION_RAM, .rights = REGION_RWX},
    {.gpa = 0x100000000ULL, .size = 256 * KiB, .kind = REGION_RAM, .rights = REGION_RWX},
    {.gpa = 0xFFFF0000ULL, .size = 64 * KiB, .kind = REGION_ROM, .rights = REGION_R | REGION_X},
    {.gpa = 0xD0000000ULL, .size = 4 * KiB, .kind = REGION_MMIO_EMUL, .rights = REGION_R},
    {.gpa = 0xFEC00000ULL, .size = 4 * KiB, .kind = REGION_MMIO_PASS, .rights = REGION_R},
};
#define NR_REGS 6
#define NR_BUFS 4 /* the backed ones, first */
#define BUF_MAX (2 * MiB)
static uint8_t *bufs[NR_BUFS]; /* GUARD + size + GUARD each */
static struct memslots ms;
static const struct vm_config cfg = {.name = "fz", .regions = regs, .nr_regions = NR_REGS};

static void die(const char *why)
{
	fprintf(stderr, "fuzz_bzimage: %s\n", why);
	abort();
}

static void init(void)
{
	static bool done;

	if (done)
		return;
	done = true;
	memslots_init(&ms);
	for (int i = 0; i < NR_REGS; i++) {
		struct mem_slot s = {.base_gfn = gpa_to_gfn(gpa(regs[i].gpa)),
				     .npages = regs[i].size >> PAGE_SHIFT,
				     .kind = regs[i].kind,
				     .rights = regs[i].rights,
				     .region = (uint16_t)i};

		if (i < NR_BUFS) {
			bufs[i] = malloc(regs[i].size + 2 * GUARD);
			if (!bufs[i])
				die("malloc");
			memset(bufs[i], POISON, regs[i].size + 2 * GUARD);
			s.hpa = hpa((uint64_t)(uintptr_t)(bufs[i] + GUARD));
		} else {
			s.hpa = hpa(i == 5 ? 16 : 0); /* no host frames: any touch faults */
		}
		if (memslot_add(&ms, &s))
			die("memslot_add");
	}
}

/* Guards intact always; with @clean, nothing written at all. Re-poisons after a write. */
static void check_mem(bool clean)
{
	static uint8_t ref[BUF_MAX + 2 * GUARD];

	if (!ref[0])
		memset(ref, POISON, sizeof(ref));
	for (int i = 0; i < NR_BUFS; i++) {
		uint64_t n = regs[i].size;

		if (memcmp(bufs[i], ref, GUARD) || memcmp(bufs[i] + GUARD + n, ref, GUARD))
			die("guard byte written");
		if (clean && memcmp(bufs[i] + GUARD, ref, n))
			die("memory written on failure");
		if (!clean)
			memset(bufs[i] + GUARD, POISON, n);
	}
}

static void check_err(int ret, const char *err, size_t errlen)
{
	size_t n = strnlen(err, errlen);

	if (n == errlen)
		die("error text not terminated");
	if (memchr(err, '\n', n))
		die("error text has a newline");
	if (ret && (n == 0 || strncmp(err, "bzImage: ", 9)))
		die("failure without a bzImage: message");
	if (!ret && n)
		die("success with a message");
	if (ret && n + 1 >= errlen)
		die("error text cut: the buffer is too small for it");
}

/* ---- reading the input (take() is test/fuzz/reader.h) ---- */

static uint64_t pick(struct rd *r, const uint64_t *set, unsigned n)
{
	unsigned sel = (unsigned)take(r, 1);

	return sel >= 0xF0 ? take(r, 8) : set[sel % n];
}

static void put(uint8_t *img, size_t size, size_t off, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes && off + i < size; i++)
		img[off + i] = (uint8_t)(v >> (8 * i));
}

static uint64_t rdb(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* ---- a header from fields, then mutated ---- */

static size_t build_bz(struct rd *r, uint8_t *img, size_t cap)
{
	static const uint64_t vers[] = {0x020F, 0x0206, 0x020A, 0x020C, 0x020D, 0x0205};
	static const uint64_t inits[] = {0x10000, 0x100000, 0x1000, 0x200000, 0};
	static const uint64_t prefs[] = {0x100000, 0x200000, 0, 0x1000000, 0xFFFFF000};
	static const uint64_t aligns[] = {0x100000, 0x200000, 0x1000, 0x300000};
	unsigned sects = (unsigned)take(r, 1) % 8, kb = (unsigned)take(r, 2) % 0x4000;
	size_t size = (size_t)((sects ? sects : 4) + 1) * 512 + kb + (size_t)take(r, 1);

	size = size > cap ? cap : size;
	for (size_t i = 0; i < size; i++)
		img[i] = (uint8_t)(i * 31 + 5);
	memset(img + 0x1F1, 0, 0x290 - 0x1F1);
	put(img, size, 0x1F1, sects, 1);
	put(img, size, 0x1F4, kb / 16, 4);
	put(img, size, 0x1FE, 0xAA55, 2);
	put(img, size, 0x200, 0xEB | (0x26C - 0x202) << 8, 2);
	put(img, size, 0x202, 0x53726448, 4);
	put(img, size, 0x206, pick(r, vers, 6), 2);
	put(img, size, 0x211, take(r, 1) | 1, 1);
	put(img, size, 0x214, pick(r, prefs, 5), 4);
	put(img, size, 0x22C, take(r, 1) & 1 ? 0x7FFFFFFF : take(r, 4), 4);
	put(img, size, 0x230, pick(r, aligns, 4), 4);
	put(img, size, 0x234, take(r, 1) & 1, 1);
	put(img, size, 0x236, take(r, 2), 2);
	put(img, size, 0x238, take(r, 1) & 1 ? 2047 : take(r, 2), 4);
	put(img, size, 0x258, pick(r, prefs, 5), 8);
	put(img, size, 0x260, pick(r, inits, 5), 4);
	for (unsigned n = (unsigned)take(r, 1) % 4; n; n--) /* a few bytes anywhere in the header */
		put(img, size, 0x1F1 + (size_t)take(r, 1) % (0x290 - 0x1F1), take(r, 1), 1);
	return size;
}

static void build_boot(struct rd *r, struct linux_boot *lb)
{
	static const uint64_t places[] = {0xE0000,  0x7000,	    0x20000,	   0x180000,
					  0x2FF000, 0x100000000ULL, 0xFFFF0000ULL, 0x30000};
	static char cmd[300];
	static uint8_t initrd[1024 * 1024];
	unsigned nc = (unsigned)take(r, 2) % sizeof(cmd);

	for (unsigned i = 0; i < nc; i++)
		cmd[i] = (char)(take(r, 1) | 1);
	cmd[nc] = '\0';
	lb->cmdline = take(r, 1) & 1 ? cmd : NULL;
	lb->initrd_size = (size_t)take(r, 3) % sizeof(initrd);
	lb->initrd = take(r, 1) % 8 ? initrd : NULL;
	lb->nr_reserved = (unsigned)take(r, 1) % 6;
	for (unsigned i = 0; i < lb->nr_reserved && i < LINUX_RESERVED_MAX; i++)
		lb->reserved[i] =
		    (struct linux_range){pick(r, places, 8), take(r, 3), (uint32_t)take(r, 1) % 7};
	lb->rsdp = take(r, 1) & 1 ? pick(r, places, 8) + take(r, 1) : 0;
}

/* ---- checks of a load ---- */

static bool in_ram(uint64_t a, uint64_t len)
{
	return gmem_covered(&ms, gpa(a), len, GMEM_RAM);
}

static void check_loaded(const uint8_t *img, size_t size, const struct linux_boot *lb)
{
	static uint8_t back[BUF_MAX];
	uint64_t sects = img[0x1F1] ? img[0x1F1] : 4, kofs = (sects + 1) * 512;
	uint64_t kbytes = rdb(img + 0x1F4, 4) * 16;
	uint8_t zp[0x300];

	if (kofs + kbytes > size || kbytes > sizeof(back))
		die("loaded a kernel the image does not hold");
	if (gmem_read(&ms, gpa(lb->entry), back, kbytes) || memcmp(back, img + kofs, kbytes))
		die("kernel does not read back");
	if (lb->kernel_lo > lb->entry || lb->kernel_end < lb->entry + kbytes ||
	    !in_ram(lb->kernel_lo, lb->kernel_end - lb->kernel_lo))
		die("kernel area");
	if (gmem_read(&ms, gpa(lb->zero_page), zp, sizeof(zp)) ||
	    rdb(zp + 0x202, 4) != 0x53726448 || zp[0x210] != 0xFF ||
	    rdb(zp + 0x228, 4) != lb->cmdline_gpa || zp[0x1EF] || zp[0x1E8] != lb->nr_e820 ||
	    lb->nr_e820 > LINUX_E820_MAX)
		die("zero page");
	if (!lb->initrd_size)
		return;
	if (lb->initrd_gpa % PAGE_SIZE || !in_ram(lb->initrd_gpa, lb->initrd_size) ||
	    (lb->initrd_gpa < lb->kernel_end && lb->kernel_lo < lb->initrd_gpa + lb->initrd_size))
		die("initrd place");
	for (unsigned i = 0; i < lb->nr_reserved; i++)
		if (lb->initrd_gpa < lb->reserved[i].gpa + lb->reserved[i].size &&
		    lb->reserved[i].gpa < lb->initrd_gpa + lb->initrd_size)
			die("initrd on a reserved range");
	if (gmem_read(&ms, gpa(lb->initrd_gpa), back, lb->initrd_size) ||
	    memcmp(back, lb->initrd, lb->initrd_size))
		die("initrd does not read back");
}

static void load(const uint8_t *data, size_t n, struct linux_boot *lb)
{
	char err[LOADER_ERR_LEN];
	uint8_t *img = malloc(n ? n : 1); /* exact size: ASan sees any read past the image */
	int ret;

	memcpy(img, data, n);
	lb->image = img;
	lb->size = n;
	ret = linux_load(&ms, &cfg, lb, err, sizeof(err));
	check_err(ret, err, sizeof(err));
	if (!ret)
		check_loaded(img, n, lb);
	check_mem(ret != 0);
	free(img);
}

/* ---- the map alone ---- */

/* The type a Linux guest must see at @p, by the rules written out once more. */
static uint32_t oracle(const struct vm_region *rg, unsigned nr, const struct linux_range *res,
		       unsigned nr_res, uint64_t p)
{
	for (unsigned i = 0; i < nr_res; i++)
		if (p >= res[i].gpa && p - res[i].gpa < res[i].size)
			return res[i].type;
	for (unsigned i = 0; i < nr; i++)
		if (p >= rg[i].gpa && p - rg[i].gpa < rg[i].size)
			return rg[i].kind == REGION_RAM && (p < 0x9F000 || p >= 0x100000) ? 1 : 2;
	return 0;
}

static void map(struct rd *r)
{
	static const uint64_t near[] = {
	    0, 0x9F000, 0xA0000, 0x100000, 0xFEC00000ULL, 0x100000000ULL, 0x7000};
	struct vm_region rg[8];
	struct linux_range res[4];
	struct linux_e820_entry e[64];
	unsigned nr = (unsigned)take(r, 1) % 9, nr_res = (unsigned)take(r, 1) % 5, n;
	struct vm_config c = {.name = "m", .regions = rg, .nr_regions = nr};

	for (unsigned i = 0; i < nr; i++)
		rg[i] =
		    (struct vm_region){.gpa = pick(r, near, 7) + take(r, 2) * 0x1000,
				       .size = take(r, 3) + 1,
				       .kind = (enum region_kind)(take(r, 1) % REGION_KIND_COUNT)};
	for (unsigned i = 0; i < nr_res; i++) {
		res[i] = (struct linux_range){pick(r, near, 7) + take(r, 2), take(r, 3) + 1,
					      2 + (uint32_t)take(r, 1) % 4};
		if (res[i].gpa > UINT64_MAX - res[i].size)
			return;
		for (unsigned j = 0; j < i; j++)
			if (res[i].gpa < res[j].gpa + res[j].size &&
			    res[j].gpa < res[i].gpa + res[i].size)
				return; /* linux_e820's precondition */
	}
	for (unsigned i = 0; i < nr; i++)
		if (rg[i].gpa > UINT64_MAX - rg[i].size)
			return; /* the validator refuses wrapping regions */
	n = linux_e820(&c, res, nr_res, e, ARRAY_SIZE(e));
	if (n > 2 * (nr + nr_res) + 2 || n > ARRAY_SIZE(e))
		die("map longer than its boundaries allow");
	for (unsigned i = 0; i < n; i++) {
		if (!e[i].size || e[i].type < 1 || e[i].type > 5)
			die("empty entry or bad type");
		if (e[i].type != oracle(rg, nr, res, nr_res, e[i].addr) ||
		    e[i].type != oracle(rg, nr, res, nr_res, e[i].addr + e[i].size - 1))
			die("entry type differs from the rules");
		if (i && e[i - 1].addr + e[i - 1].size > e[i].addr)
			die("unsorted or overlapping entries");
		if (i && e[i - 1].addr + e[i - 1].size == e[i].addr && e[i - 1].type == e[i].type)
			die("adjacent equal entries not merged");
		if (i && e[i - 1].addr + e[i - 1].size < e[i].addr &&
		    oracle(rg, nr, res, nr_res, e[i - 1].addr + e[i - 1].size))
			die("memory left out of the map");
	}
	if (n && e[0].addr && oracle(rg, nr, res, nr_res, 0))
		die("memory left out below the first entry");
	if (n && e[n - 1].addr + e[n - 1].size != UINT64_MAX &&
	    oracle(rg, nr, res, nr_res, e[n - 1].addr + e[n - 1].size))
		die("memory left out above the last entry");
	if (!n && nr && rg[0].size && oracle(rg, nr, res, nr_res, rg[0].gpa))
		die("an empty map of a region");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t scratch[0x8000];
	struct rd r = {data, size};
	unsigned mode = (unsigned)take(&r, 1) % 4;
	struct linux_boot lb = {0};

	init();
	if (mode == 3) {
		map(&r);
		return 0;
	}
	if (mode == 0) { /* raw: the rest of the input is the image */
		load(r.p, r.n, &lb);
		return 0;
	}
	size = build_bz(&r, scratch, sizeof(scratch));
	if (mode == 2)
		build_boot(&r, &lb);
	load(scratch, size, &lb);
	return 0;
}
