/* Formatting into fixed buffers, without malloc, stdio or locale: safe in a fault handler.
 * Output that does not fit is cut, never overflowed. */
#include "internal.h"

void mb__buf_init(struct mb_buf *b, char *storage, size_t cap)
{
    b->p = storage;
    b->len = 0;
    b->cap = cap;
    if (cap) storage[0] = 0;
}

/* Invariant: p[len] == 0 whenever cap > 0 (one byte is kept for the terminator). */
void mb__buf_putc(struct mb_buf *b, char c)
{
    if (b->len + 1 < b->cap) {
        b->p[b->len++] = c;
        b->p[b->len] = 0;
    }
}

void mb__buf_putn(struct mb_buf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) mb__buf_putc(b, s[i]);
}

void mb__buf_puts(struct mb_buf *b, const char *s)
{
    if (!s) s = "(null)";
    while (*s) mb__buf_putc(b, *s++);
}

static void put_uint(struct mb_buf *b, unsigned long v, unsigned base, int width, char pad)
{
    char tmp[24];
    int n = 0;
    do {
        unsigned d = (unsigned)(v % base);
        tmp[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
        v /= base;
    } while (v);
    for (int i = n; i < width; i++) mb__buf_putc(b, pad);
    while (n) mb__buf_putc(b, tmp[--n]);
}

void mb__buf_vprintf(struct mb_buf *b, const char *fmt, va_list ap)
{
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            mb__buf_putc(b, *fmt);
            continue;
        }
        fmt++;
        char pad = ' ';
        int width = 0, lng = 0;
        if (*fmt == '0') {
            pad = '0';
            fmt++;
        }
        while (*fmt >= '0' && *fmt <= '9') width = width * 10 + (*fmt++ - '0');
        while (*fmt == 'l' || *fmt == 'z') {
            lng = 1;
            fmt++;
        }
        switch (*fmt) {
        case 's': mb__buf_puts(b, va_arg(ap, const char *)); break;
        case 'c': mb__buf_putc(b, (char)va_arg(ap, int)); break;
        case 'd': {
            long v = lng ? va_arg(ap, long) : va_arg(ap, int);
            if (v < 0) {
                mb__buf_putc(b, '-');
                put_uint(b, (unsigned long)-(v + 1) + 1, 10, width, pad);
            } else {
                put_uint(b, (unsigned long)v, 10, width, pad);
            }
            break;
        }
        case 'u': put_uint(b, lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned), 10, width, pad); break;
        case 'x': put_uint(b, lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned), 16, width, pad); break;
        case 'p':
            mb__buf_puts(b, "0x");
            put_uint(b, (unsigned long)(uintptr_t)va_arg(ap, void *), 16, width, pad);
            break;
        case '%': mb__buf_putc(b, '%'); break;
        case 0: return;
        default: mb__buf_putc(b, '%'); mb__buf_putc(b, *fmt); break;
        }
    }
}

void mb__buf_printf(struct mb_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    mb__buf_vprintf(b, fmt, ap);
    va_end(ap);
}
