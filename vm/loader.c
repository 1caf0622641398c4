/*
 * Guest memory accessor and guest kernel loader (ELF, Multiboot headers, a.out kludge).
 * Invariants: every load is planned and checked whole (file ranges, overflow, guest RAM)
 * before its first byte is copied, so a refused image leaves guest memory untouched.
 * Called by the VM builder (vm/), before the VM first runs; built freestanding and on the host.
 */
#include "vm/loader.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/page.h"

/* ---- guest memory ---- */

static bool gmem_slot_ok(const struct mem_slot *s, unsigned kinds, uint32_t right)
{
	if (!s || !(kinds & GMEM_BACKED & (1u << s->kind)))
		return false; /* MMIO is never touched, whatever @kinds says */
	return !(kinds & GMEM_RIGHTS) || (s->rights & right);
}

static bool gmem_covered_right(const struct memslots *ms, gpa_t a, uint64_t len, unsigned kinds,
			       uint32_t right)
{
	uint64_t at = a.v;

	if (len && len - 1 > UINT64_MAX - at)
		return false; /* wraps */
	while (len) {
		const struct mem_slot *s = memslot_find(ms, gpa(at));
		uint64_t room, step;

		if (!gmem_slot_ok(s, kinds, right))
			return false;
		room = memslot_gpa(s).v + memslot_size(s) - at;
		step = MIN(room, len);
		at += step;
		len -= step;
	}
	return true;
}

bool gmem_covered(const struct memslots *ms, gpa_t a, uint64_t len, unsigned kinds)
{
	return gmem_covered_right(ms, a, len, kinds, REGION_R);
}

enum gmem_op { GMEM_OP_READ, GMEM_OP_WRITE, GMEM_OP_ZERO };

/*
 * Check the whole range first, then walk it slot by slot: READ copies out to @dst,
 * WRITE copies in from @src, ZERO uses neither.
 */
static int gmem_xfer(const struct memslots *ms, gpa_t a, uint8_t *dst, const uint8_t *src,
		     size_t len, unsigned kinds, enum gmem_op op)
{
	uint64_t at = a.v;

	if (!gmem_covered_right(ms, a, len, kinds, op == GMEM_OP_READ ? REGION_R : REGION_W))
		return -EFAULT;
	while (len) {
		const struct mem_slot *s = memslot_find(ms, gpa(at));
		uint64_t off = at - memslot_gpa(s).v;
		size_t step = (size_t)MIN((uint64_t)len, memslot_size(s) - off);
		uint8_t *va = hpa_to_va(hpa(s->hpa.v + off));

		if (op == GMEM_OP_READ) {
			memmove(dst, va, step);
			dst += step;
		} else if (op == GMEM_OP_WRITE) {
			memmove(va, src, step);
			src += step;
		} else {
			memset(va, 0, step);
		}
		at += step;
		len -= step;
	}
	return 0;
}

int gmem_read_kinds(const struct memslots *ms, gpa_t a, void *dst, size_t len, unsigned kinds)
{
	return gmem_xfer(ms, a, dst, NULL, len, kinds, GMEM_OP_READ);
}

int gmem_write_kinds(const struct memslots *ms, gpa_t a, const void *src, size_t len,
		     unsigned kinds)
{
	return gmem_xfer(ms, a, NULL, src, len, kinds, GMEM_OP_WRITE);
}

int gmem_zero_kinds(const struct memslots *ms, gpa_t a, size_t len, unsigned kinds)
{
	return gmem_xfer(ms, a, NULL, NULL, len, kinds, GMEM_OP_ZERO);
}

int gmem_read(const struct memslots *ms, gpa_t a, void *dst, size_t len)
{
	return gmem_read_kinds(ms, a, dst, len, GMEM_BACKED | GMEM_RIGHTS);
}

int gmem_write(const struct memslots *ms, gpa_t a, const void *src, size_t len)
{
	return gmem_write_kinds(ms, a, src, len, GMEM_RAM | GMEM_SHARED | GMEM_RIGHTS);
}

int gmem_zero(const struct memslots *ms, gpa_t a, size_t len)
{
	return gmem_zero_kinds(ms, a, len, GMEM_RAM | GMEM_SHARED | GMEM_RIGHTS);
}

/* ---- ELF layouts ("System V ABI", Object Files: ELF Header, Program Header) ---- */

