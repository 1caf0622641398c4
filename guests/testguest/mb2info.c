/*
 * Reads the Multiboot2 information the loader left at boot_mbi into struct boot_info:
 * command line, loader name, basic memory info, memory map, modules and the RSDP copy
 * (tags 14/15, the newer one preferred). Pointers in
 * boot_info point into the information itself (identity-mapped, below 1 GiB).
 */
#include "guests/testguest/guest.h"
#include "lib/errno.h"

#define MB2_TAG_END	 0
#define MB2_TAG_CMDLINE	 1
#define MB2_TAG_LOADER	 2
#define MB2_TAG_MODULE	 3
#define MB2_TAG_MEMINFO	 4
#define MB2_TAG_MMAP	 6
#define MB2_TAG_ACPI_OLD 14	    /* a copy of the RSDP, ACPI 1.0 */
#define MB2_TAG_ACPI_NEW 15	    /* a copy of the RSDP, ACPI 2.0 or later */
#define MB2_INFO_MAX	 (64 * KiB) /* sanity bound on total_size */

struct mb2_tag {
	uint32_t type, size;
};
struct mb2_mmap_entry {
	uint64_t base, len;
	uint32_t type, reserved;
};
static_assert(sizeof(struct mb2_mmap_entry) == 24, "Multiboot2 memory map entry");

struct boot_info boot;

static void mb2_mmap(const uint8_t *tag, uint32_t size, struct boot_info *out)
{
	uint32_t entry_size = *(const uint32_t *)(tag + 8);

	if (entry_size < sizeof(struct mb2_mmap_entry))
		return;
	for (uint32_t off = 16; off + entry_size <= size && out->nr_mmap < BOOT_MAX_MMAP;
	     off += entry_size) {
		const struct mb2_mmap_entry *e = (const void *)(tag + off);

		out->mmap[out->nr_mmap++] = (struct boot_mmap){e->base, e->len, e->type};
	}
}

static void mb2_tag(const uint8_t *tag, uint32_t type, uint32_t size, struct boot_info *out)
{
	switch (type) {
	case MB2_TAG_CMDLINE:
		out->cmdline = (const char *)(tag + 8);
		break;
	case MB2_TAG_LOADER:
		out->loader = (const char *)(tag + 8);
		break;
	case MB2_TAG_MEMINFO:
		out->have_meminfo = true;
		out->mem_lower = *(const uint32_t *)(tag + 8);
		out->mem_upper = *(const uint32_t *)(tag + 12);
		break;
	case MB2_TAG_MMAP:
		mb2_mmap(tag, size, out);
		break;
	case MB2_TAG_ACPI_NEW:
		out->rsdp = tag + 8;
		break;
	case MB2_TAG_ACPI_OLD:
		if (!out->rsdp)
			out->rsdp = tag + 8;
		break;
	case MB2_TAG_MODULE:
		if (out->nr_mods < BOOT_MAX_MODS)
			out->mods[out->nr_mods++] = (struct boot_mod){*(const uint32_t *)(tag + 8),
								      *(const uint32_t *)(tag + 12),
								      (const char *)(tag + 16)};
		break;
	}
}

int mb2_parse(uint64_t mbi, struct boot_info *out)
{
	const uint8_t *p = (const uint8_t *)mbi;
	uint32_t total = *(const uint32_t *)p;

	out->mbi = mbi;
	if (mbi & 7 || total < 16 || total > MB2_INFO_MAX)
		return -EINVAL;
	for (uint32_t off = 8; off + sizeof(struct mb2_tag) <= total;) {
		const struct mb2_tag *t = (const void *)(p + off);

		if (t->size < sizeof(struct mb2_tag) || off + t->size > total)
			return -EINVAL;
		if (t->type == MB2_TAG_END)
			return 0;
		mb2_tag(p + off, t->type, t->size, out);
		off += (uint32_t)ALIGN_UP(t->size, 8);
	}
	return -EINVAL; /* no end tag */
}

uint64_t boot_ram_bytes(void)
{
	uint64_t sum = 0;

	for (unsigned i = 0; i < boot.nr_mmap; i++)
		if (boot.mmap[i].type == 1)
			sum += boot.mmap[i].len;
	return sum;
}

extern char __image_start[], __image_end[];

/* The ranges the loader filled: image, boot information, modules. Returns how many. */
static unsigned boot_used_ranges(uint64_t lo[], uint64_t hi[], unsigned max)
{
	unsigned n = 0;

	lo[n] = (uint64_t)__image_start;
	hi[n++] = (uint64_t)__image_end;
	if (boot.mbi) {
		lo[n] = boot.mbi;
		hi[n++] = boot.mbi + *(const uint32_t *)boot.mbi;
	}
	for (unsigned i = 0; i < boot.nr_mods && n < max; i++) {
		lo[n] = boot.mods[i].start;
		hi[n++] = boot.mods[i].end;
	}
	return n;
}

bool boot_range_used(uint64_t lo, uint64_t hi)
{
	uint64_t ulo[BOOT_MAX_MODS + 2], uhi[BOOT_MAX_MODS + 2];
	unsigned n = boot_used_ranges(ulo, uhi, ARRAY_SIZE(ulo));

	for (unsigned i = 0; i < n; i++)
		if (lo < uhi[i] && ulo[i] < hi)
			return true;
	return false;
}

uint64_t boot_used_end(void)
{
	uint64_t ulo[BOOT_MAX_MODS + 2], uhi[BOOT_MAX_MODS + 2], end = 0;
	unsigned n = boot_used_ranges(ulo, uhi, ARRAY_SIZE(ulo));

	for (unsigned i = 0; i < n; i++)
		end = MAX(end, uhi[i]);
	return end;
}

bool boot_range_is_ram(uint64_t lo, uint64_t hi)
{
	for (unsigned i = 0; i < boot.nr_mmap; i++)
		if (boot.mmap[i].type == 1 && boot.mmap[i].base <= lo &&
		    hi <= boot.mmap[i].base + boot.mmap[i].len)
			return true;
	return false;
}
