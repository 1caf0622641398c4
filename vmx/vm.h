/*
 * A running VM: its configuration, memory slots, EPT, the one vCPU, device
 * instances and exit statistics. Created from a validated vm_config by
 * vm_create, run by vm_run until it stops; a stopped VM never stops another.
 */
#ifndef VMX_VM_H
#define VMX_VM_H

#include "emul/decode.h"
#include "ept/ept.h"
#include "mm/owner.h"
#include "mm/page.h"
#include "config/config.h"
#include "mm/memslot.h"
#include "vmx/vmcs.h"
#include "vmx/vmx.h"

#define NR_EXIT_REASONS	  70
#define VM_MAX_DEVS	  8
#define VM_MAX_RAM_BLOCKS 64
#define VM_LINE_MAX	  160

struct vm;

/* An emulated-MMIO device model (devices/). Offsets are relative to the region base. */
struct mmio_dev_ops {
	const char *name;
	int (*read)(struct vm *vm, void *state, uint64_t off, unsigned width, uint64_t *val);
	int (*write)(struct vm *vm, void *state, uint64_t off, unsigned width, uint64_t val);
	bool slow; /* never switch to the EPT-misconfiguration fast path */
	size_t state_size;
};

struct mmio_dev {
	gpa_t base;
	uint64_t size;
	const struct mmio_dev_ops *ops;
	void *state;
};

enum vm_state { VM_RUNNING, VM_RESTARTING, VM_STOPPED };

#define VM_DCACHE 16

/* A decoded MMIO instruction (vmx/mmio.c), valid while its 15 bytes are unchanged. */
struct decode_entry {
	uint64_t gpa; /* 0: empty */
	uint8_t mode;
	uint8_t bytes[15];
	struct insn insn;
};

struct vcpu {
	uint64_t regs[NR_GPRS]; /* guest GPRs while in root; regs[RSP] synced on demand */
	hpa_t vmcs;
	bool launched;
	uint16_t vpid;
};

struct ram_block {
	hpa_t hpa;
	unsigned order;
	bool scrub; /* RAM: zeroed on restart (ROM keeps its image, shared memory its data) */
};

struct vm {
	const struct vm_config *cfg;
	unsigned id;
	owner_t owner;
	struct memslots slots;
	const struct mem_slot *last_slot; /* cache for guest page-walk reads */
	struct decode_entry dcache[VM_DCACHE];
	struct ept ept;
	uint64_t eptp;
	struct vcpu vcpu;
	struct mmio_dev devs[VM_MAX_DEVS];
	unsigned nr_devs;
	struct ram_block ram[VM_MAX_RAM_BLOCKS];
	unsigned nr_ram;
	void *msr_bitmap;
	hpa_t msr_bitmap_hpa;
	enum vm_state state;
	int exit_status;
	const char *stop_reason;
	uint64_t exits[NR_EXIT_REASONS];
	const char *inject;	/* test hook: "bad-guest-state" or "bad-control" */
	const char *extra_args; /* added to the guest command line (hypervisor's guestargs=) */
	unsigned cpu;		/* physical CPU running it */
	unsigned restarts, watchdog_fires;
	uint64_t doorbells_sent, doorbells_received;
	uint64_t wd_deadline;	   /* TSC by which the next heartbeat is due */
	volatile bool irq_pending; /* doorbell rung, not yet injected */
	volatile bool idle;	   /* in the HLT idle loop, polling irq_pending */
	uint32_t timer_reload;	   /* preemption-timer value of one tick */
	char line[VM_LINE_MAX];	   /* console output until the newline */
	unsigned line_len;
};

int vm_create(struct vm *vm, const struct vm_config *cfg, unsigned id, const char *extra_args);
/* Check the VM's EPT against the owner tags; returns the number of violations. */
int vm_audit(const struct vm *vm);
extern struct owner_registry hv_owners; /* shared regions of the running configuration */
void vm_run(struct vm *vm);
/* Final: the VM stops whatever its policy (HC_EXIT, failed VM entry). */
void vm_stop(struct vm *vm, int status, const char *why);
/* A fatal guest event: stop or restart per the VM's policy (vmx/lifecycle.c). */
void vm_fault(struct vm *vm, int status, const char *why);
int vm_restart(struct vm *vm);
int vm_load_guest(struct vm *vm);
void vm_watchdog_kick(struct vm *vm);
/* True (and the policy applied) when the heartbeat is overdue. */
bool vm_watchdog_expired(struct vm *vm);
int vm_ring_doorbell(struct vm *from, uint64_t peer);
void vm_deliver_pending(struct vm *vm);
void vm_register(struct vm *vm);
struct vm *vm_by_id(unsigned id);
unsigned vm_count(void);
void hv_print_stats(const struct vm *asker);
void hv_note_stopped(void);
extern volatile bool hv_stopping; /* the foreground VMs are done: background VMs stop too */
void vm_print_stats(const struct vm *vm);
void vm_console_putc(struct vm *vm, char c);

/* vmx/vcpu.c */
int vcpu_setup(struct vm *vm, uint64_t entry, uint64_t ebx_info, uint32_t eax_magic);
void vcpu_inject_exception(unsigned vector, bool has_error, uint32_t error);
/*
 * Skip the instruction the hypervisor just emulated. Like the CPU finishing
 * it, this ends any STI or MOV SS interrupt shadow (else `sti; hlt` would
 * keep interrupts blocked past the HLT).
 */
static inline void vcpu_advance_rip(void)
{
	uint32_t shadow = vmcs_read32(GUEST_INTERRUPTIBILITY);

	vmcs_writenat(GUEST_RIP, vmcs_readnat(GUEST_RIP) + vmcs_read32(EXIT_INSTR_LEN));
	if (unlikely(shadow & INTERRUPTIBILITY_BLOCKING))
		vmcs_write32(GUEST_INTERRUPTIBILITY, shadow & ~(uint32_t)INTERRUPTIBILITY_BLOCKING);
}

/* vmx/exit.c */
int vmx_exit_dispatch(uint64_t *regs, uint32_t reason);
const char *exit_reason_name(uint32_t reason);

/* vmx/audit.c: explain a failed VM entry */
void vmx_audit_entry_failure(struct vm *vm, bool instruction_error);

/* vmx/mmio.c: emulated MMIO */
int vm_mmio_emulate(struct vm *vm, gpa_t gpa);
struct mmio_dev *vm_find_dev(struct vm *vm, gpa_t gpa);

/* devices/ */
const struct mmio_dev_ops *mmio_dev_lookup(const char *name);
int port_io(struct vm *vm, uint16_t port, unsigned size, bool in, uint32_t *val);

#endif
