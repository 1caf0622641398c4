/*
 * Basic types shared by every module: fixed-width integers, bit helpers and
 * one distinct type per address space, so host-physical, guest-physical and
 * frame numbers never mix silently. Builds freestanding and on the host.
 */
#ifndef LIB_TYPES_H
#define LIB_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BIT(n)		 (1ULL << (n))
#define GENMASK(h, l)	 (((~0ULL) >> (63 - (h))) & ~((1ULL << (l)) - 1))
#define ARRAY_SIZE(a)	 (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a)	 (((x) + ((a)-1)) & ~((uint64_t)(a)-1))
#define ALIGN_DOWN(x, a) ((x) & ~((uint64_t)(a)-1))
#define IS_ALIGNED(x, a) (((x) & ((uint64_t)(a)-1)) == 0)
#define MIN(a, b)	 ((a) < (b) ? (a) : (b))
#define MAX(a, b)	 ((a) > (b) ? (a) : (b))

#define KiB	   ((uint64_t)1 << 10)
#define MiB	   ((uint64_t)1 << 20)
#define GiB	   ((uint64_t)1 << 30)
#define PAGE_SHIFT 12
#define PAGE_SIZE  ((uint64_t)1 << PAGE_SHIFT)

#ifndef static_assert
#define static_assert _Static_assert
#endif

typedef struct {
	uint64_t v;
} hpa_t; /* host-physical address */
typedef struct {
	uint64_t v;
} gpa_t; /* guest-physical address */
typedef struct {
	uint64_t v;
} gva_t; /* guest-virtual address */
typedef struct {
	uint64_t v;
} pfn_t; /* host frame number */
typedef struct {
	uint64_t v;
} gfn_t; /* guest frame number */

static inline hpa_t hpa(uint64_t v)
{
	return (hpa_t){v};
}
static inline gpa_t gpa(uint64_t v)
{
	return (gpa_t){v};
}
static inline pfn_t pfn(uint64_t v)
{
	return (pfn_t){v};
}
static inline gfn_t gfn(uint64_t v)
{
	return (gfn_t){v};
}
static inline pfn_t hpa_to_pfn(hpa_t a)
{
	return (pfn_t){a.v >> PAGE_SHIFT};
}
static inline hpa_t pfn_to_hpa(pfn_t f)
{
	return (hpa_t){f.v << PAGE_SHIFT};
}
static inline gfn_t gpa_to_gfn(gpa_t a)
{
	return (gfn_t){a.v >> PAGE_SHIFT};
}
static inline gpa_t gfn_to_gpa(gfn_t f)
{
	return (gpa_t){f.v << PAGE_SHIFT};
}

#define container_of(p, type, member) ((type *)((char *)(p)-offsetof(type, member)))

#define __packed     __attribute__((packed))
#define __aligned(n) __attribute__((aligned(n)))
#define __unused     __attribute__((unused))
#define __noreturn   __attribute__((noreturn))
#define likely(x)    __builtin_expect(!!(x), 1)
#define unlikely(x)  __builtin_expect(!!(x), 0)

#endif
