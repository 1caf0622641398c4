/*
 * Linux bzImage loader for the 32-bit boot protocol (Documentation/arch/x86/boot.rst).
 * Invariant: the setup header is checked and every part (kernel, zero page, GDT, command
 * line, initrd) placed in guest RAM, clear of reserved ranges, before the first byte is
 * written. Called by the VM builder; freestanding and host.
 */
#include "loader/linux.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "loader/bootinfo.h"
#include "mm/gmem.h"

/* ---- the setup header ("The Real-Mode Kernel Header"), at 0x1F1 in file and zero page ---- */

#define HDR_START   0x1F1
#define HDR_MAX_END 0x290 /* the setup header's hole in struct boot_params */
#define BOOT_FLAG   0xAA55
#define HDR_MAGIC   0x53726448u /* "HdrS" */

struct setup_header {
	uint8_t setup_sects;
	uint16_t root_flags;
	uint32_t syssize;
	uint16_t ram_size, vid_mode, root_dev, boot_flag, jump;
	uint32_t header;
	uint16_t version;
	uint32_t realmode_swtch;
	uint16_t start_sys_seg, kernel_version;
	uint8_t type_of_loader, loadflags;
	uint16_t setup_move_size;
	uint32_t code32_start, ramdisk_image, ramdisk_size, bootsect_kludge;
	uint16_t heap_end_ptr;
	uint8_t ext_loader_ver, ext_loader_type;
	uint32_t cmd_line_ptr, initrd_addr_max, kernel_alignment;
	uint8_t relocatable_kernel, min_alignment;
	uint16_t xloadflags;
	uint32_t cmdline_size, hardware_subarch;
	uint64_t hardware_subarch_data;
	uint32_t payload_offset, payload_length;
	uint64_t setup_data, pref_address;
	uint32_t init_size, handover_offset, kernel_info_offset;
	uint8_t pad[HDR_MAX_END - 0x26C];
} __packed;

#define AT(f) (HDR_START + offsetof(struct setup_header, f)) /* offset in file / zero page */
static_assert(sizeof(struct setup_header) == HDR_MAX_END - HDR_START, "setup header hole");
static_assert(AT(syssize) == 0x1F4 && AT(boot_flag) == 0x1FE && AT(header) == 0x202, "hdr");
static_assert(AT(version) == 0x206 && AT(type_of_loader) == 0x210 && AT(code32_start) == 0x214,
	      "hdr");
static_assert(AT(heap_end_ptr) == 0x224 && AT(cmd_line_ptr) == 0x228, "hdr");
static_assert(AT(initrd_addr_max) == 0x22C && AT(relocatable_kernel) == 0x234, "hdr");
static_assert(AT(xloadflags) == 0x236 && AT(cmdline_size) == 0x238, "hdr");
static_assert(AT(hardware_subarch) == 0x23C && AT(setup_data) == 0x250, "hdr");
static_assert(AT(pref_address) == 0x258 && AT(init_size) == 0x260, "hdr");
static_assert(AT(kernel_info_offset) == 0x268, "hdr");

#define LOADED_HIGH		   BIT(0)
#define QUIET_FLAG		   BIT(5)
#define KEEP_SEGMENTS		   BIT(6)
#define CAN_USE_HEAP		   BIT(7)
#define XLF_CAN_BE_LOADED_ABOVE_4G BIT(1)
#define LOADER_UNDEFINED	   0xFF	  /* type_of_loader: no assigned ID */
#define HEAP_END_PTR		   0xDE00 /* boot.rst's sample: heap_end 0xE000 - 0x200 */

/* Protocol versions whose fields we use. */
#define PROTO_2_10 0x020A /* pref_address, init_size */
#define PROTO_2_12 0x020C /* xloadflags */
#define PROTO_2_14 0x020E /* the kernel reads acpi_rsdp_addr */

/* ---- struct boot_params (zero-page.rst), the fields outside the setup header ---- */

#define ZP_ACPI_RSDP	     0x070
#define ZP_EXT_RAMDISK_IMAGE 0x0C0
#define ZP_EXT_RAMDISK_SIZE  0x0C4
#define ZP_EXT_CMD_LINE_PTR  0x0C8
#define ZP_ALT_MEM_K	     0x1E0
#define ZP_E820_ENTRIES	     0x1E8
#define ZP_E820_TABLE	     0x2D0
#define ZP_EDDBUF	     0xD00
#define ZERO_PAGE_SIZE	     0x1000
static_assert(ZP_E820_TABLE + LINUX_E820_MAX * sizeof(struct linux_e820_entry) <= ZP_EDDBUF,
	      "e820_table");

