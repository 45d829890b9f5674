// fuzz_frame.cpp — libFuzzer target for ex02_ws's frame parser and reassembler: any byte stream,
// fed in chunks the fuzzer also chooses, must give events or an error, never a crash, a hang or
// a message over the limit.
#include "ws_frame.h"

#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    ws_reader r;
    r.max_message = 1 + (data[0] % 4) * 1000;  // small limits so the 1009 paths are reached
    std::string buf;
    size_t pos = 1;
    while (pos < size) {
        size_t chunk = 1 + data[pos] % 64;  // the first byte of each chunk says its length
        pos++;
        if (chunk > size - pos) chunk = size - pos;
        buf.append((const char *)data + pos, chunk);
        pos += chunk;
        for (;;) {
            ws_event ev;
            size_t used = ws_reader_next(&r, (const uint8_t *)buf.data(), buf.size(), &ev);
            if (used > buf.size()) abort();
            buf.erase(0, used);
            if (ev.kind == WS_EV_ERROR) return 0;  // the server stops parsing here too
            if (ev.kind == WS_EV_NEED_MORE) break;
            if (ev.kind == WS_EV_MESSAGE && ev.payload.size() > r.max_message) abort();
            if (ev.kind == WS_EV_NONE && used == 0) abort();  // no progress would loop forever
        }
    }
    std::string out;
    ws_frame_append(&out, WS_OP_BINARY, data, size);
    ws_close_append(&out, 1000, "fuzz");
    return 0;
}
