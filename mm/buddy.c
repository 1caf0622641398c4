/*
 * Buddy allocator of host frames with owner tags. Free lists are threaded through
 * caller-provided arrays by frame index, never through the frames, so the managed
 * memory is never touched. Callers: the page interface and host tests.
 *
 * Invariants:
 * - A block of order k spans 2^k frames, starts at an absolute pfn aligned to 2^k,
 *   lies wholly inside [base_pfn, base_pfn + nr_frames), and blocks never overlap.
 *   Frames of the arrays outside that range (padding to whole chunks) are in none.
 * - TAG_HEAD is set on exactly the first frame of every block, free or allocated;
 *   TAG_FREE on exactly the heads of free blocks; a head's order is its block's.
 * - Owners, a two-level table (buddy_owner reads the chunk's tag, then maybe the frame's):
 *   - a chunk (2^9 frames, 2 MiB, aligned) wholly inside one block of order >= 9
 *     has that block's owner as its tag (OWNER_FREE if the block is free) and, when
 *     it is allocated, its order; any other chunk is BUDDY_MIXED;
 *   - a frame's owner is its block's owner in an allocated block under order 9
 *     (with the block's order, on every frame), OWNER_RESERVED in no block, and
 *     OWNER_FREE otherwise: in a free block, or in a block of order >= 9, whose
 *     owner its chunks hold. Frames of a mixed chunk thus all have their true owner.
 *   So a block of order k < 9 is tagged in 2^k frame writes and one of order k >= 9
 *   in 2^(k-9) chunk writes; splitting a free chunk below 2 MiB writes BUDDY_MIXED
 *   on it, merging one back writes OWNER_FREE: its frames are all FREE already.
 *   A lock-free buddy_owner() that reads a chunk and then a frame sees a tag the
 *   frame had during the call: a frame's tag changes only in a mixed chunk, and a
 *   chunk becomes (or stops being) mixed only while all its frames are free.
 * - TAG_ZERO (free heads only): every byte of the block is known to be zero.
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

#define BUDDY_NIL	  UINT32_MAX
#define TAG_HEAD	  BIT(0)
#define TAG_FREE	  BIT(1)
#define TAG_ZERO	  BIT(2)
#define CHUNK_FRAMES	  BIT(BUDDY_CHUNK_ORDER)
#define BUDDY_PFN_LIMIT	  BIT(52 - PAGE_SHIFT) /* architectural MAXPHYADDR bound */
#define TAG(own, ord, fl) ((uint32_t)(own) | (uint32_t)(ord) << 16 | (uint32_t)(fl) << 24)
/* The word of a free head of order k, TAG_ZERO masked off (a free head's owner is FREE). */
#define TAG_FREE_HEAD(k) TAG(OWNER_FREE, k, TAG_HEAD | TAG_FREE)
#define TAG_ZERO_WORD	 TAG(0, 0, TAG_ZERO)
static_assert(sizeof(union buddy_tag) == 4 && sizeof(struct buddy_link) == 8, "tag layout");
static_assert(OWNER_FREE == 0, "a zero word is a FREE interior frame");

static bool buddy_in_range(const struct buddy *b, pfn_t f)
{
	return f.v >= b->base_pfn.v && f.v - b->base_pfn.v < b->nr_frames;
}

static uint32_t buddy_idx(const struct buddy *b, pfn_t f)
{
	return (uint32_t)(f.v - b->first_pfn);
}

static pfn_t buddy_pfn(const struct buddy *b, uint64_t idx)
{
	return pfn(b->first_pfn + idx);
}

static union buddy_tag *buddy_chunk(const struct buddy *b, uint64_t idx)
{
	return &b->chunks[idx >> BUDDY_CHUNK_ORDER];
}

static bool buddy_owner_ok(owner_t o)
{
	return o != OWNER_FREE && o != OWNER_RESERVED && o != BUDDY_MIXED;
}

/* Readers take no lock (buddy_owner): each tag an owner lookup reads is one store. */
static void tag_set(union buddy_tag *t, uint32_t word)
{
	__atomic_store_n(&t->word, word, __ATOMIC_RELAXED);
}

