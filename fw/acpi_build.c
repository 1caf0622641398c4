/*
 * ACPI tables for a VM's virtual PC (ACPI Specification 6.5, "ACPI Software Programming
 * Model"). Invariants: every table is checked before a byte is written; each table is
 * whole and checksummed, and every pointer is @gpa plus the offset it was placed at.
 * Uses no memory but the caller's buffer. docs/acpi-tables.md says why each field is set.
 */
#include <stdarg.h>

#include "fw/acpi.h"
#include "fw/acpi_build.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"

#define RSDP_REVISION	 2
#define ROOT_REVISION	 1 /* RSDT and XSDT */
#define FADT_REVISION	 6
#define FADT_MINOR	 5 /* ACPI 6.5 */
#define FACS_VERSION	 2
#define DSDT_REVISION	 2 /* 64-bit AML integers */
#define MADT_REVISION	 6
#define OEM_ID_LEN	 6
#define OEM_TABLE_ID	 "KESTREL "
#define OEM_REVISION	 1
#define CREATOR_ID	 0x4c54534bu /* "KSTL" */
#define CREATOR_REVISION 1
#define HYPERVISOR_ID	 "Kestrel" /* and its NUL: 8 bytes */
#define NO_C2_LATENCY	 101	   /* "> 100: C2 is not supported" */
#define NO_C3_LATENCY	 1001	   /* "> 1000: C3 is not supported" */
#define X2APIC_MIN_ID	 255	   /* 0xff is the xAPIC broadcast ID: an x2APIC entry from here */
#define TABLE_ALIGN	 16
#define FACS_ALIGN	 64
#define LOW_4G		 (4 * GiB)
#define PORT_END	 0x10000
#define PTR32		 "the RSDT and the FADT point at them with 32-bit fields"

#define FADT_FLAGS                                                                                 \
	(ACPI_FADT_WBINVD | ACPI_FADT_PROC_C1 | ACPI_FADT_SLP_BUTTON | ACPI_FADT_FIX_RTC |         \
	 ACPI_FADT_RESET_REG_SUP)
#define BOOT_ARCH (ACPI_BOOT_LEGACY_DEVICES | ACPI_BOOT_NO_VGA | ACPI_BOOT_NO_MSI)

/* Name (_S5, Package () { 5, 5, 0, 0 }) at the DSDT's root, as an ASL compiler emits it */
struct s5_aml {
	uint8_t name_op;
	char name[4];
	uint8_t package_op;
	uint8_t pkg_len; /* one byte: it counts itself and what follows, under 64 */
	uint8_t nr_elements;
	struct {
		uint8_t prefix, value;
	} slp_typ[2]; /* for PM1a_CNT and PM1b_CNT */
	uint8_t reserved[2];
} __packed;

static const struct s5_aml dsdt_aml = {
    .name_op = AML_NAME_OP,
    .name = "_S5_",
    .package_op = AML_PACKAGE_OP,
    .pkg_len = sizeof(struct s5_aml) - offsetof(struct s5_aml, pkg_len),
    .nr_elements = 4,
    .slp_typ = {{AML_BYTE_PREFIX, ACPI_BUILD_S5_TYP}, {AML_BYTE_PREFIX, ACPI_BUILD_S5_TYP}},
    .reserved = {AML_ZERO_OP, AML_ZERO_OP},
};
static_assert(sizeof(struct s5_aml) == 14, "\\_S5 AML");

enum { ROOT_FADT, ROOT_MADT, NR_ROOT }; /* the XSDT's and the RSDT's entries */

/* Worst case: every CPU needs an x2APIC entry, and every table start needs padding. */
#define MADT_MAX                                                                                   \
	(sizeof(struct acpi_madt) + ACPI_BUILD_MAX_CPUS * sizeof(struct acpi_madt_x2apic) +        \
	 sizeof(struct acpi_madt_ioapic) + 2 * sizeof(struct acpi_madt_iso) +                      \
	 sizeof(struct acpi_madt_x2apic_nmi))
#define TABLES_MAX                                                                                 \
	(ACPI_RSDP_V2_LEN + ACPI_HEADER_LEN + NR_ROOT * 8 + ACPI_HEADER_LEN + NR_ROOT * 4 +        \
	 ACPI_FADT_V6_LEN + ACPI_FACS_LEN + ACPI_HEADER_LEN + sizeof(dsdt_aml) + MADT_MAX +        \
	 (size_t)7 * FACS_ALIGN)
static_assert(TABLES_MAX <= ACPI_BUILD_MAX, "ACPI_BUILD_MAX holds the largest VM's tables");

