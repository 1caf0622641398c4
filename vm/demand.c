/*
 * Demand-faulted RAM (vm/demand.h): per region, a map of 2 MiB chunks to the blocks
 * taken for them, filled on first touch under the VM's demand lock, emptied on restart
 * and stop. A block is zeroed when taken, so no VM ever reads another's or an earlier
 * boot's bytes. Host-buildable.
 */
#include "vm/demand.h"
#include "ept/ept.h"
#include "lib/console.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "vm/vm.h"

#define E_ADDR GENMASK(51, 12)

void demand_init(struct demand *d, owner_t owner, const struct demand_ops *ops)
{
	*d = (struct demand){.owner = owner, .ops = ops, .lock = SPINLOCK_INIT};
}

int demand_add(struct demand *d, uint64_t gpa, uint64_t size, uint32_t flags, uint32_t rights,
	       uint16_t region)
{
	struct demand_region *r = &d->r[d->nr];
	uint64_t first, n;
	unsigned order = 0;

	if (d->nr == DEMAND_MAX_REGIONS)
		return -ENOSPC;
	if (!size || !IS_ALIGNED(gpa, PAGE_SIZE) || !IS_ALIGNED(size, PAGE_SIZE) ||
	    size > VALIDATE_DEMAND_MAX_SIZE)
		return -EINVAL;
	first = gpa / DEMAND_CHUNK;
	n = (gpa + size - 1) / DEMAND_CHUNK - first + 1;
	while ((PAGE_SIZE << order) < n * sizeof(uint64_t))
		order++;
	*r = (struct demand_region){.gpa = gpa,
				    .size = size,
				    .flags = flags,
				    .region = region,
				    .rights = rights,
				    .first_chunk = first,
				    .nr_chunks = n,
				    .chunk_order = order};
	r->chunk = page_alloc(order, OWNER_HYP, NULL); /* zeroed: nothing held */
	if (!r->chunk)
		return -ENOMEM;
	d->nr++;
	return 0;
}

struct demand_region *demand_find(struct demand *d, uint64_t a)
{
	for (unsigned i = 0; i < d->nr; i++)
		if (a >= d->r[i].gpa && a - d->r[i].gpa < d->r[i].size)
			return &d->r[i];
	return NULL;
}

unsigned demand_order(const struct demand_region *r, uint64_t a, uint64_t e)
{
	uint64_t lo = ALIGN_DOWN(a, DEMAND_CHUNK);

	if ((r->flags & REGION_F_DEMAND_4K) || e)
		return 0;
	if (lo < r->gpa || lo + DEMAND_CHUNK > r->gpa + r->size)
		return 0;
	return DEMAND_ORDER_2M;
}

/* A block of @order, zeroed: the zeroing is the fault's work, counted with it. */
static int take(struct demand *d, unsigned order, owner_t owner, hpa_t *out)
{
	if (d->ops->alloc(order, owner, out))
		return -ENOMEM;
	memset(hpa_to_va(*out), 0, PAGE_SIZE << order);
	return 0;
}

static void held_add(struct demand *d, struct demand_region *r, unsigned order)
{
	uint64_t bytes = PAGE_SIZE << order, now;

	r->held += bytes;
	d->st.held[order != 0]++;
	d->st.allocs[order != 0]++;
	now = (d->st.held[0] << PAGE_SHIFT) + d->st.held[1] * DEMAND_CHUNK;
	d->st.peak_bytes = MAX(d->st.peak_bytes, now);
}

/* A 4 KiB block for @a in chunk entry *@e (a map page first, when the chunk has none). */
static int take_4k(struct demand *d, struct demand_region *r, uint64_t *e, uint64_t a,
		   struct demand_block *b)
{
	uint64_t *tbl;
	hpa_t h;

	if (!(*e & DEMAND_E_TABLE)) {
		if (take(d, 0, OWNER_HYP, &h))
			return -ENOMEM;
		*e = h.v | DEMAND_E_TABLE;
		d->st.tables++;
	}
	tbl = hpa_to_va(hpa(*e & E_ADDR));
	if (take(d, 0, d->owner, &h))
		return -ENOMEM;
	tbl[(a / PAGE_SIZE) % 512] = h.v | DEMAND_E_4K;
	held_add(d, r, 0);
	*b = (struct demand_block){ALIGN_DOWN(a, PAGE_SIZE), h, 0, true};
	return 0;
}

