/*
 * Static configuration validator: walks the VMs in order, each VM's own rules first, then its
 * rules against earlier VMs, then the memory total; the first violation becomes one error line.
 * Invariants: never writes err past errlen; reads regions[] only once its count is bounded.
 */
#include <stdarg.h>

#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "config/validate.h"

static_assert(IS_ALIGNED(VALIDATE_BOOT_GPA, PAGE_SIZE), "boot GPA is a page");

#define VM_FLAGS_KNOWN                                                                             \
	(VM_FLAG_PRIVILEGED | VM_FLAG_BACKGROUND | VM_FLAG_EXPECT_FAULT | VM_FLAG_CONSOLE)

#define REGION_FLAGS_KNOWN                                                                         \
	(REGION_F_COALESCED | REGION_F_LOG_DIRTY | REGION_F_DEMAND | REGION_F_DEMAND_4K)

static const char *const kind_names[] = REGION_KIND_NAMES;
static_assert(ARRAY_SIZE(kind_names) == REGION_KIND_COUNT, "a name per region kind");

/* The last value of each enum in config/config.h: move these when it grows. */
#define BOOT_PROTO_LAST BOOT_AUTO
#define VM_POLICY_LAST	VM_POLICY_ROLLBACK

struct vctx {
	const struct hv_config *cfg;
	const struct validate_env *env;
	char *err;
	size_t errlen;
	size_t len; /* characters in err so far, < errlen */
};

const char *region_kind_name(enum region_kind kind)
{
	if ((unsigned)kind >= ARRAY_SIZE(kind_names))
		return "unknown";
	return kind_names[kind];
}

/* ---- error line ---- */

static void err_vadd(struct vctx *c, const char *fmt, va_list ap)
{
	int n;

	if (c->len + 1 >= c->errlen) /* no room, or errlen == 0 */
		return;
	n = kvsnprintf(c->err + c->len, c->errlen - c->len, fmt, ap);
	c->len = MIN(c->len + (size_t)n, c->errlen - 1);
}

__attribute__((format(printf, 2, 3))) static void err_add(struct vctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vadd(c, fmt, ap);
	va_end(ap);
}

/* Names come from the configuration: keep the message one line whatever they hold. */
static int err_done(struct vctx *c, int rc)
{
	for (size_t i = 0; i < c->len; i++)
		if ((unsigned char)c->err[i] < 0x20 || c->err[i] == 0x7f)
			c->err[i] = '?';
	return rc;
}

static bool vm_name_ok(const char *name)
{
	return name && name[0] && strnlen(name, VALIDATE_NAME_MAX) < VALIDATE_NAME_MAX;
}

static void err_vm(struct vctx *c, unsigned vi)
{
	const char *name = c->cfg->vms[vi].name;

	if (vm_name_ok(name))
		err_add(c, "vm \"%s\": ", name);
	else
		err_add(c, "vm %u: ", vi);
}

static bool wraps(uint64_t base, uint64_t size)
{
	return size > UINT64_MAX - base;
}

static void err_region(struct vctx *c, unsigned ri, const struct vm_region *r)
{
	if (wraps(r->gpa, r->size))
		err_add(c, "region %u at 0x%lx size 0x%lx ", ri, r->gpa, r->size);
	else
		err_add(c, "region %u [0x%lx..0x%lx) ", ri, r->gpa, r->gpa + r->size);
}

__attribute__((format(printf, 3, 4))) static int cfg_fail(struct vctx *c, int rc, const char *fmt,
							  ...)
{
	va_list ap;

	if (c->cfg->name && c->cfg->name[0])
		err_add(c, "config \"%s\": ", c->cfg->name);
	else
		err_add(c, "config: ");
	va_start(ap, fmt);
	err_vadd(c, fmt, ap);
	va_end(ap);
	return err_done(c, rc);
}

__attribute__((format(printf, 4, 5))) static int vm_fail(struct vctx *c, unsigned vi, int rc,
							 const char *fmt, ...)
{
	va_list ap;

	err_vm(c, vi);
	va_start(ap, fmt);
	err_vadd(c, fmt, ap);
	va_end(ap);
	return err_done(c, rc);
}

static const struct vm_region *reg(const struct vctx *c, unsigned vi, unsigned ri)
{
	return &c->cfg->vms[vi].regions[ri];
}

__attribute__((format(printf, 5, 6))) static int
region_fail(struct vctx *c, unsigned vi, unsigned ri, int rc, const char *fmt, ...)
{
	va_list ap;

	err_vm(c, vi);
	err_region(c, ri, reg(c, vi, ri));
	va_start(ap, fmt);
	err_vadd(c, fmt, ap);
	va_end(ap);
	return err_done(c, rc);
}

/* ---- helpers ---- */

static bool overlap(uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1)
{
	return a0 < b1 && b0 < a1;
}

static bool is_empty(const char *s)
{
	return !s || !s[0];
}

