/*
 * The VM model, independent of VMX: a VM is its configuration, memory slots,
 * EPT, vCPUs, device instances on an I/O bus, and its lifecycle state. The
 * VMX backend (vmx/) runs vCPUs and implements struct vcpu_ops; hv/ builds
 * VMs and applies their restart policy. Builds on the host.
 *
 * Invariants: a VM's failure changes only that VM's state; vcpus[0..nr_vcpus)
 * belong to this VM and are never shared; devs[] own their state blocks.
 */
#ifndef VM_VM_H
#define VM_VM_H

#include "config/config.h"
#include "config/validate.h"
#include "emul/decode.h"
#include "ept/ept.h"
#include "fw/mb2.h"
#include "mm/memslot.h"
#include "mm/page.h"
#include "vm/coalesced.h"
#include "vm/intr.h"
#include "vm/iobus.h"
#include "lib/spinlock.h"
#include "vm/demand.h"
#include "vm/ramzero.h"
#include "vm/ckpt.h"
#include "vm/dirty.h"
#include "vm/slotctl.h"

#define VM_NR_EXIT_COUNTERS 70			    /* indexed by the backend's exit reason */
#define VM_MAX_DEVS	    VALIDATE_MAX_DEVS	    /* the validator counts them */
#define VM_MAX_RAM_BLOCKS   VALIDATE_MAX_RAM_BLOCKS /* as it counts these */
#define VM_LINE_MAX	    256
#define VM_DCACHE	    16

/* Guest general-purpose registers in instruction-encoding order (RSP lives in the VMCS). */
enum gpr { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15, NR_GPRS };

enum vm_state { VM_RUNNING, VM_RESTARTING, VM_STOPPED };

struct vm;
struct vcpu;

/* What the VM model asks of the backend that runs a vCPU (vmx/vcpu.c implements it). */
struct vcpu_ops {
	void (*kick)(struct vcpu *v);	      /* make a vCPU running its guest notice new work */
	uint64_t (*rip)(struct vcpu *v);      /* guest RIP, for diagnostics */
	uint64_t (*now)(void);		      /* the TSC, the unit of every VM time */
	void (*shootdown)(struct vcpu *self); /* INVEPT on every vCPU of self's VM */
};

/* State the VMX backend keeps per vCPU; plain data, opaque to the VM model. */
struct vcpu_hw {
	hpa_t vmcs;
	bool launched;
	uint16_t vpid;
	uint32_t timer_reload; /* preemption-timer value of one tick */
	uint64_t tick_due;     /* TSC of the next periodic tick (watchdog, end of run) */
	unsigned timer_rate;   /* the preemption timer counts TSC >> timer_rate */
	uint32_t df_cause;     /* the event whose delivery raised the guest's last #DF */
	bool vnmi;	       /* virtual NMIs: the CPU tracks the guest's NMI blocking */
	bool tpr_shadow;       /* MOV CR8 works on the APIC page's TPR without exiting */
	bool x2apic_reads;     /* RDMSR of x2APIC registers reads the APIC page */
	bool apic_access;      /* "virtualize APIC accesses": the xAPIC page at apic_gpa */
	uint64_t apic_gpa;     /* where the EPT maps the VM's APIC-access page while on */
	bool vintr;	       /* virtual-interrupt delivery: RVI/SVI, EOI virtualization */
	uint64_t eoi_exit[4];  /* the EOI-exit bitmap written last */
	uint64_t *pml;	       /* its page-modification log (vmx/pml.c), NULL: none */
	hpa_t pml_hpa;
};

/* Pending external-interrupt vectors of a vCPU (the interrupt path's last stage). */
struct vcpu_irqs {
	uint64_t pending[4]; /* bit v: vector v waits for injection */
};

#define VCPU_WORK_IRQ	BIT(0) /* a vector is pending: look before the next entry */
#define VCPU_WORK_TIMER BIT(1) /* a device's next event moved: re-arm the vCPU's timer */
#define VCPU_WORK_INIT	BIT(2) /* INIT or SIPI latched by its local APIC: take it in root */
#define VCPU_WORK_FLUSH BIT(3) /* the VM's EPT changed: INVEPT before the next entry */

/*
 * The vCPU's interrupt controller when it has one (a local APIC, devices/pc.c):
 * the vector it would have the CPU take now (-1: none; ExtINT resolved), and the
 * CPU taking it. Without one, vectors pend in struct vcpu_irqs alone.
 */
