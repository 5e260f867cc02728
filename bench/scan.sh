#!/usr/bin/env bash
# Measures `lintage scan` on a generated ~100 MB NDJSON log against `cat` and `wc -l` on the
# same file in the same run (the machine is shared, so ratios matter, not seconds).
# usage: bench/scan.sh [SIZE_MB]   (default 100)
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-100}
dir=target/bench/scan-${size}mb
if [ ! -f "$dir/logs/access.jsonl" ]; then
  python3 bench/gen_log.py "$dir" "$size"
fi
cargo build --release --quiet
log="$dir/logs/access.jsonl"
best() { # best of 3 wall-clock seconds of a command
  local b=999999
  for _ in 1 2 3; do
    local s e
    s=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s.%N)
    b=$(python3 -c "print(min($b, $e - $s))")
  done
  echo "$b"
}
rm -f "$dir/bench.db"
cat "$log" >/dev/null # warm the page cache
bytes=$(stat -c %s "$log")
lines=$(wc -l <"$log")
t_cat=$(best cat "$log")
t_wc=$(best wc -l "$log")
t_scan=$(best ./target/release/lintage scan "$dir" --format json --fail-on never --db "$dir/bench.db")
rss=$( { /usr/bin/time -f %M ./target/release/lintage scan "$dir" --format json --fail-on never --db "$dir/bench.db" >/dev/null; } 2>&1 | tail -1 )
python3 - "$bytes" "$lines" "$t_cat" "$t_wc" "$t_scan" "$rss" <<'PY'
import sys
b, n, cat, wc, scan, rss = sys.argv[1:]
b, n, cat, wc, scan, rss = int(b), int(n), float(cat), float(wc), float(scan), int(rss)
print(f"log: {b/1e6:.0f} MB, {n:,} lines")
print(f"cat  > /dev/null : {cat:.3f} s")
print(f"wc -l            : {wc:.3f} s")
print(f"lintage scan     : {scan:.3f} s  ({b/1e6/scan:.0f} MB/s, {n/scan/1e6:.2f} M lines/s)")
print(f"ratio scan / wc -l: {scan/wc:.1f}x   peak RSS: {rss/1024:.0f} MB")
PY
