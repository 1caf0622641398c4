/*
 * libFuzzer target for config/validate.c: builds a small configuration and machine from the input,
 * validates it, and compares the verdict with an independent re-statement of every rule
 * (sorting for overlaps, 128-bit sums, a name set for shared memory). Aborts on disagreement,
 * on an error text that is not exactly one NUL-terminated line, or on a write past errlen.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/errno.h"
#include "config/validate.h"

#define MAX_VMS	    4 /* the hypervisor runs 4 VMs at most: one more is refused */
#define MAX_REGIONS (VALIDATE_MAX_REGIONS + 1)

struct rd {
	const uint8_t *p;
	size_t n;
};

static unsigned u8(struct rd *r)
{
	if (!r->n)
		return 0;
	r->n--;
	return *r->p++;
}

static uint64_t u64(struct rd *r)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | u8(r);
	return v;
}

/* Addresses and sizes: mostly small and page-ish so regions meet, sometimes anything. */
static uint64_t val(struct rd *r)
{
	switch (u8(r) % 6) {
	case 0:
		return (uint64_t)u8(r) * 0x1000;
	case 1:
		return (uint64_t)(u8(r) << 8 | u8(r)) * 0x100;
	case 2:
		return u64(r);
	case 3:
		return UINT64_MAX - (uint64_t)u8(r) * 0x1000 + 1;
	case 4:
		return 0xff000 + (uint64_t)u8(r) * 0x1000;
	default:
		return BIT(48) - (uint64_t)u8(r) * 0x1000;
	}
}

#define PICK(r, pool) ((pool)[u8(r) % (sizeof(pool) / sizeof((pool)[0]))])

static char cmd255[256], cmd256[257];
static const char *const cfg_names[] = {"demo", "demo", NULL, ""};
static const char *const vm_names[] = {
    "a",
    "b",
    "rt0",
    "",
    NULL,
    "x\ny",
    "abcdefghijklmnopqrstuvwxyz0123456789abcd",
    "abcdefghijklmnopqrstuvwxyz01234",
};
#define LONG_MODULE "a-module-name-of-32-characters.e" /* one more than a config may name */
static const char *const modules[] = {"rt0.elf", "linux.elf", "bios.bin",
				      NULL,	 "ring",      LONG_MODULE};
static const char *const images[] = {"rt0.elf", "linux.elf", "missing.elf", "", NULL, LONG_MODULE};
static const char *const cmdlines[] = {NULL, "", "console=com1", cmd255, cmd256};
static const char *const region_names[] = {"ring", "bios.bin", "lapic",	   NULL,
					   "",	   "q\x7f",    LONG_MODULE};
static const struct validate_range host_ranges[] = {
    {0x0, 0x9f000},	      {0x100000, 0x40000000},	 {0x1000000, 0x1400000},
    {0xfebf0000, 0xfec00000}, {0xfffff000, 0x100000000},
};

struct world {
	struct hv_config cfg;
	struct vm_config vms[MAX_VMS];
	struct vm_region regs[MAX_VMS][MAX_REGIONS];
	struct validate_env env;
	const char *mods[4];
	struct validate_range hv[2], ram[2];
	struct validate_platform plat[2];
};

static void build_region(struct rd *r, struct vm_region *g)
{
	g->kind = (enum region_kind)(u8(r) % (REGION_KIND_COUNT + 1));
	g->rights = u8(r) % 16;
	g->gpa = val(r);
	g->size = val(r);
	g->hpa = val(r);
	g->name = PICK(r, region_names);
	g->flags = u8(r) % 8 == 0   ? REGION_F_COALESCED
		   : u8(r) % 8 == 0 ? REGION_F_LOG_DIRTY
		   : u8(r) % 4 == 0 ? u8(r) % 16 /* demand (bits 0, 3), the others, unknown */
				    : 0;
}

