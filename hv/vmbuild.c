/*
 * VM assembly: build a VM from its validated configuration (RAM from the
 * buddy allocator in the largest aligned blocks, memory slots, EPT, devices on
 * its I/O bus, guest image and boot information, vCPU). Runs on the CPU that
 * will run the VM. Every failure returns -errno with a line naming the VM;
 * nothing half-built runs.
 */
#include "arch/x86/cpu.h"
#include "arch/x86/mm.h"
#include "config/validate.h"
#include "devices/devices.h"
#include "ept/audit.h"
#include "hv/hv.h"
#include "lib/console.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "loader/bootinfo.h"
#include "loader/linux.h"
#include "loader/loader.h"
#include "devices/acpipm.h"
#include "devices/pc.h"
#include "devices/reset.h"
#include "devices/rtc.h"
#include "fw/acpi_build.h"
#include "vmx/caps.h"
#include "vmx/ckpt.h"
#include "vmx/pml.h"
#include "vmx/vcpu.h"

#define GUEST_INFO_GPA	0x10000
#define GUEST_INFO_MAX	0x10000
#define MB2_GUEST_MAGIC 0x36d76289
#define MB1_GUEST_MAGIC 0x2badb002

static const char *const kind_names[] = REGION_KIND_NAMES;

struct owner_registry hv_owners;

static_assert(BUDDY_MAX_ORDER == VALIDATE_BLOCK_MAX_ORDER, "the validator counts our blocks");

/* Largest order whose block fits in @left pages and keeps @g aligned: what the validator counts. */
static unsigned block_order(gfn_t g, uint64_t left)
{
	return validate_block_order(g.v, left);
}

static int add_backed(struct vm *vm, const struct vm_region *r, uint16_t idx, owner_t owner)
{
	gfn_t g = gpa_to_gfn(gpa(r->gpa));
	uint64_t left = r->size >> PAGE_SHIFT;

	while (left) {
		unsigned k = block_order(g, left);
		hpa_t h;
		while (mm_alloc(k, owner, &h)) {
			if (k == 0)
				return -ENOMEM;
			k--;
		}
		if (vm->nr_ram == VM_MAX_RAM_BLOCKS)
			return -ENOSPC;
		vm->ram[vm->nr_ram++] = (struct ram_block){h, k, r->kind == REGION_RAM};
		if (r->kind != REGION_RAM) /* RAM is zeroed on first touch (vm/ramzero.c) */
			memset(hpa_to_va(h), 0, PAGE_SIZE << k);
		struct mem_slot s = {g, 1ULL << k, h, r->kind, r->rights, idx};
		int ret = memslot_add(&vm->slots, &s);
		if (ret)
			return ret;
		g.v += 1ULL << k;
		left -= 1ULL << k;
	}
	return 0;
}

/* A coalesced region's ranges then take the VM's ring (vm/coalesced.h) between guest and device. */
static int add_device(struct vm *vm, const struct vm_region *r, uint16_t idx)
{
	struct mem_slot s = {
	    gpa_to_gfn(gpa(r->gpa)), r->size >> PAGE_SHIFT, hpa(0), r->kind, r->rights, idx};
	int ret = dev_attach(vm, r->name, r);

	if (!ret && (r->flags & REGION_F_COALESCED))
		ret = coalesced_claim(&vm->coal, &vm->bus, r->gpa, r->size);
	return ret ? ret : memslot_add(&vm->slots, &s);
}

/*
 * A shared region is created by the first VM that names it and granted to
 * each VM that names it, with that VM's rights (mm/owner.c checks both).
 */
