// bft_basics.cpp — the 3f+1 bound, quorums, primaries, the complexity texts, the seed's view-change
// vote counter and Tendermint's round/lock bookkeeping.
#include "bft.h"

#include <cstdio>

uint32_t bft_minimum_nodes_for_faults(uint32_t f)
{
    uint64_t n = 3ull * f + 1; // computed in 64 bits so the overflow is seen, not wrapped
    return n > UINT32_MAX ? 0 : (uint32_t)n;
}

uint32_t bft_max_faults_for_nodes(uint32_t n)
{
    return n == 0 ? 0 : (n - 1) / 3;
}

uint32_t bft_quorum_size(uint32_t n)
{
    if (n == 0) return 0;
    // Two quorums must share f + 1 replicas (one honest at least): 2q - n >= f + 1.
    uint64_t f = bft_max_faults_for_nodes(n);
    return (uint32_t)((n + f + 2) / 2);
}

uint32_t bft_primary_of(uint64_t view, uint32_t n)
{
    return n == 0 ? 0 : (uint32_t)(view % n);
}

int bft_pbft_message_complexity(uint32_t n, char *buf, size_t len)
{
    return snprintf(buf, len, "O(n^2) = O(%llu) messages per request", (unsigned long long)n * n);
}

const char *bft_hotstuff_message_complexity(void)
{
    return "O(n) - linear complexity using threshold signatures";
}

void bft_vcm_init(BftViewChangeVotes *vcm, uint32_t quorum)
{
    vcm->quorum = quorum;
    vcm->current_view = 0;
    vcm->votes.clear();
}

bool bft_vcm_request(BftViewChangeVotes *vcm, uint64_t new_view, uint64_t replica)
{
    if (new_view <= vcm->current_view) return false; // a vote for the past changes nothing
    vcm->votes[new_view].insert(replica);
    return true;
}

bool bft_vcm_is_complete(const BftViewChangeVotes *vcm, uint64_t new_view)
{
    auto it = vcm->votes.find(new_view);
    return it != vcm->votes.end() && it->second.size() >= vcm->quorum;
}

bool bft_vcm_complete(BftViewChangeVotes *vcm, uint64_t new_view)
{
    if (!bft_vcm_is_complete(vcm, new_view) || new_view <= vcm->current_view) return false;
    vcm->current_view = new_view;
    return true;
}

void tendermint_init(TendermintReplica *t, uint64_t id)
{
    t->id = id;
    t->height = 0;
    t->round = 0;
    t->phase = TM_PROPOSE;
    t->locked = false;
    t->locked_value.clear();
    t->locked_round = 0;
    t->decided.clear();
}

void tendermint_advance_round(TendermintReplica *t)
{
    t->round++;
    t->phase = TM_PROPOSE; // the lock survives rounds: that is what keeps a height safe
}

std::string tendermint_prevote(TendermintReplica *t, const std::string &proposal)
{
    t->phase = TM_PREVOTE;
    return t->locked ? t->locked_value : proposal;
}

void tendermint_lock(TendermintReplica *t, const std::string &value)
{
    t->locked = true;
    t->locked_value = value;
    t->locked_round = t->round;
    t->phase = TM_PRECOMMIT;
}

void tendermint_commit(TendermintReplica *t, const std::string &value)
{
    t->decided.push_back(value);
    t->height++;
    t->round = 0;
    t->phase = TM_PROPOSE;
    t->locked = false; // a new height starts free
    t->locked_value.clear();
    t->locked_round = 0;
}