/* Module names are kept and compared as 31 characters at most (hv/vms.c, config/cmdvm.h). */
static bool module_name_long(const char *name)
{
	return strnlen(name, VALIDATE_MODULE_NAME_MAX) >= VALIDATE_MODULE_NAME_MAX;
}

static bool module_loaded(const struct validate_env *env, const char *name)
{
	for (unsigned i = 0; env->modules && i < env->nr_modules; i++)
		if (env->modules[i] && !strcmp(env->modules[i], name))
			return true;
	return false;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return wraps(a, b) ? UINT64_MAX : a + b;
}

/* ---- configuration and VM ---- */

static int check_config(struct vctx *c)
{
	const struct hv_config *cfg = c->cfg;

	if (is_empty(cfg->name))
		return cfg_fail(c, -EINVAL, "no name");
	if (!cfg->nr_vms)
		return cfg_fail(c, -EINVAL, "no VMs");
	if (!cfg->vms)
		return cfg_fail(c, -EINVAL, "%u VMs but no VM array", cfg->nr_vms);
	if (cfg->nr_vms > VALIDATE_MAX_RUN_VMS) /* hv/vms.c has room for these, no more */
		return cfg_fail(c, -E2BIG, "%u VMs, limit %u", cfg->nr_vms, VALIDATE_MAX_RUN_VMS);
	return 0;
}

static int check_vm_name(struct vctx *c, unsigned vi)
{
	const char *name = c->cfg->vms[vi].name;

	if (is_empty(name))
		return vm_fail(c, vi, -EINVAL, "empty name");
	if (!vm_name_ok(name))
		return vm_fail(c, vi, -EINVAL, "name \"%.16s...\" longer than %u characters", name,
			       VALIDATE_NAME_MAX - 1);
	for (unsigned j = 0; j < vi; j++)
		if (!strcmp(c->cfg->vms[j].name, name))
			return vm_fail(c, vi, -EEXIST, "name used by both vm %u and vm %u", j, vi);
	return 0;
}

/* The VM (@vj < @vi, or @vi itself before vCPU @upto) that already runs on @cpu, or -1. */
static int cpu_taken(const struct vctx *c, unsigned vi, unsigned upto, uint32_t cpu, unsigned *vcpu)
{
	for (unsigned j = 0; j <= vi; j++) {
		const struct vm_config *o = &c->cfg->vms[j];
		unsigned n = j == vi ? upto : vm_cfg_vcpus(o);
		for (unsigned k = 0; k < n; k++)
			if (vm_cfg_cpu(o, k) == cpu) {
				*vcpu = k;
				return (int)j;
			}
	}
	return -1;
}

/*
 * Static partitioning: a physical CPU runs exactly one vCPU of one VM; every CPU
 * named exists; several vCPUs need the PC platform (APs start by INIT and SIPI
 * through their local APIC).
 */
static int check_vm_cpu(struct vctx *c, unsigned vi)
{
	const struct vm_config *vm = &c->cfg->vms[vi];
	unsigned n = vm_cfg_vcpus(vm);

	if (vm->nr_vcpus > VM_MAX_VCPUS)
		return vm_fail(c, vi, -EINVAL, "%u vCPUs: at most %u", vm->nr_vcpus, VM_MAX_VCPUS);
	if (vm->nr_vcpus && vm->cpu && vm->cpu != vm->cpus[0])
		return vm_fail(c, vi, -EINVAL, "cpu %u and cpus[0] %u disagree", vm->cpu,
			       vm->cpus[0]);
	for (unsigned i = 0; i < n; i++) {
		uint32_t cpu = vm_cfg_cpu(vm, i);
		unsigned k;
		int j;

		if (cpu >= c->env->nr_cpus)
			return vm_fail(c, vi, -ENODEV, "cpu %u not present (%u CPUs)", cpu,
				       c->env->nr_cpus);
		j = cpu_taken(c, vi, i, cpu, &k);
		if (j == (int)vi)
			return vm_fail(c, vi, -EBUSY, "cpu %u given twice (vCPUs %u and %u)", cpu,
				       k, i);
		if (j >= 0)
			return vm_fail(c, vi, -EBUSY, "cpu %u already runs vm \"%s\"", cpu,
				       c->cfg->vms[j].name);
	}
	if (n > 1 && vm->platform != VM_PLATFORM_PC)
		return vm_fail(c, vi, -EINVAL,
			       "%u vCPUs need platform=pc (APs start by INIT and SIPI through "
			       "their local APIC)",
			       n);
	return 0;
}

/*
 * A watchdog shorter than a millisecond would fire on one slow log line (about 87 us a
 * character at 115200 baud); one above an hour is a unit mistake. The limits also keep
 * its TSC ticks (vm/tsc.h) within 64 bits at any rate below TSC_HZ_MAX.
 */
