/*
 * EPT violations and emulated MMIO. A violation on an emulated-MMIO page is
 * decoded and emulated (the instruction fetched through the guest's page
 * tables, then the slots); after the first trap on a page that allows it, the
 * page gets KVM's MMIO marker so later accesses take the misconfiguration
 * exit. Any other violation stops the VM with a diagnostic.
 */
#include "arch/x86/cpu.h"
#include "arch/x86/percpu.h"
#include "emul/decode.h"
#include "emul/emulate.h"
#include "emul/gwalk.h"
#include "lib/console.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/gmem.h"
#include "vmx/exit.h"
#include "vmx/vmcs.h"
#include "vmx/vmx.h"

/* Exit qualification for EPT violations (SDM "Exit Qualification for EPT Violations") */
#define EPTQ_READ	BIT(0)
#define EPTQ_WRITE	BIT(1)
#define EPTQ_FETCH	BIT(2)
#define EPTQ_READABLE	BIT(3)
#define EPTQ_WRITABLE	BIT(4)
#define EPTQ_EXECUTABLE BIT(5)
#define EPTQ_GLA_VALID	BIT(7)
#define EPTQ_GLA_XLATED BIT(8)

#define SEG_CS_AR_L BIT(13)

static bool is_device(struct vm *vm, uint64_t a)
{
	return iobus_find(&vm->bus, IOBUS_MMIO, a) != NULL;
}

/*
 * The emulator's callbacks' context (emul_ctx.opaque): the VM, and the device range at
 * the faulting GPA once an access reached it, which the EPT-violation path then needs
 * without looking it up again (a MOVS may reach another device through mem_read/write).
 */
struct mmio_call {
	struct vm *vm;
	uint64_t gpa;
	const struct io_range *dev; /* NULL: none yet */
};

/* A device register: the bus finds the device; the handler's result is the access's. */
static int dev_read(void *opaque, uint64_t a, unsigned width, uint64_t *val)
{
	struct mmio_call *c = opaque;
	const struct io_range *r = iobus_find(&c->vm->bus, IOBUS_MMIO, a);

	if (unlikely(!r))
		return -EFAULT;
	if (a == c->gpa)
		c->dev = r;
	return r->ops->read(r->dev, a - r->base, width, val);
}

static int dev_write(void *opaque, uint64_t a, unsigned width, uint64_t val)
{
	struct mmio_call *c = opaque;
	const struct io_range *r = iobus_find(&c->vm->bus, IOBUS_MMIO, a);

	if (unlikely(!r))
		return -EFAULT;
	if (a == c->gpa)
		c->dev = r;
	return r->ops->write(r->dev, a - r->base, width, val);
}

/*
 * Guest page-table entries and instruction bytes: almost always inside one
 * RAM slot, so read them straight through the direct map; anything else
 * (slot boundaries, ROM, holes) takes the general accessor.
 */
/* Host pointer to guest RAM at @a when [a, a+len) lies in one RAM slot, else NULL. */
static const void *ram_ptr(struct vm *vm, uint64_t a, size_t len)
{
	const struct mem_slot *s = vm->last_slot;

	if (!s || a - memslot_gpa(s).v >= memslot_size(s))
		s = vm->last_slot = memslot_find(&vm->slots, gpa(a));
	if (!s || s->kind != REGION_RAM || a + len > memslot_gpa(s).v + memslot_size(s))
		return NULL;
	if (unlikely(!memslot_has_hpa(s)))
		return NULL; /* demand RAM: gmem finds its blocks (vm/demand.c) */
	if (unlikely(!ramzero_ready(&vm->ramzero, a, len)))
		return NULL; /* not zeroed since the last boot: gmem zeroes it first */
	return hpa_to_va(memslot_hpa(s, gpa(a)));
}

static int read_gpa(void *opaque, uint64_t a, void *buf, size_t len)
{
	struct vm *vm = opaque;
	const void *src = ram_ptr(vm, a, len);

	if (likely(src)) {
		memcpy(buf, src, len);
		return 0;
	}
	return gmem_read(&vm->slots, gpa(a), buf, len);
}

