/*
 * ACPI table parser. Invariants: a table body is used only after its header passed
 * (signature, length, checksum); nothing is read outside what one map call returned;
 * copies go through memcpy, so tables need no alignment. Uses no memory but *out.
 */
#include <stdarg.h>

#include "fw/acpi_priv.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"

void acpi_error(struct acpi_ctx *c, const char *fmt, ...)
{
	struct acpi_info *out = c->out;
	va_list ap;

	if (out->nr_errors >= ACPI_MAX_ERRORS) {
		out->nr_errors_dropped++;
		return;
	}
	va_start(ap, fmt);
	kvsnprintf(out->errors[out->nr_errors++], ACPI_ERROR_LEN, fmt, ap);
	va_end(ap);
}

/* @n bytes of a signature or OEM ID, printable, NUL-terminated in @buf (n + 1 bytes). */
static const char *printable(const char *s, size_t n, char *buf)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	buf[n] = '\0';
	return buf;
}

static bool checksum_ok(const struct acpi_ctx *c, const uint8_t *p, size_t n, uint8_t *sum)
{
	uint8_t s = 0;

	for (size_t i = 0; i < n; i++)
		s = (uint8_t)(s + p[i]);
	*sum = s;
	return s == 0 || (c->flags & ACPI_PARSE_NO_CHECKSUM);
}

const uint8_t *acpi_table_get(struct acpi_ctx *c, uint64_t pa, const char *sig, uint32_t min_len,
			      uint32_t *len)
{
	const uint8_t *p = c->map(pa, ACPI_HEADER_LEN, c->arg);
	struct acpi_header h;
	char got[5];
	uint8_t sum;

	if (!p) {
		acpi_error(c, "%s at 0x%lx: header cannot be read", sig, pa);
		return NULL;
	}
	memcpy(&h, p, sizeof(h));
	if (memcmp(h.signature, sig, 4) != 0) {
		acpi_error(c, "table at 0x%lx: signature \"%s\", want \"%s\"", pa,
			   printable(h.signature, 4, got), sig);
		return NULL;
	}
	if (h.length < min_len || h.length > ACPI_TABLE_MAX) {
		acpi_error(c, "%s at 0x%lx: length %u, want %u..%lu", sig, pa, h.length, min_len,
			   ACPI_TABLE_MAX);
		return NULL;
	}
	p = c->map(pa, h.length, c->arg);
	if (!p) {
		acpi_error(c, "%s at 0x%lx: its %u bytes cannot be read", sig, pa, h.length);
		return NULL;
	}
	if (!checksum_ok(c, p, h.length, &sum)) {
		acpi_error(c, "%s at 0x%lx: bad checksum (bytes sum to 0x%02x)", sig, pa, sum);
		return NULL;
	}
	*len = h.length;
	return p;
}

/* ---- MADT ---- */

static void add_cpu(struct acpi_ctx *c, uint32_t apic_id, uint32_t uid, uint32_t flags, bool x2apic)
{
	struct acpi_info *out = c->out;

	if (!(flags & ACPI_LAPIC_ENABLED)) {
		out->nr_cpus_disabled++;
		return;
	}
	for (unsigned i = 0; i < out->nr_cpus; i++) {
		if (out->cpus[i].apic_id == apic_id) {
			acpi_error(c, "MADT: APIC ID %u listed twice; the second entry is ignored",
				   apic_id);
			out->nr_cpus_dropped++;
			return;
		}
	}
	if (out->nr_cpus == ACPI_MAX_CPUS) {
		if (!out->nr_cpus_dropped++)
			acpi_error(c, "MADT: more than %u enabled CPUs; the rest are ignored",
				   ACPI_MAX_CPUS);
		return;
	}
	out->cpus[out->nr_cpus++] = (struct acpi_cpu){apic_id, uid, x2apic};
}

static void madt_lapic(struct acpi_ctx *c, const uint8_t *e)
{
	struct acpi_madt_lapic l;

	memcpy(&l, e, sizeof(l));
	add_cpu(c, l.apic_id, l.uid, l.flags, false);
}

static void madt_x2apic(struct acpi_ctx *c, const uint8_t *e)
{
	struct acpi_madt_x2apic x;

	memcpy(&x, e, sizeof(x));
	add_cpu(c, x.x2apic_id, x.uid, x.flags, true);
}

static void madt_ioapic(struct acpi_ctx *c, const uint8_t *e)
{
	struct acpi_info *out = c->out;
	struct acpi_madt_ioapic io;

	memcpy(&io, e, sizeof(io));
	if (out->nr_ioapics == ACPI_MAX_IOAPICS) {
		acpi_error(c, "MADT: more than %u I/O APICs; ID %u ignored", ACPI_MAX_IOAPICS,
			   io.id);
		return;
	}
	out->ioapics[out->nr_ioapics++] = (struct acpi_ioapic){io.id, io.addr, io.gsi_base};
}