static int check_vm_watchdog(struct vctx *c, unsigned vi)
{
	uint64_t us = c->cfg->vms[vi].watchdog_us;

	if (us && us < VALIDATE_WATCHDOG_MIN_US)
		return vm_fail(c, vi, -ERANGE, "watchdog of %lu us, below the minimum of %lu us",
			       us, VALIDATE_WATCHDOG_MIN_US);
	if (us > VALIDATE_WATCHDOG_MAX_US)
		return vm_fail(c, vi, -ERANGE,
			       "watchdog of %lu us, above the limit of %lu us (1 hour)", us,
			       VALIDATE_WATCHDOG_MAX_US);
	return 0;
}

static int check_vm_boot(struct vctx *c, unsigned vi)
{
	const struct vm_config *vm = &c->cfg->vms[vi];

	if ((unsigned)vm->proto > BOOT_PROTO_LAST)
		return vm_fail(c, vi, -EINVAL, "unknown boot protocol %u", vm->proto);
	if ((unsigned)vm->policy > VM_POLICY_LAST)
		return vm_fail(c, vi, -EINVAL, "unknown restart policy %u", vm->policy);
	if (vm->flags & ~VM_FLAGS_KNOWN)
		return vm_fail(c, vi, -EINVAL, "unknown flags 0x%lx",
			       (uint64_t)(vm->flags & ~VM_FLAGS_KNOWN));
	if (is_empty(vm->image))
		return vm_fail(c, vi, -EINVAL, "no guest image");
	if (module_name_long(vm->image))
		return vm_fail(c, vi, -E2BIG,
			       "guest image name \"%.16s...\" longer than %u characters", vm->image,
			       VALIDATE_MODULE_NAME_MAX - 1);
	if (!module_loaded(c->env, vm->image))
		return vm_fail(c, vi, -ENOENT, "guest image \"%s\" is not a boot module",
			       vm->image);
	if (vm->nr_modules > VALIDATE_MAX_GUEST_MODULES || (vm->nr_modules && !vm->modules))
		return vm_fail(c, vi, -E2BIG, "%u guest modules, limit %u", vm->nr_modules,
			       VALIDATE_MAX_GUEST_MODULES);
	for (unsigned i = 0; i < vm->nr_modules; i++)
		if (vm->modules[i] && module_name_long(vm->modules[i]))
			return vm_fail(
			    c, vi, -E2BIG,
			    "guest module %u name \"%.16s...\" longer than %u characters", i,
			    vm->modules[i], VALIDATE_MODULE_NAME_MAX - 1);
	for (unsigned i = 0; i < vm->nr_modules; i++)
		if (is_empty(vm->modules[i]) || !module_loaded(c->env, vm->modules[i]))
			return vm_fail(c, vi, -ENOENT,
				       "guest module %u \"%s\" is not a boot module", i,
				       vm->modules[i] ? vm->modules[i] : "");
	if (vm->cmdline && strnlen(vm->cmdline, VALIDATE_CMDLINE_MAX) >= VALIDATE_CMDLINE_MAX)
		return vm_fail(c, vi, -E2BIG, "cmdline of %zu characters, limit %u",
			       strlen(vm->cmdline), VALIDATE_CMDLINE_MAX - 1);
	return check_vm_watchdog(c, vi);
}

/*
 * Checkpoints (vm/ckpt.h): memory reserved at boot, of at least the VM's RAM mirror and
 * two state slots (validate_ckpt_need_pages); one vCPU; a period within limits. Runs
 * after the regions were checked (their sizes are sane).
 */
static int check_vm_ckpt(struct vctx *c, unsigned vi)
{
	const struct vm_config *vm = &c->cfg->vms[vi];
	uint64_t bytes = vm->checkpoint_bytes, us = vm->checkpoint_period_us, ram = 0, need;

	if (vm->policy == VM_POLICY_ROLLBACK && !bytes)
		return vm_fail(c, vi, -EINVAL, "policy rollback without checkpoint memory");
	if (us && !bytes)
		return vm_fail(c, vi, -EINVAL, "checkpoint period without checkpoint memory");
	if (!bytes)
		return 0;
	if (!IS_ALIGNED(bytes, PAGE_SIZE))
		return vm_fail(c, vi, -EINVAL, "checkpoint memory 0x%lx not 4 KiB aligned", bytes);
	if (vm_cfg_vcpus(vm) > 1)
		return vm_fail(c, vi, -EOPNOTSUPP,
			       "checkpoints of a VM of %u vCPUs are not supported (one only)",
			       vm_cfg_vcpus(vm));
	if (us && us < VALIDATE_CKPT_MIN_PERIOD_US)
		return vm_fail(c, vi, -ERANGE,
			       "checkpoint period of %lu us, below the minimum of %lu us", us,
			       VALIDATE_CKPT_MIN_PERIOD_US);
	if (us > VALIDATE_CKPT_MAX_PERIOD_US)
		return vm_fail(c, vi, -ERANGE,
			       "checkpoint period of %lu us, above the limit of %lu us (1 hour)",
			       us, VALIDATE_CKPT_MAX_PERIOD_US);
	for (unsigned ri = 0; ri < vm->nr_regions; ri++)
		if (reg(c, vi, ri)->kind == REGION_RAM)
			ram = sat_add(ram, reg(c, vi, ri)->size);
	need = validate_ckpt_need_pages(ram / PAGE_SIZE, VALIDATE_CKPT_STATE_PAGES);
	if (bytes / PAGE_SIZE < need)
		return vm_fail(c, vi, -ENOSPC,
			       "checkpoint memory 0x%lx is less than the %lu pages its RAM (0x%lx) "
			       "and state need",
			       bytes, need, ram);
	return 0;
}