/* ---- the boot GDT: flat 4 GiB code and data, accessed bits preset as Linux's own ---- */

#define GDT_DESC(access, flags)                                                                    \
	((uint64_t)0xFFFF | (uint64_t)(access) << 40 | (uint64_t)0xF << 48 |                       \
	 (uint64_t)(flags) << 52)
#define GDT_CODE32 GDT_DESC(0x9B, 0xC) /* present, ring 0, code exec/read accessed; G, D */
#define GDT_DATA32 GDT_DESC(0x93, 0xC) /* present, ring 0, data read/write accessed; G, B */
static_assert(GDT_CODE32 == 0x00CF9B000000FFFFULL && GDT_DATA32 == 0x00CF93000000FFFFULL,
	      "boot GDT descriptors");
static_assert(LINUX_GDT_LIMIT == 4 * 8 - 1 && LINUX_BOOT_DS == 3 * 8, "boot GDT layout");

/* ---- the plan ---- */

typedef unsigned long long ull; /* for %llx */

struct lx {
	const struct memslots *ms;
	const struct vm_config *cfg;
	const struct linux_boot *lb;
	const uint8_t *img;
	size_t size;
	char *err;
	size_t errlen;
	struct setup_header h; /* as in the image; zero past its end */
	unsigned hdr_len;      /* bytes of it the image has */
	uint64_t kofs, kbytes; /* the protected-mode kernel in the file */
	uint64_t load, runtime, init_size, klo, kend;
	size_t cmdlen;
	uint64_t initrd;
	unsigned nr_e820;
};

static int fail(struct lx *x, int ret, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(struct lx *x, int ret, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!x->errlen)
		return ret;
	n = ksnprintf(x->err, x->errlen, "bzImage: ");
	va_start(ap, fmt);
	if ((size_t)n < x->errlen)
		kvsnprintf(x->err + n, x->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return ret;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)rd16(p) | (uint32_t)rd16(p + 2) << 16;
}

bool linux_is_bzimage(const void *img, size_t size)
{
	const uint8_t *b = img;

	return b && size >= AT(header) + 4 && rd16(b + AT(boot_flag)) == BOOT_FLAG &&
	       rd32(b + AT(header)) == HDR_MAGIC;
}

/* The fields a protocol version has end here; the image's header must reach that far. */
static unsigned hdr_need(uint16_t version)
{
	return version >= PROTO_2_10 ? AT(handover_offset) : AT(hardware_subarch);
}

static int check_magic(struct lx *x)
{
	const uint8_t *b = x->img;
	unsigned end;

	if (x->size < AT(version) + 2)
		return fail(x, -EINVAL, "image of %zu bytes is too small for a setup header",
			    x->size);
	if (rd16(b + AT(boot_flag)) != BOOT_FLAG)
		return fail(x, -EINVAL, "boot flag 0x%04x at 0x1fe is not 0xaa55",
			    rd16(b + AT(boot_flag)));
	if (rd32(b + AT(header)) != HDR_MAGIC)
		return fail(x, -EINVAL, "no \"HdrS\" signature at 0x202 (not a bzImage)");
	x->h.version = rd16(b + AT(version));
	if (x->h.version < LINUX_MIN_PROTO)
		return fail(x, -ENOTSUP,
			    "boot protocol %u.%02u is older than 2.06, the oldest kestrel loads",
			    x->h.version >> 8, x->h.version & 0xFF);
	end = AT(header) + b[AT(jump) + 1]; /* jump is EB xx, xx counted from 0x202 */
	if (end > x->size)
		return fail(x, -EINVAL,
			    "setup header ends at 0x%x, past the end of the image (%zu bytes)", end,
			    x->size);
	if (end < hdr_need(x->h.version))
		return fail(x, -EINVAL,
			    "setup header ends at 0x%x, short of 0x%x for protocol %u.%02u", end,
			    hdr_need(x->h.version), x->h.version >> 8, x->h.version & 0xFF);
	x->hdr_len = MIN(end, (unsigned)HDR_MAX_END) - HDR_START;
	memcpy(&x->h, b + HDR_START, x->hdr_len);
	return 0;
}