static void madt_iso(struct acpi_ctx *c, const uint8_t *e)
{
	struct acpi_info *out = c->out;
	struct acpi_madt_iso o;

	memcpy(&o, e, sizeof(o));
	if (out->nr_isos == ACPI_MAX_ISOS) {
		acpi_error(c, "MADT: more than %u interrupt source overrides; IRQ %u ignored",
			   ACPI_MAX_ISOS, o.source);
		return;
	}
	out->isos[out->nr_isos++] = (struct acpi_iso){o.bus, o.source, o.gsi, o.flags};
}

static void add_nmi(struct acpi_ctx *c, struct acpi_nmi n)
{
	struct acpi_info *out = c->out;

	if (out->nr_nmis == ACPI_MAX_NMIS)
		out->nr_nmis_dropped++;
	else
		out->nmis[out->nr_nmis++] = n;
}

static void madt_lapic_nmi(struct acpi_ctx *c, const uint8_t *e)
{
	struct acpi_madt_lapic_nmi n;

	memcpy(&n, e, sizeof(n));
	add_nmi(c, (struct acpi_nmi){n.uid, n.flags, n.lint, false});
}

static void madt_x2apic_nmi(struct acpi_ctx *c, const uint8_t *e)
{
	struct acpi_madt_x2apic_nmi n;

	memcpy(&n, e, sizeof(n));
	add_nmi(c, (struct acpi_nmi){n.uid, n.flags, n.lint, true});
}

static void madt_override(struct acpi_ctx *c, const uint8_t *e)
{
	struct acpi_madt_lapic_override o;

	memcpy(&o, e, sizeof(o));
	c->out->lapic_addr = o.addr;
}

typedef void (*madt_entry_fn)(struct acpi_ctx *c, const uint8_t *e);

static const struct madt_desc {
	uint8_t size;
	madt_entry_fn parse;
} madt_entries[] = {
    [ACPI_MADT_LAPIC] = {sizeof(struct acpi_madt_lapic), madt_lapic},
    [ACPI_MADT_IOAPIC] = {sizeof(struct acpi_madt_ioapic), madt_ioapic},
    [ACPI_MADT_ISO] = {sizeof(struct acpi_madt_iso), madt_iso},
    [ACPI_MADT_LAPIC_NMI] = {sizeof(struct acpi_madt_lapic_nmi), madt_lapic_nmi},
    [ACPI_MADT_LAPIC_OVERRIDE] = {sizeof(struct acpi_madt_lapic_override), madt_override},
    [ACPI_MADT_X2APIC] = {sizeof(struct acpi_madt_x2apic), madt_x2apic},
    [ACPI_MADT_X2APIC_NMI] = {sizeof(struct acpi_madt_x2apic_nmi), madt_x2apic_nmi},
};

/* Walk the type/length entries; a length that cannot be followed ends the walk. */
static void madt_walk(struct acpi_ctx *c, const uint8_t *t, uint32_t len)
{
	for (uint32_t off = sizeof(struct acpi_madt); off < len;) {
		uint8_t type = t[off], elen = len - off >= 2 ? t[off + 1] : 0;
		const struct madt_desc *d =
		    type < ARRAY_SIZE(madt_entries) ? &madt_entries[type] : NULL;

		if (elen < 2 || elen > len - off) {
			acpi_error(c,
				   "MADT: entry at +%u (type %u): length %u does not fit the table",
				   off, type, elen);
			return;
		}
		if (d && d->parse && elen < d->size)
			acpi_error(c, "MADT: entry at +%u (type %u): length %u, want %u; ignored",
				   off, type, elen, d->size);
		else if (d && d->parse)
			d->parse(c, t + off);
		off += elen;
	}
}

static void parse_madt(struct acpi_ctx *c, uint64_t pa)
{
	struct acpi_madt m;
	const uint8_t *t;
	uint32_t len;

	if (c->out->has_madt) {
		acpi_error(c, "second MADT at 0x%lx ignored", pa);
		return;
	}
	t = acpi_table_get(c, pa, "APIC", sizeof(m), &len);
	if (!t)
		return;
	memcpy(&m, t, sizeof(m));
	c->out->has_madt = true;
	c->out->lapic_addr = m.lapic_addr;
	c->out->madt_flags = m.flags;
	madt_walk(c, t, len);
}

/* ---- FADT ---- */

