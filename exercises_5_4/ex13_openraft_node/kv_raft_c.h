// kv_raft_c.h — libraft's C header with C linkage: raft.h has no extern "C" of its own, and
// keeping it in a header of its own lets the oracle build (mk/oracle-wrap.sh) hoist it unchanged.
#pragma once
extern "C" {
#include <raft.h>
}
