/*
 * Guest page-table walk (see emul/gwalk.h), one loop over a per-mode level table.
 * Invariants: a walk reads at most 5 entries and writes only A/D bits of entries it read;
 * access rights accumulate over levels as in SDM "Access Rights". Called by the VMX exit path.
 */
#include "emul/gwalk.h"
#include "lib/errno.h"

#define PTE_P	      BIT(0)
#define PTE_RW	      BIT(1)
#define PTE_US	      BIT(2)
#define PTE_A	      BIT(5)
#define PTE_D	      BIT(6)
#define PTE_PS	      BIT(7)
#define PTE_XD	      BIT(63)
#define GW_MAX_LEVELS 5

/* Geometry of one paging mode (SDM "Paging Modes and Control Bits"). */
struct gw_geom {
	uint8_t levels;
	uint8_t esize;	    /* entry bytes */
	uint8_t bits;	    /* index bits per level below the top */
	uint8_t top_bits;   /* index bits of the top level */
	uint8_t large_mask; /* levels (bit n = level n, leaf level 0) where PS may map a page */
};

static const struct gw_geom geoms[] = {
    [GWALK_MODE_32] = {2, 4, 10, 10, BIT(1)},
    [GWALK_MODE_PAE] = {3, 8, 9, 2, BIT(1)},
    [GWALK_MODE_4LEVEL] = {4, 8, 9, 9, BIT(1) | BIT(2)},
    [GWALK_MODE_5LEVEL] = {5, 8, 9, 9, BIT(1) | BIT(2)},
};

/* The state of one walk. */
struct gw_walk {
	const struct gwalk_ctx *ctx;
	const struct gw_geom *g;
	enum gwalk_mode mode;
	uint64_t gva;
	unsigned access;
	bool user_ok, write_ok, nx;
	unsigned nent;
	uint64_t ent_gpa[GW_MAX_LEVELS], ent[GW_MAX_LEVELS];
};

enum gwalk_mode gwalk_mode(const struct gwalk_ctx *ctx)
{
	if (!(ctx->cr0 & GW_CR0_PG))
		return GWALK_MODE_OFF;
	if (ctx->efer & GW_EFER_LMA)
		return (ctx->cr4 & GW_CR4_LA57) ? GWALK_MODE_5LEVEL : GWALK_MODE_4LEVEL;
	return (ctx->cr4 & GW_CR4_PAE) ? GWALK_MODE_PAE : GWALK_MODE_32;
}

static unsigned maxphy(const struct gwalk_ctx *ctx)
{
	return ctx->maxphyaddr ? ctx->maxphyaddr : 52;
}

static bool nxe(const struct gw_walk *w)
{
	return w->mode != GWALK_MODE_32 && (w->ctx->efer & GW_EFER_NXE);
}

/* Bits that must be 0 in an entry at @level (SDM "Paging-Structure Entries", reserved bits). */
static uint64_t reserved_bits(const struct gw_walk *w, unsigned level, bool large)
{
	unsigned m = maxphy(w->ctx);
	uint64_t r;

	if (w->mode == GWALK_MODE_32) {
		if (!large)
			return 0;
		return BIT(21) | (m < 40 ? GENMASK(20, 13 + m - 32) : 0); /* PSE-36 */
	}
	r = GENMASK(w->mode == GWALK_MODE_PAE ? 62 : 51, m); /* empty when m == 52 (IA-32e) */
	if (!nxe(w))
		r |= PTE_XD;
	if (w->mode == GWALK_MODE_PAE && level == 2) /* PDPTE */
		return r | PTE_XD | GENMASK(8, 5) | GENMASK(2, 1);
	if (level >= 3)
		r |= PTE_PS; /* PML4E, PML5E */
	if (large)
		r |= GENMASK(level == 2 ? 29 : 20, 13);
	return r;
}

static uint64_t addr_bits(const struct gw_walk *w)
{
	return w->mode == GWALK_MODE_32 ? GENMASK(31, 12) : GENMASK(maxphy(w->ctx) - 1, 12);
}

/* Physical address of a page mapped by @e at @level (PSE-36 for 4 MiB pages). */
static uint64_t leaf_address(const struct gw_walk *w, uint64_t e, unsigned level)
{
	unsigned shift = 12 + level * w->g->bits;
	uint64_t off = w->gva & (BIT(shift) - 1);
	uint64_t base = e & addr_bits(w) & ~(BIT(shift) - 1);

	if (w->mode == GWALK_MODE_32 && level == 1)
		base = (e & GENMASK(31, 22)) | ((e & GENMASK(20, 13)) << 19);
	return base | off;
}

static uint32_t fault_code(const struct gw_walk *w, uint32_t base)
{
	uint32_t pfec = base | (w->access & (GWALK_WRITE | GWALK_USER));
	bool id = (w->ctx->cr4 & GW_CR4_SMEP) || nxe(w);
	if ((w->access & GWALK_FETCH) && id)
		pfec |= PFEC_ID;
	return pfec;
}

/* SDM "Access Rights": U/S and R/W accumulate over levels, XD too; WP, SMEP, SMAP. */
static bool access_ok(const struct gw_walk *w)
{
	unsigned a = w->access;
	const struct gwalk_ctx *c = w->ctx;

	if ((a & GWALK_FETCH) && w->nx)
		return false;
	if (a & GWALK_USER)
		return w->user_ok && (!(a & GWALK_WRITE) || w->write_ok);
	if ((a & GWALK_WRITE) && !w->write_ok && (c->cr0 & GW_CR0_WP))
		return false;
	if (!w->user_ok)
		return true;
	if (a & GWALK_FETCH)
		return !(c->cr4 & GW_CR4_SMEP);
	return !(c->cr4 & GW_CR4_SMAP) || (a & GWALK_AC);
}