/* Offsets into the buffer; the guest sees each at gpa + offset. */
struct layout {
	size_t rsdp, xsdt, rsdt, fadt, facs, dsdt, madt, end;
	uint32_t madt_len;
};

/* ---- checks ---- */

/* @ret, with "ACPI tables: " and the message in @err when there is one. */
__attribute__((format(printf, 4, 5))) static int report(char *err, size_t len, int ret,
							const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!err || !len)
		return ret;
	n = ksnprintf(err, len, "ACPI tables: ");
	if ((size_t)n < len) {
		va_start(ap, fmt);
		kvsnprintf(err + n, len - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return ret;
}

#define fail(err, len, ...) report(err, len, -EINVAL, __VA_ARGS__)

static int check_cpus(const struct acpi_build_cfg *c, char *err, size_t len)
{
	if (!c->nr_cpus || c->nr_cpus > ACPI_BUILD_MAX_CPUS)
		return fail(err, len, "%u CPUs; want 1 to %u", c->nr_cpus, ACPI_BUILD_MAX_CPUS);
	if (!c->apic_ids)
		return fail(err, len, "no APIC IDs for the %u CPUs", c->nr_cpus);
	for (unsigned i = 0; i < c->nr_cpus; i++) {
		if (c->apic_ids[i] == UINT32_MAX)
			return fail(err, len, "CPU %u: APIC ID 0xffffffff is the x2APIC broadcast",
				    i);
		for (unsigned j = 0; j < i; j++)
			if (c->apic_ids[j] == c->apic_ids[i])
				return fail(err, len, "CPUs %u and %u share APIC ID %u", j, i,
					    c->apic_ids[i]);
	}
	return 0;
}

static int check_page(const char *what, uint64_t addr, char *err, size_t len)
{
	if (!addr || addr >= LOW_4G || !IS_ALIGNED(addr, PAGE_SIZE))
		return fail(err, len, "%s address 0x%lx: want a page-aligned address below 4 GiB",
			    what, addr);
	return 0;
}

/* The fixed-hardware blocks and the reset register: inside the port space, disjoint. */
static int check_ports(const struct acpi_build_cfg *c, char *err, size_t len)
{
	const struct {
		const char *name;
		uint32_t port, len;
	} b[] = {
	    {"PM1a_EVT_BLK", c->pm1a_evt, 4},
	    {"PM1a_CNT_BLK", c->pm1a_cnt, 2},
	    {"PM_TMR_BLK", c->pm_tmr, 4},
	    {"RESET_REG", c->reset_port, 1},
	};

	for (unsigned i = 0; i < ARRAY_SIZE(b); i++) {
		if (!b[i].port)
			return fail(err, len, "%s at port 0", b[i].name);
		if (b[i].port + b[i].len > PORT_END)
			return fail(err, len, "%s at port 0x%x: its %u bytes pass port 0xffff",
				    b[i].name, b[i].port, b[i].len);
		for (unsigned j = 0; j < i; j++)
			if (b[i].port < b[j].port + b[j].len && b[j].port < b[i].port + b[i].len)
				return fail(err, len, "%s [0x%x, 0x%x) overlaps %s [0x%x, 0x%x)",
					    b[j].name, b[j].port, b[j].port + b[j].len, b[i].name,
					    b[i].port, b[i].port + b[i].len);
	}
	return 0;
}

static int check_oem(const char *oem, char *err, size_t len)
{
	size_t n = oem ? strnlen(oem, OEM_ID_LEN + 1) : 0;

	if (!oem)
		return fail(err, len, "no OEM ID");
	if (!n || n > OEM_ID_LEN)
		return fail(err, len, "OEM ID \"%.8s\": want 1 to %u characters", oem, OEM_ID_LEN);
	for (size_t i = 0; i < n; i++)
		if (oem[i] < 0x20 || oem[i] > 0x7e)
			return fail(err, len, "OEM ID: character %zu (0x%02x) is not printable", i,
				    (uint8_t)oem[i]);
	return 0;
}

static int check_cfg(const struct acpi_build_cfg *c, char *err, size_t len)
{
	int ret;

	if (!c)
		return fail(err, len, "no configuration");
	ret = check_cpus(c, err, len);
	if (!ret)
		ret = check_page("local APIC", c->lapic_addr, err, len);
	if (!ret)
		ret = check_page("I/O APIC", c->ioapic_addr, err, len);
	if (!ret)
		ret = check_ports(c, err, len);
	if (!ret)
		ret = check_oem(c->oem_id, err, len);
	if (ret)
		return ret;
	if (!c->sci_irq || c->sci_irq == 2 || c->sci_irq > 15)
		return fail(err, len, "SCI on ISA IRQ %u; want 1 to 15 but 2", c->sci_irq);
	if (c->rtc_century && (c->rtc_century < 0x0e || c->rtc_century > 0x7f))
		return fail(err, len, "RTC century at CMOS index 0x%x; want 0x0e to 0x7f, or 0",
			    c->rtc_century);
	return 0;
}

/* ---- layout ---- */

static bool needs_x2apic(uint32_t apic_id)
{
	return apic_id >= X2APIC_MIN_ID;
}

static bool any_x2apic(const struct acpi_build_cfg *c)
{
	for (unsigned i = 0; i < c->nr_cpus; i++)
		if (needs_x2apic(c->apic_ids[i]))
			return true;
	return false;
}

static uint32_t madt_len(const struct acpi_build_cfg *c)
{
	size_t n = sizeof(struct acpi_madt) + sizeof(struct acpi_madt_ioapic) +
		   2 * sizeof(struct acpi_madt_iso);

	for (unsigned i = 0; i < c->nr_cpus; i++)
		n += needs_x2apic(c->apic_ids[i]) ? sizeof(struct acpi_madt_x2apic)
						  : sizeof(struct acpi_madt_lapic);
	n += any_x2apic(c) ? sizeof(struct acpi_madt_x2apic_nmi)
			   : sizeof(struct acpi_madt_lapic_nmi);
	return (uint32_t)n;
}

/* The next @align-aligned guest address at or after the cursor; @len bytes go there. */
static size_t place_at(uint64_t gpa, size_t *off, size_t len, size_t align)
{
	size_t at = (size_t)(ALIGN_UP(gpa + *off, align) - gpa);

	*off = at + len;
	return at;
}

/* @pre gpa < LOW_4G, so nothing here overflows. */
static void layout(const struct acpi_build_cfg *c, uint64_t gpa, struct layout *l)
{
	size_t off = 0;

	l->madt_len = madt_len(c);
	l->rsdp = place_at(gpa, &off, ACPI_RSDP_V2_LEN, TABLE_ALIGN);
	l->xsdt = place_at(gpa, &off, ACPI_HEADER_LEN + NR_ROOT * 8, TABLE_ALIGN);
	l->rsdt = place_at(gpa, &off, ACPI_HEADER_LEN + NR_ROOT * 4, TABLE_ALIGN);
	l->fadt = place_at(gpa, &off, ACPI_FADT_V6_LEN, TABLE_ALIGN);
	l->facs = place_at(gpa, &off, ACPI_FACS_LEN, FACS_ALIGN);
	l->dsdt = place_at(gpa, &off, ACPI_HEADER_LEN + sizeof(dsdt_aml), TABLE_ALIGN);
	l->madt = place_at(gpa, &off, l->madt_len, TABLE_ALIGN);
	l->end = off;
}

static int check(const struct acpi_build_cfg *c, uint64_t gpa, size_t max, struct layout *l,
		 char *err, size_t len)
{
	int ret = check_cfg(c, err, len);

	if (ret)
		return ret;
	if (gpa >= LOW_4G)
		return fail(err, len, "placed at 0x%lx; they must lie below 4 GiB (" PTR32 ")",
			    gpa);
	layout(c, gpa, l);
	if (gpa + l->end > LOW_4G)
		return fail(err, len,
			    "[0x%lx, 0x%lx) crosses 4 GiB; they must lie below (" PTR32 ")", gpa,
			    gpa + l->end);
	if (l->end > max)
		return report(err, len, -ENOSPC, "%zu bytes needed at 0x%lx, %zu available", l->end,
			      gpa, max);
	return 0;
}

int acpi_build_check(const struct acpi_build_cfg *c, uint64_t gpa, size_t max, char *err,
		     size_t errlen)
{
	struct layout l = {0};

	return check(c, gpa, max, &l, err, errlen);
}

/* ---- tables ---- */

static void put_le(uint8_t *p, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* The byte that makes @n bytes (with it still 0) sum to zero. */
static uint8_t checksum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	for (size_t i = 0; i < n; i++)
		s = (uint8_t)(s + p[i]);
	return (uint8_t)-s;
}

static void oem_id(char *dst, const char *oem)
{
	memset(dst, ' ', OEM_ID_LEN);
	memcpy(dst, oem, strnlen(oem, OEM_ID_LEN));
}

/* The header over the body already at @t, and the checksum over both. */
static void seal(uint8_t *t, const char *sig, uint32_t len, uint8_t rev, const char *oem)
{
	struct acpi_header h = {.length = len,
				.revision = rev,
				.oem_revision = OEM_REVISION,
				.creator_id = CREATOR_ID,
				.creator_revision = CREATOR_REVISION};

	memcpy(h.signature, sig, sizeof(h.signature));
	oem_id(h.oem_id, oem);
	memcpy(h.oem_table_id, OEM_TABLE_ID, sizeof(h.oem_table_id));
	memcpy(t, &h, sizeof(h));
	t[offsetof(struct acpi_header, checksum)] = checksum(t, len);
}

static void build_rsdp(uint8_t *p, const struct acpi_build_cfg *c, uint64_t rsdt, uint64_t xsdt)
{
	struct acpi_rsdp r = {.revision = RSDP_REVISION,
			      .rsdt_addr = (uint32_t)rsdt,
			      .length = ACPI_RSDP_V2_LEN,
			      .xsdt_addr = xsdt};

	memcpy(r.signature, ACPI_RSDP_SIG, sizeof(r.signature));
	oem_id(r.oem_id, c->oem_id);
	memcpy(p, &r, sizeof(r));
	p[offsetof(struct acpi_rsdp, checksum)] = checksum(p, ACPI_RSDP_V1_LEN);
	p[offsetof(struct acpi_rsdp, ext_checksum)] = checksum(p, ACPI_RSDP_V2_LEN);
}

static void build_root(uint8_t *t, const char *sig, unsigned esize, const uint64_t *e,
		       const char *oem)
{
	for (unsigned i = 0; i < NR_ROOT; i++)
		put_le(t + ACPI_HEADER_LEN + (size_t)i * esize, e[i], esize);
	seal(t, sig, ACPI_HEADER_LEN + NR_ROOT * esize, ROOT_REVISION, oem);
}

static struct acpi_gas io_gas(uint16_t port, unsigned bytes, uint8_t access)
{
	return (struct acpi_gas){ACPI_GAS_IO, (uint8_t)(8 * bytes), 0, access, port};
}

static void build_fadt(uint8_t *t, const struct acpi_build_cfg *c, uint64_t facs, uint64_t dsdt)
{
	struct acpi_fadt f;
	uint64_t hv_id;

	static_assert(sizeof(HYPERVISOR_ID) == sizeof(hv_id), "hypervisor vendor identity");
	memcpy(&hv_id, HYPERVISOR_ID, sizeof(hv_id));
	memset(&f, 0, sizeof(f));
	/* FIRMWARE_CTRL, not X_FIRMWARE_CTRL: only one may be set, and the FACS is below 4 GiB */
	f.firmware_ctrl = (uint32_t)facs;
	f.dsdt = (uint32_t)dsdt;
	f.x_dsdt = dsdt;
	f.sci_int = c->sci_irq;
	f.pm1a_evt_blk = c->pm1a_evt;
	f.pm1a_cnt_blk = c->pm1a_cnt;
	f.pm_tmr_blk = c->pm_tmr;
	f.pm1_evt_len = 4;
	f.pm1_cnt_len = 2;
	f.pm_tmr_len = 4;
	f.p_lvl2_lat = NO_C2_LATENCY;
	f.p_lvl3_lat = NO_C3_LATENCY;
	f.century = c->rtc_century;
	f.iapc_boot_arch = BOOT_ARCH;
	f.flags = FADT_FLAGS;
	f.reset_reg = io_gas(c->reset_port, 1, ACPI_GAS_BYTE);
	f.reset_value = c->reset_value;
	f.minor_version = FADT_MINOR;
	/* PM1_STS and PM1_EN, PM1_CNT are 16-bit registers; the timer is read whole */
	f.x_pm1a_evt_blk = io_gas(c->pm1a_evt, 4, ACPI_GAS_WORD);
	f.x_pm1a_cnt_blk = io_gas(c->pm1a_cnt, 2, ACPI_GAS_WORD);
	f.x_pm_tmr_blk = io_gas(c->pm_tmr, 4, ACPI_GAS_DWORD);
	f.hypervisor_id = hv_id;
	memcpy(t, &f, sizeof(f));
	seal(t, "FACP", sizeof(f), FADT_REVISION, c->oem_id);
}

static void build_facs(uint8_t *t)
{
	struct acpi_facs f = {.length = ACPI_FACS_LEN, .version = FACS_VERSION};

	memcpy(f.signature, "FACS", sizeof(f.signature));
	memcpy(t, &f, sizeof(f));
}

static void build_dsdt(uint8_t *t, const struct acpi_build_cfg *c)
{
	memcpy(t + ACPI_HEADER_LEN, &dsdt_aml, sizeof(dsdt_aml));
	seal(t, "DSDT", ACPI_HEADER_LEN + sizeof(dsdt_aml), DSDT_REVISION, c->oem_id);
}

static size_t madt_cpu(uint8_t *e, unsigned uid, uint32_t apic_id)
{
	struct acpi_madt_lapic l = {ACPI_MADT_LAPIC, sizeof(l), (uint8_t)uid, (uint8_t)apic_id,
				    ACPI_LAPIC_ENABLED};
	struct acpi_madt_x2apic x = {ACPI_MADT_X2APIC, sizeof(x),	   0,
				     apic_id,	       ACPI_LAPIC_ENABLED, uid};

	if (needs_x2apic(apic_id)) {
		memcpy(e, &x, sizeof(x));
		return sizeof(x);
	}
	memcpy(e, &l, sizeof(l));
	return sizeof(l);
}

/* The IOAPIC, the two overrides and the NMI line, after the CPUs. */
static void madt_platform(uint8_t *e, const struct acpi_build_cfg *c)
{
	struct acpi_madt_ioapic io = {ACPI_MADT_IOAPIC,		sizeof(io), c->ioapic_id, 0,
				      (uint32_t)c->ioapic_addr, 0};
	struct acpi_madt_iso iso[2] = {
	    {ACPI_MADT_ISO, sizeof(iso[0]), 0, 0, 2, 0}, /* conforms to ISA: edge, active high */
	    {ACPI_MADT_ISO, sizeof(iso[0]), 0, c->sci_irq, c->sci_irq,
	     ACPI_MPS_LEVEL | ACPI_MPS_ACTIVE_HIGH},
	};
	/* "Local x2APIC NMI": the one for all processors once any has an x2APIC ID >= 255 */
	struct acpi_madt_x2apic_nmi x2nmi = {ACPI_MADT_X2APIC_NMI,
					     sizeof(x2nmi),
					     ACPI_MPS_EDGE | ACPI_MPS_ACTIVE_HIGH,
					     ACPI_X2APIC_NMI_ALL_CPUS,
					     1,
					     {0}};
	struct acpi_madt_lapic_nmi nmi = {ACPI_MADT_LAPIC_NMI, sizeof(nmi), ACPI_NMI_ALL_CPUS,
					  ACPI_MPS_EDGE | ACPI_MPS_ACTIVE_HIGH, 1};

	memcpy(e, &io, sizeof(io));
	e += sizeof(io);
	memcpy(e, iso, sizeof(iso));
	e += sizeof(iso);
	if (any_x2apic(c))
		memcpy(e, &x2nmi, sizeof(x2nmi));
	else
		memcpy(e, &nmi, sizeof(nmi));
}

static void build_madt(uint8_t *t, const struct acpi_build_cfg *c, uint32_t len)
{
	struct acpi_madt m = {.lapic_addr = (uint32_t)c->lapic_addr,
			      .flags = ACPI_MADT_PCAT_COMPAT};
	size_t off = sizeof(m);

	memcpy(t, &m, sizeof(m));
	for (unsigned i = 0; i < c->nr_cpus; i++)
		off += madt_cpu(t + off, i, c->apic_ids[i]);
	madt_platform(t + off, c);
	seal(t, "APIC", len, MADT_REVISION, c->oem_id);
}

long acpi_build(const struct acpi_build_cfg *c, uint64_t gpa, void *buf, size_t max,
		uint64_t *rsdp_gpa)
{
	uint64_t entries[NR_ROOT];
	uint8_t *p = buf;
	struct layout l = {0};
	int ret = check(c, gpa, max, &l, NULL, 0);

	if (ret)
		return ret;
	if (!buf || !rsdp_gpa)
		return -EINVAL;
	memset(p, 0, l.end);
	entries[ROOT_FADT] = gpa + l.fadt;
	entries[ROOT_MADT] = gpa + l.madt;

	build_fadt(p + l.fadt, c, gpa + l.facs, gpa + l.dsdt);
	build_facs(p + l.facs);
	build_dsdt(p + l.dsdt, c);
	build_madt(p + l.madt, c, l.madt_len);
	build_root(p + l.xsdt, "XSDT", 8, entries, c->oem_id);
	build_root(p + l.rsdt, "RSDT", 4, entries, c->oem_id);
	build_rsdp(p + l.rsdp, c, gpa + l.rsdt, gpa + l.xsdt);
	*rsdp_gpa = gpa + l.rsdp;
	return (long)l.end;
}
