// nl_clock.h — time sources: a monotonic clock for timeouts and durations, wall time for display.
#pragma once
#include <cstdint>

uint64_t nl_now_ns(void);        // CLOCK_MONOTONIC, nanoseconds
uint64_t nl_now_ms(void);        // CLOCK_MONOTONIC, milliseconds
int64_t nl_unix_seconds(void);   // CLOCK_REALTIME, seconds since the epoch
