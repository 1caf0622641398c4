/*
 * VM checkpoints and rollback (vm/ckpt.h): the reservation, the RAM mirror kept up to
 * date from the dirty log, the double-buffered state slots, the staging area that makes
 * an incremental checkpoint all-or-nothing, and the rollback. Runs on the VM's one vCPU's
 * CPU, the vCPU out of its guest. Host-buildable.
 */
#include "vm/ckpt.h"
#include "abi/kestrel.h"
#include "config/validate.h"
#include "lib/console.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "vm/coalesced.h"
#include "vm/dirty.h"
#include "vm/tsc.h"
#include "vm/vm.h"

#define DIV_ROUND_UP(n, d) (((n) + (d)-1) / (d))
#define PAGES_PER_CHUNK	   (RAMZERO_CHUNK / PAGE_SIZE) /* mirror pages per mvalid bit */
#define BITMAP_PAGES(n)	   (ALIGN_UP(DIV_ROUND_UP((n), 8), PAGE_SIZE) / PAGE_SIZE)

/* What a state slot starts with; the devices' state blocks follow, whole pages each. */
struct ckpt_head {
	uint64_t regs[NR_GPRS];
	struct vcpu_irqs irqs;
	uint8_t cr8, mp, sipi_vector;
	bool sipi_ready;
	struct vcpu_hw hw;
	struct irq_router router;
	uint8_t arch[CKPT_ARCH_MAX] __attribute__((aligned(64)));
};
#define HEAD_PAGES DIV_ROUND_UP(sizeof(struct ckpt_head), PAGE_SIZE)

static bool bit(const uint64_t *b, uint64_t i)
{
	return b[i / 64] & BIT(i % 64);
}

static void set_bit64(uint64_t *b, uint64_t i)
{
	b[i / 64] |= BIT(i % 64);
}

uint64_t ckpt_need_pages(uint64_t ram_bytes, uint64_t state_pages)
{
	return validate_ckpt_need_pages(ram_bytes / PAGE_SIZE, state_pages);
}

/* Page @i of the reservation. */
static void *store(const struct ckpt *ck, uint64_t i)
{
	for (unsigned b = 0; b < ck->nr_blocks; b++) {
		uint64_t n = 1ULL << ck->blk_order[b];
		if (i < n)
			return (uint8_t *)ck->blk_va[b] + i * PAGE_SIZE;
		i -= n;
	}
	return NULL; /* never: callers index within ck->pages */
}

static void store_put(const struct ckpt *ck, uint64_t page, const void *src, uint64_t len)
{
	for (uint64_t off = 0; off < len; off += PAGE_SIZE, page++)
		memcpy(store(ck, page), (const uint8_t *)src + off, MIN(PAGE_SIZE, len - off));
}

static void store_get(const struct ckpt *ck, uint64_t page, void *dst, uint64_t len)
{
	for (uint64_t off = 0; off < len; off += PAGE_SIZE, page++)
		memcpy((uint8_t *)dst + off, store(ck, page), MIN(PAGE_SIZE, len - off));
}

static uint64_t dev_pages(const struct vm *vm)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < vm->nr_devs; i++)
		n += 1ULL << vm->devs[i].order;
	return n;
}

/*
 * The vCPU's interrupt-controller register page (a local APIC's, devices/pc_apic.c) lives
 * outside the device state blocks: a state slot holds it too.
 */
static uint64_t apic_pages(const struct vm *vm)
{
	return vm->vcpus && vm->vcpus[0].intc.apic_page.v ? 1 : 0;
}

static uint64_t ram_pages(const struct vm *vm)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < vm->cfg->nr_regions; i++)
		if (vm->cfg->regions[i].kind == REGION_RAM)
			n += vm->cfg->regions[i].size / PAGE_SIZE;
	return n;
}

/* Split @pages into buddy blocks, largest first; 0 or -ENOMEM (all given back). */
static int reserve(struct ckpt *ck, uint64_t pages)
{
	uint64_t left = pages;

	while (left) {
		unsigned order = VALIDATE_BLOCK_MAX_ORDER;
		while ((1ULL << order) > left)
			order--;
		if (ck->nr_blocks == CKPT_MAX_BLOCKS ||
		    !(ck->blk_va[ck->nr_blocks] = page_alloc(order, OWNER_HYP, NULL))) {
			while (ck->nr_blocks--)
				page_free(ck->blk_va[ck->nr_blocks], ck->blk_order[ck->nr_blocks],
					  OWNER_HYP);
			ck->nr_blocks = 0;
			return -ENOMEM;
		}
		ck->blk_order[ck->nr_blocks++] = order;
		left -= 1ULL << order;
	}
	return 0;
}