static int add_shared(struct vm *vm, const struct vm_region *r, uint16_t idx)
{
	const struct shared_region *sr = owner_share_find(&hv_owners, r->name);
	unsigned order = 0;
	hpa_t h;
	int ret;

	while ((PAGE_SIZE << order) < r->size)
		order++;
	if ((PAGE_SIZE << order) != r->size)
		return -EINVAL; /* shared regions are one buddy block */
	if (sr) {
		h = sr->hpa;
	} else {
		ret = owner_share_create(&hv_owners, mm_buddy(), r->name, order, &h);
		if (ret)
			return ret;
		memset(hpa_to_va(h), 0, r->size);
	}
	ret = owner_share_grant(&hv_owners, r->name, vm->id, r->rights);
	if (ret)
		return ret;
	struct mem_slot s = {
	    gpa_to_gfn(gpa(r->gpa)), r->size >> PAGE_SHIFT, h, r->kind, r->rights, idx};
	return memslot_add(&vm->slots, &s);
}

static int add_region(struct vm *vm, const struct vm_region *r, uint16_t idx)
{
	struct mem_slot s = {
	    gpa_to_gfn(gpa(r->gpa)), r->size >> PAGE_SHIFT, hpa(r->hpa), r->kind, r->rights, idx};

	if (r->flags & REGION_F_DEMAND)
		return 0; /* after the EPT is built: add_demand */
	switch (r->kind) {
	case REGION_RAM:
	case REGION_ROM:
		return add_backed(vm, r, idx, vm->owner);
	case REGION_SHARED:
		return add_shared(vm, r, idx);
	case REGION_MMIO_EMUL:
		return add_device(vm, r, idx);
	case REGION_MMIO_PASS:
		return memslot_add(&vm->slots, &s);
	default:
		return -EINVAL;
	}
}

/* Demand blocks come from the buddy allocator, under its lock, as any CPU's. */
static void demand_free_block(hpa_t a, unsigned order, owner_t owner)
{
	page_free(hpa_to_va(a), order, owner);
}

static const struct demand_ops hv_demand_ops = {.alloc = mm_alloc, .free = demand_free_block};

/*
 * A demand region is a slot without frames, added once the EPT is built (ept_build maps
 * backed slots only), so it starts absent from the EPT (vm/demand.c fills it in).
 */
static int add_demand(struct vm *vm)
{
	const struct vm_config *cfg = vm->cfg;

	demand_vm_init(vm, &hv_demand_ops);
	for (unsigned i = 0; i < cfg->nr_regions; i++) {
		const struct vm_region *r = &cfg->regions[i];
		struct mem_slot s = {gpa_to_gfn(gpa(r->gpa)),
				     r->size >> PAGE_SHIFT,
				     hpa(MEMSLOT_HPA_DEMAND),
				     r->kind,
				     r->rights,
				     (uint16_t)i};
		int ret;

		if (!(r->flags & REGION_F_DEMAND))
			continue;
		ret = demand_add(&vm->demand, r->gpa, r->size, r->flags, r->rights, (uint16_t)i);
		if (!ret)
			ret = memslot_add(&vm->slots, &s);
		if (ret) {
			pr_err("vm \"%s\": demand region %u [0x%lx..0x%lx): cannot set up (%d)\n",
			       cfg->name, i, r->gpa, r->gpa + r->size, ret);
			return ret;
		}
	}
	return 0;
}

static const struct mb2_module *find_module(const struct mb2_info *bi, const char *name)
{
	return name ? mb2_find_module(bi, name) : NULL;
}

static int fill_roms(struct vm *vm, const struct mb2_info *bi)
{
	for (unsigned i = 0; i < vm->cfg->nr_regions; i++) {
		const struct vm_region *r = &vm->cfg->regions[i];
		const struct mb2_module *m;
		if (r->kind != REGION_ROM)
			continue;
		m = find_module(bi, r->name);
		if (!m)
			return -ENOENT;
		if (gmem_write_kinds(&vm->slots, gpa(r->gpa), (void *)m->start,
				     MIN(m->end - m->start, r->size), GMEM_ROM))
			return -EFAULT;
	}
	return 0;
}

static void print_lines(const char *prefix, char *text)
{
	for (char *line = text; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		pr_debug("%s%s\n", prefix, line);
		line = nl ? nl + 1 : NULL;
	}
}

