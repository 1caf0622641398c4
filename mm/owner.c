/*
 * Checked ownership transitions and the shared-region registry. Every transition
 * names the owner it expects and fails with -EPERM when the block has another, so
 * a frame cannot be donated twice or taken from the wrong owner. Callers: VM
 * creation/teardown and host tests; page_owner() is the truth for owner_may_map.
 */
#include "mm/owner.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "config/validate.h"

static_assert(OWNER_VM(VALIDATE_MAX_VMS - 1) < OWNER_SHARED_BASE, "one owner tag per VM");

static bool owner_donatable(owner_t o)
{
	return o == OWNER_HYP || OWNER_IS_VM(o);
}

static bool owner_vm_ok(const struct owner_registry *reg, unsigned vm)
{
	return reg->cfg && vm < reg->cfg->nr_vms && OWNER_IS_VM(OWNER_VM(vm));
}

/* Union of the rights with which VM @vm's configuration names shared region @name. */
static bool owner_cfg_names(const struct owner_registry *reg, unsigned vm, const char *name,
			    uint32_t *rights)
{
	const struct vm_config *c = &reg->cfg->vms[vm];
	bool found = false;

	*rights = 0;
	for (unsigned i = 0; i < c->nr_regions; i++) {
		const struct vm_region *r = &c->regions[i];

		if (r->kind != REGION_SHARED || !r->name || strcmp(r->name, name) != 0)
			continue;
		found = true;
		*rights |= r->rights;
	}
	return found;
}

/* Largest size of any region naming @name in the configuration; 0 if none does. */
static uint64_t owner_cfg_size(const struct owner_registry *reg, const char *name)
{
	uint64_t size = 0;

	for (unsigned vm = 0; reg->cfg && vm < reg->cfg->nr_vms; vm++) {
		const struct vm_config *c = &reg->cfg->vms[vm];

		for (unsigned i = 0; i < c->nr_regions; i++) {
			const struct vm_region *r = &c->regions[i];

			if (r->kind == REGION_SHARED && r->name && strcmp(r->name, name) == 0)
				size = MAX(size, MAX(r->size, 1));
		}
	}
	return size;
}

void owner_registry_init(struct owner_registry *reg, const struct hv_config *cfg)
{
	memset(reg, 0, sizeof(*reg));
	reg->cfg = cfg;
}

int owner_donate(struct buddy *b, hpa_t a, unsigned order, owner_t from, owner_t to)
{
	if (!owner_donatable(from) || !owner_donatable(to) || from == to)
		return -EINVAL;
	/* The state check comes first: whatever the block is now, it is not @from's. */
	if (buddy_owner(b, a) != from)
		return -EPERM;
	return buddy_set_owner(b, a, order, from, to);
}

int owner_share_create(struct owner_registry *reg, struct buddy *b, const char *name,
		       unsigned order, hpa_t *out)
{
	struct shared_region *r;
	uint64_t size;
	owner_t tag;
	hpa_t h;
	int err;

	if (!name || !*name || order > BUDDY_MAX_ORDER || !out)
		return -EINVAL;
	if (owner_share_find(reg, name))
		return -EEXIST;
	size = owner_cfg_size(reg, name);
	if (!size)
		return -ENOENT;
	if (size > (PAGE_SIZE << order))
		return -EINVAL;
	if (reg->nr == OWNER_MAX_SHARED)
		return -ENOSPC;
	tag = OWNER_SHARED(reg->nr);
	err = buddy_alloc(b, order, tag, &h);
	if (err)
		return err;
	r = &reg->regions[reg->nr++];
	*r = (struct shared_region){.name = name, .hpa = h, .order = order, .tag = tag};
	*out = h;
	return 0;
}

