// ws_utf8.h — strict UTF-8 validation for WebSocket text messages and close reasons (RFC 6455 §8.1,
// RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
#pragma once
#include <cstddef>

bool ws_utf8_valid(const void *data, size_t len);
