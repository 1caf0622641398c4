/*
 * What a stopped guest looked like: general registers, RFLAGS, control
 * registers, EFER, segment state and the instruction bytes at RIP (with what
 * our decoder makes of them). Printed with every fatal guest fault, on the
 * CPU that runs the vCPU (its VMCS is the current one).
 */
#include "arch/x86/cpu.h"
#include "emul/decode.h"
#include "lib/console.h"
#include "lib/printf.h"
#include "vmx/exit.h"
#include "vmx/vmcs.h"

static const char *const gpr_names[NR_GPRS] = {"RAX", "RCX", "RDX", "RBX", "RSP", "RBP",
					       "RSI", "RDI", "R8",  "R9",  "R10", "R11",
					       "R12", "R13", "R14", "R15"};

static const char *const op_names[] = {
    [EMUL_MOV_LOAD] = "MOV load",
    [EMUL_MOV_STORE] = "MOV store",
    [EMUL_STORE_IMM] = "MOV imm",
    [EMUL_MOVZX] = "MOVZX",
    [EMUL_MOVSX] = "MOVSX",
    [EMUL_STOS] = "STOS",
    [EMUL_MOVS] = "MOVS",
    [EMUL_ADD] = "ADD",
    [EMUL_OR] = "OR",
    [EMUL_ADC] = "ADC",
    [EMUL_SBB] = "SBB",
    [EMUL_AND] = "AND",
    [EMUL_SUB] = "SUB",
    [EMUL_XOR] = "XOR",
    [EMUL_CMP] = "CMP",
    [EMUL_TEST] = "TEST",
    [EMUL_XCHG] = "XCHG",
    [EMUL_BT] = "BT",
    [EMUL_BTS] = "BTS",
    [EMUL_BTR] = "BTR",
    [EMUL_BTC] = "BTC",
};

struct seg_field {
	const char *name;
	uint32_t sel, base, limit, ar;
};

static const struct seg_field segs[] = {
    {"CS", GUEST_CS_SEL, GUEST_CS_BASE, GUEST_CS_LIMIT, GUEST_CS_AR},
    {"SS", GUEST_SS_SEL, GUEST_SS_BASE, GUEST_SS_LIMIT, GUEST_SS_AR},
    {"DS", GUEST_DS_SEL, GUEST_DS_BASE, GUEST_DS_LIMIT, GUEST_DS_AR},
    {"ES", GUEST_ES_SEL, GUEST_ES_BASE, GUEST_ES_LIMIT, GUEST_ES_AR},
    {"FS", GUEST_FS_SEL, GUEST_FS_BASE, GUEST_FS_LIMIT, GUEST_FS_AR},
    {"GS", GUEST_GS_SEL, GUEST_GS_BASE, GUEST_GS_LIMIT, GUEST_GS_AR},
    {"TR", GUEST_TR_SEL, GUEST_TR_BASE, GUEST_TR_LIMIT, GUEST_TR_AR},
    {"LDTR", GUEST_LDTR_SEL, GUEST_LDTR_BASE, GUEST_LDTR_LIMIT, GUEST_LDTR_AR},
};

/* CR0/CR4 as the guest sees them: host-owned bits come from the read shadow. */
uint64_t vmx_guest_cr(uint32_t real, uint32_t mask, uint32_t shadow)
{
	uint64_t m = __vmcs_read(mask);

	return (__vmcs_read(real) & ~m) | (__vmcs_read(shadow) & m);
}

static void dump_gprs(const struct vcpu *v, const char *name)
{
	for (unsigned i = 0; i < NR_GPRS; i += 4) {
		uint64_t r[4];
		for (unsigned j = 0; j < 4; j++)
			r[j] = i + j == RSP ? vmcs_readnat(GUEST_RSP) : v->regs[i + j];
		pr_err("vm \"%s\":   %-3s %016lx %-3s %016lx %-3s %016lx %-3s %016lx\n", name,
		       gpr_names[i], r[0], gpr_names[i + 1], r[1], gpr_names[i + 2], r[2],
		       gpr_names[i + 3], r[3]);
	}
}

static void dump_control(const char *name)
{
	pr_err("vm \"%s\":   RIP %016lx RFLAGS %08lx CR0 %08lx CR2 %016lx CR3 %016lx\n", name,
	       vmcs_readnat(GUEST_RIP), vmcs_readnat(GUEST_RFLAGS),
	       vmx_guest_cr(GUEST_CR0, CR0_GUEST_HOST_MASK, CR0_READ_SHADOW), read_cr2(),
	       vmcs_readnat(GUEST_CR3));
	pr_err("vm \"%s\":   CR4 %08lx EFER %08lx GDTR %016lx/%04x IDTR %016lx/%04x\n", name,
	       vmx_guest_cr(GUEST_CR4, CR4_GUEST_HOST_MASK, CR4_READ_SHADOW),
	       vmcs_read64(GUEST_IA32_EFER), vmcs_readnat(GUEST_GDTR_BASE),
	       vmcs_read32(GUEST_GDTR_LIMIT), vmcs_readnat(GUEST_IDTR_BASE),
	       vmcs_read32(GUEST_IDTR_LIMIT));
}

static void dump_segments(const char *name)
{
	for (unsigned i = 0; i < ARRAY_SIZE(segs); i++)
		pr_err("vm \"%s\":   %-4s sel %04x base %016lx limit %08x ar %05x\n", name,
		       segs[i].name, (unsigned)__vmcs_read(segs[i].sel), __vmcs_read(segs[i].base),
		       (unsigned)__vmcs_read(segs[i].limit), (unsigned)__vmcs_read(segs[i].ar));
}

static void dump_insn(struct vcpu *v, const char *name)
{
	uint8_t bytes[16] = {0};
	char hex[3 * 16 + 1];
	struct insn in;
	size_t len = 0;
	int n = 0;

	if (vmx_guest_fetch(v, bytes, &len)) {
		pr_err("vm \"%s\":   code at RIP: not readable through the guest's page tables\n",
		       name);
		return;
	}
	for (size_t i = 0; i < len && i < 15; i++)
		n += ksnprintf(hex + n, sizeof(hex) - (size_t)n, " %02x", bytes[i]);
	if (!decode_insn(bytes, len, vmx_guest_mode(), &in) && in.op < ARRAY_SIZE(op_names) &&
	    op_names[in.op])
		pr_err("vm \"%s\":   code at RIP:%s (%s, %u bytes)\n", name, hex, op_names[in.op],
		       in.length);
	else
		pr_err("vm \"%s\":   code at RIP:%s (not an instruction the MMIO decoder knows)\n",
		       name, hex);
}

void vmx_dump_guest(struct vcpu *v)
{
	const char *name = v->vm->cfg->name;

	pr_err("vm \"%s\": guest state of vCPU %u:\n", name, v->index);
	dump_gprs(v, name);
	dump_control(name);
	dump_segments(name);
	dump_insn(v, name);
}
