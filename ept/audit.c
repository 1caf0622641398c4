/*
 * The EPT ownership audit. Walks the paging structures directly (not through
 * ept_walk per page) and covers every 4 KiB frame of every present leaf with an
 * owner look-up per allocator block (page_owner_run), so a tag changed behind the
 * EPT's back is caught whatever the leaf size. Only pages tagged OWNER_HYP are
 * followed as tables. Read-only. One hypervisor frame may be mapped: the
 * APIC-access page the EPT recorded (EPT_MAP_APIC_ACCESS), as a 4 KiB leaf without
 * X at its recorded GPA only.
 */
#include "ept/audit.h"
#include "lib/errno.h"
#include "lib/printf.h"

struct audit_ctx {
	const struct ept *ept;
	unsigned vm;
	owner_t self;
	const struct owner_registry *reg;
	audit_report_fn report;
	void *report_ctx;
	struct audit_stats *st;
	struct audit_violation pending; /* the run being extended, reported when it ends */
	bool has_pending;
};

static const char *const audit_kind_names[AUDIT_KIND_COUNT] = {
    [AUDIT_OTHER_VM] = "other-vm", [AUDIT_HYP] = "hypervisor",	  [AUDIT_FREE] = "free",
    [AUDIT_RESERVED] = "reserved", [AUDIT_NO_GRANT] = "no-grant", [AUDIT_RIGHTS] = "rights",
    [AUDIT_UC_RAM] = "uc-ram",	   [AUDIT_TABLE] = "table",	  [AUDIT_BAD_TAG] = "bad-tag",
};

/* SDM "EPT Translation Mechanism": each level resolves 9 more GPA bits. */
static uint64_t audit_span(unsigned level)
{
	return 1ULL << (PAGE_SHIFT + 9 * (level - 1));
}

static bool audit_is_leaf(uint64_t e, unsigned level)
{
	return level == 1 || ((level == 2 || level == 3) && (e & EPTE_LEAF));
}

static void audit_flush(struct audit_ctx *c)
{
	if (!c->has_pending)
		return;
	c->has_pending = false;
	c->st->violations++;
	c->st->by_kind[c->pending.kind]++;
	if (c->report)
		c->report(c->report_ctx, &c->pending);
}

/* Does @v continue @p: same verdict, contiguous in both GPA and HPA? */
static bool audit_extends(const struct audit_violation *p, const struct audit_violation *v)
{
	return p->kind == v->kind && p->kind != AUDIT_TABLE && p->owner == v->owner &&
	       p->rights == v->rights && p->level == v->level && p->granted == v->granted &&
	       p->gpa.v + p->size == v->gpa.v && p->hpa.v + p->size == v->hpa.v;
}

/* Runs of adjacent leaves merge, so a bad 2 MiB range of 4 KiB leaves is one line. */
static void audit_emit(struct audit_ctx *c, const struct audit_violation *v)
{
	if (c->has_pending && audit_extends(&c->pending, v)) {
		c->pending.size += v->size;
		return;
	}
	audit_flush(c);
	c->pending = *v;
	c->has_pending = true;
}

/* Kind of a non-shared owner that is not the VM itself. */
static enum audit_kind audit_foreign_kind(owner_t o)
{
	if (OWNER_IS_VM(o))
		return AUDIT_OTHER_VM;
	if (o == OWNER_HYP)
		return AUDIT_HYP;
	if (o == OWNER_FREE)
		return AUDIT_FREE;
	return o == OWNER_RESERVED ? AUDIT_RESERVED : AUDIT_BAD_TAG;
}

/*
 * Judge owner @o for a leaf of memory type UC (@uc) and effective rights
 * v->rights. Returns true and fills v->kind (and name, granted) on a violation.
 */
static bool audit_judge(const struct audit_ctx *c, owner_t o, bool uc, struct audit_violation *v)
{
	const struct shared_region *r = c->reg ? owner_share_by_tag(c->reg, o) : NULL;

	v->name = r ? r->name : NULL;
	if (uc) {
		v->kind = AUDIT_UC_RAM;
		return o != OWNER_RESERVED;
	}
	if (o == c->self)
		return false;
	if (!OWNER_IS_SHARED(o)) {
		v->kind = audit_foreign_kind(o);
		return true;
	}
	if (!r || !owner_share_granted(r, c->vm, &v->granted)) {
		v->kind = AUDIT_NO_GRANT;
		return true;
	}
	v->kind = AUDIT_RIGHTS;
	return (v->rights & ~v->granted) != 0;
}

