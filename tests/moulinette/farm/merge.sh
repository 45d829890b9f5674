#!/usr/bin/env bash
# merge.sh — the farm's last step: joins every $NETLAB_REPORTS/shard-*.json into merged.json,
# merged.xml (JUnit) and merged.html, prints the unsharded run's tables and exits with its verdict
# (moulinette merge refuses a missing, doubled or foreign shard, naming the files).
set -uo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
reports=${NETLAB_REPORTS:-$root/build/farm}
M=$root/build/bin/moulinette
[ -x "$M" ] || make -C "$root" --no-print-directory moulinette-bin >&2 || exit 2
shopt -s nullglob
shards=("$reports"/shard-*.json)
[ ${#shards[@]} -gt 0 ] || { echo "merge.sh: no shard report in $reports" >&2; exit 2; }
exec "$M" merge "${shards[@]}" --json "$reports/merged.json" --junit "$reports/merged.xml" --html "$reports/merged.html"
