/*
 * The PC platform of a VM (config VM_PLATFORM_PC): the device models wired as
 * on a PC. ISA lines go to both the 8259A pair and the IOAPIC (ISA IRQ 0 on
 * IOAPIC pin 2, the usual interrupt source override); the PIC's INT feeds the
 * local APIC's LINT0; the IOAPIC's messages and the APICs' IPIs reach the VM's
 * local APICs only; the ACPI PM registers' SCI is ISA IRQ 9. devices/pc.c builds
 * it, devices/pc_apic.c is the APIC side.
 */
#ifndef DEVICES_PC_H
#define DEVICES_PC_H

#include "devices/acpipm.h"
#include "devices/ioapic.h"
#include "devices/lapic.h"
#include "devices/pic.h"
#include "devices/pit.h"
#include "devices/reset.h"
#include "devices/rtc.h"
#include "devices/uart16550.h"
#include "vm/vm.h"

#define PC_LAPIC_BASE  0xfee00000ULL
#define PC_IOAPIC_BASE 0xfec00000ULL
#define PC_APIC_BUS_HZ 1000000000ULL /* the APIC timer's input clock, as KVM's 1 GHz */

/* ISA IRQs of the platform's own devices, and the IOAPIC pin each one drives. */
#define PC_IRQ_PIT  0
#define PC_IRQ_COM1 4
#define PC_IRQ_RTC  8
#define PC_IRQ_SCI  9 /* level, active high (the MADT's override says so) */

#define PC_PORT_RANGES 11

struct pc;
/*
 * The platform's port devices, one per claimed range. The ISA ones take wider
 * accesses byte by byte; PC_ACPIPM and PC_RESET take each access whole (a PM
 * timer read is one reading).
 */
enum pc_port_dev { PC_PIC, PC_PIT, PC_RTC, PC_COM1, PC_ACPIPM, PC_RESET };

/* One claimed port range: the bus gives offsets from its base, the handler wants ports. */
struct pc_port_range {
	struct pc *pc;
	uint16_t base;
	enum pc_port_dev dev;
};

/* A vCPU's side of the platform: what its local APIC's callbacks get. */
struct pc_vcpu {
	struct pc *pc;
	unsigned index;
};

struct pc {
	struct vm *vm;
	struct pc_port_range ports[PC_PORT_RANGES];
	struct pc_vcpu vcpu[VM_MAX_VCPUS];
	struct pic pic;
	struct pit pit;
	struct rtc rtc;
	struct uart com1;
	struct ioapic ioapic;
	struct acpipm acpipm;
	struct reset_ctl reset;
	struct lapic lapic[VM_MAX_VCPUS];
	void *lapic_page[VM_MAX_VCPUS]; /* 4 KiB register pages, the hypervisor's */
	hpa_t lapic_page_hpa[VM_MAX_VCPUS];
};

/* The wall clock (Unix seconds) at TSC pc_boot_tsc: every PC VM's RTC follows it. */
extern uint64_t pc_boot_epoch, pc_boot_tsc;

/* The vCPU's interrupt controller says ExtINT: the PIC gives the vector at INTA. */
#define PC_INTC_EXTINT 256

/*
 * Ask vCPU @i to look at @work (VCPU_WORK_*) before it next enters: an interrupt
 * to consider, or device deadlines to re-arm its timer from (a device that is
 * polled exits often; the preemption timer's count is not relied on across
 * such a run of exits).
 */
static inline void pc_wake(struct pc *pc, unsigned i, uint32_t work)
{
	vcpu_wake(&pc->vm->vcpus[i], work, i != pc->vm->dev_vcpu);
}

/* The local APIC of the vCPU whose access the platform is serving (inside vm_dev_lock). */
static inline struct lapic *pc_this_lapic(struct pc *pc)
{
	return &pc->lapic[pc->vm->dev_vcpu];
}

/* devices/pc_apic.c: the local APICs' ranges (MMIO, MSRs) and the vCPUs' interrupt controller */
int pc_apic_attach(struct pc *pc);
void pc_apic_reset(struct pc *pc);
/* A message from the IOAPIC or a local APIC to the VM's APICs that it names. */
void pc_apic_route(struct pc *pc, const struct apic_msg *m, int from, unsigned shorthand);

#endif