static void build_vm(struct rd *r, struct world *w, unsigned vi)
{
	struct vm_config *vm = &w->vms[vi];
	unsigned n = u8(r) % 8;

	vm->name = PICK(r, vm_names);
	vm->cpu = u8(r) % 6;
	if (u8(r) % 4 == 0) { /* cpus[] named: one vCPU (several need the PC platform) */
		vm->nr_vcpus = 1 + u8(r) % 2;
		vm->cpus[0] = u8(r) % 6;
		vm->cpus[1] = u8(r) % 6;
		vm->cpu = u8(r) % 2 ? vm->cpus[0] : u8(r) % 6;
	}
	vm->proto = (enum boot_proto)(u8(r) % 5);
	vm->policy = (enum vm_policy)(u8(r) % 4);
	vm->flags = u8(r) % 16;
	vm->image = PICK(r, images);
	vm->cmdline = PICK(r, cmdlines);
	vm->peers = u8(r) % 16 ? u8(r) % 16 : BIT(63);
	vm->platform = (enum vm_platform)(u8(r) % 2);
	vm->checkpoint_bytes = u8(r) % 2 ? val(r) : 0;
	vm->checkpoint_period_us = u8(r) % 4 == 0 ? val(r) : 0;
	vm->nr_regions = n == 7 ? MAX_REGIONS : n;
	vm->regions = u8(r) == 0xff ? NULL : w->regs[vi];
	for (unsigned i = 0; i < vm->nr_regions; i++)
		build_region(r, &w->regs[vi][i]);
}

static void build_env(struct rd *r, struct world *w)
{
	static const uint64_t widths[] = {BIT(48), BIT(32), BIT(36), 0};
	struct validate_env *e = &w->env;

	e->free_bytes = val(r);
	e->nr_cpus = u8(r) % 6;
	e->max_gpa = PICK(r, widths);
	if (!e->max_gpa)
		e->max_gpa = val(r);
	e->nr_modules = u8(r) % 5;
	for (unsigned i = 0; i < e->nr_modules; i++)
		w->mods[i] = PICK(r, modules);
	e->modules = w->mods;
	e->nr_hv_ranges = u8(r) % 3;
	e->nr_ram_ranges = u8(r) % 3;
	for (unsigned i = 0; i < 2; i++) {
		w->hv[i] = PICK(r, host_ranges);
		w->ram[i] = PICK(r, host_ranges);
	}
	e->hv_ranges = w->hv;
	e->ram_ranges = w->ram;
	e->nr_platform = u8(r) % 3;
	for (unsigned i = 0; i < 2; i++) {
		struct validate_range h = PICK(r, host_ranges);

		w->plat[i] = (struct validate_platform){h.start, h.end, i ? "IOAPIC" : NULL};
	}
	e->platform = w->plat;
}

static void build(struct rd *r, struct world *w)
{
	unsigned n = u8(r) % 7;

	memset(w, 0, sizeof(*w));
	build_env(r, w);
	w->cfg.name = PICK(r, cfg_names);
	w->cfg.nr_vms = n == 5 ? VALIDATE_MAX_VMS + 1 : n == 6 ? MAX_VMS + 1 : n;
	w->cfg.vms = u8(r) == 0xff ? NULL : w->vms;
	for (unsigned i = 0; i < w->cfg.nr_vms && i < MAX_VMS; i++)
		build_vm(r, w, i);
}

static unsigned __int128 guest_sum(const struct world *w);

/* Sometimes put free RAM right at the configuration's need, to probe the boundary. */
static void tune_free(struct rd *r, struct world *w)
{
	unsigned __int128 need = guest_sum(w);
	unsigned mode = u8(r) % 4;

	if (mode == 3 || need > UINT64_MAX || need < 0x1000)
		return;
	w->env.free_bytes = (uint64_t)need + 0x1000 - mode * 0x1000;
}

/* ---- the oracle: every rule again, written another way ---- */

static int filled(const char *s)
{
	return s && *s;
}

static int loaded(const struct validate_env *e, const char *s)
{
	for (unsigned i = 0; i < e->nr_modules; i++)
		if (e->modules[i] && strcmp(e->modules[i], s) == 0)
			return 1;
	return 0;
}

static int disjoint(uint64_t s0, uint64_t e0, uint64_t s1, uint64_t e1)
{
	return e0 <= s1 || e1 <= s0;
}