int ckpt_init(struct vm *vm, const struct ckpt_arch *arch)
{
	struct ckpt *ck = &vm->ckpt;
	uint64_t want = vm->cfg->checkpoint_bytes / PAGE_SIZE, ram = ram_pages(vm), need;

	*ck = (struct ckpt){.cur = -1, .arch = arch};
	ck->dirty_ops = (struct ckpt_dirty_ops){vm_dirty_enable, vm_dirty_harvest};
	if (!want)
		return 0;
	ck->state_pages = HEAD_PAGES + dev_pages(vm) + apic_pages(vm);
	need = ckpt_need_pages(ram * PAGE_SIZE, ck->state_pages);
	if (want < need) {
		pr_err("vm \"%s\": checkpoint memory %lu KiB is less than the %lu KiB its RAM "
		       "(%lu KiB) and state (2 x %lu KiB) need\n",
		       vm->cfg->name, want * 4, need * 4, ram * 4, ck->state_pages * 4);
		return -ENOSPC;
	}
	if (reserve(ck, want)) {
		pr_err("vm \"%s\": cannot reserve %lu KiB for checkpoints\n", vm->cfg->name,
		       want * 4);
		return -ENOMEM;
	}
	ck->pages = want;
	ck->ram_pages = ram;
	ck->nr_chunks = DIV_ROUND_UP(ram, PAGES_PER_CHUNK);
	ck->meta = 2 * BITMAP_PAGES(ram) + BITMAP_PAGES(ck->nr_chunks);
	static_assert(PAGES_PER_CHUNK == 512, "validate_ckpt_need_pages counts 2 MiB chunks");
	ck->stage_pages = want - need;
	/* The bitmaps are the reservation's first pages: the largest block, contiguous. */
	ck->dirty = store(ck, 0);
	ck->scratch = store(ck, BITMAP_PAGES(ram));
	ck->mvalid = store(ck, 2 * BITMAP_PAGES(ram));
	memset(ck->dirty, 0, ck->meta * PAGE_SIZE);
	if (vm->cfg->checkpoint_period_us)
		ck->period_tsc = tsc_from_us(vm->cfg->checkpoint_period_us, vm->tsc_hz);
	ck->next_due = ck->period_tsc && vm->vcpu_ops ? vm->vcpu_ops->now() + ck->period_tsc : 0;
	pr_info("vm \"%s\": checkpoints: %lu KiB reserved (RAM mirror %lu KiB, state 2 x %lu "
		"KiB, bitmaps %lu KiB, staging %lu KiB), period %lu us\n",
		vm->cfg->name, want * 4, ram * 4, ck->state_pages * 4, ck->meta * 4,
		ck->stage_pages * 4, vm->cfg->checkpoint_period_us);
	return 0;
}

bool ckpt_valid(const struct vm *vm)
{
	return vm->ckpt.cur >= 0;
}

/*
 * Every RAM slot page, as (mirror index, host address, zeroed): @fn for each in mirror
 * order within a slot. A page of a chunk not yet zeroed reads as zero (vm/ramzero.h).
 */
struct ram_page {
	uint64_t idx;
	void *va;
	bool zeroed;
};

static uint64_t region_base(const struct vm *vm, unsigned region)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < region; i++)
		if (vm->cfg->regions[i].kind == REGION_RAM)
			n += vm->cfg->regions[i].size / PAGE_SIZE;
	return n;
}

/* The RAM page of mirror index @idx; false when no slot backs it (never after build). */
static bool ram_page(const struct vm *vm, uint64_t idx, struct ram_page *p)
{
	uint64_t base = 0;

	for (unsigned r = 0; r < vm->cfg->nr_regions; r++) {
		const struct vm_region *reg = &vm->cfg->regions[r];
		uint64_t n = reg->size / PAGE_SIZE;
		const struct mem_slot *s;
		gpa_t a;

		if (reg->kind != REGION_RAM)
			continue;
		if (idx >= base + n) {
			base += n;
			continue;
		}
		a = gpa(reg->gpa + (idx - base) * PAGE_SIZE);
		s = memslot_find(&vm->slots, a);
		if (!s || s->kind != REGION_RAM)
			return false;
		p->idx = idx;
		p->va = hpa_to_va(memslot_hpa(s, a));
		p->zeroed = ramzero_ready(&vm->ramzero, a.v, PAGE_SIZE);
		return true;
	}
	return false;
}

