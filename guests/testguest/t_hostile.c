/*
 * hostile: an attacker whose VM restarts after each fatal fault. Boot number `restarts`
 * (HC_VM_INFO) performs attack number `restarts` from a list built the same way at every
 * boot from its memory map: attack 0 is every probe that must not stop the VM (t_probes.c),
 * then one fatal access per boot (each edge of its map, then samples of the guest-physical
 * space up to 64 GiB; reads, writes and fetches), a triple fault, and a spin without
 * heartbeat. When restarts reaches the total it prints "HOSTILE DONE <total>" and HC_EXITs.
 */
#include "guests/testguest/hostile.h"
#include "lib/errno.h"
#include "lib/printf.h"

#define MAX_ATTACKS    64
#define SAMPLE_LOW     (256 * MiB) /* sample stride below 4 GiB (2 MiB pages) */
#define SAMPLE_HIGH    (4 * GiB) /* and from 4 GiB to 64 GiB (1 GiB pages when the CPU has them) */
#define SAMPLE_TOP     (64 * GiB)
#define FETCH_BYTES    16		   /* an instruction fetch reads up to this much */
#define WRITE_PATTERN  0x454C4954534F48ULL /* "HOSTILE" */
#define CPUID_ADDRSIZE 0x80000008

enum attack_kind { A_PROBES, A_READ, A_WRITE, A_EXEC, A_TRIPLE, A_SPIN };

struct attack {
	enum attack_kind kind;
	uint64_t gpa, page; /* the access and the guest page size that maps it */
	char where[64];
};

static struct hostile_map map;
static struct attack attacks[MAX_ATTACKS];
static unsigned nr_attacks;

static const char *const kind_names[] = {
    [A_READ] = "read", [A_WRITE] = "write", [A_EXEC] = "execute at"};

/* ---- the map ---- */

static void map_add(uint64_t lo, uint64_t hi)
{
	unsigned i = map.nr++;

	/* insertion by start address */
	for (; i && map.lo[i - 1] > lo; i--) {
		map.lo[i] = map.lo[i - 1];
		map.hi[i] = map.hi[i - 1];
	}
	map.lo[i] = lo;
	map.hi[i] = hi;
}

static void map_merge(void)
{
	unsigned out = 0;

	for (unsigned i = 0; i < map.nr; i++) {
		if (out && map.lo[i] <= map.hi[out - 1]) {
			map.hi[out - 1] = MAX(map.hi[out - 1], map.hi[i]);
			continue;
		}
		map.lo[out] = map.lo[i];
		map.hi[out++] = map.hi[i];
	}
	map.nr = out;
}

static bool map_touches(uint64_t lo, uint64_t hi)
{
	for (unsigned i = 0; i < map.nr; i++)
		if (lo < map.hi[i] && map.lo[i] < hi)
			return true;
	return false;
}

static uint64_t phys_limit(void)
{
	unsigned bits = 36;

	if (cpuid(0x80000000, 0).eax >= CPUID_ADDRSIZE)
		bits = cpuid(CPUID_ADDRSIZE, 0).eax & 0xFF;
	return bits >= 52 ? BIT(52) : BIT(bits);
}

static void map_read(void)
{
	extern char __image_start[];

	map.nr = 0;
	for (unsigned i = 0; i < boot.nr_mmap; i++)
		if ((boot.mmap[i].type == 1 || boot.mmap[i].type == 2) && boot.mmap[i].len)
			map_add(boot.mmap[i].base, boot.mmap[i].base + boot.mmap[i].len);
	map_merge();
	for (unsigned i = 0; i < boot.nr_mmap; i++)
		if (boot.mmap[i].type == 1 && boot.mmap[i].base <= (uint64_t)__image_start &&
		    (uint64_t)__image_start < boot.mmap[i].base + boot.mmap[i].len)
			map.ram_end = boot.mmap[i].base + boot.mmap[i].len;
	map.ram_end_free = map.ram_end && !map_touches(map.ram_end, map.ram_end + 1);
	map.phys_limit = phys_limit();
}

/* ---- the list ---- */

static void add_attack(enum attack_kind kind, uint64_t gpa, uint64_t page, const char *where)
{
	struct attack *a;

	if (nr_attacks == MAX_ATTACKS)
		return;
	a = &attacks[nr_attacks++];
	a->kind = kind;
	a->gpa = gpa;
	a->page = page;
	ksnprintf(a->where, sizeof(a->where), "%s", where);
}

/* A range the map does not touch and the guest can map. */
static bool outside(uint64_t lo, uint64_t hi)
{
	return hi <= map.phys_limit && !map_touches(lo, hi);
}

/* The three accesses nearest one edge of a region, within the page beyond the edge: the
 * last bytes before its start or the first bytes after its end. */
static void add_edge(uint64_t page, bool before, unsigned region)
{
	char where[64];

	for (unsigned i = 0; i < nr_attacks; i++)
		if (attacks[i].page == 4 * KiB && ALIGN_DOWN(attacks[i].gpa, 4 * KiB) == page)
			return; /* the page after one region is the page before the next */
	ksnprintf(where, sizeof(where), "%s [0x%llx, 0x%llx)",
		  before ? "just before" : "just after", (unsigned long long)map.lo[region],
		  (unsigned long long)map.hi[region]);
	add_attack(A_READ, before ? page + 4 * KiB - 8 : page, 4 * KiB, where);
	add_attack(A_WRITE, before ? page + 4 * KiB - 8 : page, 4 * KiB, where);
	add_attack(A_EXEC, before ? page + 4 * KiB - FETCH_BYTES : page, 4 * KiB, where);
}

