/*
 * Unit tests for emul/gwalk.c: real page tables built in a fake guest-physical memory
 * buffer for every paging mode; translations, reserved bits, U/S, R/W, NX, WP, SMEP, SMAP,
 * Accessed/Dirty updates and instruction fetches across a page boundary.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/errno.h"
#include "emul/gwalk.h"

#define MEM_SIZE (8u << 20)
#define P	 BIT(0)
#define RW	 BIT(1)
#define US	 BIT(2)
#define A	 BIT(5)
#define D	 BIT(6)
#define PS	 BIT(7)
#define XD	 BIT(63)

static uint8_t *mem;
static uint64_t next_table; /* bump allocator for page tables */
static unsigned writes;

static int read_gpa(void *opaque, uint64_t gpa, void *buf, size_t len)
{
	if (gpa >= MEM_SIZE || len > MEM_SIZE - gpa)
		return -EIO;
	memcpy(buf, mem + gpa, len);
	return 0;
}

static int write_gpa(void *opaque, uint64_t gpa, const void *buf, size_t len)
{
	if (gpa >= MEM_SIZE || len > MEM_SIZE - gpa)
		return -EIO;
	memcpy(mem + gpa, buf, len);
	writes++;
	return 0;
}

static void put64(uint64_t gpa, uint64_t v)
{
	memcpy(mem + gpa, &v, 8);
}
static uint64_t get64(uint64_t gpa)
{
	uint64_t v;
	memcpy(&v, mem + gpa, 8);
	return v;
}
static void put32(uint64_t gpa, uint32_t v)
{
	memcpy(mem + gpa, &v, 4);
}

static int setup(void **state)
{
	mem = calloc(1, MEM_SIZE);
	next_table = 0x10000;
	writes = 0;
	return mem ? 0 : -1;
}

static int teardown(void **state)
{
	free(mem);
	return 0;
}

static uint64_t alloc_table(void)
{
	uint64_t t = next_table;
	next_table += 0x1000;
	assert_true(next_table <= MEM_SIZE);
	return t;
}

/* IA-32e guest with CR3 = a fresh PML4, NXE and WP on. */
static struct gwalk_ctx long_ctx(void)
{
	return (struct gwalk_ctx){
	    .cr0 = GW_CR0_PG | GW_CR0_WP | 1,
	    .cr4 = GW_CR4_PAE,
	    .efer = GW_EFER_LMA | GW_EFER_NXE | BIT(8),
	    .cr3 = alloc_table(),
	    .maxphyaddr = 46,
	    .read_gpa = read_gpa,
	};
}

/* Entry address for @gva at @level (3 = PML4E ... 0 = PTE), creating tables on the way with
 * P|RW|US; the entry at @level itself is left for the caller to fill. */
static uint64_t entry_at(const struct gwalk_ctx *c, uint64_t gva, int level)
{
	uint64_t table = c->cr3 & GENMASK(51, 12);
	for (int l = 3;; l--) {
		uint64_t ea = table + ((gva >> (12 + 9 * l)) & 511) * 8;
		if (l == level)
			return ea;
		if (!(get64(ea) & P))
			put64(ea, alloc_table() | P | RW | US);
		table = get64(ea) & GENMASK(51, 12);
	}
}

static void map(const struct gwalk_ctx *c, uint64_t gva, uint64_t gpa, int level, uint64_t flags)
{
	put64(entry_at(c, gva, level), gpa | flags | (level ? PS : 0));
}

static int xlate(const struct gwalk_ctx *c, uint64_t gva, unsigned acc, uint64_t *gpa,
		 uint32_t *pfec)
{
	*gpa = 0xdead;
	return gwalk_translate(c, gva, acc, gpa, pfec);
}

#define GVA4K 0x00007f8040403567ULL /* PML4 255, PDPT 1, PD 2, PT 3, offset 0x567 */