/* Give the 2^order frames (order < 9) or chunks (order >= 9) at @idx owner @o. */
static inline __attribute__((always_inline)) void buddy_tag(struct buddy *b, uint64_t idx,
							    unsigned order, owner_t o)
{
	union buddy_tag *t, *end;

	if (order < BUDDY_CHUNK_ORDER) {
		t = &b->tags[idx];
		end = t + BIT(order);
		tag_set(t++, TAG(o, order, TAG_HEAD));
	} else {
		t = buddy_chunk(b, idx);
		end = t + BIT(order - BUDDY_CHUNK_ORDER);
		tag_set(&b->tags[idx], TAG(OWNER_FREE, order, TAG_HEAD));
	}
	for (; t < end; t++)
		tag_set(t, TAG(o, order, 0));
}

/*
 * The alloc and free paths are inlined into their few callers, and keep the arrays'
 * addresses in locals: a store through a uint32_t link could alias the struct's
 * uint32_t fields, and the compiler would reload them at every level.
 */
#define BUDDY_FAST static inline __attribute__((always_inline))

/* Push the free block at @idx on the list of @order. */
BUDDY_FAST void buddy_list_add(struct buddy *b, union buddy_tag *tags, struct buddy_link *links,
			       uint64_t idx, unsigned order, uint32_t zero)
{
	uint32_t head = b->free_head[order];

	tag_set(&tags[idx], TAG_FREE_HEAD(order) | zero);
	links[idx] = (struct buddy_link){.next = head, .prev = BUDDY_NIL};
	if (head != BUDDY_NIL)
		links[head].prev = (uint32_t)idx;
	b->free_head[order] = (uint32_t)idx;
	b->nr_free[order]++;
	b->nonempty |= (uint32_t)BIT(order);
}

BUDDY_FAST void buddy_list_del(struct buddy *b, struct buddy_link *links, uint64_t idx,
			       unsigned order)
{
	struct buddy_link l = links[idx];

	if (l.prev != BUDDY_NIL)
		links[l.prev].next = l.next;
	else
		b->free_head[order] = l.next;
	if (l.next != BUDDY_NIL)
		links[l.next].prev = l.prev;
	else if (l.prev == BUDDY_NIL)
		b->nonempty &= ~(uint32_t)BIT(order);
	b->nr_free[order]--;
}

/*
 * Return the block at @idx (its frames' and chunks' owners already OWNER_FREE) to
 * the free lists, merging with free buddies; @zero is TAG_ZERO_WORD when known zero.
 */
BUDDY_FAST void buddy_free_block(struct buddy *b, uint64_t idx, unsigned order, uint32_t zero)
{
	union buddy_tag *tags = b->tags;
	struct buddy_link *links = b->links;
	uint64_t first = b->first_pfn, span = b->nr_chunks << BUDDY_CHUNK_ORDER, p = first + idx;

	b->free_frames += BIT(order);
	for (; order < BUDDY_MAX_ORDER; order++) {
		uint64_t bud = (p ^ BIT(order)) - first; /* padding is in no block: never free */
		uint32_t w;

		if (bud >= span)
			break;
		w = tags[bud].word;
		if ((w & ~TAG_ZERO_WORD) != TAG_FREE_HEAD(order))
			break;
		zero &= w;
		buddy_list_del(b, links, bud, order);
		tag_set(&tags[(p | BIT(order)) - first], 0); /* the upper head: interior */
		p &= ~BIT(order);
		if (order + 1 == BUDDY_CHUNK_ORDER) /* a whole free chunk again */
			tag_set(buddy_chunk(b, p - first), TAG(OWNER_FREE, 0, 0));
	}
	buddy_list_add(b, tags, links, p - first, order, zero);
}

/* Head tag of the block holding @p (in range), or NULL for a reserved frame. O(19). */
static const union buddy_tag *buddy_block_of(const struct buddy *b, pfn_t p)
{
	for (unsigned k = 0; k <= BUDDY_MAX_ORDER; k++) {
		uint64_t h = ALIGN_DOWN(p.v, BIT(k));
		const union buddy_tag *t;

		if (h < b->base_pfn.v)
			break;
		t = &b->tags[h - b->first_pfn];
		/* A head too small to cover p means no larger block can either. */
		if (t->flags & TAG_HEAD)
			return t->order >= k ? t : NULL;
	}
	return NULL;
}