/* ---- one region ---- */

static int check_region_shape(struct vctx *c, unsigned vi, unsigned ri)
{
	const struct vm_region *r = reg(c, vi, ri);

	if ((unsigned)r->kind >= REGION_KIND_COUNT)
		return region_fail(c, vi, ri, -EINVAL, "has unknown kind %u", r->kind);
	if (!r->size)
		return region_fail(c, vi, ri, -EINVAL, "has size 0");
	if (!IS_ALIGNED(r->gpa, PAGE_SIZE))
		return region_fail(c, vi, ri, -EINVAL, "gpa not 4 KiB aligned");
	if (!IS_ALIGNED(r->size, PAGE_SIZE))
		return region_fail(c, vi, ri, -EINVAL, "size not 4 KiB aligned");
	if (wraps(r->gpa, r->size))
		return region_fail(c, vi, ri, -ERANGE, "wraps around the address space");
	if (r->gpa + r->size > c->env->max_gpa)
		return region_fail(c, vi, ri, -ERANGE, "ends above the guest physical limit 0x%lx",
				   c->env->max_gpa);
	return 0;
}

/* Demand-faulted RAM (vm/demand.h): RAM only, bounded so its block map stays small. */
static int check_region_demand(struct vctx *c, unsigned vi, unsigned ri)
{
	const struct vm_region *r = reg(c, vi, ri);
	unsigned n = 0;

	if ((r->flags & REGION_F_DEMAND_4K) && !(r->flags & REGION_F_DEMAND))
		return region_fail(c, vi, ri, -EINVAL,
				   "asks for 4 KiB demand blocks but is not demand-faulted");
	if (!(r->flags & REGION_F_DEMAND))
		return 0;
	if (r->kind != REGION_RAM)
		return region_fail(c, vi, ri, -EINVAL, "is %s: only ram can be demand-faulted",
				   region_kind_name(r->kind));
	if (r->flags & REGION_F_LOG_DIRTY) /* the dirty log works on frames a slot holds */
		return region_fail(c, vi, ri, -EINVAL, "is demand-faulted and log-dirty: not both");
	if (r->size > VALIDATE_DEMAND_MAX_SIZE)
		return region_fail(c, vi, ri, -E2BIG, "demand-faulted 0x%lx bytes, limit 0x%lx",
				   r->size, (uint64_t)VALIDATE_DEMAND_MAX_SIZE);
	for (unsigned j = 0; j <= ri; j++)
		n += (reg(c, vi, j)->flags & REGION_F_DEMAND) != 0;
	if (n > VALIDATE_MAX_DEMAND)
		return region_fail(c, vi, ri, -E2BIG, "is demand region number %u, limit %u", n,
				   VALIDATE_MAX_DEMAND);
	return 0;
}

/* Coalesced MMIO (vm/coalesced.h) queues writes for a device model: emulated MMIO only. */
static int check_region_coalesced(struct vctx *c, unsigned vi, unsigned ri)
{
	const struct vm_region *r = reg(c, vi, ri);

	if (!(r->flags & REGION_F_COALESCED))
		return 0;
	if (r->kind != REGION_MMIO_EMUL)
		return region_fail(c, vi, ri, -EINVAL,
				   "is %s: only mmio-emul regions can coalesce writes",
				   region_kind_name(r->kind));
	if (!(r->rights & REGION_W))
		return region_fail(c, vi, ri, -EINVAL, "coalesces writes but is not writable");
	return 0;
}

/*
 * EPT cannot express write without read: such an entry is an EPT misconfiguration (SDM,
 * "EPT Misconfigurations").
 */
static int check_region_rights(struct vctx *c, unsigned vi, unsigned ri)
{
	const struct vm_region *r = reg(c, vi, ri);
	int rc;

	if (!r->rights)
		return region_fail(c, vi, ri, -EINVAL, "has no access rights");
	if (r->rights & ~REGION_RWX)
		return region_fail(c, vi, ri, -EINVAL, "has unknown rights 0x%lx",
				   (uint64_t)(r->rights & ~REGION_RWX));
	if ((r->rights & REGION_W) && !(r->rights & REGION_R))
		return region_fail(c, vi, ri, -EINVAL, "is writable but not readable");
	if (r->kind == REGION_ROM && (r->rights & REGION_W))
		return region_fail(c, vi, ri, -EINVAL, "is rom but writable");
	if (r->flags & ~REGION_FLAGS_KNOWN)
		return region_fail(c, vi, ri, -EINVAL, "has unknown flags 0x%lx",
				   (uint64_t)(r->flags & ~REGION_FLAGS_KNOWN));
	if ((r->flags & REGION_F_LOG_DIRTY) && r->kind != REGION_RAM)
		return region_fail(c, vi, ri, -EINVAL, "is %s: log-dirty is for ram regions only",
				   region_kind_name(r->kind));
	rc = check_region_coalesced(c, vi, ri);
	return rc ? rc : check_region_demand(c, vi, ri);
}

