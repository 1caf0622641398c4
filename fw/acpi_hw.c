/*
 * The host's platform devices from ACPI: HPET blocks, PCI ECAM windows (MCFG) and VT-d
 * remapping units (DMAR), and the list of register windows no guest may be given.
 * Invariants: same as fw/acpi.c (bodies read only after the header passed, inside one
 * map call); an entry that cannot be used is one error line and is left out.
 */
#include "fw/acpi_priv.h"
#include "lib/string.h"

/* ---- HPET ---- */

void acpi_parse_hpet(struct acpi_ctx *c, uint64_t pa)
{
	struct acpi_info *out = c->out;
	struct acpi_hpet h;
	const uint8_t *t;
	uint32_t len;

	t = acpi_table_get(c, pa, "HPET", sizeof(h), &len);
	if (!t)
		return;
	memcpy(&h, t, sizeof(h));
	if (h.base.space_id != ACPI_GAS_MEMORY || !h.base.address) {
		acpi_error(c, "HPET at 0x%lx: base 0x%lx in address space %u, want system memory",
			   pa, h.base.address, h.base.space_id);
		return;
	}
	if (out->nr_hpets == ACPI_MAX_HPETS) {
		acpi_error(c, "more than %u HPET tables; the one at 0x%lx is ignored",
			   ACPI_MAX_HPETS, pa);
		return;
	}
	out->hpets[out->nr_hpets++] = h.base.address;
}

/* ---- MCFG ---- */

static void mcfg_entry(struct acpi_ctx *c, unsigned i, const struct acpi_mcfg_entry *e)
{
	struct acpi_info *out = c->out;
	uint64_t span = ((uint64_t)e->end_bus + 1) << ACPI_ECAM_BUS_SHIFT;

	if (e->end_bus < e->start_bus || e->base > UINT64_MAX - span) {
		acpi_error(c, "MCFG entry %u: base 0x%lx buses %u..%u is no window; ignored", i,
			   e->base, e->start_bus, e->end_bus);
		return;
	}
	if (out->nr_ecams == ACPI_MAX_MCFGS) {
		acpi_error(c, "MCFG: more than %u entries; entry %u ignored", ACPI_MAX_MCFGS, i);
		return;
	}
	out->ecams[out->nr_ecams++] =
	    (struct acpi_ecam){e->base, e->segment, e->start_bus, e->end_bus};
}

void acpi_parse_mcfg(struct acpi_ctx *c, uint64_t pa)
{
	struct acpi_mcfg_entry e;
	const uint8_t *t;
	uint32_t len, n;

	t = acpi_table_get(c, pa, "MCFG", sizeof(struct acpi_mcfg), &len);
	if (!t)
		return;
	n = (len - (uint32_t)sizeof(struct acpi_mcfg)) / (uint32_t)sizeof(e);
	if ((len - sizeof(struct acpi_mcfg)) % sizeof(e))
		acpi_error(c, "MCFG: length %u is not a whole number of 16-byte entries", len);
	for (uint32_t i = 0; i < n; i++) {
		memcpy(&e, t + sizeof(struct acpi_mcfg) + (size_t)i * sizeof(e), sizeof(e));
		mcfg_entry(c, i, &e);
	}
}

/* ---- DMAR ---- */

static void dmar_drhd(struct acpi_ctx *c, uint32_t off, const uint8_t *p)
{
	struct acpi_info *out = c->out;
	struct acpi_dmar_drhd d;
	uint64_t size;

	memcpy(&d, p, sizeof(d));
	size = PAGE_SIZE << (d.size & ACPI_DRHD_SIZE_PAGES);
	if (!d.reg_base || d.reg_base > UINT64_MAX - size) {
		acpi_error(c, "DMAR: DRHD at +%u: register base 0x%lx; ignored", off, d.reg_base);
		return;
	}
	if (out->nr_drhds == ACPI_MAX_DRHDS) {
		acpi_error(c, "DMAR: more than %u DRHDs; the one at 0x%lx is ignored",
			   ACPI_MAX_DRHDS, d.reg_base);
		return;
	}
	out->drhds[out->nr_drhds++] = (struct acpi_drhd){d.reg_base, size, d.segment, d.flags};
}

