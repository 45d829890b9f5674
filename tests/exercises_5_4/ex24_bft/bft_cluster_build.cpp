// bft_cluster_build.cpp — compiles the exercise's cluster driver (bft_cluster.cpp, also linked into
// bft_sim) into the suite, so the suite and `bft_sim --seed S` run the very same schedules.
#include "bft_cluster.cpp"