/*
 * The guest's paging as the CPU has it. In PAE paging the CPU walks with the PDPTEs it
 * loaded with CR3, which the VMCS holds at each exit: @pdpte receives them.
 */
static void guest_paging(struct vm *vm, struct gwalk_ctx *g, uint64_t pdpte[4])
{
	*g = (struct gwalk_ctx){
	    .cr0 = vmcs_readnat(GUEST_CR0),
	    .cr3 = vmcs_readnat(GUEST_CR3),
	    .cr4 = vmcs_readnat(GUEST_CR4),
	    .efer = vmcs_read64(GUEST_IA32_EFER),
	    .maxphyaddr = vm->maxphyaddr,
	    .opaque = vm,
	    .read_gpa = read_gpa,
	};
	if (gwalk_mode(g) == GWALK_MODE_PAE) {
		pdpte[0] = vmcs_read64(GUEST_PDPTE0);
		pdpte[1] = vmcs_read64(GUEST_PDPTE1);
		pdpte[2] = vmcs_read64(GUEST_PDPTE2);
		pdpte[3] = vmcs_read64(GUEST_PDPTE3);
		g->pdptes = pdpte;
	}
}

static bool guest_cpl3(void)
{
	return ((vmcs_read32(GUEST_SS_AR) >> 5) & 3) == 3;
}

/* MOVS: the memory side goes through the guest's page tables, then the slots. */
static int translate(void *opaque, uint64_t gva, bool write, uint64_t *out)
{
	struct gwalk_ctx g;
	uint64_t pdpte[4];
	uint32_t pfec;

	guest_paging(((struct mmio_call *)opaque)->vm, &g, pdpte);
	return gwalk_translate(&g, gva, (write ? GWALK_WRITE : 0) | (guest_cpl3() ? GWALK_USER : 0),
			       out, &pfec);
}

/* The other side of a MOVS may be RAM or another device register (device-to-device copy). */
static int mem_read(void *opaque, uint64_t a, void *buf, unsigned len)
{
	uint64_t v = 0;
	int ret;

	struct vm *vm = ((struct mmio_call *)opaque)->vm;

	if (!is_device(vm, a))
		return gmem_read(&vm->slots, gpa(a), buf, len);
	ret = dev_read(opaque, a, len, &v);
	memcpy(buf, &v, len);
	return ret;
}

static int mem_write(void *opaque, uint64_t a, const void *buf, unsigned len)
{
	uint64_t v = 0;

	struct vm *vm = ((struct mmio_call *)opaque)->vm;

	if (!is_device(vm, a))
		return gmem_write(&vm->slots, gpa(a), buf, len);
	memcpy(&v, buf, len);
	return dev_write(opaque, a, len, v);
}

/* Up to 15 instruction bytes at CS:RIP, through the guest's page tables and the slots. */
#define PTE_P	  BIT(0)
#define PTE_PS	  BIT(7)
#define PTE_ADDR  GENMASK(51, 12)
#define CR4_LA57  BIT(12)
#define INSN_MAX  15
#define SEG_AR_D  BIT(14)
#define RFLAGS_VM BIT(17)

/*
 * The guest state the MMIO path needs, each field read once from the VMCS: where the
 * instruction is (linear address: the CS base counts only outside 64-bit mode, SDM
 * "Segmentation in IA-32e Mode") and the code size the decoder takes it in.
 */
struct mmio_guest {
	uint64_t rip, lin, efer;
	unsigned mode; /* INSN_MODE_64/32/16 */
};

/* 64-bit code in IA-32e mode with CS.L; else CS.D says 32 or 16 (real and virtual-8086 mode too). */
static unsigned code_mode(uint64_t efer, uint32_t cs_ar, uint64_t rflags)
{
	if ((efer & EFER_LMA) && (cs_ar & SEG_CS_AR_L))
		return INSN_MODE_64;
	return (cs_ar & SEG_AR_D) && !(rflags & RFLAGS_VM) ? INSN_MODE_32 : INSN_MODE_16;
}

