/*
 * Buddy allocator of host frames with per-frame owner tags. Free lists are threaded
 * through a caller-provided descriptor array by frame index, never through the frames,
 * so the managed memory is never touched. Callers: the page interface and host tests.
 *
 * Invariants:
 * - A block of order k spans 2^k frames, starts at an absolute pfn aligned to 2^k,
 *   lies wholly inside [base_pfn, base_pfn + nr_frames), and blocks never overlap.
 * - FRAME_HEAD is set on exactly the first frame of every block, free or allocated.
 * - Every descriptor's owner is the owner of the block holding it: OWNER_FREE in a
 *   free block, OWNER_RESERVED in no block (a hole, or never handed to
 *   buddy_add_free). So buddy_owner() is one load. Every descriptor of an allocated
 *   block also holds the block's order, so the block's end is known from any of its
 *   frames; a free block's order is valid on its head only, so that splitting and
 *   merging free blocks write O(order) descriptors. Allocating, freeing or
 *   re-tagging a block of 2^k frames writes its 2^k descriptors.
 * - FRAME_ZERO (free heads only): every byte of the block is known to be zero.
 *   A merged block keeps it only when both halves had it; split halves inherit it.
 * - Every free block is on the list of its order exactly once; nr_free[], free_frames
 *   and nonempty agree with the lists.
 * - No two free buddies of the same order coexist: freeing merges eagerly.
 * Hence the free block holding pfn p starts at ALIGN_DOWN(p, 2^k) for its order k,
 * found by probing k = 0..BUDDY_MAX_ORDER (buddy_block_of: O(19) reads); only
 * buddy_add_free and run lengths of free frames need that.
 */
#include "mm/buddy.h"
#include "lib/errno.h"
#include "lib/printf.h"

#define BUDDY_NIL	UINT32_MAX
#define FRAME_HEAD	BIT(0)
#define FRAME_ZERO	BIT(1)
#define BUDDY_PFN_LIMIT BIT(52 - PAGE_SHIFT) /* architectural MAXPHYADDR bound */

struct buddy_frame {
	uint32_t next; /* free list links (frame indices), valid on free heads */
	uint32_t prev;
	owner_t owner; /* valid on every frame */
	uint8_t order; /* valid on heads and every frame of an allocated block */
	uint8_t flags; /* FRAME_HEAD, FRAME_ZERO */
};
static_assert(sizeof(struct buddy_frame) <= 16, "descriptor must stay small");

static bool buddy_in_range(const struct buddy *b, pfn_t f)
{
	return f.v >= b->base_pfn.v && f.v - b->base_pfn.v < b->nr_frames;
}

static uint32_t buddy_idx(const struct buddy *b, pfn_t f)
{
	return (uint32_t)(f.v - b->base_pfn.v);
}

static pfn_t buddy_pfn(const struct buddy *b, uint32_t idx)
{
	return pfn(b->base_pfn.v + idx);
}

static bool buddy_owner_ok(owner_t o)
{
	return o != OWNER_FREE && o != OWNER_RESERVED;
}

static bool buddy_is_free_head(const struct buddy_frame *f, unsigned order)
{
	return (f->flags & FRAME_HEAD) && f->owner == OWNER_FREE && f->order == order;
}

static void buddy_list_add(struct buddy *b, uint32_t idx, unsigned order, uint8_t zero)
{
	struct buddy_frame *f = &b->frames[idx];
	uint32_t head = b->free_head[order];

	f->flags = FRAME_HEAD | zero;
	f->owner = OWNER_FREE;
	f->order = (uint8_t)order;
	f->prev = BUDDY_NIL;
	f->next = head;
	if (head != BUDDY_NIL)
		b->frames[head].prev = idx;
	b->free_head[order] = idx;
	b->nr_free[order]++;
	b->free_frames += BIT(order);
	b->nonempty |= (uint32_t)BIT(order);
}

