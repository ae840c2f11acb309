#!/usr/bin/env bash
# Installs the Debian 12 packages meterdesk needs, only those missing (fast when nothing is).
# Usage: scripts/deps.sh [build|test|bench]
set -euo pipefail
mode=${1:-build}

packages=(
  build-essential cmake ninja-build ccache pkg-config git ca-certificates tzdata
  libboost-dev libboost-system-dev nlohmann-json3-dev libhowardhinnant-date-dev
  libsodium-dev libssl-dev libspdlog-dev libfmt-dev libcli11-dev libtomlplusplus-dev
  prometheus-cpp-dev libsqlite3-dev sqlite3 libpq-dev zlib1g-dev curl libcurl4-openssl-dev libkainjow-mustache-dev
  libeigen3-dev liblinphone-dev libmediastreamer-dev libspandsp-dev espeak-ng espeak-ng-data sox libsox-fmt-base
)
case "$mode" in
  test) packages+=(libgtest-dev libgmock-dev libbenchmark-dev clang-format clang-tidy chromium lintian systemd dpkg-dev clang-14 libclang-rt-14-dev wrk sqlmap sip-tester baresip postgresql haproxy python3 libxml2-utils) ;;
  bench) packages+=(libgtest-dev libgmock-dev libbenchmark-dev wrk postgresql) ;;
esac

# The browser tests need Node.js with npm; a machine that has them (e.g. from NodeSource) keeps them.
if [[ "$mode" == test ]] && ! command -v npm >/dev/null; then packages+=(nodejs npm); fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "installing: ${missing[*]}"
sudo=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "run as root or install sudo" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