#define VCPU_INTC_EXTINT 256 /* pending(): ExtINT, the PIC's vector comes from ack() */

struct vcpu_intc {
	int (*pending)(void *ctx);
	int (*ack)(void *ctx, int pending); /* the vector to inject for what pending() said */
	bool (*nmi)(void *ctx, bool take);  /* an NMI is pending (and @take: it is taken) */
	uint8_t (*get_cr8)(void *ctx);	    /* CR8 is TPR[7:4] */
	void (*set_cr8)(void *ctx, uint8_t cr8);
	/*
	 * For the CPU's APIC virtualization, both or neither: the register page laid out
	 * as the virtual-APIC page (TPR at 0x80; the CPU may write TPR there itself), and
	 * the TPR class below which a TPR write must reach the controller (0: none).
	 */
	hpa_t apic_page;
	uint8_t (*tpr_threshold)(void *ctx);
	bool (*x2apic)(void *ctx); /* in x2APIC mode: the page answers x2APIC register reads */
	/*
	 * The SDM's MP start-up signals, latched by the controller: an INIT (true: taken,
	 * the controller is already reset as INIT resets it), and a SIPI with its vector.
	 */
	bool (*take_init)(void *ctx);
	bool (*take_sipi)(void *ctx, uint8_t *vector);
	/*
	 * Both or neither, for an APIC-access page: xapic_page says whether the guest's xAPIC
	 * registers are the page at *gpa now (xAPIC mode, the base where the bus serves them);
	 * apic_write completes a write the CPU stored in the register page at @off
	 * (APIC-register virtualization's APIC-write exit).
	 */
	bool (*xapic_page)(void *ctx, uint64_t *gpa);
	void (*apic_write)(void *ctx, uint32_t off);
	/*
	 * Virtual-interrupt delivery, all or none: vintr tells the controller that the CPU now
	 * moves its page's IRR/ISR bits too (so only the vCPU's own CPU may change them, between
	 * exits); intr_status gives RVI | SVI << 8 and the EOI-exit bitmap for the next entry;
	 * virtual_eoi completes an EOI-induced exit. pending() still reports the fixed vectors
	 * (HLT wakes on them); below VCPU_INTC_EXTINT the CPU delivers them itself.
	 */
	void (*vintr)(void *ctx, bool on);
	uint16_t (*intr_status)(void *ctx, uint64_t eoi_exit[4]);
	void (*virtual_eoi)(void *ctx, uint8_t vector);
	void *ctx;
};

/*
 * A VM's device time as vCPU @vcpu sees it: when its devices next need attention (TSC),
 * and bringing them to @now. Each vCPU runs its own local APIC's time; the boot vCPU
 * also runs the platform's devices.
 */
struct vm_timer {
	uint64_t (*next_event)(void *ctx, unsigned vcpu);
	void (*advance)(void *ctx, uint64_t now, unsigned vcpu);
	void *ctx;
};

/* The SDM's multiprocessor states of a vCPU: running, or after INIT waiting for a SIPI. */
enum vcpu_mp { VCPU_MP_RUN, VCPU_MP_WAIT_SIPI };

/* What a vCPU counted; kept across restarts (the VM's figures are their sums). */
struct vcpu_stats {
	uint64_t exits[VM_NR_EXIT_COUNTERS];
	uint64_t inits, sipis, sipis_ignored;		     /* MP start-up signals taken */
	uint64_t flushes;				     /* EPT shoot-downs this vCPU took */
	uint64_t shootdowns, shootdown_ticks, shootdown_max; /* ... and sent, their cost */
	uint64_t start_ticks; /* its last start: SIPI taken -> VMCS ready (TSC ticks) */
};

struct vcpu {
	uint64_t regs[NR_GPRS]; /* guest GPRs while in root; regs[RSP] synced on demand */
	struct vm *vm;
	unsigned index;		/* vCPU number in its VM */
	unsigned cpu;		/* physical CPU that runs it */
	volatile uint32_t work; /* VCPU_WORK_*: one test before each entry */
	volatile bool idle;	/* halted in root, polling work */
	struct vcpu_irqs irqs;
	struct vcpu_intc intc;
	uint8_t cr8;	 /* without a local APIC: what the guest last wrote to CR8 */
	uint8_t mp;	 /* enum vcpu_mp; only its own CPU changes it */
	bool sipi_ready; /* waiting for a SIPI, one came: start at sipi_vector's page */
	uint8_t sipi_vector;
	struct vcpu_hw hw;
	struct vcpu_stats stats;
};

