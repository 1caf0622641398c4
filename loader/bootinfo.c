/*
 * Multiboot2 and Multiboot (v1) boot information, written into guest RAM through gmem_*.
 * Invariants: the size is computed and [at, at + size) checked (fits, below 4 GiB, RAM)
 * before the first byte is written, so the writes below cannot fail half-way.
 * Called by the VM builder; built freestanding and on the host.
 */
#include "loader/bootinfo.h"
#include "fw/mb2.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "loader/loader.h"

/* ---- Multiboot (v1) wire format ("Multiboot Specification version 0.6.96", Boot information format) ---- */

#define MB1_INFO_MEM	 BIT(0)
#define MB1_INFO_CMDLINE BIT(2)
#define MB1_INFO_MODS	 BIT(3)
#define MB1_INFO_MMAP	 BIT(6)
#define MB1_INFO_LOADER	 BIT(9)

struct mb1_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr, drives_length, drives_addr, config_table;
	uint32_t boot_loader_name, apm_table, vbe_control_info, vbe_mode_info;
	uint16_t vbe_mode, vbe_interface_seg, vbe_interface_off, vbe_interface_len;
	uint64_t framebuffer_addr;
	uint32_t framebuffer_pitch, framebuffer_width, framebuffer_height;
	uint8_t framebuffer_bpp, framebuffer_type, color_info[6];
} __packed;

struct mb1_module {
	uint32_t mod_start, mod_end, string, reserved;
} __packed;

/* The size field counts the bytes after itself, so entries are size + 4 apart. */
struct mb1_mmap_entry {
	uint32_t size;
	uint64_t base_addr, length;
	uint32_t type;
} __packed;

static_assert(offsetof(struct mb1_info, cmdline) == 16, "mb1 cmdline");
static_assert(offsetof(struct mb1_info, mmap_length) == 44, "mb1 mmap_length");
static_assert(offsetof(struct mb1_info, boot_loader_name) == 64, "mb1 boot_loader_name");
static_assert(offsetof(struct mb1_info, framebuffer_addr) == 88, "mb1 framebuffer_addr");
static_assert(sizeof(struct mb1_info) == 116, "mb1 info");
static_assert(sizeof(struct mb1_module) == 16, "mb1 module");
static_assert(sizeof(struct mb1_mmap_entry) == 24, "mb1 mmap entry");

/* ---- what both protocols report ---- */

/* Bytes of RAM contiguous from @from (0 when @from is not RAM). */
static uint64_t ram_run(const struct vm_config *cfg, uint64_t from)
{
	uint64_t at = from;
	bool more = true;

	while (more) {
		more = false;
		for (unsigned i = 0; i < cfg->nr_regions; i++) {
			const struct vm_region *r = &cfg->regions[i];

			if (r->kind == REGION_RAM && r->gpa <= at && at - r->gpa < r->size) {
				at = r->size > UINT64_MAX - r->gpa ? UINT64_MAX : r->gpa + r->size;
				more = at != UINT64_MAX;
			}
		}
	}
	return at - from;
}

/* ---- placement ---- */

#define BOOTINFO_MIN_GPA PAGE_SIZE /* page 0 stays free: a NULL pointer to a guest */

static bool place_ok(const struct vm_config *cfg, const struct gpa_span *busy, unsigned nr_busy,
		     uint64_t size, uint64_t at)
{
	if (at < BOOTINFO_MIN_GPA || !IS_ALIGNED(at, MB2_TAG_ALIGN) || at >= BIT(32) ||
	    size > BIT(32) - at || ram_run(cfg, at) < size)
		return false;
	for (unsigned i = 0; i < nr_busy; i++)
		if (at < busy[i].end && busy[i].start < at + size)
			return false;
	return true;
}

int bootinfo_place(const struct vm_config *cfg, const struct gpa_span *busy, unsigned nr_busy,
		   uint64_t size, uint64_t pref, gpa_t *at)
{
	uint64_t best = UINT64_MAX;

	if (place_ok(cfg, busy, nr_busy, size, pref)) {
		*at = gpa(pref);
		return 0;
	}
	for (unsigned i = 0; i < cfg->nr_regions + nr_busy; i++) {
		uint64_t c =
		    i < cfg->nr_regions ? cfg->regions[i].gpa : busy[i - cfg->nr_regions].end;

		c = MAX(ALIGN_UP(c, MB2_TAG_ALIGN), BOOTINFO_MIN_GPA);
		if (c < best && place_ok(cfg, busy, nr_busy, size, c))
			best = c;
	}
	if (best == UINT64_MAX)
		return -ENOSPC;
	*at = gpa(best);
	return 0;
}

uint32_t bootinfo_mem_lower(const struct vm_config *cfg)
{
	return (uint32_t)(MIN(ram_run(cfg, 0), BOOTINFO_MEM_LOWER_MAX) / KiB);
}

uint32_t bootinfo_mem_upper(const struct vm_config *cfg)
{
	return (uint32_t)MIN(ram_run(cfg, MiB) / KiB, (uint64_t)UINT32_MAX);
}

