/*
 * Unit tests for vm/ckpt.c: the reservation's size (computed by hand from the layout) and
 * its refusals; checkpoint deltas against a model over random write sets (a full one, then
 * incremental ones: exactly the pages written since are copied, and a rollback brings back
 * the RAM the model kept); a refused checkpoint (-ENOSPC) leaving the last one whole and the
 * pages written since still rolled back; chunks never touched (zero, not copied); the state
 * blocks (vCPU, router, device, backend) saved and restored; the period; the hypercall's
 * refusals. The dirty log and the backend are fakes that record what they were asked.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "abi/kestrel.h"
#include "lib/console.h"
#include "lib/errno.h"
#include "test/unit/fake_page.h"
#include "vm/vm.h"

#define R0_GPA	0
#define R0_SIZE (4 * MiB) /* mirror pages 0..1023: chunks 0 and 1 */
#define R1_GPA	(6 * MiB)
#define R1_SIZE (64 * KiB) /* mirror pages 1024..1039: GPA chunk 3, mirror chunk 2 */
#define NPAGES	((R0_SIZE + R1_SIZE) / PAGE_SIZE)
#define STATE_PAGES                                                                                \
	(2 + 1) /* struct ckpt_head: 2 pages (its arch bytes and router), 1 device page */

static struct vm vm;
static struct vm_config cfg;
static struct vm_region regions[3] = {RAM(R0_GPA, R0_SIZE), MMIO(5 * MiB, PAGE_SIZE, "x"),
				      RAM(R1_GPA, R1_SIZE)};
static uint8_t *ram0, *ram1, *dev, *apic;
static bool with_apic; /* the vCPU has an interrupt controller's register page */
static uint64_t now_tsc;
static char out[8192];
static size_t out_len;

/* ---- fakes: clock, console, dirty log, backend ---- */

static void f_kick(struct vcpu *v) {}
static uint64_t f_rip(struct vcpu *v)
{
	return 0;
}
static uint64_t f_now(void)
{
	return now_tsc;
}
static const struct vcpu_ops ops = {.kick = f_kick, .rip = f_rip, .now = f_now};

static void f_write(const char *s, size_t n)
{
	if (out_len + n < sizeof(out)) {
		memcpy(out + out_len, s, n);
		out_len += n;
		out[out_len] = '\0';
	}
}
static unsigned f_cpu(void)
{
	return 0;
}
static const struct console_backend con = {.write = f_write, .cpu = f_cpu};

static bool written[NPAGES]; /* the model's dirty log: pages the guest wrote */
static unsigned enabled[3], harvests;
static int harvest_err;

static uint64_t page_index(unsigned region, uint64_t i)
{
	return region == 0 ? i : R0_SIZE / PAGE_SIZE + i;
}

static int f_enable(struct vm *m, struct vcpu *self, unsigned region, bool on)
{
	assert_true(region == 0 || region == 2);
	assert_true(on);
	enabled[region]++;
	return 0;
}

static long f_harvest(struct vm *m, struct vcpu *self, unsigned region, uint64_t *bm,
		      uint64_t nbits)
{
	long n = 0;

	harvests++;
	if (harvest_err)
		return harvest_err;
	assert_int_equal(nbits, regions[region].size / PAGE_SIZE);
	for (uint64_t i = 0; i < nbits; i++) {
		bool *w = &written[page_index(region ? 1 : 0, i)];
		assert_false(bm[i / 64] & BIT(i % 64)); /* ckpt hands it over clear */
		if (*w) {
			bm[i / 64] |= BIT(i % 64);
			*w = false; /* get-and-clear */
			n++;
		}
	}
	return n;
}

static unsigned saves, restores;
static uint8_t restored_arch[16];

static void f_save(struct vcpu *v, void *buf)
{
	saves++;
	memset(buf, 0x40 + saves, 16);
}
static void f_restore(struct vcpu *v, const void *buf)
{
	restores++;
	memcpy(restored_arch, buf, 16);
}
static const struct ckpt_arch arch = {.save = f_save, .restore = f_restore};

/* ---- the VM ---- */

static uint8_t *page_va(uint64_t p)
{
	return p < R0_SIZE / PAGE_SIZE ? ram0 + p * PAGE_SIZE
				       : ram1 + (p - R0_SIZE / PAGE_SIZE) * PAGE_SIZE;
}