/* The block recorded for @a in entry @e, if any. */
static bool lookup(uint64_t e, uint64_t a, struct demand_block *b)
{
	if (e & DEMAND_E_2M) {
		*b = (struct demand_block){ALIGN_DOWN(a, DEMAND_CHUNK), hpa(e & E_ADDR),
					   DEMAND_ORDER_2M, false};
		return true;
	}
	if (e & DEMAND_E_TABLE) {
		uint64_t pe = ((uint64_t *)hpa_to_va(hpa(e & E_ADDR)))[(a / PAGE_SIZE) % 512];
		if (pe & DEMAND_E_4K) {
			*b = (struct demand_block){ALIGN_DOWN(a, PAGE_SIZE), hpa(pe & E_ADDR), 0,
						   false};
			return true;
		}
	}
	return false;
}

int demand_get(struct demand *d, uint64_t a, bool take_it, struct demand_block *b)
{
	struct demand_region *r = demand_find(d, a);
	uint64_t *e;
	hpa_t h;

	if (!r)
		return -EFAULT;
	e = &r->chunk[a / DEMAND_CHUNK - r->first_chunk];
	if (lookup(*e, a, b))
		return 0;
	if (!take_it)
		return -ENOENT;
	if (demand_order(r, a, *e) == DEMAND_ORDER_2M) {
		if (!take(d, DEMAND_ORDER_2M, d->owner, &h)) {
			*e = h.v | DEMAND_E_2M;
			held_add(d, r, DEMAND_ORDER_2M);
			*b = (struct demand_block){ALIGN_DOWN(a, DEMAND_CHUNK), h, DEMAND_ORDER_2M,
						   true};
			return 0;
		}
		d->st.fallbacks++;
	}
	if (take_4k(d, r, e, a, b)) {
		d->st.oom++;
		return -ENOMEM;
	}
	return 0;
}

/* GPA range of chunk @i of @r, clipped to the region. */
static void chunk_range(const struct demand_region *r, uint64_t i, uint64_t *lo, uint64_t *hi)
{
	uint64_t c = (r->first_chunk + i) * DEMAND_CHUNK;

	*lo = MAX(c, r->gpa);
	*hi = MIN(c + DEMAND_CHUNK, r->gpa + r->size);
}

void demand_unmap_all(struct demand *d, struct ept *ept)
{
	for (unsigned k = 0; k < d->nr; k++) {
		const struct demand_region *r = &d->r[k];
		for (uint64_t i = 0; i < r->nr_chunks; i++) {
			uint64_t lo, hi;
			if (!r->chunk[i])
				continue;
			chunk_range(r, i, &lo, &hi);
			/* Only our own leaves, never a larger one across the ends: cannot fail. */
			ept_unmap(ept, gpa(lo), hi - lo);
		}
	}
}

static void release_chunk(struct demand *d, uint64_t *e)
{
	uint64_t *tbl;

	if (*e & DEMAND_E_2M) {
		d->ops->free(hpa(*e & E_ADDR), DEMAND_ORDER_2M, d->owner);
		d->st.held[1]--;
		d->st.released++;
	} else if (*e & DEMAND_E_TABLE) {
		tbl = hpa_to_va(hpa(*e & E_ADDR));
		for (unsigned j = 0; j < 512; j++) {
			if (!(tbl[j] & DEMAND_E_4K))
				continue;
			d->ops->free(hpa(tbl[j] & E_ADDR), 0, d->owner);
			d->st.held[0]--;
			d->st.released++;
		}
		d->ops->free(hpa(*e & E_ADDR), 0, OWNER_HYP);
		d->st.tables--;
	}
	*e = 0;
}

void demand_release(struct demand *d)
{
	for (unsigned k = 0; k < d->nr; k++) {
		struct demand_region *r = &d->r[k];
		for (uint64_t i = 0; i < r->nr_chunks; i++)
			release_chunk(d, &r->chunk[i]);
		r->held = 0;
	}
}