static void print_map(const struct vm *vm)
{
	char buf[1024];

	pr_debug("vm \"%s\": guest-physical map (%u slots)\n", vm->cfg->name, vm->slots.nr);
	for (unsigned i = 0; i < vm->cfg->nr_regions; i++) {
		const struct vm_region *r = &vm->cfg->regions[i];
		const struct mem_slot *s = memslot_find(&vm->slots, gpa(r->gpa));
		struct ept_walk_result w = {0};
		int ret = ept_walk(&vm->ept, gpa(r->gpa), &w);
		pr_debug("  [0x%09lx..0x%09lx) %-9s %c%c%c hpa 0x%09lx %s%s%s%s%s\n", r->gpa,
			 r->gpa + r->size, kind_names[r->kind], r->rights & REGION_R ? 'r' : '-',
			 r->rights & REGION_W ? 'w' : '-', r->rights & REGION_X ? 'x' : '-',
			 s && memslot_has_hpa(s) ? s->hpa.v : 0,
			 r->flags & REGION_F_DEMAND	? "demand-faulted"
			 : ret && r->kind == REGION_RAM ? "mapped on first touch"
			 : ret				? "traps"
			 : w.size == GiB		? "first leaf 1G"
			 : w.size == 2 * MiB		? "first leaf 2M"
							: "first leaf 4K",
			 r->name ? " \"" : "", r->name ? r->name : "", r->name ? "\"" : "",
			 r->flags & REGION_F_COALESCED ? ", writes coalesced" : "");
	}
	if (ept_summary(&vm->ept, &vm->slots, buf, sizeof(buf)) >= 0)
		print_lines("  EPT: ", buf);
}

/* Boot modules the configuration passes on: copied page-aligned after the image. */
static int load_modules(struct vm *vm, gpa_t after, struct guest_module *mods)
{
	uint64_t at = ALIGN_UP(after.v, PAGE_SIZE);

	for (unsigned i = 0; i < vm->cfg->nr_modules; i++) {
		const struct mb2_module *m = find_module(vm->boot_info, vm->cfg->modules[i]);
		uint64_t size = m ? m->end - m->start : 0;
		if (!m || gmem_write(&vm->slots, gpa(at), (const void *)m->start, size)) {
			pr_err("vm \"%s\": guest module \"%s\" (%lu bytes) does not fit in RAM at "
			       "0x%lx\n",
			       vm->cfg->name, vm->cfg->modules[i], size, at);
			return -ENOSPC;
		}
		mods[i] = (struct guest_module){gpa(at), size, m->string};
		pr_debug("vm \"%s\": module %u \"%s\" at 0x%lx, %lu bytes\n", vm->cfg->name, i,
			 m->string, at, size);
		at = ALIGN_UP(at + size, PAGE_SIZE);
	}
	return 0;
}

/* ---- Linux: ACPI tables and the 32-bit boot protocol ---- */

#define ACPI_TABLES_GPA 0xe0000ULL /* in the BIOS area a PC's e820 reserves */

/*
 * The PC platform's ACPI tables (fw/acpi_build.c) at ACPI_TABLES_GPA, reported to the
 * loader as ACPI NVS: the FACS is among them, and its memory must never become RAM (so not
 * type 3, which the OS may reclaim). The tables are built in a page of the hypervisor's
 * own, freed after the copy: restarts of two VMs run at once on their CPUs.
 */
static_assert(ACPI_BUILD_MAX <= PAGE_SIZE, "the ACPI tables fit the build page");

