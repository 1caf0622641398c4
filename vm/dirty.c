/*
 * Dirty logging per RAM region (vm/dirty.h): the bitmaps, enable/disable, the
 * get-and-clear harvest, the write-fault and PML-drain paths that fill the
 * bitmaps, and HC_DIRTY_LOG. The EPT edits are ept/dirty.c's. Host-buildable.
 * Invariants: a logged region's pages are each either marked in its bitmap or
 * waiting for a write in the EPT (W clear / D clear) or not mapped at all; the
 * harvest clears a bit only together with re-protecting its page.
 */
#include "vm/dirty.h"
#include "lib/console.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/gmem.h"
#include "vm/vm.h"

static unsigned dirty_order(uint64_t pages)
{
	uint64_t bytes = (pages + 63) / 64 * 8;
	unsigned order = 0;

	while ((PAGE_SIZE << order) < bytes)
		order++;
	return order;
}

/* The log of configured region @region, or NULL when it is no RAM region of @vm. */
static struct vm_dirty_log *dirty_region(struct vm *vm, uint64_t region)
{
	const struct vm_region *r;

	if (!vm->cfg || region >= vm->cfg->nr_regions || region >= VALIDATE_MAX_REGIONS)
		return NULL;
	r = &vm->cfg->regions[region];
	/* Demand RAM (vm/demand.c) maps its blocks itself, never write-protected: no log. */
	return r->kind == REGION_RAM && !(r->flags & REGION_F_DEMAND) ? &vm->dirty.log[region]
								      : NULL;
}

static bool region_writable(const struct vm *vm, unsigned region)
{
	return vm->cfg->regions[region].rights & REGION_W;
}

static void dirty_lock(struct vcpu *self)
{
	if (self)
		vm_dev_lock(self);
}

static void dirty_unlock(struct vcpu *self)
{
	if (self)
		vm_dev_unlock(self);
}

/* INVEPT on every vCPU of @vm before it relies on the removed rights (see vm/dirty.h). */
static void dirty_flush(struct vm *vm, struct vcpu *self)
{
	if (self && vm->vcpu_ops && vm->vcpu_ops->shootdown) {
		vm->vcpu_ops->shootdown(self);
		return;
	}
	__atomic_add_fetch(&vm->ept_gen, 1, __ATOMIC_SEQ_CST);
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		vcpu_wake(&vm->vcpus[i], VCPU_WORK_FLUSH, false);
}

static void dirty_set(struct vm_dirty_log *l, uint64_t g)
{
	uint64_t i = (g - l->gpa) >> PAGE_SHIFT;

	__atomic_or_fetch(&l->bitmap[i / 64], BIT(i % 64), __ATOMIC_RELAXED);
}

/* The logged region holding @g, or NULL. */
static struct vm_dirty_log *dirty_find(struct vm *vm, uint64_t g)
{
	for (unsigned i = 0; i < vm->cfg->nr_regions && i < VALIDATE_MAX_REGIONS; i++) {
		struct vm_dirty_log *l = &vm->dirty.log[i];

		if (l->bitmap && g - l->gpa < l->pages * PAGE_SIZE)
			return l;
	}
	return NULL;
}

/* Under PML, what the CPU logged so far goes into the bitmaps first. */
static void dirty_drain_all(struct vm *vm)
{
	for (unsigned i = 0; vm->dirty.mode == EPT_DIRTY_PML && i < vm->nr_vcpus; i++)
		if (vm->vcpus[i].hw.pml)
			vm_dirty_pml_drain(vm, vm->vcpus[i].hw.pml);
}

static int dirty_on(struct vm *vm, unsigned region, struct vm_dirty_log *l)
{
	const struct vm_region *r = &vm->cfg->regions[region];
	unsigned order = dirty_order(r->size >> PAGE_SHIFT);
	uint64_t *bm = page_alloc(order, OWNER_HYP, NULL);
	int err;

	if (!bm)
		return -ENOMEM;
	dirty_drain_all(vm); /* what was logged before is no write since enable: dropped */
	memset(bm, 0, PAGE_SIZE << order);
	*l = (struct vm_dirty_log){bm, order, r->gpa, r->size >> PAGE_SHIFT};
	vm->dirty.bitmap_bytes += PAGE_SIZE << order;
	if (!region_writable(vm, region))
		return 0; /* nothing can write it: nothing to protect */
	err = ept_dirty_protect(&vm->ept, gpa(r->gpa), r->size, vm->dirty.mode);
	if (err) {
		ept_dirty_restore(&vm->ept, gpa(r->gpa), r->size, vm->dirty.mode);
		page_free(bm, order, OWNER_HYP);
		vm->dirty.bitmap_bytes -= PAGE_SIZE << order;
		*l = (struct vm_dirty_log){0};
	}
	return err;
}