static void test_long_4k_2m_1g(void **state)
{
	struct gwalk_ctx c = long_ctx();
	uint64_t gpa;
	uint32_t pfec;

	assert_int_equal(gwalk_mode(&c), GWALK_MODE_4LEVEL);
	map(&c, GVA4K, 0x5000, 0, P | RW | US);
	assert_int_equal(xlate(&c, GVA4K, 0, &gpa, &pfec), 0);
	assert_int_equal(gpa, 0x5567);
	/* The PML4 index really is bits 47:39: check the entry the walker must have used. */
	assert_int_equal(get64(c.cr3 + 255 * 8) & P, P);

	map(&c, 0xffffffff80000000ULL + 0x123456, 0x40000000, 1, P | RW); /* 2 MiB */
	assert_int_equal(xlate(&c, 0xffffffff80123456ULL, GWALK_WRITE, &gpa, &pfec), 0);
	assert_int_equal(gpa, 0x40123456);

	map(&c, 0x0000004000000000ULL, 0x1c0000000ULL, 2, P | RW); /* 1 GiB */
	assert_int_equal(xlate(&c, 0x000000403abcdef1ULL, 0, &gpa, &pfec), 0);
	assert_int_equal(gpa, 0x1fabcdef1ULL);
}

static void test_not_present(void **state)
{
	struct gwalk_ctx c = long_ctx();
	uint64_t gpa;
	uint32_t pfec;

	assert_int_equal(xlate(&c, GVA4K, GWALK_WRITE | GWALK_USER, &gpa, &pfec), -EFAULT);
	assert_int_equal(pfec, PFEC_W | PFEC_U); /* P=0: not present */
	map(&c, GVA4K, 0x5000, 0, P | RW | US);
	put64(entry_at(&c, GVA4K, 1), get64(entry_at(&c, GVA4K, 1)) & ~P); /* PDE gone */
	assert_int_equal(xlate(&c, GVA4K, GWALK_FETCH, &gpa, &pfec), -EFAULT);
	assert_int_equal(pfec, PFEC_ID);
	assert_int_equal(gpa, 0xdead);
}

static void expect_rsvd(struct gwalk_ctx *c, uint64_t gva)
{
	uint64_t gpa;
	uint32_t pfec;
	assert_int_equal(xlate(c, gva, GWALK_WRITE, &gpa, &pfec), -EFAULT);
	assert_int_equal(pfec, PFEC_P | PFEC_RSVD | PFEC_W);
}

static void test_reserved_bits(void **state)
{
	struct gwalk_ctx c = long_ctx();
	uint64_t pte, pml4e;

	map(&c, GVA4K, 0x5000, 0, P | RW | US);
	pte = entry_at(&c, GVA4K, 0);
	put64(pte, 0x5000 | P | RW | BIT(46)); /* above MAXPHYADDR 46 */
	expect_rsvd(&c, GVA4K);
	put64(pte, 0x5000 | P | RW | XD);
	c.efer &= ~GW_EFER_NXE; /* XD is reserved without NXE */
	expect_rsvd(&c, GVA4K);
	c.efer |= GW_EFER_NXE;
	put64(pte, 0x5000 | P | RW | BIT(62)); /* ignored bit in IA-32e: fine */
	uint64_t gpa;
	uint32_t pfec;
	assert_int_equal(xlate(&c, GVA4K, 0, &gpa, &pfec), 0);
	pml4e = c.cr3 + 255 * 8;
	put64(pml4e, get64(pml4e) | PS); /* PS in a PML4E */
	expect_rsvd(&c, GVA4K);

	struct gwalk_ctx c2 = long_ctx();
	map(&c2, 0x200000, 0x200000 | BIT(13), 1, P | RW); /* 2 MiB page, bit 13 set */
	expect_rsvd(&c2, 0x200000);
	map(&c2, 0x80000000ULL, 0x80000000ULL | BIT(21), 2, P | RW); /* 1 GiB, bit 21 set */
	expect_rsvd(&c2, 0x80000000ULL);
	map(&c2, 0x80000000ULL, 0x80000000ULL | BIT(12), 2, P | RW); /* bit 12 is PAT: fine */
	assert_int_equal(xlate(&c2, 0x80000001ULL, 0, &gpa, &pfec), 0);
	assert_int_equal(gpa, 0x80000001ULL);
}