static uint64_t page_gpa(uint64_t p)
{
	return p < R0_SIZE / PAGE_SIZE ? R0_GPA + p * PAGE_SIZE
				       : R1_GPA + (p - R0_SIZE / PAGE_SIZE) * PAGE_SIZE;
}

/* The guest touches page @p (its chunk zeroed first, as ramzero does) and writes @b there. */
static void guest_write(uint64_t p, unsigned off, uint8_t b)
{
	vm.slots.prepare(vm.slots.prepare_ctx, gpa(page_gpa(p)), 1);
	page_va(p)[off % PAGE_SIZE] = b;
	written[p] = true;
}

static void add_slot(uint64_t g, uint64_t size, void *va, uint16_t region)
{
	struct mem_slot s = {gpa_to_gfn(gpa(g)), size >> PAGE_SHIFT, va_to_hpa(va),
			     REGION_RAM,	 REGION_RWX,	     region};

	assert_int_equal(memslot_add(&vm.slots, &s), 0);
}

static int build(uint64_t bytes, uint64_t period_us)
{
	memset(&cfg, 0, sizeof(cfg));
	cfg.name = "ck";
	cfg.regions = regions;
	cfg.nr_regions = 3;
	cfg.image = "img";
	cfg.checkpoint_bytes = bytes;
	cfg.checkpoint_period_us = period_us;
	fake_page_reset();
	console_init(&con);
	out_len = 0;
	out[0] = '\0';
	now_tsc = 1000;
	memset(written, 0, sizeof(written));
	memset(enabled, 0, sizeof(enabled));
	harvests = saves = restores = 0;
	harvest_err = 0;
	assert_int_equal(vm_init(&vm, &cfg, 0, &ops), 0);
	vm.tsc_hz = 1000000000; /* 1 GHz: 1 us = 1000 ticks */
	ram0 = page_alloc(10, OWNER_VM(0), NULL);
	ram1 = page_alloc(4, OWNER_VM(0), NULL);
	dev = page_alloc(0, OWNER_HYP, NULL);
	memset(ram0, 0xdd, R0_SIZE); /* an earlier boot's bytes: never zeroed, never seen */
	memset(ram1, 0xdd, R1_SIZE);
	add_slot(R0_GPA, R0_SIZE, ram0, 0);
	add_slot(R1_GPA, R1_SIZE, ram1, 2);
	vm.devs[0] = (struct dev_instance){.state = dev, .order = 0};
	vm.nr_devs = 1;
	assert_int_equal(ramzero_init(&vm), 0);
	apic = NULL;
	if (with_apic) {
		hpa_t a;
		apic = page_alloc(0, OWNER_HYP, &a);
		vm.vcpus[0].intc.apic_page = a;
	}
	int rc = ckpt_init(&vm, &arch);
	vm.ckpt.dirty_ops = (struct ckpt_dirty_ops){f_enable, f_harvest};
	return rc;
}

static uint64_t need(void)
{
	return ckpt_need_pages(R0_SIZE + R1_SIZE, STATE_PAGES) * PAGE_SIZE;
}

static int teardown(void **state)
{
	fake_page_reset();
	return 0;
}

/* ---- sizes ---- */

/*
 * By hand: 4096 RAM pages: a dirty and a scratch bitmap of 512 bytes (a page each), 8
 * chunks (a page), 4096 mirror pages, two slots of 5: 2 + 1 + 4096 + 10 = 4109. 32769 RAM
 * pages: bitmaps of 4097 bytes (two pages each), 65 chunks (a page): 4 + 1 + 32769 + 2s.
 */
static void test_need_pages(void **state)
{
	assert_int_equal(ckpt_need_pages(16 * MiB, 5), 4109);
	assert_int_equal(ckpt_need_pages(0, 3), 6);
	assert_int_equal(ckpt_need_pages(32769 * PAGE_SIZE, 7), 4 + 1 + 32769 + 14);
	assert_int_equal(ckpt_need_pages(PAGE_SIZE, 0), 1 + 1 + 1 + 1);
	/* the validator's bound is the same formula */
	assert_int_equal(validate_ckpt_need_pages(4096, 5), 4109);
}

