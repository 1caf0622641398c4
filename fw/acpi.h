/*
 * ACPI tables: their wire format (shared with fw/acpi_build.c, which writes a VM's), and
 * the parser of the host's: RSDP -> RSDT/XSDT -> MADT (CPUs, IOAPICs, overrides, NMIs),
 * FADT (PM1 blocks, PM timer, SCI, reset register, \_S5 sleep type from the DSDT/SSDT AML),
 * and the platform devices' register windows (HPET, MCFG, DMAR: fw/acpi_hw.c).
 * Every byte is read through the caller's map callback. Called once by hv/main.c (and
 * by the tests of the builder); host-built for tests.
 */
#ifndef FW_ACPI_H
#define FW_ACPI_H

#include "lib/types.h"

/* ---- wire format (ACPI Specification, "ACPI Software Programming Model") ---- */

#define ACPI_RSDP_SIG	 "RSD PTR "
#define ACPI_RSDP_V1_LEN 20
#define ACPI_RSDP_V2_LEN 36
#define ACPI_HEADER_LEN	 36
#define ACPI_TABLE_MAX	 (16 * MiB) /* longer tables are taken for garbage */
#define ACPI_MAX_ENTRIES 128	    /* RSDT/XSDT entries looked at */

struct acpi_rsdp {
	char signature[8];
	uint8_t checksum; /* over the first 20 bytes */
	char oem_id[6];
	uint8_t revision; /* 0: ACPI 1.0 (20 bytes); 2: ACPI 2.0+ */
	uint32_t rsdt_addr;
	uint32_t length; /* ACPI 2.0+ from here on */
	uint64_t xsdt_addr;
	uint8_t ext_checksum; /* over @length bytes */
	uint8_t reserved[3];
} __packed;

struct acpi_header {
	char signature[4];
	uint32_t length; /* of the whole table, header included */
	uint8_t revision;
	uint8_t checksum; /* all @length bytes sum to 0 */
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	uint32_t creator_id;
	uint32_t creator_revision;
} __packed;

/* Generic Address Structure */
struct acpi_gas {
	uint8_t space_id; /* ACPI_GAS_* */
	uint8_t bit_width, bit_offset, access_size;
	uint64_t address;
} __packed;
#define ACPI_GAS_MEMORY 0
#define ACPI_GAS_IO	1
#define ACPI_GAS_BYTE	1 /* access sizes (ACPI 4.0+; 0: undefined, legacy) */
#define ACPI_GAS_WORD	2
#define ACPI_GAS_DWORD	3

/* "Multiple APIC Description Table (MADT)": this header, then type/length entries. */
struct acpi_madt {
	struct acpi_header hdr;
	uint32_t lapic_addr;
	uint32_t flags; /* ACPI_MADT_PCAT_COMPAT */
} __packed;
#define ACPI_MADT_PCAT_COMPAT BIT(0) /* dual 8259 PICs present */

enum acpi_madt_type {
	ACPI_MADT_LAPIC = 0,
	ACPI_MADT_IOAPIC = 1,
	ACPI_MADT_ISO = 2,
	ACPI_MADT_LAPIC_NMI = 4,
	ACPI_MADT_LAPIC_OVERRIDE = 5,
	ACPI_MADT_X2APIC = 9,
	ACPI_MADT_X2APIC_NMI = 10,
};

struct acpi_madt_lapic {
	uint8_t type, length;
	uint8_t uid, apic_id;
	uint32_t flags; /* ACPI_LAPIC_* */
} __packed;
#define ACPI_LAPIC_ENABLED	  BIT(0)
#define ACPI_LAPIC_ONLINE_CAPABLE BIT(1) /* disabled now, may be enabled later (ACPI 6.3) */

struct acpi_madt_ioapic {
	uint8_t type, length;
	uint8_t id, reserved;
	uint32_t addr;
	uint32_t gsi_base;
} __packed;

/* "Interrupt Source Override Structure": ISA IRQ @source arrives on @gsi. */
struct acpi_madt_iso {
	uint8_t type, length;
	uint8_t bus, source; /* bus 0: ISA */
	uint32_t gsi;
	uint16_t flags; /* ACPI_MPS_* */
} __packed;