static void test_permissions(void **state)
{
	struct gwalk_ctx c = long_ctx();
	uint64_t gpa, pte, pdpte;
	uint32_t pfec;

	map(&c, GVA4K, 0x5000, 0, P); /* read-only supervisor page */
	pte = entry_at(&c, GVA4K, 0);
	assert_int_equal(xlate(&c, GVA4K, GWALK_USER, &gpa, &pfec), -EFAULT);
	assert_int_equal(pfec, PFEC_P | PFEC_U);
	assert_int_equal(xlate(&c, GVA4K, GWALK_WRITE, &gpa, &pfec), -EFAULT); /* WP=1 */
	assert_int_equal(pfec, PFEC_P | PFEC_W);
	c.cr0 &= ~GW_CR0_WP;
	assert_int_equal(xlate(&c, GVA4K, GWALK_WRITE, &gpa, &pfec), 0);

	put64(pte, 0x5000 | P | US); /* user read-only */
	assert_int_equal(xlate(&c, GVA4K, GWALK_USER, &gpa, &pfec), 0);
	assert_int_equal(xlate(&c, GVA4K, GWALK_USER | GWALK_WRITE, &gpa, &pfec), -EFAULT);
	assert_int_equal(pfec, PFEC_P | PFEC_W | PFEC_U);

	/* U/S and R/W are the AND over all levels: clear US in the PDPTE only. */
	put64(pte, 0x5000 | P | RW | US);
	pdpte = entry_at(&c, GVA4K, 2);
	put64(pdpte, get64(pdpte) & ~US);
	assert_int_equal(xlate(&c, GVA4K, GWALK_USER, &gpa, &pfec), -EFAULT);
	put64(pdpte, get64(pdpte) | US);

	/* XD in any level forbids fetches. */
	put64(pdpte, get64(pdpte) | XD);
	assert_int_equal(xlate(&c, GVA4K, GWALK_FETCH | GWALK_USER, &gpa, &pfec), -EFAULT);
	assert_int_equal(pfec, PFEC_P | PFEC_U | PFEC_ID);
	assert_int_equal(xlate(&c, GVA4K, GWALK_USER, &gpa, &pfec), 0); /* reads still fine */
	put64(pdpte, get64(pdpte) & ~XD);

	/* SMEP: supervisor fetch from a user page; SMAP: supervisor data access unless AC. */
	assert_int_equal(xlate(&c, GVA4K, GWALK_FETCH, &gpa, &pfec), 0);
	c.cr4 |= GW_CR4_SMEP;
	assert_int_equal(xlate(&c, GVA4K, GWALK_FETCH, &gpa, &pfec), -EFAULT);
	assert_int_equal(pfec, PFEC_P | PFEC_ID);
	assert_int_equal(xlate(&c, GVA4K, 0, &gpa, &pfec), 0);
	c.cr4 |= GW_CR4_SMAP;
	assert_int_equal(xlate(&c, GVA4K, GWALK_WRITE, &gpa, &pfec), -EFAULT);
	assert_int_equal(pfec, PFEC_P | PFEC_W);
	assert_int_equal(xlate(&c, GVA4K, GWALK_WRITE | GWALK_AC, &gpa, &pfec), 0);
	assert_int_equal(xlate(&c, GVA4K, GWALK_USER | GWALK_WRITE, &gpa, &pfec), 0);
	assert_int_equal(gpa, 0x5567);
}