static bool relocatable(const struct lx *x)
{
	return x->h.relocatable_kernel != 0;
}

/* Setup sectors, syssize, alignment, init_size. */
static int check_kernel(struct lx *x)
{
	const struct setup_header *h = &x->h;
	unsigned sects = h->setup_sects ? h->setup_sects : 4;
	uint32_t a = h->kernel_alignment;

	if (!(h->loadflags & LOADED_HIGH))
		return fail(
		    x, -ENOTSUP,
		    "loadflags 0x%02x lack LOADED_HIGH: a zImage, which kestrel does not load",
		    h->loadflags);
	x->kofs = (uint64_t)(sects + 1) * 512;
	if (x->kofs > x->size)
		return fail(x, -EINVAL,
			    "setup of %u sectors runs past the end of the image (%zu bytes)", sects,
			    x->size);
	x->kbytes = (uint64_t)h->syssize * 16;
	if (!x->kbytes)
		return fail(x, -EINVAL, "syssize is 0: no protected-mode kernel");
	if (x->kbytes > x->size - x->kofs)
		return fail(x, -EINVAL,
			    "protected-mode kernel truncated: syssize says 0x%llx bytes, the image "
			    "has 0x%llx after the setup",
			    (ull)x->kbytes, (ull)(x->size - x->kofs));
	if (relocatable(x) && (!a || (a & (a - 1))))
		return fail(x, -EINVAL, "kernel_alignment 0x%x is not a power of two", a);
	x->init_size = h->version >= PROTO_2_10 ? h->init_size : x->kbytes;
	if (x->init_size < x->kbytes)
		return fail(
		    x, -EINVAL,
		    "init_size 0x%llx is smaller than the protected-mode kernel (0x%llx bytes)",
		    (ull)x->init_size, (ull)x->kbytes);
	return 0;
}

static int check_cmdline(struct lx *x)
{
	const char *s = x->lb->cmdline ? x->lb->cmdline : "";

	x->cmdlen = strlen(s);
	if (x->cmdlen > x->h.cmdline_size)
		return fail(
		    x, -E2BIG,
		    "command line of %zu characters is longer than the kernel's cmdline_size %u",
		    x->cmdlen, x->h.cmdline_size);
	if (x->cmdlen >= LINUX_LOW_END - LINUX_CMDLINE_GPA)
		return fail(x, -E2BIG,
			    "command line of %zu characters does not fit in [0x%llx, 0x%llx)",
			    x->cmdlen, (ull)LINUX_CMDLINE_GPA, (ull)LINUX_LOW_END);
	return 0;
}

static bool wraps(uint64_t at, uint64_t size)
{
	return size > UINT64_MAX - at;
}

static bool overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

static int check_reserved(struct lx *x)
{
	const struct linux_boot *lb = x->lb;

	if (lb->nr_reserved > LINUX_RESERVED_MAX)
		return fail(x, -EINVAL, "%u reserved ranges, at most %u", lb->nr_reserved,
			    LINUX_RESERVED_MAX);
	for (unsigned i = 0; i < lb->nr_reserved; i++) {
		const struct linux_range *r = &lb->reserved[i];

		if (!r->size || wraps(r->gpa, r->size))
			return fail(x, -EINVAL,
				    "reserved range %u [0x%llx+0x%llx) is empty or wraps", i,
				    (ull)r->gpa, (ull)r->size);
		if (r->type < E820_RESERVED || r->type > E820_UNUSABLE)
			return fail(x, -EINVAL, "reserved range %u has e820 type %u (2..5 allowed)",
				    i, r->type);
		for (unsigned j = 0; j < i; j++)
			if (overlap(r->gpa, r->size, lb->reserved[j].gpa, lb->reserved[j].size))
				return fail(x, -EINVAL,
					    "reserved range %u overlaps reserved range %u", i, j);
	}
	/* 20 bytes: the ACPI 1.0 part of the RSDP, what every reader looks at first */
	if (lb->rsdp && !gmem_covered(x->ms, gpa(lb->rsdp), 20, GMEM_RAM | GMEM_ROM))
		return fail(x, -EFAULT, "RSDP at 0x%llx is not in guest RAM or ROM", (ull)lb->rsdp);
	return 0;
}