#define ELF_MAGIC   0x464C457Fu /* "\x7fELF" little-endian */
#define ELF_NIDENT  16
#define ELFCLASS32  1
#define ELFCLASS64  2
#define ELFDATA2LSB 1
#define EV_CURRENT  1
#define ET_EXEC	    2
#define EM_386	    3
#define EM_X86_64   62
#define PT_LOAD	    1
#define EI_CLASS    4
#define EI_DATA	    5
#define EI_VERSION  6

struct elf64_ehdr {
	uint8_t ident[ELF_NIDENT];
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
} __packed;

struct elf32_ehdr {
	uint8_t ident[ELF_NIDENT];
	uint16_t type, machine;
	uint32_t version, entry, phoff, shoff, flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
} __packed;

struct elf64_phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
} __packed;

struct elf32_phdr {
	uint32_t type, offset, vaddr, paddr, filesz, memsz, flags, align;
} __packed;

static_assert(sizeof(struct elf64_ehdr) == 64, "ELF64 header");
static_assert(offsetof(struct elf64_ehdr, phoff) == 32, "ELF64 e_phoff");
static_assert(offsetof(struct elf64_ehdr, phnum) == 56, "ELF64 e_phnum");
static_assert(sizeof(struct elf32_ehdr) == 52, "ELF32 header");
static_assert(offsetof(struct elf32_ehdr, phoff) == 28, "ELF32 e_phoff");
static_assert(offsetof(struct elf32_ehdr, phnum) == 44, "ELF32 e_phnum");
static_assert(sizeof(struct elf64_phdr) == 56, "ELF64 program header");
static_assert(offsetof(struct elf64_phdr, paddr) == 24, "ELF64 p_paddr");
static_assert(sizeof(struct elf32_phdr) == 32, "ELF32 program header");
static_assert(offsetof(struct elf32_phdr, paddr) == 12, "ELF32 p_paddr");

/* ---- load plans: checked whole, then copied ---- */

struct seg {
	uint32_t type;
	uint64_t offset, paddr, filesz, memsz;
};

struct plan {
	const struct memslots *ms;
	const uint8_t *img;
	size_t size;
	char *err;
	size_t errlen;
	const char *who; /* message prefix */
	bool elf;	 /* segments come from the program headers, else from .one */
	uint64_t phoff;
	unsigned phnum;
	struct seg one;
	struct load_result res;
};