static inline __attribute__((always_inline)) void mmio_guest_read(struct mmio_guest *g,
								  uint64_t rflags)
{
	g->rip = exit_readnat(GUEST_RIP);
	g->efer = exit_read64(GUEST_IA32_EFER);
	g->mode = code_mode(g->efer, exit_read32(GUEST_CS_AR), rflags);
	g->lin = g->mode == INSN_MODE_64
		     ? g->rip
		     : (exit_readnat(GUEST_CS_BASE) + (g->rip & 0xffffffffULL)) & 0xffffffffULL;
}

/*
 * Guest RAM through the direct map, one RAM slot in view at a time: the paging
 * structures and the code of one walk almost always lie in one slot, so one lookup
 * serves them all. A walk keeps the view in registers and asks view_move only when
 * an address falls outside it.
 */
struct ram_view {
	uint64_t base, size; /* the slot's GPA range; size 0: nothing in view */
	const uint8_t *va;   /* host address of base (the slot's frames are contiguous) */
};

static struct ram_view view_of(const struct mem_slot *s)
{
	if (!s || s->kind != REGION_RAM || !memslot_has_hpa(s))
		return (struct ram_view){0, 0, NULL}; /* demand RAM: the slow path, via gmem */
	return (struct ram_view){memslot_gpa(s).v, memslot_size(s), hpa_to_va(s->hpa)};
}

/* The RAM slot holding @a in view (size 0: none), remembered for the next walk. */
static __attribute__((noinline)) struct ram_view view_move(struct vm *vm, uint64_t a)
{
	const struct mem_slot *s = memslot_find(&vm->slots, gpa(a));

	if (s && s->kind == REGION_RAM && memslot_has_hpa(s))
		vm->last_slot = s;
	return view_of(s);
}

/* The host address of [a, a+len) in guest RAM, or NULL. */
static inline const uint8_t *view_ptr(struct vm *vm, struct ram_view *w, uint64_t a, size_t len)
{
	if (unlikely(a - w->base >= w->size))
		*w = view_move(vm, a);
	if (unlikely(a - w->base + len > w->size))
		return NULL;
	if (unlikely(!ramzero_ready(&vm->ramzero, a, len)))
		return NULL; /* never read what an earlier boot left: the slow path zeroes it */
	return w->va + (a - w->base);
}

/*
 * The last fast walk of the vCPU on each CPU (one vCPU runs on a CPU, and only that
 * CPU touches its entry: no lock): the 4 KiB linear page of the code, the host address
 * of each paging-structure entry the walk read and what it held, and the code page it
 * led to. A later fetch from the same linear page under the same CR3 re-reads those
 * entries instead of walking: when each still holds its value, the walk would read the
 * same entries and reach the same page (it reads nothing else), so the result is
 * exact even if the guest edits its tables without writing CR3 (the accessed bits it
 * sets make a miss, once). The host addresses stay good while the VM's memory map
 * does: every run-time EPT change bumps ept_gen (vmx_ept_shootdown), a restart bumps
 * restarts (and forgets which RAM is zeroed), and both are part of the key; RAM once
 * zeroed stays so until a restart.
 */
#define FETCH_LEVELS 4

/* The 15 instruction bytes as two overlapping 8-byte words (no call, no string move). */
static inline void copy_insn(uint8_t *dst, const uint8_t *src)
{
	uint64_t w0, w1;

	__builtin_memcpy(&w0, src, 8); /* inlined: -ffreestanding makes memcpy a call */
	__builtin_memcpy(&w1, src + 7, 8);
	__builtin_memcpy(dst, &w0, 8);
	__builtin_memcpy(dst + 7, &w1, 8);
}

struct fetch_cache {
	const struct vcpu *v; /* NULL: empty */
	uint64_t cr3, lin_page, ept_gen;
	unsigned restarts;
	const uint64_t *pte[FETCH_LEVELS];
	uint64_t val[FETCH_LEVELS];
	uint64_t code_gpa;   /* the 4 KiB page the linear page maps */
	const uint8_t *code; /* its host address */
};

static struct fetch_cache fetch_cache[SMP_MAX_CPUS];

