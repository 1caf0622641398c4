/*
 * Unit tests for devices/pc_apic.c's vCPU interrupt controller as the VMX backend sees it
 * for APIC virtualization: the register page it hands over (its HPA, laid out as the
 * virtual-APIC page), a TPR the CPU writes there behind the model's back, and the TPR
 * threshold that has to follow IRR and TPR.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "devices/devices.h"
#include "devices/pc.h"
#include "test/unit/vm_fixture.h"

static struct vm vm;
static struct vm_config cfg;

static struct pc *pc_vm(void)
{
	fx_setup(&vm, &cfg, 0);
	cfg.platform = VM_PLATFORM_PC;
	vm.tsc_hz = 2900000000ULL;
	assert_int_equal(dev_attach_platform(&vm), 0);
	assert_ptr_equal(vm.devs[0].model, &pc_model);
	return vm.devs[0].state;
}

static void mmio_wr(uint64_t off, uint32_t v)
{
	assert_int_equal(iobus_write(&vm.bus, IOBUS_MMIO, PC_LAPIC_BASE + off, 4, v), 0);
}

static uint32_t mmio_rd(uint64_t off)
{
	uint64_t v = 0xdead;

	assert_int_equal(iobus_read(&vm.bus, IOBUS_MMIO, PC_LAPIC_BASE + off, 4, &v), 0);
	return (uint32_t)v;
}

/* What a fixed, physical-destination message to APIC 0 does (an IOAPIC pin, say). */
static void send(struct pc *pc, uint8_t vector)
{
	struct apic_msg m = {.vector = vector, .delivery = APIC_DM_FIXED, .dest = 0};

	pc_apic_route(pc, &m, -1, LAPIC_SH_NONE);
}

static void test_page_handed_over(void **state)
{
	struct pc *pc = pc_vm();
	const struct vcpu_intc *ic = &vm.vcpus[0].intc;

	assert_non_null(ic->tpr_threshold);
	assert_non_null(ic->x2apic);
	assert_int_equal(ic->apic_page.v, va_to_hpa(pc->lapic_page[0]).v);
	assert_int_equal(ic->apic_page.v & 0xfff, 0);
	assert_int_not_equal(ic->apic_page.v, 0);
	/* the page is the register file: VER at 0x30 as the guest reads it */
	assert_int_equal(((uint32_t *)pc->lapic_page[0])[LAPIC_VER / 4], mmio_rd(LAPIC_VER));
}

static void test_tpr_in_page_and_threshold(void **state)
{
	struct pc *pc = pc_vm();
	const struct vcpu_intc *ic = &vm.vcpus[0].intc;
	uint32_t *page = pc->lapic_page[0];

	mmio_wr(LAPIC_SVR, 0x1ff);
	assert_int_equal(ic->tpr_threshold(ic->ctx), 0);
	page[LAPIC_TPR / 4] = 0x60; /* MOV CR8, 6 under a TPR shadow: no exit, no call */
	assert_int_equal(ic->get_cr8(ic->ctx), 6);
	assert_int_equal(mmio_rd(LAPIC_PPR), 0x60);
	vm.vcpus[0].work = 0;
	send(pc, 0x51);
	assert_true(vm.vcpus[0].work & VCPU_WORK_IRQ); /* the backend rewrites the threshold */
	assert_int_equal(ic->pending(ic->ctx), -1);
	assert_int_equal(ic->tpr_threshold(ic->ctx), 5);
	page[LAPIC_TPR / 4] = 0x40; /* below 5: the CPU's TPR-below-threshold exit */
	assert_int_equal(ic->pending(ic->ctx), 0x51);
	assert_int_equal(ic->tpr_threshold(ic->ctx), 0);
	assert_int_equal(ic->ack(ic->ctx, 0x51), 0x51);
	assert_int_equal(page[LAPIC_PPR / 4], 0x50);
	vm.vcpus[0].work = 0;
	ic->set_cr8(ic->ctx, 0xf); /* the exiting path (no TPR shadow) */
	assert_int_equal(page[LAPIC_TPR / 4], 0xf0);
	assert_true(vm.vcpus[0].work & VCPU_WORK_IRQ);
	send(pc, 0x72);
	assert_int_equal(ic->tpr_threshold(ic->ctx), 7);
	mmio_wr(LAPIC_TPR, 0x20); /* a TPR write through the page's MMIO: IRQ work too */
	assert_int_equal(ic->tpr_threshold(ic->ctx), 0);
	assert_int_equal(ic->pending(ic->ctx), 0x72);
}

