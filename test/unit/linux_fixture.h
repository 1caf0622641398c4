/*
 * Shared fixture for the Linux loader's unit tests: a VM of configured regions whose RAM, ROM
 * and shared regions are guarded, poisoned host buffers behind memslots, and a bzImage built
 * byte by byte at the offsets boot.rst gives (never through loader/linux.c's own layout).
 * Host only; every helper is static inline.
 */
#ifndef TEST_UNIT_LINUX_FIXTURE_H
#define TEST_UNIT_LINUX_FIXTURE_H

#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/types.h"
#include "config/config.h"
#include "loader/linux.h"
#include "mm/memslot.h"

/* ---- a VM: regions, and host buffers behind the backed ones ---- */

#define LGUARD	    4096
#define LGUARD_BYTE 0xA5
#define LPOISON	    0xCC
#define LMAX_REGS   8

struct lbuf {
	uint64_t gpa, size;
	uint8_t *raw, *mem; /* NULL for MMIO */
};

static struct memslots lms __attribute__((unused));
static struct lbuf lbufs[LMAX_REGS] __attribute__((unused));
static struct vm_region lregs[LMAX_REGS] __attribute__((unused));
static struct vm_config lcfg __attribute__((unused));
static unsigned lnr __attribute__((unused)); /* buffers in lbufs (lcfg may list more regions) */

static inline bool backed(enum region_kind k)
{
	return k == REGION_RAM || k == REGION_ROM || k == REGION_SHARED;
}

/* Build the VM of @n regions: slots for all, host buffers (poisoned) for backed ones. */
static inline void vm_make(const struct vm_region *regs, unsigned n)
{
	assert_true(n <= LMAX_REGS);
	memslots_init(&lms);
	memset(lbufs, 0, sizeof(lbufs));
	for (unsigned i = 0; i < n; i++) {
		const struct vm_region *r = &regs[i];
		struct lbuf *b = &lbufs[i];
		struct mem_slot s = {.base_gfn = gpa_to_gfn(gpa(r->gpa)),
				     .npages = r->size >> PAGE_SHIFT,
				     .kind = r->kind,
				     .rights = r->rights,
				     .region = (uint16_t)i};

		lregs[i] = *r;
		b->gpa = r->gpa;
		b->size = r->size;
		if (backed(r->kind)) {
			b->raw = malloc(r->size + 2 * LGUARD);
			assert_non_null(b->raw);
			memset(b->raw, LGUARD_BYTE, LGUARD);
			memset(b->raw + LGUARD + r->size, LGUARD_BYTE, LGUARD);
			b->mem = b->raw + LGUARD;
			memset(b->mem, LPOISON, r->size);
			s.hpa = hpa((uint64_t)(uintptr_t)b->mem);
		} else {
			s.hpa = hpa(r->kind == REGION_MMIO_PASS ? 0x1000 : 0);
		}
		assert_int_equal(memslot_add(&lms, &s), 0);
	}
	lcfg = (struct vm_config){.name = "lx", .regions = lregs, .nr_regions = n};
	lnr = n;
}

static inline void vm_check_guards(void)
{
	for (unsigned i = 0; i < lnr; i++) {
		const struct lbuf *b = &lbufs[i];

		for (size_t j = 0; b->raw && j < LGUARD; j++) {
			assert_int_equal(b->raw[j], LGUARD_BYTE);
			assert_int_equal(b->mem[b->size + j], LGUARD_BYTE);
		}
	}
}

static inline void vm_free(void)
{
	vm_check_guards();
	for (unsigned i = 0; i < lnr; i++)
		free(lbufs[i].raw);
	memset(lbufs, 0, sizeof(lbufs));
}

static inline void vm_poison(void)
{
	for (unsigned i = 0; i < lnr; i++)
		if (lbufs[i].mem)
			memset(lbufs[i].mem, LPOISON, lbufs[i].size);
}

static inline void vm_assert_poisoned(void)
{
	static uint8_t ref[64 * 1024];

	memset(ref, LPOISON, sizeof(ref));
	for (unsigned i = 0; i < lnr; i++) {
		const struct lbuf *b = &lbufs[i];

		for (uint64_t off = 0; b->mem && off < b->size; off += sizeof(ref)) {
			uint64_t n = MIN((uint64_t)sizeof(ref), b->size - off);

			if (memcmp(b->mem + off, ref, n))
				fail_msg("region %u written near GPA 0x%llx", i,
					 (unsigned long long)(b->gpa + off));
		}
	}
	vm_check_guards();
}

/* Host pointer behind a GPA, by the test's own translation. */
static inline uint8_t *gp(uint64_t a)
{
	for (unsigned i = 0; i < lnr; i++) {
		const struct lbuf *b = &lbufs[i];

		if (b->mem && a >= b->gpa && a - b->gpa < b->size)
			return b->mem + (a - b->gpa);
	}
	fail_msg("GPA 0x%llx is not in a test buffer", (unsigned long long)a);
	return NULL;
}

static inline uint64_t rdg(uint64_t a, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)*gp(a + i) << (8 * i);
	return v;
}

static inline void assert_guest_eq(uint64_t a, const void *want, size_t n)
{
	const uint8_t *w = want;

	for (size_t i = 0; i < n; i++)
		if (*gp(a + i) != w[i])
			fail_msg("GPA 0x%llx: 0x%02x, want 0x%02x", (unsigned long long)(a + i),
				 *gp(a + i), w[i]);
}

