/*
 * Unit tests for the VM model (vm/vm.c, vm/intr.c, vm/vmtable.c): the
 * interrupt path (raise, route, pending, acknowledge, kicks), the
 * stop-or-restart policy, the watchdog, console lines and doorbells.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "abi/kestrel.h"
#include "lib/errno.h"
#include "test/unit/vm_fixture.h"

static void test_init(void **state)
{
	struct vm vm;
	struct vm_config cfg;

	fx_setup(&vm, &cfg, 3);
	assert_int_equal(vm.nr_vcpus, 1);
	assert_ptr_equal(vm.vcpus[0].vm, &vm);
	assert_int_equal(vm.vcpus[0].index, 0);
	assert_int_equal(vm.owner, OWNER_VM(3));
	assert_int_equal(vm.state, VM_RUNNING);
	assert_int_equal(vcpu_irq_highest(&vm.vcpus[0]), -1);
	assert_int_equal(vm.vcpus[0].work, 0);
}

static void test_pending_order_and_ack(void **state)
{
	struct vm vm;
	struct vm_config cfg;
	struct vcpu *v;

	fx_setup(&vm, &cfg, 0);
	v = &vm.vcpus[0];
	vcpu_irq_raise(v, 0x40);
	vcpu_irq_raise(v, 0x21);
	vcpu_irq_raise(v, 0xff);
	vcpu_irq_raise(v, 0x7f);
	assert_int_equal(fx_kicks, 4); /* running its guest: each raise kicks */
	assert_true(v->work & VCPU_WORK_IRQ);
	assert_int_equal(vcpu_irq_highest(v), 0xff);
	vcpu_irq_ack(v, 0xff);
	assert_int_equal(vcpu_irq_highest(v), 0x7f);
	vcpu_irq_ack(v, 0x7f);
	assert_int_equal(vcpu_irq_highest(v), 0x40);
	assert_false(vcpu_irq_raise(v, 0x40)); /* coalesces with the pending one */
	assert_int_equal(fx_kicks, 4);
	vcpu_irq_ack(v, 0x40);
	assert_int_equal(vcpu_irq_highest(v), 0x21);
	assert_true(v->work & VCPU_WORK_IRQ);
	vcpu_irq_ack(v, 0x21);
	assert_int_equal(vcpu_irq_highest(v), -1);
	assert_int_equal(v->work & VCPU_WORK_IRQ, 0);
}

static void test_idle_vcpu_not_kicked(void **state)
{
	struct vm vm;
	struct vm_config cfg;

	fx_setup(&vm, &cfg, 0);
	vm.vcpus[0].idle = true; /* polls its work in root: no IPI needed */
	vcpu_irq_raise(&vm.vcpus[0], 0x30);
	assert_int_equal(fx_kicks, 0);
	assert_true(vm.vcpus[0].work & VCPU_WORK_IRQ);
}

struct chip {
	unsigned changes;
	bool level;
	unsigned pin;
};

static void chip_set(void *ctx, unsigned pin, bool level)
{
	struct chip *c = ctx;

	c->changes++;
	c->level = level;
	c->pin = pin;
}

static void test_route_to_controller_input(void **state)
{
	struct vm vm;
	struct vm_config cfg;
	struct chip pic = {0}, ioapic = {0};
	struct irq_line dev;

	fx_setup(&vm, &cfg, 0);
	assert_int_equal(vm_irq_route_line(&vm, 4, (struct irq_line){chip_set, &pic, 4}), 0);
	assert_int_equal(vm_irq_route_line(&vm, 4, (struct irq_line){chip_set, &ioapic, 4}), 0);
	assert_int_equal(vm_irq_route_line(&vm, 4, (struct irq_line){chip_set, &ioapic, 9}),
			 -ENOSPC);
	assert_int_equal(vm_irq_route_line(&vm, VM_NR_GSI, (struct irq_line){chip_set, &pic, 0}),
			 -EINVAL);
	dev = vm_irq_line(&vm, 4);
	irq_line_set(&dev, true);
	assert_int_equal(pic.changes, 1);
	assert_int_equal(ioapic.changes, 1);
	assert_true(pic.level && ioapic.level);
	assert_int_equal(ioapic.pin, 4);
	irq_line_set(&dev, false);
	assert_false(pic.level || ioapic.level);
	assert_int_equal(vm.router.level, 0);
}

