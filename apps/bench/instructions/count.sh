#!/usr/bin/env bash
# Instructions per unit of work, counted by valgrind's callgrind: deterministic to about
# 0.1 % run to run (V8 in --predictable mode: no concurrent compiler or GC threads), so a
# change of 1 % shows, where wall-clock runs on a shared 2-core machine move by 15 %.
# Each scenario runs at two sizes; the difference divided by the difference in units
# cancels start-up and module loading. User-space instructions only: the kernel's share
# of a socket round trip (the same for every peer) is not in them.
#
#   bash apps/bench/instructions/count.sh [--node 26] [--by-function N] [--scale K] scenario...
#
# --scale K multiplies both sizes by K: a scenario whose code is still being optimized at the
# smaller size counts the compiler's work in the difference (TurboFan's GraphReducer among the
# top functions says so); a larger scale leaves steady state only.
#
# Scenarios: tasks (per task: 2 x sleep(0), gathered, as the `tasks` workload), tasks-raw (its
# floor: async functions awaiting a resolved promise twice), echo-streams, echo-lines (readLine instead of read/readExactly), echo-protocol (per 64-byte round trip through coro streams or coro's
# Protocol API, 50 clients), echo-raw /
# echo-native / echo-thenable (the same round trip with net callbacks, with a minimal
# native-promise reader, with a minimal thenable reader). Needs valgrind
# (apt-get install -y valgrind) and the packages built (pnpm --filter @coro/bench build).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$here/../../.." && pwd)"
major=26
by_function=0
scale=1
scenarios=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --node) major="$2"; shift 2 ;;
    --by-function) by_function="$2"; shift 2 ;;
    --scale) scale="$2"; shift 2 ;;
    -*) echo "count.sh: unknown option $1" >&2; exit 2 ;;
    *) scenarios+=("$1"); shift ;;
  esac
done
[[ ${#scenarios[@]} -gt 0 ]] || scenarios=(tasks echo-streams echo-protocol echo-raw echo-native echo-thenable)
command -v valgrind >/dev/null || { echo "count.sh: valgrind is missing (apt-get install -y valgrind)" >&2; exit 1; }
node="$(bash "$repo_root/scripts/node.sh" "$major")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Runs one scenario at one size under callgrind; prints the total instruction count.
count() {
  local script="$1" size="$2" mode="$3"
  local out="$work/$(basename "$script" .mjs)-$mode-$size"
  # --perf-basic-prof (JIT code's names) costs instructions of its own: only to name functions.
  local flags=(--predictable)
  [[ "$by_function" -gt 0 ]] && flags+=(--perf-basic-prof)
  local args=("$script" "$size")
  (cd "$here" && MODE="$mode" valgrind --tool=callgrind --callgrind-out-file="$out.cg" \
    "$node" "${flags[@]}" "${args[@]}" >/dev/null 2>"$out.log")
  mv /tmp/perf-"$(grep -o '==[0-9]*==' "$out.log" | head -1 | tr -d =)".map "$out.map" 2>/dev/null || true
  rm -f "$here"/isolate-*-v8.log # V8's log in --predictable mode
  grep -o 'Collected : [0-9]*' "$out.log" | awk '{print $3}'
}

for scenario in "${scenarios[@]}"; do
  case "$scenario" in
    tasks) script=tasks.mjs; mode=-; small=10000; large=30000; unit=task ;;
    tasks-raw) script=tasks.mjs; mode=raw; small=10000; large=30000; unit=task ;;
    tasks-thenable) script=tasks.mjs; mode=thenable; small=10000; large=30000; unit=task ;;
    tasks-ordered) script=tasks.mjs; mode=ordered; small=10000; large=30000; unit=task ;;
    tasks-shaped) script=tasks.mjs; mode=shaped; small=10000; large=30000; unit=task ;;
    echo-streams) script=echo-streams.mjs; mode=-; small=5000; large=15000; unit='round trip' ;;
    echo-lines) script=echo-streams.mjs; mode=lines; small=5000; large=15000; unit='round trip' ;;
    echo-protocol) script=echo-protocol.mjs; mode=-; small=5000; large=15000; unit='round trip' ;;
    echo-raw|echo-native|echo-thenable) script=echo-floor.mjs; mode="${scenario#echo-}"; small=5000; large=15000; unit='round trip' ;;
    *) echo "count.sh: unknown scenario $scenario" >&2; exit 2 ;;
  esac
  script="$here/$script"
  small=$((small * scale)); large=$((large * scale))
  a="$(count "$script" "$small" "$mode")"
  b="$(count "$script" "$large" "$mode")"
  printf '%-14s node%s  %8d instructions per %s\n' "$scenario" "$major" $(((b - a) / (large - small))) "$unit"
  if [[ "$by_function" -gt 0 ]]; then
    local_base="$work/$(basename "$script" .mjs)-$mode"
    python3 "$here/by-function.py" "$local_base-$small" "$local_base-$large" $((large - small)) "$by_function"
  fi
done