static void test_canonical_and_5level(void **state)
{
	struct gwalk_ctx c = long_ctx();
	uint64_t gpa;
	uint32_t pfec;

	assert_int_equal(xlate(&c, 0x0000800000000000ULL, 0, &gpa, &pfec), -ERANGE);
	assert_int_equal(xlate(&c, 0xffff7fffffffffffULL, 0, &gpa, &pfec), -ERANGE);

	/* 5-level: PML5 index 1 (bit 48) -> the PML4 built above. */
	uint64_t pml5 = alloc_table();
	uint64_t gva = (1ULL << 48) | GVA4K;
	map(&c, GVA4K, 0x7000, 0, P | RW);
	put64(pml5 + 8, c.cr3 | P | RW);
	c.cr3 = pml5;
	c.cr4 |= GW_CR4_LA57;
	assert_int_equal(gwalk_mode(&c), GWALK_MODE_5LEVEL);
	assert_int_equal(xlate(&c, gva, 0, &gpa, &pfec), 0);
	assert_int_equal(gpa, 0x7567);
	assert_int_equal(xlate(&c, GVA4K, 0, &gpa, &pfec), -EFAULT); /* PML5[0] empty */
	assert_int_equal(xlate(&c, 1ULL << 57, 0, &gpa, &pfec), -ERANGE);
}

static void test_pae(void **state)
{
	struct gwalk_ctx c = {.cr0 = GW_CR0_PG | 1,
			      .cr4 = GW_CR4_PAE,
			      .efer = GW_EFER_NXE,
			      .cr3 = 0x3020,
			      .read_gpa = read_gpa};
	uint64_t gpa;
	uint32_t pfec;

	assert_int_equal(gwalk_mode(&c), GWALK_MODE_PAE);
	/* gva 0xc0a03456: PDPTE 3, PDE 5, PTE 3. PDPT at 0x3020 (32-byte aligned). */
	put64(0x3020 + 3 * 8, 0x4000 | P);
	put64(0x4000 + 5 * 8, 0x5000 | P | RW | US);
	put64(0x5000 + 3 * 8, 0x123000 | P | RW | US | XD);
	assert_int_equal(xlate(&c, 0xc0a03456, GWALK_USER | GWALK_WRITE, &gpa, &pfec), 0);
	assert_int_equal(gpa, 0x123456);
	assert_int_equal(xlate(&c, 0xc0a03456, GWALK_FETCH, &gpa, &pfec), -EFAULT);
	assert_int_equal(pfec, PFEC_P | PFEC_ID);
	/* 2 MiB page via PDE 6. */
	put64(0x4000 + 6 * 8, 0x600000 | P | PS);
	assert_int_equal(xlate(&c, 0xc0c12345, 0, &gpa, &pfec), 0);
	assert_int_equal(gpa, 0x612345);
	/* PDPTE reserved bits (RW is reserved there). */
	put64(0x3020 + 3 * 8, 0x4000 | P | RW);
	assert_int_equal(xlate(&c, 0xc0a03456, 0, &gpa, &pfec), -EFAULT);
	assert_int_equal(pfec, PFEC_P | PFEC_RSVD);
	/* Upper bits of the linear address are ignored outside IA-32e mode. */
	put64(0x3020 + 3 * 8, 0x4000 | P);
	assert_int_equal(xlate(&c, 0xffffffffc0a03456ULL, 0, &gpa, &pfec), 0);
	assert_int_equal(gpa, 0x123456);
}

/*
 * With EPT the CPU walks PAE paging with the PDPTEs it loaded with CR3 (the VMCS's copy),
 * whatever memory at CR3 says now: the walker takes them from the context when given.
 */