static void test_route_to_vector_edges(void **state)
{
	struct vm vm;
	struct vm_config cfg;
	struct irq_line dev;
	struct vcpu *v;

	fx_setup(&vm, &cfg, 0);
	v = &vm.vcpus[0];
	assert_int_equal(vm_irq_route_vector(&vm, 3, 1, 0x33), -EINVAL); /* no vCPU 1 */
	assert_int_equal(vm_irq_route_vector(&vm, 3, 0, 0x33), 0);
	dev = vm_irq_line(&vm, 3);
	irq_line_set(&dev, true);
	assert_int_equal(vcpu_irq_highest(v), 0x33);
	vcpu_irq_ack(v, 0x33);
	irq_line_set(&dev, true); /* still high: no new edge */
	assert_int_equal(vcpu_irq_highest(v), -1);
	irq_line_set(&dev, false);
	assert_int_equal(vcpu_irq_highest(v), -1);
	irq_line_pulse(&dev);
	assert_int_equal(vcpu_irq_highest(v), 0x33);
	vm_irq_set(&vm, 99, true); /* no such GSI: ignored */
}

static void test_fault_policy(void **state)
{
	struct vm vm;
	struct vm_config cfg;

	fx_setup(&vm, &cfg, 0);
	vm_fault(&vm, -1, "triple fault");
	assert_int_equal(vm.state, VM_STOPPED);
	assert_string_equal(vm.stop_reason, "triple fault");

	fx_setup(&vm, &cfg, 0);
	cfg.policy = VM_POLICY_RESTART;
	cfg.max_restarts = 2;
	fx_now = 777;
	vm_fault(&vm, 7, "debug-exit port");
	assert_int_equal(vm.state, VM_RESTARTING);
	assert_non_null(strstr(fx_out, "debug-exit port (status 7): restarting at TSC 777"));
	vm_fault(&vm, -1, "second vCPU's fault"); /* a second vCPU faulting too: the first stands */
	assert_int_equal(vm.state, VM_RESTARTING);
	assert_string_equal(vm.stop_reason, "debug-exit port");
	assert_int_equal(vm.exit_status, 7);
	vm_stop(&vm, 0, "HC_EXIT"); /* and a stop meanwhile does not cancel the restart */
	assert_int_equal(vm.state, VM_RESTARTING);
	vm.restarts = 2;
	vm_reset_runtime(&vm); /* what the restart does */
	vm_fault(&vm, -1, "EPT violation");
	assert_int_equal(vm.state, VM_STOPPED);
	assert_non_null(strstr(fx_out, "EPT violation after 2 restarts: giving up"));
}

/* A guest reset: stop with status 0 under VM_POLICY_STOP, never a fault. */
static void test_reboot_stop_policy(void **state)
{
	struct vm vm;
	struct vm_config cfg;

	fx_setup(&vm, &cfg, 0);
	vm_console_putc(&vm, 'x'); /* a partial guest line is flushed first */
	vm_reboot(&vm, "guest reset through port 0xCF9");
	assert_int_equal(vm.state, VM_STOPPED);
	assert_int_equal(vm.exit_status, 0);
	assert_string_equal(vm.stop_reason, "guest reset through port 0xCF9");
	assert_false(vm_faulted(&vm));
	assert_string_equal(fx_out, "[fx] x\n");
	vm_reboot(&vm, "second"); /* already stopped: the first reason stands */
	assert_string_equal(vm.stop_reason, "guest reset through port 0xCF9");

	fx_setup(&vm, &cfg, 0);
	cfg.policy = VM_POLICY_RESTART;
	vms_ending = true; /* the run is ending: nothing restarts */
	vm_reboot(&vm, "r");
	vms_ending = false;
	assert_int_equal(vm.state, VM_STOPPED);
	assert_int_equal(vm.exit_status, 0);
	assert_false(vm_faulted(&vm));
}