/* Regions in address order (ties by index): the one after @prev, or the first. */
static const struct vm_region *region_next(const struct vm_config *cfg,
					   const struct vm_region *prev)
{
	const struct vm_region *best = NULL;

	for (const struct vm_region *r = cfg->regions; r < cfg->regions + cfg->nr_regions; r++) {
		if (prev && (r->gpa < prev->gpa || (r->gpa == prev->gpa && r <= prev)))
			continue;
		if (!best || r->gpa < best->gpa)
			best = r;
	}
	return best;
}

static uint32_t region_mmap_type(const struct vm_region *r)
{
	return r->kind == REGION_RAM ? MB2_MMAP_AVAILABLE : MB2_MMAP_RESERVED;
}

static const char *str_or_empty(const char *s)
{
	return s ? s : "";
}

/* Both protocols hold module addresses in 32 bits, end exclusive. */
static int mods_check(const struct guest_module *mods, unsigned nr_mods)
{
	for (unsigned i = 0; i < nr_mods; i++)
		if (mods[i].start.v >= BIT(32) || mods[i].size >= BIT(32) - mods[i].start.v)
			return -ERANGE;
	return 0;
}

/* ---- a cursor over [at, at + total) in guest RAM; counts only until armed ---- */

struct bi {
	const struct memslots *ms;
	uint64_t at, off;
	bool write;
	int err;
};

static void bi_put(struct bi *b, const void *src, size_t n)
{
	if (b->write && n) {
		int ret = gmem_write_kinds(b->ms, gpa(b->at + b->off), src, n, GMEM_RAM);

		b->err = b->err ? b->err : ret;
	}
	b->off += n;
}

static void bi_align(struct bi *b, unsigned align)
{
	static const uint8_t zero[8];

	bi_put(b, zero, ALIGN_UP(b->off, align) - b->off);
}

static void bi_str(struct bi *b, const char *s)
{
	bi_put(b, s, strlen(s) + 1);
}

/* Fits @max, below 4 GiB, all RAM: then switch @b from counting to writing. */
static int bi_arm(struct bi *b, size_t max, uint32_t *size_out)
{
	uint64_t total = b->off;

	*size_out = (uint32_t)MIN(total, (uint64_t)UINT32_MAX);
	if (total > max || total > UINT32_MAX)
		return -ENOSPC;
	if (b->at >= BIT(32) || total > BIT(32) - b->at)
		return -ERANGE;
	if (!gmem_covered(b->ms, gpa(b->at), total, GMEM_RAM))
		return -EFAULT;
	b->off = 0;
	b->write = true;
	return 0;
}

static int bi_start(struct bi *b, const struct memslots *ms, gpa_t at,
		    const struct guest_module *mods, unsigned nr_mods)
{
	*b = (struct bi){.ms = ms, .at = at.v};
	if (!IS_ALIGNED(at.v, MB2_TAG_ALIGN))
		return -EINVAL;
	return mods_check(mods, nr_mods);
}

/* ---- Multiboot2 ---- */

static void mb2_tag(struct bi *b, uint32_t type, uint64_t size)
{
	struct mb2_tag t = {type, (uint32_t)size};

	bi_put(b, &t, sizeof(t));
}

static void mb2_string(struct bi *b, uint32_t type, const char *s)
{
	mb2_tag(b, type, sizeof(struct mb2_tag) + strlen(s) + 1);
	bi_str(b, s);
	bi_align(b, MB2_TAG_ALIGN);
}

static void mb2_meminfo(struct bi *b, const struct vm_config *cfg)
{
	struct mb2_tag_basic_meminfo m = {
	    {MB2_TAG_BASIC_MEMINFO, sizeof(m)}, bootinfo_mem_lower(cfg), bootinfo_mem_upper(cfg)};

	bi_put(b, &m, sizeof(m));
}

static void mb2_mmap(struct bi *b, const struct vm_config *cfg)
{
	struct mb2_tag_mmap m = {
	    {MB2_TAG_MMAP,
	     (uint32_t)(sizeof(m) + cfg->nr_regions * sizeof(struct mb2_mmap_raw_entry))},
	    sizeof(struct mb2_mmap_raw_entry),
	    0};
	const struct vm_region *r = NULL;

	bi_put(b, &m, sizeof(m));
	while ((r = region_next(cfg, r))) {
		struct mb2_mmap_raw_entry e = {r->gpa, r->size, region_mmap_type(r), 0};

		bi_put(b, &e, sizeof(e));
	}
	bi_align(b, MB2_TAG_ALIGN);
}

static void mb2_module(struct bi *b, const struct guest_module *mod)
{
	const char *s = str_or_empty(mod->string);
	struct mb2_tag_module m = {{MB2_TAG_MODULE, (uint32_t)(sizeof(m) + strlen(s) + 1)},
				   (uint32_t)mod->start.v,
				   (uint32_t)(mod->start.v + mod->size)};

	bi_put(b, &m, sizeof(m));
	bi_str(b, s);
	bi_align(b, MB2_TAG_ALIGN);
}