/* State the VMX backend keeps per VM. */
struct vm_hw {
	uint64_t eptp;
	void *msr_bitmap;
	hpa_t msr_bitmap_hpa;
	hpa_t apic_access_hpa; /* the APIC-access page (vmx/apicv.c), allocated once */
};

/* Where a VM's console input goes (vm/conin.h): a device's receive side. */
struct conin_sink {
	bool (*put)(void *ctx, uint8_t byte); /* false: no room, byte refused */
	unsigned (*room)(void *ctx);	      /* bytes it can take now */
	void *ctx;
};

/* A device model instance (devices/): its model and its state block. */
struct dev_model;
struct dev_instance {
	const struct dev_model *model;
	void *state;
	unsigned order; /* state block: 2^order pages */
};

/* A decoded MMIO instruction (vmx/mmio.c), valid while its 15 bytes are unchanged. */
struct decode_entry {
	uint64_t gpa; /* 0: empty */
	uint8_t mode;
	uint8_t bytes[15];
	struct insn insn;
};

struct ram_block {
	hpa_t hpa;
	unsigned order;
	bool scrub; /* RAM: zeroed on restart (ROM keeps its image, shared memory its data) */
};

/*
 * Several vCPUs (docs/smp.md): lifecycle changes (stop, fault, reboot) hold life_lock and
 * kick every vCPU out of its guest; every device access, interrupt-controller call and
 * device-time step holds dev_lock, which the vCPU holding it may take again (nested
 * paths: a UART read polls the console, whose sink is the UART), and dev_vcpu names the
 * vCPU inside (the local APIC it reaches). A VM with one vCPU takes neither spinlock.
 */
struct vm_devlock {
	spinlock_t lock;
	volatile int holder; /* vCPU index inside, -1: none */
	unsigned depth;
};

struct vm {
	const struct vm_config *cfg;
	const struct mb2_info *boot_info; /* where the guest's image and modules come from */
	const struct vcpu_ops *vcpu_ops;
	uint64_t tsc_hz;     /* the guest TSC's rate, measured at boot */
	unsigned maxphyaddr; /* physical-address width the guest's CPUID reports */
	struct vm_timer timer;
	unsigned id;
	owner_t owner;
	struct memslots slots;
	const struct mem_slot *last_slot; /* cache for guest page-walk reads */
	struct decode_entry dcache[VM_DCACHE];
	struct ept ept;
	struct vm_hw hw;
	struct vcpu *vcpus; /* nr_vcpus of them, from the configuration */
	unsigned nr_vcpus;
	struct iobus bus;
	struct coalesced coal; /* coalesced-MMIO ring (vm/coalesced.h), under dev_lock */
	struct irq_router router;
	struct conin_sink conin; /* console input, when a device takes it */
	struct dev_instance devs[VM_MAX_DEVS];
	unsigned nr_devs;
	struct ram_block ram[VM_MAX_RAM_BLOCKS];
	unsigned nr_ram;
	struct ramzero ramzero; /* RAM zeroed 2 MiB at a time, on first touch */
	struct ckpt ckpt;	/* checkpoints, when the configuration reserves memory for them */
	struct vm_dirty dirty;	/* dirty logging per RAM region (vm/dirty.c) */
	struct demand demand;	/* RAM regions with no frames until first touched */
	struct slotctl slotctl; /* RAM slots added at run time (vm/slotctl.h) */
	enum vm_state state;
	int exit_status;
	spinlock_t life_lock;
	struct vm_devlock dev_lock;
	spinlock_t con_lock; /* line[] below */
	unsigned dev_vcpu;   /* the vCPU inside dev_lock (always 0 with one vCPU) */
	/*
	 * Restart hand-shake (hv/lifecycle.c): the boot vCPU restarts the VM once every AP
	 * has parked in root for this epoch (parked[i] == epoch + 1); APs wait for epoch to
	 * move on (restart done) or for finished (the VM stopped for good).
	 */
	volatile bool finished;
	/*
	 * Set by a run-time slot edit from any CPU (vmx/slots.c): each vCPU taking its next
	 * EPT flush waits in root, holding no slot pointer, until it is cleared.
	 */
	volatile bool slot_hold;
	volatile uint64_t epoch;
	volatile uint64_t parked[VM_MAX_VCPUS];
	volatile uint64_t ept_gen; /* bumped by each EPT change every vCPU must flush */
	uint64_t ept_flushed[VM_MAX_VCPUS];
	const char *stop_reason;
	const char *inject;	/* test hook: "bad-guest-state" or "bad-control" */
	const char *extra_args; /* added to the guest command line (hypervisor's guestargs=) */
	unsigned restarts, watchdog_fires;
	uint64_t doorbells_sent, doorbells_received;
	uint64_t doorbells_refused;   /* rings that returned an error to the guest */
	uint64_t doorbells_coalesced; /* rings that found the peer's doorbell still pending */
	uint64_t ipis_dropped;	      /* IPIs to destinations outside the VM */
	uint64_t wd_deadline;	      /* TSC by which the next heartbeat is due */
	volatile uint64_t ipis_sent;  /* IPIs from one vCPU to others of the VM */
	char line[VM_LINE_MAX];	      /* console output until the newline */
	unsigned line_len;
};