/* OR every RAM region's harvest into ck->dirty. 0 or the dirty log's error. */
static int harvest(struct vcpu *v)
{
	struct vm *vm = v->vm;
	struct ckpt *ck = &vm->ckpt;

	for (unsigned r = 0; r < vm->cfg->nr_regions; r++) {
		const struct vm_region *reg = &vm->cfg->regions[r];
		uint64_t n = reg->size / PAGE_SIZE, base = region_base(vm, r);
		long got;

		if (reg->kind != REGION_RAM)
			continue;
		if (!ck->logging) {
			int err = ck->dirty_ops.enable(vm, v, r, true);
			if (err)
				return err;
		}
		memset(ck->scratch, 0, BITMAP_PAGES(ck->ram_pages) * PAGE_SIZE);
		got = ck->dirty_ops.harvest(vm, v, r, ck->scratch, n);
		if (got < 0)
			return (int)got;
		for (uint64_t i = 0; i < n; i++)
			if (bit(ck->scratch, i))
				set_bit64(ck->dirty, base + i);
	}
	ck->logging = true;
	return 0;
}

/* Mirror page @idx from RAM (zero for a chunk not yet zeroed). */
static void mirror_page(const struct ckpt *ck, const struct ram_page *p)
{
	if (p->zeroed)
		memcpy(store(ck, ck->meta + p->idx), p->va, PAGE_SIZE);
	else
		memset(store(ck, ck->meta + p->idx), 0, PAGE_SIZE);
}

/* Mirror chunk @c whole; false when none of its pages is zeroed yet (it stands for zero). */
static bool mirror_chunk(const struct vm *vm, uint64_t c, uint64_t *copied)
{
	const struct ckpt *ck = &vm->ckpt;
	uint64_t lo = c * PAGES_PER_CHUNK, hi = MIN(lo + PAGES_PER_CHUNK, ck->ram_pages);
	struct ram_page p;
	bool any = false;

	for (uint64_t i = lo; i < hi; i++)
		if (ram_page(vm, i, &p) && p.zeroed)
			any = true;
	for (uint64_t i = lo; any && i < hi; i++)
		if (ram_page(vm, i, &p)) {
			mirror_page(ck, &p);
			*copied += p.zeroed;
		}
	return any;
}

static uint64_t slot_page(const struct ckpt *ck, int slot)
{
	return ck->meta + ck->ram_pages + (uint64_t)slot * ck->state_pages;
}

/* vCPU, router, backend and device state into state slot @slot. */
static void save_state(struct vcpu *v, int slot)
{
	struct vm *vm = v->vm;
	struct ckpt *ck = &vm->ckpt;
	static struct ckpt_head h; /* one vCPU's CPU at a time per VM; VMs share it: */
	static spinlock_t h_lock = SPINLOCK_INIT;
	uint64_t page = slot_page(ck, slot);

	spin_lock(&h_lock);
	memset(&h, 0, sizeof(h));
	memcpy(h.regs, v->regs, sizeof(h.regs));
	h.irqs = v->irqs;
	h.cr8 = v->cr8;
	h.mp = v->mp;
	h.sipi_ready = v->sipi_ready;
	h.sipi_vector = v->sipi_vector;
	h.hw = v->hw;
	h.router = vm->router;
	if (ck->arch)
		ck->arch->save(v, h.arch);
	store_put(ck, page, &h, sizeof(h));
	spin_unlock(&h_lock);
	page += HEAD_PAGES;
	for (unsigned i = 0; i < vm->nr_devs; i++) {
		store_put(ck, page, vm->devs[i].state, PAGE_SIZE << vm->devs[i].order);
		page += 1ULL << vm->devs[i].order;
	}
	if (apic_pages(vm))
		store_put(ck, page, hpa_to_va(v->intc.apic_page), PAGE_SIZE);
}

static void restore_state(struct vcpu *v, int slot)
{
	struct vm *vm = v->vm;
	struct ckpt *ck = &vm->ckpt;
	static struct ckpt_head h;
	static spinlock_t h_lock = SPINLOCK_INIT;
	uint64_t page = slot_page(ck, slot);
	struct vcpu_hw keep = v->hw;

	spin_lock(&h_lock);
	store_get(ck, page, &h, sizeof(h));
	memcpy(v->regs, h.regs, sizeof(v->regs));
	v->irqs = h.irqs;
	v->cr8 = h.cr8;
	v->mp = h.mp;
	v->sipi_ready = h.sipi_ready;
	v->sipi_vector = h.sipi_vector;
	v->hw = h.hw;
	v->hw.vmcs = keep.vmcs; /* the VMCS itself stays; its fields come from arch */
	v->hw.launched = keep.launched;
	v->hw.vpid = keep.vpid;
	vm->router = h.router;
	if (ck->arch)
		ck->arch->restore(v, h.arch);
	spin_unlock(&h_lock);
	page += HEAD_PAGES;
	for (unsigned i = 0; i < vm->nr_devs; i++) {
		store_get(ck, page, vm->devs[i].state, PAGE_SIZE << vm->devs[i].order);
		page += 1ULL << vm->devs[i].order;
	}
	if (apic_pages(vm))
		store_get(ck, page, hpa_to_va(v->intc.apic_page), PAGE_SIZE);
	memset(vm->dcache, 0, sizeof(vm->dcache)); /* decoded bytes may have changed */
	v->work = VCPU_WORK_TIMER | (vcpu_irq_any(v) ? VCPU_WORK_IRQ : 0);
}

