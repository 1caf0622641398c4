/*
 * The contract between kestrel and its guests (docs/abi.md, ABI version 3):
 * ports, hypercalls, CPUID leaves, the doorbell vector and the MMIO test
 * device's registers. Included by the hypervisor and by the guests, from C
 * and from assembly; change it only together with docs/abi.md.
 */
#ifndef ABI_KESTREL_H
#define ABI_KESTREL_H

#define KESTREL_ABI_VERSION 3

/* Port I/O */
#define PORT_COM1	0x3F8
#define PORT_DEBUG_EXIT 0xF4 /* out: the VM ends (or restarts, per policy) with this status */
#define PORT_POST	0x80 /* out: ignored */

/* Hypercalls: VMCALL, RAX = number, arguments in RDI, RSI, RDX, R10, result in RAX. */
#define HC_NULL		 0
#define HC_CONSOLE_WRITE 1
#define HC_EXIT		 2
#define HC_VM_INFO	 3
#define HC_HEARTBEAT	 4
#define HC_DOORBELL	 5
#define HC_STATS	 6
/* Since version 3: memory at run time (docs/abi.md). */
#define HC_DIRTY_LOG	     7
#define HC_SLOT_ADD	     8
#define HC_SLOT_REMOVE	     9
#define HC_CHECKPOINT	     10
#define KESTREL_CKPT_RESUMED 1	    /* HC_CHECKPOINT's RAX when a rollback resumes from it */
#define HC_NULL_MIN	     0xFFFF /* answered by the bare-minimum exit path */
#define HC_CONSOLE_MAX	     4096

/*
 * The external interrupt HC_DOORBELL raises in the peer. HC_DOORBELL returns 0, -EINVAL
 * (the caller itself, an id >= 64, or a named peer not running) or -EPERM (a VM the
 * caller's configuration does not name among its peers); rings coalesce while pending.
 */
#define VEC_DOORBELL 0x40

/* CPUID: leaf 0x40000000 returns the highest leaf and "KestrelHV\0\0\0" in EBX:ECX:EDX. */
#define CPUID_HV_BASE	 0x40000000
#define CPUID_HV_VERSION 0x40000001
#define HV_SIG_EBX	 0x7473654B /* "Kest" */
#define HV_SIG_ECX	 0x486C6572 /* "relH" */
#define HV_SIG_EDX	 0x00000056 /* "V\0\0\0" */

/* The MMIO test device: registers of each page of its region. */
#define TD_ID	       0x000 /* 32-bit, read-only: TD_ID_VALUE */
#define TD_R64	       0x008
#define TD_R32	       0x010
#define TD_R16	       0x014
#define TD_R8	       0x016
#define TD_COUNT       0x018 /* 32-bit, read-only: writes seen */
#define TD_SEQ	       0x020 /* 64-bit: TD_SEQ_FOLD of the writes since one here (0 till then) */
#define TD_SCRATCH     0x100 /* ..TD_SCRATCH_END: reads back what was written */
#define TD_SCRATCH_END 0x1000
#define TD_ID_VALUE    0x4B53544C /* "KSTL" */
/*
 * TD_SEQ after a write of @val, @width bytes at offset @off (in its page) onto @h; 0 at reset:
 * h * 31 plus the value with (off << 4 | width) xored into its top 16 bits, modulo 2^64.
 */
#define TD_SEQ_FOLD(h, off, width, val)                                                            \
	((h)*31 + ((val) ^ ((uint64_t)((off) << 4 | (width)) << 48)))

#ifndef __ASSEMBLY__
#include <stdint.h>

/* HC_VM_INFO fills this at the guest-physical address in RDI. */
struct hc_vm_info {
	uint32_t version; /* KESTREL_ABI_VERSION */
	uint32_t vm_id;
	uint64_t ram_bytes;
	char name[32];
	uint32_t restarts; /* since version 2 */
	uint32_t cpu;
};
_Static_assert(sizeof(struct hc_vm_info) == 56, "struct hc_vm_info is 56 bytes");
#endif

#endif
