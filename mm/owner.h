/*
 * Page ownership transitions (pKVM's host_donate_hyp / host_share_guest idea):
 * every change of a block's owner tag is checked against its current state, and
 * shared memory is a registry of named blocks with per-VM grants. No locking;
 * called by VM creation and teardown, read by the EPT audit (ept/audit.c).
 */
#ifndef MM_OWNER_H
#define MM_OWNER_H

#include "lib/types.h"
#include "mm/buddy.h"
#include "mm/page.h"
#include "config/config.h"
#include "config/validate.h"

#define OWNER_MAX_SHARED                                                                           \
	VALIDATE_MAX_SHARED /* shared regions; region i is tagged OWNER_SHARED(i) */
#define OWNER_MAX_GRANTS 16 /* VMs per shared region */
static_assert(OWNER_MAX_GRANTS >= VALIDATE_MAX_RUN_VMS, "every VM of a run may name a region");

static_assert(OWNER_IS_SHARED(OWNER_SHARED(OWNER_MAX_SHARED - 1)), "shared tags fit their range");

struct shared_grant {
	unsigned vm;	 /* index in the hv_config, owner OWNER_VM(vm) */
	uint32_t rights; /* REGION_R/W/X */
};

/*
 * Invariants: tag == OWNER_SHARED(index in the registry); the buddy block
 * [hpa, hpa + 2^order pages) is tagged @tag; no VM appears twice in grants[].
 */
struct shared_region {
	const char *name;
	hpa_t hpa;
	unsigned order;
	owner_t tag;
	struct shared_grant grants[OWNER_MAX_GRANTS];
	unsigned nr_grants;
};

/* The configuration decides which VM may be granted what: regions[] only grow. */
struct owner_registry {
	const struct hv_config *cfg;
	struct shared_region regions[OWNER_MAX_SHARED];
	unsigned nr;
};

/* A block handed back on teardown (same shape as the VM's RAM block list). */
struct owner_block {
	hpa_t hpa;
	unsigned order;
};

/* @pre cfg was validated (config/validate.c) and outlives @reg. */
void owner_registry_init(struct owner_registry *reg, const struct hv_config *cfg);

/*
 * Move the allocated block of @order at @a from @from to @to (HYP -> VM when
 * building a VM, VM -> HYP when tearing it down). @from and @to must differ and
 * each be OWNER_HYP or a VM; shared blocks change hands only through the registry.
 * Returns 0; -EINVAL (bad tags, or @a is not the start of a block of @order);
 * -EPERM (the block's current owner is not @from: e.g. a second donation).
 */
int owner_donate(struct buddy *b, hpa_t a, unsigned order, owner_t from, owner_t to);

/*
 * Allocate a block of @order tagged OWNER_SHARED(index) for the shared region
 * @name, which some VM of the configuration must name, and every region naming
 * it must fit in the block. The frames are not zeroed: the caller scrubs them.
 * @pre @name outlives @reg.
 * Returns 0 and *out; -EINVAL (bad name or order, block too small), -ENOENT
 * (no VM names it), -EEXIST (already created), -ENOSPC (registry full), -ENOMEM.
 */
int owner_share_create(struct owner_registry *reg, struct buddy *b, const char *name,
		       unsigned order, hpa_t *out);

/*
 * Grant VM @vm access with @rights (REGION_R/W/X, non-zero) to the region @name.
 * The VM's configuration must name the region with at least these rights.
 * Returns 0; -EINVAL (bad rights), -ENOENT (no such region), -EPERM (the VM
 * does not name it, or with fewer rights), -EEXIST (already granted), -ENOSPC.
 */
int owner_share_grant(struct owner_registry *reg, const char *name, unsigned vm, uint32_t rights);

/* The region called @name, or NULL. */
const struct shared_region *owner_share_find(const struct owner_registry *reg, const char *name);

/* The region whose tag is @tag, or NULL (not a shared tag, or never created). */
const struct shared_region *owner_share_by_tag(const struct owner_registry *reg, owner_t tag);

/* True and *rights when @r has a grant for @vm; rights may be NULL. */
bool owner_share_granted(const struct shared_region *r, unsigned vm, uint32_t *rights);

/*
 * May VM @vm map the frame at @a with @rights? Its own frames: with any rights;
 * a shared frame: with a grant that includes @rights; anything else: no.
 * Reads the tag through page_owner().
 */
bool owner_may_map(const struct owner_registry *reg, unsigned vm, hpa_t a, uint32_t rights);

/*
 * VM @vm is torn down or restarted: give its @nr blocks back to the allocator and
 * drop its shared grants (the shared blocks stay, for the other VMs). All or
 * nothing for the blocks: each must be an allocated block of its order owned by
 * the VM, listed once; on failure no block changes and no grant is dropped.
 * @pre the VM no longer runs, its EPT is gone and the caller scrubbed the frames.
 * Returns 0, -EINVAL (not a block of that order) or -EPERM (not the VM's).
 */
int owner_reclaim(struct owner_registry *reg, struct buddy *b, unsigned vm,
		  const struct owner_block *blocks, unsigned nr);

/* "free", "reserved", "hypervisor", "vm 3", "shared 1", "tag 0x42" into @buf; returns length. */
int owner_describe(owner_t o, char *buf, size_t len);

#endif
