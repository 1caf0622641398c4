/*
 * Multiboot2 boot information parser. Reads only inside [info, info + min(avail,
 * total_size)), through memcpy so the input needs no alignment; never trusts a size.
 * Called by boot/main.c before any allocator exists: it uses no memory but *out.
 */
#include "fw/mb2.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"

/* One tag being looked at by the walk. */
struct mb2_tag_ctx {
	const uint8_t *p; /* start of the tag */
	uint32_t type, size;
	size_t off; /* from the start of the info */
	struct mb2_info *out;
};

typedef void (*mb2_tag_fn)(const struct mb2_tag_ctx *t);

struct mb2_tag_desc {
	const char *name;
	uint32_t fixed;	  /* bytes the tag needs before any variable part */
	bool singleton;	  /* a second copy is reported and ignored */
	mb2_tag_fn parse; /* NULL: known, not needed, skipped */
};

static void mb2_verror(struct mb2_info *out, const char *prefix, const char *fmt, va_list ap)
{
	char *buf;
	int n;

	if (out->nr_errors >= MB2_MAX_ERRORS) {
		out->nr_errors_dropped++;
		return;
	}
	buf = out->errors[out->nr_errors++];
	n = ksnprintf(buf, MB2_ERROR_LEN, "%s", prefix);
	if (n >= 0 && (size_t)n < MB2_ERROR_LEN)
		kvsnprintf(buf + n, MB2_ERROR_LEN - (size_t)n, fmt, ap);
}

__attribute__((format(printf, 2, 3))) static void mb2_error(struct mb2_info *out, const char *fmt,
							    ...)
{
	va_list ap;

	va_start(ap, fmt);
	mb2_verror(out, "mb2: ", fmt, ap);
	va_end(ap);
}

static const struct mb2_tag_desc *mb2_tag_desc(uint32_t type);

__attribute__((format(printf, 2, 3))) static void tag_error(const struct mb2_tag_ctx *t,
							    const char *fmt, ...)
{
	const struct mb2_tag_desc *d = mb2_tag_desc(t->type);
	char prefix[48];
	va_list ap;

	ksnprintf(prefix, sizeof(prefix), "mb2: tag %u (%s) at +0x%zx: ", t->type,
		  d ? d->name : "unknown", t->off);
	va_start(ap, fmt);
	mb2_verror(t->out, prefix, fmt, ap);
	va_end(ap);
}

/* The string starting @fixed bytes into the tag, if a NUL ends it inside the tag. */
static const char *tag_string(const struct mb2_tag_ctx *t, uint32_t fixed)
{
	for (uint32_t i = fixed; i < t->size; i++)
		if (t->p[i] == '\0')
			return (const char *)t->p + fixed;
	tag_error(t, "string not NUL-terminated within the tag's %u bytes", t->size);
	return NULL;
}

static void parse_cmdline(const struct mb2_tag_ctx *t)
{
	t->out->cmdline = tag_string(t, sizeof(struct mb2_tag_string));
}

static void parse_loader(const struct mb2_tag_ctx *t)
{
	t->out->loader = tag_string(t, sizeof(struct mb2_tag_string));
}

static void parse_module(const struct mb2_tag_ctx *t)
{
	struct mb2_info *out = t->out;
	struct mb2_tag_module m;
	const char *s;

	memcpy(&m, t->p, sizeof(m));
	s = tag_string(t, sizeof(m));
	if (!s)
		return;
	if (m.mod_start > m.mod_end) {
		tag_error(t, "start 0x%x above end 0x%x", m.mod_start, m.mod_end);
		return;
	}
	if (out->nr_modules >= MB2_MAX_MODULES) {
		tag_error(t, "more than %u modules, \"%.24s\" ignored", MB2_MAX_MODULES, s);
		return;
	}
	out->modules[out->nr_modules++] = (struct mb2_module){m.mod_start, m.mod_end, s};
}

static void parse_meminfo(const struct mb2_tag_ctx *t)
{
	struct mb2_tag_basic_meminfo m;

	memcpy(&m, t->p, sizeof(m));
	t->out->has_meminfo = true;
	t->out->mem_lower = m.mem_lower;
	t->out->mem_upper = m.mem_upper;
}