/* The X_ field when set (system I/O only: the callers use port I/O), else the 32-bit one. */
static uint16_t fadt_port(struct acpi_ctx *c, const char *name, uint32_t legacy, struct acpi_gas x)
{
	if (x.address) {
		if (x.space_id == ACPI_GAS_IO && x.address <= 0xffff)
			return (uint16_t)x.address;
		acpi_error(c, "FADT: X_%s 0x%lx in address space %u is not an I/O port; using %s",
			   name, x.address, x.space_id, name);
	}
	if (legacy > 0xffff) {
		acpi_error(c, "FADT: %s 0x%x is not an I/O port", name, legacy);
		return 0;
	}
	return (uint16_t)legacy;
}

static void parse_fadt(struct acpi_ctx *c, uint64_t pa)
{
	struct acpi_info *out = c->out;
	struct acpi_fadt f;
	const uint8_t *t;
	uint32_t len;

	if (out->has_fadt) {
		acpi_error(c, "second FADT at 0x%lx ignored", pa);
		return;
	}
	t = acpi_table_get(c, pa, "FACP", ACPI_FADT_V1_LEN, &len);
	if (!t)
		return;
	/* Fields past the table's length are absent: they read as zero. */
	memset(&f, 0, sizeof(f));
	memcpy(&f, t, MIN(len, (uint32_t)sizeof(f)));
	out->has_fadt = true;
	out->fadt_revision = f.hdr.revision;
	out->fadt_len = len;
	out->fadt_flags = f.flags;
	out->sci_int = f.sci_int;
	/* ACPI "System Management Mode": SMI_CMD is a system I/O port, 0 when ACPI-only. */
	out->smi_cmd = f.smi_cmd <= 0xffff ? (uint16_t)f.smi_cmd : 0;
	if (f.smi_cmd > 0xffff)
		acpi_error(c, "FADT: SMI_CMD 0x%x is not an I/O port", f.smi_cmd);
	out->acpi_enable = out->smi_cmd ? f.acpi_enable : 0;
	out->pm1_evt_len = f.pm1_evt_len;
	out->pm1_cnt_len = f.pm1_cnt_len;
	out->pm_tmr_len = f.pm_tmr_len;
	out->iapc_boot_arch = f.iapc_boot_arch;
	out->century = f.century;
	out->reset_reg = f.reset_reg;
	out->reset_value = f.reset_value;
	out->facs_addr = f.x_firmware_ctrl ? f.x_firmware_ctrl : f.firmware_ctrl;
	out->dsdt_addr = f.x_dsdt ? f.x_dsdt : f.dsdt;
	out->pm1a_evt = fadt_port(c, "PM1a_EVT_BLK", f.pm1a_evt_blk, f.x_pm1a_evt_blk);
	out->pm1b_evt = fadt_port(c, "PM1b_EVT_BLK", f.pm1b_evt_blk, f.x_pm1b_evt_blk);
	out->pm1a_cnt = fadt_port(c, "PM1a_CNT_BLK", f.pm1a_cnt_blk, f.x_pm1a_cnt_blk);
	out->pm1b_cnt = fadt_port(c, "PM1b_CNT_BLK", f.pm1b_cnt_blk, f.x_pm1b_cnt_blk);
	out->pm_tmr = fadt_port(c, "PM_TMR_BLK", f.pm_tmr_blk, f.x_pm_tmr_blk);
	out->pm_tmr_bits = f.flags & ACPI_FADT_TMR_VAL_EXT ? 32 : 24;
}

static void note_ssdt(struct acpi_ctx *c, uint64_t pa)
{
	if (c->nr_ssdts < ACPI_MAX_SSDTS)
		c->ssdts[c->nr_ssdts++] = pa;
}

/* ---- \_S5 (fw/acpi_aml.c scans the AML) ---- */

static bool scan_s5(struct acpi_ctx *c, uint64_t pa, const char *sig)
{
	struct acpi_info *out = c->out;
	const uint8_t *t;
	uint32_t len;

	t = acpi_table_get(c, pa, sig, ACPI_HEADER_LEN, &len);
	if (!t || acpi_find_s5(t + ACPI_HEADER_LEN, len - ACPI_HEADER_LEN, &out->s5_typ_a,
			       &out->s5_typ_b))
		return false;
	out->has_s5 = true;
	memcpy(out->s5_table, sig, 5);
	return true;
}

static void find_s5(struct acpi_ctx *c)
{
	if (c->out->dsdt_addr && scan_s5(c, c->out->dsdt_addr, "DSDT"))
		return;
	for (unsigned i = 0; i < c->nr_ssdts; i++)
		if (scan_s5(c, c->ssdts[i], "SSDT"))
			return;
}

/* ---- RSDP and the root table ---- */

static const struct {
	char sig[5];
	void (*visit)(struct acpi_ctx *c, uint64_t pa);
} acpi_tables[] = {
    {"APIC", parse_madt},      {"FACP", parse_fadt},	  {"SSDT", note_ssdt},
    {"HPET", acpi_parse_hpet}, {"MCFG", acpi_parse_mcfg}, {"DMAR", acpi_parse_dmar},
};