static int check_rom(struct vctx *c, unsigned vi, unsigned ri)
{
	const struct vm_region *r = reg(c, vi, ri);

	if (is_empty(r->name))
		return region_fail(c, vi, ri, -EINVAL, "rom names no module");
	if (module_name_long(r->name))
		return region_fail(c, vi, ri, -E2BIG,
				   "rom module name \"%.16s...\" longer than %u "
				   "characters",
				   r->name, VALIDATE_MODULE_NAME_MAX - 1);
	if (!module_loaded(c->env, r->name))
		return region_fail(c, vi, ri, -ENOENT, "rom module \"%s\" is not a boot module",
				   r->name);
	return 0;
}

static int check_mmio_emul(struct vctx *c, unsigned vi, unsigned ri)
{
	if (is_empty(reg(c, vi, ri)->name))
		return region_fail(c, vi, ri, -EINVAL, "mmio-emul names no device model");
	return 0;
}

static const struct validate_platform lapic_page = {VALIDATE_LAPIC_PAGE,
						    VALIDATE_LAPIC_PAGE + PAGE_SIZE, "local APIC"};

static int pass_covers(struct vctx *c, unsigned vi, unsigned ri, const struct validate_platform *p)
{
	const struct vm_region *r = reg(c, vi, ri);
	uint64_t end = r->hpa + r->size;

	if (!overlap(r->hpa, end, p->start, p->end))
		return 0;
	if (p->end - p->start == PAGE_SIZE)
		return region_fail(c, vi, ri, -EPERM,
				   "passthrough [0x%lx..0x%lx) covers the host's %s at 0x%lx",
				   r->hpa, end, p->what ? p->what : "device", p->start);
	return region_fail(c, vi, ri, -EPERM,
			   "passthrough [0x%lx..0x%lx) covers the host's %s [0x%lx..0x%lx)", r->hpa,
			   end, p->what ? p->what : "device", p->start, p->end);
}

/* Platform hardware and firmware memory stay the hypervisor's: never passed through. */
static int check_pass_platform(struct vctx *c, unsigned vi, unsigned ri)
{
	const struct validate_env *env = c->env;
	int rc = pass_covers(c, vi, ri, &lapic_page);

	for (unsigned i = 0; !rc && env->platform && i < env->nr_platform; i++)
		rc = pass_covers(c, vi, ri, &env->platform[i]);
	return rc;
}

static int check_pass_host(struct vctx *c, unsigned vi, unsigned ri)
{
	const struct vm_region *r = reg(c, vi, ri);
	const struct validate_env *env = c->env;
	uint64_t end = r->hpa + r->size;

	for (unsigned i = 0; env->hv_ranges && i < env->nr_hv_ranges; i++)
		if (overlap(r->hpa, end, env->hv_ranges[i].start, env->hv_ranges[i].end))
			return region_fail(
			    c, vi, ri, -EPERM,
			    "hpa [0x%lx..0x%lx) overlaps the hypervisor [0x%lx..0x%lx)", r->hpa,
			    end, env->hv_ranges[i].start, env->hv_ranges[i].end);
	for (unsigned i = 0; env->ram_ranges && i < env->nr_ram_ranges; i++)
		if (overlap(r->hpa, end, env->ram_ranges[i].start, env->ram_ranges[i].end))
			return region_fail(c, vi, ri, -EPERM,
					   "hpa [0x%lx..0x%lx) overlaps host RAM [0x%lx..0x%lx)",
					   r->hpa, end, env->ram_ranges[i].start,
					   env->ram_ranges[i].end);
	return check_pass_platform(c, vi, ri);
}

/* A device passed through belongs to one VM: no hpa overlap with another VM's passthrough. */
static int check_pass_others(struct vctx *c, unsigned vi, unsigned ri)
{
	const struct vm_region *r = reg(c, vi, ri);

	for (unsigned vj = 0; vj < vi; vj++) {
		for (unsigned rj = 0; rj < c->cfg->vms[vj].nr_regions; rj++) {
			const struct vm_region *o = reg(c, vj, rj);

			if (o->kind != REGION_MMIO_PASS ||
			    !overlap(r->hpa, r->hpa + r->size, o->hpa, o->hpa + o->size))
				continue;
			return region_fail(c, vi, ri, -EBUSY,
					   "hpa [0x%lx..0x%lx) also passed through to vm \"%s\" "
					   "region %u",
					   r->hpa, r->hpa + r->size, c->cfg->vms[vj].name, rj);
		}
	}
	return 0;
}

