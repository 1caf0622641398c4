/*
 * Unit tests for vm/coalesced.c: writes wait in the ring and reach the device in order,
 * widths 1/2/4/8 (others refused), drains on read, on a full ring and at the stop, the
 * ring's indices wrapping (slot and 32-bit), a random mix against a device that sees
 * every access at once, writes at range edges (no merging, no splitting), claim errors,
 * a device that refuses a drained write, the restart's discard, and the test device's
 * TD_SEQ and TD_COUNT through a coalesced and a plain region.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "abi/kestrel.h"
#include "devices/devices.h"
#include "lib/errno.h"
#include "vm/coalesced.h"

#define N	COALESCED_RING_ENTRIES
#define LOG_MAX 4096

struct acc {
	uint64_t off, val;
	unsigned width;
};

/* A device that logs every write it is given; fail_at: the write (1-based) it refuses. */
struct logdev {
	struct acc log[LOG_MAX];
	unsigned n, reads, fail_at;
};

static int log_read(void *dev, uint64_t off, unsigned width, uint64_t *val)
{
	struct logdev *d = dev;

	d->reads++;
	*val = 0x5000 + off + width;
	return 0;
}

static int log_write(void *dev, uint64_t off, unsigned width, uint64_t val)
{
	struct logdev *d = dev;

	if (d->fail_at && d->n + 1 == d->fail_at)
		return -EIO;
	assert_true(d->n < LOG_MAX);
	d->log[d->n++] = (struct acc){off, val, width};
	return 0;
}

static const struct iobus_ops log_ops = {.read = log_read, .write = log_write};

struct fx {
	struct iobus bus;
	struct coalesced c;
	struct logdev a, b, ref; /* a coalesced at 0x1000, b plain at 0x2000; ref: a's twin */
};

static struct fx *fx_new(void)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct io_range ra = {0x1000, 0x1000, &log_ops, &f->a, "a", 0};
	struct io_range rb = {0x2000, 0x1000, &log_ops, &f->b, "b", 0};

	assert_non_null(f);
	iobus_init(&f->bus);
	coalesced_init(&f->c);
	assert_int_equal(iobus_register(&f->bus, IOBUS_MMIO, &ra), 0);
	assert_int_equal(iobus_register(&f->bus, IOBUS_MMIO, &rb), 0);
	assert_int_equal(coalesced_claim(&f->c, &f->bus, 0x1000, 0x1000), 0);
	return f;
}

static int w(struct fx *f, uint64_t a, unsigned width, uint64_t v)
{
	return iobus_write(&f->bus, IOBUS_MMIO, a, width, v);
}

static uint64_t r(struct fx *f, uint64_t a, unsigned width)
{
	uint64_t v = 0;

	assert_int_equal(iobus_read(&f->bus, IOBUS_MMIO, a, width, &v), 0);
	return v;
}

/* What the device would have seen without coalescing: the same write, at once. */
static void ref_write(struct fx *f, uint64_t off, unsigned width, uint64_t v)
{
	f->ref.log[f->ref.n++] = (struct acc){off, v, width};
}

static void assert_same_log(const struct logdev *got, const struct logdev *want)
{
	assert_int_equal(got->n, want->n);
	for (unsigned i = 0; i < want->n; i++) {
		assert_int_equal(got->log[i].off, want->log[i].off);
		assert_int_equal(got->log[i].width, want->log[i].width);
		assert_int_equal(got->log[i].val, want->log[i].val);
	}
}

static void test_writes_wait_then_drain_on_read(void **state)
{
	struct fx *f = fx_new();
	static const unsigned widths[] = {1, 2, 4, 8};

	(void)state;
	for (unsigned i = 0; i < 4; i++) {
		uint64_t v = 0x1122334455667788ULL >> (64 - 8 * widths[i]);

		assert_int_equal(w(f, 0x1100 + 8 * i, widths[i], v), 0);
		ref_write(f, 0x100 + 8 * i, widths[i], v);
	}
	assert_int_equal(f->a.n, 0); /* nothing ran yet */
	assert_int_equal(coalesced_pending(&f->c), 4);
	assert_int_equal(f->c.stats.writes, 4);
	assert_int_equal(r(f, 0x1018, 4), 0x5000 + 0x18 + 4); /* the device answers the read */
	assert_int_equal(f->a.reads, 1);
	assert_same_log(&f->a, &f->ref);
	assert_int_equal(coalesced_pending(&f->c), 0);
	assert_int_equal(f->c.stats.drains[COALESCED_ON_READ], 1);
	assert_int_equal(f->c.stats.drained, 4);
	r(f, 0x1018, 4); /* empty ring: no drain counted */
	assert_int_equal(f->c.stats.drains[COALESCED_ON_READ], 1);
	free(f);
}