/* Judge the run of frames [h, h + size) mapped at @g, all tagged @o. */
static void audit_run(struct audit_ctx *c, uint64_t g, uint64_t h, uint64_t size, owner_t o,
		      unsigned level, uint64_t e, uint32_t rights)
{
	struct audit_violation v = {.gpa = gpa(g),
				    .hpa = hpa(h),
				    .size = size,
				    .owner = o,
				    .rights = rights,
				    .vm = c->vm,
				    .level = level};
	bool uc = ((e & EPTE_MT) >> EPTE_MT_SHIFT) == EPT_MT_UC;

	if (audit_judge(c, o, uc, &v))
		audit_emit(c, &v);
}

/* The EPT's APIC-access page, where it recorded it: a hypervisor frame no access reaches. */
static bool audit_apic_access(const struct audit_ctx *c, uint64_t g, uint64_t h, unsigned level,
			      uint32_t rights)
{
	return c->ept->apic_access.v && level == 1 && g == c->ept->apic_access_gpa &&
	       h == c->ept->apic_access.v && !(rights & EPTE_X) && page_owner(hpa(h)) == OWNER_HYP;
}

/*
 * Check every frame of the leaf @e at @level mapping GPA @g, in runs of equal
 * owner, one look-up per allocator block the leaf covers (page_owner_run says
 * where each block ends), so a 1 GiB leaf over one block is one look-up.
 */
static void audit_leaf(struct audit_ctx *c, uint64_t g, uint64_t e, unsigned level, uint32_t rights)
{
	uint64_t size = audit_span(level), h = e & EPTE_ADDR & ~(size - 1), run = 0, len;
	owner_t cur = page_owner_run(hpa(h), &len);

	c->st->leaves[level - 1]++;
	c->st->frames += size >> PAGE_SHIFT;
	c->st->lookups++;
	if (audit_apic_access(c, g, h, level, rights)) {
		c->st->apic_access_pages++;
		return;
	}
	if (((e & EPTE_MT) >> EPTE_MT_SHIFT) == EPT_MT_UC)
		c->st->passthru_leaves++;
	for (uint64_t off = len; off < size; off += len) {
		owner_t o = page_owner_run(hpa(h + off), &len);

		c->st->lookups++;
		if (o == cur)
			continue;
		audit_run(c, g + run, h + run, off - run, cur, level, e, rights);
		run = off;
		cur = o;
	}
	audit_run(c, g + run, h + run, size - run, cur, level, e, rights);
}

/* A table page the hardware would walk must be the hypervisor's; else say so. */
static bool audit_table_ok(struct audit_ctx *c, uint64_t g, hpa_t t, unsigned level)
{
	owner_t o = page_owner(t);
	struct audit_violation v = {.gpa = gpa(g),
				    .hpa = t,
				    .size = audit_span(level),
				    .owner = o,
				    .rights = EPTE_RWX,
				    .kind = AUDIT_TABLE,
				    .vm = c->vm,
				    .level = level};

	if (o == OWNER_HYP)
		return true;
	audit_emit(c, &v);
	return false;
}

/* Audit the table @t at @level covering GPAs from @base; @rights: AND of the path. */
static void audit_table(struct audit_ctx *c, const uint64_t *t, unsigned level, uint64_t base,
			uint32_t rights)
{
	c->st->tables++;
	for (unsigned i = 0; i < EPT_ENTRIES; i++) {
		uint64_t e = t[i], g = base + i * audit_span(level);
		uint32_t r = rights & (uint32_t)(e & EPTE_RWX);
		hpa_t sub = hpa(e & EPTE_ADDR);

		if (!(e & EPTE_RWX))
			continue;
		if (level == 1 && ept_is_mmio_marker(e))
			c->st->mmio_markers++;
		else if (audit_is_leaf(e, level))
			audit_leaf(c, g, e, level, r);
		else if (audit_table_ok(c, g, sub, level))
			audit_table(c, hpa_to_va(sub), level - 1, g, r);
	}
}

