/*
 * The EPT side of dirty logging (docs/ept.md "Dirty logging"): the leaves of a
 * logged range are 4 KiB and either write-protected (the write-protect path: a
 * write is an EPT violation) or writable with the dirty flag clear (the PML
 * path: the CPU logs the first write). Host-buildable; the caller serializes
 * edits (the VM's device lock) and flushes with INVEPT after removing rights.
 */
#ifndef EPT_DIRTY_H
#define EPT_DIRTY_H

#include "ept/ept.h"

/* How a logged page waits for its next write. */
enum ept_dirty_mode {
	EPT_DIRTY_WP,  /* W clear: the write takes an EPT violation */
	EPT_DIRTY_PML, /* W kept, D clear: the CPU logs the write (EPT A/D on) */
};

/*
 * Split every 1 GiB and 2 MiB leaf in [gpa, gpa+size) to 4 KiB leaves and make
 * each 4 KiB leaf there wait for a write (@mode). Ranges with no leaf are left
 * alone. @pre gpa, size 4 KiB aligned; leaves straddling the ends are split too.
 * Returns 0, -EINVAL (range) or -ENOMEM (a split failed: the leaves done so far
 * stay split and protected, every translation unchanged).
 */
int ept_dirty_protect(struct ept *ept, gpa_t gpa, uint64_t size, enum ept_dirty_mode mode);

/*
 * A write reached the 4 KiB leaf of @gpa under the write-protect path: give it
 * W back. Returns 1 (it was protected), 0 (writable already: another vCPU got
 * there first, or the stale translation of a flush in flight), -ENOENT (no
 * 4 KiB leaf there: not a logged page).
 */
int ept_dirty_unprotect(struct ept *ept, gpa_t gpa);

/*
 * Re-protect (@mode) the 4 KiB page base + i * 4 KiB for each bit i set in
 * @bitmap (@npages bits). Pages without a 4 KiB leaf are skipped.
 * Returns how many leaves changed (the caller flushes when > 0).
 */
uint64_t ept_dirty_reprotect(struct ept *ept, gpa_t base, const uint64_t *bitmap, uint64_t npages,
			     enum ept_dirty_mode mode);

/*
 * Logging off: W back on every 4 KiB leaf in [gpa, gpa+size), then each 2 MiB
 * span inside it whose 512 leaves map one aligned 2 MiB block with the same
 * attributes becomes one 2 MiB leaf again (when the EPT allows 2 MiB leaves).
 * @mode says what was cleared. Returns the number of spans merged.
 */
unsigned ept_dirty_restore(struct ept *ept, gpa_t gpa, uint64_t size, enum ept_dirty_mode mode);

/*
 * Map like ept_map, but with 4 KiB leaves only and each page waiting for a
 * write (@mode): RAM mapped on first touch while its region is logged.
 * Returns what ept_map returns.
 */
int ept_dirty_map(struct ept *ept, gpa_t gpa, hpa_t hpa, uint64_t size, uint64_t flags,
		  enum ept_dirty_mode mode);

#endif