static void parse_mmap(const struct mb2_tag_ctx *t)
{
	struct mb2_info *out = t->out;
	struct mb2_tag_mmap h;
	uint32_t body = t->size - (uint32_t)sizeof(h), n;

	memcpy(&h, t->p, sizeof(h));
	if (h.entry_size < sizeof(struct mb2_mmap_raw_entry) || h.entry_size % 8) {
		tag_error(t, "entry_size %u %s", h.entry_size,
			  h.entry_size < sizeof(struct mb2_mmap_raw_entry) ? "smaller than 24"
									   : "not a multiple of 8");
		return;
	}
	n = body / h.entry_size;
	if (body % h.entry_size)
		tag_error(t, "%u trailing bytes after %u entries", body % h.entry_size, n);
	if (n > MB2_MAX_MMAP) {
		tag_error(t, "%u entries, only the first %u kept", n, MB2_MAX_MMAP);
		n = MB2_MAX_MMAP;
	}
	out->has_mmap = true;
	out->mmap_entry_version = h.entry_version;
	for (uint32_t i = 0; i < n; i++) {
		struct mb2_mmap_raw_entry e;

		memcpy(&e, t->p + sizeof(h) + (size_t)i * h.entry_size, sizeof(e));
		out->mmap[i] = (struct mb2_mmap_entry){e.base_addr, e.length, e.type};
	}
	out->nr_mmap = n;
}

/* Bytes from the framebuffer's start past the last row; 0 when it would overflow. */
static uint64_t fb_span(uint64_t addr, uint32_t pitch, uint32_t height)
{
	uint64_t span = (uint64_t)pitch * height;

	return addr + span > addr && addr + span <= MB2_FB_ADDR_LIMIT ? span : 0;
}

/* A colour channel fits in the pixel and overlaps no other. */
static bool fb_channels_ok(const struct mb2_tag_ctx *t, const struct mb2_fb_rgb *c, uint8_t bpp)
{
	const uint8_t pos[3] = {c->red_pos, c->green_pos, c->blue_pos};
	const uint8_t size[3] = {c->red_size, c->green_size, c->blue_size};
	static const char *const name[3] = {"red", "green", "blue"};
	uint64_t used = 0;

	for (int i = 0; i < 3; i++) {
		uint64_t mask;

		if (size[i] == 0 || size[i] > 8 || pos[i] + size[i] > bpp) {
			tag_error(t, "%s channel at bit %u, %u bits, does not fit %u bpp", name[i],
				  pos[i], size[i], bpp);
			return false;
		}
		mask = GENMASK(pos[i] + size[i] - 1, pos[i]);
		if (used & mask) {
			tag_error(t, "%s channel overlaps another", name[i]);
			return false;
		}
		used |= mask;
	}
	return true;
}

/* Indexed colour: a 16-bit count, then that many 3-byte palette entries. */
static bool fb_palette_ok(const struct mb2_tag_ctx *t)
{
	uint16_t n;

	if (t->size < MB2_FB_INFO_OFF + 2) {
		tag_error(t, "indexed framebuffer without a palette (size %u)", t->size);
		return false;
	}
	memcpy(&n, t->p + MB2_FB_INFO_OFF, sizeof(n));
	if (n == 0 || MB2_FB_INFO_OFF + 2 + 3u * n > t->size) {
		tag_error(t, "palette of %u colours does not fit the tag's %u bytes", n, t->size);
		return false;
	}
	return true;
}

/* Depth and pitch for the type; the colour layout for RGB. */
static bool fb_format_ok(const struct mb2_tag_ctx *t, const struct mb2_tag_framebuffer *f,
			 struct mb2_fb_rgb *rgb)
{
	uint32_t bytes = (f->bpp + 7u) / 8;

	switch (f->fb_type) {
	case MB2_FB_TYPE_INDEXED:
		if (f->bpp != 1 && f->bpp != 2 && f->bpp != 4 && f->bpp != 8) {
			tag_error(t, "indexed framebuffer of %u bpp (1, 2, 4 or 8)", f->bpp);
			return false;
		}
		if ((uint64_t)f->width * f->bpp > (uint64_t)f->pitch * 8)
			goto short_pitch;
		return fb_palette_ok(t);
	case MB2_FB_TYPE_RGB:
		if (t->size < MB2_FB_INFO_OFF + sizeof(*rgb)) {
			tag_error(t, "RGB framebuffer without colour info (size %u)", t->size);
			return false;
		}
		if (f->bpp < 8 || f->bpp > 32) {
			tag_error(t, "RGB framebuffer of %u bpp (8 to 32)", f->bpp);
			return false;
		}
		memcpy(rgb, t->p + MB2_FB_INFO_OFF, sizeof(*rgb));
		if (!fb_channels_ok(t, rgb, f->bpp))
			return false;
		break;
	case MB2_FB_TYPE_EGA:
		if (f->bpp != 16) {
			tag_error(t, "EGA text framebuffer of %u bpp (16)", f->bpp);
			return false;
		}
		break;
	default:
		tag_error(t, "framebuffer type %u unknown", f->fb_type);
		return false;
	}
	if ((uint64_t)f->width * bytes <= f->pitch)
		return true;
short_pitch:
	tag_error(t, "pitch %u bytes too small for %u pixels of %u bpp", f->pitch, f->width,
		  f->bpp);
	return false;
}

