/*
 * Guest page-table walker: translates a guest-virtual (linear) address through the guest's
 * own page tables, as the CPU would, reading them through a read_gpa callback (the VMX side
 * plugs in its EPT view of guest memory). Pure and host-buildable; no state between calls.
 */
#ifndef EMUL_GWALK_H
#define EMUL_GWALK_H

#include "lib/types.h"

/* Control-register bits that select the paging mode and the checks (SDM "Paging Modes"). */
#define GW_CR0_WP   BIT(16)
#define GW_CR0_PG   BIT(31)
#define GW_CR4_PSE  BIT(4)
#define GW_CR4_PAE  BIT(5)
#define GW_CR4_LA57 BIT(12)
#define GW_CR4_SMEP BIT(20)
#define GW_CR4_SMAP BIT(21)
#define GW_EFER_LMA BIT(10)
#define GW_EFER_NXE BIT(11)

/* Access type; the bits sit where the page-fault error code reports them. */
#define GWALK_WRITE BIT(1) /* data write */
#define GWALK_USER  BIT(2) /* CPL 3 access */
#define GWALK_FETCH BIT(4) /* instruction fetch */
#define GWALK_AC    BIT(8) /* RFLAGS.AC=1: SMAP does not apply to this supervisor data access */

/* Page-fault error code (SDM "Page-Fault Exceptions"). */
#define PFEC_P	  BIT(0) /* 0: not present; 1: protection or reserved-bit violation */
#define PFEC_W	  BIT(1)
#define PFEC_U	  BIT(2)
#define PFEC_RSVD BIT(3)
#define PFEC_ID	  BIT(4)

enum gwalk_mode {
	GWALK_MODE_OFF,	   /* CR0.PG=0: linear = physical (32-bit) */
	GWALK_MODE_32,	   /* 2-level, 4 KiB and (CR4.PSE) 4 MiB pages */
	GWALK_MODE_PAE,	   /* 3-level with the 4-entry PDPT */
	GWALK_MODE_4LEVEL, /* IA-32e, 4 KiB / 2 MiB / 1 GiB */
	GWALK_MODE_5LEVEL, /* IA-32e with CR4.LA57 */
};

struct gwalk_ctx {
	uint64_t cr0, cr3, cr4, efer; /* the guest's values */
	unsigned maxphyaddr;	      /* guest physical-address width (CPUID 80000008h); 0: 52 */
	/*
	 * PAE paging only: the four PDPTEs the CPU loaded with CR3 and walks with (with EPT
	 * the VMCS holds them, SDM "Loading Guest State: PDPTEs"), not what memory at CR3 says
	 * now. NULL: read them at CR3.
	 */
	const uint64_t *pdptes;
	void *opaque;
	/* Read guest-physical memory; -errno when @gpa is not backed. Required. */
	int (*read_gpa)(void *opaque, uint64_t gpa, void *buf, size_t len);
	/* Optional: when set, the walker sets Accessed/Dirty bits as the CPU does (not atomic
	 * against other vCPUs). NULL leaves the guest's tables untouched. */
	int (*write_gpa)(void *opaque, uint64_t gpa, const void *buf, size_t len);
};

enum gwalk_mode gwalk_mode(const struct gwalk_ctx *ctx);

/*
 * Translate @gva for an access of type @access (GWALK_*).
 * Returns 0 and *gpa; -EFAULT with *pfec set when the guest should get #PF (CR2 = gva);
 * -ERANGE for a non-canonical address (#GP in the guest); or the -errno of read_gpa/write_gpa
 * when a paging structure is not in guest memory.
 * @pre ctx->read_gpa != NULL; gpa and pfec non-NULL.
 */
int gwalk_translate(const struct gwalk_ctx *ctx, uint64_t gva, unsigned access, uint64_t *gpa,
		    uint32_t *pfec);

/*
 * Read up to @len (<= 15) instruction bytes at linear @gva, following a page boundary into
 * the next page. @access is GWALK_FETCH, plus GWALK_USER at CPL 3.
 * Returns the number of bytes read (> 0). When the second page faults it returns the bytes
 * of the first page only and *pfec describes the fault at gva + return value, to be injected
 * only if the decoder needs those bytes. When the first byte faults it returns as
 * gwalk_translate() does.
 */
int gwalk_fetch(const struct gwalk_ctx *ctx, uint64_t gva, unsigned access, uint8_t *buf,
		size_t len, uint32_t *pfec);

#endif
