#!/bin/bash
# run.sh — one ex02_ws bench run: each server on a free loopback port, driven by ws_load, stopped,
# then the table. Peers: python3-websockets (Debian) and npm ws on node (when installed).
set -u
LOAD=$BIN/ws_load
ulimit -n "$(ulimit -Hn)" 2>/dev/null
HERE=$(cd "$(dirname "$0")" && pwd)

start() {  # start CMD...: sets PID PORT from the "listening on" line
    local out; out=$(mktemp)
    NETLAB_LOG=warn "$@" >"$out" 2>/dev/null &
    PID=$!
    for _ in $(seq 1 1000); do grep -q "^listening on" "$out" && break; sleep 0.01; done
    PORT=$(sed -n '1s/.*://p' "$out"); rm -f "$out"
    [ -n "$PORT" ] || { echo "could not start: $*"; PID=; }
}
stop() { [ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null; [ -n "$PID" ] && wait "$PID" 2>/dev/null; PID=; }

. "$HERE/../server_cost.sh"  # perf_start, perf_stop NAME: CPU SYSC URQ of the server $PID
declare -A RATE P50 CPU SYSC URQ TCPU
TOUT=$(mktemp); trap 'rm -f "$TOUT"' EXIT
measure() {  # measure NAME
    local name=$1
    for mode in echo room; do
        for c in $CONNS; do
            perf_start
            tool "$LOAD" --port "$PORT" --mode $mode --conns "$c" --secs "$SECS" >"$TOUT" 2>&1
            perf_stop "$name,$mode,$c"
            TCPU[$name,$mode,$c]=$TOOLCPU
            local line; line=$(tail -1 "$TOUT")
            RATE[$name,$mode,$c]=$(sed -n 's/.* rate=\([0-9]*\).*/\1/p' <<<"$line")
            P50[$name,$mode,$c]=$(sed -n 's/.* p50_us=\([0-9]*\).*/\1/p' <<<"$line")
            [ -n "${RATE[$name,$mode,$c]}" ] || echo "  $name $mode $c: $line"
        done
    done
}

SERVERS="epoll uring python"
echo "ex02_ws bench: $SECS s per point, $(nproc) CPUs, load generator ws_load (1 thread, epoll), 32-byte echo messages, room window 16"
start "$BIN/ws_server" --port 0 --backend epoll --max-room 100000; measure epoll; stop
start "$BIN/ws_server" --port 0 --backend uring --max-room 100000; measure uring; stop
start /usr/bin/python3 "$HERE/peer_py.py"; measure python; stop
if [ -d "${NODE_PATH:-}/ws" ] && command -v node >/dev/null; then
    SERVERS="$SERVERS node"
    NODE_PATH=$NODE_PATH start node "$HERE/peer_node.js"; measure node; stop
else
    echo "(npm ws not installed: node peer skipped)"
fi

ratio() { [ "${2:-0}" -gt 0 ] 2>/dev/null && awk -v a="${1:-0}" -v b="$2" 'BEGIN{printf "%.2fx", a/b}' || echo "-"; }
printf '\n%-24s %-26s %6s %10s %9s %9s %9s %9s %8s %9s %9s %9s\n' server metric conns rate p50_us "vs py" "vs node" \
    "vs epoll" cpu_ms "sys/op" "uring/op" tool_cpu
for name in $SERVERS; do
    case $name in epoll) label="ws_server (epoll)";; uring) label="ws_server (io_uring)";;
                  python) label="python3-websockets";; node) label="node ws";; esac
    for mode in echo room; do
        metric="round trips/s"; [ $mode = room ] && metric="broadcast deliveries/s"
        for c in $CONNS; do
            r=${RATE[$name,$mode,$c]:-0}
            k=$name,$mode,$c
            ops=$(awk -v r="$r" -v s="$SECS" 'BEGIN { printf "%d", r * s }')  # round trips or deliveries
            printf '%-24s %-26s %6s %10s %9s %9s %9s %9s %8s %9s %9s %9s\n' "$label" "$metric" "$c" "$r" "${P50[$k]:-}" \
                "$(ratio "$r" "${RATE[python,$mode,$c]:-0}")" "$(ratio "$r" "${RATE[node,$mode,$c]:-0}")" \
                "$(ratio "$r" "${RATE[epoll,$mode,$c]:-0}")" "${CPU[$k]:--}" "$(per "${SYSC[$k]:-}" "$ops")" \
                "$(per "${URQ[$k]:-}" "$ops")" "${TCPU[$k]:--}"
        done
    done
done
echo "cpu_ms: the server's user+sys during that point; sys/op and uring/op: its system calls (perf"
echo "raw_syscalls:sys_enter) and io_uring requests per round trip or delivery (rate x $SECS s; connects included);"
echo "tool_cpu: ws_load's user+sys (ms)."
echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