static void buddy_list_del(struct buddy *b, uint32_t idx, unsigned order)
{
	struct buddy_frame *f = &b->frames[idx];

	if (f->prev != BUDDY_NIL)
		b->frames[f->prev].next = f->next;
	else
		b->free_head[order] = f->next;
	if (f->next != BUDDY_NIL)
		b->frames[f->next].prev = f->prev;
	b->nr_free[order]--;
	b->free_frames -= BIT(order);
	if (b->free_head[order] == BUDDY_NIL)
		b->nonempty &= ~(uint32_t)BIT(order);
}

/* Give every descriptor of the 2^order frames at @idx owner @o and @order. */
static void buddy_tag(struct buddy *b, uint32_t idx, unsigned order, owner_t o)
{
	struct buddy_frame *f = &b->frames[idx], *end = f + BIT(order);

	for (; f < end; f++) {
		f->owner = o;
		f->order = (uint8_t)order;
	}
}

/*
 * Return the block at @idx (every descriptor already OWNER_FREE) to the free
 * lists, merging with free buddies; @zero is FRAME_ZERO when it is known zero.
 */
static void buddy_free_block(struct buddy *b, uint32_t idx, unsigned order, uint8_t zero)
{
	pfn_t f = buddy_pfn(b, idx);

	while (order < BUDDY_MAX_ORDER) {
		pfn_t bud = pfn(f.v ^ BIT(order));
		struct buddy_frame *bf;

		if (!buddy_in_range(b, bud))
			break;
		bf = &b->frames[buddy_idx(b, bud)];
		if (!buddy_is_free_head(bf, order))
			break;
		zero &= bf->flags;
		buddy_list_del(b, buddy_idx(b, bud), order);
		b->frames[buddy_idx(b, pfn(MAX(f.v, bud.v)))].flags = 0;
		f = pfn(MIN(f.v, bud.v));
		order++;
	}
	buddy_list_add(b, buddy_idx(b, f), order, zero);
}

/* Head descriptor of the block holding @p (in range), or NULL for a reserved frame. O(19). */
static const struct buddy_frame *buddy_block_of(const struct buddy *b, pfn_t p)
{
	for (unsigned k = 0; k <= BUDDY_MAX_ORDER; k++) {
		pfn_t h = pfn(ALIGN_DOWN(p.v, BIT(k)));
		const struct buddy_frame *f;

		if (h.v < b->base_pfn.v)
			break;
		f = &b->frames[buddy_idx(b, h)];
		/* A head too small to cover p means no larger block can either. */
		if (f->flags & FRAME_HEAD)
			return f->order >= k ? f : NULL;
	}
	return NULL;
}

/* Index of the allocated block of @order at @a owned by @owner, or -EINVAL/-EPERM. */
static int buddy_find_alloc(const struct buddy *b, hpa_t a, unsigned order, owner_t owner,
			    uint32_t *idx)
{
	pfn_t p = hpa_to_pfn(a);
	const struct buddy_frame *f;

	if (order > BUDDY_MAX_ORDER || !IS_ALIGNED(a.v, PAGE_SIZE) || !buddy_in_range(b, p))
		return -EINVAL;
	f = &b->frames[buddy_idx(b, p)];
	if (!(f->flags & FRAME_HEAD) || f->owner == OWNER_FREE || f->order != order)
		return -EINVAL;
	if (f->owner != owner)
		return -EPERM;
	*idx = buddy_idx(b, p);
	return 0;
}

size_t buddy_meta_size(uint64_t nr_frames)
{
	return (size_t)nr_frames * sizeof(struct buddy_frame);
}

