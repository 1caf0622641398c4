/*
 * The 4-level extended page table of one VM: building it from memory slots,
 * mapping/unmapping ranges with the largest leaves alignment allows, and a
 * software walker that checks entries as the hardware does (SDM "The Extended
 * Page Table Mechanism (EPT)", "EPT Misconfigurations"). Host-buildable.
 */
#ifndef EPT_EPT_H
#define EPT_EPT_H

#include "lib/types.h"
#include "mm/page.h"
#include "mm/memslot.h"

/* EPT paging-structure entries (SDM "EPT Translation Mechanism" tables). */
#define EPTE_R	      BIT(0)
#define EPTE_W	      BIT(1)
#define EPTE_X	      BIT(2)
#define EPTE_RWX      (EPTE_R | EPTE_W | EPTE_X)
#define EPTE_MT	      GENMASK(5, 3) /* memory type, leaf only */
#define EPTE_MT_SHIFT 3
#define EPTE_IPAT     BIT(6) /* ignore guest PAT, leaf only */
#define EPTE_LEAF     BIT(7) /* PDPTE: 1 GiB page, PDE: 2 MiB page */
#define EPTE_A	      BIT(8)
#define EPTE_D	      BIT(9) /* leaf only */
#define EPTE_ADDR     GENMASK(51, 12)
#define EPTE_SW_MMIO  BIT(52) /* ignored by hardware: our MMIO marker tag */

#define EPT_MT_UC  0ULL
#define EPT_MT_WC  1ULL
#define EPT_MT_WT  4ULL
#define EPT_MT_WP  5ULL
#define EPT_MT_WB  6ULL
#define EPTE_MT_UC (EPT_MT_UC << EPTE_MT_SHIFT)
#define EPTE_MT_WB (EPT_MT_WB << EPTE_MT_SHIFT)

/* Reserved bits by entry kind, below the address width. */
#define EPTE_RSVD_PML4	GENMASK(7, 3)
#define EPTE_RSVD_TABLE GENMASK(6, 3) /* non-leaf PDPTE / PDE */
#define EPTE_RSVD_1G	GENMASK(29, 12)
#define EPTE_RSVD_2M	GENMASK(20, 12)

/*
 * KVM's MMIO marker: write without read is always an EPT misconfiguration, so
 * a guest access takes the cheap EPT-misconfig exit instead of a violation.
 */
#define EPTE_MMIO_MARKER (EPTE_W | EPTE_SW_MMIO)

/* Request flag for ept_map, never stored: the range is passthrough MMIO. */
#define EPT_MAP_PASSTHRU BIT(62)
/*
 * Request flag for ept_map, never stored: the one 4 KiB hypervisor frame is the VM's
 * APIC-access page (SDM "APIC-Access Page"): with "virtualize APIC accesses" the CPU
 * turns guest accesses to it into virtual-APIC page accesses or exits, never touching
 * the frame. Recorded in struct ept so the audit knows it; at most one per EPT.
 */
#define EPT_MAP_APIC_ACCESS BIT(61)

/* EPT pointer (SDM "Extended-Page-Table Pointer (EPTP)"). */
#define EPTP_MT		GENMASK(2, 0)
#define EPTP_WALK_LEN	GENMASK(5, 3) /* page-walk length minus 1 */
#define EPTP_WALK_LEN_4 (3ULL << 3)
#define EPTP_AD		BIT(6)
#define EPTP_ADDR	GENMASK(51, 12)

static_assert((EPTE_ADDR & (EPTE_RWX | EPTE_MT | EPTE_IPAT | EPTE_LEAF | EPTE_A | EPTE_D)) == 0,
	      "EPTE address overlaps flags");
static_assert(EPTE_MT == (7ULL << EPTE_MT_SHIFT), "EPT memory type is bits 5:3");
static_assert((EPTE_SW_MMIO & EPTE_ADDR) == 0, "software bit must be an ignored bit");
static_assert((EPTP_ADDR & (EPTP_MT | EPTP_WALK_LEN | EPTP_AD)) == 0, "EPTP layout");
/* Region rights are used as EPT rights as they are: both must be bits 0, 1, 2. */
static_assert(REGION_R == 0x1 && REGION_W == 0x2 && REGION_X == 0x4, "region rights: bits 0..2");
static_assert(EPTE_R == 0x1 && EPTE_W == 0x2 && EPTE_X == 0x4, "EPT R/W/X are bits 0..2");

#define EPT_LEVELS    4
#define EPT_ENTRIES   512
#define EPT_GPA_LIMIT (1ULL << 48) /* reach of a 4-level walk */

#define EPTE_TABLE EPTE_RWX /* non-leaf entries grant all; the leaf decides */
/* SDM "EPT Translation Mechanism": 9 bits of GPA per level above the 4 KiB offset. */
static inline unsigned ept_shift(unsigned level)
{
	return PAGE_SHIFT + 9 * (level - 1);
}

static inline uint64_t ept_span(unsigned level)
{
	return 1ULL << ept_shift(level);
}

static inline unsigned ept_index(uint64_t g, unsigned level)
{
	return (unsigned)(g >> ept_shift(level)) & (EPT_ENTRIES - 1);
}

static inline bool epte_present(uint64_t e)
{
	return (e & EPTE_RWX) != 0;
}

