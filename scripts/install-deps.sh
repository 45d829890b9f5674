#!/usr/bin/env bash
# install-deps.sh — installs the Debian 12 packages netlab needs (build, tests, real peers).
# Non-interactive; uses sudo when not run as root. Safe to run again: apt-get skips what is there.
set -euo pipefail
PACKAGES=(
    build-essential pkg-config make patch binutils git ca-certificates
    libcmocka-dev libjansson-dev liburing-dev libssl-dev   # netlab's own libraries
    clang libclang-rt-14-dev                                # libFuzzer and sanitizers (make fuzz)
    python3 python3-websockets                              # an independent WebSocket client/server
    chromium                                                # the browser test of ex02_ws
    redis-server                                            # the peer of the ex00/ex01 benchmarks
    procps iproute2 netcat-openbsd                          # pgrep/ps for the tests, nc for the READMEs
)
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: every package is already installed"
    exit 0
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