static void test_bad_widths_refused(void **state)
{
	struct fx *f = fx_new();
	static const unsigned bad[] = {0, 3, 5, 6, 7, 9, 16, 0xffffffff};

	(void)state;
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(w(f, 0x1000, bad[i], 1), -EINVAL);
	assert_int_equal(coalesced_pending(&f->c), 0);
	assert_int_equal(f->c.stats.writes, 0);
	free(f);
}

static void test_drain_on_full(void **state)
{
	struct fx *f = fx_new();

	(void)state;
	for (unsigned i = 0; i < N; i++) {
		assert_int_equal(w(f, 0x1200 + i, 1, i), 0);
		ref_write(f, 0x200 + i, 1, i);
	}
	assert_int_equal(f->a.n, 0);
	assert_int_equal(coalesced_pending(&f->c), N); /* full: the ring holds N */
	assert_int_equal(w(f, 0x1300, 2, 0xbeef), 0);  /* finds it full: drains, then waits */
	assert_same_log(&f->a, &f->ref);
	assert_int_equal(coalesced_pending(&f->c), 1);
	assert_int_equal(f->c.stats.drains[COALESCED_ON_FULL], 1);
	ref_write(f, 0x300, 2, 0xbeef);
	assert_int_equal(coalesced_drain(&f->c, COALESCED_ON_STOP), 0);
	assert_same_log(&f->a, &f->ref);
	assert_int_equal(f->c.stats.drains[COALESCED_ON_STOP], 1);
	assert_int_equal(f->c.stats.drained, N + 1);
	assert_int_equal(coalesced_drain(&f->c, COALESCED_ON_STOP), 0); /* nothing left */
	assert_int_equal(f->c.stats.drains[COALESCED_ON_STOP], 1);
	free(f);
}

/* Slot indices wrap every N entries, the 32-bit counters at 2^32: order holds across both. */
static void test_wrap_around(void **state)
{
	struct fx *f = fx_new();
	uint64_t v = 1;

	(void)state;
	f->c.head = f->c.tail = UINT32_MAX - 5; /* 6 entries before the counters wrap */
	for (unsigned round = 0; round < 5; round++) {
		unsigned k = round == 0 ? 3 : N - 1 + round % 2; /* N - 1 or N entries */

		for (unsigned i = 0; i < k; i++, v = v * 6364136223846793005ULL + 1) {
			assert_int_equal(w(f, 0x1400 + 8 * (i % 32), 8, v), 0);
			ref_write(f, 0x400 + 8 * (i % 32), 8, v);
		}
		assert_int_equal(coalesced_pending(&f->c), k);
		r(f, 0x1000, 4);
		assert_same_log(&f->a, &f->ref);
	}
	assert_true(f->c.tail < 1000); /* the counters did wrap */
	assert_int_equal(f->c.stats.drains[COALESCED_ON_FULL], 0);
	assert_int_equal(f->c.stats.drains[COALESCED_ON_READ], 5);
	free(f);
}