static void dirty_off(struct vm *vm, unsigned region, struct vm_dirty_log *l)
{
	if (region_writable(vm, region))
		ept_dirty_restore(&vm->ept, gpa(l->gpa), l->pages * PAGE_SIZE, vm->dirty.mode);
	page_free(l->bitmap, l->order, OWNER_HYP);
	vm->dirty.bitmap_bytes -= PAGE_SIZE << l->order;
	*l = (struct vm_dirty_log){0};
}

int vm_dirty_enable(struct vm *vm, struct vcpu *self, unsigned region, bool on)
{
	struct vm_dirty_log *l = dirty_region(vm, region);
	bool change;
	int err = 0;

	if (!l)
		return -EINVAL;
	dirty_lock(self);
	change = on != (l->bitmap != NULL);
	if (change && on)
		err = dirty_on(vm, region, l);
	else if (change)
		dirty_off(vm, region, l);
	dirty_unlock(self);
	if (change && !err) /* rights removed, or merged leaves replacing cached 4 KiB ones */
		dirty_flush(vm, self);
	return err;
}

long vm_dirty_harvest(struct vm *vm, struct vcpu *self, unsigned region, uint64_t *bitmap,
		      uint64_t nbits)
{
	struct vm_dirty_log *l = dirty_region(vm, region);
	uint64_t words, set = 0, changed;

	if (!l || !l->bitmap || !bitmap)
		return -EINVAL;
	if (nbits < l->pages)
		return -ENOSPC;
	words = (l->pages + 63) / 64;
	dirty_lock(self);
	dirty_drain_all(vm);
	for (uint64_t w = 0; w < words; w++) {
		bitmap[w] = __atomic_exchange_n(&l->bitmap[w], 0, __ATOMIC_RELAXED);
		for (uint64_t b = bitmap[w]; b; b &= b - 1) /* no libgcc popcount here */
			set++;
	}
	changed = ept_dirty_reprotect(&vm->ept, gpa(l->gpa), bitmap, l->pages, vm->dirty.mode);
	vm->dirty.harvests++;
	vm->dirty.harvested += set;
	dirty_unlock(self);
	if (changed)
		dirty_flush(vm, self);
	return (long)set;
}

int vm_dirty_init(struct vm *vm, enum ept_dirty_mode mode)
{
	vm->dirty.mode = mode;
	for (unsigned i = 0; i < vm->cfg->nr_regions && i < VALIDATE_MAX_REGIONS; i++) {
		int err;

		if (!(vm->cfg->regions[i].flags & REGION_F_LOG_DIRTY))
			continue;
		err = vm_dirty_enable(vm, NULL, i, true);
		if (err)
			return err;
	}
	return 0;
}

bool vm_dirty_fault(struct vcpu *v, const struct mem_slot *s, gpa_t a)
{
	struct vm *vm = v->vm;
	struct vm_dirty_log *l;
	bool ours = false;

	if (vm->dirty.mode != EPT_DIRTY_WP || s->region >= VALIDATE_MAX_REGIONS ||
	    !(s->rights & REGION_W))
		return false;
	l = &vm->dirty.log[s->region];
	vm_dev_lock(v);
	if (l->bitmap && a.v - l->gpa < l->pages * PAGE_SIZE &&
	    ept_dirty_unprotect(&vm->ept, a) >= 0) {
		dirty_set(l, a.v);
		vm->dirty.wp_faults++;
		ours = true;
	}
	vm_dev_unlock(v);
	return ours;
}

