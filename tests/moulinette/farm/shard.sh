#!/usr/bin/env bash
# shard.sh — one task of a grading farm: grades this task's shard of the batch (--shard auto reads the
# job runner's index, see ../README.md) and writes $NETLAB_REPORTS/shard-<index>.json.
#   NETLAB_FARM_ARGS  the batch: "validate" (default: the whole pack), "validate EX ...", "grade EX DIR ..."
#   NETLAB_REPORTS    the folder every task and the merge share (default: build/farm)
#   NETLAB_FARM_JOBS  --jobs (default: the core count)
# Exit 0 once the report is written, whatever it says (the verdict is the merge's); 2 when grading failed.
set -uo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
reports=${NETLAB_REPORTS:-$root/build/farm}
M=$root/build/bin/moulinette
[ -x "$M" ] || make -C "$root" --no-print-directory moulinette-bin >&2 || exit 2
# The report's name: the runner's own index, so a retried task overwrites its earlier try.
index=${JOB_COMPLETION_INDEX:-${SLURM_ARRAY_TASK_ID:-${CI_NODE_INDEX:-${NETLAB_SHARD_INDEX:-}}}}
[ -n "$index" ] || { echo "shard.sh: no job runner index in the environment (see tests/moulinette/README.md)" >&2; exit 2; }
mkdir -p "$reports" || exit 2
cd "$root" || exit 2
# shellcheck disable=SC2086  # NETLAB_FARM_ARGS is a word list on purpose
"$M" ${NETLAB_FARM_ARGS:-validate} --shard auto --jobs "${NETLAB_FARM_JOBS:-$(nproc)}" --json "$reports/shard-$index.json.tmp"
rc=$?
[ $rc -le 1 ] && mv "$reports/shard-$index.json.tmp" "$reports/shard-$index.json" || exit 2
echo "shard.sh: wrote $reports/shard-$index.json (grader exit $rc)"