/* Index of the first reserved range [a, a + len) meets, or -1. */
static int reserved_hit(const struct lx *x, uint64_t a, uint64_t len)
{
	for (unsigned i = 0; i < x->lb->nr_reserved; i++)
		if (overlap(a, len, x->lb->reserved[i].gpa, x->lb->reserved[i].size))
			return (int)i;
	return -1;
}

/* In RAM and clear of reserved ranges: @what names the part in the message. */
static int place_part(struct lx *x, const char *what, uint64_t a, uint64_t len)
{
	uint64_t end = a + len; /* the parts are all below 4 GiB */
	int hit;

	if (!gmem_covered(x->ms, gpa(a), len, GMEM_RAM))
		return fail(x, -EFAULT, "%s [0x%llx, 0x%llx) is not all guest RAM", what, (ull)a,
			    (ull)end);
	hit = reserved_hit(x, a, len);
	if (hit >= 0)
		return fail(x, -EBUSY, "%s [0x%llx, 0x%llx) overlaps reserved range %d", what,
			    (ull)a, (ull)end, hit);
	return 0;
}

/*
 * Relocatable kernels load at LINUX_LOAD_GPA, others at code32_start. The decompressor then
 * runs from its runtime start: align_up(load, kernel_alignment), but never below pref_address
 * (what arch/x86/boot/compressed does; boot.rst's formula gives the lower of the two, which
 * the area below covers too), or pref_address for a non-relocatable kernel.
 */
static int place_kernel(struct lx *x)
{
	const struct setup_header *h = &x->h;
	uint64_t pref = h->version >= PROTO_2_10 ? h->pref_address : 0;

	x->load = relocatable(x) ? LINUX_LOAD_GPA : h->code32_start;
	if (x->load < LINUX_LOAD_GPA)
		return fail(x, -ENOTSUP,
			    "non-relocatable kernel at code32_start 0x%llx, below 1 MiB",
			    (ull)x->load);
	if (relocatable(x))
		x->runtime = MAX(ALIGN_UP(x->load, h->kernel_alignment), pref);
	else
		x->runtime = pref ? pref : x->load;
	if (x->runtime >= BIT(32))
		return fail(
		    x, -EFAULT,
		    "runtime start 0x%llx is above 4 GiB (the 32-bit entry runs with paging off)",
		    (ull)x->runtime);
	x->klo = MIN(x->load, x->runtime);
	x->kend = MAX(x->load + MAX(x->kbytes, x->init_size), x->runtime + x->init_size);
	if (x->kend > BIT(32))
		return fail(x, -EFAULT, "kernel area [0x%llx, 0x%llx) ends above 4 GiB",
			    (ull)x->klo, (ull)x->kend);
	return place_part(x, "kernel area", x->klo, x->kend - x->klo);
}

static int place_low(struct lx *x)
{
	int ret = place_part(x, "zero page", LINUX_ZERO_PAGE_GPA, ZERO_PAGE_SIZE);

	if (!ret)
		ret = place_part(x, "GDT", LINUX_GDT_GPA, LINUX_GDT_LIMIT + 1);
	if (!ret)
		ret = place_part(x, "command line", LINUX_CMDLINE_GPA, x->cmdlen + 1);
	return ret;
}

/* [a, a + len) is RAM, not the kernel area nor a reserved range. */
static bool initrd_fits(const struct lx *x, uint64_t a, uint64_t len)
{
	return gmem_covered(x->ms, gpa(a), len, GMEM_RAM) &&
	       !overlap(a, len, x->klo, x->kend - x->klo) && reserved_hit(x, a, len) < 0;
}

static void initrd_try(const struct lx *x, uint64_t top, uint64_t lo, uint64_t hi, uint64_t *best)
{
	uint64_t len = x->lb->initrd_size, a;

	top = MIN(top, hi);
	if (top <= lo || top - lo < len)
		return;
	a = ALIGN_DOWN(top - len, PAGE_SIZE);
	if (a >= lo && (*best == UINT64_MAX || a > *best) && initrd_fits(x, a, len))
		*best = a;
}

/*
 * The highest page-aligned place in [lo, hi): its end sits just below some obstacle (the
 * end of a RAM region, the start of the kernel area or of a reserved range, or @hi), so
 * only those tops are tried. UINT64_MAX when none fits.
 */