static void parse_framebuffer(const struct mb2_tag_ctx *t)
{
	struct mb2_framebuffer *fb = &t->out->fb;
	struct mb2_tag_framebuffer f;
	struct mb2_fb_rgb rgb = {0};
	uint64_t span;

	memcpy(&f, t->p, sizeof(f));
	if (!fb_format_ok(t, &f, &rgb))
		return;
	if (f.width == 0 || f.height == 0) {
		tag_error(t, "framebuffer of %ux%u", f.width, f.height);
		return;
	}
	span = fb_span(f.addr, f.pitch, f.height);
	if (f.addr == 0) {
		tag_error(t, "framebuffer at address 0");
		return;
	}
	if (span == 0) {
		tag_error(t, "at 0x%lx, %u rows of %u bytes end past 2^52", f.addr, f.height,
			  f.pitch);
		return;
	}
	*fb = (struct mb2_framebuffer){
	    .present = true,
	    .addr = f.addr,
	    .size = span,
	    .pitch = f.pitch,
	    .width = f.width,
	    .height = f.height,
	    .bpp = f.bpp,
	    .type = f.fb_type,
	    .rgb = rgb,
	};
}

static void parse_efi64(const struct mb2_tag_ctx *t)
{
	struct mb2_tag_efi64 e;

	memcpy(&e, t->p, sizeof(e));
	t->out->has_efi64 = true;
	t->out->efi64_systab = e.pointer;
}

/* The new RSDP (tag 15) wins over the old one, whatever their order. */
static void parse_rsdp(const struct mb2_tag_ctx *t)
{
	struct mb2_rsdp *r = &t->out->rsdp;

	if (r->bytes && r->tag == MB2_TAG_ACPI_NEW)
		return;
	r->bytes = t->p + sizeof(struct mb2_tag);
	r->len = t->size - (uint32_t)sizeof(struct mb2_tag);
	r->revision = r->bytes[15];
	r->tag = (uint8_t)t->type;
}

static void parse_efi_mmap(const struct mb2_tag_ctx *t)
{
	struct mb2_info *out = t->out;
	struct mb2_tag_efi_mmap h;
	uint32_t body = t->size - (uint32_t)sizeof(h);

	memcpy(&h, t->p, sizeof(h));
	if (h.descr_size < sizeof(struct efi_memory_descriptor)) {
		tag_error(t, "descriptor_size %u smaller than 40", h.descr_size);
		return;
	}
	if (body % h.descr_size)
		tag_error(t, "%u trailing bytes after %u descriptors", body % h.descr_size,
			  body / h.descr_size);
	out->has_efi_mmap = true;
	out->efi_descr_size = h.descr_size;
	out->efi_descr_version = h.descr_vers;
	out->efi_descr = t->p + sizeof(h);
	out->nr_efi_descr = body / h.descr_size;
}

static void parse_efi_bs(const struct mb2_tag_ctx *t)
{
	t->out->efi_bs_not_terminated = true;
}

static void parse_load_base(const struct mb2_tag_ctx *t)
{
	struct mb2_tag_load_base l;

	memcpy(&l, t->p, sizeof(l));
	t->out->has_load_base = true;
	t->out->load_base = l.load_base_addr;
}

