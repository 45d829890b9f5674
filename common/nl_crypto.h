// nl_crypto.h — SHA-1, SHA-256 and base64 through OpenSSL's libcrypto (WebSocket accept keys,
// consistent hashing, ids). Outputs are raw bytes; nl_hex turns them into lowercase hex.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

enum { NL_SHA1_LEN = 20, NL_SHA256_LEN = 32 };

void nl_sha1(const void *data, size_t len, uint8_t out[NL_SHA1_LEN]);
void nl_sha256(const void *data, size_t len, uint8_t out[NL_SHA256_LEN]);

std::string nl_base64_encode(const void *data, size_t len);
// Strict decoding: returns -1 on any character outside the alphabet or bad padding.
int nl_base64_decode(const char *text, size_t len, std::string *out);

std::string nl_hex(const uint8_t *bytes, size_t len);
