/*
 * Guest kernel loader: ELF, and the a.out kludge / address tag of a Multiboot header.
 * Invariant: every load is planned and checked whole (file ranges, overflow, guest RAM) before
 * its first byte is copied. Called by the VM builder before the VM runs; freestanding and host.
 */
#include "loader/loader.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "loader/linux.h"

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

enum boot_proto loader_detect_proto(const void *image, size_t size)
{
	struct mb2_header_info h2;
	struct mb1_header_info h1;

	if (loader_find_mb2_header(image, size, &h2) != -ENOENT)
		return BOOT_MULTIBOOT2;
	if (loader_find_mb1_header(image, size, &h1) != -ENOENT)
		return BOOT_MULTIBOOT1;
	/*
	 * The boot-sector signature alone is enough: an image that has it and no Multiboot
	 * header is a PC boot image, and the Linux loader then names what is wrong with its
	 * setup header (a damaged "HdrS", say) rather than the ELF loader saying "not ELF".
	 */
	if (linux_is_bzimage(image, size) ||
	    (size >= 0x200 && ((const uint8_t *)image)[0x1fe] == 0x55 &&
	     ((const uint8_t *)image)[0x1ff] == 0xaa))
		return BOOT_LINUX;
	return BOOT_AUTO;
}

int loader_load_image(const struct memslots *ms, enum boot_proto proto, const void *image,
		      size_t size, struct load_result *out, char *err, size_t errlen)
{
	struct plan p;
	int ret;

	plan_init(&p, ms, image, size, err, errlen);
	if (proto == BOOT_AUTO)
		proto = loader_detect_proto(image, size);
	if (proto == BOOT_AUTO)
		ret = plan_fail(&p, -ENOENT,
				"no Multiboot2 header (first 32 KiB) nor Multiboot header (first "
				"8 KiB): not a kernel kestrel can boot");
	else if (proto == BOOT_MULTIBOOT1)
		ret = mb1_plan(&p);
	else if (proto == BOOT_MULTIBOOT2)
		ret = mb2_plan(&p);
	else if (proto == BOOT_LINUX)
		ret =
		    plan_fail(&p, -ENOTSUP,
			      "a Linux bzImage: loaded by linux_load(), not as a Multiboot kernel");
	else
		ret = plan_fail(&p, -EINVAL, "unknown boot protocol %u", (unsigned)proto);
	if (ret)
		return ret;
	ret = plan_finish(&p, out);
	if (!ret)
		out->proto = proto;
	return ret;
}
