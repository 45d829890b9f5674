// shard_env.cpp — reads the job runner's variables for --shard auto (see shard_env.h).
#include "shard_env.h"

#include <cerrno>
#include <cstdlib>

static bool number(const char *name, long *out)
{
    const char *v = getenv(name);
    if (!v || !*v) return false;
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || *end) return false;
    *out = x;
    return true;
}

static int check(long index, long count, const std::string &vars, int *i, int *n, std::string *err)
{
    if (count < 1 || index < 1 || index > count) {
        *err = vars + " give shard " + std::to_string(index) + " of " + std::to_string(count) +
               ", which is not in 1.." + std::to_string(count);
        return -1;
    }
    *i = (int)index;
    *n = (int)count;
    return 0;
}

int mt_shard_from_env(int *index, int *count, std::string *err)
{
    long id, n, lo, hi;
    if (number("JOB_COMPLETION_INDEX", &id)) {
        if (!number("JOB_COMPLETIONS", &n)) {
            *err = "JOB_COMPLETION_INDEX is set but JOB_COMPLETIONS is not: set it in the Job's pod template to "
                   "spec.completions (see tests/moulinette/farm/k8s-indexed-job.yaml)";
            return -1;
        }
        return check(id + 1, n, "JOB_COMPLETION_INDEX and JOB_COMPLETIONS", index, count, err);
    }
    if (number("SLURM_ARRAY_TASK_ID", &id)) {
        if (!number("SLURM_ARRAY_TASK_MIN", &lo)) lo = 0;
        if (number("SLURM_ARRAY_TASK_COUNT", &n)) return check(id - lo + 1, n, "SLURM_ARRAY_TASK_ID/_MIN/_COUNT", index, count, err);
        if (number("SLURM_ARRAY_TASK_MAX", &hi)) return check(id - lo + 1, hi - lo + 1, "SLURM_ARRAY_TASK_ID/_MIN/_MAX", index, count, err);
        *err = "SLURM_ARRAY_TASK_ID is set but neither SLURM_ARRAY_TASK_COUNT nor SLURM_ARRAY_TASK_MAX is";
        return -1;
    }
    if (number("CI_NODE_INDEX", &id)) {
        if (!number("CI_NODE_TOTAL", &n)) {
            *err = "CI_NODE_INDEX is set but CI_NODE_TOTAL is not";
            return -1;
        }
        return check(id, n, "CI_NODE_INDEX and CI_NODE_TOTAL", index, count, err);
    }
    if (number("NETLAB_SHARD_INDEX", &id)) {
        if (!number("NETLAB_SHARD_COUNT", &n)) {
            *err = "NETLAB_SHARD_INDEX is set but NETLAB_SHARD_COUNT is not";
            return -1;
        }
        return check(id, n, "NETLAB_SHARD_INDEX and NETLAB_SHARD_COUNT", index, count, err);
    }
    *err = "no job runner index found (JOB_COMPLETION_INDEX, SLURM_ARRAY_TASK_ID, CI_NODE_INDEX or NETLAB_SHARD_INDEX)";
    return -1;
}