static int region_ok(const struct validate_env *e, const struct vm_region *g)
{
	uint64_t end;

	if ((unsigned)g->kind >= REGION_KIND_COUNT || g->size == 0 || g->gpa % 4096 ||
	    g->size % 4096 || __builtin_add_overflow(g->gpa, g->size, &end) || end > e->max_gpa)
		return 0;
	if (g->rights < 1 || g->rights > 7 || g->rights == REGION_W ||
	    g->rights == (REGION_W | REGION_X))
		return 0;
	if ((g->flags & REGION_F_COALESCED) &&
	    (g->kind != REGION_MMIO_EMUL || !(g->rights & REGION_W)))
		return 0; /* coalesced writes: a writable emulated-MMIO region's alone */
	if ((g->flags & REGION_F_LOG_DIRTY) && g->kind != REGION_RAM)
		return 0; /* dirty logging: RAM only (vm/dirty.c) */
	if (g->flags & ~(uint32_t)(BIT(0) | BIT(1) | BIT(2) | BIT(3)))
		return 0; /* unknown flags */
	if ((g->flags & (BIT(0) | BIT(3))) &&
	    (!(g->flags & BIT(0)) || g->kind != REGION_RAM || g->size > 64 * GiB ||
	     (g->flags & REGION_F_LOG_DIRTY)))
		return 0; /* demand-faulted RAM: RAM only, 64 GiB at most, not logging dirty pages */
	switch (g->kind) {
	case REGION_ROM:
		return !(g->rights & REGION_W) && filled(g->name) && strlen(g->name) <= 31 &&
		       loaded(e, g->name);
	case REGION_MMIO_EMUL:
		return filled(g->name);
	case REGION_SHARED: /* one buddy block: a power of two up to 1 GiB */
		return filled(g->name) && __builtin_popcountll(g->size) == 1 && g->size <= GiB;
	case REGION_MMIO_PASS:
		break;
	default:
		return 1;
	}
	if (g->hpa % 4096 || __builtin_add_overflow(g->hpa, g->size, &end))
		return 0;
	for (unsigned i = 0; i < e->nr_hv_ranges; i++)
		if (!disjoint(g->hpa, end, e->hv_ranges[i].start, e->hv_ranges[i].end))
			return 0;
	for (unsigned i = 0; i < e->nr_ram_ranges; i++)
		if (!disjoint(g->hpa, end, e->ram_ranges[i].start, e->ram_ranges[i].end))
			return 0;
	if (!disjoint(g->hpa, end, VALIDATE_LAPIC_PAGE, VALIDATE_LAPIC_PAGE + 4096))
		return 0;
	for (unsigned i = 0; i < e->nr_platform; i++)
		if (!disjoint(g->hpa, end, e->platform[i].start, e->platform[i].end))
			return 0;
	return 1;
}

/* Sort by gpa, then each region must end before the next begins. */
static int map_disjoint(const struct vm_config *vm)
{
	const struct vm_region *s[MAX_REGIONS];
	unsigned n = vm->nr_regions;

	for (unsigned i = 0; i < n; i++) {
		unsigned j = i;

		for (; j > 0 && s[j - 1]->gpa > vm->regions[i].gpa; j--)
			s[j] = s[j - 1];
		s[j] = &vm->regions[i];
	}
	for (unsigned i = 0; i + 1 < n; i++)
		if (s[i]->gpa + s[i]->size > s[i + 1]->gpa)
			return 0;
	return 1;
}

static int boots(const struct vm_config *vm)
{
	for (unsigned i = 0; i < vm->nr_regions; i++) {
		const struct vm_region *g = &vm->regions[i];

		if (g->kind == REGION_RAM && g->gpa <= 0x100000 && 0x100000 - g->gpa < g->size)
			return 1;
	}
	return 0;
}

/* Blocks as the builder cuts them: each as large as the frame's alignment and the rest allow. */
static unsigned blocks_of(const struct vm_region *g)
{
	uint64_t gfn = g->gpa / 4096, left = g->size / 4096;
	unsigned n = 0;

	while (left && n < 100) {
		unsigned k = gfn ? (unsigned)__builtin_ctzll(gfn) : 63;
		unsigned fit = 63 - (unsigned)__builtin_clzll(left);

		k = k < fit ? k : fit;
		k = k < 18 ? k : 18;
		gfn += 1ULL << k;
		left -= 1ULL << k;
		n++;
	}
	return n;
}

/* At most 64 RAM/ROM blocks, 64 memory slots, 8 devices (2 of them the platform's). */
static int tables_ok(const struct vm_config *vm)
{
	unsigned blocks = 0, slots = vm->platform == VM_PLATFORM_PC ? 2 : 0, devs = 2;

	for (unsigned i = 0; i < vm->nr_regions; i++) {
		const struct vm_region *g = &vm->regions[i];

		if ((g->kind == REGION_RAM && !(g->flags & BIT(0))) || g->kind == REGION_ROM) {
			unsigned b = blocks_of(g);
			blocks += b;
			slots += b;
		} else {
			slots++;
		}
		devs += g->kind == REGION_MMIO_EMUL;
	}
	return blocks <= 64 && slots <= 64 && devs <= 8;
}

/* A PC VM's LAPIC and IOAPIC pages are the platform's. */
static int pc_pages_free(const struct vm_config *vm)
{
	for (unsigned i = 0; vm->platform == VM_PLATFORM_PC && i < vm->nr_regions; i++) {
		const struct vm_region *g = &vm->regions[i];

		if (!disjoint(g->gpa, g->gpa + g->size, 0xfec00000, 0xfec01000) ||
		    !disjoint(g->gpa, g->gpa + g->size, 0xfee00000, 0xfee01000))
			return 0;
	}
	return 1;
}

