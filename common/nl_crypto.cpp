// nl_crypto.cpp — libcrypto's one-shot digests and EVP base64 block coder.
#include "nl_crypto.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

void nl_sha1(const void *data, size_t len, uint8_t out[NL_SHA1_LEN])
{
    SHA1((const unsigned char *)data, len, out);
}

void nl_sha256(const void *data, size_t len, uint8_t out[NL_SHA256_LEN])
{
    SHA256((const unsigned char *)data, len, out);
}

std::string nl_base64_encode(const void *data, size_t len)
{
    std::string out(4 * ((len + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock((unsigned char *)out.data(), (const unsigned char *)data, (int)len);
    out.resize((size_t)n);
    return out;
}

static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

int nl_base64_decode(const char *text, size_t len, std::string *out)
{
    // Own decoder: EVP_DecodeBlock accepts whitespace and does not report padding length.
    if (len % 4 != 0) return -1;
    out->clear();
    for (size_t i = 0; i < len; i += 4) {
        int v[4];
        int pad = 0;
        for (int k = 0; k < 4; k++) {
            char c = text[i + k];
            if (c == '=' && i + 4 == len && k >= 2) {
                pad++;
                v[k] = 0;
                continue;
            }
            if (pad) return -1;  // data after padding
            v[k] = b64_value(c);
            if (v[k] < 0) return -1;
        }
        uint32_t w = (uint32_t)(v[0] << 18 | v[1] << 12 | v[2] << 6 | v[3]);
        // Canonical only: the bits after the last byte must be zero ("Zh==" is not an encoding).
        if ((pad == 2 && (w & 0xffff)) || (pad == 1 && (w & 0xff))) return -1;
        out->push_back((char)(w >> 16));
        if (pad < 2) out->push_back((char)(w >> 8 & 0xff));
        if (pad < 1) out->push_back((char)(w & 0xff));
    }
    return 0;
}

std::string nl_hex(const uint8_t *bytes, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    std::string s(len * 2, '0');
    for (size_t i = 0; i < len; i++) {
        s[2 * i] = digits[bytes[i] >> 4];
        s[2 * i + 1] = digits[bytes[i] & 15];
    }
    return s;
}
