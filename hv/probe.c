/*
 * config=probe: what this machine offers a configuration (CPUs and interrupt
 * controllers from the ACPI MADT, the firmware's memory map, the RAM left for
 * VMs, the ranges never to pass through) and a starter vm= line for it, as
 * Jailhouse's "config create" does. Printed whatever the log level; then the
 * run ends with status 0. Reads only what the boot sequence already parsed.
 */
#include "fw/acpi.h"
#include "hv/hv.h"
#include "lib/console.h"

static const char *fw_type(uint32_t t)
{
	switch (t) {
	case MB2_MMAP_AVAILABLE:
		return "usable RAM";
	case MB2_MMAP_ACPI_RECLAIMABLE:
		return "ACPI tables (reclaimable)";
	case MB2_MMAP_NVS:
		return "ACPI NVS";
	case MB2_MMAP_BADRAM:
		return "bad RAM";
	default:
		return "reserved";
	}
}

static void probe_cpus(const struct acpi_info *acpi, unsigned online)
{
	if (!acpi || !acpi->has_madt) {
		pr_always("probe: CPUs: no ACPI MADT; %u CPU online\n", online);
		return;
	}
	pr_always(
	    "probe: CPUs (ACPI MADT): %u enabled, %u disabled, %u online; local APIC at 0x%lx\n",
	    acpi->nr_cpus, acpi->nr_cpus_disabled, online, acpi->lapic_addr);
	for (unsigned i = 0; i < acpi->nr_cpus; i++)
		pr_always("probe:   cpu %u: APIC ID %u%s%s\n", i, acpi->cpus[i].apic_id,
			  acpi->cpus[i].x2apic ? " (x2APIC entry)" : "", i ? "" : ", boot CPU");
	for (unsigned i = 0; i < acpi->nr_ioapics; i++)
		pr_always("probe:   IOAPIC id %u at 0x%x, GSI base %u\n", acpi->ioapics[i].id,
			  acpi->ioapics[i].addr, acpi->ioapics[i].gsi_base);
}

static void probe_memory(const struct mb2_mmap_entry *fw, unsigned nr, const struct memmap *m,
			 uint64_t free_bytes)
{
	pr_always("probe: firmware memory map (%u entries):\n", nr);
	for (unsigned i = 0; i < nr; i++)
		pr_always("probe:   [0x%09lx..0x%09lx) %s\n", fw[i].base, fw[i].base + fw[i].len,
			  fw_type(fw[i].type));
	pr_always("probe: RAM kestrel manages: %lu MiB, %lu MiB free for VMs\n",
		  m->total_usable / MiB, free_bytes / MiB);
}

/* Half the free RAM, rounded down to 2 MiB (the EPT's large leaf), at least 2 MiB. */
static uint64_t starter_ram(uint64_t free_bytes)
{
	uint64_t ram = ALIGN_DOWN(free_bytes / 2, 2 * MiB);

	return ram < 2 * MiB ? 2 * MiB : ram;
}

void probe_report(const struct mb2_mmap_entry *fw, unsigned nr_fw, const struct memmap *m,
		  const struct acpi_info *acpi, unsigned online, uint64_t free_bytes)
{
	unsigned cpu = online > 1 ? online - 1 : 0;

	probe_cpus(acpi, online);
	probe_memory(fw, nr_fw, m, free_bytes);
	pr_always("probe: do not give a VM the local APIC, IOAPIC or firmware-reserved ranges "
		  "above by passthrough: they are the machine's, not a partition's\n");
	pr_always("probe: a starter VM for this machine (RAM at GPA 0, %s):\n",
		  online > 1 ? "on the last CPU" : "on the only CPU");
	pr_always("probe:   vm=guest,cpus=%u,ram=%luM,image=kernel,cmdline=console=ttyS0\n", cpu,
		  starter_ram(free_bytes) / MiB);
	pr_always("probe: boot it with: tools/run.sh --ram %luM KERNEL (docs/config.md)\n",
		  starter_ram(free_bytes) / MiB);
}
