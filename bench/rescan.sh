#!/usr/bin/env bash
# What a re-scan costs against a full scan, in the same run (issue 7, item 3): a full scan
# that fills the read cache, a re-scan with nothing changed, and a re-scan after appending
# 1 % to the log; and, for what the store itself costs (issue 7, item 2), a full scan with
# --no-store. Each is timed ROUNDS times (median).
#
#   bench/rescan.sh [SIZE]        SIZE: 100M or 1G (default), as bench/versus-duckdb.sh
#
# It works on a copy of the deployment that bench/versus-duckdb.sh generates (run that once
# first, or this script runs its generator), so the cached benchmark data stays untouched.
set -euo pipefail
cd "$(dirname "$0")/.."

size_arg=${1:-1G}
rounds=${ROUNDS:-5}
name=versus-$(echo "$size_arg" | tr '[:lower:]' '[:upper:]')
source_dir=target/bench/$name
die() { echo "rescan: $*" >&2; exit 1; }
if [ ! -f "$source_dir/logs/access.jsonl" ]; then
  case "$size_arg" in
    *[Gg]) bytes=$(( ${size_arg%[Gg]} * 1000000000 )) ;;
    *[Mm]) bytes=$(( ${size_arg%[Mm]} * 1000000 )) ;;
    *) die "SIZE must look like 100M or 1G, not '$size_arg'" ;;
  esac
  python3 bench/gen_deployment.py "$source_dir" "$bytes" >/dev/null || die "generating failed"
fi
cargo build --release --quiet
lintage=${LINTAGE:-./target/release/lintage}
work=target/bench/rescan-$name
db=$work.db

median() { python3 -c 'import statistics, sys; print(f"{statistics.median(map(float, sys.argv[1:])):.3f}")' "$@"; }
seconds() { # wall seconds of one command, timed as bench/versus_duckdb.py times (no `date`
  # forks inside the interval: at 1 ms each they were 2-3 % of a 40 ms re-scan)
  python3 - "$@" <<'PY'
import subprocess, sys, time
start = time.perf_counter()
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(time.perf_counter() - start)
PY
}
fresh_copy() {
  rm -rf "$work" "$db" "$db-wal" "$db-shm"
  cp -r "$source_dir" "$work"
  # The kernel writes the 1 GB copy back to disk in the background: let it finish, so that
  # the timings are lintage's and not the writeback's.
  sync
}
scan=("$lintage" scan "$work" --format json --fail-on never --quiet --db "$db")
scan_no_store=("$lintage" scan "$work" --format json --fail-on never --quiet --no-store)

log=$work/logs/access.jsonl
full=() unchanged=() appended=() no_store=()
for _ in $(seq "$rounds"); do
  fresh_copy
  cat "$log" >/dev/null
  no_store+=("$(seconds "${scan_no_store[@]}")")
  full+=("$(seconds "${scan[@]}")")
  unchanged+=("$(seconds "${scan[@]}")")
  # 1 % more records, taken from the log's own start (whole lines).
  bytes=$(stat -c %s "$log")
  head -c $(( bytes / 100 )) "$log" | sed '$d' >"$work/append.tmp"
  cat "$work/append.tmp" >>"$log"
  rm "$work/append.tmp"
  sync
  appended+=("$(seconds "${scan[@]}")")
done
rm -rf "$work" "$db" "$db-wal" "$db-shm"

f=$(median "${full[@]}") u=$(median "${unchanged[@]}") a=$(median "${appended[@]}")
n=$(median "${no_store[@]}")
python3 - "$f" "$u" "$a" "$size_arg" "$n" <<'PY'
import sys
full, unchanged, appended, size = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
no_store = float(sys.argv[5])
print(f"| {size} log, median of the rounds | seconds | of the full scan |")
print("| --- | ---: | ---: |")
print(f"| full scan (fills the read cache) | {full:.3f} | 100 % |")
print(f"| full scan with --no-store | {no_store:.3f} | {100 * no_store / full:.1f} % |")
print(f"| re-scan, nothing changed | {unchanged:.3f} | {100 * unchanged / full:.1f} % |")
print(f"| re-scan after appending 1 % | {appended:.3f} | {100 * appended / full:.1f} % |")
PY
