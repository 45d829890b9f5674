// fuzz_broker_demo.cpp — libFuzzer target for broker_demo's command interpreter (see demo_stdin.h).
#include "demo_stdin.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return run_demo_on_stdin(data, size); }