/* This VM: 1040 RAM pages: bitmaps 1 + 1 + 1, mirror 1040, slots 2 x 3. */
static void test_init_layout_and_log(void **state)
{
	assert_int_equal(need(), (3 + 1040 + 6) * PAGE_SIZE);
	assert_int_equal(build(need() + 8 * PAGE_SIZE, 0), 0);
	assert_int_equal(vm.ckpt.pages, 1049 + 8);
	assert_int_equal(vm.ckpt.ram_pages, 1040);
	assert_int_equal(vm.ckpt.state_pages, STATE_PAGES);
	assert_int_equal(vm.ckpt.meta, 3);
	assert_int_equal(vm.ckpt.stage_pages, 8);
	assert_int_equal(vm.ckpt.nr_chunks, 3);
	assert_false(ckpt_valid(&vm));
	assert_non_null(strstr(out, "vm \"ck\": checkpoints: 4228 KiB reserved (RAM mirror 4160 "
				    "KiB, state 2 x 12 KiB, bitmaps 12 KiB, staging 32 KiB), "
				    "period 0 us"));
}

static void test_init_refusals(void **state)
{
	unsigned long before;

	assert_int_equal(build(need() - PAGE_SIZE, 0), -ENOSPC);
	assert_non_null(strstr(out, "vm \"ck\": checkpoint memory 4192 KiB is less than the 4196 "
				    "KiB its RAM (4160 KiB) and state (2 x 12 KiB) need"));
	assert_int_equal(vm.ckpt.pages, 0);
	assert_int_equal(ckpt_take(&vm.vcpus[0], false), -ENODEV);
	assert_int_equal(ckpt_rollback(&vm.vcpus[0]), -ENOENT);
	assert_int_equal(ckpt_hypercall(&vm.vcpus[0], 0), -ENODEV);
	/* No reservation at all: nothing allocated, nothing said. */
	out_len = 0;
	out[0] = '\0';
	assert_int_equal(build(0, 0), 0);
	assert_int_equal(vm.ckpt.pages, 0);
	assert_int_equal(out_len, 0);
	/* The buddy gives the first block only: -ENOMEM and every block given back. */
	assert_int_equal(build(0, 0), 0);
	before = fake_page_allocs;
	fake_page_limit = before + 1;
	cfg.checkpoint_bytes = need() + PAGE_SIZE; /* 1050 pages: blocks 1024 + 16 + 8 + 2 */
	assert_int_equal(ckpt_init(&vm, &arch), -ENOMEM);
	assert_int_equal(fake_page_allocs, before);
	assert_non_null(strstr(out, "vm \"ck\": cannot reserve 4200 KiB for checkpoints"));
}

/* ---- deltas against a model ---- */

static uint8_t model[NPAGES][PAGE_SIZE];
static bool model_zeroed[NPAGES];

/* What the guest reads now: an unzeroed chunk reads zero. */
static void snapshot(void)
{
	for (uint64_t p = 0; p < NPAGES; p++) {
		model_zeroed[p] = ramzero_ready(&vm.ramzero, page_gpa(p), PAGE_SIZE);
		if (model_zeroed[p])
			memcpy(model[p], page_va(p), PAGE_SIZE);
		else
			memset(model[p], 0, PAGE_SIZE);
	}
}

static void assert_ram_is_model(void)
{
	for (uint64_t p = 0; p < NPAGES; p++) {
		if (!ramzero_ready(&vm.ramzero, page_gpa(p), PAGE_SIZE))
			continue; /* reads zero whatever it holds */
		if (memcmp(model[p], page_va(p), PAGE_SIZE)) {
			fprintf(stderr, "page %lu differs\n", (unsigned long)p);
			fail();
		}
	}
}

static unsigned nr_written(void)
{
	unsigned n = 0;

	for (unsigned p = 0; p < NPAGES; p++)
		n += written[p];
	return n;
}

/* @n random writes; returns how many distinct pages they dirtied. */
static unsigned random_writes(unsigned n, uint64_t lo, uint64_t hi)
{
	bool hit[NPAGES] = {false};
	unsigned d = 0;

	for (unsigned i = 0; i < n; i++) {
		uint64_t p = lo + (uint64_t)rand() % (hi - lo);
		guest_write(p, (unsigned)rand(), (uint8_t)(rand() | 1));
		d += !hit[p];
		hit[p] = true;
	}
	return d;
}

