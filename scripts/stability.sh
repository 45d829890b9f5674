#!/usr/bin/env bash
# stability.sh — runs an exercise's reference suite RUNS times in a row, each test in its own process
# and its own temporary folder (as the moulinette does), and prints per test the failures out of RUNS.
# A test that fails even once makes the matrix depend on luck: fix it. Exit 1 when any test failed.
#   usage: scripts/stability.sh EX [RUNS] [BUILD]     (make stability EX=ex00_echo RUNS=50)
#   ONLY="test_a test_b" limits the run to those tests (make stability ... ONLY="...").
# Tests with "san" in spec.json run against BUILD-<san> when it was built (make SAN=<san>), else BUILD.
set -u
EX=${1:?usage: stability.sh EX [RUNS] [BUILD]}
RUNS=${2:-50}
root=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${3:-$root/build}
spec=$root/$EX/spec.json
[ -f "$spec" ] || { echo "stability: no $EX/spec.json (EX is an exercise id, e.g. ex00_echo)" >&2; exit 2; }
# name timeout san, one test a line (bonus tests included)
tests=$(python3 - "$spec" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
for t in s["tests"] + s.get("bonus_tests", []):
    print(t["name"], t.get("timeout_s", s.get("timeout_s", 30)), t.get("san", "-"))
PY
) || exit 2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
total_fail=0
printf '%-40s %8s  %s\n' test failures "first failure"
while read -r name tmo san; do
    if [ -n "${ONLY:-}" ] && [[ " $ONLY " != *" $name "* ]]; then continue; fi
    build=$BUILD
    [ "$san" != - ] && [ -x "${BUILD}-$san/tests/$EX/run_tests" ] && build=${BUILD}-$san
    bin=$build/tests/$EX/run_tests
    [ -x "$bin" ] || { echo "stability: $bin is not built (make -C $EX)" >&2; exit 2; }
    fails=0 first=""
    start=$(date +%s)
    for i in $(seq "$RUNS"); do
        d=$work/$name.$i
        mkdir -p "$d"
        if ! (cd "$d" && HOME=$d TMPDIR=$d NO_COLOR=1 NETLAB_BIN_DIR=$build/bin \
                timeout -k 5 "$tmo" "$bin" --test "$name" >"$d/log" 2>&1); then
            fails=$((fails + 1))
            if [ -z "$first" ]; then
                first="run $i: $(grep -m1 -E '^ERROR: |\[  ERROR   \] --- |Sanitizer' "$d/log" | cut -c1-120)"
                cp "$d/log" "$work/../stability-$(echo "$EX" | tr / _)-$name.log" 2>/dev/null
            fi
        fi
        rm -rf "$d"
    done
    total_fail=$((total_fail + fails))
    printf '%-40s %4d/%-4d %s  (%ss)\n' "$name" "$fails" "$RUNS" "$first" "$(( $(date +%s) - start ))"
done <<<"$tests"
echo "stability: $EX, $RUNS runs of each test: $total_fail failure(s)"
[ "$total_fail" = 0 ]