/* The mode the VMX side asks for after IA32_APIC_BASE writes (x2APIC reads from the page). */
static void test_x2apic_mode_hook(void **state)
{
	struct pc *pc = pc_vm();
	const struct vcpu_intc *ic = &vm.vcpus[0].intc;
	uint64_t base = 0;

	(void)pc;
	assert_false(ic->x2apic(ic->ctx));
	assert_int_equal(iobus_read(&vm.bus, IOBUS_MSR, 0x1b, 8, &base), 0);
	assert_int_equal(base, PC_LAPIC_BASE | LAPIC_BASE_EN | LAPIC_BASE_BSP);
	assert_int_equal(iobus_write(&vm.bus, IOBUS_MSR, 0x1b, 8, base | LAPIC_BASE_EXTD), 0);
	assert_true(ic->x2apic(ic->ctx));
	assert_int_equal(iobus_write(&vm.bus, IOBUS_MSR, 0x1b, 8, 0), 0); /* disabled */
	assert_false(ic->x2apic(ic->ctx));
	assert_int_equal(iobus_write(&vm.bus, IOBUS_MSR, 0x1b, 8, base), 0);
	assert_false(ic->x2apic(ic->ctx));
}

/* The xAPIC page hook: true only in xAPIC mode at the bus's base. */
static void test_xapic_page_hook(void **state)
{
	struct pc *pc = pc_vm();
	const struct vcpu_intc *ic = &vm.vcpus[0].intc;
	uint64_t base = PC_LAPIC_BASE | LAPIC_BASE_EN | LAPIC_BASE_BSP, g = 0;

	(void)pc;
	assert_true(ic->xapic_page(ic->ctx, &g));
	assert_int_equal(g, PC_LAPIC_BASE);
	assert_int_equal(iobus_write(&vm.bus, IOBUS_MSR, 0x1b, 8, base | LAPIC_BASE_EXTD), 0);
	assert_false(ic->xapic_page(ic->ctx, &g));
	assert_int_equal(iobus_write(&vm.bus, IOBUS_MSR, 0x1b, 8, 0), 0); /* disabled */
	assert_false(ic->xapic_page(ic->ctx, &g));
	assert_int_equal(iobus_write(&vm.bus, IOBUS_MSR, 0x1b, 8, base), 0);
	assert_true(ic->xapic_page(ic->ctx, &g));
	/* moved: the bus still serves 0xFEE00000, the page no longer is the APIC's */
	assert_int_equal(iobus_write(&vm.bus, IOBUS_MSR, 0x1b, 8, base + 0x100000), 0);
	assert_false(ic->xapic_page(ic->ctx, &g));
}

/* An APIC-write exit: the CPU's store in the page, completed through the model; kicks. */
static void test_apic_write_hook(void **state)
{
	struct pc *pc = pc_vm();
	const struct vcpu_intc *ic = &vm.vcpus[0].intc;
	uint32_t *page = pc->lapic_page[0];

	mmio_wr(LAPIC_SVR, 0x1FF);
	vm.vcpus[0].work = 0;
	page[LAPIC_ICR_LO / 4] = (LAPIC_SH_SELF << 18) | 0x45; /* self IPI */
	ic->apic_write(ic->ctx, LAPIC_ICR_LO);
	assert_int_equal(ic->pending(ic->ctx), 0x45);
	assert_true(vm.vcpus[0].work & VCPU_WORK_IRQ);
	page[LAPIC_LVT_ERR / 4] = 0xFFFFFFFF; /* only vector and mask stick */
	ic->apic_write(ic->ctx, LAPIC_LVT_ERR);
	assert_int_equal(mmio_rd(LAPIC_LVT_ERR), LAPIC_MASKED | 0xFF);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_page_handed_over),
	    cmocka_unit_test(test_tpr_in_page_and_threshold),
	    cmocka_unit_test(test_x2apic_mode_hook),
	    cmocka_unit_test(test_xapic_page_hook),
	    cmocka_unit_test(test_apic_write_hook),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