static inline void assert_guest_filled(uint64_t a, int c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (*gp(a + i) != c)
			fail_msg("GPA 0x%llx: 0x%02x, want 0x%02x", (unsigned long long)(a + i),
				 *gp(a + i), c);
}

/* ---- bzImages, byte by byte ---- */

#define BZ_CAP	     0x20000
#define BZ_SECTS     4 /* setup sectors: the kernel starts at 5 * 512 */
#define BZ_KOFS	     (5 * 512)
#define BZ_KBYTES    0x3000 /* syssize 0x300 */
#define BZ_SIZE	     (BZ_KOFS + BZ_KBYTES)
#define BZ_HDR_END   0x26C /* protocol 2.15: through kernel_info_offset */
#define BZ_ALIGN     0x200000
#define BZ_PREF	     0x200000
#define BZ_INIT_SIZE 0x100000
#define BZ_CMDLINE   2047

struct bz {
	uint8_t b[BZ_CAP];
	size_t size;
};

static inline void bw(struct bz *z, size_t off, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		z->b[off + i] = (uint8_t)(v >> (8 * i));
}

static inline uint8_t bz_pattern(size_t i)
{
	return (uint8_t)(i * 29 + 3);
}

/*
 * A protocol 2.15, relocatable, 64-bit kernel as a distribution ships one, scaled down: the
 * runtime start is 2 MiB (align_up(1 MiB, 2 MiB) = pref_address), the kernel area
 * [1 MiB, 3 MiB). The setup sectors hold a pattern outside the header, and the
 * protected-mode kernel another one.
 */
static inline void bz_build(struct bz *z)
{
	memset(z, 0, sizeof(*z));
	z->size = BZ_SIZE;
	for (size_t i = 0; i < BZ_SIZE; i++)
		z->b[i] = bz_pattern(i);
	memset(z->b + 0x1F1, 0, BZ_HDR_END - 0x1F1);
	bw(z, 0x1F1, BZ_SECTS, 1);			   /* setup_sects */
	bw(z, 0x1F4, BZ_KBYTES / 16, 4);		   /* syssize */
	bw(z, 0x1FA, 0xFFFF, 2);			   /* vid_mode: normal */
	bw(z, 0x1FE, 0xAA55, 2);			   /* boot_flag */
	bw(z, 0x200, 0xEB | (BZ_HDR_END - 0x202) << 8, 2); /* jump */
	memcpy(z->b + 0x202, "HdrS", 4);
	bw(z, 0x206, 0x020F, 2);       /* version 2.15 */
	bw(z, 0x20E, 0x1C00, 2);       /* kernel_version */
	bw(z, 0x211, 0x01, 1);	       /* loadflags: LOADED_HIGH */
	bw(z, 0x214, 0x100000, 4);     /* code32_start */
	bw(z, 0x224, 0x5BE0, 2);       /* heap_end_ptr as built */
	bw(z, 0x22C, 0x7FFFFFFF, 4);   /* initrd_addr_max */
	bw(z, 0x230, BZ_ALIGN, 4);     /* kernel_alignment */
	bw(z, 0x234, 1, 1);	       /* relocatable_kernel */
	bw(z, 0x235, 21, 1);	       /* min_alignment */
	bw(z, 0x236, 0x7F, 2);	       /* xloadflags, Debian 12's */
	bw(z, 0x238, BZ_CMDLINE, 4);   /* cmdline_size */
	bw(z, 0x248, 0x2CC, 4);	       /* payload_offset */
	bw(z, 0x24C, 0x2000, 4);       /* payload_length */
	bw(z, 0x258, BZ_PREF, 8);      /* pref_address */
	bw(z, 0x260, BZ_INIT_SIZE, 4); /* init_size */
	bw(z, 0x264, 0x2C0, 4);	       /* handover_offset */
	bw(z, 0x268, 0x2FBC, 4);       /* kernel_info_offset */
}

/* A linux_boot for @z with nothing else. */
static inline struct linux_boot bz_boot(const struct bz *z)
{
	return (struct linux_boot){.image = z->b, .size = z->size};
}

/* ---- region shorthands ---- */

#define R_RAM(g, s)                                                                                \
	{                                                                                          \
		.gpa = (g), .size = (s), .kind = REGION_RAM, .rights = REGION_RWX                  \
	}
#define R_ROM(g, s)                                                                                \
	{                                                                                          \
		.gpa = (g), .size = (s), .kind = REGION_ROM, .rights = REGION_R | REGION_X         \
	}
#define R_SHM(g, s)                                                                                \
	{                                                                                          \
		.gpa = (g), .size = (s), .kind = REGION_SHARED, .rights = REGION_R | REGION_W      \
	}
#define R_MMIO(g, s)                                                                               \
	{                                                                                          \
		.gpa = (g), .size = (s), .kind = REGION_MMIO_EMUL, .rights = REGION_R | REGION_W   \
	}
#define R_PASS(g, s)                                                                               \
	{                                                                                          \
		.gpa = (g), .size = (s), .kind = REGION_MMIO_PASS, .rights = REGION_R | REGION_W   \
	}

#endif
