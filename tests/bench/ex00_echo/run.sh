#!/bin/bash
# run.sh — one bench run: starts each server on a free loopback port, drives it with nl_loadgen,
# stops it, and prints the table. Redis is started here with persistence off and stopped after.
set -u
LG=$BIN/nl_loadgen
command -v redis-server >/dev/null || { echo "redis-server not found: apt-get install redis-server"; exit 1; }
ulimit -n "$(ulimit -Hn)" 2>/dev/null
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 1 500); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.01; done; return 1; }

start_echo() {  # start_echo ARGS...: sets PID PORT
    local out; out=$(mktemp)
    NETLAB_LOG=warn "$BIN/echo_server" --port 0 "$@" >"$out" 2>/dev/null &
    PID=$!
    for _ in $(seq 1 500); do grep -q "^listening on" "$out" && break; sleep 0.01; done
    PORT=$(sed -n '1s/.*://p' "$out"); rm -f "$out"
}
start_redis() {
    PORT=$(free_port)
    redis-server --port "$PORT" --bind 127.0.0.1 --save "" --appendonly no --maxclients 4000 \
        --daemonize no --loglevel warning >/dev/null 2>&1 &
    PID=$!
    wait_port "$PORT" || { echo "redis-server did not start"; exit 1; }
}
stop() { kill -TERM "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; }

declare -A RPS P50 P99 SERVED
measure() {  # measure NAME REQUEST
    local name=$1 req=$2
    for c in $CONNS; do
        local line; line=$("$LG" --port "$PORT" --conns "$c" --depth "$DEPTH" --secs "$SECS" --request "$req" 2>&1 | tail -1)
        RPS[$name,$c]=$(sed -n 's/.* rps=\([0-9]*\).*/\1/p' <<<"$line")
        P50[$name,$c]=$(sed -n 's/.* p50_us=\([0-9]*\).*/\1/p' <<<"$line")
        P99[$name,$c]=$(sed -n 's/.* p99_us=\([0-9]*\).*/\1/p' <<<"$line")
        SERVED[$name,$c]=$(sed -n 's/.* served=\([0-9]*\).*/\1/p' <<<"$line")
        [ -n "${RPS[$name,$c]}" ] || echo "  $name at $c connections: $line"
    done
}

echo "ex00_echo bench: $SECS s per point, pipelining depth $DEPTH, $(nproc) CPUs, load generator nl_loadgen (1 thread, epoll)"
start_redis;                       measure redis 'PING\r\n';   stop
start_echo;                        measure threads 'hello\n';  stop
start_echo --pool "$POOL" --queue 1024; measure pool 'hello\n'; stop

printf '\n%-26s %6s %8s %10s %8s %8s %9s\n' server conns served "req/s" p50_us p99_us "vs redis"
for name in redis threads pool; do
    label=$name; [ $name = redis ] && label="redis-server (PING)"
    [ $name = threads ] && label="echo_server (thread/conn)"; [ $name = pool ] && label="echo_server --pool $POOL"
    for c in $CONNS; do
        r=${RPS[$name,$c]:-0}; base=${RPS[redis,$c]:-0}
        ratio=$(awk -v a="$r" -v b="$base" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
        printf '%-26s %6s %8s %10s %8s %8s %9s\n' "$label" "$c" "${SERVED[$name,$c]:--}" "$r" "${P50[$name,$c]:--}" "${P99[$name,$c]:--}" "$ratio"
    done
done
echo "(served = connections that got at least one reply: a pool of $POOL workers serves at most $POOL at once)"
