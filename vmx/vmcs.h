/*
 * VMCS field encodings (SDM appendix "Field Encoding in VMCS") as a named
 * enum, and accessors whose width is checked at build time against bits 14:13
 * of the encoding. Only vmx/ touches the VMCS.
 */
#ifndef VMX_VMCS_H
#define VMX_VMCS_H

#include "lib/types.h"

enum vmcs_field {
	/* 16-bit */
	VPID = 0x0000,
	GUEST_ES_SEL = 0x0800,
	GUEST_CS_SEL = 0x0802,
	GUEST_SS_SEL = 0x0804,
	GUEST_DS_SEL = 0x0806,
	GUEST_FS_SEL = 0x0808,
	GUEST_GS_SEL = 0x080a,
	GUEST_LDTR_SEL = 0x080c,
	GUEST_TR_SEL = 0x080e,
	GUEST_INTR_STATUS = 0x0810, /* RVI 7:0, SVI 15:8 */
	GUEST_PML_INDEX = 0x0812,
	HOST_ES_SEL = 0x0c00,
	HOST_CS_SEL = 0x0c02,
	HOST_SS_SEL = 0x0c04,
	HOST_DS_SEL = 0x0c06,
	HOST_FS_SEL = 0x0c08,
	HOST_GS_SEL = 0x0c0a,
	HOST_TR_SEL = 0x0c0c,
	/* 64-bit */
	IO_BITMAP_A = 0x2000,
	IO_BITMAP_B = 0x2002,
	MSR_BITMAP = 0x2004,
	EXIT_MSR_STORE_ADDR = 0x2006,
	EXIT_MSR_LOAD_ADDR = 0x2008,
	ENTRY_MSR_LOAD_ADDR = 0x200a,
	PML_ADDRESS = 0x200e,
	TSC_OFFSET = 0x2010,
	VIRTUAL_APIC_PAGE_ADDR = 0x2012,
	APIC_ACCESS_ADDR = 0x2014,
	EPT_POINTER = 0x201a,
	EOI_EXIT_BITMAP0 = 0x201c, /* vectors 0-63 */
	EOI_EXIT_BITMAP1 = 0x201e,
	EOI_EXIT_BITMAP2 = 0x2020,
	EOI_EXIT_BITMAP3 = 0x2022, /* vectors 192-255 */
	GUEST_PHYSICAL_ADDRESS = 0x2400,
	VMCS_LINK_POINTER = 0x2800,
	GUEST_IA32_DEBUGCTL = 0x2802,
	GUEST_IA32_PAT = 0x2804,
	GUEST_IA32_EFER = 0x2806,
	GUEST_PDPTE0 = 0x280a, /* PAE paging with EPT: the PDPTEs the CPU uses */
	GUEST_PDPTE1 = 0x280c,
	GUEST_PDPTE2 = 0x280e,
	GUEST_PDPTE3 = 0x2810,
	HOST_IA32_PAT = 0x2c00,
	HOST_IA32_EFER = 0x2c02,
	/* 32-bit */
	PIN_BASED_CTLS = 0x4000,
	PROC_BASED_CTLS = 0x4002,
	EXCEPTION_BITMAP = 0x4004,
	PF_ERROR_CODE_MASK = 0x4006,
	PF_ERROR_CODE_MATCH = 0x4008,
	CR3_TARGET_COUNT = 0x400a,
	EXIT_CTLS = 0x400c,
	EXIT_MSR_STORE_COUNT = 0x400e,
	EXIT_MSR_LOAD_COUNT = 0x4010,
	ENTRY_CTLS = 0x4012,
	ENTRY_MSR_LOAD_COUNT = 0x4014,
	ENTRY_INTR_INFO = 0x4016,
	ENTRY_EXCEPTION_ERROR_CODE = 0x4018,
	ENTRY_INSTR_LEN = 0x401a,
	TPR_THRESHOLD = 0x401c,
	PROC_BASED_CTLS2 = 0x401e,
	VM_INSTRUCTION_ERROR = 0x4400,
	EXIT_REASON = 0x4402,
	EXIT_INTR_INFO = 0x4404,
	EXIT_INTR_ERROR_CODE = 0x4406,
	IDT_VECTORING_INFO = 0x4408,
	IDT_VECTORING_ERROR_CODE = 0x440a,
	EXIT_INSTR_LEN = 0x440c,
	EXIT_INSTR_INFO = 0x440e,
	GUEST_ES_LIMIT = 0x4800,
	GUEST_CS_LIMIT = 0x4802,
	GUEST_SS_LIMIT = 0x4804,
	GUEST_DS_LIMIT = 0x4806,
	GUEST_FS_LIMIT = 0x4808,
	GUEST_GS_LIMIT = 0x480a,
	GUEST_LDTR_LIMIT = 0x480c,
	GUEST_TR_LIMIT = 0x480e,
	GUEST_GDTR_LIMIT = 0x4810,
	GUEST_IDTR_LIMIT = 0x4812,
	GUEST_ES_AR = 0x4814,
	GUEST_CS_AR = 0x4816,
	GUEST_SS_AR = 0x4818,
	GUEST_DS_AR = 0x481a,
	GUEST_FS_AR = 0x481c,
	GUEST_GS_AR = 0x481e,
	GUEST_LDTR_AR = 0x4820,
	GUEST_TR_AR = 0x4822,
	GUEST_INTERRUPTIBILITY = 0x4824,
	GUEST_ACTIVITY_STATE = 0x4826,
	GUEST_SYSENTER_CS = 0x482a,
	GUEST_PREEMPTION_TIMER = 0x482e,
	HOST_SYSENTER_CS = 0x4c00,
	/* natural width */
	CR0_GUEST_HOST_MASK = 0x6000,
	CR4_GUEST_HOST_MASK = 0x6002,
	CR0_READ_SHADOW = 0x6004,
	CR4_READ_SHADOW = 0x6006,
	EXIT_QUALIFICATION = 0x6400,
	GUEST_LINEAR_ADDRESS = 0x640a,
	GUEST_CR0 = 0x6800,
	GUEST_CR3 = 0x6802,
	GUEST_CR4 = 0x6804,
	GUEST_ES_BASE = 0x6806,
	GUEST_CS_BASE = 0x6808,
	GUEST_SS_BASE = 0x680a,
	GUEST_DS_BASE = 0x680c,
	GUEST_FS_BASE = 0x680e,
	GUEST_GS_BASE = 0x6810,
	GUEST_LDTR_BASE = 0x6812,
	GUEST_TR_BASE = 0x6814,
	GUEST_GDTR_BASE = 0x6816,
	GUEST_IDTR_BASE = 0x6818,
	GUEST_DR7 = 0x681a,
	GUEST_RSP = 0x681c,
	GUEST_RIP = 0x681e,
	GUEST_RFLAGS = 0x6820,
	GUEST_PENDING_DBG = 0x6822,
	GUEST_SYSENTER_ESP = 0x6824,
	GUEST_SYSENTER_EIP = 0x6826,
	HOST_CR0 = 0x6c00,
	HOST_CR3 = 0x6c02,
	HOST_CR4 = 0x6c04,
	HOST_FS_BASE = 0x6c06,
	HOST_GS_BASE = 0x6c08,
	HOST_TR_BASE = 0x6c0a,
	HOST_GDTR_BASE = 0x6c0c,
	HOST_IDTR_BASE = 0x6c0e,
	HOST_SYSENTER_ESP = 0x6c10,
	HOST_SYSENTER_EIP = 0x6c12,
	HOST_RSP = 0x6c14,
	HOST_RIP = 0x6c16,
};