/* "MPS INTI Flags" of overrides and NMI structures: polarity in 1:0, trigger mode in 3:2 */
#define ACPI_MPS_POLARITY    GENMASK(1, 0)
#define ACPI_MPS_ACTIVE_HIGH 0x1
#define ACPI_MPS_ACTIVE_LOW  0x3
#define ACPI_MPS_TRIGGER     GENMASK(3, 2)
#define ACPI_MPS_EDGE	     0x4
#define ACPI_MPS_LEVEL	     0xc /* 0 in both fields: conforms to the bus (ISA: edge, high) */

/* "Local APIC NMI Structure": NMI on LINT@lint of processor @uid (0xff: all of them). */
struct acpi_madt_lapic_nmi {
	uint8_t type, length;
	uint8_t uid;
	uint16_t flags; /* ACPI_MPS_* */
	uint8_t lint;
} __packed;
#define ACPI_NMI_ALL_CPUS 0xff

/* "Local x2APIC NMI Structure": the same for 32-bit UIDs (0xffffffff: all processors). */
struct acpi_madt_x2apic_nmi {
	uint8_t type, length;
	uint16_t flags; /* ACPI_MPS_* */
	uint32_t uid;
	uint8_t lint;
	uint8_t reserved[3];
} __packed;
#define ACPI_X2APIC_NMI_ALL_CPUS 0xffffffffu

struct acpi_madt_lapic_override {
	uint8_t type, length;
	uint16_t reserved;
	uint64_t addr;
} __packed;

struct acpi_madt_x2apic {
	uint8_t type, length;
	uint16_t reserved;
	uint32_t x2apic_id;
	uint32_t flags; /* ACPI_LAPIC_* */
	uint32_t uid;
} __packed;

/* "Fixed ACPI Description Table (FADT)", the ACPI 6.x layout (FADT revision 6). */
struct acpi_fadt {
	struct acpi_header hdr;
	uint32_t firmware_ctrl, dsdt;
	uint8_t reserved0, pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;
	uint8_t acpi_enable, acpi_disable, s4bios_req, pstate_cnt;
	uint32_t pm1a_evt_blk, pm1b_evt_blk, pm1a_cnt_blk, pm1b_cnt_blk;
	uint32_t pm2_cnt_blk, pm_tmr_blk, gpe0_blk, gpe1_blk;
	uint8_t pm1_evt_len, pm1_cnt_len, pm2_cnt_len, pm_tmr_len;
	uint8_t gpe0_blk_len, gpe1_blk_len, gpe1_base, cst_cnt;
	uint16_t p_lvl2_lat, p_lvl3_lat, flush_size, flush_stride;
	uint8_t duty_offset, duty_width, day_alrm, mon_alrm, century;
	uint16_t iapc_boot_arch;
	uint8_t reserved1;
	uint32_t flags; /* ACPI_FADT_* */
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	uint16_t arm_boot_arch;
	uint8_t minor_version;
	uint64_t x_firmware_ctrl, x_dsdt;
	struct acpi_gas x_pm1a_evt_blk, x_pm1b_evt_blk, x_pm1a_cnt_blk, x_pm1b_cnt_blk;
	struct acpi_gas x_pm2_cnt_blk, x_pm_tmr_blk, x_gpe0_blk, x_gpe1_blk;
	struct acpi_gas sleep_control_reg, sleep_status_reg; /* ACPI 5.0: hardware-reduced only */
	uint64_t hypervisor_id;				     /* ACPI 6.0 */
} __packed;
#define ACPI_FADT_V1_LEN 116 /* ACPI 1.0: up to and including flags */
#define ACPI_FADT_V6_LEN 276 /* ACPI 6.0 and later */
/* Fixed feature flags */
#define ACPI_FADT_WBINVD	BIT(0)	/* WBINVD flushes all caches and keeps memory coherent */
#define ACPI_FADT_PROC_C1	BIT(2)	/* C1 (HLT) works on every processor */
#define ACPI_FADT_PWR_BUTTON	BIT(4)	/* set: no fixed-hardware power button */
#define ACPI_FADT_SLP_BUTTON	BIT(5)	/* set: no fixed-hardware sleep button */
#define ACPI_FADT_FIX_RTC	BIT(6)	/* set: no RTC wake status in fixed hardware */
#define ACPI_FADT_TMR_VAL_EXT	BIT(8)	/* the PM timer counts 32 bits, not 24 */
#define ACPI_FADT_RESET_REG_SUP BIT(10) /* RESET_REG and RESET_VALUE reset the system */
#define ACPI_FADT_HW_REDUCED	BIT(20) /* no fixed hardware: no PM1 blocks, no PM timer */
/* IA-PC boot architecture flags (IAPC_BOOT_ARCH) */
#define ACPI_BOOT_LEGACY_DEVICES BIT(0) /* ISA devices the ACPI namespace does not list */
#define ACPI_BOOT_8042		 BIT(1) /* an 8042 keyboard controller is present */
#define ACPI_BOOT_NO_VGA	 BIT(2) /* do not probe VGA */
#define ACPI_BOOT_NO_MSI	 BIT(3) /* do not enable MSI */
#define ACPI_BOOT_NO_ASPM	 BIT(4) /* do not enable PCIe ASPM */
#define ACPI_BOOT_NO_CMOS_RTC	 BIT(5) /* no CMOS RTC at ports 0x70/0x71 */