static const struct mb2_tag_desc mb2_tags[MB2_TAG_NR] = {
    [MB2_TAG_END] = {"end", 8, false, NULL},
    [MB2_TAG_CMDLINE] = {"cmdline", 8, true, parse_cmdline},
    [MB2_TAG_LOADER_NAME] = {"loader name", 8, true, parse_loader},
    [MB2_TAG_MODULE] = {"module", 16, false, parse_module},
    [MB2_TAG_BASIC_MEMINFO] = {"basic meminfo", 16, true, parse_meminfo},
    [MB2_TAG_BOOTDEV] = {"boot device", 8, false, NULL},
    [MB2_TAG_MMAP] = {"mmap", 16, true, parse_mmap},
    [MB2_TAG_VBE] = {"VBE", 8, false, NULL},
    [MB2_TAG_FRAMEBUFFER] = {"framebuffer", 32, true, parse_framebuffer},
    [MB2_TAG_ELF_SECTIONS] = {"ELF sections", 8, false, NULL},
    [MB2_TAG_APM] = {"APM", 8, false, NULL},
    [MB2_TAG_EFI32] = {"EFI32 system table", 8, false, NULL},
    [MB2_TAG_EFI64] = {"EFI64 system table", 16, true, parse_efi64},
    [MB2_TAG_SMBIOS] = {"SMBIOS", 8, false, NULL},
    [MB2_TAG_ACPI_OLD] = {"ACPI old RSDP", 8 + MB2_RSDP_V1_LEN, true, parse_rsdp},
    [MB2_TAG_ACPI_NEW] = {"ACPI new RSDP", 8 + MB2_RSDP_V2_LEN, true, parse_rsdp},
    [MB2_TAG_NETWORK] = {"network", 8, false, NULL},
    [MB2_TAG_EFI_MMAP] = {"EFI mmap", 16, true, parse_efi_mmap},
    [MB2_TAG_EFI_BS] = {"EFI boot services", 8, true, parse_efi_bs},
    [MB2_TAG_EFI32_IH] = {"EFI32 image handle", 8, false, NULL},
    [MB2_TAG_EFI64_IH] = {"EFI64 image handle", 8, false, NULL},
    [MB2_TAG_LOAD_BASE_ADDR] = {"load base", 12, true, parse_load_base},
};

static const struct mb2_tag_desc *mb2_tag_desc(uint32_t type)
{
	return type < MB2_TAG_NR ? &mb2_tags[type] : NULL;
}

/* Check a tag's fixed part and duplicates, then hand it to its parser. */
static void mb2_dispatch(const struct mb2_tag_ctx *t, uint32_t *seen)
{
	const struct mb2_tag_desc *d = mb2_tag_desc(t->type);

	if (!d || !d->parse)
		return;
	if (t->size < d->fixed) {
		tag_error(t, "size %u smaller than its fixed part %u", t->size, d->fixed);
		return;
	}
	if (d->singleton && (*seen & BIT(t->type))) {
		tag_error(t, "duplicate tag ignored");
		return;
	}
	*seen |= (uint32_t)BIT(t->type);
	d->parse(t);
}

/* Walk the tags in [8, total); 0 when the end tag is reached, -EINVAL otherwise. */
static int mb2_walk(const uint8_t *base, uint32_t total, struct mb2_info *out)
{
	uint32_t seen = 0;
	size_t off = sizeof(struct mb2_info_header);

	for (;;) {
		struct mb2_tag tag;
		struct mb2_tag_ctx t;

		if (off >= total) {
			mb2_error(out, "no end tag before total_size %u", total);
			return -EINVAL;
		}
		if (total - off < sizeof(tag)) {
			mb2_error(out, "tag header at +0x%zx runs past total_size %u", off, total);
			return -EINVAL;
		}
		memcpy(&tag, base + off, sizeof(tag));
		t = (struct mb2_tag_ctx){base + off, tag.type, tag.size, off, out};
		if (tag.size < sizeof(tag) || tag.size > total - off) {
			tag_error(&t, "size %u %s", tag.size,
				  tag.size < sizeof(tag) ? "smaller than 8"
							 : "runs past total_size");
			return -EINVAL;
		}
		if (tag.type == MB2_TAG_END) {
			if (tag.size != sizeof(tag))
				tag_error(&t, "size %u, expected 8", tag.size);
			return 0;
		}
		mb2_dispatch(&t, &seen);
		off += ALIGN_UP(tag.size, MB2_TAG_ALIGN);
	}
}

/*
 * UEFI memory types as multiboot types. Loader and boot-services memory is free once
 * boot services have exited; while they run (tag 18) it is still theirs.
 */
uint32_t mb2_efi_type_to_mmap(uint32_t efi_type, bool boot_services_running)
{
	switch (efi_type) {
	case EFI_CONVENTIONAL_MEMORY:
		return MB2_MMAP_AVAILABLE;
	case EFI_LOADER_CODE:
	case EFI_LOADER_DATA:
	case EFI_BOOT_SERVICES_CODE:
	case EFI_BOOT_SERVICES_DATA:
		return boot_services_running ? MB2_MMAP_RESERVED : MB2_MMAP_AVAILABLE;
	case EFI_ACPI_RECLAIM_MEMORY:
		return MB2_MMAP_ACPI_RECLAIMABLE;
	case EFI_ACPI_MEMORY_NVS:
		return MB2_MMAP_NVS;
	case EFI_UNUSABLE_MEMORY:
		return MB2_MMAP_BADRAM;
	default:
		return MB2_MMAP_RESERVED;
	}
}

