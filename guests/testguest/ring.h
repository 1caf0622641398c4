/*
 * The single-producer single-consumer ring of ring_producer/ring_consumer: its layout in
 * shared memory (docs/guests.md, "The ring") and each side's protocol as a step function,
 * so the same code runs between two VMs and, interleaved, inside one guest (ring_selftest).
 */
#ifndef GUEST_RING_H
#define GUEST_RING_H

#include "guests/testguest/guest.h"

#define RING_MAGIC     0x31474E524C54534BULL /* "KSTLRNG1" */
#define RING_MAX_SLOTS 4096
#define RING_MAX_COUNT 0xFFFFFFFFULL /* a message carries its number in 32 bits */
#define RING_PING_STOP (~0ULL)	     /* ping value that ends the consumer's echo phase */
#define RING_NONE      (~0ULL)	     /* first_bad when every message arrived right */

/*
 * Invariants: each 64-byte line has one writer, except prod_wait (set by the producer,
 * cleared by the consumer, which rings after clearing). head and tail run free; the
 * producer never lets head - tail exceed slots; slot i holds message number n with
 * (n - 1) % slots == i. The header is written before magic, the result before done.
 */
struct ring_shm {
	/* line 0, producer, written before magic */
	uint64_t magic;
	uint64_t count; /* messages the producer sends */
	uint32_t slots; /* a power of two, at most RING_MAX_SLOTS */
	uint32_t batch; /* messages per doorbell */
	uint64_t pad0[5];
	/* line 1, producer */
	uint64_t head; /* messages published */
	uint64_t ping; /* benchmark: the last ping, RING_PING_STOP at the end */
	uint64_t pad1[6];
	/* line 2: the producer found the ring full and may sleep (flow control) */
	uint64_t prod_wait;
	uint64_t pad2[7];
	/* line 3, consumer */
	uint64_t tail;	     /* messages consumed */
	uint64_t pong;	     /* benchmark: the last ping echoed */
	uint64_t cons_ready; /* the consumer runs: doorbell errors are real from now on */
	uint64_t pad3[5];
	/* line 4, consumer, written before done */
	uint64_t done;
	uint64_t received, checksum, first_bad;
	uint64_t pad4[4];
	uint64_t pad5[24];
	uint64_t slot[RING_MAX_SLOTS];
};
static_assert(offsetof(struct ring_shm, head) == 0x40, "ring layout: docs/guests.md");
static_assert(offsetof(struct ring_shm, prod_wait) == 0x80, "ring layout: docs/guests.md");
static_assert(offsetof(struct ring_shm, tail) == 0xC0, "ring layout: docs/guests.md");
static_assert(offsetof(struct ring_shm, done) == 0x100, "ring layout: docs/guests.md");
static_assert(offsetof(struct ring_shm, slot) == 0x200, "ring layout: docs/guests.md");
static_assert(sizeof(struct ring_shm) <= 64 * KiB - 8, "the ring fits the last shm0 slice");

/* Message number n (1-based): n in the low half, a hash of n in the high half. */
static inline uint64_t ring_msg(uint64_t n)
{
	return (n & 0xFFFFFFFF) | ((n * 0x9E3779B97F4A7C15ULL) & 0xFFFFFFFF00000000ULL);
}

/* Both sides fold every message into the checksum in order. */
static inline uint64_t ring_csum(uint64_t csum, uint64_t v)
{
	return (csum ^ v) * 0x100000001B3ULL;
}
#define RING_CSUM_INIT 0xCBF29CE484222325ULL

/* The consumer's check: every message once, in order; resynchronises after a bad one. */
struct ring_check {
	uint64_t next; /* the number expected next */
	uint64_t csum;
	uint64_t first_bad; /* the number expected when the first bad one came, or RING_NONE */
	uint64_t bad_value; /* what came instead */
	uint64_t errors;
};
void ring_check_init(struct ring_check *c);
void ring_check_msg(struct ring_check *c, uint64_t v);

enum ring_step { RING_PROGRESS, RING_BLOCKED, RING_DONE, RING_ERROR };

struct ring_stats {
	uint64_t batches;     /* producer: publishes; consumer: drains */
	uint64_t bells;	      /* doorbells rung */
	uint64_t bell_errors; /* rings refused before the peer was known to run */
	uint64_t full_waits;  /* producer: blocked on a full ring */
	uint64_t flow_bells;  /* consumer: rings answering prod_wait */
};

struct ring_ep;
typedef int (*ring_bell_fn)(struct ring_ep *ep); /* 0 or -errno */

/* One side's private state; the step functions are its whole protocol. */
struct ring_ep {
	struct ring_shm *r;
	ring_bell_fn bell;
	void *ctx;	/* for bell */
	uint64_t peer;	/* for bell: the peer's VM id */
	unsigned phase; /* see ring.c */
	uint64_t count;
	uint32_t slots, batch;
	uint64_t pos;	    /* producer: messages published; consumer: consumed */
	uint64_t drain_max; /* consumer: most messages taken per step, 0 for all */
	uint64_t pings;	    /* producer: benchmark round trips */
	uint64_t seq;	    /* benchmark: the ping in flight (producer), last echoed (consumer) */
	uint64_t tsc_ping0, tsc_ping1;
	struct ring_check chk; /* consumer: what arrived; producer: what it sent */
	uint64_t peer_received, peer_csum, peer_first_bad; /* producer: the consumer's result */
	struct ring_stats st;
	char err[112]; /* why RING_ERROR */
};

/* 0, or -EINVAL (reason in ep->err) when count/slots/batch are out of range. */
int ring_producer_init(struct ring_ep *ep, struct ring_shm *r, uint64_t count, uint64_t slots,
		       uint64_t batch, uint64_t pings, ring_bell_fn bell, void *ctx);
void ring_consumer_init(struct ring_ep *ep, struct ring_shm *r, ring_bell_fn bell, void *ctx);
/*
 * One step of the protocol. RING_BLOCKED: nothing to do until the peer rings (the caller
 * may sleep: the condition was checked, and the peer rings after changing it). A step
 * never spins.
 */
enum ring_step ring_producer_step(struct ring_ep *ep);
enum ring_step ring_consumer_step(struct ring_ep *ep);

#endif
