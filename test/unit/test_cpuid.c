/*
 * The guest's CPU model (vm/cpuid.c): every bit of the hidden-feature table is cleared
 * whatever the host says, each row has a reason, the APIC and TSC leaves follow the
 * platform, and the topology leaves describe exactly the VM's vCPUs (SDM "CPUID").
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "vm/cpuid.h"

static void ask(const struct cpuid_view *w, uint32_t leaf, uint32_t sub, uint32_t r[4],
		uint32_t host)
{
	r[0] = r[1] = r[2] = r[3] = host;
	vm_cpuid_basic(w, leaf, sub, r);
}

/* A host that sets every bit: each row's bits read 0 in the guest. */
static void test_hidden_bits_cleared(void **state)
{
	struct cpuid_view w = {0, 1, false, 0};
	uint32_t r[4];

	assert_true(vm_cpuid_nr_hidden >= 14);
	for (unsigned i = 0; i < vm_cpuid_nr_hidden; i++) {
		const struct cpuid_hide *h = &vm_cpuid_hidden[i];
		assert_non_null(h->why);
		assert_true(strlen(h->why) > 8);
		assert_true(h->reg <= CPUID_EDX);
		assert_int_not_equal(h->bits, 0);
		ask(&w, h->leaf, h->sub, r, ~0u);
		assert_int_equal(r[h->reg] & h->bits, 0);
	}
}

/* The bits a stock kernel would use and kestrel cannot give, named one by one. */
static void test_named_features(void **state)
{
	struct cpuid_view w = {0, 1, false, 0};
	uint32_t r[4];

	ask(&w, 1, 0, r, ~0u);
	assert_int_equal(r[CPUID_ECX] & (1u << 5), 0);	/* VMX */
	assert_int_equal(r[CPUID_ECX] & (1u << 3), 0);	/* MONITOR */
	assert_int_equal(r[CPUID_ECX] & (1u << 26), 0); /* XSAVE */
	assert_int_equal(r[CPUID_ECX] & (1u << 27), 0); /* OSXSAVE */
	assert_int_equal(r[CPUID_ECX] & (1u << 28), 0); /* AVX */
	assert_int_equal(r[CPUID_EDX] & (1u << 12), 0); /* MTRR */
	assert_int_equal(r[CPUID_EDX] & (1u << 7), 0);	/* MCE */
	assert_int_equal(r[CPUID_ECX] & CPUID1_ECX_HV, CPUID1_ECX_HV);
	ask(&w, 7, 0, r, ~0u);
	assert_int_equal(r[CPUID_EBX] & (1u << 5), 0);	/* AVX2 */
	assert_int_equal(r[CPUID_EBX] & (1u << 16), 0); /* AVX-512F */
	assert_int_equal(r[CPUID_ECX] & (1u << 5), 0);	/* WAITPKG */
	assert_int_equal(r[CPUID_EDX] & (1u << 26), 0); /* IBRS/IBPB */
	assert_int_equal(r[CPUID_EBX] & 1u, 1u);	/* FSGSBASE passes */
	ask(&w, 7, 1, r, ~0u); /* another subleaf: the table names subleaf 0 only */
	assert_int_equal(r[CPUID_EBX], ~0u);
	for (uint32_t leaf = 0xa; leaf <= 0xd; leaf += 3) { /* PMU and XSAVE leaves: all zero */
		ask(&w, leaf, 0, r, ~0u);
		assert_int_equal(r[0] | r[1] | r[2] | r[3], 0);
	}
	ask(&w, 6, 0, r, ~0u);
	assert_int_equal(r[CPUID_EAX], 0);
	ask(&w, 2, 0, r, 0x12345678); /* a leaf the model leaves alone */
	assert_int_equal(r[0] & r[1] & r[2] & r[3], 0x12345678);
}