static int plan_fail(struct plan *p, int ret, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int plan_fail(struct plan *p, int ret, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (!p->errlen)
		return ret;
	if (p->who)
		n = ksnprintf(p->err, p->errlen, "%s: ", p->who);
	va_start(ap, fmt);
	if ((size_t)n < p->errlen)
		kvsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return ret;
}

static void plan_seg(const struct plan *p, unsigned i, struct seg *s)
{
	if (!p->elf) {
		*s = p->one;
	} else if (p->res.bits == 64) {
		struct elf64_phdr h;

		memcpy(&h, p->img + p->phoff + (uint64_t)i * sizeof(h), sizeof(h));
		*s = (struct seg){h.type, h.offset, h.paddr, h.filesz, h.memsz};
	} else {
		struct elf32_phdr h;

		memcpy(&h, p->img + p->phoff + (uint64_t)i * sizeof(h), sizeof(h));
		*s = (struct seg){h.type, h.offset, h.paddr, h.filesz, h.memsz};
	}
}

static unsigned plan_nr_segs(const struct plan *p)
{
	return p->elf ? p->phnum : 1;
}

static bool seg_loads(const struct seg *s)
{
	return s->type == PT_LOAD && s->memsz;
}

typedef unsigned long long ull; /* for %llx */

/* Segment @i alone: sizes, file range, address space, guest RAM. */
static int plan_check_seg(struct plan *p, unsigned i, const struct seg *s)
{
	uint64_t limit = p->res.bits == 32 ? BIT(32) : UINT64_MAX;

	if (s->filesz > s->memsz)
		return plan_fail(p, -EINVAL, "segment %u has filesz 0x%llx > memsz 0x%llx", i,
				 (ull)s->filesz, (ull)s->memsz);
	if (!s->memsz)
		return 0; /* nothing to load */
	if (s->offset > p->size || s->filesz > p->size - s->offset)
		return plan_fail(p, -EINVAL,
				 "segment %u file range [0x%llx+0x%llx) runs past the end of the "
				 "image (size %zu)",
				 i, (ull)s->offset, (ull)s->filesz, p->size);
	if (s->paddr > limit || s->memsz > limit - s->paddr)
		return plan_fail(p, -EINVAL,
				 "segment %u [0x%llx+0x%llx) overflows the %u-bit "
				 "address space",
				 i, (ull)s->paddr, (ull)s->memsz, p->res.bits);
	if (!gmem_covered(p->ms, gpa(s->paddr), s->memsz, GMEM_RAM))
		return plan_fail(p, -EFAULT, "segment %u [0x%llx+0x%llx) lies outside guest RAM", i,
				 (ull)s->paddr, (ull)s->memsz);
	return 0;
}

static bool seg_overlap(const struct seg *a, const struct seg *b)
{
	return a->paddr < b->paddr + b->memsz && b->paddr < a->paddr + a->memsz;
}

/* Check every segment and overlaps between them; fill res.lo and res.end. */
static int plan_check(struct plan *p)
{
	uint64_t lo = UINT64_MAX, end = 0;

	for (unsigned i = 0; i < plan_nr_segs(p); i++) {
		struct seg s, t;
		int ret;

		plan_seg(p, i, &s);
		if (s.type != PT_LOAD)
			continue;
		ret = plan_check_seg(p, i, &s);
		if (ret)
			return ret;
		if (!seg_loads(&s))
			continue;
		for (unsigned j = 0; j < i; j++) {
			plan_seg(p, j, &t);
			if (seg_loads(&t) && seg_overlap(&s, &t))
				return plan_fail(p, -EINVAL,
						 "segment %u [0x%llx+0x%llx) overlaps "
						 "segment %u",
						 i, (ull)s.paddr, (ull)s.memsz, j);
		}
		lo = MIN(lo, s.paddr);
		end = MAX(end, s.paddr + s.memsz);
	}
	if (lo == UINT64_MAX)
		return plan_fail(p, -EINVAL, "no loadable segment");
	p->res.lo = gpa(lo);
	p->res.end = gpa(end);
	return 0;
}

/* Cannot fail: plan_check() proved every range. */
static void plan_copy(const struct plan *p)
{
	for (unsigned i = 0; i < plan_nr_segs(p); i++) {
		struct seg s;

		plan_seg(p, i, &s);
		if (!seg_loads(&s))
			continue;
		gmem_write_kinds(p->ms, gpa(s.paddr), p->img + s.offset, s.filesz, GMEM_RAM);
		gmem_zero_kinds(p->ms, gpa(s.paddr + s.filesz), s.memsz - s.filesz, GMEM_RAM);
	}
}

/* ---- ELF ---- */

static int elf_ident(struct plan *p)
{
	const uint8_t *id = p->img;
	uint32_t magic = 0;

	if (p->size >= 4)
		memcpy(&magic, id, 4);
	if (magic != ELF_MAGIC) {
		p->who = NULL;
		return plan_fail(p, -EINVAL, "not an ELF image (bad magic)");
	}
	if (p->size < ELF_NIDENT)
		return plan_fail(p, -EINVAL, "header truncated (image of %zu bytes)", p->size);
	if (id[EI_CLASS] != ELFCLASS32 && id[EI_CLASS] != ELFCLASS64)
		return plan_fail(p, -EINVAL, "bad class %u", id[EI_CLASS]);
	if (id[EI_DATA] != ELFDATA2LSB)
		return plan_fail(p, -ENOTSUP, "data encoding %u is not little-endian", id[EI_DATA]);
	if (id[EI_VERSION] != EV_CURRENT)
		return plan_fail(p, -EINVAL, "bad version %u", id[EI_VERSION]);
	p->res.bits = id[EI_CLASS] == ELFCLASS64 ? 64 : 32;
	return 0;
}

/* The class-independent fields of the ELF header. */
struct elf_hdr {
	uint16_t type, machine, phentsize, phnum;
	uint64_t entry, phoff;
};

static int elf_read_hdr(struct plan *p, struct elf_hdr *h)
{
	size_t need = p->res.bits == 64 ? sizeof(struct elf64_ehdr) : sizeof(struct elf32_ehdr);

	if (p->size < need)
		return plan_fail(p, -EINVAL, "header truncated (image of %zu bytes, need %zu)",
				 p->size, need);
	if (p->res.bits == 64) {
		struct elf64_ehdr e;

		memcpy(&e, p->img, sizeof(e));
		*h = (struct elf_hdr){e.type, e.machine, e.phentsize, e.phnum, e.entry, e.phoff};
	} else {
		struct elf32_ehdr e;

		memcpy(&e, p->img, sizeof(e));
		*h = (struct elf_hdr){e.type, e.machine, e.phentsize, e.phnum, e.entry, e.phoff};
	}
	return 0;
}

static int elf_check_hdr(struct plan *p, const struct elf_hdr *h)
{
	bool is64 = p->res.bits == 64;
	size_t phent = is64 ? sizeof(struct elf64_phdr) : sizeof(struct elf32_phdr);

	if (h->type != ET_EXEC)
		return plan_fail(p, -ENOTSUP, "type %u is not an executable (ET_EXEC)", h->type);
	if (h->machine != (is64 ? EM_X86_64 : EM_386))
		return plan_fail(p, -ENOTSUP, "machine %u is not %s", h->machine,
				 is64 ? "x86-64" : "i386");
	if (h->phentsize != phent)
		return plan_fail(p, -EINVAL, "e_phentsize %u, expected %zu", h->phentsize, phent);
	if (h->phnum == 0)
		return plan_fail(p, -EINVAL, "no program headers");
	if (h->phnum > LOADER_ELF_MAX_PHDRS)
		return plan_fail(p, -ENOTSUP, "%u program headers, at most %u supported", h->phnum,
				 LOADER_ELF_MAX_PHDRS);
	if (h->phoff > p->size || (uint64_t)h->phnum * phent > p->size - h->phoff)
		return plan_fail(p, -EINVAL,
				 "program header table runs past the end of the image (size %zu)",
				 p->size);
	return 0;
}

static int elf_plan(struct plan *p)
{
	struct elf_hdr h = {0};
	int ret;

	p->who = "ELF";
	p->elf = true;
	ret = elf_ident(p);
	if (!ret)
		ret = elf_read_hdr(p, &h);
	if (!ret)
		ret = elf_check_hdr(p, &h);
	if (ret)
		return ret;
	p->phoff = h.phoff;
	p->phnum = h.phnum;
	p->res.entry = h.entry;
	return plan_check(p);
}

static void plan_init(struct plan *p, const struct memslots *ms, const void *image, size_t size,
		      char *err, size_t errlen)
{
	*p = (struct plan){.ms = ms,
			   .img = image,
			   .size = image ? size : 0,
			   .err = err,
			   .errlen = err ? errlen : 0};
	if (p->errlen)
		err[0] = '\0';
}

static int plan_finish(const struct plan *p, struct load_result *out)
{
	plan_copy(p);
	*out = p->res;
	return 0;
}

int loader_load_elf(const struct memslots *ms, const void *image, size_t size,
		    struct load_result *out, char *err, size_t errlen)
{
	struct plan p;
	int ret;

	plan_init(&p, ms, image, size, err, errlen);
	ret = elf_plan(&p);
	return ret ? ret : plan_finish(&p, out);
}

/* ---- non-ELF images: the a.out kludge / address tag ---- */

/* One segment from the header's address fields; @hdr_off is the header's file offset. */
static int addrs_plan(struct plan *p, const struct loader_addrs *a, uint32_t hdr_off, bool v2)
{
	uint64_t load = a->load_addr, off, len;

	if (v2 && load == UINT32_MAX && hdr_off <= a->header_addr) /* load from file start */
		load = a->header_addr - hdr_off;
	if (load > a->header_addr)
		return plan_fail(p, -EINVAL, "load_addr 0x%llx above header_addr 0x%x", (ull)load,
				 a->header_addr);
	if (a->header_addr - load > hdr_off)
		return plan_fail(p, -EINVAL, "load_addr 0x%llx lies before the start of the image",
				 (ull)load);
	off = hdr_off - (a->header_addr - load);
	if (a->load_end_addr && a->load_end_addr < load)
		return plan_fail(p, -EINVAL, "load_end_addr 0x%x below load_addr 0x%llx",
				 a->load_end_addr, (ull)load);
	len = a->load_end_addr ? a->load_end_addr - load : p->size - off;
	p->one = (struct seg){PT_LOAD, off, load, len, len};
	if (a->bss_end_addr && a->bss_end_addr < load + len)
		return plan_fail(p, -EINVAL, "bss_end_addr 0x%x below the end of the file 0x%llx",
				 a->bss_end_addr, (ull)load + len);
	if (a->bss_end_addr)
		p->one.memsz = a->bss_end_addr - load;
	p->elf = false;
	p->res.bits = 32;
	return plan_check(p);
}

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

enum mb2h_type {
	MB2H_END = 0,
	MB2H_INFO_REQUEST = 1,
	MB2H_ADDRESS = 2,
	MB2H_ENTRY = 3,
	MB2H_CONSOLE = 4,
	MB2H_FRAMEBUFFER = 5,
	MB2H_MODULE_ALIGN = 6,
	MB2H_EFI_BS = 7,
	MB2H_ENTRY_EFI32 = 8,
	MB2H_ENTRY_EFI64 = 9,
	MB2H_RELOCATABLE = 10,
};

/* Boot information types vm/bootinfo.c builds: cmdline, loader, module, meminfo, mmap. */
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

/* ---- by protocol ---- */

/* Multiboot enters in 32-bit protected mode. */
static int plan_entry_check(struct plan *p, const char *who)
{
	p->who = who;
	if (p->res.entry >= BIT(32))
		return plan_fail(p, -EINVAL, "entry point 0x%llx is above 4 GiB",
				 (ull)p->res.entry);
	return 0;
}

static int mb1_plan(struct plan *p)
{
	struct mb1_header_info h;
	int ret = loader_find_mb1_header(p->img, p->size, &h);

	p->who = "multiboot";
	if (ret == -ENOENT)
		return plan_fail(p, ret, "no header in the first %u bytes", LOADER_MB1_SEARCH);
	if (ret == -EINVAL)
		return plan_fail(p, ret,
				 "header at +0x%x: address fields run past the first %u "
				 "bytes",
				 h.offset, LOADER_MB1_SEARCH);
	if (ret == -ENOTSUP)
		return plan_fail(p, ret,
				 "header at +0x%x requires unsupported features (flags "
				 "0x%08x)",
				 h.offset, h.flags);
	ret = h.has_addrs ? addrs_plan(p, &h.addrs, h.offset, false) : elf_plan(p);
	if (ret)
		return ret;
	if (h.has_addrs)
		p->res.entry = h.entry_addr;
	p->res.align_modules = h.flags & LOADER_MB1_ALIGN_MODS;
	return plan_entry_check(p, "multiboot");
}

static int mb2_header_fail(struct plan *p, int ret, const struct mb2_header_info *h)
{
	if (ret == -ENOENT)
		return plan_fail(p, ret, "no header in the first %u bytes", LOADER_MB2_SEARCH);
	if (ret == -EINVAL)
		return plan_fail(p, ret, "header at +0x%x is malformed", h->offset);
	if (h->bad_tag == 0)
		return plan_fail(p, ret, "header at +0x%x is for architecture %u, not i386",
				 h->offset, h->bad_value);
	if (h->bad_tag == MB2H_INFO_REQUEST)
		return plan_fail(p, ret,
				 "header at +0x%x requires boot information type %u, "
				 "which we do not give",
				 h->offset, h->bad_value);
	return plan_fail(p, ret, "header at +0x%x requires unsupported tag type %u", h->offset,
			 h->bad_tag);
}

static int mb2_plan(struct plan *p)
{
	struct mb2_header_info h;
	int ret = loader_find_mb2_header(p->img, p->size, &h);

	p->who = "multiboot2";
	if (ret)
		return mb2_header_fail(p, ret, &h);
	if (h.has_addrs && !h.has_entry)
		return plan_fail(p, -EINVAL, "address tag without an entry address tag");
	ret = h.has_addrs ? addrs_plan(p, &h.addrs, h.offset, true) : elf_plan(p);
	if (ret)
		return ret;
	if (h.has_entry)
		p->res.entry = h.entry_addr;
	p->res.align_modules = h.align_modules;
	return plan_entry_check(p, "multiboot2");
}

int loader_load_image(const struct memslots *ms, enum boot_proto proto, const void *image,
		      size_t size, struct load_result *out, char *err, size_t errlen)
{
	struct plan p;
	int ret;

	plan_init(&p, ms, image, size, err, errlen);
	if (proto == BOOT_MULTIBOOT1)
		ret = mb1_plan(&p);
	else if (proto == BOOT_MULTIBOOT2)
		ret = mb2_plan(&p);
	else
		ret = plan_fail(&p, -EINVAL, "unknown boot protocol %u", (unsigned)proto);
	return ret ? ret : plan_finish(&p, out);
}