/*
 * Set up the VM's own state (vCPUs, slots, bus) for @cfg; no memory or EPT yet.
 * @pre cfg was validated. 0, or -ENOMEM.
 */
int vm_init(struct vm *vm, const struct vm_config *cfg, unsigned id, const struct vcpu_ops *ops);
/* Back to the state vm_init gave the VM's vCPUs and lines (restart). */
void vm_reset_runtime(struct vm *vm);

/* Final: the VM stops whatever its policy (HC_EXIT, failed VM entry). */
void vm_stop(struct vm *vm, int status, const char *why);
/* A fatal guest event: stop, or mark for restart, per the VM's policy. */
void vm_fault(struct vm *vm, int status, const char *why);
/*
 * The guest reset its platform (port 0xCF9, the 8042's reset line): restart
 * under VM_POLICY_RESTART (within max_restarts, as a fault would), else stop.
 * Never a fault: the status is 0, @why the reason. A VM no longer running
 * (already stopped or restarting) is left as it is.
 */
void vm_reboot(struct vm *vm, const char *why);
/* True when @vm stopped on a guest fault its configuration does not expect. */
bool vm_faulted(const struct vm *vm);

/* The watchdog's period in TSC ticks at vm->tsc_hz (0: no watchdog). */
uint64_t vm_watchdog_tsc(const struct vm *vm);
void vm_watchdog_kick(struct vm *vm, uint64_t now);
/* True (and the policy applied) when the heartbeat is overdue at TSC @now. */
bool vm_watchdog_expired(struct vm *vm, uint64_t now);

/* The guest's console: bytes gathered into lines printed with the VM's name. */
void vm_console_putc(struct vm *vm, char c);

/* ---- the interrupt path's last stage: vectors pending on a vCPU ---- */

/*
 * Make @vector pending on @v and kick it if it runs its guest. A vCPU idling
 * in HLT polls its work instead: both sides store, then load the other's flag,
 * sequentially consistent, so at least one of them sees the other and no
 * interrupt waits for the next tick. A vector already pending coalesces: the
 * raise that set it set the work bit and kicked, and its injection (ack below
 * clears the vector only as it injects it) comes after this raise, so nothing
 * more is done. Any CPU may call it. True when the vector was newly pending.
 */
static inline bool vcpu_irq_raise(struct vcpu *v, uint8_t vector)
{
	uint64_t bit = BIT(vector % 64);

	if (__atomic_fetch_or(&v->irqs.pending[vector / 64], bit, __ATOMIC_SEQ_CST) & bit)
		return false;
	__atomic_fetch_or(&v->work, VCPU_WORK_IRQ, __ATOMIC_SEQ_CST);
	if (!__atomic_load_n(&v->idle, __ATOMIC_SEQ_CST))
		v->vm->vcpu_ops->kick(v);
	return true;
}

/* Highest pending vector, or -1. */
static inline int vcpu_irq_highest(const struct vcpu *v)
{
	for (int w = 3; w >= 0; w--) {
		uint64_t bits = __atomic_load_n(&v->irqs.pending[w], __ATOMIC_ACQUIRE);
		if (bits)
			return w * 64 + 63 - __builtin_clzll(bits);
	}
	return -1;
}

