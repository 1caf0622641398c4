/* Unit tests for lib/printf.c, compared against the host's snprintf. */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "lib/printf.h"

#define CHECK(...)                                                                                 \
	do {                                                                                       \
		char a[128], b[128];                                                               \
		int na = ksnprintf(a, sizeof(a), __VA_ARGS__);                                     \
		int nb = snprintf(b, sizeof(b), __VA_ARGS__);                                      \
		assert_string_equal(a, b);                                                         \
		assert_int_equal(na, nb);                                                          \
	} while (0)

static void test_formats(void **state)
{
	CHECK("%d %i %u", -42, 17, 4000000000u);
	CHECK("%x %X %o", 0xdeadbeefu, 0xabcu, 8u);
	CHECK("[%8x] [%-8x] [%08x]", 0x1234u, 0x1234u, 0x1234u);
	CHECK("%lx %llx %zu", 0xffffffffffffffffUL, 0x123456789abcdefULL, (size_t)99);
	CHECK("%s|%10s|%-10s|%.3s", "abc", "right", "left", "truncate");
	CHECK("%c%c %% %hhu %hd", 'o', 'k', 300, 70000);
	CHECK("%016llx %ld", 0x1ULL, -9223372036854775807L - 1);
	CHECK("%*d|%-*d", 5, 42, 5, 42);
}

static void test_truncation(void **state)
{
	char buf[8];
	int n = ksnprintf(buf, sizeof(buf), "%s", "0123456789");

	assert_int_equal(n, 10);
	assert_string_equal(buf, "0123456");
	n = ksnprintf(buf, 0, "abc");
	assert_int_equal(n, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_formats),
	    cmocka_unit_test(test_truncation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