int owner_share_grant(struct owner_registry *reg, const char *name, unsigned vm, uint32_t rights)
{
	struct shared_region *r = (struct shared_region *)owner_share_find(reg, name);
	uint32_t allowed;

	if (!rights || (rights & ~(uint32_t)REGION_RWX))
		return -EINVAL;
	if (!r)
		return -ENOENT;
	if (!owner_vm_ok(reg, vm) || !owner_cfg_names(reg, vm, name, &allowed) ||
	    (rights & ~allowed))
		return -EPERM;
	if (owner_share_granted(r, vm, NULL))
		return -EEXIST;
	if (r->nr_grants == OWNER_MAX_GRANTS)
		return -ENOSPC;
	r->grants[r->nr_grants++] = (struct shared_grant){vm, rights};
	return 0;
}

const struct shared_region *owner_share_find(const struct owner_registry *reg, const char *name)
{
	for (unsigned i = 0; name && i < reg->nr; i++)
		if (strcmp(reg->regions[i].name, name) == 0)
			return &reg->regions[i];
	return NULL;
}

const struct shared_region *owner_share_by_tag(const struct owner_registry *reg, owner_t tag)
{
	unsigned i = (unsigned)tag - OWNER_SHARED_BASE;

	if (tag < OWNER_SHARED_BASE || i >= reg->nr || i >= OWNER_MAX_SHARED)
		return NULL;
	return &reg->regions[i];
}

bool owner_share_granted(const struct shared_region *r, unsigned vm, uint32_t *rights)
{
	for (unsigned i = 0; i < r->nr_grants; i++) {
		if (r->grants[i].vm != vm)
			continue;
		if (rights)
			*rights = r->grants[i].rights;
		return true;
	}
	return false;
}

bool owner_may_map(const struct owner_registry *reg, unsigned vm, hpa_t a, uint32_t rights)
{
	owner_t o = page_owner(a);
	const struct shared_region *r;
	uint32_t granted;

	if (!owner_vm_ok(reg, vm))
		return false;
	if (o == OWNER_VM(vm))
		return true;
	r = owner_share_by_tag(reg, o);
	return r && owner_share_granted(r, vm, &granted) && !(rights & ~granted);
}

static void owner_drop_grants(struct owner_registry *reg, unsigned vm)
{
	for (unsigned i = 0; i < reg->nr; i++) {
		struct shared_region *r = &reg->regions[i];

		for (unsigned g = 0; g < r->nr_grants;) {
			if (r->grants[g].vm == vm)
				r->grants[g] = r->grants[--r->nr_grants];
			else
				g++;
		}
	}
}

int owner_reclaim(struct owner_registry *reg, struct buddy *b, unsigned vm,
		  const struct owner_block *blocks, unsigned nr)
{
	owner_t o = OWNER_VM(vm);

	if (!owner_vm_ok(reg, vm))
		return -EINVAL;
	/*
	 * Take every block VM -> HYP first: a block not the VM's, of the wrong
	 * order, or listed twice fails here, and the ones taken are given back.
	 */
	for (unsigned i = 0; i < nr; i++) {
		int err = buddy_owner(b, blocks[i].hpa) != o
			      ? -EPERM
			      : buddy_set_owner(b, blocks[i].hpa, blocks[i].order, o, OWNER_HYP);

		if (!err)
			continue;
		while (i--)
			buddy_set_owner(b, blocks[i].hpa, blocks[i].order, OWNER_HYP, o);
		return err;
	}
	/* Now the hypervisor owns them all, as it allocated them: these frees cannot fail. */
	for (unsigned i = 0; i < nr; i++)
		buddy_free(b, blocks[i].hpa, blocks[i].order, OWNER_HYP);
	owner_drop_grants(reg, vm);
	return 0;
}

int owner_describe(owner_t o, char *buf, size_t len)
{
	if (o == OWNER_FREE)
		return ksnprintf(buf, len, "free");
	if (o == OWNER_RESERVED)
		return ksnprintf(buf, len, "reserved");
	if (o == OWNER_HYP)
		return ksnprintf(buf, len, "hypervisor");
	if (OWNER_IS_VM(o))
		return ksnprintf(buf, len, "vm %u", (unsigned)(o - OWNER_VM_BASE));
	if (OWNER_IS_SHARED(o))
		return ksnprintf(buf, len, "shared %u", (unsigned)(o - OWNER_SHARED_BASE));
	return ksnprintf(buf, len, "tag 0x%x", (unsigned)o);
}