/* Random writes, reads and plain accesses: at each read the device saw what it would uncoalesced. */
static void test_random_against_model(void **state)
{
	struct fx *f = fx_new();
	static const unsigned widths[] = {1, 2, 4, 8};
	uint64_t seed = 42, reads = 0;

	(void)state;
	for (unsigned step = 0; step < 3000; step++) {
		unsigned op, width;
		uint64_t off;

		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		op = (unsigned)(seed >> 60);
		width = widths[(seed >> 40) & 3];
		off = (seed >> 20) & 0xff8;
		if (op == 0) {
			r(f, 0x1000 + off, width);
			reads++;
			assert_same_log(&f->a, &f->ref);
		} else if (op == 1) {
			assert_int_equal(w(f, 0x2000 + off, width, seed), 0); /* plain: at once */
			assert_int_equal(f->b.log[f->b.n - 1].val, seed);
		} else {
			assert_int_equal(w(f, 0x1000 + off, width, seed), 0);
			ref_write(f, off, width, seed);
			assert_true(coalesced_pending(&f->c) >= 1 && coalesced_pending(&f->c) <= N);
		}
	}
	assert_int_equal(coalesced_drain(&f->c, COALESCED_ON_STOP), 0);
	assert_same_log(&f->a, &f->ref);
	assert_int_equal(f->c.stats.writes, f->ref.n);
	assert_int_equal(f->c.stats.drained, f->ref.n);
	assert_int_equal(f->a.reads, reads);
	free(f);
}

/*
 * Range edges: the last byte is the coalesced device's, the next the plain one's; an
 * access running past the end is one entry, handed over as the plain bus would; adjacent
 * byte writes stay two entries.
 */
static void test_edges_no_merge_no_split(void **state)
{
	struct fx *f = fx_new();
	struct logdev plain = {0};
	struct iobus pb;
	struct io_range rp = {0x1000, 0x1000, &log_ops, &plain, "p", 0};

	(void)state;
	iobus_init(&pb);
	assert_int_equal(iobus_register(&pb, IOBUS_MMIO, &rp), 0);
	assert_int_equal(w(f, 0x1fff, 1, 0xaa), 0);
	assert_int_equal(w(f, 0x2000, 1, 0xbb), 0);
	assert_int_equal(f->b.n, 1); /* the plain device's, at once */
	assert_int_equal(f->b.log[0].off, 0);
	assert_int_equal(w(f, 0x1ffc, 8, 0x0102030405060708ULL), 0);
	assert_int_equal(w(f, 0x1010, 1, 1), 0);
	assert_int_equal(w(f, 0x1011, 1, 2), 0);
	assert_int_equal(coalesced_pending(&f->c), 4);
	assert_int_equal(iobus_write(&pb, IOBUS_MMIO, 0x1fff, 1, 0xaa), 0);
	assert_int_equal(iobus_write(&pb, IOBUS_MMIO, 0x1ffc, 8, 0x0102030405060708ULL), 0);
	assert_int_equal(iobus_write(&pb, IOBUS_MMIO, 0x1010, 1, 1), 0);
	assert_int_equal(iobus_write(&pb, IOBUS_MMIO, 0x1011, 1, 2), 0);
	r(f, 0x1000, 1);
	assert_same_log(&f->a, &plain);
	assert_int_equal(f->b.n, 1);
	free(f);
}

/* Two coalesced devices share the ring: a read of either drains both, in the guest's order. */
static void test_two_devices_one_order(void **state)
{
	struct fx *f = fx_new();
	struct logdev refb = {0};

	(void)state;
	assert_int_equal(coalesced_claim(&f->c, &f->bus, 0x2000, 0x1000), 0);
	for (unsigned i = 0; i < 10; i++) {
		assert_int_equal(w(f, i % 2 ? 0x2000 + i : 0x1000 + i, 1, i), 0);
		if (i % 2)
			refb.log[refb.n++] = (struct acc){i, i, 1};
		else
			ref_write(f, i, 1, i);
	}
	assert_int_equal(f->b.n, 0);
	r(f, 0x2000, 4); /* b's read: a's writes drain too */
	assert_same_log(&f->a, &f->ref);
	assert_same_log(&f->b, &refb);
	assert_int_equal(f->c.nr_ranges, 2);
	free(f);
}

