/*
 * The ring protocol (ring.h), one step at a time. Producer: header, then batches of
 * messages, each published by a store to head and a doorbell; on a full ring it sets
 * prod_wait, fences and looks again before blocking. Consumer: drains, stores tail, fences,
 * and rings the producer if prod_wait was set. Then the result, then a ping-pong benchmark.
 * x86 keeps stores in order and loads in order; only store-then-load needs MFENCE.
 */
#include "guests/testguest/ring.h"
#include "lib/errno.h"
#include "lib/printf.h"

enum { P_START, P_SEND, P_WAIT_DONE, P_PING, P_DONE };
enum { C_START, C_RECV, C_PONG, C_DONE };

void ring_check_init(struct ring_check *c)
{
	*c = (struct ring_check){.next = 1, .csum = RING_CSUM_INIT, .first_bad = RING_NONE};
}

void ring_check_msg(struct ring_check *c, uint64_t v)
{
	c->csum = ring_csum(c->csum, v);
	if (v == ring_msg(c->next)) {
		c->next++;
		return;
	}
	if (!c->errors++) {
		c->first_bad = c->next;
		c->bad_value = v;
	}
	/* A well-formed message from elsewhere in the sequence: go on from there. */
	c->next = v == ring_msg(v & 0xFFFFFFFF) ? (v & 0xFFFFFFFF) + 1 : c->next + 1;
}