static int read_entry(struct gw_walk *w, uint64_t table, unsigned level, uint64_t *e)
{
	unsigned shift = 12 + level * w->g->bits;
	unsigned bits = level == w->g->levels - 1u ? w->g->top_bits : w->g->bits;
	uint64_t idx = (w->gva >> shift) & (BIT(bits) - 1);
	uint64_t gpa = table + idx * w->g->esize;
	int rc;

	*e = 0;
	if (w->mode == GWALK_MODE_PAE && level == 2 && w->ctx->pdptes) {
		*e = w->ctx->pdptes[idx]; /* the CPU's copy: memory at CR3 may have changed */
		rc = 0;
	} else {
		rc = w->ctx->read_gpa(w->ctx->opaque, gpa, e, w->g->esize); /* little-endian */
	}
	w->ent_gpa[w->nent] = gpa;
	w->ent[w->nent++] = *e;
	return rc;
}

static void accumulate(struct gw_walk *w, uint64_t e, unsigned level)
{
	if (w->mode == GWALK_MODE_PAE && level == 2)
		return; /* PAE PDPTEs carry no access rights */
	w->user_ok &= !!(e & PTE_US);
	w->write_ok &= !!(e & PTE_RW);
	if (nxe(w))
		w->nx |= !!(e & PTE_XD);
}

/* Set A in every entry used and D in the leaf for writes, as the CPU does. */
static int update_ad(const struct gw_walk *w)
{
	for (unsigned i = 0; i < w->nent; i++) {
		bool leaf = i == w->nent - 1;
		uint64_t e = w->ent[i] | PTE_A;
		if (w->mode == GWALK_MODE_PAE && i == 0)
			continue; /* PDPTEs are loaded with CR3 and have no A bit */
		if (leaf && (w->access & GWALK_WRITE))
			e |= PTE_D;
		if (e == w->ent[i])
			continue;
		int rc = w->ctx->write_gpa(w->ctx->opaque, w->ent_gpa[i], &e, w->g->esize);
		if (rc)
			return rc;
	}
	return 0;
}

static uint64_t root_table(const struct gw_walk *w)
{
	if (w->mode == GWALK_MODE_PAE)
		return w->ctx->cr3 & GENMASK(31, 5);
	return w->ctx->cr3 & addr_bits(w);
}

static int walk(struct gw_walk *w, uint64_t *gpa, uint32_t *pfec)
{
	uint64_t table = root_table(w), e;
	int rc;

	for (int level = w->g->levels - 1; level >= 0; level--) {
		if ((rc = read_entry(w, table, (unsigned)level, &e)))
			return rc;
		if (!(e & PTE_P)) {
			*pfec = fault_code(w, 0);
			return -EFAULT;
		}
		bool large = level > 0 && (e & PTE_PS) && (w->g->large_mask & BIT(level)) &&
			     (w->mode != GWALK_MODE_32 || (w->ctx->cr4 & GW_CR4_PSE));
		if (e & reserved_bits(w, (unsigned)level, large)) {
			*pfec = fault_code(w, PFEC_P | PFEC_RSVD);
			return -EFAULT;
		}
		accumulate(w, e, (unsigned)level);
		if (level == 0 || large) {
			*gpa = leaf_address(w, e, (unsigned)level);
			return 0;
		}
		table = e & addr_bits(w);
	}
	return -EINVAL; /* not reached: level 0 is always a leaf */
}

static bool canonical(uint64_t gva, unsigned bits)
{
	int64_t s = (int64_t)(gva << (64 - bits)) >> (64 - bits);
	return (uint64_t)s == gva;
}

int gwalk_translate(const struct gwalk_ctx *ctx, uint64_t gva, unsigned access, uint64_t *gpa,
		    uint32_t *pfec)
{
	struct gw_walk w = {.ctx = ctx,
			    .mode = gwalk_mode(ctx),
			    .gva = gva,
			    .access = access,
			    .user_ok = true,
			    .write_ok = true};
	int rc;

	*pfec = 0;
	if (w.mode == GWALK_MODE_OFF) {
		*gpa = gva & 0xffffffffULL;
		return 0;
	}
	w.g = &geoms[w.mode];
	if (w.mode >= GWALK_MODE_4LEVEL) {
		if (!canonical(gva, w.mode == GWALK_MODE_5LEVEL ? 57 : 48))
			return -ERANGE;
	} else {
		w.gva &= 0xffffffffULL;
	}
	rc = walk(&w, gpa, pfec);
	if (rc)
		return rc;
	if (!access_ok(&w)) {
		*pfec = fault_code(&w, PFEC_P);
		return -EFAULT;
	}
	return ctx->write_gpa ? update_ad(&w) : 0;
}

int gwalk_fetch(const struct gwalk_ctx *ctx, uint64_t gva, unsigned access, uint8_t *buf,
		size_t len, uint32_t *pfec)
{
	size_t done = 0;

	while (done < len) {
		uint64_t va = gva + done, gpa;
		size_t chunk = MIN(len - done, PAGE_SIZE - (va & (PAGE_SIZE - 1)));
		int rc = gwalk_translate(ctx, va, access, &gpa, pfec);
		if (!rc)
			rc = ctx->read_gpa(ctx->opaque, gpa, buf + done, chunk);
		if (rc)
			return done ? (int)done : rc;
		done += chunk;
	}
	return (int)done;
}
