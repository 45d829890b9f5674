// tonic_test.h — what the EX16 test files share: the virtual clock handed to tonic_service_new.
#pragma once
#include <cstdint>

struct tt_vclock {
    uint64_t now; // what the next read returns (ns since the epoch)
    int calls;    // how many times the service read it
};
uint64_t tt_clock(void *arg); // arg: a tt_vclock