static uint64_t initrd_highest(const struct lx *x, uint64_t lo, uint64_t hi)
{
	const struct vm_config *cfg = x->cfg;
	uint64_t best = UINT64_MAX;

	initrd_try(x, hi, lo, hi, &best);
	initrd_try(x, x->klo, lo, hi, &best);
	for (unsigned i = 0; i < cfg->nr_regions; i++)
		if (cfg->regions[i].kind == REGION_RAM &&
		    !wraps(cfg->regions[i].gpa, cfg->regions[i].size))
			initrd_try(x, cfg->regions[i].gpa + cfg->regions[i].size, lo, hi, &best);
	for (unsigned i = 0; i < x->lb->nr_reserved; i++)
		initrd_try(x, x->lb->reserved[i].gpa, lo, hi, &best);
	return best;
}

/*
 * As high as allowed below min(initrd_addr_max + 1, 4 GiB) and above 1 MiB; only when none
 * fits there and the kernel says XLF_CAN_BE_LOADED_ABOVE_4G, as high as fits above 4 GiB.
 */
static int place_initrd(struct lx *x)
{
	uint64_t len = x->lb->initrd_size, max = (uint64_t)x->h.initrd_addr_max + 1;
	uint64_t hi = MIN(max, BIT(32));
	bool above = x->h.version >= PROTO_2_12 && (x->h.xloadflags & XLF_CAN_BE_LOADED_ABOVE_4G);

	x->initrd = 0;
	if (!len)
		return 0;
	if (!x->lb->initrd)
		return fail(x, -EINVAL, "initrd of %zu bytes has no data", x->lb->initrd_size);
	x->initrd = initrd_highest(x, LINUX_INITRD_MIN, hi);
	if (x->initrd == UINT64_MAX && above)
		x->initrd = initrd_highest(x, BIT(32), UINT64_MAX);
	if (x->initrd != UINT64_MAX)
		return 0;
	return fail(x, -ENOSPC,
		    "no room for an initrd of 0x%llx bytes in free RAM in [1 MiB, 0x%llx)%s",
		    (ull)len, (ull)hi, above ? " or above 4 GiB" : "");
}

static int plan(struct lx *x)
{
	int ret = check_magic(x);

	if (!ret)
		ret = check_kernel(x);
	if (!ret)
		ret = check_cmdline(x);
	if (!ret)
		ret = check_reserved(x);
	if (!ret)
		ret = place_kernel(x);
	if (!ret)
		ret = place_low(x);
	if (!ret)
		ret = place_initrd(x);
	if (ret)
		return ret;
	x->nr_e820 = linux_e820_walk(x->cfg, x->lb->reserved, x->lb->nr_reserved, NULL, NULL);
	if (x->nr_e820 > LINUX_E820_MAX)
		return fail(x, -ENOSPC,
			    "the memory map needs %u e820 entries, the zero page holds %u",
			    x->nr_e820, LINUX_E820_MAX);
	return 0;
}

/* ---- writing: every range was checked by plan(), so these cannot fail ---- */

struct zp_writer {
	const struct memslots *ms;
	int err;
};

static void zp_put(struct zp_writer *w, uint64_t off, const void *src, size_t n)
{
	int ret = gmem_write_kinds(w->ms, gpa(LINUX_ZERO_PAGE_GPA + off), src, n, GMEM_RAM);

	w->err = w->err ? w->err : ret;
}

static void zp_put32(struct zp_writer *w, uint64_t off, uint32_t v)
{
	zp_put(w, off, &v, sizeof(v));
}

static void e820_put(void *arg, unsigned i, const struct linux_e820_entry *e)
{
	zp_put(arg, ZP_E820_TABLE + (uint64_t)i * sizeof(*e), e, sizeof(*e));
}

