/*
 * EPT violations and emulated MMIO. A violation on an emulated-MMIO page is
 * decoded and emulated (the instruction fetched through the guest's page
 * tables, then the slots); after the first trap on a page that allows it, the
 * page gets KVM's MMIO marker so later accesses take the misconfiguration
 * exit. Any other violation stops the VM with a diagnostic.
 */
#include "arch/x86/cpu.h"
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

/* A device register: the bus finds the device; the handler's result is the access's. */
static int dev_read(void *opaque, uint64_t a, unsigned width, uint64_t *val)
{
	const struct io_range *r = iobus_find(&((struct vm *)opaque)->bus, IOBUS_MMIO, a);

	if (unlikely(!r))
		return -EFAULT;
	return r->ops->read(r->dev, a - r->base, width, val);
}

static int dev_write(void *opaque, uint64_t a, unsigned width, uint64_t val)
{
	const struct io_range *r = iobus_find(&((struct vm *)opaque)->bus, IOBUS_MMIO, a);

	if (unlikely(!r))
		return -EFAULT;
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

static void guest_paging(struct vm *vm, struct gwalk_ctx *g)
{
	*g = (struct gwalk_ctx){
	    .cr0 = vmcs_readnat(GUEST_CR0),
	    .cr3 = vmcs_readnat(GUEST_CR3),
	    .cr4 = vmcs_readnat(GUEST_CR4),
	    .efer = vmcs_read64(GUEST_IA32_EFER),
	    .opaque = vm,
	    .read_gpa = read_gpa,
	};
}

static bool guest_cpl3(void)
{
	return ((vmcs_read32(GUEST_SS_AR) >> 5) & 3) == 3;
}

/* MOVS: the memory side goes through the guest's page tables, then the slots. */
static int translate(void *opaque, uint64_t gva, bool write, uint64_t *out)
{
	struct gwalk_ctx g;
	uint32_t pfec;

	guest_paging(opaque, &g);
	return gwalk_translate(&g, gva, (write ? GWALK_WRITE : 0) | (guest_cpl3() ? GWALK_USER : 0),
			       out, &pfec);
}

/* The other side of a MOVS may be RAM or another device register (device-to-device copy). */
static int mem_read(void *opaque, uint64_t a, void *buf, unsigned len)
{
	uint64_t v = 0;
	int ret;

	if (!is_device(opaque, a))
		return gmem_read(&((struct vm *)opaque)->slots, gpa(a), buf, len);
	ret = dev_read(opaque, a, len, &v);
	memcpy(buf, &v, len);
	return ret;
}

static int mem_write(void *opaque, uint64_t a, const void *buf, unsigned len)
{
	uint64_t v = 0;

	if (!is_device(opaque, a))
		return gmem_write(&((struct vm *)opaque)->slots, gpa(a), buf, len);
	memcpy(&v, buf, len);
	return dev_write(opaque, a, len, v);
}

/* Up to 15 instruction bytes at CS:RIP, through the guest's page tables and the slots. */
#define PTE_P	 BIT(0)
#define PTE_PS	 BIT(7)
#define PTE_ADDR GENMASK(51, 12)
#define CR4_LA57 BIT(12)
#define INSN_MAX 15

/*
 * The CPU has just fetched and executed the faulting instruction, so its
 * translation is known to be good: in 4-level paging, walk the tables for
 * the address alone. Anything else (another paging mode, an instruction that
 * may cross a page, an entry that is not present) takes the full walker.
 * Returns the instruction's guest-physical address, or 0.
 */
static uint64_t fast_fetch(struct vm *vm, uint64_t rip, uint8_t *buf)
{
	uint64_t table = vmcs_readnat(GUEST_CR3) & PTE_ADDR, e, gpa_of_rip, size = PAGE_SIZE;
	const uint64_t *entry;
	const uint8_t *code;

	if (!(vmcs_read64(GUEST_IA32_EFER) & EFER_LMA) || (vmcs_readnat(GUEST_CR4) & CR4_LA57) ||
	    (rip & (PAGE_SIZE - 1)) > PAGE_SIZE - INSN_MAX)
		return 0;
	for (int level = 3; level >= 0; level--) {
		entry = ram_ptr(vm, table + ((rip >> (12 + 9 * level)) & 511) * 8, 8);
		if (!entry || !((e = *entry) & PTE_P))
			return 0;
		table = e & PTE_ADDR;
		if ((level == 1 || level == 2) && (e & PTE_PS)) {
			size = 1ULL << (12 + 9 * level);
			break;
		}
	}
	gpa_of_rip = (table & ~(size - 1)) | (rip & (size - 1));
	code = ram_ptr(vm, gpa_of_rip, INSN_MAX);
	if (!code)
		return 0;
	__builtin_memcpy(buf, code, INSN_MAX);
	return gpa_of_rip;
}

/* Up to 15 instruction bytes at CS:RIP; *insn_gpa is their GPA when known (else 0). */
static inline __attribute__((always_inline)) int fetch_insn(struct vm *vm, uint8_t *buf,
							    size_t *len, uint64_t *insn_gpa)
{
	uint64_t rip = vmcs_readnat(GUEST_RIP) + vmcs_readnat(GUEST_CS_BASE);
	unsigned access = GWALK_FETCH | (guest_cpl3() ? GWALK_USER : 0);
	struct gwalk_ctx g;
	uint32_t pfec = 0;
	int n;

	*insn_gpa = fast_fetch(vm, rip, buf);
	if (*insn_gpa) {
		*len = INSN_MAX;
		return 0;
	}
	guest_paging(vm, &g);
	n = gwalk_fetch(&g, rip, access, buf, INSN_MAX, &pfec);
	if (n <= 0)
		return n < 0 ? n : -EFAULT;
	*len = (size_t)n;
	return 0;
}

int vmx_guest_fetch(struct vcpu *v, uint8_t *buf, size_t *len)
{
	uint64_t insn_gpa;

	return fetch_insn(v->vm, buf, len, &insn_gpa);
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

static int decode_cached(struct vm *vm, uint64_t insn_gpa, const uint8_t *bytes, size_t len,
			 unsigned mode, struct insn *out)
{
	struct decode_entry *d = &vm->dcache[(insn_gpa >> 2) % VM_DCACHE];
	int ret;

	if (insn_gpa && d->gpa == insn_gpa && d->mode == mode && same_bytes(d->bytes, bytes)) {
		*out = d->insn;
		return 0;
	}
	ret = decode_insn(bytes, len, mode, out);
	if (!ret && insn_gpa) {
		d->gpa = insn_gpa;
		d->mode = (uint8_t)mode;
		memcpy(d->bytes, bytes, INSN_MAX);
		d->insn = *out;
	}
	return ret;
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

int vmx_mmio_emulate(struct vcpu *v, gpa_t a)
{
	struct vm *vm = v->vm;
	struct emul_ctx ctx = {.opaque = vm,
			       .mmio_read = dev_read,
			       .mmio_write = dev_write,
			       .translate = translate,
			       .mem_read = mem_read,
			       .mem_write = mem_write};
	uint8_t bytes[16] = {0};
	uint64_t insn_gpa, rsp, rflags;
	struct insn in;
	size_t len = 0;
	int ret;

	ret = fetch_insn(vm, bytes, &len, &insn_gpa);
	if (ret) {
		mmio_fail(vm, a, "cannot fetch the instruction", ret);
		return ret;
	}
	ret = decode_cached(vm, insn_gpa, bytes, len, vmx_guest_mode(), &in);
	if (ret) {
		mmio_fail(vm, a, "instruction not decodable", ret);
		return ret;
	}
	static_assert(NR_GPRS == 16 && (int)RSP == (int)EMUL_RSP,
		      "the emulator works on the vCPU's registers");
	ctx.regs = v->regs; /* emulated in place: registers change only when it succeeds */
	ctx.regs[RSP] = rsp = vmcs_readnat(GUEST_RSP);
	ctx.rip = vmcs_readnat(GUEST_RIP);
	ctx.rflags = rflags = vmcs_readnat(GUEST_RFLAGS);
	if (in.op == EMUL_MOVS)
		load_seg_bases(&ctx);
	ret = emul_mmio(&ctx, &in, a.v);
	if (ret) {
		mmio_fail(vm, a, "emulation refused the access", ret);
		return ret;
	}
	if (ctx.regs[RSP] != rsp)
		vmcs_writenat(GUEST_RSP, ctx.regs[RSP]);
	vmcs_writenat(GUEST_RIP, ctx.rip);
	if (ctx.rflags != rflags)
		vmcs_writenat(GUEST_RFLAGS, ctx.rflags);
	return 0;
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

void handle_ept_violation(struct vcpu *v)
{
	struct vm *vm = v->vm;
	uint64_t q = vmcs_readnat(EXIT_QUALIFICATION);
	gpa_t a = gpa(vmcs_read64(GUEST_PHYSICAL_ADDRESS));
	const struct mem_slot *s = memslot_find(&vm->slots, a);
	const struct io_range *d;
	int ret;

	if (!s) {
		violation_stop(vm, a, q, "outside the VM's memory map");
		return;
	}
	if (s->kind == REGION_RAM && ramzero_fault(v, a))
		return; /* first touch of RAM zeroed lazily (vm/ramzero.c) */
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
	vm_dev_lock(v);
	ret = vmx_mmio_emulate(v, a);
	vm_dev_unlock(v);
	if (ret)
		return;
	d = iobus_find(&vm->bus, IOBUS_MMIO, a.v);
	if (!d || (d->flags & IORANGE_SLOW))
		return;
	vm_dev_lock(v); /* the lock serializes the VM's EPT edits too */
	ret = ept_mark_mmio(&vm->ept, gpa(ALIGN_DOWN(a.v, PAGE_SIZE)));
	vm_dev_unlock(v);
	if (!ret)
		vmx_ept_shootdown(v);
}