/* "Firmware ACPI Control Structure (FACS)": no checksum; 64-byte aligned. */
struct acpi_facs {
	char signature[4];
	uint32_t length;
	uint32_t hw_signature, waking_vector, global_lock, flags;
	uint64_t x_waking_vector;
	uint8_t version;
	uint8_t reserved[3];
	uint32_t ospm_flags;
	uint8_t reserved1[24];
} __packed;
#define ACPI_FACS_LEN 64

/* "IA-PC HPET (High Precision Event Timers) Specification": one table per timer block. */
struct acpi_hpet {
	struct acpi_header hdr;
	uint32_t block_id;    /* event timer block ID (hardware revision, vendor) */
	struct acpi_gas base; /* the register block: system memory, 1 KiB */
	uint8_t number;	      /* HPET sequence number */
	uint16_t min_tick;    /* minimum clock tick in periodic mode */
	uint8_t page_protection;
} __packed;
#define ACPI_HPET_DEFAULT 0xfed00000ULL /* where chipsets put the first block */

/* "PCI Firmware Specification", MCFG: this header, then one entry per ECAM window. */
struct acpi_mcfg {
	struct acpi_header hdr;
	uint8_t reserved[8];
} __packed;

struct acpi_mcfg_entry {
	uint64_t base; /* ECAM base of bus 0 of the segment: bus N is at base + N MiB */
	uint16_t segment;
	uint8_t start_bus, end_bus;
	uint32_t reserved;
} __packed;
#define ACPI_ECAM_BUS_SHIFT 20 /* 32 devices x 8 functions x 4 KiB per bus */

/* Intel VT-d Specification, "DMA Remapping Reporting Structure": header, then type/length. */
struct acpi_dmar {
	struct acpi_header hdr;
	uint8_t host_addr_width; /* N - 1 for N address bits */
	uint8_t flags;
	uint8_t reserved[10];
} __packed;
#define ACPI_DMAR_DRHD 0 /* DMA remapping hardware unit definition */

struct acpi_dmar_drhd {
	uint16_t type, length;
	uint8_t flags; /* ACPI_DRHD_INCLUDE_PCI_ALL */
	uint8_t size;  /* bits 3:0: the registers span 2^N 4 KiB pages (0 before VT-d 2.5) */
	uint16_t segment;
	uint64_t reg_base;
	/* device scope entries follow */
} __packed;
#define ACPI_DRHD_INCLUDE_PCI_ALL BIT(0)
#define ACPI_DRHD_SIZE_PAGES	  GENMASK(3, 0)