/* A dirty page the checkpoint stages: in a chunk the mirror holds, zeroed (else unwritten). */
static bool staged(const struct vm *vm, uint64_t i, struct ram_page *p)
{
	const struct ckpt *ck = &vm->ckpt;

	return bit(ck->dirty, i) && bit(ck->mvalid, i / PAGES_PER_CHUNK) && ram_page(vm, i, p) &&
	       p->zeroed;
}

/* The first page at or after @i written since the last checkpoint, or ram_pages. */
static uint64_t next_dirty(const struct ckpt *ck, uint64_t i)
{
	uint64_t words = DIV_ROUND_UP(ck->ram_pages, 64), w = i / 64, bits;

	if (i >= ck->ram_pages)
		return ck->ram_pages;
	for (bits = ck->dirty[w] & (~0ULL << (i % 64)); !bits; bits = ck->dirty[w])
		if (++w == words)
			return ck->ram_pages;
	return MIN(w * 64 + (uint64_t)__builtin_ctzll(bits), ck->ram_pages);
}

/* Any page of mirror chunk @c written since the last checkpoint (its 8 bitmap words). */
static bool chunk_dirty(const struct ckpt *ck, uint64_t c)
{
	uint64_t lo = c * PAGES_PER_CHUNK, hi = MIN(lo + PAGES_PER_CHUNK, ck->ram_pages);

	for (uint64_t w = lo / 64; w < DIV_ROUND_UP(hi, 64); w++)
		if (ck->dirty[w])
			return true;
	return false;
}

/* Incremental: stage, then commit. -ENOSPC when the staging area is too small. */
static int take_incremental(struct vcpu *v, uint64_t *copied)
{
	struct vm *vm = v->vm;
	struct ckpt *ck = &vm->ckpt;
	uint64_t n = 0, k = 0, stage = ck->meta + ck->ram_pages + 2 * ck->state_pages;
	struct ram_page p;

	for (uint64_t i = next_dirty(ck, 0); i < ck->ram_pages; i = next_dirty(ck, i + 1))
		n += staged(vm, i, &p);
	if (n > ck->stage_pages) {
		pr_err("vm \"%s\": checkpoint refused: %lu KiB written since the last one, the "
		       "staging area holds %lu KiB (reserved %lu KiB); checkpoint %lu stands\n",
		       vm->cfg->name, n * 4, ck->stage_pages * 4, ck->pages * 4, ck->gen);
		return -ENOSPC;
	}
	for (uint64_t i = next_dirty(ck, 0); i < ck->ram_pages; i = next_dirty(ck, i + 1))
		if (staged(vm, i, &p))
			memcpy(store(ck, stage + k++), p.va, PAGE_SIZE);
	save_state(v, !ck->cur);
	/* Commit: nothing below can fail. */
	k = 0;
	for (uint64_t i = next_dirty(ck, 0); i < ck->ram_pages; i = next_dirty(ck, i + 1))
		if (staged(vm, i, &p))
			memcpy(store(ck, ck->meta + i), store(ck, stage + k++), PAGE_SIZE);
	/* A chunk the mirror lacks enters it whole once written (until then it reads zero). */
	for (uint64_t c = 0; c < ck->nr_chunks; c++)
		if (!bit(ck->mvalid, c) && chunk_dirty(ck, c) && mirror_chunk(vm, c, copied))
			set_bit64(ck->mvalid, c);
	*copied += n;
	ck->cur = !ck->cur;
	return 0;
}

static void take_full(struct vcpu *v, uint64_t *copied)
{
	struct vm *vm = v->vm;
	struct ckpt *ck = &vm->ckpt;

	memset(ck->mvalid, 0, BITMAP_PAGES(ck->nr_chunks) * PAGE_SIZE);
	for (uint64_t c = 0; c < ck->nr_chunks; c++)
		if (mirror_chunk(vm, c, copied))
			set_bit64(ck->mvalid, c);
	save_state(v, 0);
	ck->cur = 0;
}