/* Index of the allocated block of @order at @a owned by @owner, or -EINVAL/-EPERM. */
BUDDY_FAST int buddy_find_alloc(const struct buddy *b, hpa_t a, unsigned order, owner_t owner,
				uint64_t *idx)
{
	pfn_t p = hpa_to_pfn(a);
	union buddy_tag t;
	uint64_t i;

	if (order > BUDDY_MAX_ORDER || !IS_ALIGNED(a.v, PAGE_SIZE) || !buddy_in_range(b, p))
		return -EINVAL;
	i = p.v - b->first_pfn;
	t = b->tags[i];
	/* An allocated head's flags are TAG_HEAD alone (never free, never known zero). */
	if (t.word >> 16 != (TAG_HEAD << 8 | order))
		return -EINVAL;
	if ((order < BUDDY_CHUNK_ORDER ? t.owner : buddy_chunk(b, i)->owner) != owner)
		return -EPERM;
	*idx = i;
	return 0;
}

/* First pfn, and frames of the whole chunks [base_pfn, base_pfn + nr_frames) touches. */
static uint64_t buddy_span(uint64_t base, uint64_t nr, uint64_t *first)
{
	*first = ALIGN_DOWN(base, CHUNK_FRAMES);
	return ALIGN_UP(base + nr, CHUNK_FRAMES) - *first;
}

static size_t buddy_meta_of_span(uint64_t span)
{
	return (size_t)span * (sizeof(union buddy_tag) + sizeof(struct buddy_link)) +
	       (size_t)(span >> BUDDY_CHUNK_ORDER) * sizeof(union buddy_tag);
}

size_t buddy_meta_size(uint64_t nr_frames)
{
	/* The worst base: the range starts one frame before a chunk ends. */
	return buddy_meta_of_span(ALIGN_UP(nr_frames, CHUNK_FRAMES) + CHUNK_FRAMES);
}

int buddy_init(struct buddy *b, void *meta, size_t meta_size, pfn_t base_pfn, uint64_t nr_frames)
{
	uint64_t first, span;

	if (!b || !meta || nr_frames == 0 || base_pfn.v >= BUDDY_PFN_LIMIT ||
	    nr_frames > BUDDY_PFN_LIMIT - base_pfn.v ||
	    !IS_ALIGNED((uintptr_t)meta, _Alignof(struct buddy_link)))
		return -EINVAL;
	span = buddy_span(base_pfn.v, nr_frames, &first);
	if (span >= BUDDY_NIL || meta_size < buddy_meta_of_span(span))
		return -EINVAL;
	*b = (struct buddy){.links = meta,
			    .base_pfn = base_pfn,
			    .nr_frames = nr_frames,
			    .first_pfn = first,
			    .first_chunk = first >> BUDDY_CHUNK_ORDER,
			    .nr_chunks = span >> BUDDY_CHUNK_ORDER};
	b->tags = (union buddy_tag *)(b->links + span);
	b->chunks = b->tags + span;
	for (uint64_t i = 0; i < span; i++) {
		b->links[i] = (struct buddy_link){BUDDY_NIL, BUDDY_NIL};
		b->tags[i].word = TAG(OWNER_RESERVED, 0, 0); /* no TAG_HEAD: in no block */
	}
	for (uint64_t c = 0; c < b->nr_chunks; c++)
		b->chunks[c].word = TAG(BUDDY_MIXED, 0, 0);
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
		if (b->tags[p - b->first_pfn].flags & TAG_HEAD)
			return false;
	return true;
}

/* Give the free block about to be freed at @idx the chunk tags a free block has. */
static void buddy_free_chunks(struct buddy *b, uint64_t idx, unsigned order)
{
	union buddy_tag *c = buddy_chunk(b, idx), *end;

	if (order < BUDDY_CHUNK_ORDER)
		return;
	for (end = c + BIT(order - BUDDY_CHUNK_ORDER); c < end; c++)
		tag_set(c, TAG(OWNER_FREE, 0, 0));
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
		tag_set(&b->tags[p - b->first_pfn], TAG(OWNER_FREE, 0, 0));
	/* Carve from the top, each piece the largest block ending at e; merging joins them. */
	while (e.v > s.v) {
		unsigned k = MIN((unsigned)__builtin_ctzll(e.v), BUDDY_MAX_ORDER);

		while (e.v - s.v < BIT(k))
			k--;
		e.v -= BIT(k);
		buddy_free_chunks(b, buddy_idx(b, e), k);
		buddy_free_block(b, buddy_idx(b, e), k, 0); /* firmware's memory: not known zero */
	}
	return 0;
}