static void test_pae_pdptes_from_cpu(void **state)
{
	uint64_t cpu[4] = {0, 0, 0, 0x4000 | P};
	struct gwalk_ctx c = {.cr0 = GW_CR0_PG | 1,
			      .cr4 = GW_CR4_PAE,
			      .efer = GW_EFER_NXE,
			      .cr3 = 0x3020,
			      .pdptes = cpu,
			      .read_gpa = read_gpa,
			      .write_gpa = write_gpa};
	uint64_t gpa;
	uint32_t pfec;

	put64(0x4000 + 5 * 8, 0x5000 | P | RW | US);
	put64(0x5000 + 3 * 8, 0x123000 | P | RW | US);
	put64(0x7000 + 5 * 8, 0x8000 | P | RW | US);
	put64(0x8000 + 3 * 8, 0x456000 | P | RW | US);
	/* memory at CR3 names another page directory since the CPU loaded it */
	put64(0x3020 + 3 * 8, 0x7000 | P);
	assert_int_equal(xlate(&c, 0xc0a03456, 0, &gpa, &pfec), 0);
	assert_int_equal(gpa, 0x123456);
	/* the CPU's PDPTE not present: #PF, though memory's is present */
	cpu[3] = 0x4000;
	assert_int_equal(xlate(&c, 0xc0a03456, GWALK_WRITE, &gpa, &pfec), -EFAULT);
	assert_int_equal(pfec, PFEC_W);
	/* reserved bits are checked in the CPU's copy too */
	cpu[3] = 0x4000 | P | RW;
	assert_int_equal(xlate(&c, 0xc0a03456, 0, &gpa, &pfec), -EFAULT);
	assert_int_equal(pfec, PFEC_P | PFEC_RSVD);
	/* A/D updates touch the PDE and PTE, never memory at CR3 */
	cpu[3] = 0x4000 | P;
	assert_int_equal(xlate(&c, 0xc0a03456, GWALK_WRITE, &gpa, &pfec), 0);
	assert_int_equal(get64(0x3020 + 3 * 8), 0x7000 | P);
	assert_int_equal(get64(0x4000 + 5 * 8), 0x5000 | P | RW | US | A);
	assert_int_equal(get64(0x5000 + 3 * 8), 0x123000 | P | RW | US | A | D);
	/* without the CPU's copy, memory at CR3 decides */
	c.pdptes = NULL;
	assert_int_equal(xlate(&c, 0xc0a03456, 0, &gpa, &pfec), 0);
	assert_int_equal(gpa, 0x456456);
}

static void test_legacy_32(void **state)
{
	struct gwalk_ctx c = {
	    .cr0 = GW_CR0_PG | 1, .cr3 = 0x2000, .read_gpa = read_gpa, .maxphyaddr = 40};
	uint64_t gpa;
	uint32_t pfec;

	assert_int_equal(gwalk_mode(&c), GWALK_MODE_32);
	/* gva 0x80403abc: PDE 0x201, PTE 3. */
	put32(0x2000 + 0x201 * 4, 0x3000 | P | RW | US);
	put32(0x3000 + 3 * 4, 0x7000 | P | US);
	assert_int_equal(xlate(&c, 0x80403abc, GWALK_USER, &gpa, &pfec), 0);
	assert_int_equal(gpa, 0x7abc);
	assert_int_equal(xlate(&c, 0x80403abc, GWALK_USER | GWALK_WRITE, &gpa, &pfec), -EFAULT);
	assert_int_equal(pfec, PFEC_P | PFEC_W | PFEC_U);
	/* No NX outside PAE: fetches never set I/D without SMEP. */
	assert_int_equal(xlate(&c, 0x80403abc, GWALK_FETCH | GWALK_USER, &gpa, &pfec), 0);
	put32(0x3000 + 3 * 4, 0);
	assert_int_equal(xlate(&c, 0x80403abc, GWALK_FETCH, &gpa, &pfec), -EFAULT);
	assert_int_equal(pfec, 0);

	/* 4 MiB page, PSE-36 address bits 39:32 from PDE bits 20:13. */
	put32(0x2000 + 0x300 * 4, 0x00400000 | (0x5a << 13) | P | PS);
	/* PSE off: PS is ignored and the PDE points to an (empty) page table. */
	assert_int_equal(xlate(&c, 0xc0123456, 0, &gpa, &pfec), -EFAULT);
	c.cr4 |= GW_CR4_PSE;
	assert_int_equal(xlate(&c, 0xc0123456, 0, &gpa, &pfec), 0);
	assert_int_equal(gpa, 0x5a00523456ULL);
	put32(0x2000 + 0x300 * 4, 0x00400000 | BIT(21) | P | PS);
	assert_int_equal(xlate(&c, 0xc0123456, 0, &gpa, &pfec), -EFAULT);
	assert_int_equal(pfec, PFEC_P | PFEC_RSVD);
}