static inline bool fetch_hit(const struct fetch_cache *fc, const struct vcpu *v, uint64_t cr3,
			     uint64_t lin)
{
	const struct vm *vm = v->vm;

	if (fc->v != v || fc->cr3 != cr3 || fc->lin_page != (lin & ~(PAGE_SIZE - 1)) ||
	    fc->ept_gen != vm->ept_gen || fc->restarts != vm->restarts)
		return false;
	static_assert(FETCH_LEVELS == 4, "one test per level");
	/* a walk that ended at a large page repeats its last entry (fast_walk) */
	return *fc->pte[0] == fc->val[0] && *fc->pte[1] == fc->val[1] &&
	       *fc->pte[2] == fc->val[2] && *fc->pte[3] == fc->val[3];
}

/*
 * The CPU has just fetched and executed the faulting instruction, so its
 * translation is known to be good: in 4-level paging, walk the tables for
 * the address alone, noting the walk in @fc. Anything else (an entry that is
 * not present, tables or code outside RAM) takes the full walker. Returns the
 * instruction's guest-physical address, or 0.
 */
static __attribute__((noinline)) uint64_t fast_walk(struct vcpu *v, uint64_t lin, uint64_t cr3,
						    uint8_t *buf, struct fetch_cache *fc)
{
	struct vm *vm = v->vm;
	uint64_t off = lin & (PAGE_SIZE - 1), table = cr3 & PTE_ADDR, e;
	struct fetch_cache walk;
	const uint8_t *p;
	unsigned shift = 39, level = 0;
	struct ram_view w = view_of(vm->last_slot);

	for (;;) {
		uint64_t a = table + ((lin >> shift) & 511) * 8;
		if (!(p = view_ptr(vm, &w, a, 8)))
			return 0;
		__builtin_memcpy(&e, p, 8);
		if (!(e & PTE_P))
			return 0;
		walk.pte[level] = (const uint64_t *)p;
		walk.val[level++] = e;
		table = e & PTE_ADDR;
		if (shift == 12)
			break;
		if ((e & PTE_PS) && shift <= 30) { /* a 1 GiB or 2 MiB page */
			table = (table & ~(BIT(shift) - 1)) | (lin & (BIT(shift) - PAGE_SIZE));
			break;
		}
		shift -= 9;
	}
	/* the code page, whole: RAM of one slot, zeroed, so any offset may be read later */
	if (!(p = view_ptr(vm, &w, table, PAGE_SIZE)))
		return 0;
	copy_insn(buf, p + off);
	if (fc) {
		for (; level < FETCH_LEVELS; level++) { /* a large page: its entry again */
			walk.pte[level] = walk.pte[level - 1];
			walk.val[level] = walk.val[level - 1];
		}
		walk.v = v;
		walk.cr3 = cr3;
		walk.lin_page = lin & ~(PAGE_SIZE - 1);
		walk.ept_gen = vm->ept_gen;
		walk.restarts = vm->restarts;
		walk.code_gpa = table;
		walk.code = p;
		*fc = walk;
	}
	return table | off;
}

/*
 * The fast fetch: 4-level paging and an instruction that cannot cross its page (the
 * 15 bytes from RIP fit in it); the walk of the last fetch from the same page when it
 * still holds (fetch_hit), else a walk. Returns the instruction's GPA, or 0.
 */
static inline uint64_t fast_fetch(struct vcpu *v, const struct mmio_guest *g, uint8_t *buf)
{
	uint64_t lin = g->lin, off = lin & (PAGE_SIZE - 1), cr3;
	struct fetch_cache *fc = likely(v->cpu < SMP_MAX_CPUS) ? &fetch_cache[v->cpu] : NULL;

	if (!(g->efer & EFER_LMA) || off > PAGE_SIZE - INSN_MAX ||
	    (exit_readnat(GUEST_CR4) & CR4_LA57))
		return 0;
	cr3 = exit_readnat(GUEST_CR3);
	if (likely(fc) && fetch_hit(fc, v, cr3, lin)) {
		copy_insn(buf, fc->code + off);
		return fc->code_gpa | off;
	}
	return fast_walk(v, lin, cr3, buf, fc);
}