static int check_mmio_pass(struct vctx *c, unsigned vi, unsigned ri)
{
	const struct vm_region *r = reg(c, vi, ri);
	int rc;

	if (!IS_ALIGNED(r->hpa, PAGE_SIZE))
		return region_fail(c, vi, ri, -EINVAL, "hpa 0x%lx not 4 KiB aligned", r->hpa);
	if (wraps(r->hpa, r->size))
		return region_fail(c, vi, ri, -ERANGE, "hpa 0x%lx wraps around the address space",
				   r->hpa);
	rc = check_pass_host(c, vi, ri);
	return rc ? rc : check_pass_others(c, vi, ri);
}

/* Same name, same frames: every region naming a shared memory must agree on its size. */
static int check_shared(struct vctx *c, unsigned vi, unsigned ri)
{
	const struct vm_region *r = reg(c, vi, ri);

	if (is_empty(r->name))
		return region_fail(c, vi, ri, -EINVAL, "shared region has no name");
	for (unsigned vj = 0; vj <= vi; vj++) {
		unsigned n = vj < vi ? c->cfg->vms[vj].nr_regions : ri;

		for (unsigned rj = 0; rj < n; rj++) {
			const struct vm_region *o = reg(c, vj, rj);

			if (o->kind != REGION_SHARED || strcmp(o->name, r->name) != 0 ||
			    o->size == r->size)
				continue;
			return region_fail(c, vi, ri, -EINVAL,
					   "shared \"%s\" is 0x%lx bytes but vm \"%s\" region %u "
					   "has 0x%lx",
					   r->name, r->size, c->cfg->vms[vj].name, rj, o->size);
		}
	}
	/* The VM builder backs a shared region with one buddy block (hv/vmbuild.c add_shared). */
	if ((r->size & (r->size - 1)) || r->size > (PAGE_SIZE << VALIDATE_BLOCK_MAX_ORDER))
		return region_fail(c, vi, ri, -EINVAL,
				   "shared \"%s\" of 0x%lx bytes is not one buddy block (a power "
				   "of two, at most 0x%lx)",
				   r->name, r->size, PAGE_SIZE << VALIDATE_BLOCK_MAX_ORDER);
	return 0;
}

typedef int (*region_check_fn)(struct vctx *c, unsigned vi, unsigned ri);

static const region_check_fn kind_checks[REGION_KIND_COUNT] = {
    [REGION_ROM] = check_rom,
    [REGION_MMIO_EMUL] = check_mmio_emul,
    [REGION_MMIO_PASS] = check_mmio_pass,
    [REGION_SHARED] = check_shared,
};

static int check_overlaps(struct vctx *c, unsigned vi, unsigned ri)
{
	const struct vm_region *r = reg(c, vi, ri);

	for (unsigned j = 0; j < ri; j++) {
		const struct vm_region *o = reg(c, vi, j);

		if (overlap(r->gpa, r->gpa + r->size, o->gpa, o->gpa + o->size))
			return region_fail(c, vi, ri, -EINVAL, "overlaps region %u [0x%lx..0x%lx)",
					   j, o->gpa, o->gpa + o->size);
	}
	return 0;
}

static int check_region(struct vctx *c, unsigned vi, unsigned ri)
{
	int rc = check_region_shape(c, vi, ri);

	if (!rc)
		rc = check_region_rights(c, vi, ri);
	if (!rc && kind_checks[reg(c, vi, ri)->kind])
		rc = kind_checks[reg(c, vi, ri)->kind](c, vi, ri);
	if (!rc)
		rc = check_overlaps(c, vi, ri);
	return rc;
}

/* ---- one VM's memory map ---- */

static int check_regions(struct vctx *c, unsigned vi)
{
	const struct vm_config *vm = &c->cfg->vms[vi];
	int rc = 0;

	if (!vm->nr_regions)
		return vm_fail(c, vi, -EINVAL, "no memory regions");
	if (!vm->regions)
		return vm_fail(c, vi, -EINVAL, "%u regions but no region array", vm->nr_regions);
	if (vm->nr_regions > VALIDATE_MAX_REGIONS)
		return vm_fail(c, vi, -E2BIG, "%u regions, limit %u", vm->nr_regions,
			       VALIDATE_MAX_REGIONS);
	for (unsigned ri = 0; !rc && ri < vm->nr_regions; ri++)
		rc = check_region(c, vi, ri);
	return rc;
}

/* Buddy blocks a RAM or ROM region takes, as the VM builder splits it; stops past @limit. */
static unsigned region_blocks(const struct vm_region *r, unsigned limit)
{
	uint64_t g = r->gpa >> PAGE_SHIFT, left = r->size >> PAGE_SHIFT;
	unsigned n = 0;

	while (left && n <= limit) {
		unsigned k = validate_block_order(g, left);
		g += 1ULL << k;
		left -= 1ULL << k;
		n++;
	}
	return n;
}

