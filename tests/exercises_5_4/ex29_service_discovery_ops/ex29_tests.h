// ex29_tests.h — what the EX29 test files share: starting a daemon or failing at the test's line.
#pragma once
#include "nl_check.h"
#include "sd_peers.h"
#include "service_discovery.h"

#include <string>
#include <vector>

#define START_PEER(fn, p)                                                  \
    do {                                                                   \
        std::string start_why_;                                            \
        if (!fn(&(p), &start_why_)) NL_FAIL("could not start the daemon: %s", start_why_.c_str()); \
    } while (0)

// "[a, b]" for messages.
std::string ex29_join(const std::vector<std::string> &v);
// Every test's etcd timeout: generous, a loaded machine answers late.
enum { T_MS = 5000 };