static uint64_t now(const struct vm *vm)
{
	return vm->vcpu_ops && vm->vcpu_ops->now ? vm->vcpu_ops->now() : 0;
}

int ckpt_take(struct vcpu *v, bool hypercall)
{
	struct vm *vm = v->vm;
	struct ckpt *ck = &vm->ckpt;
	uint64_t t0 = now(vm), copied = 0, dt;
	bool full = ck->cur < 0;
	int err;

	if (!ck->pages)
		return -ENODEV;
	err = harvest(v);
	if (err) {
		pr_err("vm \"%s\": checkpoint refused: dirty log error %d\n", vm->cfg->name, err);
		ck->stats.refused++;
		return err;
	}
	/* The guest's coalesced MMIO writes so far reach their devices before their state is
	 * saved (a rollback drops the ones after it: hv/lifecycle.c). */
	if (coalesced_pending(&vm->coal)) {
		vm_dev_lock(v);
		coalesced_drain(&vm->coal, COALESCED_ON_STOP);
		vm_dev_unlock(v);
	}
	if (full)
		take_full(v, &copied);
	else if ((err = take_incremental(v, &copied))) {
		ck->stats.refused++;
		return err;
	}
	memset(ck->dirty, 0, BITMAP_PAGES(ck->ram_pages) * PAGE_SIZE);
	ck->by_hypercall = hypercall;
	ck->gen++;
	dt = now(vm) - t0;
	ck->stats.taken++;
	ck->stats.last_pages = copied;
	ck->stats.last_tsc = dt;
	if (full) {
		ck->stats.full++;
		ck->stats.full_tsc = dt;
	} else {
		ck->stats.incr_n++;
		ck->stats.incr_tsc += dt;
	}
	pr_debug("vm \"%s\": checkpoint %lu (%s): %lu pages copied, %lu TSC\n", vm->cfg->name,
		 ck->gen, full ? "full" : "incremental", copied, dt);
	return 0;
}

void ckpt_tick(struct vcpu *v, uint64_t t)
{
	struct ckpt *ck = &v->vm->ckpt;

	if (!ck->period_tsc || t < ck->next_due)
		return;
	ck->next_due = t + ck->period_tsc;
	ckpt_take(v, false);
}

int ckpt_rollback(struct vcpu *v)
{
	struct vm *vm = v->vm;
	struct ckpt *ck = &vm->ckpt;
	uint64_t t0 = now(vm), n = 0;
	struct ram_page p;

	if (ck->cur < 0)
		return -ENOENT;
	if (harvest(v))
		memset(ck->dirty, 0xff, BITMAP_PAGES(ck->ram_pages) * PAGE_SIZE); /* all, then */
	for (uint64_t i = next_dirty(ck, 0); i < ck->ram_pages; i = next_dirty(ck, i + 1)) {
		if (!bit(ck->dirty, i) || !ram_page(vm, i, &p) || !p.zeroed)
			continue; /* a chunk not zeroed since was not written since */
		if (bit(ck->mvalid, i / PAGES_PER_CHUNK))
			memcpy(p.va, store(ck, ck->meta + i), PAGE_SIZE);
		else
			memset(p.va, 0, PAGE_SIZE);
		n++;
	}
	memset(ck->dirty, 0, BITMAP_PAGES(ck->ram_pages) * PAGE_SIZE);
	restore_state(v, ck->cur);
	if (ck->by_hypercall)
		v->regs[RAX] = KESTREL_CKPT_RESUMED;
	if (ck->period_tsc)
		ck->next_due = now(vm) + ck->period_tsc;
	ck->stats.rollbacks++;
	ck->stats.rollback_pages = n;
	ck->stats.rollback_tsc = now(vm) - t0;
	return 0;
}

void ckpt_reset(struct vm *vm)
{
	struct ckpt *ck = &vm->ckpt;

	ck->cur = -1;
	ck->cold = false;
	ck->logging = false; /* enabled again (a no-op on a logged region) at the next one */
	if (ck->pages)
		memset(ck->dirty, 0, ck->meta * PAGE_SIZE);
	if (ck->period_tsc)
		ck->next_due = now(vm) + ck->period_tsc;
}

int64_t ckpt_hypercall(struct vcpu *v, uint64_t id)
{
	struct vm *vm = v->vm;

	if (id != vm->id)
		return id < VM_MAX_PEERS && vm_by_id((unsigned)id) ? -EOPNOTSUPP : -EINVAL;
	if (!vm->ckpt.pages)
		return -ENODEV;
	v->regs[RAX] = 0; /* what the checkpoint's RAX reads once taken */
	return ckpt_take(v, true);
}
