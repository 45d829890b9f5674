// fuzz_from_bytes.cpp — libFuzzer target for vc_from_bytes: any bytes decode or are refused. The
// format has one encoding per clock, so an accepted input must be exactly vc_to_bytes of what it
// decoded to (no counter 0, ids strictly increasing, nothing trailing); a refused one leaves *out
// as it was and says why.
#include "vector_clock.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *buf = (uint8_t *)malloc(size ? size : 1);  // exactly size bytes: ASan sees an overread
    if (size) memcpy(buf, data, size);
    VectorClock vc;
    vc_init(&vc);
    vc_tick(&vc, "sentinel");
    VcError err;
    memset(&err, 0x55, sizeof err);
    int rc = vc_from_bytes(buf, size, &vc, &err);
    if (rc == VC_OK) {
        for (auto &[id, n] : vc.counters)
            if (n == 0 || id.empty() || id.size() > VC_MAX_ID_LEN) abort();
        std::vector<uint8_t> again;
        if (vc_to_bytes(&vc, &again, nullptr) != VC_OK) abort();
        if (again.size() != size || memcmp(again.data(), buf, size) != 0) abort();
    } else {
        if (rc != VC_ERR_DESERIALIZE || err.code != VC_ERR_DESERIALIZE) abort();
        if (!memchr(err.message, 0, sizeof err.message) || err.message[0] == 0) abort();
        if (vc.counters.size() != 1 || vc_get(&vc, "sentinel") != 1) abort();
        VectorClock other;
        if (vc_from_bytes(buf, size, &other, nullptr) != VC_ERR_DESERIALIZE) abort();  // err may be null
    }
    free(buf);
    return 0;
}