static void test_claim_errors(void **state)
{
	struct fx *f = fx_new();
	struct logdev d = {0};

	(void)state;
	assert_int_equal(coalesced_claim(&f->c, &f->bus, 0x8000, 0x1000), -ENOENT);
	assert_int_equal(coalesced_claim(&f->c, &f->bus, 0x1000, 0x1000), -EINVAL); /* twice */
	assert_int_equal(coalesced_claim(&f->c, &f->bus, 0x2800, 0x1000), -EINVAL); /* part */
	assert_int_equal(coalesced_claim(&f->c, &f->bus, 0x2000, 0x800), -EINVAL);  /* part */
	assert_int_equal(coalesced_claim(&f->c, &f->bus, 0x2000, 0), -EINVAL);
	assert_int_equal(coalesced_claim(&f->c, &f->bus, UINT64_MAX - 0xfff, 0x2000), -EINVAL);
	assert_int_equal(f->c.nr_ranges, 1);
	assert_true(!coalesced_range_is(iobus_find(&f->bus, IOBUS_MMIO, 0x2000)));
	assert_true(coalesced_range_is(iobus_find(&f->bus, IOBUS_MMIO, 0x1000)));
	/* a claim larger than the range takes every range inside it */
	assert_int_equal(coalesced_claim(&f->c, &f->bus, 0x2000, 0x10000), 0);
	/* a full table */
	f->c.nr_ranges = COALESCED_MAX_RANGES;
	struct io_range rx = {0x9000, 0x1000, &log_ops, &d, "x", 0};
	assert_int_equal(iobus_register(&f->bus, IOBUS_MMIO, &rx), 0);
	assert_int_equal(coalesced_claim(&f->c, &f->bus, 0x9000, 0x1000), -ENOSPC);
	assert_true(!coalesced_range_is(iobus_find(&f->bus, IOBUS_MMIO, 0x9000)));
	free(f);
}

/* A device refusing a drained write: the rest is dropped, the read fails without reading. */
static void test_device_refuses(void **state)
{
	struct fx *f = fx_new();
	uint64_t v = 0;

	(void)state;
	f->a.fail_at = 2;
	for (unsigned i = 0; i < 5; i++)
		assert_int_equal(w(f, 0x1100 + i, 1, i), 0);
	assert_int_equal(iobus_read(&f->bus, IOBUS_MMIO, 0x1000, 4, &v), -EIO);
	assert_int_equal(f->a.reads, 0);
	assert_int_equal(f->a.n, 1);
	assert_int_equal(coalesced_pending(&f->c), 0);
	assert_int_equal(f->c.stats.errors, 1);
	assert_int_equal(f->c.stats.discarded, 3);
	assert_int_equal(f->c.stats.drained, 2); /* the refused one was taken */
	/* a write that finds the ring full and a refusing device fails too, and waits not */
	f->a.fail_at = f->a.n + 1;
	for (unsigned i = 0; i < N; i++)
		assert_int_equal(w(f, 0x1100, 1, i), 0);
	assert_int_equal(w(f, 0x1100, 1, 0xff), -EIO);
	assert_int_equal(coalesced_pending(&f->c), 0);
	free(f);
}

static void test_restart_discards(void **state)
{
	struct fx *f = fx_new();

	(void)state;
	for (unsigned i = 0; i < 7; i++)
		assert_int_equal(w(f, 0x1100, 4, i), 0);
	coalesced_discard(&f->c);
	assert_int_equal(coalesced_pending(&f->c), 0);
	assert_int_equal(f->c.stats.discarded, 7);
	r(f, 0x1000, 4);
	assert_int_equal(f->a.n, 0);
	assert_int_equal(f->c.stats.drains[COALESCED_ON_READ], 0);
	free(f);
}

/* TD_SEQ restated (docs/abi.md): h * 31 + (value ^ offset << 52 ^ width << 48), mod 2^64. */
static uint64_t seq_fold(uint64_t h, uint64_t off, uint64_t width, uint64_t v)
{
	uint64_t tag = off << 52 | width << 48;

	return h * 31 + (v ^ tag);
}