#define VMCS_WIDTH(f) (((unsigned)(f) >> 13) & 3)
#define VMCS_W16      0
#define VMCS_W64      1
#define VMCS_W32      2
#define VMCS_WNAT     3

/* Raw VMREAD/VMWRITE; a failure is a hypervisor bug (wrong field, no current VMCS). */
__noreturn void vmcs_fail(const char *op, uint32_t field, uint64_t value);

static inline uint64_t __vmcs_read(uint32_t field)
{
	uint64_t v;
	uint8_t ok;

	__asm__ volatile("vmread %2, %1; seta %0"
			 : "=qm"(ok), "=rm"(v)
			 : "r"((uint64_t)field)
			 : "cc");
	if (unlikely(!ok))
		vmcs_fail("VMREAD", field, 0);
	return v;
}

static inline void __vmcs_write(uint32_t field, uint64_t value)
{
	uint8_t ok;

	__asm__ volatile("vmwrite %2, %1; seta %0"
			 : "=qm"(ok)
			 : "r"((uint64_t)field), "rm"(value)
			 : "cc");
	if (unlikely(!ok))
		vmcs_fail("VMWRITE", field, value);
}

#define VMCS_CHECKED(f, w)                                                                         \
	(__extension__({                                                                           \
		static_assert(VMCS_WIDTH(f) == (w), "VMCS field width");                           \
		(uint32_t)(f);                                                                     \
	}))