/* What the boot loader writes into the copied header ("Details of Header Fields"). */
static void hdr_fill(const struct lx *x, struct setup_header *h)
{
	*h = x->h;
	h->type_of_loader = LOADER_UNDEFINED;
	h->ext_loader_ver = 0;
	h->ext_loader_type = 0; /* only read when type_of_loader is 0xEx */
	h->loadflags = (uint8_t)((h->loadflags | CAN_USE_HEAP) & ~(QUIET_FLAG | KEEP_SEGMENTS));
	h->heap_end_ptr = HEAP_END_PTR;
	h->code32_start = (uint32_t)x->load;
	h->cmd_line_ptr = (uint32_t)LINUX_CMDLINE_GPA;
	h->ramdisk_image = (uint32_t)x->initrd;
	h->ramdisk_size = (uint32_t)x->lb->initrd_size;
	h->hardware_subarch = 0; /* the default x86/PC */
	h->hardware_subarch_data = 0;
	h->setup_data = 0; /* we pass no setup_data list */
}

static int write_zero_page(const struct lx *x)
{
	struct zp_writer w = {x->ms, 0};
	struct setup_header h;
	uint64_t rsdp = x->lb->rsdp;
	uint8_t nr_e820 = (uint8_t)x->nr_e820; /* plan() kept it at most 128 */

	w.err = gmem_zero_kinds(x->ms, gpa(LINUX_ZERO_PAGE_GPA), ZERO_PAGE_SIZE, GMEM_RAM);
	hdr_fill(x, &h);
	zp_put(&w, HDR_START, &h, x->hdr_len);
	zp_put32(&w, ZP_EXT_RAMDISK_IMAGE, (uint32_t)(x->initrd >> 32));
	zp_put32(&w, ZP_EXT_RAMDISK_SIZE, (uint32_t)((uint64_t)x->lb->initrd_size >> 32));
	zp_put32(&w, ZP_EXT_CMD_LINE_PTR, 0);
	if (rsdp && x->h.version >= PROTO_2_14)
		zp_put(&w, ZP_ACPI_RSDP, &rsdp, sizeof(rsdp));
	zp_put32(&w, ZP_ALT_MEM_K, bootinfo_mem_upper(x->cfg));
	zp_put(&w, ZP_E820_ENTRIES, &nr_e820, 1);
	linux_e820_walk(x->cfg, x->lb->reserved, x->lb->nr_reserved, e820_put, &w);
	return w.err;
}

static int write_all(const struct lx *x)
{
	static const uint64_t gdt[4] = {0, 0, GDT_CODE32, GDT_DATA32};
	const struct linux_boot *lb = x->lb;
	const char *cmd = lb->cmdline ? lb->cmdline : "";
	int ret = write_zero_page(x);

	ret = ret ? ret : gmem_write_kinds(x->ms, gpa(LINUX_GDT_GPA), gdt, sizeof(gdt), GMEM_RAM);
	ret = ret ? ret
		  : gmem_write_kinds(x->ms, gpa(LINUX_CMDLINE_GPA), cmd, x->cmdlen + 1, GMEM_RAM);
	ret = ret ? ret
		  : gmem_write_kinds(x->ms, gpa(x->load), x->img + x->kofs, x->kbytes, GMEM_RAM);
	if (!ret && lb->initrd_size)
		ret =
		    gmem_write_kinds(x->ms, gpa(x->initrd), lb->initrd, lb->initrd_size, GMEM_RAM);
	return ret;
}

int linux_load(const struct memslots *ms, const struct vm_config *cfg, struct linux_boot *lb,
	       char *err, size_t errlen)
{
	struct lx x = {.ms = ms,
		       .cfg = cfg,
		       .lb = lb,
		       .img = lb->image,
		       .size = lb->image ? lb->size : 0,
		       .err = err,
		       .errlen = err ? errlen : 0};
	int ret;

	if (x.errlen)
		err[0] = '\0';
	ret = plan(&x);
	if (ret)
		return ret;
	ret = write_all(&x);
	if (ret) /* a broken invariant: plan() proved every range */
		return fail(&x, ret, "guest memory write failed after the checks passed");
	lb->entry = x.load;
	lb->zero_page = LINUX_ZERO_PAGE_GPA;
	lb->gdt_base = LINUX_GDT_GPA;
	lb->gdt_limit = LINUX_GDT_LIMIT;
	lb->kernel_lo = x.klo;
	lb->kernel_end = x.kend;
	lb->initrd_gpa = x.initrd;
	lb->cmdline_gpa = LINUX_CMDLINE_GPA;
	lb->version = x.h.version;
	lb->nr_e820 = x.nr_e820;
	lb->rsdp_dropped = lb->rsdp && x.h.version < PROTO_2_14;
	return 0;
}
