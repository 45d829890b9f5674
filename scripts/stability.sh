#!/usr/bin/env bash
# stability.sh — runs exercises' reference suites RUNS times each, every run of a test in its own process and
# its own temporary folder (as the moulinette does), and prints per test the failures out of RUNS.
# A test that fails even once makes the matrix depend on luck: fix it. Exit 1 when any test failed.
#   usage: scripts/stability.sh "EX [EX ...]" [RUNS] [BUILD]    (make stability EX=ex00_echo RUNS=50)
#   ONLY="test_a test_b" limits the run to those tests (make stability ... ONLY="...").
#   JOBS=N runs N runs of a test at once (default 1: one after the other). As root, each run also gets its own
#   network and IPC namespaces, as in the grader's sandbox, so parallel runs of one test cannot meet
#   on a port or a System V key; the load of the others is part of the test.
# Tests with "san" in spec.json run against BUILD-<san> when it was built (make SAN=<san>), else BUILD.
set -u
EXES=${1:?usage: stability.sh "EX [EX ...]" [RUNS] [BUILD]}
RUNS=${2:-50}
root=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${3:-$root/build}
JOBS=${JOBS:-1}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A private loopback needs root (unshare, then lo up); elsewhere the runs share the host's network.
isolate=()
if [ "$(id -u)" = 0 ] && unshare --net --ipc true 2>/dev/null; then
    printf '#!/bin/sh\nip link set lo up && exec "$@"\n' >"$work/lo-up" && chmod +x "$work/lo-up"
    isolate=(unshare --net --ipc "$work/lo-up")
fi

# run_one NAME TIMEOUT BUILD BIN EX I: one run; leaves $work/res/NAME.I holding "ok" or the first failure line.
run_one() {
    local name=$1 tmo=$2 build=$3 bin=$4 ex=$5 i=$6
    local d=$work/run/$name.$i
    mkdir -p "$d"
    (cd "$d" && HOME=$d TMPDIR=$d NO_COLOR=1 NETLAB_BIN_DIR=$build/bin \
        timeout -k 5 "$tmo" "${isolate[@]}" "$bin" --test "$name" >"$d/log" 2>&1)
    local rc=$?
    if [ $rc = 0 ]; then
        echo ok >"$work/res/$name.$i"
    else
        local why
        why=$(grep -m1 -E '^ERROR: |\[  ERROR   \] --- |Sanitizer|error: ' "$d/log")
        [ -n "$why" ] || why="exit $rc: $(tail -n 1 "$d/log")"
        echo "run $i: ${why:0:120}" >"$work/res/$name.$i"
        cp "$d/log" "$work/fail-$name.$i.log"
    fi
    rm -rf "$d"
}

total_fail=0
for EX in $EXES; do
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
    ex_fail=0 ex_start=$(date +%s)
    echo "== $EX: $RUNS runs of each test, $JOBS at once"
    printf '%-40s %9s  %s\n' test failures "first failure"
    while read -r name tmo san; do
        if [ -n "${ONLY:-}" ] && [[ " $ONLY " != *" $name "* ]]; then continue; fi
        build=$BUILD
        [ "$san" != - ] && [ -x "${BUILD}-$san/tests/$EX/run_tests" ] && build=${BUILD}-$san
        bin=$build/tests/$EX/run_tests
        [ -x "$bin" ] || { echo "stability: $bin is not built (make -C $EX)" >&2; exit 2; }
        rm -rf "$work/res" "$work/run" && mkdir -p "$work/res" "$work/run"
        start=$(date +%s)
        for i in $(seq "$RUNS"); do
            while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n; done
            run_one "$name" "$tmo" "$build" "$bin" "$EX" "$i" &
        done
        wait
        fails=$(grep -L '^ok$' "$work"/res/* 2>/dev/null | wc -l)
        missing=$((RUNS - $(ls "$work/res" | wc -l)))
        fails=$((fails + missing))
        first=""
        if [ "$fails" -gt 0 ]; then
            first=$(grep -vh '^ok$' "$work"/res/* 2>/dev/null | sort -t' ' -k2 -n | head -1)
            log=$(ls "$work"/fail-"$name".*.log 2>/dev/null | head -1)
            [ -n "$log" ] && cp "$log" "$root/build/stability-$(echo "$EX" | tr / _)-$name.log" 2>/dev/null
        fi
        ex_fail=$((ex_fail + fails))
        printf '%-40s %4d/%-4d %s  (%ss)\n' "$name" "$fails" "$RUNS" "$first" "$(( $(date +%s) - start ))"
    done <<<"$tests"
    echo "stability: $EX, $RUNS runs of each test: $ex_fail failure(s) ($(( $(date +%s) - ex_start )) s)"
    total_fail=$((total_fail + ex_fail))
done
[ "$total_fail" = 0 ]