static void add_edges(void)
{
	for (unsigned i = 0; i < map.nr; i++) {
		if (map.lo[i] >= 4 * KiB && outside(map.lo[i] - 4 * KiB, map.lo[i]))
			add_edge(map.lo[i] - 4 * KiB, true, i);
		if (outside(map.hi[i], map.hi[i] + 4 * KiB))
			add_edge(map.hi[i], false, i);
	}
}

static void add_sample(uint64_t gpa, unsigned n)
{
	uint64_t page = gpa < 4 * GiB || !pt_have_1g ? 2 * MiB : GiB;

	if (!outside(gpa, gpa + FETCH_BYTES))
		return;
	add_attack((enum attack_kind)(A_READ + n % 3), gpa, page,
		   page == GiB ? "sample, 1 GiB page" : "sample, 2 MiB page");
}

static void add_samples(void)
{
	unsigned n = 0;

	for (uint64_t g = 0; g < 4 * GiB; g += SAMPLE_LOW, n++)
		add_sample(g + ((n * 0x1238) & 0xFFF8), n);
	for (uint64_t g = 4 * GiB; g < SAMPLE_TOP; g += SAMPLE_HIGH, n++)
		add_sample(g + ((n * 0x1238) & 0xFFF8), n);
	add_sample(SAMPLE_TOP - 4 * KiB, n);
}

static void build_list(void)
{
	nr_attacks = 0;
	add_attack(A_PROBES, 0, 0, "");
	add_edges();
	add_samples();
	add_attack(A_TRIPLE, 0, 0, "");
	add_attack(A_SPIN, 0, 0, "");
}

static void describe(unsigned k, char *buf, size_t size)
{
	const struct attack *a = &attacks[k];

	switch (a->kind) {
	case A_PROBES:
		ksnprintf(buf, size, "probes: wild hypercalls, VMX instructions, MSRs, ports");
		break;
	case A_TRIPLE:
		ksnprintf(buf, size, "triple fault (empty IDT, then ud2)");
		break;
	case A_SPIN:
		ksnprintf(buf, size, "spin without heartbeat");
		break;
	default:
		ksnprintf(buf, size, "%s gpa 0x%llx (%s)", kind_names[a->kind],
			  (unsigned long long)a->gpa, a->where);
	}
}

/* ---- the attacks ---- */

static void attack_probes(uint32_t self)
{
	unsigned ok = hostile_probes(&map, self);

	if (t_failures())
		return; /* the runner reports FAIL and stops the VM with HC_EXIT */
	gprintf("ATTACK 0 done: %u probes answered as promised\n", ok);
	guest_exit(0); /* the debug-exit port: the restart policy brings attack 1 */
}

typedef void (*fetch_fn)(void);

static void attack_access(const struct attack *a)
{
	int err = pt_map_identity(a->gpa, a->page);

	if (err) {
		t_fail("cannot map gpa 0x%llx in the guest page tables: %d",
		       (unsigned long long)a->gpa, err);
		return;
	}
	if (a->kind == A_READ)
		(void)*(volatile uint64_t *)a->gpa;
	else if (a->kind == A_WRITE)
		*(volatile uint64_t *)a->gpa = WRITE_PATTERN;
	else
		((fetch_fn)a->gpa)();
	t_fail("survived");
}

static void attack_spin(void)
{
	hypercall(HC_HEARTBEAT, 0, 0, 0);
	for (;;)
		cpu_relax();
}

static void attack_run(unsigned k, uint32_t self)
{
	const struct attack *a = &attacks[k];

	switch (a->kind) {
	case A_PROBES:
		attack_probes(self);
		break;
	case A_TRIPLE:
		trap_load_empty_idt();
		__asm__ volatile("ud2");
		t_fail("survived");
		break;
	case A_SPIN:
		attack_spin();
		break;
	default:
		attack_access(a);
	}
}

static void map_print(void)
{
	for (unsigned i = 0; i < map.nr; i++)
		gprintf("hostile: map [0x%llx, 0x%llx)\n", (unsigned long long)map.lo[i],
			(unsigned long long)map.hi[i]);
	gprintf("hostile: RAM ends at 0x%llx, guest-physical limit 0x%llx, %u attacks\n",
		(unsigned long long)map.ram_end, (unsigned long long)map.phys_limit, nr_attacks);
}

/* list=1 prints the whole list and runs nothing (for runs without the hypervisor). */
void t_hostile(void)
{
	struct hc_vm_info info;
	long restarts = vm_restarts(&info);
	char what[128];

	t_end_with_hc_exit();
	map_read();
	build_list();
	map_print();
	if (arg_is("list", "1")) {
		for (unsigned k = 0; k < nr_attacks; k++) {
			describe(k, what, sizeof(what));
			gprintf("ATTACK %u/%u %s\n", k, nr_attacks, what);
		}
		return;
	}
	if (restarts < 0) {
		t_fail("no restart count: HC_VM_INFO %ld (give restarts= without a hypervisor)",
		       restarts);
		return;
	}
	if ((unsigned long)restarts >= nr_attacks) {
		if ((unsigned long)restarts > nr_attacks)
			t_fail("restarts %ld beyond the last attack %u", restarts, nr_attacks - 1);
		gprintf("HOSTILE DONE %u\n", nr_attacks);
		return;
	}
	describe((unsigned)restarts, what, sizeof(what));
	gprintf("ATTACK %ld/%u %s\n", restarts, nr_attacks, what);
	attack_run((unsigned)restarts, info.vm_id);
}
