/*
 * guest_main(): the test guest's boot sequence and scenario runner. Runs the scenarios
 * named by "test=NAME[,NAME...]" on the command line (default "hello") and prints one
 * "TEST <name> PASS|FAIL <detail>" line each, then "ALL PASS" or "FAILED <n>" and exits.
 */
#include "guests/testguest/guest.h"
#include "lib/printf.h"
#include "lib/string.h"

#define DEFAULT_TESTS  "hello"
#define MAX_NAME       32
#define MAX_INFO_LINES 40 /* failure lines printed per scenario beyond the first */

extern uint32_t boot_mbi_in_bss;
void guest_main(void);
__noreturn void t_abort(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void t_ckpt(void), t_ckpt_bench(void); /* t_ckpt.c */

const struct scenario scenarios[] = {
    {"hello", t_hello, true},
    {"cpuid", t_cpuid, true},
    {"hypercall", t_hypercall, true},
    {"msr", t_msr, true},
    {"vmxon", t_vmxon, true},
    {"stats", t_stats, false},
    {"rom", t_rom, true},
    {"shared", t_shared, true},
    {"passthrough", t_passthrough, true},
    {"mmio_uart", t_mmio_uart, true},
    {"mmio", t_mmio, true},
    {"mmio_extra", t_mmio_extra, true},
    {"mmio_selftest", t_mmio_selftest, false},
    {"bench", t_bench, false},
    {"oob_read", t_oob_read, false},
    {"oob_write", t_oob_write, false},
    {"oob_exec", t_oob_exec, false},
    {"nx_exec", t_nx_exec, false},
    {"pt_in_mmio", t_pt_in_mmio, false},
    {"fetch_remap", t_fetch_remap, false},
    {"rom_write", t_rom_write, false},
    {"triple_fault", t_triple_fault, false},
    {"ring_selftest", t_ring_selftest, false},
    {"ring_producer", t_ring_producer, false},
    {"ring_consumer", t_ring_consumer, false},
    {"heartbeat", t_heartbeat, false},
    {"spin", t_spin, false},
    {"victim", t_victim, false},
    {"hostile", t_hostile, false},
    {"secret", t_secret, false},
    {"restart_loop", t_restart_loop, false},
    {"dirty", t_dirty, false},		   /* config=dirty: its regions 1 and 2 */
    {"dirty_bench", t_dirty_bench, false}, /* config=dirty-bench(-wp) */
    {"ckpt", t_ckpt, false},
    {"ckpt_bench", t_ckpt_bench, false},
    {"demand", t_demand, false},
    /* the PC platform (config=platform): not part of "all" */
    {"apic_regs", t_apic_regs, false},
    {"x2apic", t_x2apic, false},
    {"apic_timer_periodic", t_apic_timer_periodic, false},
    {"apic_timer_oneshot", t_apic_timer_oneshot, false},
    {"apic_tsc_deadline", t_apic_tsc_deadline, false},
    {"self_ipi_nested", t_self_ipi_nested, false},
    {"spurious", t_spurious, false},
    {"apic_nmi", t_apic_nmi, false},
    {"pc_bench", t_pc_bench, false},
    {"board_writer", t_board_writer, false},
    {"pit_pic", t_pit_pic, false},
    {"pit_ioapic", t_pit_ioapic, false},
    {"ioapic_regs", t_ioapic_regs, false},
    {"rtc_periodic", t_rtc_periodic, false},
    {"uart_irq", t_uart_irq, false},
    {"absent_device", t_absent_device, false},
    /* several CPUs (bare, or config=vcpus2/vcpus3): not part of "all" */
    {"smp_start", t_smp_start, false},
    {"smp_ipi", t_smp_ipi, false},
    {"smp_lock", t_smp_lock, false},
    {"smp_fault", t_smp_fault, false},
    {"smp_secret", t_smp_secret, false},
    {"smp_bench", t_smp_bench, false},
    /* coalesced MMIO (config=coalesced): not part of "all" */
    {"coalesced", t_coalesced, false},
    {"coalesced_bench", t_coalesced_bench, false},
    {"coalesced_restart", t_coalesced_restart, false},
    {"slots", t_slots, false},
};
const unsigned nr_scenarios = ARRAY_SIZE(scenarios);

static struct {
	const char *name;
	unsigned failures; /* of the running scenario */
	char detail[160];  /* its first failure */
} cur;
static unsigned failed_scenarios;
static bool end_with_hc_exit;

void t_end_with_hc_exit(void)
{
	end_with_hc_exit = true;
}

void t_fail(const char *fmt, ...)
{
	char buf[160];
	va_list ap;

	va_start(ap, fmt);
	kvsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (!cur.failures)
		memcpy(cur.detail, buf, sizeof(buf));
	if (cur.failures++ < MAX_INFO_LINES)
		gprintf("INFO %s: fail: %s\n", cur.name ? cur.name : "boot", buf);
}

bool t_expect(const char *what, uint64_t got, uint64_t want)
{
	if (got == want)
		return true;
	t_fail("%s got=0x%llx want=0x%llx", what, (unsigned long long)got,
	       (unsigned long long)want);
	return false;
}

void t_attempt(const char *fmt, ...)
{
	va_list ap;

	gprintf("ATTEMPT ");
	va_start(ap, fmt);
	gvprintf(fmt, ap);
	va_end(ap);
	gprintf("\n");
}

unsigned t_failures(void)
{
	return cur.failures;
}

static __noreturn void finish(void)
{
	if (failed_scenarios)
		gprintf("FAILED %u\n", failed_scenarios);
	else
		gprintf("ALL PASS\n");
	if (end_with_hc_exit)
		guest_stop(failed_scenarios ? 1 : 0);
	guest_exit(failed_scenarios ? 1 : 0);
}

/* An unexpected exception: the running scenario fails and the run ends here. */
void t_abort(const char *fmt, ...)
{
	va_list ap;

	gprintf("TEST %s FAIL ", cur.name ? cur.name : "boot");
	va_start(ap, fmt);
	gvprintf(fmt, ap);
	va_end(ap);
	gprintf("\n");
	failed_scenarios++;
	finish();
}

static void run_one(const struct scenario *s)
{
	cur.name = s->name;
	cur.failures = 0;
	s->run();
	if (cur.failures) {
		gprintf("TEST %s FAIL %s\n", s->name, cur.detail);
		failed_scenarios++;
	} else {
		gprintf("TEST %s PASS\n", s->name);
	}
	cur.name = NULL;
}

static void run_named(const char *name)
{
	bool all = !strcmp(name, "all");

	for (unsigned i = 0; i < nr_scenarios; i++) {
		if (all ? scenarios[i].in_all : !strcmp(name, scenarios[i].name)) {
			run_one(&scenarios[i]);
			if (!all)
				return;
		}
	}
	if (!all) {
		gprintf("TEST %s FAIL unknown scenario\n", name);
		failed_scenarios++;
	}
}

/* The value of "test=" in the command line, or the default list. */
static const char *test_list(void)
{
	const char *list = arg_value("test");

	return list ? list : DEFAULT_TESTS;
}

static void run_list(const char *list)
{
	char name[MAX_NAME];
	size_t n = 0;

	for (const char *c = list;; c++) {
		if (*c && *c != ',' && *c != ' ') {
			if (n < sizeof(name) - 1)
				name[n++] = *c;
			continue;
		}
		name[n] = '\0';
		if (n)
			run_named(name);
		n = 0;
		if (!*c || *c == ' ')
			return;
	}
}

static bool boot_checks(void)
{
	if (boot_magic != MB2_BOOT_MAGIC) {
		gprintf("TEST boot FAIL magic 0x%x\n", boot_magic);
		return false;
	}
	if (boot_mbi_in_bss) {
		gprintf("TEST boot FAIL multiboot2 info at 0x%x inside the image's .bss\n",
			boot_mbi);
		return false;
	}
	if (mb2_parse(boot_mbi, &boot)) {
		gprintf("TEST boot FAIL malformed multiboot2 info at 0x%x\n", boot_mbi);
		return false;
	}
	return true;
}

void guest_main(void)
{
	trap_init();
	pt_init();
	gprintf("kestrel testguest: entry tsc %llu, 1 GiB pages %s\n", (unsigned long long)boot_tsc,
		pt_have_1g ? "yes" : "no");
	if (!boot_checks()) {
		failed_scenarios++;
		finish();
	}
	run_list(test_list());
	finish();
}