/*
 * The VM's runtime tables, counted as the VM builder fills them: buddy blocks of RAM and
 * ROM (vm->ram[]), memory slots (one per block, one per other region, the PC's two
 * device pages), device instances (one per emulated region, plus the platform's).
 */
static int check_vm_tables(struct vctx *c, unsigned vi)
{
	const struct vm_config *vm = &c->cfg->vms[vi];
	unsigned blocks = 0, slots = vm->platform == VM_PLATFORM_PC ? VALIDATE_PC_SLOTS : 0;
	unsigned devs = VALIDATE_PLATFORM_DEVS;

	for (unsigned ri = 0; ri < vm->nr_regions; ri++) {
		const struct vm_region *r = reg(c, vi, ri);
		bool backed = (r->kind == REGION_RAM && !(r->flags & REGION_F_DEMAND)) ||
			      r->kind == REGION_ROM;
		unsigned n = backed ? region_blocks(r, VALIDATE_MAX_RAM_BLOCKS) : 1;

		blocks += backed ? n : 0;
		slots += n;
		devs += r->kind == REGION_MMIO_EMUL;
		if (blocks > VALIDATE_MAX_RAM_BLOCKS)
			return vm_fail(c, vi, -E2BIG,
				       "RAM and ROM take more than %u buddy blocks by region %u "
				       "(align regions to their size)",
				       VALIDATE_MAX_RAM_BLOCKS, ri);
	}
	if (slots > VALIDATE_MAX_SLOTS)
		return vm_fail(c, vi, -E2BIG, "%u memory slots, limit %u", slots,
			       VALIDATE_MAX_SLOTS);
	if (devs > VALIDATE_MAX_DEVS)
		return vm_fail(
		    c, vi, -E2BIG,
		    "%u emulated devices, limit %u (%u per VM, %u of them the platform's)",
		    devs - VALIDATE_PLATFORM_DEVS, VALIDATE_MAX_DEVS - VALIDATE_PLATFORM_DEVS,
		    VALIDATE_MAX_DEVS, VALIDATE_PLATFORM_DEVS);
	return 0;
}

/* Multiboot kernels load at 1 MiB: the page there must be RAM. */
static int check_boot_ram(struct vctx *c, unsigned vi)
{
	const struct vm_config *vm = &c->cfg->vms[vi];
	bool any = false;

	for (unsigned ri = 0; ri < vm->nr_regions; ri++) {
		const struct vm_region *r = &vm->regions[ri];

		if (r->kind != REGION_RAM)
			continue;
		any = true;
		if (r->gpa <= VALIDATE_BOOT_GPA && VALIDATE_BOOT_GPA < r->gpa + r->size)
			return 0;
	}
	if (!any)
		return vm_fail(c, vi, -EINVAL, "no RAM region");
	return vm_fail(c, vi, -EINVAL, "no RAM region contains GPA 0x%lx (multiboot load address)",
		       (uint64_t)VALIDATE_BOOT_GPA);
}

/* The PC platform's own pages (devices/pc.h): no region may sit on them. */
static const struct {
	uint64_t gpa;
	const char *what;
} pc_pages[] = {{0xfec00000, "IOAPIC"}, {0xfee00000, "local APIC"}};

static int check_platform(struct vctx *c, unsigned vi)
{
	const struct vm_config *vm = &c->cfg->vms[vi];

	if ((unsigned)vm->platform > VM_PLATFORM_PC)
		return vm_fail(c, vi, -EINVAL, "unknown platform %u", vm->platform);
	if (vm->platform != VM_PLATFORM_PC)
		return 0;
	for (unsigned ri = 0; ri < vm->nr_regions; ri++)
		for (unsigned p = 0; p < ARRAY_SIZE(pc_pages); p++)
			if (reg(c, vi, ri)->gpa < pc_pages[p].gpa + PAGE_SIZE &&
			    pc_pages[p].gpa < reg(c, vi, ri)->gpa + reg(c, vi, ri)->size)
				return vm_fail(
				    c, vi, -EEXIST,
				    "region %u [0x%lx..0x%lx) covers the PC platform's %s "
				    "page at 0x%lx",
				    ri, reg(c, vi, ri)->gpa,
				    reg(c, vi, ri)->gpa + reg(c, vi, ri)->size, pc_pages[p].what,
				    pc_pages[p].gpa);
	return 0;
}

/* Doorbells go only to the peers a VM names: other VMs of this configuration. */
static int check_peers(struct vctx *c, unsigned vi)
{
	uint64_t peers = c->cfg->vms[vi].peers;

	if (vi < VM_MAX_PEERS && (peers & BIT(vi)))
		return vm_fail(c, vi, -EINVAL, "peers name the VM itself (vm %u)", vi);
	for (unsigned p = 0; p < VM_MAX_PEERS; p++)
		if ((peers & BIT(p)) && p >= c->cfg->nr_vms)
			return vm_fail(c, vi, -ENOENT,
				       "peers name vm %u, but the configuration has "
				       "%u VM(s)",
				       p, c->cfg->nr_vms);
	return 0;
}