static void test_testdev_seq(void **state)
{
	struct vm *vm = calloc(1, sizeof(*vm));
	void *coal_state = calloc(1, testdev_model.state_size);
	void *plain_state = calloc(1, testdev_model.state_size);
	struct vm_region rc = MMIO(0xd0003000, 0x1000, "testdev"),
			 rp = MMIO(0xd0000000, 0x1000, "testdev");
	static const unsigned widths[] = {1, 2, 4, 8};
	uint64_t h = 0, seq_c = 0, seq_p = 0, cnt_c = 0, cnt_p = 0;

	(void)state;
	assert_non_null(vm);
	iobus_init(&vm->bus);
	assert_int_equal(testdev_model.attach(vm, coal_state, &rc), 0);
	assert_int_equal(testdev_model.attach(vm, plain_state, &rp), 0);
	testdev_model.reset(coal_state);
	testdev_model.reset(plain_state);
	assert_int_equal(coalesced_claim(&vm->coal, &vm->bus, rc.gpa, rc.size), 0);
	/* TD_SEQ folds nothing until written; a write to it starts afresh at 0 */
	assert_int_equal(iobus_write(&vm->bus, IOBUS_MMIO, rp.gpa + TD_R64, 8, 7), 0);
	assert_int_equal(iobus_read(&vm->bus, IOBUS_MMIO, rp.gpa + TD_SEQ, 8, &seq_p), 0);
	assert_int_equal(seq_p, 0);
	assert_int_equal(iobus_write(&vm->bus, IOBUS_MMIO, rp.gpa + TD_SEQ, 8, 0x1234), 0);
	assert_int_equal(iobus_write(&vm->bus, IOBUS_MMIO, rc.gpa + TD_SEQ, 8, 0), 0);
	assert_int_equal(iobus_write(&vm->bus, IOBUS_MMIO, rp.gpa + TD_R8, 1, 0x5a), 0);
	assert_int_equal(iobus_read(&vm->bus, IOBUS_MMIO, rp.gpa + TD_SEQ, 8, &seq_p), 0);
	assert_int_equal(seq_p, seq_fold(0, TD_R8, 1, 0x5a));
	assert_int_equal(iobus_write(&vm->bus, IOBUS_MMIO, rp.gpa + TD_SEQ, 8, 0), 0);
	for (unsigned i = 0; i < 3 * N + 5; i++) {
		unsigned width = widths[i % 4];
		uint64_t off = TD_SCRATCH + 8 * (i % 64),
			 v = (i * 0x9E3779B97F4A7C15ULL) >> (64 - 8 * width);

		assert_int_equal(iobus_write(&vm->bus, IOBUS_MMIO, rc.gpa + off, width, v), 0);
		assert_int_equal(iobus_write(&vm->bus, IOBUS_MMIO, rp.gpa + off, width, v), 0);
		h = seq_fold(h, off, width, v);
	}
	assert_int_equal(iobus_read(&vm->bus, IOBUS_MMIO, rc.gpa + TD_SEQ, 8, &seq_c), 0);
	assert_int_equal(iobus_read(&vm->bus, IOBUS_MMIO, rp.gpa + TD_SEQ, 8, &seq_p), 0);
	assert_int_equal(iobus_read(&vm->bus, IOBUS_MMIO, rc.gpa + TD_COUNT, 4, &cnt_c), 0);
	assert_int_equal(iobus_read(&vm->bus, IOBUS_MMIO, rp.gpa + TD_COUNT, 4, &cnt_p), 0);
	assert_int_equal(seq_p, h);
	assert_int_equal(seq_c, h);
	assert_int_equal(cnt_c, 3 * N + 5 + 1);
	assert_int_equal(cnt_p, 3 * N + 5 + 4);
	assert_int_equal(vm->coal.stats.drains[COALESCED_ON_FULL], 3); /* writes 65, 129, 193 */
	assert_int_equal(vm->coal.stats.drains[COALESCED_ON_READ], 1);
	/* the same writes in another order give another TD_SEQ */
	assert_int_not_equal(seq_fold(seq_fold(0, 0x100, 1, 1), 0x108, 1, 2),
			     seq_fold(seq_fold(0, 0x108, 1, 2), 0x100, 1, 1));
	free(plain_state);
	free(coal_state);
	free(vm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_writes_wait_then_drain_on_read),
	    cmocka_unit_test(test_bad_widths_refused),
	    cmocka_unit_test(test_drain_on_full),
	    cmocka_unit_test(test_wrap_around),
	    cmocka_unit_test(test_random_against_model),
	    cmocka_unit_test(test_edges_no_merge_no_split),
	    cmocka_unit_test(test_two_devices_one_order),
	    cmocka_unit_test(test_claim_errors),
	    cmocka_unit_test(test_device_refuses),
	    cmocka_unit_test(test_restart_discards),
	    cmocka_unit_test(test_testdev_seq),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