#define vmcs_read16(f)	    ((uint16_t)__vmcs_read(VMCS_CHECKED(f, VMCS_W16)))
#define vmcs_read32(f)	    ((uint32_t)__vmcs_read(VMCS_CHECKED(f, VMCS_W32)))
#define vmcs_read64(f)	    (__vmcs_read(VMCS_CHECKED(f, VMCS_W64)))
#define vmcs_readnat(f)	    (__vmcs_read(VMCS_CHECKED(f, VMCS_WNAT)))
#define vmcs_write16(f, v)  __vmcs_write(VMCS_CHECKED(f, VMCS_W16), (uint16_t)(v))
#define vmcs_write32(f, v)  __vmcs_write(VMCS_CHECKED(f, VMCS_W32), (uint32_t)(v))
#define vmcs_write64(f, v)  __vmcs_write(VMCS_CHECKED(f, VMCS_W64), (uint64_t)(v))
#define vmcs_writenat(f, v) __vmcs_write(VMCS_CHECKED(f, VMCS_WNAT), (uint64_t)(v))

/* Controls (SDM "VM-Execution Control Fields", "VM-Exit Controls", "VM-Entry Controls") */
#define PIN_EXTINT_EXITING	 BIT(0)
#define PIN_NMI_EXITING		 BIT(3)
#define PIN_VIRTUAL_NMIS	 BIT(5)
#define PIN_PREEMPT_TIMER	 BIT(6)
#define PROC_INTR_WINDOW_EXITING BIT(2)
#define PROC_HLT_EXITING	 BIT(7)
#define PROC_MWAIT_EXITING	 BIT(10)
#define PROC_RDPMC_EXITING	 BIT(11)
#define PROC_CR3_LOAD_EXITING	 BIT(15)
#define PROC_CR3_STORE_EXITING	 BIT(16)
#define PROC_CR8_LOAD_EXITING	 BIT(19)
#define PROC_CR8_STORE_EXITING	 BIT(20)
#define PROC_USE_TPR_SHADOW	 BIT(21)
#define PROC_NMI_WINDOW_EXITING	 BIT(22)
#define PROC_UNCOND_IO_EXITING	 BIT(24)
#define PROC_USE_IO_BITMAPS	 BIT(25)
#define PROC_USE_MSR_BITMAPS	 BIT(28)
#define PROC_MONITOR_EXITING	 BIT(29)
#define PROC_SECONDARY		 BIT(31)
#define PROC2_VIRT_APIC_ACCESS	 BIT(0)
#define PROC2_ENABLE_EPT	 BIT(1)
#define PROC2_RDTSCP		 BIT(3)
#define PROC2_VIRT_X2APIC	 BIT(4)
#define PROC2_ENABLE_VPID	 BIT(5)
#define PROC2_UNRESTRICTED_GUEST BIT(7)
#define PROC2_APIC_REG_VIRT	 BIT(8)
#define PROC2_VIRT_INTR_DELIVERY BIT(9)
#define PROC2_INVPCID		 BIT(12)
#define PROC2_ENABLE_PML	 BIT(17)
#define PROC2_XSAVES		 BIT(20)
#define EXIT_HOST_64BIT		 BIT(9)
#define EXIT_ACK_INTR		 BIT(15)
#define EXIT_SAVE_PAT		 BIT(18)
#define EXIT_LOAD_PAT		 BIT(19)
#define EXIT_SAVE_EFER		 BIT(20)
#define EXIT_LOAD_EFER		 BIT(21)
#define EXIT_SAVE_PREEMPT_TIMER	 BIT(22)
#define ENTRY_IA32E_GUEST	 BIT(9)
#define ENTRY_LOAD_PAT		 BIT(14)
#define ENTRY_LOAD_EFER		 BIT(15)

/* VM-entry interruption information (SDM "VM-Entry Controls for Event Injection") */
#define INTR_INFO_VALID		  BIT(31)
#define INTR_INFO_DELIVER_EC	  BIT(11)
#define INTR_TYPE_EXT_INTR	  (0u << 8)
#define INTR_TYPE_NMI_INTR	  (2u << 8)
#define INTERRUPTIBILITY_NMI	  BIT(3) /* blocking by NMI */
#define RFLAGS_IF		  BIT(9)
#define INTERRUPTIBILITY_BLOCKING GENMASK(1, 0) /* by STI, by MOV SS */
#define INTR_TYPE_HW_EXCEPTION	  (3u << 8)

#endif
