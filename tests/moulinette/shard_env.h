// shard_env.h — `--shard auto`: this job's shard from the variables a job runner sets, so one
// command line serves every task of a Kubernetes Indexed Job, a Slurm array or a CI matrix.
#pragma once
#include <string>

// Sets *index (from 1) and *count, or returns -1 with a message naming what is missing. Looked up in
// order: JOB_COMPLETION_INDEX (from 0) + JOB_COMPLETIONS (Kubernetes sets the index; the Job passes
// its completions count in the pod's env); SLURM_ARRAY_TASK_ID + SLURM_ARRAY_TASK_COUNT, or
// SLURM_ARRAY_TASK_MIN/_MAX (the index counts from _MIN); CI_NODE_INDEX (from 1) + CI_NODE_TOTAL
// (GitLab parallel); NETLAB_SHARD_INDEX (from 1) + NETLAB_SHARD_COUNT (anything else, e.g. a matrix).
int mt_shard_from_env(int *index, int *count, std::string *err);