/* Under VM_POLICY_RESTART a reset restarts, up to max_restarts (default 64), then stops with 0. */
static void test_reboot_restart_policy(void **state)
{
	struct vm vm;
	struct vm_config cfg;

	fx_setup(&vm, &cfg, 0);
	cfg.policy = VM_POLICY_RESTART;
	cfg.max_restarts = 3;
	fx_now = 4242;
	vm_reboot(&vm, "guest reset through port 0xCF9");
	assert_int_equal(vm.state, VM_RESTARTING);
	assert_int_equal(vm.exit_status, 0);
	assert_false(vm_faulted(&vm));
	assert_string_equal(fx_out, "vm \"fx\": guest reset through port 0xCF9: restarting at TSC "
				    "4242\n");
	vm_reboot(&vm, "twice"); /* restarting already: nothing changes, nothing printed */
	assert_int_equal(vm.state, VM_RESTARTING);
	assert_string_equal(vm.stop_reason, "guest reset through port 0xCF9");
	assert_string_equal(fx_out, "vm \"fx\": guest reset through port 0xCF9: restarting at TSC "
				    "4242\n");
	vm.restarts = 2; /* hv/ counts each restart it performs */
	vm_reset_runtime(&vm);
	vm_reboot(&vm, "again");
	assert_int_equal(vm.state, VM_RESTARTING);
	vm.restarts = 3;
	vm_reset_runtime(&vm);
	fx_out_len = 0;
	vm_reboot(&vm, "guest reset through the 8042");
	assert_int_equal(vm.state, VM_STOPPED);
	assert_int_equal(vm.exit_status, 0);
	assert_string_equal(vm.stop_reason, "guest reset through the 8042");
	assert_false(vm_faulted(&vm));
	assert_string_equal(
	    fx_out, "vm \"fx\": guest reset through the 8042 after 3 restarts: giving up\n");

	fx_setup(&vm, &cfg, 0); /* max_restarts 0: the default, 64 */
	cfg.policy = VM_POLICY_RESTART;
	vm.restarts = 63;
	vm_reboot(&vm, "r");
	assert_int_equal(vm.state, VM_RESTARTING);
	vm.restarts = 64;
	vm_reset_runtime(&vm);
	vm_reboot(&vm, "r");
	assert_int_equal(vm.state, VM_STOPPED);
	assert_int_equal(vm.exit_status, 0);
}

static void test_watchdog(void **state)
{
	struct vm vm;
	struct vm_config cfg;

	fx_setup(&vm, &cfg, 0);
	assert_false(vm_watchdog_expired(&vm, ~0ULL)); /* no watchdog configured */
	vm.tsc_hz = 10000000;			       /* Bochs: 10 ticks a microsecond */
	cfg.watchdog_us = 50;
	assert_int_equal(vm_watchdog_tsc(&vm), 500);
	vm_watchdog_kick(&vm, 1000);
	assert_false(vm_watchdog_expired(&vm, 1500));
	assert_true(vm_watchdog_expired(&vm, 1501));
	assert_int_equal(vm.watchdog_fires, 1);
	assert_int_equal(vm.state, VM_STOPPED);
	assert_non_null(
	    strstr(fx_out, "watchdog: no heartbeat within 50 us = 500 TSC ticks (RIP 0x1234)"));
}