static void test_apic_and_tsc_leaves(void **state)
{
	struct cpuid_view pc = {2, 3, true, 10000000}, none = {0, 1, false, 10000000};
	uint32_t r[4];

	ask(&pc, 1, 0, r, 0);
	assert_int_equal(r[CPUID_EDX] & (1u << 9), 1u << 9);   /* APIC */
	assert_int_equal(r[CPUID_ECX] & (1u << 21), 1u << 21); /* x2APIC */
	assert_int_equal(r[CPUID_ECX] & (1u << 24), 1u << 24); /* TSC-deadline */
	assert_int_equal(r[CPUID_EBX] >> 24, 2);	       /* initial APIC ID = vCPU index */
	ask(&none, 1, 0, r, 0);
	assert_int_equal(r[CPUID_EDX] & (1u << 9), 0);
	assert_int_equal(r[CPUID_ECX] & (1u << 21), 0);
	ask(&pc, 0x15, 0, r, ~0u);
	assert_int_equal(r[CPUID_EAX], 1);
	assert_int_equal(r[CPUID_EBX], 1);
	assert_int_equal(r[CPUID_ECX], 10000000);
	assert_int_equal(r[CPUID_EDX], 0);
	ask(&pc, 0x16, 0, r, 0);
	assert_int_equal(r[CPUID_EAX], 10);
	ask(&none, 0x15, 0, r, 7); /* the minimal platform: the host's answer */
	assert_int_equal(r[CPUID_ECX], 7);
}

/* Leaf 1's count and HTT, leaf 4's cores and sharing, leaf 0xB's two levels. */
static void test_topology(void **state)
{
	struct cpuid_view one = {0, 1, true, 1}, three = {2, 3, true, 1};
	uint32_t r[4];

	ask(&one, 1, 0, r, ~0u);
	assert_int_equal((r[CPUID_EBX] >> 16) & 0xff, 1);
	assert_int_equal(r[CPUID_EDX] & (1u << 28), 0);
	ask(&three, 1, 0, r, 0);
	assert_int_equal((r[CPUID_EBX] >> 16) & 0xff, 3);
	assert_int_equal(r[CPUID_EDX] & (1u << 28), 1u << 28);
	/* leaf 4: an L1 data cache (type 1, level 1) and an L3 (type 3, level 3) */
	r[0] = 1 | (1 << 5) | (63u << 26) | (15u << 14);
	r[1] = r[2] = r[3] = 0;
	vm_cpuid_basic(&three, 4, 0, r);
	assert_int_equal(r[0] >> 26, 2);
	assert_int_equal((r[0] >> 14) & 0xfff, 0);
	assert_int_equal(r[0] & 0x3fff, 1 | (1 << 5));
	r[0] = 3 | (3 << 5);
	vm_cpuid_basic(&three, 4, 3, r);
	assert_int_equal(r[0] >> 26, 2);
	assert_int_equal((r[0] >> 14) & 0xfff, 2);
	r[0] = 0; /* no more caches: left as it is */
	vm_cpuid_basic(&three, 4, 4, r);
	assert_int_equal(r[0], 0);
	ask(&three, 0xb, 0, r, ~0u);
	assert_int_equal(r[CPUID_EAX], 0);
	assert_int_equal(r[CPUID_EBX], 1);
	assert_int_equal(r[CPUID_ECX], 0x100);
	assert_int_equal(r[CPUID_EDX], 2);
	ask(&three, 0xb, 1, r, ~0u);
	assert_int_equal(r[CPUID_EAX], 2); /* ceil(log2(3)) */
	assert_int_equal(r[CPUID_EBX], 3);
	assert_int_equal(r[CPUID_ECX], 0x201);
	assert_int_equal(r[CPUID_EDX], 2);
	ask(&three, 0xb, 2, r, ~0u);
	assert_int_equal(r[CPUID_EAX] | r[CPUID_EBX], 0);
	assert_int_equal(r[CPUID_ECX], 2);
	ask(&one, 0x1f, 1, r, ~0u);
	assert_int_equal(r[CPUID_EAX], 0);
	assert_int_equal(r[CPUID_EBX], 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hidden_bits_cleared),
	    cmocka_unit_test(test_named_features),
	    cmocka_unit_test(test_apic_and_tsc_leaves),
	    cmocka_unit_test(test_topology),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