/*
 * A full checkpoint copies the touched chunks only (chunk 1 and GPA chunk 3 never touched:
 * 512 pages); incremental ones copy exactly the pages written since; a rollback after more
 * random writes (and scribbling) brings back the model's RAM and costs the pages written.
 */
static void test_deltas_against_model(void **state)
{
	struct vcpu *v;

	srand(15);
	assert_int_equal(build(need() + 600 * PAGE_SIZE, 0), 0);
	v = &vm.vcpus[0];
	random_writes(40, 0, 512); /* chunk 0 only */
	assert_int_equal(ckpt_take(v, false), 0);
	assert_int_equal(enabled[0], 1);
	assert_int_equal(enabled[2], 1);
	assert_int_equal(vm.ckpt.stats.last_pages, 512);
	assert_int_equal(vm.ckpt.stats.full, 1);
	snapshot();
	for (unsigned round = 0; round < 20; round++) {
		/* pages written since the last checkpoint: this round's and, without a
		 * rollback in between, the last round's second batch */
		random_writes(1 + (unsigned)rand() % 60, 0, 512);
		unsigned d = nr_written();
		assert_int_equal(ckpt_take(v, round & 1), 0);
		assert_int_equal(vm.ckpt.stats.last_pages, d);
		snapshot();
		d = random_writes(1 + (unsigned)rand() % 60, 0, 512);
		assert_int_equal(nr_written(), d);
		if (round % 4 == 0) {
			assert_int_equal(ckpt_rollback(v), 0);
			assert_int_equal(vm.ckpt.stats.rollback_pages, d);
			assert_ram_is_model();
		}
	}
	assert_int_equal(enabled[0], 1); /* enabled once */
	assert_int_equal(vm.ckpt.gen, 21);
	assert_int_equal(vm.ckpt.stats.refused, 0);
}

/*
 * A chunk first touched after the full checkpoint reads zero at rollback to it; once a
 * later checkpoint has it, the whole chunk is in the mirror (the zeroed pages too).
 */
static void test_chunk_touched_later(void **state)
{
	struct vcpu *v;

	assert_int_equal(build(need() + 600 * PAGE_SIZE, 0), 0);
	v = &vm.vcpus[0];
	guest_write(3, 0, 7);
	assert_int_equal(ckpt_take(v, false), 0);
	assert_int_equal(vm.ckpt.stats.last_pages, 512); /* chunk 0 */
	guest_write(600, 5, 9);				 /* chunk 1, first touch */
	guest_write(1030, 5, 9);			 /* region 2, first touch */
	assert_int_equal(ckpt_rollback(v), 0);
	assert_int_equal(vm.ckpt.stats.rollback_pages, 2);
	assert_int_equal(page_va(600)[5], 0);
	assert_int_equal(page_va(1030)[5], 0);
	assert_int_equal(page_va(3)[0], 7);
	/* touched again, then checkpointed: chunk 1 (512) and region 2 (16) whole, plus 1 */
	guest_write(600, 5, 9);
	guest_write(1030, 5, 9);
	guest_write(3, 0, 8);
	assert_int_equal(ckpt_take(v, false), 0);
	assert_int_equal(vm.ckpt.stats.last_pages, 1 + 512 + 16);
	snapshot();
	random_writes(30, 512, NPAGES);
	assert_int_equal(ckpt_rollback(v), 0);
	assert_ram_is_model();
	assert_int_equal(page_va(600)[5], 9);
}

/*
 * The staging area holds 8 pages: 9 written is refused with the sizes named; the last
 * checkpoint stands, and a rollback still undoes all pages written since it, the 9 too.
 */
