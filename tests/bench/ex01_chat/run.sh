#!/bin/bash
# run.sh — one ex01_chat bench run: chat_server (epoll, then io_uring) and redis-server, each on a
# free loopback port, driven by the same tools; prints the figures and the ratios to Redis.
# RLIMIT_NOFILE: 10,000 clients need 10,000 fds in the server AND in the load tool. This script
# raises its soft limit to the hard one (inherited by both); chat_server also raises its own and
# lowers --max-clients to fit. If the hard limit is too low: `ulimit -Hn 20000` as root first.
set -u
LG=$BIN/nl_loadgen
FO=$BIN/chat_fanout
command -v redis-server >/dev/null || { echo "redis-server not found: apt-get install redis-server"; exit 1; }
ulimit -n "$(ulimit -Hn)" 2>/dev/null
NOFILE=$(ulimit -n)
if [ "$NOFILE" != unlimited ] && [ "$NOFILE" -lt $((CLIENTS + 64)) ]; then
    echo "RLIMIT_NOFILE is $NOFILE: $CLIENTS clients need $((CLIENTS + 64)) (raise the hard limit as root)"; exit 1
fi
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 1 500); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.01; done; return 1; }

start_chat() {  # start_chat BACKEND: sets PID PORT
    local out; out=$(mktemp)
    NETLAB_LOG=warn "$BIN/chat_server" --port 0 --backend "$1" --max-clients $((CLIENTS + 16)) --rate 0 \
        --grace-ms 0 >"$out" &
    PID=$!
    for _ in $(seq 1 500); do grep -q "^listening on" "$out" && break; sleep 0.01; done
    PORT=$(sed -n '1s/.*://p' "$out"); rm -f "$out"
    [ -n "$PORT" ] || { echo "chat_server --backend $1 did not start"; exit 1; }
}
start_redis() {
    PORT=$(free_port)
    redis-server --port "$PORT" --bind 127.0.0.1 --save "" --appendonly no --maxclients $((CLIENTS + 16)) \
        --daemonize no --loglevel warning >/dev/null 2>&1 &
    PID=$!
    wait_port "$PORT" || { echo "redis-server did not start"; exit 1; }
}
. "$(dirname "$0")/../server_cost.sh"  # perf_start, perf_stop NAME: CPU SYSC URQ of the server $PID
stop() { kill -TERM "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; }
field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<" $2"; }

declare -A HOLD FAN CPU SYSC URQ TCPU
TOUT=$(mktemp); trap 'rm -f "$TOUT"' EXIT
hold() {  # hold NAME REQUEST: CLIENTS connections, each one request in flight, SECS seconds
    perf_start
    tool "$LG" --port "$PORT" --conns "$CLIENTS" --depth 1 --secs "$SECS" --request "$2" >"$TOUT" 2>&1
    HOLD[$1]=$(tail -1 "$TOUT")
    perf_stop "$1"
    TCPU[$1]=$TOOLCPU
}
fan() {  # fan NAME PROTO
    perf_start
    tool "$FO" --proto "$2" --port "$PORT" --subs "$SUBS" --msgs "$MSGS" --size "$SIZE" >"$TOUT" 2>&1
    FAN[$1]=$(tail -1 "$TOUT")
    perf_stop "f$1"
    TCPU[f$1]=$TOOLCPU
}

echo "ex01_chat bench: $(nproc) CPUs, RLIMIT_NOFILE $NOFILE; hold $CLIENTS clients x ${SECS}s (nl_loadgen);"
echo "fan-out: $SUBS members x $MSGS messages of $SIZE bytes (chat_fanout, publisher window 32)"
for be in epoll uring; do
    start_chat $be; hold chat_$be '{"type":"list_rooms"}\n'; stop
    start_chat $be; fan chat_$be chat; stop
done
start_redis; hold redis 'PING\r\n'; stop
start_redis; fan redis redis; stop

printf '\n%-20s %7s %9s %8s %8s %6s %6s %8s %8s %8s %9s\n' "hold $CLIENTS clients" served "req/s" p50_us p99_us \
    "/redis" "/epoll" cpu_ms "sys/req" "uring/req" tool_cpu
for n in chat_epoll chat_uring redis; do
    l=${HOLD[$n]}; r=$(field rps "$l"); b=$(field rps "${HOLD[redis]}"); e=$(field rps "${HOLD[chat_epoll]}")
    [ -n "$r" ] || { echo "$n: $l"; continue; }
    q=$(field requests "$l")
    printf '%-20s %7s %9s %8s %8s %6s %6s %8s %8s %8s %9s\n' "$n" "$(field served "$l")" "$r" "$(field p50_us "$l")" \
        "$(field p99_us "$l")" "$(per "$r" "$b")" "$(per "$r" "$e")" "${CPU[$n]:--}" "$(per "${SYSC[$n]:-}" "$q")" \
        "$(per "${URQ[$n]:-}" "$q")" "${TCPU[$n]:--}"
done
printf '\n%-20s %12s %7s %6s %6s %8s %10s %10s %9s\n' "fan-out to $SUBS" "deliveries/s" secs "/redis" "/epoll" cpu_ms \
    "sys/1k del" "uring/1k" tool_cpu
for n in chat_epoll chat_uring redis; do
    l=${FAN[$n]}; r=$(field deliveries_per_s "$l"); b=$(field deliveries_per_s "${FAN[redis]}")
    e=$(field deliveries_per_s "${FAN[chat_epoll]}")
    [ -n "$r" ] || { echo "$n: $l"; continue; }
    d=$(field deliveries "$l")
    printf '%-20s %12s %7s %6s %6s %8s %10s %10s %9s\n' "$n" "$r" "$(field secs "$l")" "$(per "$r" "$b")" "$(per "$r" "$e")" \
        "${CPU[f$n]:--}" "$(per "${SYSC[f$n]:-}" "$d" 1000)" "$(per "${URQ[f$n]:-}" "$d" 1000)" "${TCPU[f$n]:--}"
done
echo "cpu_ms: the server's user+sys while the load ran ($CLIENTS connects included); sys/req: its system calls"
echo "per request (perf raw_syscalls:sys_enter; connects and closes included); uring/req: io_uring requests"
echo "submitted per request; tool_cpu: the load tool's user+sys (ms). Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "(chat_server runs with --rate 0: the bonus rate limit of 10 messages/s per user would throttle the publisher)"
