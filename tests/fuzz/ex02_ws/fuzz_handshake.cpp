// fuzz_handshake.cpp — libFuzzer target for ex02_ws's HTTP request parser and upgrade decision:
// any bytes must give a complete HTTP response with a status line, never a crash.
#include "ws_handshake.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    long end = ws_http_header_end(buf, size, WS_MAX_HEADER_BYTES);
    if (end > (long)size) abort();
    if (end <= 0) return 0;
    ws_handshake_result hs;
    ws_handshake(buf, (size_t)end, &hs);
    if (hs.status < 100 || hs.status > 599) abort();
    if (hs.response.compare(0, 9, "HTTP/1.1 ") != 0) abort();
    if (hs.response.find("\r\n\r\n") == std::string::npos) abort();
    if (hs.status == 101 && hs.route == WS_ROUTE_NONE) abort();
    return 0;
}