static void test_refused_keeps_last(void **state)
{
	struct vcpu *v;

	assert_int_equal(build(need() + 8 * PAGE_SIZE, 0), 0);
	v = &vm.vcpus[0];
	for (unsigned p = 0; p < 20; p++)
		guest_write(p, 1, (uint8_t)p);
	assert_int_equal(ckpt_take(v, true), 0);
	snapshot();
	for (unsigned p = 0; p < 8; p++)
		guest_write(p, 1, 0xaa);
	assert_int_equal(ckpt_take(v, true), 0); /* 8 fit exactly */
	snapshot();
	for (unsigned p = 0; p < 9; p++)
		guest_write(p + 10, 2, 0xbb);
	out_len = 0;
	assert_int_equal(ckpt_take(v, false), -ENOSPC);
	assert_non_null(strstr(out, "vm \"ck\": checkpoint refused: 36 KiB written since the last "
				    "one, the staging area holds 32 KiB (reserved 4228 KiB); "
				    "checkpoint 2 stands"));
	assert_int_equal(vm.ckpt.stats.refused, 1);
	assert_int_equal(vm.ckpt.gen, 2);
	guest_write(30, 0, 0xcc);
	v->regs[RAX] = 77;
	assert_int_equal(ckpt_rollback(v), 0);
	assert_int_equal(vm.ckpt.stats.rollback_pages, 10);
	assert_ram_is_model();
	assert_int_equal(v->regs[RAX], KESTREL_CKPT_RESUMED); /* taken by HC_CHECKPOINT */
	/* everything rolled back: nothing is dirty, so the next one fits */
	assert_int_equal(ckpt_take(v, false), 0);
	assert_int_equal(vm.ckpt.stats.last_pages, 0);
}

/* ---- state blocks ---- */

static void test_state_saved_and_restored(void **state)
{
	struct vcpu *v;

	assert_int_equal(build(need(), 0), 0);
	v = &vm.vcpus[0];
	for (unsigned i = 0; i < NR_GPRS; i++)
		v->regs[i] = 0x100 + i;
	v->irqs.pending[1] = BIT(3);
	v->cr8 = 5;
	v->hw.tick_due = 1234;
	v->hw.vmcs = hpa(0x5000);
	vm.router.level = 0x11;
	memset(dev, 0x5a, PAGE_SIZE);
	vm.dcache[0].gpa = 0x1000;
	assert_int_equal(ckpt_take(v, false), 0);
	assert_int_equal(saves, 1);
	/* everything changes */
	for (unsigned i = 0; i < NR_GPRS; i++)
		v->regs[i] = 0;
	v->irqs.pending[1] = 0;
	v->cr8 = 0;
	v->hw.tick_due = 99;
	v->hw.vmcs = hpa(0x9000); /* the backend's own: kept */
	v->hw.launched = true;
	vm.router.level = 0;
	memset(dev, 0, PAGE_SIZE);
	v->work = 0;
	assert_int_equal(ckpt_rollback(v), 0);
	assert_int_equal(restores, 1);
	for (unsigned i = 0; i < NR_GPRS; i++)
		assert_int_equal(v->regs[i], 0x100 + i); /* periodic: RAX as it was */
	assert_int_equal(v->irqs.pending[1], BIT(3));
	assert_int_equal(v->cr8, 5);
	assert_int_equal(v->hw.tick_due, 1234);
	assert_int_equal(v->hw.vmcs.v, 0x9000);
	assert_true(v->hw.launched);
	assert_int_equal(vm.router.level, 0x11);
	for (unsigned i = 0; i < PAGE_SIZE; i++)
		assert_int_equal(dev[i], 0x5a);
	assert_int_equal(restored_arch[0], 0x41); /* what the save wrote */
	assert_int_equal(vm.dcache[0].gpa, 0);	  /* dropped */
	assert_int_equal(v->work, VCPU_WORK_TIMER | VCPU_WORK_IRQ);
	/* the double buffer: the second checkpoint goes to the other slot */
	assert_int_equal(vm.ckpt.cur, 0);
	assert_int_equal(ckpt_take(v, false), 0);
	assert_int_equal(vm.ckpt.cur, 1);
	assert_int_equal(ckpt_rollback(v), 0);
	assert_int_equal(restored_arch[0], 0x42);
}