static inline bool vcpu_irq_any(const struct vcpu *v)
{
	const uint64_t *p = v->irqs.pending;

	return __atomic_load_n(&p[0], __ATOMIC_SEQ_CST) | __atomic_load_n(&p[1], __ATOMIC_SEQ_CST) |
	       __atomic_load_n(&p[2], __ATOMIC_SEQ_CST) | __atomic_load_n(&p[3], __ATOMIC_SEQ_CST);
}

/*
 * The backend injected @vector: it is no longer pending. Called on the vCPU's
 * own CPU. The work bit goes first, then the vector, then the set is looked at
 * once: a vector raised meanwhile (vector, then work bit) is either seen here
 * or sets the work bit after it was cleared.
 */
static inline void vcpu_irq_ack(struct vcpu *v, uint8_t vector)
{
	__atomic_fetch_and(&v->work, ~(uint32_t)VCPU_WORK_IRQ, __ATOMIC_SEQ_CST);
	__atomic_fetch_and(&v->irqs.pending[vector / 64], ~BIT(vector % 64), __ATOMIC_SEQ_CST);
	if (vcpu_irq_any(v))
		__atomic_fetch_or(&v->work, VCPU_WORK_IRQ, __ATOMIC_SEQ_CST);
}

/*
 * Ask @v to look at @work (VCPU_WORK_*) before it next enters; @kick when the caller is
 * not @v itself (another vCPU's exit, a device of another CPU): a vCPU in its guest then
 * takes an exit, one idling in root polls its work (as vcpu_irq_raise).
 */
static inline void vcpu_wake(struct vcpu *v, uint32_t work, bool kick)
{
	__atomic_fetch_or(&v->work, work, __ATOMIC_SEQ_CST);
	if (kick && !__atomic_load_n(&v->idle, __ATOMIC_SEQ_CST))
		v->vm->vcpu_ops->kick(v);
}

/* Enter and leave the VM's devices as vCPU @v (see struct vm_devlock). */
static inline void vm_dev_lock(struct vcpu *v)
{
	struct vm *vm = v->vm;

	if (vm->nr_vcpus > 1) {
		if (__atomic_load_n(&vm->dev_lock.holder, __ATOMIC_RELAXED) == (int)v->index) {
			vm->dev_lock.depth++;
			return;
		}
		spin_lock(&vm->dev_lock.lock);
		__atomic_store_n(&vm->dev_lock.holder, (int)v->index, __ATOMIC_RELAXED);
		vm->dev_lock.depth = 1;
	}
	vm->dev_vcpu = v->index;
}

static inline void vm_dev_unlock(struct vcpu *v)
{
	struct vm *vm = v->vm;

	if (vm->nr_vcpus == 1 || --vm->dev_lock.depth)
		return;
	__atomic_store_n(&vm->dev_lock.holder, -1, __ATOMIC_RELAXED);
	spin_unlock(&vm->dev_lock.lock);
}

/* Every vCPU of @vm that runs its guest takes an exit (a lifecycle change, a flush). */
void vm_kick_all(struct vm *vm);
/* The exits of every vCPU of @vm for @reason. */
uint64_t vm_exits(const struct vm *vm, unsigned reason);

/* ---- every VM of the run ---- */

/* 0, or -ENOSPC past VALIDATE_MAX_RUN_VMS (which the validator refuses first). */
int vm_register(struct vm *vm);
struct vm *vm_by_id(unsigned id);
unsigned vm_count(void);
struct vm *vm_at(unsigned i);
/* Set once every foreground VM has stopped: background VMs stop at their next tick. */
extern volatile bool vms_ending;
void vm_note_stopped(void);
/*
 * Doorbell hypercall: vector VEC_DOORBELL on the peer's boot vCPU, if @from's configuration
 * names @peer in its peers. 0; -EINVAL when @peer is @from itself or no VM index at all
 * (>= VM_MAX_PEERS); -EPERM when @from's peers do not name it; -EINVAL when the peer named
 * is not running. Every error is counted in doorbells_refused. Rings while the peer's
 * doorbell is pending coalesce: no second kick, no second interrupt (doorbells_coalesced).
 */
int vm_ring_doorbell(struct vm *from, uint64_t peer);
/* HC_STATS: hv/ installs the printer (statistics of every VM and CPU). */
extern void (*vm_stats_printer)(const struct vm *asker);

#endif
