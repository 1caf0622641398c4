/*
 * ACPI tables the hypervisor needs: RSDP -> RSDT/XSDT -> MADT (CPUs, IOAPICs) and FADT
 * (PM1 control blocks, PM timer, \_S5 sleep type from the DSDT/SSDT AML). Every byte is
 * read through the caller's map callback. Called once by boot/main.c; host-built for tests.
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
	ACPI_MADT_LAPIC_OVERRIDE = 5,
	ACPI_MADT_X2APIC = 9,
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

/* "Fixed ACPI Description Table (FADT)", up to the ACPI 2.0 fields we read. */
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
} __packed;
#define ACPI_FADT_V1_LEN      116     /* ACPI 1.0: up to and including flags */
#define ACPI_FADT_TMR_VAL_EXT BIT(8)  /* the PM timer counts 32 bits, not 24 */
#define ACPI_FADT_HW_REDUCED  BIT(20) /* no fixed hardware: no PM1 blocks, no PM timer */

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
static_assert(sizeof(struct acpi_fadt) == 244, "FADT up to X_GPE1_BLK");

/* ---- parsed form ---- */

#define ACPI_MAX_CPUS	 64
#define ACPI_MAX_IOAPICS 8
#define ACPI_MAX_SSDTS	 8
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

	bool has_fadt;
	uint32_t fadt_flags;
	uint16_t pm1a_cnt, pm1b_cnt; /* PM1 control blocks (X_ fields win when set) */
	uint16_t pm_tmr;	     /* PM timer port, 3.579545 MHz */
	uint8_t pm_tmr_bits;	     /* 24 or 32 */
	uint64_t dsdt_addr;

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

/*
 * The \_S5 package in one table's AML (the bytes after the 36-byte header), by the
 * pattern compilers emit: NameOp ("\"?) "_S5_" PackageOp PkgLength NumElements, then
 * one or two integers (ZeroOp, OneOp or Byte/Word/DWord/QWordPrefix). 0 and the two
 * sleep types, or -ENOENT when no such pattern is there.
 */
int acpi_find_s5(const uint8_t *aml, size_t len, uint8_t *typ_a, uint8_t *typ_b);

#endif
