// ws_utf8.cpp — a table-free validator: each lead byte fixes the sequence length and the range
// allowed for the first continuation byte, which is where overlongs and surrogates are caught.
#include "ws_utf8.h"

#include <cstdint>

bool ws_utf8_valid(const void *data, size_t len)
{
    const uint8_t *s = (const uint8_t *)data;
    size_t i = 0;
    while (i < len) {
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t need;
        uint8_t lo = 0x80, hi = 0xBF;  // allowed range of the first continuation byte
        if (c >= 0xC2 && c <= 0xDF) need = 1;
        else if (c == 0xE0) need = 2, lo = 0xA0;           // no overlong 3-byte forms
        else if (c >= 0xE1 && c <= 0xEC) need = 2;
        else if (c == 0xED) need = 2, hi = 0x9F;           // no UTF-16 surrogates
        else if (c >= 0xEE && c <= 0xEF) need = 2;
        else if (c == 0xF0) need = 3, lo = 0x90;           // no overlong 4-byte forms
        else if (c >= 0xF1 && c <= 0xF3) need = 3;
        else if (c == 0xF4) need = 3, hi = 0x8F;           // nothing above U+10FFFF
        else return false;                                 // 0x80..0xC1 and 0xF5..0xFF never lead
        if (len - i <= need) return false;                 // truncated sequence
        if (s[i + 1] < lo || s[i + 1] > hi) return false;
        for (size_t k = 2; k <= need; k++)
            if ((s[i + k] & 0xC0) != 0x80) return false;
        i += need + 1;
    }
    return true;
}
