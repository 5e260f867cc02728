#!/usr/bin/env bash
# lintage's full scan against DuckDB's GROUP BY and `wc -l` on the same NDJSON access log, in
# the same run, alternating (issue 7, item 4). The machine is shared, so ratios matter, not
# seconds.
#
#   bench/versus-duckdb.sh [SIZE]        SIZE: 100M, 1G (default) or 10G (decimal bytes)
#
# e.g. `bench/versus-duckdb.sh 1G`, or `ROUNDS=3 bench/versus-duckdb.sh 10G`.
#
# 1. Generates once, cached in target/bench/versus-SIZE/, a deterministic deployment
#    (bench/gen_deployment.py, fixed seed): 1,000 entities' manifests and one native log of
#    SIZE bytes, ~7.1 M records per GB, ~52,000 distinct (principal, resource, action) edges.
#    It is regenerated when gen_deployment.py changes. 10G needs ~10 GB of disk and ~4 min.
# 2. Creates target/bench/venv once (python3 -m venv) and pip-installs DuckDB into it.
# 3. Builds lintage (cargo build --release), reads the log into the page cache, then runs
#    ROUNDS rounds, rotating the order each round, of:
#      wc -l LOG                                                   the floor
#      lintage scan DIR --format json --fail-on never --db NEW.db  ingest + graph + all rules
#                                                                  + report + snapshot; the db
#                                                                  is deleted before each run
#      lintage scan DIR --format json --fail-on never --no-store   the same without snapshot
#      DuckDB, threads=2: CREATE TEMP TABLE agg AS SELECT principal, resource, action,
#        count(*), min(ts), max(ts) FROM read_json(LOG, format='newline_delimited',
#        columns={ts: TIMESTAMPTZ, principal, action, resource: VARCHAR}) GROUP BY ALL
# 4. Prints medians, min-max, peak RSS of each (/usr/bin/time -f %M; apt-get install time)
#    and the ratios lintage/DuckDB and lintage/wc -l; appends a JSON line to
#    target/bench/results.txt. Every tool's record count is checked against the generator's.
#
# Environment: ROUNDS (5), THREADS (2, DuckDB's threads), DUCKDB_VERSION (2.0.1),
# DUCKDB_TS_TYPE (TIMESTAMPTZ, what read_json infers for ts; VARCHAR skips time parsing),
# NO_STORE_TOO (1; 0 skips the --no-store runs), LINTAGE (a lintage binary to measure instead
# of building ./target/release/lintage), RESULTS (target/bench/results.txt; empty: none),
# LABEL (free text stored with the results line).
set -euo pipefail
cd "$(dirname "$0")/.."

size_arg=${1:-1G}
case "$size_arg" in
  *[Gg]) bytes=$(( ${size_arg%[Gg]} * 1000000000 )) ;;
  *[Mm]) bytes=$(( ${size_arg%[Mm]} * 1000000 )) ;;
  *) echo "versus-duckdb: SIZE must look like 100M, 1G or 10G, not '$size_arg'" >&2; exit 2 ;;
esac
rounds=${ROUNDS:-5}
threads=${THREADS:-2}
duckdb_version=${DUCKDB_VERSION:-2.0.1}
results=${RESULTS-target/bench/results.txt}

die() { echo "versus-duckdb: $*" >&2; exit 1; }
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a whole number of at least 1, not '$rounds'"
[[ "$threads" =~ ^[1-9][0-9]*$ ]] || die "THREADS must be a whole number of at least 1, not '$threads'"
command -v python3 >/dev/null || die "python3 is needed (apt-get install python3 python3-venv)"
command -v wc >/dev/null || die "wc is needed (coreutils)"

# One run at a time: runs share the cached deployment and would spoil each other's timings.
mkdir -p target/bench
exec 9>target/bench/versus-duckdb.lock
if ! flock -n 9; then
  echo "versus-duckdb: another run holds target/bench/versus-duckdb.lock; waiting for it ..." >&2
  flock 9
fi

# 1. The deployment, generated once per size and generator version.
name=versus-$(echo "$size_arg" | tr '[:lower:]' '[:upper:]')
dir=target/bench/$name
meta=target/bench/$name.json # outside $dir: lintage would look at a .json file in it
log=$dir/logs/access.jsonl
gen_hash=$(sha256sum bench/gen_deployment.py | cut -c1-16)
if [ ! -f "$meta" ] || [ ! -f "$log" ] || ! grep -q "\"generator\": \"$gen_hash\"" "$meta"; then
  rm -rf "$dir" "$meta"
  free_kb=$(df -Pk target/bench | awk 'NR == 2 { print $4 }')
  [ "$free_kb" -gt $(( bytes / 1024 + 1048576 )) ] ||
    die "not enough disk for a $size_arg log in target/bench ($(( free_kb / 1048576 )) GB free)"
  echo "generating $dir ($size_arg) ..." >&2
  start=$(date +%s)
  summary=$(python3 bench/gen_deployment.py "$dir" "$bytes") || die "generating the log failed"
  echo "${summary%\}}, \"generator\": \"$gen_hash\"}" >"$meta"
  echo "generated in $(( $(date +%s) - start )) s: $summary" >&2
fi

# 2. DuckDB in a local virtualenv.
venv=target/bench/venv
if [ ! -x "$venv/bin/python" ]; then
  echo "creating $venv ..." >&2
  python3 -m venv "$venv" ||
    { rm -rf "$venv"; die "python3 -m venv failed; on Debian/Ubuntu: apt-get install python3-venv"; }
fi
if [ "$("$venv/bin/python" -c 'import duckdb; print(duckdb.__version__)' 2>/dev/null || true)" != "$duckdb_version" ]; then
  echo "installing duckdb==$duckdb_version into $venv ..." >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "duckdb==$duckdb_version" ||
    die "pip install duckdb==$duckdb_version failed (network? PyPI reachable?)"
fi

# 3. lintage.
if [ -n "${LINTAGE:-}" ]; then
  lintage=$LINTAGE
else
  cargo build --release --quiet || die "cargo build --release failed"
  lintage=./target/release/lintage
fi
[ -x "$lintage" ] || die "no lintage binary at $lintage"
no_store=()
if [ "${NO_STORE_TOO:-1}" = 1 ]; then
  if "$lintage" scan --help | grep -q -- --no-store; then
    no_store=(--no-store-too)
  else
    echo "note: this lintage has no scan --no-store; timing the scan with a fresh db only" >&2
  fi
fi

# 4. Time, alternating, and report. The scratch db and reports go in a folder of this run's own.
work=$(mktemp -d "target/bench/$name-work.XXXXXX")
trap 'rm -rf "$work"' EXIT
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD -- src Cargo.toml Cargo.lock 2>/dev/null || commit="$commit+uncommitted"
[ -z "${LINTAGE:-}" ] || commit="none: LINTAGE given (tree at $commit)"
python3 bench/versus_duckdb.py --dir "$dir" --log "$log" --meta "$meta" \
  --lintage "$lintage" --venv-python "$venv/bin/python" --work "$work" \
  --rounds "$rounds" --threads "$threads" --ts-type "${DUCKDB_TS_TYPE:-TIMESTAMPTZ}" \
  --results "$results" --label "${LABEL:-$size_arg}" --commit "$commit" "${no_store[@]}"