static void test_console_lines(void **state)
{
	struct vm vm;
	struct vm_config cfg;
	const char *msg = "hello\r\nworld";

	fx_setup(&vm, &cfg, 0);
	for (const char *p = msg; *p; p++)
		vm_console_putc(&vm, *p);
	assert_string_equal(fx_out, "[fx] hello\n");
	vm_stop(&vm, 0, "done"); /* flushes the partial line */
	assert_string_equal(fx_out, "[fx] hello\n[fx] world\n");
	fx_out_len = 0;
	for (unsigned i = 0; i < VM_LINE_MAX + 5; i++)
		vm_console_putc(&vm, 'a');
	/* cut before the buffer fills: one prefixed line out, the rest still gathering */
	assert_int_equal(strlen(fx_out), strlen("[fx] \n") + VM_LINE_MAX - 4);
	assert_int_equal(strncmp(fx_out, "[fx] aaaa", 9), 0);
	assert_int_equal(vm.line_len, 9);
}

static void test_console_escapes_guest_bytes(void **state)
{
	struct vm vm;
	struct vm_config cfg;
	const char msg[] = "ok\x1b[2J\x07tab\there\\ \x7f\xc3\xa9\n";

	fx_setup(&vm, &cfg, 0);
	for (const char *p = msg; *p; p++)
		vm_console_putc(&vm, *p);
	assert_string_equal(fx_out, "[fx] ok\\x1b[2J\\x07tab\\x09here\\x5c \\x7f\\xc3\\xa9\n");
}

static void test_console_no_forged_lines(void **state)
{
	struct vm vm;
	struct vm_config cfg;
	const char msg[] = "x\rkestrel: exit status 0\n\nvm \"other\": stopped\n";

	fx_setup(&vm, &cfg, 0);
	for (const char *p = msg; *p; p++)
		vm_console_putc(&vm, *p);
	/* every line the guest makes starts with its prefix; CR cannot rewind one */
	assert_string_equal(fx_out,
			    "[fx] xkestrel: exit status 0\n[fx] \n[fx] vm \"other\": stopped\n");
}

static void test_console_ignores_log_level(void **state)
{
	struct vm vm;
	struct vm_config cfg;

	fx_setup(&vm, &cfg, 0);
	assert_int_equal(console_set_level("error"), 0);
	vm_console_putc(&vm, 'g');
	vm_console_putc(&vm, '\n');
	pr_info("hidden\n");
	assert_int_equal(console_set_level("info"), 0);
	assert_int_equal(console_set_level("always"), -1); /* not a level one can choose */
	assert_string_equal(fx_out, "[fx] g\n");
}

/* Two registered VMs, @ida naming @idb as its peer; b names none. */
static void doorbell_pair(struct vm *a, struct vm_config *ca, unsigned ida, struct vm *b,
			  struct vm_config *cb, unsigned idb)
{
	fx_setup(a, ca, ida);
	ca->peers = PEER(idb);
	*cb = *ca;
	cb->peers = 0;
	assert_int_equal(vm_init(b, cb, idb, &fx_ops), 0);
	vm_register(a);
	vm_register(b);
}

static void test_doorbell_permission(void **state)
{
	static struct vm a, b;
	static struct vm_config ca, cb;

	doorbell_pair(&a, &ca, 10, &b, &cb, 11);
	assert_int_equal(vm_ring_doorbell(&a, 11), 0);
	assert_int_equal(vcpu_irq_highest(&b.vcpus[0]), VEC_DOORBELL);
	assert_int_equal(a.doorbells_sent, 1);
	assert_int_equal(fx_kicks, 1);
	/* b names no peer: refused, counted, nothing raised on a */
	assert_int_equal(vm_ring_doorbell(&b, 10), -EPERM);
	assert_int_equal(b.doorbells_refused, 1);
	assert_int_equal(b.doorbells_sent, 0);
	assert_int_equal(vcpu_irq_highest(&a.vcpus[0]), -1);
	/* never a peer whatever the configuration: itself, past the mask */
	assert_int_equal(vm_ring_doorbell(&a, 10), -EINVAL);
	assert_int_equal(vm_ring_doorbell(&a, VM_MAX_PEERS), -EINVAL);
	assert_int_equal(vm_ring_doorbell(&a, 1ULL << 40), -EINVAL);
	assert_int_equal(vm_ring_doorbell(&a, UINT64_MAX), -EINVAL);
	/* not named: -EPERM whether or not such a VM exists */
	assert_int_equal(vm_ring_doorbell(&a, 12), -EPERM);
	assert_int_equal(vm_ring_doorbell(&a, 63), -EPERM);
	/* named but absent, named but stopped */
	ca.peers |= PEER(12);
	assert_int_equal(vm_ring_doorbell(&a, 12), -EINVAL);
	b.state = VM_STOPPED;
	assert_int_equal(vm_ring_doorbell(&a, 11), -EINVAL);
	assert_int_equal(a.doorbells_refused, 8);
	assert_int_equal(a.doorbells_sent, 1);
	assert_int_equal(fx_kicks, 1);
}

