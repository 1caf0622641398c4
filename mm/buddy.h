/*
 * Physical-frame buddy allocator over [base_pfn, base_pfn + nr_frames), with an
 * owner tag per frame (O(1) to read: a two-level table, per 2 MiB chunk then per
 * frame) and a "known zero" state per free block. Metadata lives in a
 * caller-provided array, never in the frames. Called by the page interface
 * (arch/x86/mm.c) and host tests; no locking (buddy_owner excepted, below).
 */
#ifndef MM_BUDDY_H
#define MM_BUDDY_H

#include "lib/types.h"
#include "mm/page.h"

#define BUDDY_MAX_ORDER	  18 /* 2^18 frames = 1 GiB */
#define BUDDY_NR_ORDERS	  (BUDDY_MAX_ORDER + 1)
#define BUDDY_CHUNK_ORDER 9		    /* a chunk: 2^9 frames = 2 MiB, aligned */
#define BUDDY_MIXED	  ((owner_t)0xFFFF) /* chunk tag: ask each frame's tag */
static_assert(!OWNER_IS_VM(BUDDY_MIXED) && !OWNER_IS_SHARED(BUDDY_MIXED), "not an owner");
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "tag words are little-endian");

/*
 * A frame's or a chunk's tag, one 32-bit word (mm/buddy.c's top comment says
 * what each holds). Read without the lock through .owner only.
 */
union buddy_tag {
	uint32_t word;
	struct {
		owner_t owner;
		uint8_t order;
		uint8_t flags; /* frames only: head of a block, free block, known zero */
	};
};

struct buddy_link { /* free list links (frame indices), valid on free heads */
	uint32_t next;
	uint32_t prev;
};

/*
 * Frames are indexed from first_pfn = ALIGN_DOWN(base_pfn, 2^9), so every chunk
 * the range touches is whole in the arrays (frames outside the range are
 * reserved padding): index i is pfn first_pfn + i, in chunk i >> 9.
 */
struct buddy {
	union buddy_tag *tags;	  /* per frame: tags[pfn - first_pfn] */
	union buddy_tag *chunks;  /* per 2 MiB chunk: chunks[(pfn - first_pfn) >> 9] */
	struct buddy_link *links; /* per frame, like tags */
	pfn_t base_pfn;
	uint64_t nr_frames; /* a count, not a frame number */
	uint64_t first_pfn;
	uint64_t first_chunk; /* first_pfn >> 9 */
	uint64_t nr_chunks;
	uint32_t free_head[BUDDY_NR_ORDERS]; /* frame index of the first free block */
	uint64_t nr_free[BUDDY_NR_ORDERS];   /* free blocks per order */
	uint64_t free_frames;
	uint32_t nonempty; /* BIT(k) set iff free_head[k] is a block */
};

/* Bytes of metadata buddy_init() needs for @nr_frames frames (at any base). */
size_t buddy_meta_size(uint64_t nr_frames);

/*
 * Set up @b over [base_pfn, base_pfn + nr_frames); every frame starts OWNER_RESERVED.
 * @pre meta is suitably aligned (8 bytes is enough) and meta_size >= buddy_meta_size().
 * Returns 0, or -EINVAL for a bad buffer or range (the whole chunks it touches
 * at most 2^32 - 1 frames).
 */
int buddy_init(struct buddy *b, void *meta, size_t meta_size, pfn_t base_pfn, uint64_t nr_frames);

/*
 * Hand [start, end) (page aligned, inside the range, all OWNER_RESERVED) to the
 * allocator, merged into the largest aligned blocks. -EINVAL otherwise, with no change.
 */
int buddy_add_free(struct buddy *b, hpa_t start, hpa_t end);

/*
 * Allocate 2^order frames, 2^order-aligned, tagged @owner (not FREE or RESERVED).
 * Returns 0 and *out, -ENOMEM, or -EINVAL. Deterministic: smallest sufficient
 * order, most recently freed block of that order, lower half on a split.
 */
int buddy_alloc(struct buddy *b, unsigned order, owner_t owner, hpa_t *out);

/*
 * buddy_alloc(), and *zero (when zero != NULL) says whether every byte of the
 * block is known to be zero (it, or all the blocks it was merged from, came
 * back through buddy_free_zeroed). Memory from buddy_add_free is not known zero.
 */
int buddy_alloc_zero(struct buddy *b, unsigned order, owner_t owner, hpa_t *out, bool *zero);

/*
 * Free the block at @a. -EINVAL: not the start of an allocated block of @order
 * (includes double free); -EPERM: the block belongs to someone other than @owner.
 */
int buddy_free(struct buddy *b, hpa_t a, unsigned order, owner_t owner);

/* buddy_free() of a block the caller has zeroed (or never dirtied): it stays known zero. */
int buddy_free_zeroed(struct buddy *b, hpa_t a, unsigned order, owner_t owner);

/*
 * Owner of the frame holding @a; OWNER_RESERVED outside the range. O(1): the
 * chunk's tag, or for a chunk split into blocks under 2 MiB (or with reserved
 * frames) the frame's. Safe without the caller's lock: it returns a tag the frame
 * had at some moment during the call (each load is one aligned 16-bit read, and
 * no transition makes the pair of loads disagree, see mm/buddy.c). Inline: the
 * page interface's page_owner() is this.
 */
static inline owner_t buddy_owner(const struct buddy *b, hpa_t a)
{
	uint64_t c = (a.v >> (PAGE_SHIFT + BUDDY_CHUNK_ORDER)) - b->first_chunk;
	owner_t o;

	if (c >= b->nr_chunks)
		return OWNER_RESERVED;
	o = __atomic_load_n(&b->chunks[c].owner, __ATOMIC_RELAXED);
	if (o != BUDDY_MIXED)
		return o;
	/* The chunk is whole in the arrays (padding is reserved): no range check. */
	return __atomic_load_n(&b->tags[(a.v >> PAGE_SHIFT) - b->first_pfn].owner,
			       __ATOMIC_RELAXED);
}

/*
 * Owner of the frame holding @a, and in *frames the number of frames from @a's
 * to the end of the block holding it, all with that owner. Outside the range:
 * to the range's start or the 52-bit limit; a reserved frame inside it: 1. O(1)
 * for allocated and reserved frames, O(BUDDY_MAX_ORDER) for free ones.
 */
owner_t buddy_owner_run(const struct buddy *b, hpa_t a, uint64_t *frames);

/*
 * Move a whole allocated block from @from to @to (donate/share): writes 2^order
 * frame tags under 2 MiB, 2^(order - 9) chunk tags from 2 MiB up. -EINVAL: not an
 * allocated block of @order, or @to is FREE/RESERVED; -EPERM: not owned by @from.
 */
int buddy_set_owner(struct buddy *b, hpa_t a, unsigned order, owner_t from, owner_t to);

uint64_t buddy_free_blocks(const struct buddy *b, unsigned order); /* 0 for order > max */
uint64_t buddy_free_frames(const struct buddy *b);
int buddy_largest_free_order(const struct buddy *b); /* -1 when nothing is free */

/*
 * Full O(nr_frames) audit of every invariant. Returns 0, or -EINVAL with a
 * one-line description in @err (may be NULL).
 */
int buddy_check(const struct buddy *b, char *err, size_t errlen);

#endif