static long build_acpi_tables(struct vm *vm, uint64_t *rsdp)
{
	uint8_t *buf;
	uint32_t ids[VM_MAX_VCPUS];
	struct acpi_build_cfg c = {
	    .nr_cpus = vm->nr_vcpus,
	    .apic_ids = ids,
	    .ioapic_id = 0,
	    .ioapic_addr = PC_IOAPIC_BASE,
	    .lapic_addr = PC_LAPIC_BASE,
	    .pm1a_evt = ACPIPM_EVT_BLK,
	    .pm1a_cnt = ACPIPM_CNT_BLK,
	    .pm_tmr = ACPIPM_TMR_BLK,
	    .sci_irq = PC_IRQ_SCI,
	    .reset_port = RESET_PORT_RCR,
	    .reset_value = 0x06, /* full reset (bits 2 and 1) */
	    .rtc_century = RTC_CENTURY,
	    .oem_id = "KESTRL",
	};
	char err[LOADER_ERR_LEN];
	long n;

	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		ids[i] = i; /* the APIC ID CPUID reports (vmx/exit_insn.c) */
	if (acpi_build_check(&c, ACPI_TABLES_GPA, ACPI_BUILD_MAX, err, sizeof(err))) {
		pr_err("vm \"%s\": ACPI tables: %s\n", vm->cfg->name, err);
		return -EINVAL;
	}
	buf = page_alloc(0, OWNER_HYP, NULL);
	if (!buf)
		return -ENOMEM;
	n = acpi_build(&c, ACPI_TABLES_GPA, buf, ACPI_BUILD_MAX, rsdp);
	if (n >= 0 && gmem_write(&vm->slots, gpa(ACPI_TABLES_GPA), buf, (size_t)n))
		n = -EFAULT;
	page_free(buf, 0, OWNER_HYP);
	if (n >= 0)
		pr_debug("vm \"%s\": ACPI tables at 0x%llx, %ld bytes, RSDP at 0x%lx, %u CPUs\n",
			 vm->cfg->name, ACPI_TABLES_GPA, n, *rsdp, vm->nr_vcpus);
	return n;
}

static int build_acpi(struct vm *vm, struct linux_boot *lb)
{
	long n;

	if (vm->cfg->platform != VM_PLATFORM_PC)
		return 0;
	n = build_acpi_tables(vm, &lb->rsdp);
	if (n == -EINVAL || n == -ENOMEM)
		return (int)n;
	if (n < 0) {
		pr_err("vm \"%s\": no RAM for the ACPI tables at 0x%llx (a Linux VM needs RAM "
		       "below 1 MiB)\n",
		       vm->cfg->name, ACPI_TABLES_GPA);
		return -EFAULT;
	}
	lb->reserved[lb->nr_reserved++] =
	    (struct linux_range){ACPI_TABLES_GPA, ALIGN_UP((uint64_t)n, PAGE_SIZE), E820_NVS};
	return 0;
}

/*
 * A multiboot guest on the PC platform finds the same tables where a PC's BIOS leaves
 * the RSDP (the 0xE0000-0xFFFFF scan of the ACPI spec), when its RAM covers them and
 * its image did not load there; otherwise it runs without (one line says why). Their
 * bytes are then taken out of the RAM its memory map reports (@cfg's regions become
 * @split's, the tables' page a reserved entry), so the guest neither reuses them nor
 * counts them as its RAM.
 */
static int build_acpi_mb(struct vm *vm, const struct load_result *lr, struct vm_config *cfg,
			 struct vm_region *split)
{
	uint64_t rsdp = 0, lo = ACPI_TABLES_GPA, hi;
	unsigned n = 0;
	long len;

