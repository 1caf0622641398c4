/*
 * ring_selftest: the ring protocol of ring.c inside one guest, on a RAM buffer. Producer and
 * consumer steps interleave in a pseudo-random order; a doorbell is a pending flag that
 * wakes a blocked side, as the hypervisor's latched interrupt does. Then the checker on
 * bad sequences, the doorbell handler through INT 0x40, and (not under kestrel) a real
 * interrupt: a local-APIC self-IPI held while IF = 0 and taken by irq_sleep().
 */
#include "guests/testguest/ring.h"
#include "lib/printf.h"
#include "lib/string.h"

#define SIM_MAX_STEPS	2000000
#define SIM_COUNT	1000
#define SIM_PINGS	20
#define PIC1_DATA	0x21
#define PIC2_DATA	0xA1
#define MSR_APIC_BASE	0x1B
#define APIC_BASE_EN	BIT(11)
#define APIC_BASE_ADDR	0xFEE00000
#define APIC_EOI	0xB0
#define APIC_SVR	0xF0
#define APIC_SVR_ENABLE BIT(8)
#define APIC_ICR_LO	0x300
#define APIC_ICR_HI	0x310
#define ICR_PENDING	BIT(12)
#define ICR_ASSERT	BIT(14)
#define ICR_SELF	BIT(18)
#define CPUID1_EDX_APIC BIT(9)

enum { SIM_PROD, SIM_CONS };

struct sim {
	struct ring_ep ep[2];
	bool pending[2], blocked[2], done[2];
	bool drop_flow_bells; /* broken: the consumer's rings never reach the producer */
	uint64_t corrupt_at;  /* flip a bit in the oldest unread slot at this step (0: never) */
	uint64_t rng, steps, wakeups;
};

static struct ring_shm sim_ring __aligned(64);
static struct sim sim;

static uint64_t sim_rand(struct sim *s)
{
	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 7;
	s->rng ^= s->rng << 17;
	return s->rng;
}

static int sim_bell(struct ring_ep *ep)
{
	struct sim *s = ep->ctx;
	unsigned peer = ep == &s->ep[SIM_PROD] ? SIM_CONS : SIM_PROD;

	if (peer == SIM_PROD && s->drop_flow_bells)
		return 0;
	s->pending[peer] = true; /* several rings before the wake-up coalesce */
	return 0;
}

/* A side may run when it is not asleep, or asleep with a doorbell pending. */
static int sim_pick(struct sim *s)
{
	bool can[2];

	for (int i = 0; i < 2; i++)
		can[i] = !s->done[i] && (!s->blocked[i] || s->pending[i]);
	if (can[0] && can[1])
		return (int)(sim_rand(s) & 1);
	return can[0] ? 0 : can[1] ? 1 : -1;
}

static void sim_tamper(struct sim *s)
{
	uint64_t tail = sim_ring.tail, head = sim_ring.head;

	if (s->steps == s->corrupt_at && head > tail)
		sim_ring.slot[tail & (sim_ring.slots - 1)] ^= BIT(40);
	else if (s->steps == s->corrupt_at)
		s->corrupt_at++; /* nothing in flight yet: try the next step */
}

/* Runs both sides to the end; false on a deadlock, an error or the step limit. */
static bool sim_run(struct sim *s, const char *name)
{
	for (s->steps = 0; s->steps < SIM_MAX_STEPS; s->steps++) {
		int i = sim_pick(s);
		enum ring_step r;

		if (i < 0) {
			if (s->done[0] && s->done[1])
				return true;
			t_fail("%s: deadlock after %llu steps (head %llu tail %llu)", name,
			       (unsigned long long)s->steps, (unsigned long long)sim_ring.head,
			       (unsigned long long)sim_ring.tail);
			return false;
		}
		if (s->blocked[i]) { /* the doorbell's interrupt ends the HLT */
			s->pending[i] = false;
			s->wakeups++;
		}
		if (s->corrupt_at)
			sim_tamper(s);
		s->ep[SIM_CONS].drain_max = 1 + sim_rand(s) % (s->ep[SIM_PROD].slots + 2);
		r = (i == SIM_PROD ? ring_producer_step : ring_consumer_step)(&s->ep[i]);
		if (r == RING_ERROR) {
			t_fail("%s: %s error: %s", name, i == SIM_PROD ? "producer" : "consumer",
			       s->ep[i].err);
			return false;
		}
		s->blocked[i] = r == RING_BLOCKED;
		s->done[i] = r == RING_DONE;
	}
	t_fail("%s: not done after %u steps", name, SIM_MAX_STEPS);
	return false;
}

