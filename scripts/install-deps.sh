#!/usr/bin/env bash
# install-deps.sh — installs the Debian 12 packages of scripts/debian-packages.txt (build, tests, peers).
# Non-interactive; uses sudo when not run as root. Safe to run again: apt-get skips what is there.
set -euo pipefail
PACKAGES=($(sed 's/#.*//' "$(dirname "$0")/debian-packages.txt"))
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