int ept_audit(const struct ept *ept, unsigned vm, const struct owner_registry *reg,
	      audit_report_fn report, void *ctx, struct audit_stats *stats)
{
	struct audit_stats local = {0};
	struct audit_ctx c = {.ept = ept,
			      .vm = vm,
			      .self = OWNER_VM(vm),
			      .reg = reg,
			      .report = report,
			      .report_ctx = ctx,
			      .st = stats ? stats : &local};

	*c.st = (struct audit_stats){0};
	if (!ept->pml4_va || !OWNER_IS_VM(c.self) || ept->owner != c.self)
		return -EINVAL;
	/* The PML4 entry spans 512 GiB; the PML4 itself covers the 48-bit reach. */
	if (audit_table_ok(&c, 0, ept->pml4, EPT_LEVELS + 1))
		audit_table(&c, ept->pml4_va, EPT_LEVELS, 0, EPTE_RWX);
	audit_flush(&c);
	return (int)c.st->violations;
}

const char *audit_kind_name(enum audit_kind k)
{
	return (unsigned)k < AUDIT_KIND_COUNT ? audit_kind_names[k] : "?";
}

/* "4K", "2M", "1G", or the largest unit that divides @size exactly. */
static void audit_size(uint64_t size, char *buf, size_t len)
{
	if (size && IS_ALIGNED(size, GiB))
		ksnprintf(buf, len, "%lluG", (unsigned long long)(size / GiB));
	else if (size && IS_ALIGNED(size, MiB))
		ksnprintf(buf, len, "%lluM", (unsigned long long)(size / MiB));
	else
		ksnprintf(buf, len, "%lluK", (unsigned long long)(size / KiB));
}

static void audit_rights(uint32_t r, char buf[4])
{
	buf[0] = r & EPTE_R ? 'r' : '-';
	buf[1] = r & EPTE_W ? 'w' : '-';
	buf[2] = r & EPTE_X ? 'x' : '-';
	buf[3] = '\0';
}

/* The part after the addresses: what is wrong. */
static int audit_what(const struct audit_violation *v, const char *owner, char *buf, size_t len)
{
	char granted[4];
	const char *name = v->name ? v->name : "?";

	audit_rights(v->granted, granted);
	switch (v->kind) {
	case AUDIT_OTHER_VM:
		return ksnprintf(buf, len, "belongs to %s", owner);
	case AUDIT_HYP:
		return ksnprintf(buf, len, "belongs to the hypervisor");
	case AUDIT_FREE:
		return ksnprintf(buf, len, "is free");
	case AUDIT_RESERVED:
		return ksnprintf(buf, len, "is not RAM (reserved) but mapped as memory");
	case AUDIT_NO_GRANT:
		return v->name ? ksnprintf(buf, len, "is shared \"%s\" without a grant", name)
			       : ksnprintf(buf, len, "is %s, no registered region", owner);
	case AUDIT_RIGHTS:
		return ksnprintf(buf, len, "is shared \"%s\", granted only %s", name, granted);
	case AUDIT_UC_RAM:
		return ksnprintf(buf, len, "mapped UC as passthrough but is RAM (%s)", owner);
	case AUDIT_TABLE:
		return ksnprintf(buf, len, "EPT table page belongs to %s, not the hypervisor",
				 owner);
	default:
		return ksnprintf(buf, len, "has unknown owner %s", owner);
	}
}

int audit_format(const struct audit_violation *v, char *buf, size_t len)
{
	char size[24], rights[4], owner[24], what[160];

	audit_size(v->size, size, sizeof(size));
	audit_rights(v->rights, rights);
	owner_describe(v->owner, owner, sizeof(owner));
	audit_what(v, owner, what, sizeof(what));
	return ksnprintf(buf, len, "audit: vm %u: GPA 0x%llx -> HPA 0x%llx (%s, %s) %s", v->vm,
			 (unsigned long long)v->gpa.v, (unsigned long long)v->hpa.v, size, rights,
			 what);
}
