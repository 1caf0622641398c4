/*
 * Multiboot header scanners ("Multiboot Specification version 0.6.96", "... 2.0"): find and
 * check the v1 / v2 header of a guest image. Invariants: reads stay within the image and the
 * spec's search area; they never touch guest memory. Called by the loader (loader/loader.c).
 */
#include "loader/mbheader.h"
#include "lib/errno.h"
#include "lib/string.h"

/* ---- Multiboot v1 header ---- */

struct mb1_header {
	uint32_t magic, flags, checksum;
	uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
} __packed;
static_assert(sizeof(struct mb1_header) == 32, "multiboot header with address fields");

int loader_find_mb1_header(const void *image, size_t size, struct mb1_header_info *out)
{
	const uint8_t *img = image;
	size_t lim = image ? MIN(size, (size_t)LOADER_MB1_SEARCH) : 0;

	for (size_t off = 0; off + 12 <= lim; off += 4) {
		struct mb1_header h;

		memcpy(&h, img + off, 12);
		if (h.magic != LOADER_MB1_MAGIC || h.magic + h.flags + h.checksum != 0)
			continue;
		*out = (struct mb1_header_info){.offset = (uint32_t)off, .flags = h.flags};
		if (h.flags & LOADER_MB1_REQUIRED & ~LOADER_MB1_KNOWN)
			return -ENOTSUP;
		if (!(h.flags & LOADER_MB1_AOUT_KLUDGE))
			return 0;
		if (off + sizeof(h) > lim)
			return -EINVAL;
		memcpy(&h, img + off, sizeof(h));
		out->has_addrs = true;
		out->addrs = (struct loader_addrs){h.header_addr, h.load_addr, h.load_end_addr,
						   h.bss_end_addr};
		out->entry_addr = h.entry_addr;
		return 0;
	}
	return -ENOENT;
}

/* ---- Multiboot2 header ---- */

struct mb2_header {
	uint32_t magic, arch, length, checksum;
} __packed;

struct mb2_htag {
	uint16_t type, flags;
	uint32_t size;
} __packed;

struct mb2_htag_address {
	struct mb2_htag hdr;
	uint32_t header_addr, load_addr, load_end_addr, bss_end_addr;
} __packed;

struct mb2_htag_entry {
	struct mb2_htag hdr;
	uint32_t entry_addr;
} __packed;

static_assert(sizeof(struct mb2_header) == 16, "multiboot2 header");
static_assert(sizeof(struct mb2_htag) == 8, "multiboot2 header tag");
static_assert(sizeof(struct mb2_htag_address) == 24, "multiboot2 address tag");
static_assert(sizeof(struct mb2_htag_entry) == 12, "multiboot2 entry address tag");

#define MB2H_OPTIONAL BIT(0) /* tag flags: the image can do without it */

/* Boot information types loader/bootinfo.c builds: cmdline, loader, module, meminfo, mmap. */
#define MB2_INFO_GIVEN (BIT(1) | BIT(2) | BIT(3) | BIT(4) | BIT(6))

static int mb2_check_request(const uint8_t *t, const struct mb2_htag *h,
			     struct mb2_header_info *out)
{
	if (h->flags & MB2H_OPTIONAL)
		return 0;
	for (uint32_t o = sizeof(*h); o + 4 <= h->size; o += 4) {
		uint32_t type;

		memcpy(&type, t + o, sizeof(type));
		if (type >= 64 || !(MB2_INFO_GIVEN & BIT(type))) {
			out->bad_tag = MB2H_INFO_REQUEST;
			out->bad_value = type;
			return -ENOTSUP;
		}
	}
	return 0;
}

static int mb2_header_tag(const uint8_t *t, const struct mb2_htag *h, struct mb2_header_info *out)
{
	struct mb2_htag_address a;
	struct mb2_htag_entry e;

	switch (h->type) {
	case MB2H_INFO_REQUEST:
		return mb2_check_request(t, h, out);
	case MB2H_ADDRESS:
		if (h->size < sizeof(a))
			return -EINVAL;
		memcpy(&a, t, sizeof(a));
		out->has_addrs = true;
		out->addrs = (struct loader_addrs){a.header_addr, a.load_addr, a.load_end_addr,
						   a.bss_end_addr};
		return 0;
	case MB2H_ENTRY:
		if (h->size < sizeof(e))
			return -EINVAL;
		memcpy(&e, t, sizeof(e));
		out->has_entry = true;
		out->entry_addr = e.entry_addr;
		return 0;
	case MB2H_MODULE_ALIGN:
		out->align_modules = true;
		return 0;
	case MB2H_CONSOLE:     /* we always have a (serial) console */
	case MB2H_EFI_BS:      /* only a statement about the image */
	case MB2H_ENTRY_EFI32: /* used only when booted from EFI */
	case MB2H_ENTRY_EFI64: /* ditto */
	case MB2H_RELOCATABLE: /* loading at the link address satisfies it */
		return 0;
	default: /* framebuffer and unknown types */
		if (h->flags & MB2H_OPTIONAL)
			return 0;
		out->bad_tag = h->type;
		return -ENOTSUP;
	}
}

/* Tags start at +16, each 8-aligned, and end with an end tag inside header_length. */
static int mb2_walk(const uint8_t *hdr, uint32_t len, struct mb2_header_info *out)
{
	uint32_t off = sizeof(struct mb2_header);

	while (off + sizeof(struct mb2_htag) <= len) {
		struct mb2_htag h;
		int ret;

		memcpy(&h, hdr + off, sizeof(h));
		if (h.size < sizeof(h) || h.size > len - off)
			return -EINVAL;
		if (h.type == MB2H_END)
			return 0;
		ret = mb2_header_tag(hdr + off, &h, out);
		if (ret)
			return ret;
		off += (uint32_t)ALIGN_UP(h.size, 8);
	}
	return -EINVAL; /* no end tag */
}

int loader_find_mb2_header(const void *image, size_t size, struct mb2_header_info *out)
{
	const uint8_t *img = image;
	size_t lim = image ? MIN(size, (size_t)LOADER_MB2_SEARCH) : 0;

	for (size_t off = 0; off + sizeof(struct mb2_header) <= lim; off += 8) {
		struct mb2_header h;

		memcpy(&h, img + off, sizeof(h));
		if (h.magic != LOADER_MB2_MAGIC || h.magic + h.arch + h.length + h.checksum != 0)
			continue;
		*out = (struct mb2_header_info){
		    .offset = (uint32_t)off, .length = h.length, .arch = h.arch};
		if (h.length < sizeof(h) + sizeof(struct mb2_htag) || h.length > lim - off)
			return -EINVAL;
		if (h.arch != 0) {
			out->bad_value = h.arch;
			return -ENOTSUP;
		}
		return mb2_walk(img + off, h.length, out);
	}
	return -ENOENT;
}
