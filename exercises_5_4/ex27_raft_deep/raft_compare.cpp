// raft_compare.cpp — the seed's Raft vs Paxos comparison (EX27, concept 5.4.8.r) as static tables.
#include "raft_deep.h"

static const RdComparison COMPARISON[] = {
    {"Understandability", "Raft: split into election, replication and safety, written to be taught",
     "Paxos: a short proof, but the step from single-decree to a working system is left to the reader"},
    {"Leader", "Raft: one strong leader per term; entries flow only from leader to followers",
     "Paxos: any proposer may propose; Multi-Paxos adds a distinguished leader as an optimisation"},
    {"Membership", "Raft: joint consensus (C_old,new then C_new) is part of the protocol",
     "Paxos: reconfiguration is a separate design (e.g. the configuration chosen in the log itself)"},
    {"Log gaps", "Raft: the log is contiguous; a leader holds every committed entry",
     "Paxos: slots are decided independently, so a log can have holes to fill"},
    {"Compaction", "Raft: snapshots plus InstallSnapshot for followers far behind",
     "Paxos: unspecified; each system invents its own state transfer"},
};

static const char *const RECOMMENDATIONS[] = {
    "Use Raft for a new replicated service where the team must understand and debug the protocol",
    "Use Paxos where an existing, proven implementation (Chubby, Spanner) already fits",
    "Use Multi-Paxos or a Raft leader for high-throughput replication through a stable leader",
};

const RdComparison *rd_raft_vs_paxos(size_t *count)
{
    *count = sizeof COMPARISON / sizeof COMPARISON[0];
    return COMPARISON;
}

const char *const *rd_recommendations(size_t *count)
{
    *count = sizeof RECOMMENDATIONS / sizeof RECOMMENDATIONS[0];
    return RECOMMENDATIONS;
}
