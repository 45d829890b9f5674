# server_cost.sh — sourced by the bench scripts: the server's own cost beside its throughput.
# perf_start, then perf_stop NAME after the load: CPU[NAME] (user+sys ms of process $PID, since
# perf_start) and, where perf can read tracepoints, SYSC[NAME] (its system calls) and URQ[NAME]
# (io_uring requests it submitted) while the load ran. The caller declares CPU SYSC URQ (declare -A).
TICK=$(getconf CLK_TCK)
PERF=0; perf stat -e raw_syscalls:sys_enter true >/dev/null 2>&1 && PERF=1
cpu_ms() { awk -v t="$TICK" '{ printf "%d", ($14 + $15) * 1000 / t }' "/proc/$PID/stat" 2>/dev/null; }
perf_start() {
    PERFOUT=$(mktemp)
    CPU0=$(cpu_ms)
    [ $PERF = 1 ] || return 0
    perf stat -x, -e raw_syscalls:sys_enter -e io_uring:io_uring_submit_req -p "$PID" -o "$PERFOUT" 2>/dev/null &
    PERFPID=$!
    sleep 0.2  # attached before the load starts
}
perf_stop() {
    CPU[$1]=$(( $(cpu_ms) - CPU0 ))
    if [ $PERF = 1 ]; then
        kill -INT "$PERFPID" 2>/dev/null; wait "$PERFPID" 2>/dev/null
        SYSC[$1]=$(awk -F, '/raw_syscalls:sys_enter/ { print $1 }' "$PERFOUT")
        URQ[$1]=$(awk -F, '/io_uring_submit_req/ { print $1 }' "$PERFOUT")
    fi
    rm -f "$PERFOUT"
}
# tool CMD...: runs the load tool, its CPU (user+sys ms) in TOOLCPU (the tool shares the cores: when it
# needs as much CPU as the server, the tool, not the server, sets the rate)
tool() {
    local t; t=$(mktemp)
    /usr/bin/time -f "%U %S" -o "$t" "$@"
    TOOLCPU=$(awk 'END { printf "%d", ($1 + $2) * 1000 }' "$t"); rm -f "$t"
}
# per A B [K]: A*K/B with two decimals, "-" when A is unknown or B is 0
per() { awk -v a="$1" -v b="$2" -v k="${3:-1}" 'BEGIN { if (a != "" && b > 0) printf "%.2f", a * k / b; else print "-" }'; }
