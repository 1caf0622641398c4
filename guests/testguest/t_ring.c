/*
 * ring_producer and ring_consumer: two VMs run the ring protocol (ring.c) over the ring in
 * shm0 at GPA_RING, sleeping in HLT whenever a step blocks and woken by HC_DOORBELL's
 * interrupt. Arguments: peer= (the other VM's id), and for the producer count=, slots=,
 * batch= and pings= (the doorbell round trips of "BENCH doorbell_rtt").
 */
#include "guests/testguest/ring.h"
#include "lib/errno.h"

#define RING_DEF_COUNT 1000
#define RING_DEF_SLOTS 64
#define RING_DEF_BATCH 16
#define RING_DEF_PINGS 100

typedef enum ring_step (*ring_step_fn)(struct ring_ep *ep);

static int bell_hypercall(struct ring_ep *ep)
{
	return (int)hypercall(HC_DOORBELL, (long)ep->peer, 0, 0);
}

/* Steps until done or an error, sleeping while blocked; returns the last step's result. */
static enum ring_step ring_run(struct ring_ep *ep, ring_step_fn step, uint64_t *sleeps)
{
	for (;;) {
		enum ring_step s = step(ep);

		if (s == RING_DONE || s == RING_ERROR)
			return s;
		if (s == RING_BLOCKED) {
			irq_sleep();
			(*sleeps)++;
		}
	}
}

/* The VM's identity, or a failure when there is no hypervisor to ring through. */
static bool ring_hello(const char *role, uint64_t peer, struct hc_vm_info *info)
{
	int err = vm_info_get(info);

	if (err == -ENOSYS) {
		t_fail("no hypervisor (VMCALL faults): nothing to ring");
		return false;
	}
	if (err)
		gprintf("INFO HC_VM_INFO: %d\n", err);
	gprintf("RING %s vm %u cpu %u peer %llu ring at 0x%llx\n", role, info->vm_id, info->cpu,
		(unsigned long long)peer, (unsigned long long)GPA_RING);
	return true;
}

static void ring_stats_print(const char *role, const struct ring_ep *ep, uint64_t sleeps)
{
	gprintf("RING %s stats batches %llu bells %llu bell-errors %llu full-waits %llu "
		"flow-bells %llu sleeps %llu doorbells %llu stray %llu\n",
		role, (unsigned long long)ep->st.batches, (unsigned long long)ep->st.bells,
		(unsigned long long)ep->st.bell_errors, (unsigned long long)ep->st.full_waits,
		(unsigned long long)ep->st.flow_bells, (unsigned long long)sleeps,
		(unsigned long long)doorbell_count, (unsigned long long)stray_irq_count);
}

/* Every wake-up from HLT is the doorbell's interrupt (docs/abi.md: nothing else wakes it),
 * so a VM that slept n times took at least n doorbells. */
static void check_wakeups(uint64_t sleeps)
{
	if (doorbell_count < sleeps)
		t_fail("woke from HLT %llu times but took %llu doorbell interrupts",
		       (unsigned long long)sleeps, (unsigned long long)doorbell_count);
}

static void producer_verdict(const struct ring_ep *ep)
{
	gprintf("RING sent %llu\n", (unsigned long long)ep->pos);
	gprintf("RING peer received %llu checksum 0x%016llx\n",
		(unsigned long long)ep->peer_received, (unsigned long long)ep->peer_csum);
	if (ep->peer_first_bad != RING_NONE)
		t_fail("peer reports message %llu bad", (unsigned long long)ep->peer_first_bad);
	t_expect("messages received by the peer", ep->peer_received, ep->count);
	t_expect("peer checksum", ep->peer_csum, ep->chk.csum);
	if (ep->pings) {
		uint64_t per = (ep->tsc_ping1 - ep->tsc_ping0) / ep->pings;

		gprintf("BENCH doorbell_rtt %llu\n", (unsigned long long)per);
	}
}

void t_ring_producer(void)
{
	static struct ring_ep ep;
	struct hc_vm_info info;
	uint64_t peer = arg_u64("peer", 1), sleeps = 0;

	if (!ring_hello("producer", peer, &info))
		return;
	if (ring_producer_init(&ep, (struct ring_shm *)GPA_RING, arg_u64("count", RING_DEF_COUNT),
			       arg_u64("slots", RING_DEF_SLOTS), arg_u64("batch", RING_DEF_BATCH),
			       arg_u64("pings", RING_DEF_PINGS), bell_hypercall, NULL)) {
		t_fail("%s", ep.err);
		return;
	}
	ep.peer = peer;
	gprintf("RING producer count %llu slots %u batch %u pings %llu\n",
		(unsigned long long)ep.count, ep.slots, ep.batch, (unsigned long long)ep.pings);
	if (ring_run(&ep, ring_producer_step, &sleeps) == RING_ERROR)
		t_fail("%s (after %llu messages)", ep.err, (unsigned long long)ep.pos);
	else
		producer_verdict(&ep);
	ring_stats_print("producer", &ep, sleeps);
	check_wakeups(sleeps);
	t_expect("stray interrupts", stray_irq_count, 0);
}

void t_ring_consumer(void)
{
	static struct ring_ep ep;
	struct hc_vm_info info;
	uint64_t peer = arg_u64("peer", 0), sleeps = 0;
	enum ring_step s;

	if (!ring_hello("consumer", peer, &info))
		return;
	ring_consumer_init(&ep, (struct ring_shm *)GPA_RING, bell_hypercall, NULL);
	ep.peer = peer;
	s = ring_run(&ep, ring_consumer_step, &sleeps);
	gprintf("RING received %llu checksum 0x%016llx\n", (unsigned long long)ep.pos,
		(unsigned long long)ep.chk.csum);
	ring_stats_print("consumer", &ep, sleeps);
	if (s == RING_ERROR)
		t_fail("%s (after %llu messages)", ep.err, (unsigned long long)ep.pos);
	if (ep.chk.errors)
		t_fail("message %llu: got 0x%016llx want 0x%016llx (%llu bad)",
		       (unsigned long long)ep.chk.first_bad, (unsigned long long)ep.chk.bad_value,
		       (unsigned long long)ring_msg(ep.chk.first_bad),
		       (unsigned long long)ep.chk.errors);
	if (s != RING_ERROR)
		t_expect("messages received", ep.pos, ep.count);
	if (arg_value("count"))
		t_expect("count announced by the producer", ep.count, arg_u64("count", 0));
	check_wakeups(sleeps);
	t_expect("stray interrupts", stray_irq_count, 0);
}