/* Leaf sizes, indexed by level - 1: 4 KiB PTE, 2 MiB PDE, 1 GiB PDPTE. */
enum ept_leaf { EPT_LEAF_4K, EPT_LEAF_2M, EPT_LEAF_1G, EPT_LEAF_COUNT };

/*
 * Invariants: every table below the PML4 holds at least one present entry
 * (empty tables are freed at once), so table_pages is the minimum for the
 * leaves present; leaves[] and mmio_markers count the present leaves.
 */
struct ept {
	hpa_t pml4;
	uint64_t *pml4_va;
	unsigned table_pages; /* including the PML4 */
	unsigned long leaves[EPT_LEAF_COUNT];
	unsigned long mmio_markers;
	owner_t owner;		  /* the VM's frames; table pages are OWNER_HYP */
	bool allow_1g;		  /* may map 1 GiB leaves */
	bool allow_2m;		  /* may map 2 MiB leaves */
	bool exec_only;		  /* CPU supports execute-only translations */
	unsigned phys_bits;	  /* MAXPHYADDR; address bits above it are reserved */
	uint64_t apic_access_gpa; /* the APIC-access page's leaf (EPT_MAP_APIC_ACCESS) ... */
	hpa_t apic_access;	  /* ... and its frame; 0: none mapped */
};

struct ept_walk_result {
	hpa_t hpa;	 /* translation of the walked address */
	unsigned level;	 /* level of the last entry read: 1 PTE .. 4 PML4E */
	uint64_t size;	 /* bytes mapped by the leaf */
	uint64_t rights; /* EPTE_R/W/X, AND over all levels */
	unsigned mt;	 /* EPT memory type of the leaf */
	bool ipat;
	bool mmio;	/* the misconfiguration is our MMIO marker */
	uint64_t entry; /* last entry read */
};

/*
 * Allocate the PML4. exec_only starts false and phys_bits 52; the caller may
 * set them from IA32_VMX_EPT_VPID_CAP and CPUID before mapping.
 * Returns 0 or -ENOMEM.
 */
int ept_init(struct ept *ept, owner_t vm_owner, bool allow_1g, bool allow_2m);

/* Free every table page; @ept is zeroed. */
void ept_destroy(struct ept *ept);

/*
 * Map [gpa, gpa+size) to [hpa, hpa+size) with @flags: EPTE_R/W/X, a memory
 * type in EPTE_MT, optionally EPTE_IPAT and EPT_MAP_PASSTHRU. Uses 1 GiB,
 * then 2 MiB, then 4 KiB leaves as alignment of gpa, hpa and size allows.
 * @pre gpa, hpa, size 4 KiB aligned.
 * Every frame must belong to the VM or a shared owner; with EPT_MAP_PASSTHRU,
 * it must be OWNER_RESERVED instead; with EPT_MAP_APIC_ACCESS, size is 4 KiB, the
 * frame OWNER_HYP, the rights without X and no other APIC-access page mapped (it is
 * forgotten again when unmapped). All or nothing.
 * Returns 0, -EINVAL (alignment, range, rights or memory type), -EPERM
 * (owner), -EEXIST (something is mapped there), -ENOMEM.
 */
int ept_map(struct ept *ept, gpa_t gpa, hpa_t hpa, uint64_t size, uint64_t flags);

/*
 * Remove every translation and MMIO marker in [gpa, gpa+size), splitting large
 * leaves that straddle the ends. Frees tables left empty.
 * Returns 0, -EINVAL (alignment, range) or -ENOMEM (a split failed; nothing
 * changed). The caller flushes with INVEPT if a CPU may cache the old entries.
 */
int ept_unmap(struct ept *ept, gpa_t gpa, uint64_t size);

/*
 * Map every slot by kind: RAM and shared per rights WB, ROM read+execute WB,
 * passthrough MMIO per rights UC; emulated MMIO is left unmapped. On error the
 * slots already mapped are unmapped again.
 * Returns 0 or the first ept_map error.
 */
int ept_build(struct ept *ept, const struct memslots *ms);

/*
 * Install the MMIO marker in the 4 KiB PTE of @gpa.
 * Returns 0, -EINVAL (range), -EEXIST (already mapped or marked), -ENOMEM.
 */
int ept_mark_mmio(struct ept *ept, gpa_t gpa);

static inline bool ept_is_mmio_marker(uint64_t entry)
{
	return (entry & (EPTE_RWX | EPTE_SW_MMIO)) == EPTE_MMIO_MARKER;
}

/*
 * Walk @gpa as the processor does. Returns 0 and fills @r; -ENOENT when an
 * entry is not present (an EPT violation; r->level says where); -EINVAL on an
 * EPT misconfiguration (r->mmio set when it is our marker); -ERANGE when @gpa
 * is beyond the 48-bit reach of the walk.
 */
int ept_walk(const struct ept *ept, gpa_t gpa, struct ept_walk_result *r);

/* The VMCS EPT pointer: WB paging structures, 4-level walk. */
uint64_t ept_eptp(const struct ept *ept, bool ad_enabled);

/*
 * Describe the leaves used per slot ("1G:1 2M:63 4K:0") and the table page
 * count, one line each, into @buf. Returns the length the full text needs.
 */
int ept_summary(const struct ept *ept, const struct memslots *ms, char *buf, size_t len);

#endif