/* The full walk: any paging mode, page-crossing code, ROM. */
static __attribute__((noinline)) int slow_fetch(struct vm *vm, uint64_t lin, uint8_t *buf,
						size_t *len)
{
	unsigned access = GWALK_FETCH | (guest_cpl3() ? GWALK_USER : 0);
	struct gwalk_ctx g;
	uint64_t pdpte[4];
	uint32_t pfec = 0;
	int n;

	guest_paging(vm, &g, pdpte);
	n = gwalk_fetch(&g, lin, access, buf, INSN_MAX, &pfec);
	if (n <= 0)
		return n < 0 ? n : -EFAULT;
	*len = (size_t)n;
	return 0;
}

/* Up to 15 instruction bytes at CS:RIP; *insn_gpa is their GPA when known (else 0). */
static inline __attribute__((always_inline)) int fetch_insn(struct vcpu *v,
							    const struct mmio_guest *g,
							    uint8_t *buf, size_t *len,
							    uint64_t *insn_gpa)
{
	*insn_gpa = fast_fetch(v, g, buf);
	if (likely(*insn_gpa)) {
		*len = INSN_MAX;
		return 0;
	}
	return slow_fetch(v->vm, g->lin, buf, len);
}

int vmx_guest_fetch(struct vcpu *v, uint8_t *buf, size_t *len)
{
	struct mmio_guest g;
	uint64_t insn_gpa;

	mmio_guest_read(&g, vmcs_readnat(GUEST_RFLAGS));
	return fetch_insn(v, &g, buf, len, &insn_gpa);
}

/*
 * Decoded instructions, keyed by their guest-physical address and mode and
 * checked against the bytes just fetched, so a guest that rewrites its code
 * never gets a stale decode.
 */
/* The 15 instruction bytes as two overlapping 8-byte words. */
static bool same_bytes(const uint8_t *a, const uint8_t *b)
{
	uint64_t a0, a1, b0, b1;

	__builtin_memcpy(&a0, a, 8); /* inlined: -ffreestanding makes memcpy a call */
	__builtin_memcpy(&a1, a + 7, 8);
	__builtin_memcpy(&b0, b, 8);
	__builtin_memcpy(&b1, b + 7, 8);
	return a0 == b0 && a1 == b1;
}

/*
 * The decoded instruction: the cache's entry when it matches, else decoded into the
 * entry (the GPA known) or into @tmp. NULL with *err set when it does not decode.
 */
static const struct insn *decode_cached(struct vm *vm, uint64_t insn_gpa, const uint8_t *bytes,
					size_t len, unsigned mode, struct insn *tmp, int *err)
{
	struct decode_entry *d = &vm->dcache[(insn_gpa >> 2) % VM_DCACHE];

	if (insn_gpa && d->gpa == insn_gpa && d->mode == mode && same_bytes(d->bytes, bytes))
		return &d->insn;
	if (!insn_gpa) {
		*err = decode_insn(bytes, len, mode, tmp);
		return *err ? NULL : tmp;
	}
	d->gpa = 0;
	*err = decode_insn(bytes, len, mode, &d->insn);
	if (*err)
		return NULL;
	d->gpa = insn_gpa;
	d->mode = (uint8_t)mode;
	copy_insn(d->bytes, bytes);
	return &d->insn;
}

static void load_seg_bases(struct emul_ctx *ctx)
{
	ctx->seg_base[INSN_SEG_ES] = vmcs_readnat(GUEST_ES_BASE);
	ctx->seg_base[INSN_SEG_CS] = vmcs_readnat(GUEST_CS_BASE);
	ctx->seg_base[INSN_SEG_SS] = vmcs_readnat(GUEST_SS_BASE);
	ctx->seg_base[INSN_SEG_DS] = vmcs_readnat(GUEST_DS_BASE);
	ctx->seg_base[INSN_SEG_FS] = vmcs_readnat(GUEST_FS_BASE);
	ctx->seg_base[INSN_SEG_GS] = vmcs_readnat(GUEST_GS_BASE);
}

static void mmio_fail(struct vm *vm, gpa_t a, const char *what, int err)
{
	pr_err("vm \"%s\": MMIO at GPA 0x%lx, RIP 0x%lx: %s (%d)\n", vm->cfg->name, a.v,
	       vmcs_readnat(GUEST_RIP), what, err);
	vm_fault(vm, -1, "MMIO emulation failed");
}