	if (vm->cfg->platform != VM_PLATFORM_PC)
		return 0;
	if (lr->lo.v < ACPI_TABLES_GPA + ACPI_BUILD_MAX && lr->end.v > ACPI_TABLES_GPA) {
		pr_info("vm \"%s\": image over 0x%llx: no ACPI tables\n", vm->cfg->name,
			ACPI_TABLES_GPA);
		return 0;
	}
	len = build_acpi_tables(vm, &rsdp);
	if (len == -EFAULT)
		pr_info("vm \"%s\": no RAM at 0x%llx: no ACPI tables\n", vm->cfg->name,
			ACPI_TABLES_GPA);
	if (len <= 0)
		return len < 0 && len != -EFAULT ? (int)len : 0;
	hi = lo + ALIGN_UP((uint64_t)len, PAGE_SIZE);
	for (unsigned i = 0; i < cfg->nr_regions; i++) {
		struct vm_region r = cfg->regions[i];
		if (r.kind != REGION_RAM || r.gpa >= hi || r.gpa + r.size <= lo) {
			split[n++] = r;
			continue;
		}
		if (r.gpa < lo)
			split[n++] = (struct vm_region)RAM(r.gpa, lo - r.gpa);
		split[n++] = (struct vm_region)ROM(lo, hi - lo, "acpi"); /* reported reserved */
		if (r.gpa + r.size > hi)
			split[n++] = (struct vm_region)RAM(hi, r.gpa + r.size - hi);
	}
	cfg->regions = split;
	cfg->nr_regions = n;
	return 0;
}

/* A bzImage: the first boot module of the configuration is its initrd. */
static int load_linux(struct vm *vm, const struct mb2_module *m, const char *cmdline)
{
	struct linux_boot lb = {
	    .image = (const void *)m->start, .size = m->end - m->start, .cmdline = cmdline};
	const struct vm_config *cfg = vm->cfg;
	char err[LOADER_ERR_LEN];
	int ret;

	if (cfg->nr_modules > 1) {
		pr_err("vm \"%s\": a Linux kernel takes one boot module, its initrd (%u given)\n",
		       cfg->name, cfg->nr_modules);
		return -EINVAL;
	}
	if (cfg->nr_modules) {
		const struct mb2_module *rd = find_module(vm->boot_info, cfg->modules[0]);
		if (!rd) {
			pr_err("vm \"%s\": initrd module \"%s\" not found\n", cfg->name,
			       cfg->modules[0]);
			return -ENOENT;
		}
		lb.initrd = (const void *)rd->start;
		lb.initrd_size = rd->end - rd->start;
	}
	ret = build_acpi(vm, &lb);
	if (ret)
		return ret;
	ret = linux_load(&vm->slots, cfg, &lb, err, sizeof(err));
	if (ret) {
		pr_err("vm \"%s\": guest image \"%s\": %s\n", cfg->name, cfg->image, err);
		return ret;
	}
	pr_info("vm \"%s\": loaded \"%s\" (bzImage, boot protocol %u.%02u) [0x%lx..0x%lx) entry "
		"0x%lx, initrd %lu bytes at 0x%lx, zero page 0x%lx (%u e820 entries), cmdline "
		"\"%s\"\n",
		cfg->name, cfg->image, lb.version >> 8, lb.version & 0xff, lb.kernel_lo,
		lb.kernel_end, lb.entry, (uint64_t)lb.initrd_size, lb.initrd_gpa, lb.zero_page,
		lb.nr_e820, cmdline);
	if (lb.rsdp_dropped)
		pr_info("vm \"%s\": boot protocol older than 2.14: no acpi_rsdp_addr\n", cfg->name);
	return vcpu_setup(&vm->vcpus[0], &(struct vcpu_boot){
					     .entry = lb.entry,
					     .cs = LINUX_BOOT_CS,
					     .ds = LINUX_BOOT_DS,
					     .gdt_base = lb.gdt_base,
					     .gdt_limit = lb.gdt_limit,
					     .rsi = lb.zero_page,
					 });
}

/*
 * The boot information goes at GUEST_INFO_GPA unless the image or a module is there
 * (loader/bootinfo.c finds another place); its size comes from a dry run.
 */