/*
 * Checkpoints: rollback and a period need memory; memory is page-aligned and holds, in
 * pages, two bitmaps of a bit per RAM page, one of a bit per 2 MiB of RAM, the RAM itself
 * and two 64-page state slots; a period lies in [10 ms, 1 hour].
 */
static int ckpt_ok(const struct vm_config *vm)
{
	unsigned __int128 ram = 0, pages, need;

	if (!vm->checkpoint_bytes)
		return vm->policy != VM_POLICY_ROLLBACK && !vm->checkpoint_period_us;
	if (vm->checkpoint_bytes % 4096)
		return 0;
	if (vm->checkpoint_period_us &&
	    (vm->checkpoint_period_us < 10000 || vm->checkpoint_period_us > 3600000000ULL))
		return 0;
	for (unsigned i = 0; i < vm->nr_regions; i++)
		if (vm->regions[i].kind == REGION_RAM)
			ram += vm->regions[i].size;
	pages = ram / 4096;
	need =
	    pages + 2 * 64 + 2 * ((pages + 32767) / 32768) + ((pages + 511) / 512 + 32767) / 32768;
	return vm->checkpoint_bytes / 4096 >= need;
}

static int vm_ok(const struct world *w, unsigned vi)
{
	const struct vm_config *vm = &w->vms[vi];

	uint32_t cpu = vm->nr_vcpus ? vm->cpus[0] : vm->cpu;
	unsigned demand = 0;

	if (!filled(vm->name) || strlen(vm->name) > 31 || cpu >= w->env.nr_cpus)
		return 0;
	if (vm->nr_vcpus > 1 || (vm->nr_vcpus && vm->cpu && vm->cpu != vm->cpus[0]))
		return 0; /* several vCPUs need platform=pc, which this world never asks for */
	for (unsigned j = 0; j < w->cfg.nr_vms; j++)
		if (j != vi && (!strcmp(w->vms[j].name ? w->vms[j].name : "", vm->name) ||
				(w->vms[j].nr_vcpus ? w->vms[j].cpus[0] : w->vms[j].cpu) == cpu))
			return 0;
	if (vm->proto > BOOT_AUTO || vm->policy > VM_POLICY_ROLLBACK ||
	    (vm->flags &
	     ~(VM_FLAG_PRIVILEGED | VM_FLAG_BACKGROUND | VM_FLAG_EXPECT_FAULT | VM_FLAG_CONSOLE)))
		return 0;
	if (!filled(vm->image) || strlen(vm->image) > 31 || !loaded(&w->env, vm->image))
		return 0;
	if (vm->cmdline && strlen(vm->cmdline) > 255)
		return 0;
	for (unsigned p = 0; p < 64; p++)
		if ((vm->peers >> p & 1) && (p == vi || p >= w->cfg.nr_vms))
			return 0;
	if (!vm->regions || vm->nr_regions < 1 || vm->nr_regions > 32)
		return 0;
	for (unsigned i = 0; i < vm->nr_regions; i++)
		if (!region_ok(&w->env, &vm->regions[i]))
			return 0;
	for (unsigned i = 0; i < vm->nr_regions; i++)
		demand += (vm->regions[i].flags & BIT(0)) != 0;
	return map_disjoint(vm) && boots(vm) && pc_pages_free(vm) && tables_ok(vm) && ckpt_ok(vm) &&
	       demand <= 4;
}

/* Frames the guests need: RAM, ROM, and each shared name once (a name set, 128-bit sum). */
static unsigned nr_shared_names;

