/*
 * AML scanning for fw/acpi.c: finds the \_S5 package's sleep types by the byte pattern
 * compilers emit, with no interpreter. Reads only inside the buffer it is given; uses
 * no memory. Host-built for tests and the fuzzer.
 */
#include "fw/acpi.h"
#include "lib/errno.h"
#include "lib/string.h"

/* ACPI Specification, "ACPI Machine Language (AML) Specification" */

#define SLP_TYP_MAX 7 /* SLP_TYP is 3 bits of PM1x_CNT */

/* One integer data object at aml[*i], ending before @end; false when it is none. */
static bool aml_integer(const uint8_t *aml, size_t end, size_t *i, uint64_t *v)
{
	unsigned width;
	uint8_t op;

	if (*i >= end)
		return false;
	op = aml[(*i)++];
	if (op == AML_ZERO_OP || op == AML_ONE_OP) {
		*v = op;
		return true;
	}
	width = op == AML_BYTE_PREFIX	 ? 1
		: op == AML_WORD_PREFIX	 ? 2
		: op == AML_DWORD_PREFIX ? 4
		: op == AML_QWORD_PREFIX ? 8
					 : 0;
	if (!width || end - *i < width)
		return false;
	*v = 0;
	for (unsigned k = 0; k < width; k++)
		*v |= (uint64_t)aml[*i + k] << (8 * k);
	*i += width;
	return true;
}

/*
 * PkgLength at aml[i]: the lead byte's bits 7:6 count the bytes that follow; the length
 * counts from the lead byte itself. The package's end, or 0 when it does not fit.
 */
static size_t aml_pkg_end(const uint8_t *aml, size_t len, size_t *i)
{
	unsigned more = (unsigned)((aml[*i] & AML_PKGLEN_BYTES) >> 6);
	size_t start = *i, pkglen;

	if (len - start < more + 1)
		return 0;
	pkglen = more ? aml[start] & 0x0f : aml[start] & 0x3f;
	for (unsigned k = 1; k <= more; k++)
		pkglen |= (size_t)aml[start + k] << (4 + 8 * (k - 1));
	*i = start + more + 1;
	if (pkglen < more + 1 || pkglen > len - start)
		return 0;
	return start + pkglen;
}

/* "PackageOp PkgLength NumElements a [b]" at aml[i]; b defaults to a. */
static int s5_package(const uint8_t *aml, size_t len, size_t i, uint8_t *typ_a, uint8_t *typ_b)
{
	uint64_t a, b;
	size_t end;
	uint8_t nelem;

	if (len - i < 2 || aml[i] != AML_PACKAGE_OP)
		return -ENOENT;
	i++;
	end = aml_pkg_end(aml, len, &i);
	if (!end || i >= end)
		return -ENOENT;
	nelem = aml[i++];
	if (nelem < 1 || !aml_integer(aml, end, &i, &a))
		return -ENOENT;
	b = a;
	if (nelem >= 2 && !aml_integer(aml, end, &i, &b))
		return -ENOENT;
	if (a > SLP_TYP_MAX || b > SLP_TYP_MAX)
		return -ENOENT;
	*typ_a = (uint8_t)a;
	*typ_b = (uint8_t)b;
	return 0;
}

int acpi_find_s5(const uint8_t *aml, size_t len, uint8_t *typ_a, uint8_t *typ_b)
{
	for (size_t i = 0; len >= 4 && i <= len - 4; i++) {
		bool named = (i >= 1 && aml[i - 1] == AML_NAME_OP) ||
			     (i >= 2 && aml[i - 2] == AML_NAME_OP && aml[i - 1] == AML_ROOT_CHAR);

		if (named && memcmp(aml + i, "_S5_", 4) == 0 &&
		    !s5_package(aml, len, i + 4, typ_a, typ_b))
			return 0;
	}
	return -ENOENT;
}