static void mb2_emit(struct bi *b, uint32_t total, const struct vm_config *cfg,
		     const struct guest_module *mods, unsigned nr_mods)
{
	struct mb2_info_header h = {total, 0};

	bi_put(b, &h, sizeof(h));
	mb2_string(b, MB2_TAG_CMDLINE, str_or_empty(cfg->cmdline));
	mb2_string(b, MB2_TAG_LOADER_NAME, BOOTINFO_LOADER);
	mb2_meminfo(b, cfg);
	mb2_mmap(b, cfg);
	for (unsigned i = 0; i < nr_mods; i++)
		mb2_module(b, &mods[i]);
	mb2_tag(b, MB2_TAG_END, sizeof(struct mb2_tag));
}

int bootinfo_mb2(const struct memslots *ms, gpa_t at, size_t max, const struct vm_config *cfg,
		 const struct guest_module *mods, unsigned nr_mods, uint32_t *size_out)
{
	struct bi b;
	int ret = bi_start(&b, ms, at, mods, nr_mods);

	if (ret)
		return ret;
	mb2_emit(&b, 0, cfg, mods, nr_mods); /* count */
	ret = bi_arm(&b, max, size_out);
	if (ret)
		return ret;
	mb2_emit(&b, *size_out, cfg, mods, nr_mods);
	return b.err;
}

/* ---- Multiboot (v1): the structure, modules, memory map, then strings ---- */

struct mb1_layout {
	uint64_t mods, mmap, cmdline, loader, strings, end; /* offsets from at */
};

static void mb1_layout(struct mb1_layout *l, const struct vm_config *cfg,
		       const struct guest_module *mods, unsigned nr_mods)
{
	l->mods = ALIGN_UP(sizeof(struct mb1_info), 8);
	l->mmap = l->mods + (uint64_t)nr_mods * sizeof(struct mb1_module);
	l->cmdline = l->mmap + (uint64_t)cfg->nr_regions * sizeof(struct mb1_mmap_entry);
	l->loader = l->cmdline + strlen(str_or_empty(cfg->cmdline)) + 1;
	l->strings = l->loader + sizeof(BOOTINFO_LOADER);
	l->end = l->strings;
	for (unsigned i = 0; i < nr_mods; i++)
		l->end += strlen(str_or_empty(mods[i].string)) + 1;
}

static void mb1_emit_info(struct bi *b, const struct mb1_layout *l, const struct vm_config *cfg,
			  unsigned nr_mods)
{
	uint32_t at = (uint32_t)b->at; /* bi_arm(): the whole structure is below 4 GiB */
	struct mb1_info info = {
	    .flags =
		MB1_INFO_MEM | MB1_INFO_CMDLINE | MB1_INFO_MODS | MB1_INFO_MMAP | MB1_INFO_LOADER,
	    .mem_lower = bootinfo_mem_lower(cfg),
	    .mem_upper = bootinfo_mem_upper(cfg),
	    .cmdline = at + (uint32_t)l->cmdline,
	    .mods_count = nr_mods,
	    .mods_addr = at + (uint32_t)l->mods,
	    .mmap_length = cfg->nr_regions * (uint32_t)sizeof(struct mb1_mmap_entry),
	    .mmap_addr = at + (uint32_t)l->mmap,
	    .boot_loader_name = at + (uint32_t)l->loader,
	};

	bi_put(b, &info, sizeof(info));
	bi_align(b, 8);
}

static void mb1_emit(struct bi *b, const struct mb1_layout *l, const struct vm_config *cfg,
		     const struct guest_module *mods, unsigned nr_mods)
{
	uint32_t str = (uint32_t)(b->at + l->strings);
	const struct vm_region *r = NULL;

	mb1_emit_info(b, l, cfg, nr_mods);
	for (unsigned i = 0; i < nr_mods; i++) {
		struct mb1_module m = {(uint32_t)mods[i].start.v,
				       (uint32_t)(mods[i].start.v + mods[i].size), str, 0};

		bi_put(b, &m, sizeof(m));
		str += (uint32_t)strlen(str_or_empty(mods[i].string)) + 1;
	}
	while ((r = region_next(cfg, r))) {
		struct mb1_mmap_entry e = {sizeof(e) - sizeof(e.size), r->gpa, r->size,
					   region_mmap_type(r)};

		bi_put(b, &e, sizeof(e));
	}
	bi_str(b, str_or_empty(cfg->cmdline));
	bi_str(b, BOOTINFO_LOADER);
	for (unsigned i = 0; i < nr_mods; i++)
		bi_str(b, str_or_empty(mods[i].string));
}

int bootinfo_mb1(const struct memslots *ms, gpa_t at, size_t max, const struct vm_config *cfg,
		 const struct guest_module *mods, unsigned nr_mods, uint32_t *size_out)
{
	struct mb1_layout l;
	struct bi b;
	int ret = bi_start(&b, ms, at, mods, nr_mods);

	if (ret)
		return ret;
	mb1_layout(&l, cfg, mods, nr_mods);
	b.off = l.end;
	ret = bi_arm(&b, max, size_out);
	if (ret)
		return ret;
	mb1_emit(&b, &l, cfg, mods, nr_mods);
	return b.err;
}