static void test_paging_off(void **state)
{
	struct gwalk_ctx c = {.cr0 = 1, .read_gpa = read_gpa};
	uint64_t gpa;
	uint32_t pfec;
	assert_int_equal(gwalk_mode(&c), GWALK_MODE_OFF);
	assert_int_equal(xlate(&c, 0x1234567890ULL, GWALK_WRITE, &gpa, &pfec), 0);
	assert_int_equal(gpa, 0x34567890);
}

static void test_accessed_dirty(void **state)
{
	struct gwalk_ctx c = long_ctx();
	uint64_t gpa;
	uint32_t pfec;

	map(&c, GVA4K, 0x5000, 0, P | RW);
	assert_int_equal(xlate(&c, GVA4K, 0, &gpa, &pfec), 0);
	assert_int_equal(get64(entry_at(&c, GVA4K, 0)) & (A | D), 0); /* no write_gpa: untouched */
	c.write_gpa = write_gpa;
	assert_int_equal(xlate(&c, GVA4K, 0, &gpa, &pfec), 0);
	for (int l = 3; l >= 0; l--)
		assert_int_equal(get64(entry_at(&c, GVA4K, l)) & (A | D), A);
	writes = 0;
	assert_int_equal(xlate(&c, GVA4K, GWALK_WRITE, &gpa, &pfec), 0);
	assert_int_equal(get64(entry_at(&c, GVA4K, 0)) & (A | D), A | D);
	assert_int_equal(get64(entry_at(&c, GVA4K, 1)) & D, 0); /* D only in the leaf */
	assert_int_equal(writes, 1);
	/* A faulting access sets nothing. */
	put64(entry_at(&c, GVA4K, 0), 0x5000 | P);
	assert_int_equal(xlate(&c, GVA4K, GWALK_WRITE, &gpa, &pfec), -EFAULT);
	assert_int_equal(get64(entry_at(&c, GVA4K, 0)), 0x5000 | P);
}

static void test_table_outside_memory(void **state)
{
	struct gwalk_ctx c = long_ctx();
	uint64_t gpa;
	uint32_t pfec;
	put64(c.cr3 + 255 * 8, 0x100000000ULL | P | RW); /* PDPT beyond guest memory */
	assert_int_equal(xlate(&c, GVA4K, 0, &gpa, &pfec), -EIO);
}

static void test_fetch_across_pages(void **state)
{
	struct gwalk_ctx c = long_ctx();
	uint8_t buf[15];
	uint32_t pfec;
	uint64_t gva = 0x400ff8; /* 8 bytes before a page boundary */

	map(&c, 0x400000, 0x8000, 0, P | US);
	map(&c, 0x401000, 0x3000, 0, P | US); /* not adjacent physically */
	for (int i = 0; i < 8; i++)
		mem[0x8ff8 + i] = (uint8_t)(0x10 + i);
	for (int i = 0; i < 7; i++)
		mem[0x3000 + i] = (uint8_t)(0x20 + i);
	assert_int_equal(gwalk_fetch(&c, gva, GWALK_FETCH | GWALK_USER, buf, 15, &pfec), 15);
	assert_memory_equal(buf,
			    ((uint8_t[]){0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x20, 0x21,
					 0x22, 0x23, 0x24, 0x25, 0x26}),
			    15);

	/* Second page not present: the first 8 bytes, and the fault for the rest. */
	put64(entry_at(&c, 0x401000, 0), 0);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(gwalk_fetch(&c, gva, GWALK_FETCH | GWALK_USER, buf, 15, &pfec), 8);
	assert_int_equal(buf[7], 0x17);
	assert_int_equal(pfec, PFEC_U | PFEC_ID);
	/* First page faulting is an error. */
	assert_int_equal(gwalk_fetch(&c, 0x401000, GWALK_FETCH, buf, 15, &pfec), -EFAULT);
	/* Short reads inside one page. */
	assert_int_equal(gwalk_fetch(&c, 0x400ff0, GWALK_FETCH, buf, 4, &pfec), 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_long_4k_2m_1g, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_not_present, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reserved_bits, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_permissions, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_canonical_and_5level, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pae, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pae_pdptes_from_cpu, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_legacy_32, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_paging_off, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_accessed_dirty, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_table_outside_memory, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fetch_across_pages, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
