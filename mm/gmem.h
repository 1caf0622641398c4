/*
 * Guest memory accessor: byte access to a VM's guest-physical memory through its memslots.
 * Invariant: nothing is read or written unless every byte of the range lies in slots of the
 * allowed kinds; MMIO slots are never touched. Called by the loader, bootinfo, exit handlers.
 */
#ifndef VM_GMEM_H
#define VM_GMEM_H

#include "lib/types.h"
#include "config/config.h"
#include "mm/memslot.h"

/* Slot kinds an access may touch (@kinds below). MMIO slots are never touched. */
#define GMEM_RAM    (1u << REGION_RAM)
#define GMEM_ROM    (1u << REGION_ROM)
#define GMEM_SHARED (1u << REGION_SHARED)
#define GMEM_BACKED (GMEM_RAM | GMEM_ROM | GMEM_SHARED)
/* Also demand the slot's REGION_R (reads) or REGION_W (writes), as a guest access would. */
#define GMEM_RIGHTS (1u << 16)

/* True when every byte of [a, a + len) lies in slots of @kinds (true for len 0);
 * with GMEM_RIGHTS, in readable ones. */
bool gmem_covered(const struct memslots *ms, gpa_t a, uint64_t len, unsigned kinds);

/*
 * Copy between guest memory and a host buffer, or zero guest memory, across slot
 * boundaries. Returns 0, or -EFAULT with nothing copied when some byte of [a, a + len)
 * is outside slots of @kinds (or the range wraps). Demand-faulted RAM (MEMSLOT_F_DEMAND)
 * goes through its slot hook: untouched pages read as zeros, a write takes blocks, and
 * -ENOMEM then means the buddy had none (what came before is written). The loader passes GMEM_RAM | GMEM_ROM
 * to fill ROM; hypercall handlers pass GMEM_RAM | GMEM_SHARED | GMEM_RIGHTS.
 */
int gmem_read_kinds(const struct memslots *ms, gpa_t a, void *dst, size_t len, unsigned kinds);
int gmem_write_kinds(const struct memslots *ms, gpa_t a, const void *src, size_t len,
		     unsigned kinds);
int gmem_zero_kinds(const struct memslots *ms, gpa_t a, size_t len, unsigned kinds);

/* As the guest could: reads see RAM, ROM, shared; writes RAM, shared; slot rights apply. */
int gmem_read(const struct memslots *ms, gpa_t a, void *dst, size_t len);
int gmem_write(const struct memslots *ms, gpa_t a, const void *src, size_t len);
int gmem_zero(const struct memslots *ms, gpa_t a, size_t len);

#endif
