/*
 * Unit tests for devices/: the registry and instantiation (unknown model,
 * full device table, state allocation failure, overlapping ranges), the MMIO
 * test device (every register width, scratch area, write counter, reset),
 * the console UARTs (MMIO and COM1) and the debug-exit port.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "abi/kestrel.h"
#include "devices/devices.h"
#include "lib/errno.h"
#include "test/unit/vm_fixture.h"

#define TD_BASE 0xd0000000ULL

static const struct vm_region td_region = MMIO(TD_BASE, 4 * KiB, "testdev");

static uint64_t rd(struct vm *vm, enum iobus_space sp, uint64_t a, unsigned w)
{
	uint64_t v = 0xdead;

	assert_int_equal(iobus_read(&vm->bus, sp, a, w, &v), 0);
	return v;
}

static void wr(struct vm *vm, enum iobus_space sp, uint64_t a, unsigned w, uint64_t v)
{
	assert_int_equal(iobus_write(&vm->bus, sp, a, w, v), 0);
}

static void test_registry(void **state)
{
	static struct vm vm;
	struct vm_config cfg;
	const struct vm_region second = MMIO(TD_BASE + 0x800, 4 * KiB, "testdev");

	fx_setup(&vm, &cfg, 0);
	assert_ptr_equal(dev_model_find("testdev"), &testdev_model);
	assert_ptr_equal(dev_model_find("com1"), &com1_model);
	assert_null(dev_model_find("nosuch"));
	assert_null(dev_model_find(NULL));
	assert_int_equal(dev_attach(&vm, "nosuch", &td_region), -ENODEV);
	assert_int_equal(dev_attach(&vm, "testdev", &td_region), 0);
	assert_int_equal(dev_attach(&vm, "testdev", &second), -EEXIST); /* bus refuses overlap */
	assert_int_equal(vm.nr_devs, 1);
	assert_int_equal(dev_attach(&vm, "testdev", NULL), -EINVAL); /* MMIO model needs a region */
	fake_page_limit = fake_page_allocs;
	assert_int_equal(dev_attach(&vm, "uart", &(struct vm_region)MMIO(0xe0000000, 4096, "uart")),
			 -ENOMEM);
	fake_page_limit = ~0UL;
	for (unsigned i = 1; i < VM_MAX_DEVS; i++) {
		struct vm_region r = MMIO(0xe0000000 + i * 0x1000ULL, 4096, "uart");
		assert_int_equal(dev_attach(&vm, "uart", &r), 0);
	}
	assert_int_equal(dev_attach(&vm, "uart", &(struct vm_region)MMIO(0xf0000000, 4096, "uart")),
			 -ENOSPC);
}

static void test_testdev_registers(void **state)
{
	static struct vm vm;
	struct vm_config cfg;

	fx_setup(&vm, &cfg, 0);
	assert_int_equal(dev_attach(&vm, "testdev", &td_region), 0);
	assert_int_equal(rd(&vm, IOBUS_MMIO, TD_BASE + TD_ID, 4), TD_ID_VALUE);
	wr(&vm, IOBUS_MMIO, TD_BASE + TD_R64, 8, 0x1122334455667788ULL);
	wr(&vm, IOBUS_MMIO, TD_BASE + TD_R32, 4, 0xcafef00dULL);
	wr(&vm, IOBUS_MMIO, TD_BASE + TD_R16, 2, 0xbeef);
	wr(&vm, IOBUS_MMIO, TD_BASE + TD_R8, 1, 0x5a);
	wr(&vm, IOBUS_MMIO, TD_BASE + TD_ID, 4, 0); /* read-only: ignored but counted */
	assert_int_equal(rd(&vm, IOBUS_MMIO, TD_BASE + TD_R64, 8), 0x1122334455667788ULL);
	assert_int_equal(rd(&vm, IOBUS_MMIO, TD_BASE + TD_R32, 4), 0xcafef00d);
	assert_int_equal(rd(&vm, IOBUS_MMIO, TD_BASE + TD_R16, 2), 0xbeef);
	assert_int_equal(rd(&vm, IOBUS_MMIO, TD_BASE + TD_R8, 1), 0x5a);
	assert_int_equal(rd(&vm, IOBUS_MMIO, TD_BASE + TD_ID, 4), TD_ID_VALUE);
	assert_int_equal(rd(&vm, IOBUS_MMIO, TD_BASE + TD_COUNT, 4), 5);
	assert_int_equal(rd(&vm, IOBUS_MMIO, TD_BASE + TD_R32, 2), 0xffff); /* wrong width */
	assert_int_equal(rd(&vm, IOBUS_MMIO, TD_BASE + 0x40, 8), ~0ULL);    /* unknown */
	wr(&vm, IOBUS_MMIO, TD_BASE + TD_SCRATCH + 3, 4, 0xa1b2c3d4);
	assert_int_equal(rd(&vm, IOBUS_MMIO, TD_BASE + TD_SCRATCH + 3, 4), 0xa1b2c3d4);
	assert_int_equal(rd(&vm, IOBUS_MMIO, TD_BASE + TD_SCRATCH + 4, 1), 0xc3);
	assert_int_equal(rd(&vm, IOBUS_MMIO, TD_BASE + TD_SCRATCH_END - 1, 1), 0);
	dev_reset_all(&vm);
	assert_int_equal(rd(&vm, IOBUS_MMIO, TD_BASE + TD_R64, 8), 0);
	assert_int_equal(rd(&vm, IOBUS_MMIO, TD_BASE + TD_COUNT, 4), 0);
	assert_int_equal(rd(&vm, IOBUS_MMIO, TD_BASE + TD_SCRATCH + 4, 1), 0);
}