int buddy_init(struct buddy *b, void *meta, size_t meta_size, pfn_t base_pfn, uint64_t nr_frames)
{
	if (!b || !meta || nr_frames == 0 || nr_frames > BUDDY_NIL ||
	    base_pfn.v >= BUDDY_PFN_LIMIT || nr_frames > BUDDY_PFN_LIMIT - base_pfn.v ||
	    meta_size < buddy_meta_size(nr_frames) ||
	    !IS_ALIGNED((uintptr_t)meta, _Alignof(struct buddy_frame)))
		return -EINVAL;
	*b = (struct buddy){.frames = meta, .base_pfn = base_pfn, .nr_frames = nr_frames};
	for (uint64_t i = 0; i < nr_frames; i++)
		b->frames[i] = (struct buddy_frame){.owner = OWNER_RESERVED}; /* no FRAME_HEAD */
	for (unsigned k = 0; k <= BUDDY_MAX_ORDER; k++)
		b->free_head[k] = BUDDY_NIL;
	return 0;
}

/* True when no frame of [s, e) (in range, s < e) belongs to a block. */
static bool buddy_range_reserved(const struct buddy *b, pfn_t s, pfn_t e)
{
	/* A block overlapping [s, e) either covers s or starts inside. */
	if (buddy_block_of(b, s))
		return false;
	for (uint64_t p = s.v + 1; p < e.v; p++)
		if (b->frames[buddy_idx(b, pfn(p))].flags & FRAME_HEAD)
			return false;
	return true;
}

int buddy_add_free(struct buddy *b, hpa_t start, hpa_t end)
{
	pfn_t s = hpa_to_pfn(start), e = hpa_to_pfn(end);

	if (!IS_ALIGNED(start.v | end.v, PAGE_SIZE) || s.v > e.v || s.v < b->base_pfn.v ||
	    e.v - b->base_pfn.v > b->nr_frames)
		return -EINVAL;
	if (s.v == e.v)
		return 0;
	if (!buddy_range_reserved(b, s, e))
		return -EINVAL;
	for (uint64_t p = s.v; p < e.v; p++)
		b->frames[buddy_idx(b, pfn(p))].owner = OWNER_FREE;
	/* Carve from the top, each piece the largest block ending at e; merging joins them. */
	while (e.v > s.v) {
		unsigned k = MIN((unsigned)__builtin_ctzll(e.v), BUDDY_MAX_ORDER);

		while (e.v - s.v < BIT(k))
			k--;
		e.v -= BIT(k);
		buddy_free_block(b, buddy_idx(b, e), k, 0); /* firmware's memory: not known zero */
	}
	return 0;
}

int buddy_alloc_zero(struct buddy *b, unsigned order, owner_t owner, hpa_t *out, bool *zero)
{
	uint32_t mask, idx;
	uint8_t z;
	unsigned k;

	if (order > BUDDY_MAX_ORDER || !buddy_owner_ok(owner) || !out)
		return -EINVAL;
	mask = b->nonempty >> order;
	if (!mask)
		return -ENOMEM;
	k = order + (unsigned)__builtin_ctz(mask);
	idx = b->free_head[k];
	z = b->frames[idx].flags & FRAME_ZERO;
	buddy_list_del(b, idx, k);
	while (k > order) { /* keep the lower half, free the upper */
		k--;
		buddy_list_add(b, idx + (uint32_t)BIT(k), k, z);
	}
	b->frames[idx].flags = FRAME_HEAD;
	buddy_tag(b, idx, order, owner);
	*out = pfn_to_hpa(buddy_pfn(b, idx));
	if (zero)
		*zero = z;
	return 0;
}

int buddy_alloc(struct buddy *b, unsigned order, owner_t owner, hpa_t *out)
{
	return buddy_alloc_zero(b, order, owner, out, NULL);
}

static int buddy_free_as(struct buddy *b, hpa_t a, unsigned order, owner_t owner, uint8_t zero)
{
	uint32_t idx;
	int ret = buddy_find_alloc(b, a, order, owner, &idx);

	if (ret)
		return ret;
	buddy_tag(b, idx, order, OWNER_FREE);
	buddy_free_block(b, idx, order, zero);
	return 0;
}

