// nl_linearize.h — a linearizability checker for key-value histories (Wing & Gong's search with
// Lowe's memoisation, as Porcupine does), partitioned per key: a KV history is linearizable when
// the sub-history of each key is, each against a register model (absent | value).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

enum nl_lin_kind { NL_LIN_GET, NL_LIN_SET, NL_LIN_DEL };

#define NL_LIN_PENDING UINT64_MAX   // return time of an operation whose outcome is unknown

struct nl_lin_op {
    int client = 0;
    nl_lin_kind kind = NL_LIN_GET;
    std::string key;
    std::string value;       // SET: the value written
    bool found = false;      // GET: true when a value came back
    std::string result;      // GET: the value that came back
    uint64_t call = 0;       // invocation time (any monotonic unit)
    uint64_t ret = 0;        // response time, NL_LIN_PENDING for a write whose outcome is unknown
};

// True when the history is linearizable. A GET that failed must be left out by the caller (it
// observed nothing); a SET or DEL whose outcome is unknown (timeout, lost leadership) is kept with
// ret = NL_LIN_PENDING: it may take effect at any point after its call, or never. On false, *why
// names the first key without a linearization and lists its operations.
bool nl_lin_check_kv(const std::vector<nl_lin_op> &history, std::string *why);

// One line describing an operation, e.g. "c2 SET a=1 [1200, 1350]" or "c1 GET a -> nil [..]".
std::string nl_lin_describe(const nl_lin_op &op);