/* The instruction names RSP (its memory operand or its register): the VMCS holds it. */
static bool uses_rsp(const struct insn *in)
{
	return in->mem.base == EMUL_RSP || in->mem.index == EMUL_RSP || in->reg == EMUL_RSP;
}

/*
 * Emulate the instruction at RIP against the device at @a. The emulator works on the
 * vCPU's saved registers in place (they change only when it succeeds); RSP, RFLAGS and
 * the segment bases come from the VMCS only when the instruction needs them. *dev: the
 * device range at @a, on success.
 */
static int mmio_emulate(struct vcpu *v, gpa_t a, const struct io_range **dev)
{
	struct vm *vm = v->vm;
	struct mmio_call call = {vm, a.v, NULL};
	uint64_t rflags = exit_readnat(GUEST_RFLAGS), insn_gpa;
	const struct insn *in;
	struct mmio_guest g;
	struct emul_ctx ctx;
	uint8_t bytes[16];
	struct insn tmp;
	size_t len = 0;
	uint32_t shadow;
	bool rsp;
	int ret;

	mmio_guest_read(&g, rflags);
	ret = fetch_insn(v, &g, bytes, &len, &insn_gpa);
	if (unlikely(ret)) {
		mmio_fail(vm, a, "cannot fetch the instruction", ret);
		return ret;
	}
	in = decode_cached(vm, insn_gpa, bytes, len, g.mode, &tmp, &ret);
	if (unlikely(!in)) {
		mmio_fail(vm, a, "instruction not decodable", ret);
		return ret;
	}
	static_assert(NR_GPRS == 16 && (int)RSP == (int)EMUL_RSP,
		      "the emulator works on the vCPU's registers");
	ctx.regs = v->regs;
	ctx.rip = g.rip;
	ctx.rflags = rflags;
	ctx.opaque = &call;
	ctx.mmio_read = dev_read;
	ctx.mmio_write = dev_write;
	rsp = uses_rsp(in);
	if (unlikely(rsp))
		v->regs[RSP] = exit_readnat(GUEST_RSP);
	if (unlikely(in->op == EMUL_MOVS)) { /* what only MOVS uses (emul/emulate.h) */
		ctx.translate = translate;
		ctx.mem_read = mem_read;
		ctx.mem_write = mem_write;
		load_seg_bases(&ctx);
	} else {
		ctx.translate = NULL;
		ctx.mem_read = NULL;
		ctx.mem_write = NULL;
	}
	ret = emul_mmio(&ctx, in, a.v);
	if (unlikely(ret)) {
		mmio_fail(vm, a, "emulation refused the access", ret);
		return ret;
	}
	if (unlikely(rsp))
		exit_writenat(GUEST_RSP, v->regs[RSP]);
	exit_writenat(GUEST_RIP, ctx.rip);
	if (ctx.rflags != rflags)
		exit_writenat(GUEST_RFLAGS, ctx.rflags);
	/* Like the CPU finishing it, the instruction ends an STI or MOV SS shadow. */
	shadow = exit_read32(GUEST_INTERRUPTIBILITY);
	if (unlikely(shadow & INTERRUPTIBILITY_BLOCKING))
		exit_write32(GUEST_INTERRUPTIBILITY, shadow & ~(uint32_t)INTERRUPTIBILITY_BLOCKING);
	*dev = call.dev;
	return 0;
}

int vmx_mmio_emulate(struct vcpu *v, gpa_t a)
{
	const struct io_range *dev;

	return mmio_emulate(v, a, &dev);
}

/*
 * The EPT-misconfiguration exit, called by vmx/entry.S: a page marked for emulated MMIO.
 * The hottest caller: the emulation is inlined here (flatten).
 */
__attribute__((flatten)) uint32_t vmx_exit_ept_misconfig(struct vcpu *v)
{
	const struct io_range *dev;

	v->stats.exits[EXIT_EPT_MISCONFIG]++;
	vm_dev_lock(v);
	mmio_emulate(v, gpa(exit_read64(GUEST_PHYSICAL_ADDRESS)), &dev);
	vm_dev_unlock(v);
	return exit_pending(v);
}

static const char *access_name(uint64_t q)
{
	return q & EPTQ_FETCH ? "instruction fetch" : q & EPTQ_WRITE ? "write" : "read";
}