void demand_destroy(struct demand *d)
{
	demand_release(d);
	for (unsigned k = 0; k < d->nr; k++)
		page_free(d->r[k].chunk, d->r[k].chunk_order, OWNER_HYP);
	d->nr = 0;
}

/* gmem's hook (mm/memslot.h): the host frames behind @a, taken on a write. */
static int demand_host(void *ctx, gpa_t a, bool write, hpa_t *out, uint64_t *len)
{
	struct demand *d = &((struct vm *)ctx)->demand;
	struct demand_block b;
	int ret;

	spin_lock(&d->lock);
	ret = demand_get(d, a.v, write, &b);
	if (!ret && b.fresh)
		d->st.host_allocs++;
	spin_unlock(&d->lock);
	if (ret) {
		*len = PAGE_SIZE - (a.v & (PAGE_SIZE - 1)); /* not present: zeros to the page end */
		return ret;
	}
	*out = hpa(b.hpa.v + (a.v - b.gpa));
	*len = b.gpa + (PAGE_SIZE << b.order) - a.v;
	return 0;
}

void demand_vm_init(struct vm *vm, const struct demand_ops *ops)
{
	demand_init(&vm->demand, vm->owner, ops);
	vm->slots.demand = demand_host;
	vm->slots.demand_ctx = vm;
}

static uint64_t demand_now(const struct vm *vm)
{
	return vm->vcpu_ops && vm->vcpu_ops->now ? vm->vcpu_ops->now() : 0;
}

bool demand_fault(struct vcpu *v, gpa_t a)
{
	struct vm *vm = v->vm;
	struct demand *d = &vm->demand;
	uint64_t t0 = demand_now(vm);
	struct demand_region *r;
	struct demand_block b;
	int ret;

	vm_dev_lock(v); /* before d->lock, as ramzero: gmem's hook takes d->lock alone */
	spin_lock(&d->lock);
	ret = demand_get(d, a.v, true, &b);
	r = demand_find(d, a.v);
	if (!ret)
		ret = ept_map(&vm->ept, gpa(b.gpa), b.hpa, PAGE_SIZE << b.order,
			      (r->rights & EPTE_RWX) | EPTE_MT_WB);
	if (ret == -EEXIST)
		ret = 0; /* another vCPU mapped it first: resume */
	if (!ret)
		d->st.faults++;
	d->st.fault_tsc += demand_now(vm) - t0;
	spin_unlock(&d->lock);
	vm_dev_unlock(v);
	if (!ret)
		return true;
	if (ret == -ENOMEM && r)
		pr_err("vm \"%s\": demand region %u at GPA 0x%lx: out of memory (no block for "
		       "GPA 0x%lx; it holds %lu KiB of 0x%lx bytes)\n",
		       vm->cfg ? vm->cfg->name : "?", r->region, r->gpa, a.v, r->held / KiB,
		       r->size);
	else
		pr_err("vm \"%s\": demand RAM at GPA 0x%lx: cannot map (%d)\n",
		       vm->cfg ? vm->cfg->name : "?", a.v, ret);
	vm_stop(vm, ret, ret == -ENOMEM ? "demand RAM out of memory" : "demand RAM not mapped");
	return false;
}

int demand_format(const struct demand *d, char *buf, size_t len)
{
	const struct demand_stats *s = &d->st;
	uint64_t kib = s->held[0] * (PAGE_SIZE / KiB) + s->held[1] * (DEMAND_CHUNK / KiB);

	return ksnprintf(buf, len,
			 "demand RAM: %lu faults (%lu TSC each), %lu blocks taken by the host; "
			 "took %lu x 4K + %lu x 2M (%lu 2M fallbacks, %lu out of memory); "
			 "holds %lu x 4K + %lu x 2M = %lu KiB (peak %lu KiB), %lu map pages; "
			 "%lu blocks returned",
			 s->faults, s->faults ? s->fault_tsc / s->faults : 0, s->host_allocs,
			 s->allocs[0], s->allocs[1], s->fallbacks, s->oom, s->held[0], s->held[1],
			 kib, s->peak_bytes / KiB, s->tables, s->released);
}