/* Rings before the peer takes its doorbell: one pending bit, one kick, one interrupt. */
static void test_doorbell_coalesces(void **state)
{
	static struct vm a, b;
	static struct vm_config ca, cb;
	struct vcpu *v;

	doorbell_pair(&a, &ca, 20, &b, &cb, 21);
	v = &b.vcpus[0];
	for (int i = 0; i < 3; i++)
		assert_int_equal(vm_ring_doorbell(&a, 21), 0);
	assert_int_equal(fx_kicks, 1);
	assert_int_equal(a.doorbells_sent, 3);
	assert_int_equal(a.doorbells_coalesced, 2);
	assert_int_equal(v->irqs.pending[VEC_DOORBELL / 64], BIT(VEC_DOORBELL % 64));
	vcpu_irq_ack(v, VEC_DOORBELL); /* the peer takes it: one interrupt for three rings */
	assert_int_equal(vcpu_irq_highest(v), -1);
	assert_int_equal(v->work & VCPU_WORK_IRQ, 0);
	assert_int_equal(vm_ring_doorbell(&a, 21), 0); /* a new ring after: a new kick */
	assert_int_equal(fx_kicks, 2);
	assert_int_equal(a.doorbells_coalesced, 2);
	assert_true(v->work & VCPU_WORK_IRQ);
	vcpu_irq_ack(v, VEC_DOORBELL);
	v->idle = true; /* halted in root: it polls, no kick, still one bit */
	assert_int_equal(vm_ring_doorbell(&a, 21), 0);
	assert_int_equal(vm_ring_doorbell(&a, 21), 0);
	assert_int_equal(fx_kicks, 2);
	assert_int_equal(a.doorbells_coalesced, 3);
	assert_int_equal(vcpu_irq_highest(v), VEC_DOORBELL);
}

/* A vector already pending: vcpu_irq_raise says so and leaves work and kicks alone. */
static void test_raise_pending_no_kick(void **state)
{
	struct vm vm;
	struct vm_config cfg;
	struct vcpu *v;

	fx_setup(&vm, &cfg, 0);
	v = &vm.vcpus[0];
	assert_true(vcpu_irq_raise(v, 0x50));
	assert_false(vcpu_irq_raise(v, 0x50));
	assert_int_equal(fx_kicks, 1);
	assert_true(vcpu_irq_raise(v, 0x51)); /* another vector: its own kick */
	assert_int_equal(fx_kicks, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_init),
	    cmocka_unit_test(test_pending_order_and_ack),
	    cmocka_unit_test(test_idle_vcpu_not_kicked),
	    cmocka_unit_test(test_route_to_controller_input),
	    cmocka_unit_test(test_route_to_vector_edges),
	    cmocka_unit_test(test_fault_policy),
	    cmocka_unit_test(test_reboot_stop_policy),
	    cmocka_unit_test(test_reboot_restart_policy),
	    cmocka_unit_test(test_watchdog),
	    cmocka_unit_test(test_console_lines),
	    cmocka_unit_test(test_console_escapes_guest_bytes),
	    cmocka_unit_test(test_console_no_forged_lines),
	    cmocka_unit_test(test_console_ignores_log_level),
	    cmocka_unit_test(test_doorbell_permission),
	    cmocka_unit_test(test_doorbell_coalesces),
	    cmocka_unit_test(test_raise_pending_no_kick),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
