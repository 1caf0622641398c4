/*
 * Lazy zeroing of VM RAM in 2 MiB chunks (vm/ramzero.h). A chunk is zeroed once
 * per boot of the VM, under the VM's ramzero lock, before its first reader: the
 * guest (through an EPT violation, after which the chunk is mapped) or the host
 * (gmem's prepare hook, which zeroes without mapping). Host-buildable.
 */
#include "vm/ramzero.h"
#include "lib/console.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/page.h"
#include "vm/vm.h"

#define RAMZERO_MAX_CHUNKS (PAGE_SIZE * 8 / 2) /* two bitmaps in one page */

static bool rz_test(const uint64_t *bits, uint64_t c)
{
	return bits[c / 64] & BIT(c % 64);
}

/* Release: a lock-free reader (ramzero_ready) that sees the bit sees the zeros. */
static void rz_set(uint64_t *bits, uint64_t c)
{
	__atomic_or_fetch(&bits[c / 64], BIT(c % 64), __ATOMIC_RELEASE);
}

static uint64_t rz_now(const struct vm *vm)
{
	return vm->vcpu_ops && vm->vcpu_ops->now ? vm->vcpu_ops->now() : 0;
}

/* Zero (and with @map, map) the parts of RAM slots inside chunk @c. */
static int rz_chunk(struct vm *vm, uint64_t c, bool map)
{
	uint64_t lo = c * RAMZERO_CHUNK, hi = lo + RAMZERO_CHUNK;
	struct ramzero *rz = &vm->ramzero;
	int err = 0;

	for (unsigned i = 0; i < vm->slots.nr; i++) {
		const struct mem_slot *s = &vm->slots.slot[i];
		uint64_t s_lo = memslot_gpa(s).v, s_hi = s_lo + memslot_size(s);
		uint64_t a = MAX(lo, s_lo), e = MIN(hi, s_hi);

		/*
		 * Demand RAM (vm/demand.c) has no frames of its own; run-time slots
		 * (vm/slotctl.c) come zeroed and mapped: neither is ours to zero.
		 */
		if (s->kind != REGION_RAM || !memslot_has_hpa(s) || s->region == MEMSLOT_RUNTIME ||
		    a >= e)
			continue;
		if (!rz_test(rz->zeroed, c))
			memset(hpa_to_va(memslot_hpa(s, gpa(a))), 0, e - a);
		if (map && !err) /* a logged region's pages are mapped waiting for a write */
			err = vm_dirty_map(vm, s, gpa(a), e - a);
		if (err == -EEXIST)
			err = 0; /* mapped by an earlier, partly failed attempt */
	}
	rz_set(rz->zeroed, c);
	if (map && !err)
		rz_set(rz->mapped, c);
	return err;
}

/* gmem's hook: the host is about to touch [a, a + len) of a RAM slot. */
static void rz_prepare(void *ctx, gpa_t a, uint64_t len)
{
	struct vm *vm = ctx;
	struct ramzero *rz = &vm->ramzero;

	if (!len || !rz->nr_chunks)
		return;
	for (uint64_t c = a.v / RAMZERO_CHUNK; c <= (a.v + len - 1) / RAMZERO_CHUNK; c++) {
		if (c >= rz->nr_chunks || rz_test(rz->zeroed, c))
			continue;
		spin_lock(&rz->lock);
		if (!rz_test(rz->zeroed, c)) {
			rz_chunk(vm, c, false);
			rz->host_zeroed++;
		}
		spin_unlock(&rz->lock);
	}
}

int ramzero_init(struct vm *vm)
{
	struct ramzero *rz = &vm->ramzero;
	uint64_t top = 0;

	*rz = (struct ramzero){.lock = SPINLOCK_INIT};
	for (unsigned i = 0; i < vm->slots.nr; i++)
		if (vm->slots.slot[i].kind == REGION_RAM && memslot_has_hpa(&vm->slots.slot[i]))
			top = memslot_gpa(&vm->slots.slot[i]).v + memslot_size(&vm->slots.slot[i]);
	if (!top || ALIGN_UP(top, RAMZERO_CHUNK) / RAMZERO_CHUNK > RAMZERO_MAX_CHUNKS)
		return 0; /* no RAM, or too much for the page: eager */
	rz->zeroed = page_alloc(0, OWNER_HYP, NULL);
	if (!rz->zeroed)
		return -ENOMEM;
	rz->mapped = rz->zeroed + RAMZERO_MAX_CHUNKS / 64;
	rz->nr_chunks = ALIGN_UP(top, RAMZERO_CHUNK) / RAMZERO_CHUNK;
	vm->slots.prepare = rz_prepare;
	vm->slots.prepare_ctx = vm;
	return 0;
}

void ramzero_reset(struct vm *vm)
{
	struct ramzero *rz = &vm->ramzero;

	for (unsigned i = 0; i < vm->slots.nr; i++) {
		const struct mem_slot *s = &vm->slots.slot[i];

		if (s->kind != REGION_RAM || !memslot_has_hpa(s))
			continue;
		if (!rz->nr_chunks) {
			memset(hpa_to_va(s->hpa), 0, memslot_size(s));
			continue;
		}
		/* Whole slots hold only our own leaves, never split: this cannot fail. */
		ept_unmap(&vm->ept, memslot_gpa(s), memslot_size(s));
	}
	if (rz->nr_chunks)
		memset(rz->zeroed, 0, PAGE_SIZE);
}

bool ramzero_fault(struct vcpu *v, gpa_t a)
{
	struct vm *vm = v->vm;
	struct ramzero *rz = &vm->ramzero;
	uint64_t c = a.v / RAMZERO_CHUNK, t0;
	bool was_zero;
	int err;

	if (c >= rz->nr_chunks || rz_test(rz->mapped, c))
		return false;
	t0 = rz_now(vm);
	vm_dev_lock(v); /* before rz->lock: gmem's hook runs inside it too */
	spin_lock(&rz->lock);
	was_zero = rz_test(rz->zeroed, c);
	err = rz_test(rz->mapped, c) ? 0 : rz_chunk(vm, c, true);
	rz->guest_maps++;
	rz->guest_faults += !was_zero;
	spin_unlock(&rz->lock);
	vm_dev_unlock(v);
	rz->fault_tsc += rz_now(vm) - t0;
	if (err)
		pr_err("vm \"%s\": cannot map RAM at GPA 0x%llx on first touch (%d)\n",
		       vm->cfg ? vm->cfg->name : "?", (unsigned long long)a.v, err);
	return err == 0;
}
