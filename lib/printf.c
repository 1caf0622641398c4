/*
 * Minimal vsnprintf for the hypervisor and its host-built modules.
 * Output is always NUL-terminated when size > 0; never writes past size.
 */
#include "lib/printf.h"

struct out {
	char *buf;
	size_t size;
	size_t len;
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void put_pad(struct out *o, char c, int n)
{
	while (n-- > 0)
		put(o, c);
}

struct spec {
	bool left, zero;
	int width, prec;
	int len; /* 0 int, 1 long, 2 long long, -1 short, -2 char, 3 size_t */
};

static void put_num(struct out *o, uint64_t v, unsigned base, bool neg, bool upper,
		    const struct spec *s)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0, total;

	do {
		tmp[n++] = digits[v % base];
		v /= base;
	} while (v);
	total = n + (neg ? 1 : 0);
	if (!s->left && !s->zero)
		put_pad(o, ' ', s->width - total);
	if (neg)
		put(o, '-');
	if (!s->left && s->zero)
		put_pad(o, '0', s->width - total);
	while (n)
		put(o, tmp[--n]);
	if (s->left)
		put_pad(o, ' ', s->width - total);
}

static const char *parse_spec(const char *f, struct spec *s, va_list *ap)
{
	*s = (struct spec){.prec = -1};
	for (;; f++) {
		if (*f == '-')
			s->left = true;
		else if (*f == '0')
			s->zero = true;
		else
			break;
	}
	if (*f == '*') {
		s->width = va_arg(*ap, int);
		f++;
	}
	while (*f >= '0' && *f <= '9')
		s->width = s->width * 10 + (*f++ - '0');
	if (*f == '.') {
		s->prec = 0;
		f++;
		if (*f == '*') {
			s->prec = va_arg(*ap, int);
			f++;
		}
		while (*f >= '0' && *f <= '9')
			s->prec = s->prec * 10 + (*f++ - '0');
	}
	for (;; f++) {
		if (*f == 'l')
			s->len = s->len == 1 ? 2 : 1;
		else if (*f == 'h')
			s->len = s->len == -1 ? -2 : -1;
		else if (*f == 'z')
			s->len = 3;
		else
			break;
	}
	return f;
}

static uint64_t arg_unsigned(const struct spec *s, va_list *ap)
{
	switch (s->len) {
	case 1:
		return va_arg(*ap, unsigned long);
	case 2:
		return va_arg(*ap, unsigned long long);
	case 3:
		return va_arg(*ap, size_t);
	case -1:
		return (unsigned short)va_arg(*ap, unsigned int);
	case -2:
		return (unsigned char)va_arg(*ap, unsigned int);
	default:
		return va_arg(*ap, unsigned int);
	}
}

static int64_t arg_signed(const struct spec *s, va_list *ap)
{
	switch (s->len) {
	case 1:
		return va_arg(*ap, long);
	case 2:
		return va_arg(*ap, long long);
	case 3:
		return (int64_t)va_arg(*ap, size_t);
	case -1:
		return (short)va_arg(*ap, int);
	case -2:
		return (signed char)va_arg(*ap, int);
	default:
		return va_arg(*ap, int);
	}
}

static void put_str(struct out *o, const char *str, const struct spec *s)
{
	int n = 0;

	if (!str)
		str = "(null)";
	while (str[n] && (s->prec < 0 || n < s->prec))
		n++;
	if (!s->left)
		put_pad(o, ' ', s->width - n);
	for (int i = 0; i < n; i++)
		put(o, str[i]);
	if (s->left)
		put_pad(o, ' ', s->width - n);
}

static void put_conv(struct out *o, char c, const struct spec *s, va_list *ap)
{
	int64_t sv;

	switch (c) {
	case 'd':
	case 'i':
		sv = arg_signed(s, ap);
		put_num(o, sv < 0 ? 0 - (uint64_t)sv : (uint64_t)sv, 10, sv < 0, false, s);
		break;
	case 'u':
		put_num(o, arg_unsigned(s, ap), 10, false, false, s);
		break;
	case 'x':
		put_num(o, arg_unsigned(s, ap), 16, false, false, s);
		break;
	case 'X':
		put_num(o, arg_unsigned(s, ap), 16, false, true, s);
		break;
	case 'o':
		put_num(o, arg_unsigned(s, ap), 8, false, false, s);
		break;
	case 'p':
		put(o, '0');
		put(o, 'x');
		put_num(o, (uintptr_t)va_arg(*ap, void *), 16, false, false, s);
		break;
	case 'c':
		put(o, (char)va_arg(*ap, int));
		break;
	case 's':
		put_str(o, va_arg(*ap, const char *), s);
		break;
	case '%':
		put(o, '%');
		break;
	default:
		put(o, '%');
		put(o, c);
		break;
	}
}

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = {buf, size, 0};
	struct spec s;
	va_list aq;

	va_copy(aq, ap);
	for (const char *f = fmt; *f; f++) {
		if (*f != '%') {
			put(&o, *f);
			continue;
		}
		f = parse_spec(f + 1, &s, &aq);
		if (!*f)
			break;
		put_conv(&o, *f, &s, &aq);
	}
	va_end(aq);
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kvsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