/*
 * Split the free block of order @k at @idx (off its list) down to @order, keeping
 * the lower half each time. The lists order..k-1 are empty (k was the smallest
 * non-empty order at least @order), so each upper half is alone on its list.
 */
BUDDY_FAST void buddy_split(struct buddy *b, union buddy_tag *tags, struct buddy_link *links,
			    uint64_t idx, unsigned k, unsigned order, uint32_t zero)
{
	b->nonempty |= (uint32_t)(BIT(k) - BIT(order));
	if (k >= BUDDY_CHUNK_ORDER && order < BUDDY_CHUNK_ORDER) /* its frames are all FREE */
		tag_set(buddy_chunk(b, idx), TAG(BUDDY_MIXED, 0, 0));
	while (k > order) {
		uint64_t up = idx + BIT(--k);

		tag_set(&tags[up], TAG_FREE_HEAD(k) | zero);
		links[up] = (struct buddy_link){BUDDY_NIL, BUDDY_NIL};
		b->free_head[k] = (uint32_t)up;
		b->nr_free[k] = 1;
	}
}

BUDDY_FAST int buddy_alloc_as(struct buddy *b, unsigned order, owner_t owner, hpa_t *out,
			      bool *zero)
{
	union buddy_tag *tags = b->tags;
	struct buddy_link *links = b->links;
	uint32_t mask, idx, next, z;
	unsigned k;

	if (order > BUDDY_MAX_ORDER || !buddy_owner_ok(owner) || !out)
		return -EINVAL;
	mask = b->nonempty >> order;
	if (!mask)
		return -ENOMEM;
	k = order + (unsigned)__builtin_ctz(mask);
	idx = b->free_head[k];
	next = links[idx].next; /* pop the head */
	b->free_head[k] = next;
	if (next != BUDDY_NIL)
		links[next].prev = BUDDY_NIL;
	else
		b->nonempty &= ~(uint32_t)BIT(k);
	b->nr_free[k]--;
	z = tags[idx].word & TAG_ZERO_WORD;
	if (k > order)
		buddy_split(b, tags, links, idx, k, order, z);
	b->free_frames -= BIT(order);
	buddy_tag(b, idx, order, owner);
	*out = pfn_to_hpa(buddy_pfn(b, idx));
	if (zero)
		*zero = z != 0;
	return 0;
}

int buddy_alloc_zero(struct buddy *b, unsigned order, owner_t owner, hpa_t *out, bool *zero)
{
	return buddy_alloc_as(b, order, owner, out, zero);
}

int buddy_alloc(struct buddy *b, unsigned order, owner_t owner, hpa_t *out)
{
	return buddy_alloc_as(b, order, owner, out, NULL);
}

BUDDY_FAST int buddy_free_as(struct buddy *b, hpa_t a, unsigned order, owner_t owner, uint32_t zero)
{
	union buddy_tag *tags = b->tags;
	uint64_t idx;
	int ret = buddy_find_alloc(b, a, order, owner, &idx);

	if (ret)
		return ret;
	if (order < BUDDY_CHUNK_ORDER) {
		for (uint64_t i = idx; i < idx + BIT(order); i++)
			tag_set(&tags[i], 0);
	} else {
		buddy_free_chunks(b, idx, order);
	}
	buddy_free_block(b, idx, order, zero);
	return 0;
}

int buddy_free(struct buddy *b, hpa_t a, unsigned order, owner_t owner)
{
	return buddy_free_as(b, a, order, owner, 0);
}

int buddy_free_zeroed(struct buddy *b, hpa_t a, unsigned order, owner_t owner)
{
	return buddy_free_as(b, a, order, owner, TAG_ZERO_WORD);
}