/* AML opcodes ("ACPI Machine Language (AML) Specification") the \_S5 scan and the builder use */
#define AML_ZERO_OP	 0x00
#define AML_ONE_OP	 0x01
#define AML_NAME_OP	 0x08
#define AML_BYTE_PREFIX	 0x0a
#define AML_WORD_PREFIX	 0x0b
#define AML_DWORD_PREFIX 0x0c
#define AML_QWORD_PREFIX 0x0e
#define AML_PACKAGE_OP	 0x12
#define AML_ROOT_CHAR	 '\\'
#define AML_PKGLEN_BYTES GENMASK(7, 6) /* of the lead byte: how many bytes follow */

static_assert(sizeof(struct acpi_rsdp) == ACPI_RSDP_V2_LEN, "RSDP layout");
static_assert(offsetof(struct acpi_rsdp, length) == ACPI_RSDP_V1_LEN, "RSDP 1.0 part");
static_assert(sizeof(struct acpi_header) == ACPI_HEADER_LEN, "ACPI table header layout");
static_assert(sizeof(struct acpi_gas) == 12, "Generic Address Structure layout");
static_assert(sizeof(struct acpi_madt) == 44, "MADT header layout");
static_assert(sizeof(struct acpi_madt_lapic) == 8, "MADT processor local APIC");
static_assert(sizeof(struct acpi_madt_ioapic) == 12, "MADT I/O APIC");
static_assert(sizeof(struct acpi_madt_lapic_override) == 12, "MADT local APIC address override");
static_assert(sizeof(struct acpi_madt_x2apic) == 16, "MADT processor local x2APIC");
static_assert(offsetof(struct acpi_fadt, dsdt) == 40, "FADT DSDT");
static_assert(offsetof(struct acpi_fadt, pm1a_cnt_blk) == 64, "FADT PM1a_CNT_BLK");
static_assert(offsetof(struct acpi_fadt, pm_tmr_blk) == 76, "FADT PM_TMR_BLK");
static_assert(offsetof(struct acpi_fadt, pm1_cnt_len) == 89, "FADT PM1_CNT_LEN");
static_assert(offsetof(struct acpi_fadt, flags) == 112, "FADT flags");
static_assert(offsetof(struct acpi_fadt, x_dsdt) == 140, "FADT X_DSDT");
static_assert(offsetof(struct acpi_fadt, x_pm1a_cnt_blk) == 172, "FADT X_PM1a_CNT_BLK");
static_assert(offsetof(struct acpi_fadt, x_pm_tmr_blk) == 208, "FADT X_PM_TMR_BLK");
static_assert(offsetof(struct acpi_fadt, iapc_boot_arch) == 109, "FADT IAPC_BOOT_ARCH");
static_assert(offsetof(struct acpi_fadt, reset_reg) == 116, "FADT RESET_REG");
static_assert(offsetof(struct acpi_fadt, minor_version) == 131, "FADT minor version");
static_assert(offsetof(struct acpi_fadt, x_firmware_ctrl) == 132, "FADT X_FIRMWARE_CTRL");
static_assert(offsetof(struct acpi_fadt, x_pm1a_evt_blk) == 148, "FADT X_PM1a_EVT_BLK");
static_assert(offsetof(struct acpi_fadt, sleep_control_reg) == 244, "FADT SLEEP_CONTROL_REG");
static_assert(offsetof(struct acpi_fadt, hypervisor_id) == 268, "FADT hypervisor vendor");
static_assert(sizeof(struct acpi_fadt) == ACPI_FADT_V6_LEN, "FADT, ACPI 6.x");
static_assert(sizeof(struct acpi_madt_iso) == 10, "MADT interrupt source override");
static_assert(sizeof(struct acpi_madt_lapic_nmi) == 6, "MADT local APIC NMI");
static_assert(sizeof(struct acpi_madt_x2apic_nmi) == 12, "MADT local x2APIC NMI");
static_assert(sizeof(struct acpi_facs) == ACPI_FACS_LEN, "FACS layout");
static_assert(sizeof(struct acpi_hpet) == 56, "HPET description table");
static_assert(offsetof(struct acpi_hpet, base) == 40, "HPET base address");
static_assert(sizeof(struct acpi_mcfg) == 44, "MCFG header");
static_assert(sizeof(struct acpi_mcfg_entry) == 16, "MCFG configuration space entry");
static_assert(sizeof(struct acpi_dmar) == 48, "DMAR header");
static_assert(sizeof(struct acpi_dmar_drhd) == 16, "DMAR DRHD");
static_assert(offsetof(struct acpi_dmar_drhd, reg_base) == 8, "DRHD register base");

