/*
 * Watchdog scenarios: heartbeat (works and beats every hb= iterations, then ends), spin
 * (stops beating: the watchdog must end it) and victim (8 MiB of patterned RAM it keeps
 * checking while it beats, forever: the neighbour of a hostile VM).
 */
#include "guests/testguest/guest.h"

#define HB_DEF_ITERS   1000000
#define HB_DEF_EVERY   1000
#define HB_DEF_ALIVE   250000
#define VICTIM_DEF_MIB 8
#define VICTIM_CHUNK   (64 * KiB) /* a heartbeat per chunk checked */
#define VICTIM_IDLE    200000	  /* iterations between checks */
#define VICTIM_SEED    0x56494354494D2121ULL
#define LCG_MUL	       6364136223846793005ULL
#define LCG_ADD	       1442695040888963407ULL

/* HC_HEARTBEAT: 0, its error, or 1 when VMCALL faults (no hypervisor). */
static long heartbeat(void)
{
	unsigned traps = trap_fixups.count;
	long r = hypercall(HC_HEARTBEAT, 0, 0, 0);

	return hypercall_faulted(traps) ? 1 : r;
}

void t_heartbeat(void)
{
	uint64_t iters = arg_u64("iters", HB_DEF_ITERS), every = arg_u64("hb", HB_DEF_EVERY);
	uint64_t alive = arg_u64("alive", HB_DEF_ALIVE), x = 1, beats = 0, bad = 0;
	uint64_t to_beat = every, to_alive = alive;
	long first = 0;

	gprintf("heartbeat: %llu iterations, HC_HEARTBEAT every %llu\n", (unsigned long long)iters,
		(unsigned long long)every);
	for (uint64_t i = 1; i <= iters; i++) {
		x = x * LCG_MUL + LCG_ADD; /* the work */
		if (every && !--to_beat) {
			long r = heartbeat();

			to_beat = every;
			beats++;
			if (r && !bad++)
				first = r;
		}
		if (alive && !--to_alive) {
			to_alive = alive;
			gprintf("ALIVE %llu\n", (unsigned long long)i);
		}
	}
	gprintf("heartbeat: %llu heartbeats, work 0x%016llx\n", (unsigned long long)beats,
		(unsigned long long)x);
	if (bad == 0)
		return;
	if (first == 1)
		t_fail("%llu of %llu heartbeats failed, the first faulted (no hypervisor?)",
		       (unsigned long long)bad, (unsigned long long)beats);
	else
		t_fail("%llu of %llu heartbeats failed, the first returned %ld",
		       (unsigned long long)bad, (unsigned long long)beats, first);
}

/* One heartbeat first, in case the watchdog is armed by the first one, then none. */
void t_spin(void)
{
	uint64_t limit = arg_u64("spin_iters", 0);

	heartbeat();
	t_attempt("spin without heartbeat");
	for (uint64_t i = 0; !limit || i < limit; i++)
		cpu_relax();
	t_fail("survived %llu iterations without heartbeat", (unsigned long long)limit);
}

/* ---- victim ---- */

static uint64_t victim_word(uint64_t addr)
{
	uint64_t z = addr ^ VICTIM_SEED;

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

/* The first 2 MiB-aligned stretch of RAM past everything the loader put down, below 1 GiB
 * (identity-mapped), or 0. */
static uint64_t victim_area(uint64_t bytes)
{
	uint64_t lo = ALIGN_UP(boot_used_end(), 2 * MiB);

	for (unsigned i = 0; i < boot.nr_mmap; i++) {
		uint64_t at = MAX(lo, ALIGN_UP(boot.mmap[i].base, 2 * MiB));

		if (boot.mmap[i].type == 1 && at + bytes <= GiB &&
		    boot_range_is_ram(at, at + bytes))
			return at;
	}
	return 0;
}

/* Checksum of the area, a heartbeat per chunk when the hypervisor takes them. */
static uint64_t victim_sum(const volatile uint64_t *a, uint64_t words, bool beat)
{
	uint64_t sum = 0;

	for (uint64_t i = 0; i < words; i++) {
		sum = (sum + a[i]) * 3 + (sum >> 61);
		if (beat && (i % (VICTIM_CHUNK / 8)) == 0)
			heartbeat();
	}
	return sum;
}

static void victim_report(const volatile uint64_t *a, uint64_t words, uint64_t sum)
{
	gprintf("VICTIM checksum changed: 0x%016llx\n", (unsigned long long)sum);
	for (uint64_t i = 0; i < words; i++) {
		uint64_t want = victim_word((uint64_t)&a[i]);

		if (a[i] != want) {
			t_fail("checksum changed: first at 0x%llx: 0x%016llx want 0x%016llx",
			       (unsigned long long)(uint64_t)&a[i], (unsigned long long)a[i],
			       (unsigned long long)want);
			return;
		}
	}
	t_fail("checksum changed, yet every word reads as written");
}

static void victim_idle(bool beat)
{
	for (unsigned i = 0; i < VICTIM_IDLE; i++) {
		if (beat && i % HB_DEF_EVERY == 0)
			heartbeat();
		cpu_relax();
	}
}

/* rounds= ends it after that many checks (0: never); corrupt=<n> flips a bit before
 * check n (to see the check fail). */
void t_victim(void)
{
	uint64_t bytes = arg_u64("mib", VICTIM_DEF_MIB) * MiB, rounds = arg_u64("rounds", 0);
	uint64_t corrupt = arg_u64("corrupt", 0), base = victim_area(bytes), words = bytes / 8;
	volatile uint64_t *a = (volatile uint64_t *)base;
	bool beat = heartbeat() != 1;
	uint64_t sum;

	if (!base) {
		t_fail("no %llu MiB of RAM free below 1 GiB", (unsigned long long)(bytes / MiB));
		return;
	}
	if (!beat)
		gprintf("INFO victim: no hypervisor, no heartbeats\n");
	for (uint64_t i = 0; i < words; i++) {
		a[i] = victim_word((uint64_t)&a[i]);
		if (beat && (i % (VICTIM_CHUNK / 8)) == 0)
			heartbeat();
	}
	sum = victim_sum(a, words, beat);
	gprintf("VICTIM filled %llu MiB at 0x%llx checksum 0x%016llx\n",
		(unsigned long long)(bytes / MiB), (unsigned long long)base,
		(unsigned long long)sum);
	for (uint64_t n = 1; !rounds || n <= rounds; n++) {
		uint64_t now;

		victim_idle(beat);
		if (n == corrupt)
			a[words / 2] ^= BIT(17);
		now = victim_sum(a, words, beat);
		if (now != sum) {
			victim_report(a, words, now);
			return;
		}
		gprintf("VICTIM alive %llu checksum 0x%016llx ok\n", (unsigned long long)n,
			(unsigned long long)now);
	}
}