/* Length of @pages 4 KiB pages from @base, clipped so base + len does not wrap. */
static uint64_t efi_span(uint64_t base, uint64_t pages)
{
	uint64_t room = UINT64_MAX - base;

	if (pages > (room >> PAGE_SHIFT))
		return room;
	return pages << PAGE_SHIFT;
}

/* Append one converted descriptor, merging it into the previous one when they touch. */
static bool efi_append(struct mb2_info *out, uint64_t base, uint64_t len, uint32_t type)
{
	struct mb2_mmap_entry *prev =
	    out->nr_efi_mmap ? &out->efi_mmap[out->nr_efi_mmap - 1] : NULL;

	if (len == 0)
		return true;
	if (prev && prev->type == type && prev->len <= UINT64_MAX - prev->base &&
	    prev->base + prev->len == base && len <= UINT64_MAX - prev->len) {
		prev->len += len;
		return true;
	}
	if (out->nr_efi_mmap >= MB2_MAX_MMAP)
		return false;
	out->efi_mmap[out->nr_efi_mmap++] = (struct mb2_mmap_entry){base, len, type};
	return true;
}

/* After the walk, since tag 18 may follow tag 17. */
static void efi_convert(struct mb2_info *out)
{
	for (unsigned i = 0; i < out->nr_efi_descr; i++) {
		struct efi_memory_descriptor d;
		uint32_t type;

		memcpy(&d, out->efi_descr + (size_t)i * out->efi_descr_size, sizeof(d));
		type = mb2_efi_type_to_mmap(d.type, out->efi_bs_not_terminated);
		if (!efi_append(out, d.phys_start, efi_span(d.phys_start, d.num_pages), type)) {
			mb2_error(out, "EFI mmap: more than %u entries after merging, rest ignored",
				  MB2_MAX_MMAP);
			return;
		}
	}
}

static void mb2_pick_mmap(struct mb2_info *out)
{
	if (out->nr_mmap) {
		out->best_mmap = out->mmap;
		out->nr_best_mmap = out->nr_mmap;
	} else if (out->nr_efi_mmap) {
		out->best_mmap = out->efi_mmap;
		out->nr_best_mmap = out->nr_efi_mmap;
	}
}

static int mb2_check_header(const uint8_t *base, size_t avail, struct mb2_info *out)
{
	struct mb2_info_header h;

	if (!base || avail < sizeof(h)) {
		mb2_error(out, "%zu bytes available, the header needs 8", base ? avail : 0);
		return -EINVAL;
	}
	memcpy(&h, base, sizeof(h));
	if (h.total_size < sizeof(h) + sizeof(struct mb2_tag)) {
		mb2_error(out, "total_size %u smaller than 16", h.total_size);
		return -EINVAL;
	}
	if (h.total_size > avail) {
		mb2_error(out, "total_size %u larger than the %zu bytes available", h.total_size,
			  avail);
		return -EINVAL;
	}
	out->info_size = h.total_size;
	return 0;
}

int mb2_parse(const void *info, size_t avail, struct mb2_info *out)
{
	int ret;

	memset(out, 0, sizeof(*out));
	ret = mb2_check_header(info, avail, out);
	if (ret)
		return ret;
	ret = mb2_walk(info, out->info_size, out);
	efi_convert(out);
	mb2_pick_mmap(out);
	return ret;
}

const char *mb2_mmap_type_name(uint32_t type)
{
	static const char *const names[] = {
	    [MB2_MMAP_AVAILABLE] = "available",
	    [MB2_MMAP_RESERVED] = "reserved",
	    [MB2_MMAP_ACPI_RECLAIMABLE] = "ACPI reclaimable",
	    [MB2_MMAP_NVS] = "ACPI NVS",
	    [MB2_MMAP_BADRAM] = "bad RAM",
	};

	if (type < ARRAY_SIZE(names) && names[type])
		return names[type];
	return "unknown";
}

static bool mb2_is_space(char c)
{
	return c == ' ' || c == '\t';
}

const struct mb2_module *mb2_find_module(const struct mb2_info *info, const char *name)
{
	size_t n = strlen(name);

	if (n == 0)
		return NULL;
	for (unsigned i = 0; i < info->nr_modules; i++) {
		const char *s = info->modules[i].string;

		while (mb2_is_space(*s))
			s++;
		if (strncmp(s, name, n) == 0 && (s[n] == '\0' || mb2_is_space(s[n])))
			return &info->modules[i];
	}
	return NULL;
}