/* Walk the type/length remapping structures; a length that cannot be followed ends it. */
void acpi_parse_dmar(struct acpi_ctx *c, uint64_t pa)
{
	const uint8_t *t;
	uint32_t len;

	t = acpi_table_get(c, pa, "DMAR", sizeof(struct acpi_dmar), &len);
	if (!t)
		return;
	for (uint32_t off = sizeof(struct acpi_dmar); off < len;) {
		uint16_t type = 0, elen = 0;

		if (len - off >= 4) {
			memcpy(&type, t + off, 2);
			memcpy(&elen, t + off + 2, 2);
		}
		if (elen < 4 || elen > len - off) {
			acpi_error(c, "DMAR: structure at +%u (type %u): length %u does not fit",
				   off, type, elen);
			return;
		}
		if (type == ACPI_DMAR_DRHD && elen < sizeof(struct acpi_dmar_drhd))
			acpi_error(c, "DMAR: DRHD at +%u: length %u, want %zu; ignored", off, elen,
				   sizeof(struct acpi_dmar_drhd));
		else if (type == ACPI_DMAR_DRHD)
			dmar_drhd(c, off, t + off);
		off += elen;
	}
}

/* ---- what no guest may be given ---- */

#define IOAPIC_WINDOW 0x44  /* IOREGSEL, IOWIN and (version 0x20 on) the EOI register */
#define HPET_WINDOW   0x400 /* the HPET specification's 1 KiB register block */

struct mmio_list {
	struct acpi_mmio *out;
	unsigned n, max;
};

/* [start, start + size) widened to whole pages, clipped at the top of the address space. */
static void add(struct mmio_list *l, uint64_t start, uint64_t size, const char *what)
{
	uint64_t end = start + size;

	if (l->n == l->max)
		return;
	l->out[l->n++] =
	    (struct acpi_mmio){ALIGN_DOWN(start, PAGE_SIZE),
			       end > UINT64_MAX - PAGE_SIZE ? ALIGN_DOWN(UINT64_MAX, PAGE_SIZE)
							    : ALIGN_UP(end, PAGE_SIZE),
			       what};
}

unsigned acpi_platform_mmio(const struct acpi_info *a, struct acpi_mmio *out, unsigned max)
{
	struct mmio_list l = {out, 0, max};
	bool madt = a && a->has_madt;

	add(&l, madt && a->lapic_addr ? a->lapic_addr : 0xfee00000, PAGE_SIZE, "local APIC");
	for (unsigned i = 0; madt && i < a->nr_ioapics; i++)
		add(&l, a->ioapics[i].addr, IOAPIC_WINDOW, "IOAPIC");
	if (!madt || !a->nr_ioapics)
		add(&l, 0xfec00000, PAGE_SIZE, "IOAPIC");
	for (unsigned i = 0; a && i < a->nr_hpets; i++)
		add(&l, a->hpets[i], HPET_WINDOW, "HPET");
	if (!a || !a->nr_hpets)
		add(&l, ACPI_HPET_DEFAULT, PAGE_SIZE, "HPET");
	for (unsigned i = 0; a && i < a->nr_ecams; i++) {
		const struct acpi_ecam *e = &a->ecams[i];

		add(&l, e->base + ((uint64_t)e->start_bus << ACPI_ECAM_BUS_SHIFT),
		    (uint64_t)(e->end_bus - e->start_bus + 1) << ACPI_ECAM_BUS_SHIFT, "PCI ECAM");
	}
	for (unsigned i = 0; a && i < a->nr_drhds; i++)
		add(&l, a->drhds[i].base, a->drhds[i].size, "IOMMU");
	return l.n;
}