static void test_testdev_slow_flag(void **state)
{
	static struct vm vm;
	struct vm_config cfg;
	const struct vm_region slow = MMIO(TD_BASE + 0x1000, 4 * KiB, "testdev-slow");

	fx_setup(&vm, &cfg, 0);
	assert_int_equal(dev_attach(&vm, "testdev", &td_region), 0);
	assert_int_equal(dev_attach(&vm, "testdev-slow", &slow), 0);
	assert_int_equal(iobus_find(&vm.bus, IOBUS_MMIO, TD_BASE)->flags & IORANGE_SLOW, 0);
	assert_true(iobus_find(&vm.bus, IOBUS_MMIO, TD_BASE + 0x1000)->flags & IORANGE_SLOW);
	assert_int_equal(rd(&vm, IOBUS_MMIO, TD_BASE + 0x1000 + TD_ID, 4), TD_ID_VALUE);
}

static void test_console_uarts(void **state)
{
	static struct vm vm;
	struct vm_config cfg;
	const struct vm_region u = MMIO(0xd0002000, 4 * KiB, "uart");
	const char *s = "hi\n";

	fx_setup(&vm, &cfg, 0);
	assert_int_equal(dev_attach_platform(&vm), 0);
	assert_int_equal(dev_attach(&vm, "uart", &u), 0);
	for (const char *p = s; *p; p++)
		wr(&vm, IOBUS_PIO, PORT_COM1, 1, (uint8_t)*p);
	assert_string_equal(fx_out, "[fx] hi\n");
	assert_int_equal(rd(&vm, IOBUS_PIO, PORT_COM1 + 5, 1), 0x60); /* LSR: idle */
	assert_int_equal(rd(&vm, IOBUS_PIO, PORT_COM1 + 1, 1), 0);    /* others: 0 */
	wr(&vm, IOBUS_PIO, PORT_COM1 + 3, 1, 0x80);		      /* ignored */
	for (const char *p = "mm\n"; *p; p++)
		wr(&vm, IOBUS_MMIO, 0xd0002000, 1, (uint8_t)*p);
	assert_string_equal(fx_out, "[fx] hi\n[fx] mm\n");
	assert_int_equal(rd(&vm, IOBUS_MMIO, 0xd0002005, 1), 0x60);
	assert_null(iobus_find(&vm.bus, IOBUS_PIO, PORT_COM1 + 8));
	assert_null(iobus_find(&vm.bus, IOBUS_PIO, PORT_POST));
}

static void test_debug_exit(void **state)
{
	static struct vm vm;
	struct vm_config cfg;

	fx_setup(&vm, &cfg, 0);
	assert_int_equal(dev_attach_platform(&vm), 0);
	assert_int_equal(rd(&vm, IOBUS_PIO, PORT_DEBUG_EXIT, 1), ~0ULL);
	assert_int_equal(vm.state, VM_RUNNING);
	wr(&vm, IOBUS_PIO, PORT_DEBUG_EXIT, 4, 0x1203);
	assert_int_equal(vm.state, VM_STOPPED);
	assert_int_equal(vm.exit_status, 3); /* low byte, as isa-debug-exit takes it */
	assert_string_equal(vm.stop_reason, "debug-exit port");
	dev_reset_all(&vm); /* keeps the wiring: the port still ends the VM */
	vm.state = VM_RUNNING;
	wr(&vm, IOBUS_PIO, PORT_DEBUG_EXIT, 1, 9);
	assert_int_equal(vm.exit_status, 9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_registry),	      cmocka_unit_test(test_testdev_registers),
	    cmocka_unit_test(test_testdev_slow_flag), cmocka_unit_test(test_console_uarts),
	    cmocka_unit_test(test_debug_exit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