static enum ring_step ring_error(struct ring_ep *ep, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static enum ring_step ring_error(struct ring_ep *ep, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kvsnprintf(ep->err, sizeof(ep->err), fmt, ap);
	va_end(ap);
	return RING_ERROR;
}

/* Ring the peer. A refusal before the peer is known to run (it may not be started yet and
 * will find the ring by itself) is counted; after, it is an error. */
static bool ring_bell(struct ring_ep *ep, bool peer_known)
{
	int err = ep->bell(ep);

	ep->st.bells++;
	if (!err)
		return true;
	ep->st.bell_errors++;
	if (!peer_known) {
		return true;
	}
	ring_error(ep, "HC_DOORBELL peer %llu returned %d", (unsigned long long)ep->peer, err);
	return false;
}

int ring_producer_init(struct ring_ep *ep, struct ring_shm *r, uint64_t count, uint64_t slots,
		       uint64_t batch, uint64_t pings, ring_bell_fn bell, void *ctx)
{
	*ep = (struct ring_ep){.r = r,
			       .bell = bell,
			       .ctx = ctx,
			       .phase = P_START,
			       .count = count,
			       .slots = (uint32_t)slots,
			       .batch = (uint32_t)batch,
			       .pings = pings};
	ring_check_init(&ep->chk);
	if (!count || count > RING_MAX_COUNT || !slots || slots > RING_MAX_SLOTS ||
	    (slots & (slots - 1)) || !batch || batch > slots) {
		ksnprintf(ep->err, sizeof(ep->err),
			  "bad parameters: count %llu slots %llu (power of two <= %u) batch %llu",
			  (unsigned long long)count, (unsigned long long)slots, RING_MAX_SLOTS,
			  (unsigned long long)batch);
		return -EINVAL;
	}
	return 0;
}

void ring_consumer_init(struct ring_ep *ep, struct ring_shm *r, ring_bell_fn bell, void *ctx)
{
	*ep = (struct ring_ep){.r = r, .bell = bell, .ctx = ctx, .phase = C_START};
	ring_check_init(&ep->chk);
}

static enum ring_step producer_start(struct ring_ep *ep)
{
	struct ring_shm *r = ep->r;

	if (READ_ONCE(r->magic) || READ_ONCE(r->head) || READ_ONCE(r->tail) || READ_ONCE(r->done))
		return ring_error(ep,
				  "ring at 0x%llx already used (magic 0x%llx head %llu tail %llu)",
				  (unsigned long long)(uint64_t)r, (unsigned long long)r->magic,
				  (unsigned long long)r->head, (unsigned long long)r->tail);
	WRITE_ONCE(r->count, ep->count);
	WRITE_ONCE(r->slots, ep->slots);
	WRITE_ONCE(r->batch, ep->batch);
	barrier();
	WRITE_ONCE(r->magic, RING_MAGIC);
	ep->phase = P_SEND;
	return ring_bell(ep, READ_ONCE(r->cons_ready)) ? RING_PROGRESS : RING_ERROR;
}

/* Free slots; with none, announce the wait and look once more (the consumer, which stores
 * tail before it reads prod_wait, then either sees the flag or left us room). */
static uint64_t producer_room(struct ring_ep *ep)
{
	struct ring_shm *r = ep->r;
	uint64_t room = ep->slots - (ep->pos - READ_ONCE(r->tail));

	if (room)
		return room;
	WRITE_ONCE(r->prod_wait, 1);
	mfence();
	return ep->slots - (ep->pos - READ_ONCE(r->tail));
}

static enum ring_step producer_send(struct ring_ep *ep)
{
	struct ring_shm *r = ep->r;
	uint64_t room, n;

	if (ep->pos == ep->count) {
		ep->phase = P_WAIT_DONE;
		return RING_PROGRESS;
	}
	room = producer_room(ep);
	if (room > ep->slots)
		return ring_error(ep, "tail %llu beyond head %llu", (unsigned long long)r->tail,
				  (unsigned long long)ep->pos);
	if (!room) {
		ep->st.full_waits++;
		return RING_BLOCKED;
	}
	n = MIN(MIN(room, (uint64_t)ep->batch), ep->count - ep->pos);
	for (uint64_t i = 0; i < n; i++) {
		uint64_t v = ring_msg(ep->pos + i + 1);

		WRITE_ONCE(r->slot[(ep->pos + i) & (ep->slots - 1)], v);
		ring_check_msg(&ep->chk, v);
	}
	ep->pos += n;
	barrier(); /* the slots before head */
	WRITE_ONCE(r->head, ep->pos);
	ep->st.batches++;
	return ring_bell(ep, READ_ONCE(r->cons_ready)) ? RING_PROGRESS : RING_ERROR;
}

static enum ring_step producer_wait_done(struct ring_ep *ep)
{
	struct ring_shm *r = ep->r;

	if (!READ_ONCE(r->done))
		return RING_BLOCKED;
	barrier(); /* the result after done */
	ep->peer_received = READ_ONCE(r->received);
	ep->peer_csum = READ_ONCE(r->checksum);
	ep->peer_first_bad = READ_ONCE(r->first_bad);
	ep->phase = P_PING;
	return RING_PROGRESS;
}

static enum ring_step producer_ping(struct ring_ep *ep)
{
	struct ring_shm *r = ep->r;

	if (ep->seq && READ_ONCE(r->pong) != ep->seq)
		return RING_BLOCKED;
	if (ep->seq == ep->pings) {
		ep->tsc_ping1 = rdtsc_ordered();
		WRITE_ONCE(r->ping, RING_PING_STOP);
		ep->phase = P_DONE;
		return ring_bell(ep, true) ? RING_DONE : RING_ERROR;
	}
	if (!ep->seq)
		ep->tsc_ping0 = rdtsc_ordered();
	WRITE_ONCE(r->ping, ++ep->seq);
	return ring_bell(ep, true) ? RING_PROGRESS : RING_ERROR;
}

enum ring_step ring_producer_step(struct ring_ep *ep)
{
	switch (ep->phase) {
	case P_START:
		return producer_start(ep);
	case P_SEND:
		return producer_send(ep);
	case P_WAIT_DONE:
		return producer_wait_done(ep);
	case P_PING:
		return producer_ping(ep);
	default:
		return RING_DONE;
	}
}

static enum ring_step consumer_start(struct ring_ep *ep)
{
	struct ring_shm *r = ep->r;
	uint64_t slots;

	WRITE_ONCE(r->cons_ready, 1);
	if (READ_ONCE(r->magic) != RING_MAGIC)
		return RING_BLOCKED;
	barrier(); /* the header after magic */
	ep->count = READ_ONCE(r->count);
	slots = READ_ONCE(r->slots);
	ep->batch = READ_ONCE(r->batch);
	if (!ep->count || ep->count > RING_MAX_COUNT || !slots || slots > RING_MAX_SLOTS ||
	    (slots & (slots - 1)))
		return ring_error(ep, "bad ring header: count %llu slots %llu",
				  (unsigned long long)ep->count, (unsigned long long)slots);
	ep->slots = (uint32_t)slots;
	ep->phase = C_RECV;
	return RING_PROGRESS;
}

/* All messages in: the result, then done, then a ring so the producer sees it. */
static enum ring_step consumer_finish(struct ring_ep *ep)
{
	struct ring_shm *r = ep->r;

	WRITE_ONCE(r->received, ep->pos);
	WRITE_ONCE(r->checksum, ep->chk.csum);
	WRITE_ONCE(r->first_bad, ep->chk.first_bad);
	barrier();
	WRITE_ONCE(r->done, 1);
	ep->phase = C_PONG;
	return ring_bell(ep, true) ? RING_PROGRESS : RING_ERROR;
}

static enum ring_step consumer_recv(struct ring_ep *ep)
{
	struct ring_shm *r = ep->r;
	uint64_t head = READ_ONCE(r->head), avail = head - ep->pos, n;

	if (avail > ep->slots || head > ep->count)
		return ring_error(ep, "head %llu with tail %llu: over %u slots or %llu messages",
				  (unsigned long long)head, (unsigned long long)ep->pos, ep->slots,
				  (unsigned long long)ep->count);
	if (!avail)
		return ep->pos == ep->count ? consumer_finish(ep) : RING_BLOCKED;
	barrier(); /* the slots after head */
	n = ep->drain_max ? MIN(avail, ep->drain_max) : avail;
	for (uint64_t i = 0; i < n; i++)
		ring_check_msg(&ep->chk, READ_ONCE(r->slot[(ep->pos + i) & (ep->slots - 1)]));
	ep->pos += n;
	WRITE_ONCE(r->tail, ep->pos);
	ep->st.batches++;
	mfence(); /* tail before prod_wait: see producer_room() */
	if (READ_ONCE(r->prod_wait)) {
		WRITE_ONCE(r->prod_wait, 0);
		ep->st.flow_bells++;
		if (!ring_bell(ep, true))
			return RING_ERROR;
	}
	return RING_PROGRESS;
}

static enum ring_step consumer_pong(struct ring_ep *ep)
{
	uint64_t p = READ_ONCE(ep->r->ping);

	if (p == RING_PING_STOP) {
		ep->phase = C_DONE;
		return RING_DONE;
	}
	if (p == ep->seq)
		return RING_BLOCKED;
	ep->seq = p;
	WRITE_ONCE(ep->r->pong, p);
	return ring_bell(ep, true) ? RING_PROGRESS : RING_ERROR;
}

enum ring_step ring_consumer_step(struct ring_ep *ep)
{
	switch (ep->phase) {
	case C_START:
		return consumer_start(ep);
	case C_RECV:
		return consumer_recv(ep);
	case C_PONG:
		return consumer_pong(ep);
	default:
		return RING_DONE;
	}
}
