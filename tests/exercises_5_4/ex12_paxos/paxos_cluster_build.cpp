// paxos_cluster_build.cpp — compiles the exercise's cluster driver (paxos_cluster.cpp, also linked
// into paxos_sim) into the suite, so the suite and `paxos_sim --seed S` run the very same schedules.
#include "paxos_cluster.cpp"