int buddy_free(struct buddy *b, hpa_t a, unsigned order, owner_t owner)
{
	return buddy_free_as(b, a, order, owner, 0);
}

int buddy_free_zeroed(struct buddy *b, hpa_t a, unsigned order, owner_t owner)
{
	return buddy_free_as(b, a, order, owner, FRAME_ZERO);
}

owner_t buddy_owner(const struct buddy *b, hpa_t a)
{
	pfn_t p = hpa_to_pfn(a);

	/* Atomic: page_owner() reads it without the allocator's lock (an aligned 16-bit load). */
	return buddy_in_range(b, p)
		   ? __atomic_load_n(&b->frames[buddy_idx(b, p)].owner, __ATOMIC_RELAXED)
		   : OWNER_RESERVED;
}

owner_t buddy_owner_run(const struct buddy *b, hpa_t a, uint64_t *frames)
{
	pfn_t p = hpa_to_pfn(a);
	const struct buddy_frame *f;
	uint64_t start;

	*frames = 1;
	if (p.v < b->base_pfn.v) {
		*frames = b->base_pfn.v - p.v; /* all reserved up to the range */
		return OWNER_RESERVED;
	}
	if (!buddy_in_range(b, p)) {
		*frames = p.v < BUDDY_PFN_LIMIT ? BUDDY_PFN_LIMIT - p.v : 1;
		return OWNER_RESERVED;
	}
	f = &b->frames[buddy_idx(b, p)];
	if (f->owner == OWNER_RESERVED)
		return OWNER_RESERVED;
	if (f->owner == OWNER_FREE) /* rare (a violation): the order is on the head only */
		f = buddy_block_of(b, p);
	start = ALIGN_DOWN(p.v, BIT(f->order));
	*frames = start + BIT(f->order) - p.v;
	return f->owner;
}

int buddy_set_owner(struct buddy *b, hpa_t a, unsigned order, owner_t from, owner_t to)
{
	uint32_t idx;
	int ret;

	if (!buddy_owner_ok(to))
		return -EINVAL;
	ret = buddy_find_alloc(b, a, order, from, &idx);
	if (ret)
		return ret;
	buddy_tag(b, idx, order, to);
	return 0;
}

uint64_t buddy_free_blocks(const struct buddy *b, unsigned order)
{
	return order <= BUDDY_MAX_ORDER ? b->nr_free[order] : 0;
}

uint64_t buddy_free_frames(const struct buddy *b)
{
	return b->free_frames;
}

int buddy_largest_free_order(const struct buddy *b)
{
	return b->nonempty ? 31 - __builtin_clz(b->nonempty) : -1;
}

/* ---- buddy_check(): an independent audit, O(nr_frames) ---- */