owner_t buddy_owner_run(const struct buddy *b, hpa_t a, uint64_t *frames)
{
	pfn_t p = hpa_to_pfn(a);
	const union buddy_tag *t;
	uint64_t i;

	*frames = 1;
	if (p.v < b->base_pfn.v) {
		*frames = b->base_pfn.v - p.v; /* all reserved up to the range */
		return OWNER_RESERVED;
	}
	if (!buddy_in_range(b, p)) {
		*frames = p.v < BUDDY_PFN_LIMIT ? BUDDY_PFN_LIMIT - p.v : 1;
		return OWNER_RESERVED;
	}
	i = p.v - b->first_pfn;
	t = buddy_chunk(b, i);
	if (t->owner == BUDDY_MIXED)
		t = &b->tags[i];
	if (t->owner == OWNER_RESERVED)
		return OWNER_RESERVED;
	if (t->owner == OWNER_FREE) /* rare (a violation): the order is on the head only */
		t = buddy_block_of(b, p);
	*frames = ALIGN_DOWN(p.v, BIT(t->order)) + BIT(t->order) - p.v;
	return t->owner;
}

int buddy_set_owner(struct buddy *b, hpa_t a, unsigned order, owner_t from, owner_t to)
{
	uint64_t idx;
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

	for (; idx != BUDDY_NIL; prev = idx, idx = b->links[idx].next) {
		if (idx >= b->nr_chunks * CHUNK_FRAMES || ++n > b->nr_free[k])
			return buddy_fail(err, errlen,
					  "order %u list: bad index %u or longer than %llu", k, idx,
					  (unsigned long long)b->nr_free[k]);
		if (b->links[idx].prev != prev)
			return buddy_fail(err, errlen, "order %u list: frame %u prev %u != %u", k,
					  idx, b->links[idx].prev, prev);
		if ((b->tags[idx].word & ~TAG_ZERO_WORD) != TAG_FREE_HEAD(k) ||
		    !buddy_in_range(b, buddy_pfn(b, idx)))
			return buddy_fail(err, errlen, "order %u list: frame %u is not a free head",
					  k, idx);
	}
	if (n != b->nr_free[k] || !!(b->nonempty & BIT(k)) != (n != 0))
		return buddy_fail(err, errlen, "order %u: list has %llu blocks, counters disagree",
				  k, (unsigned long long)n);
	return 0;
}

/* The chunk tag the invariant wants for chunk @c (@blk: the block of order >= 9 holding it). */
static int buddy_check_chunk(const struct buddy *b, uint64_t c, uint32_t want, char *err,
			     size_t errlen)
{
	if (b->chunks[c].word == want)
		return 0;
	return buddy_fail(err, errlen, "pfn 0x%llx: chunk tag 0x%x, want 0x%x",
			  (unsigned long long)buddy_pfn(b, c * CHUNK_FRAMES).v, b->chunks[c].word,
			  want);
}

/*
 * The frames (and chunks) of the block whose head is @idx, order @k, owner @o
 * (OWNER_FREE for a free block): every frame's tag and every chunk's, as the
 * invariants in the top comment say.
 */
static int buddy_check_tags(const struct buddy *b, uint64_t idx, unsigned k, owner_t o, char *err,
			    size_t errlen)
{
	bool big = k >= BUDDY_CHUNK_ORDER;
	/* Frame tags: a small allocated block's owner and order; otherwise zero (FREE). */
	uint32_t want = big || o == OWNER_FREE ? 0 : TAG(o, k, 0);
	int ret = 0;

	for (uint64_t j = 1; j < BIT(k); j++) {
		const union buddy_tag *g = &b->tags[idx + j];

		if (g->flags & TAG_HEAD)
			return buddy_fail(err, errlen, "pfn 0x%llx: head inside order-%u block",
					  (unsigned long long)buddy_pfn(b, idx + j).v, k);
		if (g->word != want)
			return buddy_fail(err, errlen,
					  "pfn 0x%llx: owner 0x%x order %u inside a block of 0x%x "
					  "order %u",
					  (unsigned long long)buddy_pfn(b, idx + j).v, g->owner,
					  g->order, o, k);
	}
	if (!big)
		return buddy_check_chunk(b, idx >> BUDDY_CHUNK_ORDER, TAG(BUDDY_MIXED, 0, 0), err,
					 errlen);
	for (uint64_t c = idx >> BUDDY_CHUNK_ORDER; !ret && c < (idx + BIT(k)) >> BUDDY_CHUNK_ORDER;
	     c++)
		ret = buddy_check_chunk(b, c, o == OWNER_FREE ? 0 : TAG(o, k, 0), err, errlen);
	return ret;
}