/* A local APIC's register page is outside the device blocks: a slot holds it too. */
static void test_apic_page(void **state)
{
	struct vcpu *v;

	with_apic = true;
	assert_int_equal(build(need() + PAGE_SIZE * 2, 0), 0);
	with_apic = false;
	v = &vm.vcpus[0];
	assert_int_equal(vm.ckpt.state_pages, STATE_PAGES + 1);
	assert_int_equal(vm.ckpt.stage_pages, 0); /* the two extra pages went to the slots */
	apic[0x80] = 0x30;			  /* TPR */
	assert_int_equal(ckpt_take(v, false), 0);
	apic[0x80] = 0;
	apic[0x200] = 0xff; /* an IRR bit set since */
	assert_int_equal(ckpt_rollback(v), 0);
	assert_int_equal(apic[0x80], 0x30);
	assert_int_equal(apic[0x200], 0);
}

/* ---- the period, the hypercall, errors ---- */

static void test_period(void **state)
{
	struct vcpu *v;

	assert_int_equal(build(need(), 10000), 0); /* 10 ms = 10^7 ticks at 1 GHz */
	v = &vm.vcpus[0];
	assert_int_equal(vm.ckpt.period_tsc, 10000000);
	assert_int_equal(vm.ckpt.next_due, 1000 + 10000000);
	ckpt_tick(v, 10000999);
	assert_int_equal(vm.ckpt.stats.taken, 0);
	ckpt_tick(v, 10001000);
	assert_int_equal(vm.ckpt.stats.taken, 1);
	assert_int_equal(vm.ckpt.next_due, 20001000);
	ckpt_tick(v, 20000999);
	assert_int_equal(vm.ckpt.stats.taken, 1);
	/* a rollback and a cold restart start the period anew */
	now_tsc = 30000000;
	assert_int_equal(ckpt_rollback(v), 0);
	assert_int_equal(vm.ckpt.next_due, 40000000);
	ckpt_reset(&vm);
	assert_false(ckpt_valid(&vm));
	assert_int_equal(ckpt_rollback(v), -ENOENT);
	/* without a period the tick takes none */
	assert_int_equal(build(need(), 0), 0);
	v = &vm.vcpus[0];
	ckpt_tick(v, UINT64_MAX);
	assert_int_equal(vm.ckpt.stats.taken, 0);
}

static void test_hypercall(void **state)
{
	struct vcpu *v;
	static struct vm other;
	static struct vm_config other_cfg = {.name = "other"};

	assert_int_equal(build(need(), 0), 0);
	v = &vm.vcpus[0];
	vm.id = 2;
	other.id = 3;
	other.cfg = &other_cfg;
	assert_int_equal(vm_register(&other), 0);
	assert_int_equal(ckpt_hypercall(v, 3), -EOPNOTSUPP); /* another VM's */
	assert_int_equal(ckpt_hypercall(v, 9), -EINVAL);     /* none such */
	assert_int_equal(ckpt_hypercall(v, BIT(32) | 2), -EINVAL);
	assert_int_equal(ckpt_hypercall(v, UINT64_MAX), -EINVAL);
	assert_int_equal(vm.ckpt.stats.taken, 0);
	v->regs[RAX] = HC_CHECKPOINT;
	assert_int_equal(ckpt_hypercall(v, 2), 0);
	assert_int_equal(v->regs[RAX], 0); /* the checkpoint's own RAX */
	assert_true(vm.ckpt.by_hypercall);
	/* the dirty log failing: refused and counted */
	harvest_err = -EIO;
	assert_int_equal(ckpt_hypercall(v, 2), -EIO);
	assert_int_equal(vm.ckpt.stats.refused, 1);
	assert_int_equal(vm.ckpt.gen, 1);
	/* a rollback whose harvest fails restores every touched page: still the checkpoint */
	assert_int_equal(ckpt_rollback(v), 0);
	assert_int_equal(v->regs[RAX], KESTREL_CKPT_RESUMED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_need_pages),
	    cmocka_unit_test_teardown(test_init_layout_and_log, teardown),
	    cmocka_unit_test_teardown(test_init_refusals, teardown),
	    cmocka_unit_test_teardown(test_deltas_against_model, teardown),
	    cmocka_unit_test_teardown(test_chunk_touched_later, teardown),
	    cmocka_unit_test_teardown(test_refused_keeps_last, teardown),
	    cmocka_unit_test_teardown(test_state_saved_and_restored, teardown),
	    cmocka_unit_test_teardown(test_apic_page, teardown),
	    cmocka_unit_test_teardown(test_period, teardown),
	    cmocka_unit_test_teardown(test_hypercall, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