static int place_info(struct vm *vm, const struct vm_config *cfg, const struct load_result *lr,
		      const struct guest_module *mods, gpa_t *at)
{
	struct gpa_span busy[VALIDATE_MAX_GUEST_MODULES + 1] = {{lr->lo.v, lr->end.v}};
	uint32_t size = 0;

	for (unsigned i = 0; i < cfg->nr_modules; i++)
		busy[i + 1] = (struct gpa_span){mods[i].start.v, mods[i].start.v + mods[i].size};
	if (cfg->proto == BOOT_MULTIBOOT1)
		bootinfo_mb1(&vm->slots, gpa(GUEST_INFO_GPA), 0, cfg, mods, cfg->nr_modules, &size);
	else
		bootinfo_mb2(&vm->slots, gpa(GUEST_INFO_GPA), 0, cfg, mods, cfg->nr_modules, &size);
	if (size > GUEST_INFO_MAX ||
	    bootinfo_place(cfg, busy, cfg->nr_modules + 1, size, GUEST_INFO_GPA, at)) {
		pr_err("vm \"%s\": no room for the boot information (%u bytes): no RAM below 4 GiB "
		       "clear of the image [0x%lx..0x%lx) and the modules\n",
		       cfg->name, size, lr->lo.v, lr->end.v);
		return -ENOSPC;
	}
	return 0;
}

int vm_load_guest(struct vm *vm)
{
	struct guest_module mods[VALIDATE_MAX_GUEST_MODULES];
	const struct mb2_module *m = find_module(vm->boot_info, vm->cfg->image);
	const char *extra = vm->extra_args ? vm->extra_args : "";
	char cmdline[VALIDATE_CMDLINE_MAX + HV_GUESTARGS_MAX]; /* per call: VMs restart at once */
	struct vm_region split[VALIDATE_MAX_REGIONS + 2];      /* one RAM region split in three */
	struct vm_config cfg = *vm->cfg;
	char err[LOADER_ERR_LEN];
	struct load_result lr;
	uint32_t size;
	gpa_t info;
	int ret;

	if (!m) {
		pr_err("vm \"%s\": guest image module \"%s\" not found\n", cfg.name, cfg.image);
		return -ENOENT;
	}
	ksnprintf(cmdline, sizeof(cmdline), "%s%s%s", cfg.cmdline ? cfg.cmdline : "",
		  cfg.cmdline && cfg.cmdline[0] && extra[0] ? " " : "", extra);
	if (cfg.proto == BOOT_LINUX ||
	    (cfg.proto == BOOT_AUTO &&
	     loader_detect_proto((const void *)m->start, m->end - m->start) == BOOT_LINUX))
		return load_linux(vm, m, cmdline);
	ret = loader_load_image(&vm->slots, cfg.proto, (const void *)m->start, m->end - m->start,
				&lr, err, sizeof(err));
	if (ret) {
		pr_err("vm \"%s\": guest image \"%s\": %s\n", cfg.name, cfg.image, err);
		return ret;
	}
	cfg.cmdline = cmdline;
	ret = load_modules(vm, lr.end, mods);
	if (!ret)
		ret = build_acpi_mb(vm, &lr, &cfg, split);
	if (ret)
		return ret;
	cfg.proto = lr.proto;
	ret = place_info(vm, &cfg, &lr, mods, &info);
	if (ret)
		return ret;
	ret =
	    cfg.proto == BOOT_MULTIBOOT1
		? bootinfo_mb1(&vm->slots, info, GUEST_INFO_MAX, &cfg, mods, cfg.nr_modules, &size)
		: bootinfo_mb2(&vm->slots, info, GUEST_INFO_MAX, &cfg, mods, cfg.nr_modules, &size);
	if (ret) {
		pr_err("vm \"%s\": cannot build the boot information (%d)\n", cfg.name, ret);
		return ret;
	}
	pr_info("vm \"%s\": loaded \"%s\" [0x%lx..0x%lx) entry 0x%lx, %s info at 0x%x, cmdline "
		"\"%s\"\n",
		cfg.name, cfg.image, lr.lo.v, lr.end.v, lr.entry,
		cfg.proto == BOOT_MULTIBOOT1 ? "multiboot" : "multiboot2", (unsigned)info.v,
		cmdline);
	return vcpu_setup(&vm->vcpus[0], &(struct vcpu_boot){
					     .entry = lr.entry,
					     .cs = 0x08,
					     .ds = 0x10,
					     .gdt_limit = 0xffff,
					     .rax = cfg.proto == BOOT_MULTIBOOT1 ? MB1_GUEST_MAGIC
										 : MB2_GUEST_MAGIC,
					     .rbx = info.v,
					 });
}