static void violation_stop(struct vm *vm, gpa_t a, uint64_t q, const char *why)
{
	pr_err("vm \"%s\": EPT violation: %s at GPA 0x%lx (%s), RIP 0x%lx%s, qualification 0x%lx "
	       "[access %s%s%s, entry %c%c%c]\n",
	       vm->cfg->name, access_name(q), a.v, why, vmcs_readnat(GUEST_RIP),
	       q & EPTQ_GLA_VALID ? "" : " (no linear address)", q, q & EPTQ_READ ? "R" : "",
	       q & EPTQ_WRITE ? "W" : "", q & EPTQ_FETCH ? "X" : "", q & EPTQ_READABLE ? 'r' : '-',
	       q & EPTQ_WRITABLE ? 'w' : '-', q & EPTQ_EXECUTABLE ? 'x' : '-');
	if (q & EPTQ_GLA_VALID)
		pr_err("vm \"%s\":   guest linear address 0x%lx\n", vm->cfg->name,
		       vmcs_readnat(GUEST_LINEAR_ADDRESS));
	vm_fault(vm, -1, "EPT violation");
}

/* The emulation is inlined here (flatten), as in the misconfiguration exit. */
/* The slot's rights allow the access the qualification describes (reads: every slot). */
static inline bool rights_allow(const struct mem_slot *s, uint64_t q)
{
	return !(q & EPTQ_WRITE && !(s->rights & REGION_W)) &&
	       !(q & EPTQ_FETCH && !(s->rights & REGION_X));
}

__attribute__((flatten)) void handle_ept_violation(struct vcpu *v)
{
	struct vm *vm = v->vm;
	uint64_t q = exit_readnat(EXIT_QUALIFICATION);
	gpa_t a = gpa(exit_read64(GUEST_PHYSICAL_ADDRESS));
	const struct mem_slot *s = memslot_find(&vm->slots, a);
	const struct io_range *d = NULL;
	int ret;

	if (!s) {
		violation_stop(vm, a, q, "outside the VM's memory map");
		return;
	}
	if (memslot_is_demand(s)) {
		if (rights_allow(s, q)) {
			demand_fault(v, a); /* first touch, or the VM stops (vm/demand.c) */
			return;
		}
	} else if (s->kind == REGION_RAM && ramzero_fault(v, a)) {
		return; /* first touch of RAM zeroed lazily (vm/ramzero.c) */
	}
	if (s->kind == REGION_RAM && (q & EPTQ_WRITE) && vm_dirty_fault(v, s, a))
		return; /* a logged page's first write since its harvest (vm/dirty.c) */
	if (s->kind != REGION_MMIO_EMUL) {
		violation_stop(vm, a, q,
			       q & EPTQ_WRITE && !(s->rights & REGION_W)
				   ? "write to read-only memory"
			       : q & EPTQ_FETCH && !(s->rights & REGION_X)
				   ? "fetch from non-executable memory"
				   : "access not allowed by the region's rights");
		return;
	}
	if (q & EPTQ_FETCH) {
		violation_stop(vm, a, q, "instruction fetch from emulated MMIO");
		return;
	}
	/*
	 * Bit 7 set, bit 8 clear: the CPU was reading or updating a paging-structure entry
	 * for the guest's page walk, not accessing the instruction's operand (SDM "Exit
	 * Qualification for EPT Violations"). Emulating the operand against this address
	 * would be wrong; a page table in device memory is the guest's fault.
	 */
	if ((q & EPTQ_GLA_VALID) && !(q & EPTQ_GLA_XLATED)) {
		violation_stop(vm, a, q, "guest paging-structure access to emulated MMIO");
		return;
	}
	vm_dev_lock(v);
	ret = mmio_emulate(v, a, &d);
	vm_dev_unlock(v);
	if (ret)
		return;
	if (!d || (d->flags & IORANGE_SLOW))
		return;
	vm_dev_lock(v); /* the lock serializes the VM's EPT edits too */
	ret = ept_mark_mmio(&vm->ept, gpa(ALIGN_DOWN(a.v, PAGE_SIZE)));
	vm_dev_unlock(v);
	if (!ret)
		vmx_ept_shootdown(v);
}
