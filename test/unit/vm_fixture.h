/*
 * Shared fixture for the VM-model and device tests: a VM set up by vm_init
 * with fake vCPU ops (kicks counted, a settable clock) and the console
 * captured into a buffer, so tests can assert what a VM printed.
 */
#ifndef TEST_VM_FIXTURE_H
#define TEST_VM_FIXTURE_H

#include <string.h>

#include "lib/console.h"
#include "test/unit/fake_page.h"
#include "vm/vm.h"

static unsigned fx_kicks;
static uint64_t fx_now;
static char fx_out[8192];
static size_t fx_out_len;

static void fx_kick(struct vcpu *v)
{
	fx_kicks++;
}
static uint64_t fx_rip(struct vcpu *v)
{
	return 0x1234;
}
static uint64_t fx_clock(void)
{
	return fx_now;
}
static const struct vcpu_ops fx_ops = {.kick = fx_kick, .rip = fx_rip, .now = fx_clock};

static void fx_write(const char *s, size_t n)
{
	if (fx_out_len + n < sizeof(fx_out)) {
		memcpy(fx_out + fx_out_len, s, n);
		fx_out_len += n;
		fx_out[fx_out_len] = '\0';
	}
}
static unsigned fx_cpu(void)
{
	return 0;
}
static const struct console_backend fx_console = {.write = fx_write, .cpu = fx_cpu};

static const struct vm_region fx_regions[] = {RAM(0, 2 * MiB)};

static void fx_setup(struct vm *vm, struct vm_config *cfg, unsigned id)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->name = "fx";
	cfg->regions = fx_regions;
	cfg->nr_regions = 1;
	cfg->image = "img";
	fake_page_reset();
	fx_kicks = 0;
	fx_now = 1000;
	fx_out_len = 0;
	fx_out[0] = '\0';
	console_init(&fx_console);
	assert_int_equal(vm_init(vm, cfg, id, &fx_ops), 0);
}

#endif