static int check_vm(struct vctx *c, unsigned vi)
{
	int rc = check_vm_name(c, vi);

	if (!rc)
		rc = check_vm_cpu(c, vi);
	if (!rc)
		rc = check_vm_boot(c, vi);
	if (!rc)
		rc = check_regions(c, vi);
	if (!rc)
		rc = check_platform(c, vi);
	if (!rc)
		rc = check_vm_tables(c, vi);
	if (!rc)
		rc = check_boot_ram(c, vi);
	if (!rc)
		rc = check_peers(c, vi);
	if (!rc)
		rc = check_vm_ckpt(c, vi);
	return rc;
}

/* ---- the whole machine ---- */

static bool shared_seen_before(const struct vctx *c, unsigned vi, unsigned ri)
{
	const char *name = reg(c, vi, ri)->name;

	for (unsigned vj = 0; vj <= vi; vj++) {
		unsigned n = vj < vi ? c->cfg->vms[vj].nr_regions : ri;

		for (unsigned rj = 0; rj < n; rj++)
			if (reg(c, vj, rj)->kind == REGION_SHARED &&
			    !strcmp(reg(c, vj, rj)->name, name))
				return true;
	}
	return false;
}

/*
 * What a region takes at build: its size, but a demand region's size is a bound, not a
 * reservation: it takes only the pages of its block map (8 bytes per 2 MiB chunk it
 * touches). Whether its blocks exist is known only at run time (out of memory stops it).
 */
static uint64_t demand_bytes(const struct vm_region *r)
{
	uint64_t chunks, map;

	if (!(r->flags & REGION_F_DEMAND))
		return r->size;
	chunks = (r->gpa + r->size - 1) / (2 * MiB) - r->gpa / (2 * MiB) + 1;
	for (map = PAGE_SIZE; map < chunks * sizeof(uint64_t);)
		map *= 2; /* one buddy block (vm/demand.c demand_add) */
	return map;
}

/*
 * Frames the VM builder will take from the buddy allocator; a shared name counts once, and
 * the owner registry (mm/owner.h) has room for VALIDATE_MAX_SHARED names.
 */
static int check_total(struct vctx *c)
{
	uint64_t sum[REGION_KIND_COUNT] = {0}, total, ckpt = 0;
	unsigned names = 0;

	for (unsigned vi = 0; vi < c->cfg->nr_vms; vi++) {
		for (unsigned ri = 0; ri < c->cfg->vms[vi].nr_regions; ri++) {
			const struct vm_region *r = reg(c, vi, ri);

			if (r->kind == REGION_SHARED && shared_seen_before(c, vi, ri))
				continue;
			if (r->kind == REGION_SHARED && ++names > VALIDATE_MAX_SHARED)
				return vm_fail(c, vi, -E2BIG,
					       "region %u: shared \"%s\" is shared memory number "
					       "%u, limit %u",
					       ri, r->name, names, VALIDATE_MAX_SHARED);
			sum[r->kind] = sat_add(sum[r->kind], demand_bytes(r));
		}
		ckpt = sat_add(ckpt, c->cfg->vms[vi].checkpoint_bytes);
	}
	total =
	    sat_add(sat_add(sat_add(sum[REGION_RAM], sum[REGION_ROM]), sum[REGION_SHARED]), ckpt);
	if (total > c->env->free_bytes && ckpt)
		return cfg_fail(c, -ENOMEM,
				"guest memory 0x%lx (ram 0x%lx + rom 0x%lx + shared 0x%lx + "
				"checkpoints 0x%lx) exceeds free RAM 0x%lx",
				total, sum[REGION_RAM], sum[REGION_ROM], sum[REGION_SHARED], ckpt,
				c->env->free_bytes);
	if (total > c->env->free_bytes)
		return cfg_fail(c, -ENOMEM,
				"guest memory 0x%lx (ram 0x%lx + rom 0x%lx + shared 0x%lx) exceeds "
				"free RAM 0x%lx",
				total, sum[REGION_RAM], sum[REGION_ROM], sum[REGION_SHARED],
				c->env->free_bytes);
	return 0;
}

int vm_config_validate(const struct hv_config *cfg, const struct validate_env *env, char *err,
		       size_t errlen)
{
	struct vctx c = {.cfg = cfg, .env = env, .err = err, .errlen = errlen};
	int rc;

	if (errlen)
		err[0] = '\0';
	if (!cfg || !env) {
		err_add(&c, cfg ? "config: no environment" : "config: none given");
		return err_done(&c, -EINVAL);
	}
	rc = check_config(&c);
	for (unsigned vi = 0; !rc && vi < cfg->nr_vms; vi++)
		rc = check_vm(&c, vi);
	if (!rc)
		rc = check_total(&c);
	return rc;
}