/* ---- parsed form ---- */

#define ACPI_MAX_CPUS	 64
#define ACPI_MAX_IOAPICS 8
#define ACPI_MAX_ISOS	 16
#define ACPI_MAX_NMIS	 8
#define ACPI_MAX_SSDTS	 8
#define ACPI_MAX_HPETS	 4
#define ACPI_MAX_MCFGS	 8
#define ACPI_MAX_DRHDS	 8
#define ACPI_MAX_ERRORS	 8
#define ACPI_ERROR_LEN	 112

/* An enabled processor, in MADT order (the boot CPU is usually first). */
struct acpi_cpu {
	uint32_t apic_id;
	uint32_t uid;
	bool x2apic; /* listed by a type-9 (x2APIC) entry */
};

struct acpi_ioapic {
	uint8_t id;
	uint32_t addr;
	uint32_t gsi_base;
};

/* An interrupt source override: IRQ @source of @bus (0: ISA) is @gsi. */
struct acpi_iso {
	uint8_t bus, source;
	uint32_t gsi;
	uint16_t flags; /* ACPI_MPS_* */
};

/* A local APIC NMI connection, from a type-4 or a type-10 (x2APIC) entry. */
struct acpi_nmi {
	uint32_t uid;	/* ACPI_NMI_ALL_CPUS / ACPI_X2APIC_NMI_ALL_CPUS: every processor */
	uint16_t flags; /* ACPI_MPS_* */
	uint8_t lint;	/* 0 or 1 */
	bool x2apic;
};

/* An ECAM window: buses [start_bus, end_bus] of @segment, at [base + start_bus MiB, ...). */
struct acpi_ecam {
	uint64_t base;
	uint16_t segment;
	uint8_t start_bus, end_bus;
};

/* A VT-d remapping unit's registers: [base, base + size). */
struct acpi_drhd {
	uint64_t base, size;
	uint16_t segment;
	uint8_t flags; /* ACPI_DRHD_* */
};

/*
 * Invariants: nr_* never exceed their arrays; a field is meaningful only when its
 * has_* flag is set; port numbers are I/O ports (0: none).
 */
struct acpi_info {
	uint8_t revision; /* of the RSDP */
	char oem_id[7];	  /* NUL-terminated */
	bool xsdt;	  /* the root table used is the XSDT (else the RSDT) */
	uint64_t root_addr;
	unsigned nr_tables; /* entries in the root table */

	bool has_madt;
	uint64_t lapic_addr; /* the 32-bit field, or a type-5 override */
	uint32_t madt_flags;
	unsigned nr_cpus;
	struct acpi_cpu cpus[ACPI_MAX_CPUS];
	unsigned nr_cpus_disabled; /* entries without the enabled flag (online-capable included) */
	unsigned nr_cpus_dropped;  /* enabled, but past ACPI_MAX_CPUS or duplicate APIC IDs */
	unsigned nr_ioapics;
	struct acpi_ioapic ioapics[ACPI_MAX_IOAPICS];
	unsigned nr_isos;
	struct acpi_iso isos[ACPI_MAX_ISOS];
	unsigned nr_nmis;
	struct acpi_nmi nmis[ACPI_MAX_NMIS];
	unsigned nr_nmis_dropped; /* past ACPI_MAX_NMIS (servers list one per CPU): no error */

