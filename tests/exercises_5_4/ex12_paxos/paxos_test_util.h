// paxos_test_util.h — small helpers shared by the EX12 tests: printing proposal numbers and
// message kinds in failure messages, building messages by hand.
#pragma once
#include "nl_test.h"
#include "paxos.h"

#include <cstdio>
#include <string>

// "(round,id)" for a failure message; each call has its own buffer slot, so two fit in one printf.
static inline const char *pn_str(PaxosPn pn)
{
    static char bufs[8][48];
    static int next = 0;
    char *b = bufs[next++ % 8];
    snprintf(b, 48, "(%llu,%llu)", (unsigned long long)pn.round, (unsigned long long)pn.proposer_id);
    return b;
}

static inline const char *kind_str(PaxosKind k)
{
    switch (k) {
    case PAXOS_PREPARE: return "PREPARE";
    case PAXOS_PROMISE: return "PROMISE";
    case PAXOS_NACK: return "NACK";
    case PAXOS_ACCEPT: return "ACCEPT";
    case PAXOS_ACCEPTED: return "ACCEPTED";
    case PAXOS_REJECTED: return "REJECTED";
    }
    return "?";
}

static inline const char *result_str(PaxosResultKind k)
{
    switch (k) {
    case PAXOS_CHOSEN: return "CHOSEN";
    case PAXOS_NO_QUORUM: return "NO_QUORUM";
    case PAXOS_CONFLICT: return "CONFLICT";
    }
    return "?";
}

static inline bool pn_eq(PaxosPn a, PaxosPn b) { return a.round == b.round && a.proposer_id == b.proposer_id; }

static inline PaxosPhase1Msg promise_msg(PaxosPn pn)
{
    return PaxosPhase1Msg{PAXOS_PROMISE, pn, false, {0, 0}, {}, {0, 0}};
}

static inline PaxosPhase1Msg promise_with(PaxosPn pn, PaxosPn accepted_pn, const char *value)
{
    return PaxosPhase1Msg{PAXOS_PROMISE, pn, true, accepted_pn, value, {0, 0}};
}

static inline PaxosPhase1Msg nack_msg(PaxosPn pn, PaxosPn highest)
{
    return PaxosPhase1Msg{PAXOS_NACK, pn, false, {0, 0}, {}, highest};
}