/* Check one block head at @idx; counts free heads into @nfree. */
static int buddy_check_block(const struct buddy *b, uint64_t idx, uint64_t *nfree, char *err,
			     size_t errlen)
{
	const union buddy_tag *f = &b->tags[idx];
	pfn_t p = buddy_pfn(b, idx), bud;
	unsigned k = f->order;
	bool is_free = f->flags & TAG_FREE;
	owner_t o;

	if (k > BUDDY_MAX_ORDER || !IS_ALIGNED(p.v, BIT(k)) || !buddy_in_range(b, p) ||
	    !buddy_in_range(b, pfn(p.v + BIT(k) - 1)) ||
	    (f->flags & ~(TAG_HEAD | TAG_FREE | TAG_ZERO)))
		return buddy_fail(err, errlen, "pfn 0x%llx: bad block of order %u flags 0x%x",
				  (unsigned long long)p.v, k, f->flags);
	if ((f->flags & TAG_ZERO) && !is_free)
		return buddy_fail(err, errlen, "pfn 0x%llx: allocated block marked known zero",
				  (unsigned long long)p.v);
	/* The owner: a small block's head holds it, a large one's chunks do. */
	o = is_free		    ? OWNER_FREE
	    : k < BUDDY_CHUNK_ORDER ? f->owner
				    : b->chunks[idx >> BUDDY_CHUNK_ORDER].owner;
	if ((is_free || k >= BUDDY_CHUNK_ORDER) ? f->owner != OWNER_FREE : !buddy_owner_ok(o))
		return buddy_fail(err, errlen, "pfn 0x%llx: head tagged 0x%x in a %s block",
				  (unsigned long long)p.v, f->owner, is_free ? "free" : "used");
	if (!is_free && !buddy_owner_ok(o))
		return buddy_fail(err, errlen, "pfn 0x%llx: allocated to 0x%x",
				  (unsigned long long)p.v, o);
	if (buddy_check_tags(b, idx, k, o, err, errlen))
		return -EINVAL;
	if (!is_free)
		return 0;
	nfree[k]++;
	bud = pfn(p.v ^ BIT(k));
	if (k < BUDDY_MAX_ORDER && buddy_in_range(b, bud) &&
	    (b->tags[bud.v - b->first_pfn].word & ~TAG_ZERO_WORD) == TAG_FREE_HEAD(k))
		return buddy_fail(err, errlen, "pfn 0x%llx: free buddies of order %u not merged",
				  (unsigned long long)p.v, k);
	return 0;
}

int buddy_check(const struct buddy *b, char *err, size_t errlen)
{
	uint64_t nfree[BUDDY_NR_ORDERS] = {0}, frames = 0, span = b->nr_chunks * CHUNK_FRAMES;
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
	for (uint64_t i = 0; i < span;) {
		if (!(b->tags[i].flags & TAG_HEAD)) {
			/* In no block (padding included): reserved, in a mixed chunk. */
			if (b->tags[i].word != TAG(OWNER_RESERVED, 0, 0))
				return buddy_fail(
				    err, errlen, "pfn 0x%llx: in no block but tagged 0x%x",
				    (unsigned long long)buddy_pfn(b, i).v, b->tags[i].word);
			ret = buddy_check_chunk(b, i >> BUDDY_CHUNK_ORDER, TAG(BUDDY_MIXED, 0, 0),
						err, errlen);
			if (ret)
				return ret;
			i++;
			continue;
		}
		ret = buddy_check_block(b, i, nfree, err, errlen);
		if (ret)
			return ret;
		i += BIT(b->tags[i].order);
	}
	for (unsigned k = 0; k <= BUDDY_MAX_ORDER; k++)
		if (nfree[k] != b->nr_free[k])
			return buddy_fail(
			    err, errlen, "order %u: %llu free heads, %llu on the list", k,
			    (unsigned long long)nfree[k], (unsigned long long)b->nr_free[k]);
	return 0;
}