static bool sim_setup(uint64_t count, uint64_t slots, uint64_t batch, uint64_t seed)
{
	memset(&sim_ring, 0, sizeof(sim_ring));
	memset(&sim, 0, sizeof(sim));
	sim.rng = seed;
	ring_consumer_init(&sim.ep[SIM_CONS], &sim_ring, sim_bell, &sim);
	if (ring_producer_init(&sim.ep[SIM_PROD], &sim_ring, count, slots, batch, SIM_PINGS,
			       sim_bell, &sim)) {
		t_fail("producer init: %s", sim.ep[SIM_PROD].err);
		return false;
	}
	return true;
}

/* The checksum of messages 1..n, computed apart from the ring code's bookkeeping. */
static uint64_t expected_csum(uint64_t n)
{
	uint64_t c = RING_CSUM_INIT;

	for (uint64_t i = 1; i <= n; i++)
		c = ring_csum(c, (i & 0xFFFFFFFF) | ((i * 0x9E3779B97F4A7C15ULL) >> 32 << 32));
	return c;
}

static void sim_good(uint64_t slots, uint64_t batch, uint64_t seed)
{
	char name[48];
	const struct ring_ep *p = &sim.ep[SIM_PROD], *c = &sim.ep[SIM_CONS];
	uint64_t want = expected_csum(SIM_COUNT);

	ksnprintf(name, sizeof(name), "slots %llu batch %llu", (unsigned long long)slots,
		  (unsigned long long)batch);
	if (!sim_setup(SIM_COUNT, slots, batch, seed) || !sim_run(&sim, name))
		return;
	gprintf("ring_selftest: %s: %llu steps, %llu batches, %llu full-waits, %llu flow-bells, "
		"%llu wake-ups\n",
		name, (unsigned long long)sim.steps, (unsigned long long)p->st.batches,
		(unsigned long long)p->st.full_waits, (unsigned long long)c->st.flow_bells,
		(unsigned long long)sim.wakeups);
	if (c->chk.errors)
		t_fail("%s: message %llu bad (0x%llx)", name, (unsigned long long)c->chk.first_bad,
		       (unsigned long long)c->chk.bad_value);
	t_expect("consumed", c->pos, SIM_COUNT);
	t_expect("consumer checksum", c->chk.csum, want);
	t_expect("producer checksum", p->chk.csum, want);
	t_expect("result in the ring: received", sim_ring.received, SIM_COUNT);
	t_expect("result in the ring: checksum", sim_ring.checksum, want);
	t_expect("result seen by the producer: first_bad", p->peer_first_bad, RING_NONE);
	t_expect("pings echoed", sim_ring.pong, SIM_PINGS);
	if (slots < SIM_COUNT && !p->st.full_waits)
		t_fail("%s: the ring never filled (flow control not exercised)", name);
}

/* A corrupted slot must be reported with its message number, to the producer too. */
static void sim_corrupt(void)
{
	if (!sim_setup(SIM_COUNT, 8, 3, 0x1234567))
		return;
	sim.corrupt_at = 400;
	if (!sim_run(&sim, "corrupt"))
		return;
	t_expect("corrupt: errors", sim.ep[SIM_CONS].chk.errors, 1);
	if (sim.ep[SIM_PROD].peer_first_bad == RING_NONE)
		t_fail("corrupt: the producer was told nothing went wrong");
	else
		t_expect("corrupt: first_bad", sim.ep[SIM_PROD].peer_first_bad,
			 sim.ep[SIM_CONS].chk.first_bad);
	gprintf("ring_selftest: corrupted slot caught: message %llu\n",
		(unsigned long long)sim.ep[SIM_CONS].chk.first_bad);
}

/* Without the consumer's rings the producer must end up asleep for good: the simulation
 * can see a deadlock, so its absence above means something. */
static void sim_lost_bells(void)
{
	if (!sim_setup(SIM_COUNT, 4, 4, 99))
		return;
	sim.drop_flow_bells = true;
	for (sim.steps = 0; sim.steps < SIM_MAX_STEPS; sim.steps++) {
		int i = sim_pick(&sim);

		if (i < 0)
			break;
		if (sim.blocked[i])
			sim.pending[i] = false;
		sim.blocked[i] = (i == SIM_PROD ? ring_producer_step
						: ring_consumer_step)(&sim.ep[i]) == RING_BLOCKED;
	}
	if (!sim.blocked[SIM_PROD] || !sim.blocked[SIM_CONS] || sim.ep[SIM_PROD].pos == SIM_COUNT)
		t_fail("lost rings to the producer did not stall the ring (sent %llu)",
		       (unsigned long long)sim.ep[SIM_PROD].pos);
}

