/*
 * The CPUs of this machine from the ACPI MADT (ACPI Specification, "Multiple APIC
 * Description Table"): the RSDP from the loader's copy (Multiboot2 tags 15/14) or by the
 * spec's search (the EBDA's first KiB, then 0xE0000-0xFFFFF), then the XSDT (revision 2 and
 * up) or the RSDT. Every table is checked (signature, length, checksum) before use. Tables
 * above the identity GiB are mapped with pt_map_identity(). Called by the BSP only.
 */
#include "guests/testguest/smp.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"

#define EBDA_SEG_PTR  0x40E
#define BIOS_AREA     0xE0000
#define BIOS_AREA_END 0x100000
#define SDT_HDR	      36
#define SDT_MAX	      (64 * KiB)
#define MADT_ENTRIES  44 /* header, local APIC address, flags */
#define MADT_LAPIC    0
#define MADT_X2APIC   9
#define MADT_ENABLED  BIT(0)

struct rsdp {
	char sig[8];
	uint8_t csum;
	char oem[6];
	uint8_t rev;
	uint32_t rsdt;
	uint32_t len;
	uint64_t xsdt;
	uint8_t ext_csum, reserved[3];
} __packed;
static_assert(sizeof(struct rsdp) == 36, "ACPI 2.0 RSDP");

struct sdt {
	char sig[4];
	uint32_t len;
	uint8_t rev, csum;
	char oem[6], oem_table[8];
	uint32_t oem_rev, creator, creator_rev;
} __packed;
static_assert(sizeof(struct sdt) == SDT_HDR, "ACPI table header");

static uint8_t sum8(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *b++);
	return s;
}

static bool rsdp_ok(const struct rsdp *r)
{
	if (memcmp(r->sig, "RSD PTR ", 8) || sum8(r, 20))
		return false;
	return r->rev < 2 || (r->len >= sizeof(*r) && !sum8(r, sizeof(*r)));
}

static const struct rsdp *rsdp_scan(uint64_t lo, uint64_t hi)
{
	for (uint64_t a = lo; a + sizeof(struct rsdp) <= hi; a += 16)
		if (rsdp_ok((const struct rsdp *)a))
			return (const struct rsdp *)a;
	return NULL;
}

/* The BIOS data area's EBDA segment (address 0x40E: below any object the compiler knows). */
static uint64_t ebda_base(void)
{
	uint32_t seg;

	__asm__ volatile("movzwl (%1), %0" : "=r"(seg) : "r"((uint64_t)EBDA_SEG_PTR));
	return (uint64_t)seg << 4;
}

static const struct rsdp *rsdp_find(void)
{
	uint64_t ebda = ebda_base();
	const struct rsdp *r = NULL;

	if (boot.rsdp && rsdp_ok(boot.rsdp))
		return boot.rsdp;
	if (ebda >= 0x400 && ebda < BIOS_AREA)
		r = rsdp_scan(ebda, ebda + KiB);
	return r ? r : rsdp_scan(BIOS_AREA, BIOS_AREA_END);
}

/* The table at pa, mapped and checked, or NULL with the reason in err. */
static const struct sdt *sdt_get(uint64_t pa, const char *sig, char *err, size_t errlen)
{
	const struct sdt *t = (const struct sdt *)pa;

	if (!pa || pt_map_identity(ALIGN_DOWN(pa, 2 * MiB), 2 * MiB) ||
	    pt_map_identity(ALIGN_DOWN(pa + SDT_MAX, 2 * MiB), 2 * MiB)) {
		ksnprintf(err, errlen, "%s at 0x%llx: cannot map it", sig, (unsigned long long)pa);
		return NULL;
	}
	if (memcmp(t->sig, sig, 4) || t->len < SDT_HDR || t->len > SDT_MAX || sum8(t, t->len)) {
		ksnprintf(err, errlen, "%s at 0x%llx: bad signature, length or checksum", sig,
			  (unsigned long long)pa);
		return NULL;
	}
	return t;
}

static const struct sdt *madt_find(char *err, size_t errlen)
{
	const struct rsdp *r = rsdp_find();
	bool x = r && r->rev >= 2 && r->xsdt;
	const struct sdt *root;
	unsigned width = x ? 8 : 4;

	if (!r) {
		ksnprintf(err, errlen, "no ACPI RSDP (loader tag, EBDA or 0xe0000-0xfffff)");
		return NULL;
	}
	root = sdt_get(x ? r->xsdt : r->rsdt, x ? "XSDT" : "RSDT", err, errlen);
	if (!root)
		return NULL;
	for (uint32_t off = SDT_HDR; off + width <= root->len; off += width) {
		const uint8_t *e = (const uint8_t *)root + off;
		uint64_t pa = x ? *(const uint64_t *)e : *(const uint32_t *)e;
		char dummy[8];

		if (sdt_get(pa, "APIC", dummy, sizeof(dummy)))
			return (const struct sdt *)pa;
	}
	ksnprintf(err, errlen, "the %s lists no valid MADT", x ? "XSDT" : "RSDT");
	return NULL;
}

int madt_cpus(uint32_t ids[], unsigned max, unsigned *n, char *err, size_t errlen)
{
	const struct sdt *m = madt_find(err, errlen);
	const uint8_t *p = (const uint8_t *)m;

	*n = 0;
	if (!m)
		return -ENOENT;
	for (uint32_t off = MADT_ENTRIES; off + 2 <= m->len;) {
		uint8_t type = p[off], len = p[off + 1];
		uint32_t id, flags;

		if (len < 2 || off + len > m->len) {
			ksnprintf(err, errlen, "MADT entry at offset %u: bad length %u", off, len);
			return -EINVAL;
		}
		if ((type == MADT_LAPIC && len >= 8) || (type == MADT_X2APIC && len >= 16)) {
			id = type == MADT_LAPIC ? p[off + 3] : *(const uint32_t *)(p + off + 4);
			flags = *(const uint32_t *)(p + off + (type == MADT_LAPIC ? 4 : 8));
			if (flags & MADT_ENABLED) {
				if (*n == max) {
					ksnprintf(err, errlen, "MADT: more than %u enabled CPUs",
						  max);
					return -E2BIG;
				}
				ids[(*n)++] = id;
			}
		}
		off += len;
	}
	if (!*n) {
		ksnprintf(err, errlen, "MADT: no enabled CPU");
		return -ENOENT;
	}
	return 0;
}