int vm_dirty_map(struct vm *vm, const struct mem_slot *s, gpa_t a, uint64_t len)
{
	uint64_t flags = (s->rights & EPTE_RWX) | EPTE_MT_WB;
	hpa_t h = memslot_hpa(s, a);

	if (s->region < VALIDATE_MAX_REGIONS && vm->dirty.log[s->region].bitmap)
		return ept_dirty_map(&vm->ept, a, h, len, flags, vm->dirty.mode);
	return ept_map(&vm->ept, a, h, len, flags);
}

unsigned vm_dirty_pml_drain(struct vm *vm, uint64_t *pml)
{
	struct vm_dirty_log *l = NULL; /* the last entry's region: runs of one region */
	unsigned n = 0;

	for (unsigned i = 0; i < VM_DIRTY_PML_SLOTS; i++) {
		uint64_t g = pml[i];

		if (g == VM_DIRTY_PML_EMPTY)
			continue;
		pml[i] = VM_DIRTY_PML_EMPTY;
		n++;
		if (!l || g - l->gpa >= l->pages * PAGE_SIZE)
			l = dirty_find(vm, g);
		if (l)
			dirty_set(l, g);
	}
	vm->dirty.pml_logged += n;
	return n;
}

/* The hypervisor's own write into logged RAM is a write too: mark [a, a + len). */
static void dirty_mark_range(struct vm *vm, uint64_t a, uint64_t len)
{
	for (uint64_t g = ALIGN_DOWN(a, PAGE_SIZE); g < a + len; g += PAGE_SIZE) {
		struct vm_dirty_log *l = dirty_find(vm, g);

		if (l)
			dirty_set(l, g);
	}
}

static long dirty_hc_harvest(struct vm *vm, struct vcpu *self, unsigned region, uint64_t buf,
			     uint64_t bytes)
{
	struct vm_dirty_log *l = dirty_region(vm, region);
	uint64_t need, *tmp;
	unsigned order;
	long n;

	if (!l || !l->bitmap)
		return -EINVAL;
	need = (l->pages + 63) / 64 * 8;
	if (bytes < need)
		return -ENOSPC;
	if (!gmem_covered(&vm->slots, gpa(buf), need, GMEM_RAM | GMEM_SHARED | GMEM_RIGHTS))
		return -EFAULT; /* checked first: a harvest that cannot be copied loses nothing */
	order = l->order;
	tmp = page_alloc(order, OWNER_HYP, NULL);
	if (!tmp)
		return -ENOMEM;
	n = vm_dirty_harvest(vm, self, region, tmp, l->pages);
	if (n >= 0 && gmem_write(&vm->slots, gpa(buf), tmp, need)) {
		for (uint64_t w = 0; w < need / 8; w++) /* give the bits back: nothing lost */
			__atomic_or_fetch(&l->bitmap[w], tmp[w], __ATOMIC_RELAXED);
		n = -EFAULT;
	}
	page_free(tmp, order, OWNER_HYP);
	if (n >= 0)
		dirty_mark_range(vm, buf, need);
	return n;
}

long vm_dirty_hypercall(struct vm *vm, struct vcpu *self, uint64_t op, uint64_t region,
			uint64_t buf, uint64_t bytes)
{
	if (!dirty_region(vm, region))
		return -EINVAL;
	switch (op) {
	case VM_DIRTY_OPS_ENABLE:
	case VM_DIRTY_OPS_DISABLE:
		return vm_dirty_enable(vm, self, (unsigned)region, op == VM_DIRTY_OPS_ENABLE);
	case VM_DIRTY_OPS_HARVEST:
		return dirty_hc_harvest(vm, self, (unsigned)region, buf, bytes);
	default:
		return -EINVAL;
	}
}

void vm_dirty_print(const struct vm *vm)
{
	const struct vm_dirty *d = &vm->dirty;

	if (!d->harvests && !d->wp_faults && !d->pml_full && !d->bitmap_bytes)
		return;
	pr_info("vm \"%s\": dirty log (%s): %lu write-protect faults, %lu PML-full exits, %lu "
		"PML entries, %lu harvests of %lu pages, bitmaps %lu bytes\n",
		vm->cfg->name, d->mode == EPT_DIRTY_PML ? "PML" : "write-protect", d->wp_faults,
		d->pml_full, d->pml_logged, d->harvests, d->harvested, d->bitmap_bytes);
}