	bool has_fadt;
	uint8_t fadt_revision;
	uint32_t fadt_len;
	uint32_t fadt_flags;
	uint16_t sci_int;		  /* ISA IRQ (or GSI) of the SCI */
	uint16_t smi_cmd;		  /* 0: the hardware is in ACPI mode already */
	uint8_t acpi_enable;		  /* written to SMI_CMD to enter ACPI mode (0: none) */
	uint16_t pm1a_evt, pm1b_evt;	  /* PM1 event blocks (X_ fields win when set) */
	uint16_t pm1a_cnt, pm1b_cnt;	  /* PM1 control blocks (X_ fields win when set) */
	uint16_t pm_tmr;		  /* PM timer port, 3.579545 MHz */
	uint8_t pm_tmr_bits;		  /* 24 or 32 */
	uint8_t pm1_evt_len, pm1_cnt_len; /* bytes of each PM1 event / control block */
	uint8_t pm_tmr_len;
	uint16_t iapc_boot_arch;   /* ACPI_BOOT_* */
	uint8_t century;	   /* CMOS index of the RTC's century byte (0: none) */
	struct acpi_gas reset_reg; /* meaningful when fadt_flags has ACPI_FADT_RESET_REG_SUP */
	uint8_t reset_value;
	uint64_t facs_addr; /* X_FIRMWARE_CTRL when set, else FIRMWARE_CTRL */
	uint64_t dsdt_addr;

	uint64_t hpets[ACPI_MAX_HPETS]; /* HPET blocks' bases (system memory) */
	struct acpi_ecam ecams[ACPI_MAX_MCFGS];
	struct acpi_drhd drhds[ACPI_MAX_DRHDS];
	unsigned nr_hpets, nr_ecams, nr_drhds;

	bool has_s5;		    /* a \_S5 package was found in the DSDT or an SSDT */
	uint8_t s5_typ_a, s5_typ_b; /* SLP_TYP values for PM1a_CNT and PM1b_CNT */
	char s5_table[5];	    /* "DSDT" or "SSDT" */

	unsigned nr_errors;	    /* messages kept in errors[] */
	unsigned nr_errors_dropped; /* further messages not kept */
	char errors[ACPI_MAX_ERRORS][ACPI_ERROR_LEN];
};

/*
 * Return a pointer to @len readable bytes at physical address @pa, or NULL when they
 * cannot be read. The parser reads nothing outside what one call returned.
 */
typedef const void *(*acpi_map_fn)(uint64_t pa, size_t len, void *ctx);

/* For the fuzzer only: accept bad checksums, so the mutations reach the table bodies. */
#define ACPI_PARSE_NO_CHECKSUM BIT(0)

/*
 * Parse the tables reachable from the RSDP copy at @rsdp (@rsdp_len bytes, as in the
 * multiboot2 tag). Returns 0 when the RSDP and a root table (XSDT, else RSDT) are
 * valid: then every malformed table further on is one line in out->errors[] and is
 * ignored. Returns -EINVAL when neither root table is usable (errors[] says why).
 * @pre rsdp != NULL || rsdp_len == 0; map != NULL; out != NULL.
 */
int acpi_parse(const void *rsdp, size_t rsdp_len, acpi_map_fn map, void *ctx, unsigned flags,
	       struct acpi_info *out);

/* A host range a guest must never get (fw/acpi_hw.c): [start, end), and what it is. */
struct acpi_mmio {
	uint64_t start, end;
	const char *what; /* "local APIC", "IOAPIC", "HPET", "PCI ECAM", "IOMMU" */
};
#define ACPI_MAX_MMIO (1 + ACPI_MAX_IOAPICS + ACPI_MAX_HPETS + ACPI_MAX_MCFGS + ACPI_MAX_DRHDS)

/*
 * The platform devices' register windows, whole pages, into @out (room for @max):
 * the local APIC page (the MADT's address, else 0xFEE00000), each IOAPIC's page
 * (none listed: 0xFEC00000), each HPET block's page (no HPET table: 0xFED00000), each
 * MCFG ECAM window and each DMAR remapping unit. @a may be NULL (no usable ACPI):
 * the three defaults. Returns how many were written (at most @max).
 */
unsigned acpi_platform_mmio(const struct acpi_info *a, struct acpi_mmio *out, unsigned max);

/*
 * The \_S5 package in one table's AML (the bytes after the 36-byte header), by the
 * pattern compilers emit: NameOp ("\"?) "_S5_" PackageOp PkgLength NumElements, then
 * one or two integers (ZeroOp, OneOp or Byte/Word/DWord/QWordPrefix). 0 and the two
 * sleep types, or -ENOENT when no such pattern is there.
 */
int acpi_find_s5(const uint8_t *aml, size_t len, uint8_t *typ_a, uint8_t *typ_b);

#endif