static int build_memory(struct vm *vm)
{
	const struct vm_config *cfg = vm->cfg;
	int ret = 0;

	for (unsigned i = 0; !ret && i < cfg->nr_regions; i++) {
		ret = add_region(vm, &cfg->regions[i], (uint16_t)i);
		if (ret)
			pr_err("vm \"%s\": region %u [0x%lx..0x%lx) %s: cannot set up (%d)\n",
			       cfg->name, i, cfg->regions[i].gpa,
			       cfg->regions[i].gpa + cfg->regions[i].size,
			       kind_names[cfg->regions[i].kind], ret);
	}
	if (!ret)
		ret = ept_init(&vm->ept, vm->owner, vmx_caps.ept_1g, vmx_caps.ept_2m);
	if (!ret)
		ret = ept_build(&vm->ept, &vm->slots);
	if (ret)
		pr_err("vm \"%s\": cannot build its EPT (%d)\n", cfg->name, ret);
	/* The build checked the RAM's ownership; its leaves wait for the first touch. */
	if (!ret)
		ret = ramzero_init(vm);
	if (!ret)
		ramzero_reset(vm);
	if (!ret)
		ret = add_demand(vm);
	if (!ret) /* after the reset: REGION_F_LOG_DIRTY regions log from the first write */
		ret = vm_dirty_init(vm, vmx_dirty_mode(vm));
	/* PML logs as the CPU sets EPT dirty flags: A/D on for that VM only. */
	vm->hw.eptp = ept_eptp(&vm->ept, vm->dirty.mode == EPT_DIRTY_PML);
	return ret;
}

int vm_create(struct vm *vm, const struct vm_config *cfg, unsigned id, const struct mb2_info *bi,
	      const char *extra)
{
	int ret = vm_init(vm, cfg, id, &vmx_vcpu_ops);

	vm->tsc_hz = hv_tsc_hz;
	vm->maxphyaddr = cpuid(0x80000008, 0).eax & 0xff; /* guests see the host's leaf */
	vm->boot_info = bi;
	vm->extra_args = extra;
	if (!ret)
		ret = build_memory(vm);
	if (!ret)
		ret = dev_attach_platform(vm);
	if (!ret)
		ret = ckpt_init(vm, &vmx_ckpt_arch); /* sized by the devices' state blocks */
	if (!ret)
		ret = fill_roms(vm, bi);
	if (!ret)
		ret = vmx_vm_init(vm);
	if (!ret)
		print_map(vm);
	if (!ret)
		ret = vm_load_guest(vm);
	if (!ret)
		ret = vm_register(vm);
	vm->state = ret ? VM_STOPPED : VM_RUNNING;
	return ret;
}

static void audit_report(void *ctx, const struct audit_violation *v)
{
	char line[160];

	audit_format(v, line, sizeof(line));
	pr_err("%s\n", line);
}

int vm_audit(const struct vm *vm)
{
	struct audit_stats st;
	int n = ept_audit(&vm->ept, vm->id, &hv_owners, audit_report, NULL, &st);

	/* A clean audit is detail; a violation is an error line of its own (audit_report). */
	printk(
	    n ? LOG_ERR : LOG_DEBUG,
	    "audit: vm \"%s\": %lu 4K frames in %lu+%lu+%lu leaves (4K+2M+1G), %lu MMIO markers, "
	    "%d violation(s)\n",
	    vm->cfg->name, st.frames, st.leaves[EPT_LEAF_4K], st.leaves[EPT_LEAF_2M],
	    st.leaves[EPT_LEAF_1G], st.mmio_markers, n);
	return n;
}