static void visit_table(struct acpi_ctx *c, uint64_t pa, unsigned index)
{
	const uint8_t *p = pa ? c->map(pa, ACPI_HEADER_LEN, c->arg) : NULL;
	char sig[4];

	if (!p) {
		acpi_error(c, "%s entry %u: table at 0x%lx cannot be read",
			   c->out->xsdt ? "XSDT" : "RSDT", index, pa);
		return;
	}
	memcpy(sig, p, sizeof(sig));
	for (unsigned i = 0; i < ARRAY_SIZE(acpi_tables); i++)
		if (memcmp(sig, acpi_tables[i].sig, 4) == 0)
			acpi_tables[i].visit(c, pa);
}

static int parse_root(struct acpi_ctx *c, uint64_t pa, bool xsdt)
{
	const char *sig = xsdt ? "XSDT" : "RSDT";
	unsigned esize = xsdt ? 8 : 4, n;
	const uint8_t *t;
	uint32_t len;

	t = acpi_table_get(c, pa, sig, ACPI_HEADER_LEN, &len);
	if (!t)
		return -EINVAL;
	n = (len - ACPI_HEADER_LEN) / esize;
	if ((len - ACPI_HEADER_LEN) % esize)
		acpi_error(c, "%s: length %u is not a whole number of %u-byte entries", sig, len,
			   esize);
	if (n > ACPI_MAX_ENTRIES) {
		acpi_error(c, "%s: %u entries; only the first %u are read", sig, n,
			   ACPI_MAX_ENTRIES);
		n = ACPI_MAX_ENTRIES;
	}
	c->out->xsdt = xsdt;
	c->out->root_addr = pa;
	c->out->nr_tables = n;
	for (unsigned i = 0; i < n; i++) {
		uint64_t e = 0;

		memcpy(&e, t + ACPI_HEADER_LEN + (size_t)i * esize, esize);
		visit_table(c, e, i);
	}
	return 0;
}

/* Copy and check the RSDP; an unusable ACPI 2.0 part only loses the XSDT. */
static int check_rsdp(struct acpi_ctx *c, const uint8_t *p, size_t n, struct acpi_rsdp *r)
{
	uint8_t sum;

	memset(r, 0, sizeof(*r));
	if (n < ACPI_RSDP_V1_LEN) {
		acpi_error(c, "RSDP: %zu bytes, want at least %u", n, ACPI_RSDP_V1_LEN);
		return -EINVAL;
	}
	memcpy(r, p, MIN(n, sizeof(*r)));
	if (memcmp(r->signature, ACPI_RSDP_SIG, 8) != 0) {
		acpi_error(c, "RSDP: bad signature");
		return -EINVAL;
	}
	if (!checksum_ok(c, p, ACPI_RSDP_V1_LEN, &sum)) {
		acpi_error(c, "RSDP: bad checksum (first 20 bytes sum to 0x%02x)", sum);
		return -EINVAL;
	}
	if (r->revision < 2)
		return 0;
	if (n < ACPI_RSDP_V2_LEN || r->length < ACPI_RSDP_V2_LEN || r->length > n)
		acpi_error(c, "RSDP: revision %u but length %u (copy of %zu bytes); using the RSDT",
			   r->revision, r->length, n);
	else if (!checksum_ok(c, p, r->length, &sum))
		acpi_error(c, "RSDP: bad extended checksum (sum 0x%02x); using the RSDT", sum);
	else
		return 0;
	r->xsdt_addr = 0;
	return 0;
}

int acpi_parse(const void *rsdp, size_t rsdp_len, acpi_map_fn map, void *ctx, unsigned flags,
	       struct acpi_info *out)
{
	struct acpi_ctx c = {.map = map, .arg = ctx, .flags = flags, .out = out};
	struct acpi_rsdp r;

	memset(out, 0, sizeof(*out));
	if (check_rsdp(&c, rsdp, rsdp_len, &r))
		return -EINVAL;
	out->revision = r.revision;
	printable(r.oem_id, sizeof(r.oem_id), out->oem_id);
	if (!r.xsdt_addr || parse_root(&c, r.xsdt_addr, true)) {
		if (r.xsdt_addr && r.rsdt_addr)
			acpi_error(&c, "falling back to the RSDT at 0x%x", r.rsdt_addr);
		if (!r.rsdt_addr || parse_root(&c, r.rsdt_addr, false)) {
			acpi_error(&c, "no usable RSDT or XSDT: ACPI tables ignored");
			return -EINVAL;
		}
	}
	find_s5(&c);
	return 0;
}