__attribute__((format(printf, 3, 4))) static int buddy_fail(char *err, size_t errlen,
							    const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		kvsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* Walk the list of @order: links consistent, members are free heads of that order. */
static int buddy_check_list(const struct buddy *b, unsigned k, char *err, size_t errlen)
{
	uint32_t prev = BUDDY_NIL, idx = b->free_head[k];
	uint64_t n = 0;

	for (; idx != BUDDY_NIL; prev = idx, idx = b->frames[idx].next) {
		const struct buddy_frame *f;

		if (idx >= b->nr_frames || ++n > b->nr_free[k])
			return buddy_fail(err, errlen,
					  "order %u list: bad index %u or longer than %llu", k, idx,
					  (unsigned long long)b->nr_free[k]);
		f = &b->frames[idx];
		if (f->prev != prev)
			return buddy_fail(err, errlen, "order %u list: frame %u prev %u != %u", k,
					  idx, f->prev, prev);
		if (!buddy_is_free_head(f, k))
			return buddy_fail(err, errlen, "order %u list: frame %u is not a free head",
					  k, idx);
	}
	if (n != b->nr_free[k] || !!(b->nonempty & BIT(k)) != (n != 0))
		return buddy_fail(err, errlen, "order %u: list has %llu blocks, counters disagree",
				  k, (unsigned long long)n);
	return 0;
}

/* Check one block head at @idx; counts free heads into @nfree. */
static int buddy_check_block(const struct buddy *b, uint32_t idx, uint64_t *nfree, char *err,
			     size_t errlen)
{
	const struct buddy_frame *f = &b->frames[idx];
	pfn_t p = buddy_pfn(b, idx), bud;
	unsigned k = f->order;

	if (k > BUDDY_MAX_ORDER || !IS_ALIGNED(p.v, BIT(k)) || BIT(k) > b->nr_frames - idx)
		return buddy_fail(err, errlen, "pfn 0x%llx: bad block of order %u",
				  (unsigned long long)p.v, k);
	for (uint64_t j = 1; j < BIT(k); j++) {
		const struct buddy_frame *g = &b->frames[idx + j];

		if (g->flags & FRAME_HEAD)
			return buddy_fail(err, errlen, "pfn 0x%llx: head inside order-%u block",
					  (unsigned long long)p.v + j, k);
		if (g->owner != f->owner || (f->owner != OWNER_FREE && g->order != k))
			return buddy_fail(err, errlen,
					  "pfn 0x%llx: owner 0x%x order %u inside a block of 0x%x "
					  "order %u",
					  (unsigned long long)p.v + j, g->owner, g->order, f->owner,
					  k);
	}
	if ((f->flags & FRAME_ZERO) && f->owner != OWNER_FREE)
		return buddy_fail(err, errlen, "pfn 0x%llx: allocated block marked known zero",
				  (unsigned long long)p.v);
	if (f->owner != OWNER_FREE)
		return buddy_owner_ok(f->owner)
			   ? 0
			   : buddy_fail(err, errlen, "pfn 0x%llx: allocated to 0x%x",
					(unsigned long long)p.v, f->owner);
	nfree[k]++;
	bud = pfn(p.v ^ BIT(k));
	if (k < BUDDY_MAX_ORDER && buddy_in_range(b, bud) &&
	    buddy_is_free_head(&b->frames[buddy_idx(b, bud)], k))
		return buddy_fail(err, errlen, "pfn 0x%llx: free buddies of order %u not merged",
				  (unsigned long long)p.v, k);
	return 0;
}

int buddy_check(const struct buddy *b, char *err, size_t errlen)
{
	uint64_t nfree[BUDDY_NR_ORDERS] = {0}, frames = 0;
	int ret;

	for (unsigned k = 0; k <= BUDDY_MAX_ORDER; k++) {
		ret = buddy_check_list(b, k, err, errlen);
		if (ret)
			return ret;
		frames += b->nr_free[k] << k;
	}
	if (frames != b->free_frames || (b->nonempty >> BUDDY_NR_ORDERS))
		return buddy_fail(err, errlen, "free_frames %llu != %llu in lists",
				  (unsigned long long)b->free_frames, (unsigned long long)frames);
	for (uint64_t i = 0; i < b->nr_frames;) {
		if (!(b->frames[i].flags & FRAME_HEAD)) {
			if (b->frames[i].owner != OWNER_RESERVED)
				return buddy_fail(err, errlen,
						  "pfn 0x%llx: in no block but tagged 0x%x",
						  (unsigned long long)buddy_pfn(b, (uint32_t)i).v,
						  b->frames[i].owner);
			i++; /* a reserved frame */
			continue;
		}
		ret = buddy_check_block(b, (uint32_t)i, nfree, err, errlen);
		if (ret)
			return ret;
		i += BIT(b->frames[i].order);
	}
	for (unsigned k = 0; k <= BUDDY_MAX_ORDER; k++)
		if (nfree[k] != b->nr_free[k])
			return buddy_fail(
			    err, errlen, "order %u: %llu free heads, %llu on the list", k,
			    (unsigned long long)nfree[k], (unsigned long long)b->nr_free[k]);
	return 0;
}