static void check_sequence(const char *what, const uint64_t *nums, unsigned n, uint64_t errors,
			   uint64_t first_bad)
{
	struct ring_check c;

	ring_check_init(&c);
	for (unsigned i = 0; i < n; i++)
		ring_check_msg(&c, nums[i] ? ring_msg(nums[i]) : 0x5555);
	if (c.errors != errors || c.first_bad != first_bad)
		t_fail("checker, %s: %llu errors, first bad %llu; want %llu, %llu", what,
		       (unsigned long long)c.errors, (unsigned long long)c.first_bad,
		       (unsigned long long)errors, (unsigned long long)first_bad);
}

static void checker_cases(void)
{
	static const uint64_t ok[] = {1, 2, 3, 4, 5}, lost[] = {1, 2, 4, 5, 6},
			      dup[] = {1, 2, 2, 3, 4}, swapped[] = {1, 3, 2, 4},
			      junk[] = {1, 0, 3, 4};

	check_sequence("in order", ok, ARRAY_SIZE(ok), 0, RING_NONE);
	check_sequence("one lost", lost, ARRAY_SIZE(lost), 1, 3);
	check_sequence("one duplicated", dup, ARRAY_SIZE(dup), 1, 3);
	check_sequence("two swapped", swapped, ARRAY_SIZE(swapped), 3, 2);
	check_sequence("one garbled", junk, ARRAY_SIZE(junk), 1, 2);
}

static void doorbell_int(void)
{
	uint64_t before = doorbell_count, flags;

	__asm__ volatile("int $0x40; pushf; pop %0" : "=r"(flags) : : "memory");
	t_expect("doorbell count after INT 0x40", doorbell_count, before + 1);
	t_expect("IF after the handler", flags & BIT(9), 0);
}

static bool under_kestrel(void)
{
	return cpuid(CPUID_HV_BASE, 0).ebx == HV_SIG_EBX;
}

static volatile uint32_t *lapic_setup(void)
{
	volatile uint32_t *apic = (volatile uint32_t *)APIC_BASE_ADDR;
	uint64_t base;

	if (under_kestrel() || !(cpuid(1, 0).edx & CPUID1_EDX_APIC) ||
	    rdmsr_safe(MSR_APIC_BASE, &base) || !(base & APIC_BASE_EN) ||
	    (base & PTE_ADDR) != APIC_BASE_ADDR ||
	    pt_map(APIC_BASE_ADDR, APIC_BASE_ADDR, 2 * MiB, PTE_W | PTE_UC)) {
		gprintf("ring_selftest: no local APIC to interrupt us: wake-up test skipped\n");
		return NULL;
	}
	outb(PIC1_DATA, 0xFF); /* only the APIC may interrupt from now on */
	outb(PIC2_DATA, 0xFF);
	apic[APIC_SVR / 4] |= APIC_SVR_ENABLE | 0xFF;
	return apic;
}

static void lapic_self_ipi(volatile uint32_t *apic)
{
	apic[APIC_ICR_HI / 4] = 0;
	apic[APIC_ICR_LO / 4] = VEC_DOORBELL | ICR_ASSERT | ICR_SELF;
	for (unsigned i = 0; i < 100000 && (apic[APIC_ICR_LO / 4] & ICR_PENDING); i++)
		cpu_relax();
}

/* A real interrupt: pending while IF = 0, taken by irq_sleep(); two before it coalesce. */
static void doorbell_wakeup(void)
{
	volatile uint32_t *apic = lapic_setup();
	uint64_t before;

	if (!apic)
		return;
	before = doorbell_count;
	lapic_self_ipi(apic);
	for (unsigned i = 0; i < 1000; i++)
		cpu_relax();
	t_expect("doorbell taken with IF = 0", doorbell_count, before);
	irq_sleep();
	t_expect("doorbell after irq_sleep", doorbell_count, before + 1);
	apic[APIC_EOI / 4] = 0;
	lapic_self_ipi(apic);
	lapic_self_ipi(apic);
	irq_sleep();
	apic[APIC_EOI / 4] = 0;
	t_expect("two pending doorbells, one wake-up", doorbell_count, before + 2);
	gprintf("ring_selftest: self-IPI woke irq_sleep (%llu doorbells)\n",
		(unsigned long long)doorbell_count);
}

void t_ring_selftest(void)
{
	static const uint64_t shapes[][2] = {{1, 1}, {2, 1}, {4, 4}, {8, 3}, {64, 16}, {4096, 7}};

	for (unsigned i = 0; i < ARRAY_SIZE(shapes); i++)
		sim_good(shapes[i][0], shapes[i][1], 0x9E3779B97F4A7C15ULL + i);
	sim_corrupt();
	sim_lost_bells();
	checker_cases();
	doorbell_int();
	doorbell_wakeup();
	t_expect("stray interrupts", stray_irq_count, 0);
}
