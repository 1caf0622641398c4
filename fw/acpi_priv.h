/*
 * Shared by fw/acpi.c and fw/acpi_hw.c only: the parser's state and the two steps every
 * table parser uses (an error line, a header-checked table). Not for other callers.
 */
#ifndef FW_ACPI_PRIV_H
#define FW_ACPI_PRIV_H

#include "fw/acpi.h"

struct acpi_ctx {
	acpi_map_fn map;
	void *arg;
	unsigned flags;
	struct acpi_info *out;
	uint64_t ssdts[ACPI_MAX_SSDTS]; /* searched for \_S5 when the DSDT has none */
	unsigned nr_ssdts;
};

/* One line in out->errors[], or counted as dropped when they are full. */
__attribute__((format(printf, 2, 3))) void acpi_error(struct acpi_ctx *c, const char *fmt, ...);

/*
 * Map the whole table at @pa after checking its header: signature @sig, length in
 * [@min_len, ACPI_TABLE_MAX], checksum. NULL, with one error line, otherwise.
 */
const uint8_t *acpi_table_get(struct acpi_ctx *c, uint64_t pa, const char *sig, uint32_t min_len,
			      uint32_t *len);

/* fw/acpi_hw.c: the root table's visitors for "HPET", "MCFG" and "DMAR". */
void acpi_parse_hpet(struct acpi_ctx *c, uint64_t pa);
void acpi_parse_mcfg(struct acpi_ctx *c, uint64_t pa);
void acpi_parse_dmar(struct acpi_ctx *c, uint64_t pa);

#endif
