#!/usr/bin/env bash
# sancheck.sh — every reference suite under ASan+LeakSanitizer+UBSan (one build, SAN=address+undefined),
# the concurrent ones under TSan (SAN=thread), and the unit tests of common/ and of the grader in both
# builds. No mutants: `moulinette validate --references` of the sanitizer build grades the references,
# every test against that build, and fails a test on any sanitizer report in its log (servers' too).
# Prints one line per failure naming the exercise, the test and the sanitizer; exit 1 on any failure.
#   usage: scripts/sancheck.sh            (make sancheck [SANCHECK_ASAN="ex..."] [SANCHECK_TSAN="ex..."])
#   SANCHECK_ASAN / SANCHECK_TSAN: the exercises of each pass (default: all / the concurrent ones);
#   SANCHECK_STEPS: which steps run (default "asan tsan"); JOBS: grading slots (default: twice the cores).
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=${SANCHECK_OUT:-$root/build/sancheck}
mkdir -p "$out"
rm -f "$out"/*.json "$out"/*.fail
jobs=${JOBS:-$(( 2 * $(nproc) ))}
# Threads or servers with threads: the suites TSan has something to look at in (README, "make sancheck").
tsan_default="ex00_echo ex01_chat ex02_ws ex03_booking exercises_5_4/ex01_consistent_hash exercises_5_4/ex05_distributed_lock
exercises_5_4/ex07_tracing_context exercises_5_4/ex08_grpc_service exercises_5_4/ex09_service_registry
exercises_5_4/ex13_openraft_node exercises_5_4/ex16_tonic_grpc exercises_5_4/ex29_service_discovery_ops"
asan_list=${SANCHECK_ASAN:-}
tsan_list=${SANCHECK_TSAN:-$tsan_default}
# LeakSanitizer on (ASan's default on Linux, said again); reports go to the test's log, which the grader reads.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# One file of suppressions for uninstrumented libraries, each entry with its reason (scripts/tsan.supp).
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=0:second_deadlock_stack=1:suppressions=$root/scripts/tsan.supp}

step() {   # step SAN NAME COMMAND...: runs it, records a failure line
    local san=$1 name=$2
    shift 2
    local t0=$(date +%s)
    echo "sancheck: [$san] $name ..."
    "$@" >"$out/$san-$name.log" 2>&1
    local rc=$?
    echo "sancheck: [$san] $name: exit $rc ($(( $(date +%s) - t0 )) s; log $out/$san-$name.log)"
    [ $rc = 0 ] || echo "$name (exit $rc, see $out/$san-$name.log)" >>"$out/$san.fail"
}

run_pass() {   # run_pass SAN "EXERCISES" : build, unit tests, references
    local san=$1 list=$2 b=$root/build-$1
    local exes=$list
    [ -z "$exes" ] && exes=$(ls -d ex*/spec.json exercises_5_4/*/spec.json | sed 's|/spec.json||')
    # shellcheck disable=SC2086
    if ! make --no-print-directory -j2 SAN="$san" libs moulinette-bin unit-tests-bin $exes >"$out/$san-build.log" 2>&1; then
        echo "build (see $out/$san-build.log: $(grep -m1 -E 'error|Error' "$out/$san-build.log"))" >>"$out/$san.fail"
        return
    fi
    step "$san" common-unit-tests "$b/tests/common/run_tests"
    step "$san" moulinette-check make --no-print-directory -C tests/moulinette SAN="$san" NETLAB_PREBUILT=1 check
    # shellcheck disable=SC2086
    step "$san" references "$b/bin/moulinette" validate --references --jobs "$jobs" --json "$out/$san.json" $list
    # ex02's suite on its io_uring backend (ex01's runs both backends in every test).
    case " $exes " in *" ex02_ws "*)
        NETLAB_WS_BACKEND=uring step "$san" ex02-uring "$b/bin/moulinette" validate --references --jobs "$jobs" \
            --json "$out/$san-ex02-uring.json" ex02_ws ;;
    esac
}

steps=${SANCHECK_STEPS:-asan tsan}
case " $steps " in *" asan "*) run_pass address+undefined "$asan_list" ;; esac
case " $steps " in *" tsan "*) run_pass thread "$tsan_list" ;; esac

# The summary: every failed test of every report, then the steps that failed.
python3 - "$out" <<'PY'
import glob, json, os, sys
out = sys.argv[1]
lines = []
for path in sorted(glob.glob(os.path.join(out, "*.json"))):
    name = os.path.basename(path)[:-5]
    san = "thread" if name.startswith("thread") else "address+undefined"
    extra = " (io_uring backend)" if "uring" in name else ""
    for ex in json.load(open(path)).get("exercises", []):
        for key in ("reference", "bonus_reference"):
            ref = ex.get(key)
            if not ref: continue
            if ref.get("build_error"):
                lines.append(f"{ex['id']}: {key} does not build [{san}]{extra}: {ref['build_error'].splitlines()[0]}")
            for t in ref.get("tests", []):
                if not t["passed"]:
                    lines.append(f"{ex['id']} {t['name']} [{san}]{extra}: {t.get('detail', '')[:300]}")
for f in sorted(glob.glob(os.path.join(out, "*.fail"))):
    san = os.path.basename(f)[:-5]
    for l in open(f):
        lines.append(f"step {l.strip()} [{san}]")
for l in lines: print("sancheck: FAIL", l)
print(f"sancheck: {len(lines)} failure(s)")
sys.exit(1 if lines else 0)
PY