static unsigned __int128 guest_sum(const struct world *w)
{
	const char *names[MAX_VMS * MAX_REGIONS];
	unsigned nr_names = 0;
	unsigned __int128 sum = 0;

	for (unsigned vi = 0; vi < w->cfg.nr_vms && vi < MAX_VMS && w->cfg.vms; vi++)
		for (unsigned ri = 0; w->vms[vi].regions && ri < w->vms[vi].nr_regions; ri++) {
			const struct vm_region *g = &w->vms[vi].regions[ri];
			unsigned k = 0;

			if (g->kind == REGION_SHARED && g->name) {
				while (k < nr_names && strcmp(names[k], g->name))
					k++;
				if (k < nr_names)
					continue;
				names[nr_names++] = g->name;
			}
			if (g->kind == REGION_RAM && (g->flags & BIT(0)) && g->size <= 64 * GiB &&
			    g->gpa + g->size > g->gpa) { /* demand: its block map only */
				uint64_t map = 4096, chunks = ((g->gpa + g->size - 1) >> 21) -
							      (g->gpa >> 21) + 1;
				while (map < chunks * 8)
					map <<= 1;
				sum += map;
			} else if (g->kind == REGION_RAM || g->kind == REGION_ROM ||
				   g->kind == REGION_SHARED) {
				sum += g->size;
			}
		}
	for (unsigned vi = 0; vi < w->cfg.nr_vms && vi < MAX_VMS && w->cfg.vms; vi++)
		sum += w->vms[vi].checkpoint_bytes;
	nr_shared_names = nr_names;
	return sum;
}

/* Cross-VM rules: shared names agree on size; passthrough ranges are not shared. */
static int machine_ok(const struct world *w)
{
	const struct vm_region *all[MAX_VMS * MAX_REGIONS];
	unsigned owner[MAX_VMS * MAX_REGIONS], n = 0;

	for (unsigned vi = 0; vi < w->cfg.nr_vms; vi++)
		for (unsigned ri = 0; ri < w->vms[vi].nr_regions; ri++) {
			owner[n] = vi;
			all[n++] = &w->vms[vi].regions[ri];
		}
	for (unsigned i = 0; i < n; i++)
		for (unsigned j = 0; j < n; j++) {
			const struct vm_region *a = all[i], *b = all[j];

			if (a->kind == REGION_SHARED && b->kind == REGION_SHARED &&
			    !strcmp(a->name, b->name) && a->size != b->size)
				return 0;
			if (a->kind == REGION_MMIO_PASS && b->kind == REGION_MMIO_PASS &&
			    owner[i] != owner[j] &&
			    !disjoint(a->hpa, a->hpa + a->size, b->hpa, b->hpa + b->size))
				return 0;
		}
	return guest_sum(w) <= w->env.free_bytes && nr_shared_names <= 32;
}

static int oracle(const struct world *w)
{
	if (!filled(w->cfg.name) || !w->cfg.vms || w->cfg.nr_vms < 1 || w->cfg.nr_vms > MAX_VMS)
		return 0;
	for (unsigned vi = 0; vi < w->cfg.nr_vms; vi++)
		if (!vm_ok(w, vi))
			return 0;
	return machine_ok(w);
}

/* ---- the error line ---- */

static const int known_errors[] = {-EINVAL, -E2BIG, -EEXIST, -ENODEV, -EBUSY,	  -ENOENT,
				   -ERANGE, -EPERM, -ENOMEM, -ENOSPC, -EOPNOTSUPP};

static void check_line(int rc, const char *err, size_t errlen, size_t cap)
{
	int known = 0;

	for (size_t i = 0; i < sizeof(known_errors) / sizeof(known_errors[0]); i++)
		known |= rc == known_errors[i];
	if (!known)
		abort();
	for (size_t i = errlen; i < cap; i++)
		if (err[i] != '#')
			abort(); /* wrote past errlen */
	if (!errlen)
		return;
	if (strnlen(err, errlen) == errlen || (errlen > 1 && err[0] == '\0'))
		abort();
	for (const char *p = err; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct world w;
	struct rd r = {data, size};
	char err[VALIDATE_ERR_LEN + 16], full[VALIDATE_ERR_LEN];
	size_t errlen;
	int rc, want;

	memset(cmd255, 'c', 255);
	memset(cmd256, 'c', 256);
	errlen = u8(&r);
	errlen = errlen > VALIDATE_ERR_LEN ? VALIDATE_ERR_LEN : errlen;
	build(&r, &w);
	tune_free(&r, &w);
	memset(err, '#', sizeof(err));
	rc = vm_config_validate(&w.cfg, &w.env, errlen ? err : NULL, errlen);
	want = oracle(&w);
	if ((rc == 0) != want) {
		fprintf(stderr, "validator says %d, oracle says %s\n", rc, want ? "ok" : "bad");
		abort();
	}
	if (rc == 0) {
		if (errlen && err[0] != '\0')
			abort();
		return 0;
	}
	check_line(rc, err, errlen, sizeof(err));
	/* With a full-size buffer the line is never cut short and is the same every time. */
	if (vm_config_validate(&w.cfg, &w.env, full, sizeof(full)) != rc ||
	    strlen(full) >= sizeof(full) - 1 || strncmp(full, err, errlen ? errlen - 1 : 0))
		abort();
	return 0;
}
