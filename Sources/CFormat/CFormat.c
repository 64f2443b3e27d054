#include "CFormat.h"
#include <stdio.h>

int convsim_format_double(char *buffer, size_t size, const char *format, double value) {
    return snprintf(buffer, size, format, value);
}
