// rd_cluster_build.cpp — compiles the exercise's cluster driver (rd_cluster.cpp, also linked into
// raft_deep_sim) into the suite, so the suite and `raft_deep_sim --seed S` run the same schedules.
#include "rd_cluster.cpp"
