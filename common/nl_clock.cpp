// nl_clock.cpp — thin wrappers over clock_gettime.
#include "nl_clock.h"

#include <ctime>

uint64_t nl_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t nl_now_ms(void) { return nl_now_ns() / 1000000ull; }

int64_t nl_unix_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec;
}
