/*
 * Guest memory accessor over memslots. Invariant: an access copies nothing unless every byte
 * of the range lies in slots of the allowed kinds (never MMIO), checked before the first byte.
 * Called by the loader, the boot-info builder and exit handlers; built freestanding and on host.
 */
#include "mm/gmem.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/page.h"

static bool gmem_slot_ok(const struct mem_slot *s, unsigned kinds, uint32_t right)
{
	if (!s || !(kinds & GMEM_BACKED & (1u << s->kind)))
		return false; /* MMIO is never touched, whatever @kinds says */
	return !(kinds & GMEM_RIGHTS) || (s->rights & right);
}

static bool gmem_covered_right(const struct memslots *ms, gpa_t a, uint64_t len, unsigned kinds,
			       uint32_t right)
{
	uint64_t at = a.v;

	if (len && len - 1 > UINT64_MAX - at)
		return false; /* wraps */
	while (len) {
		const struct mem_slot *s = memslot_find(ms, gpa(at));
		uint64_t room, step;

		if (!gmem_slot_ok(s, kinds, right))
			return false;
		room = memslot_gpa(s).v + memslot_size(s) - at;
		step = MIN(room, len);
		at += step;
		len -= step;
	}
	return true;
}

bool gmem_covered(const struct memslots *ms, gpa_t a, uint64_t len, unsigned kinds)
{
	return gmem_covered_right(ms, a, len, kinds, REGION_R);
}

enum gmem_op { GMEM_OP_READ, GMEM_OP_WRITE, GMEM_OP_ZERO };

/*
 * [at, at + len) of a demand slot, block by block through the slot's hook: a page
 * nothing was taken for reads as zeros and is left so by ZERO; only WRITE takes blocks.
 * An out-of-memory write returns -ENOMEM with the blocks before it written.
 */
static int gmem_demand(const struct memslots *ms, uint64_t at, uint8_t **dst, const uint8_t **src,
		       size_t len, enum gmem_op op)
{
	while (len) {
		uint64_t blen = 0;
		hpa_t h = hpa(0);
		int err = ms->demand
			      ? ms->demand(ms->demand_ctx, gpa(at), op == GMEM_OP_WRITE, &h, &blen)
			      : -EFAULT;
		size_t step;

		if (err && err != -ENOENT)
			return err;
		step = (size_t)MIN((uint64_t)len, blen);
		if (!step)
			return -EFAULT; /* a hook that moves nothing would loop */
		if (op == GMEM_OP_READ) {
			if (err)
				memset(*dst, 0, step);
			else
				memmove(*dst, hpa_to_va(h), step);
			*dst += step;
		} else if (op == GMEM_OP_WRITE) {
			memmove(hpa_to_va(h), *src, step);
			*src += step;
		} else if (!err) {
			memset(hpa_to_va(h), 0, step);
		}
		at += step;
		len -= step;
	}
	return 0;
}

/*
 * Check the whole range first, then walk it slot by slot: READ copies out to @dst,
 * WRITE copies in from @src, ZERO uses neither.
 */
static int gmem_xfer(const struct memslots *ms, gpa_t a, uint8_t *dst, const uint8_t *src,
		     size_t len, unsigned kinds, enum gmem_op op)
{
	uint64_t at = a.v;

	if (!gmem_covered_right(ms, a, len, kinds, op == GMEM_OP_READ ? REGION_R : REGION_W))
		return -EFAULT;
	while (len) {
		const struct mem_slot *s = memslot_find(ms, gpa(at));
		uint64_t off = at - memslot_gpa(s).v;
		size_t step = (size_t)MIN((uint64_t)len, memslot_size(s) - off);
		uint8_t *va;

		if (memslot_is_demand(s)) {
			int err = gmem_demand(ms, at, &dst, &src, step, op);
			if (err)
				return err;
			at += step;
			len -= step;
			continue;
		}
		va = hpa_to_va(memslot_hpa(s, gpa(at)));
		if (s->kind == REGION_RAM && ms->prepare)
			ms->prepare(ms->prepare_ctx, gpa(at), step);
		if (op == GMEM_OP_READ) {
			memmove(dst, va, step);
			dst += step;
		} else if (op == GMEM_OP_WRITE) {
			memmove(va, src, step);
			src += step;
		} else {
			memset(va, 0, step);
		}
		at += step;
		len -= step;
	}
	return 0;
}

int gmem_read_kinds(const struct memslots *ms, gpa_t a, void *dst, size_t len, unsigned kinds)
{
	return gmem_xfer(ms, a, dst, NULL, len, kinds, GMEM_OP_READ);
}

int gmem_write_kinds(const struct memslots *ms, gpa_t a, const void *src, size_t len,
		     unsigned kinds)
{
	return gmem_xfer(ms, a, NULL, src, len, kinds, GMEM_OP_WRITE);
}

int gmem_zero_kinds(const struct memslots *ms, gpa_t a, size_t len, unsigned kinds)
{
	return gmem_xfer(ms, a, NULL, NULL, len, kinds, GMEM_OP_ZERO);
}

int gmem_read(const struct memslots *ms, gpa_t a, void *dst, size_t len)
{
	return gmem_read_kinds(ms, a, dst, len, GMEM_BACKED | GMEM_RIGHTS);
}

int gmem_write(const struct memslots *ms, gpa_t a, const void *src, size_t len)
{
	return gmem_write_kinds(ms, a, src, len, GMEM_RAM | GMEM_SHARED | GMEM_RIGHTS);
}

int gmem_zero(const struct memslots *ms, gpa_t a, size_t len)
{
	return gmem_zero_kinds(ms, a, len, GMEM_RAM | GMEM_SHARED | GMEM_RIGHTS);
}
