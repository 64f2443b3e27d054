#ifndef CONVSIM_CFORMAT_H
#define CONVSIM_CFORMAT_H
#include <stddef.h>

/* C's snprintf of one double, with a fixed (not variadic) signature for Swift.
   Swift reaches a C variadic function only through CVarArg, whose first use is a dynamic cast
   that scans every protocol conformance of the binary (about 0.2 ms of a short command); this
   function takes the double as a plain argument. The process never sets a locale, so the
   formatting is the C locale's (`.` as the decimal point). Returns snprintf's result: the length
   the full text needs, which may exceed `size` (the text is then cut, and the caller asks again
   with a buffer of that length plus one), or a negative value on an encoding error. */
int convsim_format_double(char *buffer, size_t size, const char *format, double value);

#endif
