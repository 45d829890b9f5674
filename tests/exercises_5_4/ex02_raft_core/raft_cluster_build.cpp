// raft_cluster_build.cpp — compiles the exercise's cluster driver (raft_cluster.cpp, also linked
// into raft_sim) into the suite, so the suite and `raft_sim --seed S` run the very same schedules.
#include "raft_cluster.cpp"
