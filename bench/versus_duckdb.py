#!/usr/bin/env python3
"""The timing half of bench/versus-duckdb.sh (run that, not this): times `wc -l`, lintage's
full scan and DuckDB's GROUP BY on the same log, alternating, and prints medians, ratios and
peak memory. Standard library only; DuckDB runs in a child process under the venv's Python.

Each command runs as a child process; wall time is time.perf_counter() around it and peak
memory is `/usr/bin/time -f %M` of it (ru_maxrss from os.wait4 when GNU time is missing).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

# The DuckDB side, run by the venv's Python: argv = LOG THREADS TS_TYPE. The result is
# materialised in a temporary table inside DuckDB (every row read, every group built) rather
# than converted to Python objects, which would add Python's cost to DuckDB's; then the number
# of groups and the sum of the counts are read back to check that all records were seen.
DUCKDB_CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
import duckdb
log, threads, ts_type = sys.argv[1], int(sys.argv[2]), sys.argv[3]
con = duckdb.connect(config={"threads": threads})
# No progress bar: DuckDB draws one on stdout for queries that run over 2 s.
con.execute("SET enable_progress_bar = false")
t1 = time.perf_counter()
cols = "{ts: '%s', principal: 'VARCHAR', action: 'VARCHAR', resource: 'VARCHAR'}" % ts_type
query = (
    "SELECT principal, resource, action, count(*) AS n, min(ts) AS first_seen, max(ts) AS last_seen "
    "FROM read_json(?, format = 'newline_delimited', columns = %s) GROUP BY ALL" % cols
)
con.execute("CREATE TEMP TABLE agg AS " + query, [log])
t2 = time.perf_counter()
groups, records = con.execute("SELECT count(*), sum(n) FROM agg").fetchone()
print(json.dumps({"groups": groups, "records": int(records), "query_s": t2 - t1,
                  "startup_s": t1 - t0, "version": duckdb.__version__}))
"""

DUCKDB_IDLE = "import duckdb; duckdb.connect(config={'threads': 2}).execute('SELECT 1').fetchall()"


# A child forked from this Python process starts with this process's memory image, and Linux
# counts that in the child's ru_maxrss even after exec (about 30 MB here); GNU time forks the
# command from its own tiny image, so its %M is the command's own peak. Without it, the
# figures are ru_maxrss from os.wait4 and overstate small programs (flagged in the output).
GNU_TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None
RSS_FILE = None


def run(cmd, stdout=subprocess.DEVNULL):
    """Runs cmd; returns (wall seconds, peak RSS in KB). Exits when it fails."""
    full = [GNU_TIME, "-f", "%M", "-o", RSS_FILE, *cmd] if GNU_TIME else cmd
    start = time.perf_counter()
    proc = subprocess.Popen(full, stdout=stdout, stderr=subprocess.PIPE)
    # Read stderr before waiting so that a chatty child cannot block on a full pipe.
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        shown = " ".join("<code>" if "\n" in str(c) else str(c) for c in cmd)
        sys.exit(f"versus-duckdb: {shown} failed with exit code "
                 f"{proc.returncode}:\n{err.decode(errors='replace')[-2000:]}")
    if GNU_TIME:
        return wall, int(open(RSS_FILE).read().split()[-1])
    return wall, usage.ru_maxrss


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--meta", required=True)
    ap.add_argument("--lintage", required=True)
    ap.add_argument("--venv-python", required=True)
    ap.add_argument("--work", required=True, help="folder for the scratch db and reports")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--ts-type", default="TIMESTAMPTZ")
    ap.add_argument("--no-store-too", action="store_true")
    ap.add_argument("--results", default="")
    ap.add_argument("--label", default="")
    ap.add_argument("--commit", default="", help="the source tree's commit, for the results")
    a = ap.parse_args()

    meta = json.load(open(a.meta))
    size = os.path.getsize(a.log)
    os.makedirs(a.work, exist_ok=True)
    db = os.path.join(a.work, "scan.db")
    report = os.path.join(a.work, "report.json")
    global RSS_FILE
    RSS_FILE = os.path.join(a.work, "rss.txt")

    def fresh_db():
        for suffix in ("", "-wal", "-shm", "-journal"):
            try:
                os.remove(db + suffix)
            except FileNotFoundError:
                pass

    def lintage_scan():
        fresh_db()
        with open(report, "w") as out:
            t, rss = run([a.lintage, "scan", a.dir, "--format", "json", "--fail-on", "never",
                          "--db", db], stdout=out)
        fresh_db()
        return t, rss, None

    def lintage_no_store():
        with open(report, "w") as out:
            t, rss = run([a.lintage, "scan", a.dir, "--format", "json", "--fail-on", "never",
                          "--no-store"], stdout=out)
        return t, rss, None

    def wc():
        return (*run(["wc", "-l", a.log]), None)

    duck_out = os.path.join(a.work, "duckdb.json")

    def duckdb():
        with open(duck_out, "w") as out:
            t, rss = run([a.venv_python, "-c", DUCKDB_CHILD, a.log, str(a.threads), a.ts_type],
                         stdout=out)
        got = json.loads(open(duck_out).read().strip().splitlines()[-1])
        if got["records"] != meta["records"]:
            sys.exit(f"versus-duckdb: DuckDB counted {got['records']} records, the log has "
                     f"{meta['records']}")
        return t, rss, got

    tools = [("wc -l", wc), ("lintage scan", lintage_scan)]
    if a.no_store_too:
        tools.append(("lintage scan --no-store", lintage_no_store))
    tools.append(("DuckDB", duckdb))

    # Warm-up: the log into the page cache, the binaries and DuckDB's library too.
    avail = next((int(l.split()[1]) * 1024 for l in open("/proc/meminfo")
                  if l.startswith("MemAvailable:")), None)
    if avail is not None and avail < size * 1.2:
        print(f"warning: {size / 1e9:.1f} GB log, {avail / 1e9:.1f} GB memory available: the "
              "page cache may not hold it, times will include disk reads", file=sys.stderr)
    with open(a.log, "rb", buffering=0) as f:
        while f.read(1 << 24):
            pass
    wc_lines = int(subprocess.run(["wc", "-l", a.log], capture_output=True, text=True,
                                  check=True).stdout.split()[0])
    if wc_lines != meta["records"]:
        sys.exit(f"versus-duckdb: wc -l says {wc_lines} lines, the generator wrote "
                 f"{meta['records']}: stale or damaged log, delete {a.dir} and rerun")
    subprocess.run([a.lintage, "--version"], capture_output=True, check=True)
    lintage_version = subprocess.run([a.lintage, "--version"], capture_output=True,
                                     text=True).stdout.strip()
    _, idle_rss = run([a.venv_python, "-c", DUCKDB_IDLE])

    load_before = os.getloadavg()
    times = {name: [] for name, _ in tools}
    rss = {name: [] for name, _ in tools}
    extra = {"duckdb_query_s": [], "duckdb_startup_s": []}
    duck = None
    for r in range(a.rounds):
        order = tools[r % len(tools):] + tools[:r % len(tools)]  # rotate the order each round
        line = []
        for name, fn in order:
            t, m, info = fn()
            times[name].append(t)
            rss[name].append(m)
            if info is not None:
                duck = info
                extra["duckdb_query_s"].append(info["query_s"])
                extra["duckdb_startup_s"].append(info["startup_s"])
            line.append(f"{name} {t:.2f}s")
        print(f"round {r + 1}/{a.rounds}: " + ", ".join(line), file=sys.stderr, flush=True)
    load_after = os.getloadavg()

    scan = json.load(open(report))["summary"]
    if scan.get("log_records") != meta["records"]:
        sys.exit(f"versus-duckdb: lintage read {scan.get('log_records')} records, the log has "
                 f"{meta['records']}")

    med = {k: statistics.median(v) for k, v in times.items()}
    duck_query = statistics.median(extra["duckdb_query_s"])
    peak = {k: max(v) for k, v in rss.items()}
    mb = size / 1e6
    print()
    print(f"log: {a.log}")
    print(f"     {size / 1e9:.2f} GB, {meta['records']:,} records, {duck['groups']:,} distinct "
          f"(principal, resource, action) edges; lintage graph: {scan['nodes']:,} nodes, "
          f"{scan['edges']:,} edges, {sum(scan['findings'].values()):,} findings")
    print(f"     {a.rounds} rounds, alternating, file in page cache; {lintage_version}, "
          f"DuckDB {duck['version']} with threads={a.threads}; load average "
          f"{load_before[0]:.1f} before, {load_after[0]:.1f} after ({os.cpu_count()} cores)")
    print()
    rows = [(name, med[name], min(times[name]), max(times[name]), peak[name])
            for name, _ in tools]
    rows.insert(len(rows), ("  DuckDB query alone", duck_query, min(extra["duckdb_query_s"]),
                            max(extra["duckdb_query_s"]), None))
    print(f"| {'what':<26} | {'median':>8} | {'min-max':>13} | {'MB/s':>6} | {'peak RSS':>9} "
          f"| {'÷ wc -l':>8} | {'÷ DuckDB':>8} |")
    print(f"| {'-' * 26} | {'-' * 8}:| {'-' * 17}:| {'-' * 6}:| {'-' * 9}:| {'-' * 8}:| {'-' * 8}:|")
    for name, m, lo, hi, p in rows:
        peak_s = f"{p / 1024:.0f} MB" if p is not None else ""
        spread = f"{lo:.3f}-{hi:.3f}s"
        print(f"| {name:<26} | {m:7.3f}s | {spread:>17} | {mb / m:6.0f} | {peak_s:>9} "
              f"| {m / med['wc -l']:7.1f}× | {m / med['DuckDB']:7.2f}× |")
    print()
    print(f"DuckDB's process time includes starting Python and loading DuckDB "
          f"(median {statistics.median(extra['duckdb_startup_s']):.2f} s); its peak RSS includes "
          f"Python and the DuckDB library, {idle_rss / 1024:.0f} MB when idle.")
    ratio = med["lintage scan"] / med["DuckDB"]
    print(f"lintage scan / DuckDB      : {ratio:.2f}× (against the query alone: "
          f"{med['lintage scan'] / duck_query:.2f}×)   target < 1.0, aim 0.7")
    print(f"lintage scan / wc -l       : {med['lintage scan'] / med['wc -l']:.1f}×   target < 12×")
    best = {k: min(v) for k, v in times.items()}
    print(f"best of {a.rounds} (min ÷ min, less hurt by a busy machine): lintage scan / DuckDB "
          f"{best['lintage scan'] / best['DuckDB']:.2f}×, / wc -l "
          f"{best['lintage scan'] / best['wc -l']:.1f}×")
    if a.no_store_too:
        n = med["lintage scan --no-store"]
        print(f"lintage --no-store / DuckDB: {n / med['DuckDB']:.2f}× (query alone: "
              f"{n / duck_query:.2f}×), / wc -l: {n / med['wc -l']:.1f}×")
    if not GNU_TIME:
        print("note: no /usr/bin/time (apt-get install time): peak RSS is ru_maxrss of a child "
              "of Python and includes ~30 MB of Python's image")
    print(f"peak RSS: lintage {peak['lintage scan'] / 1024:.0f} MB, DuckDB "
          f"{peak['DuckDB'] / 1024:.0f} MB, wc -l {peak['wc -l'] / 1024:.0f} MB   "
          f"target: lintage < 256 MB at 1 GB")

    if a.results:
        record = {
            "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "label": a.label, "commit": a.commit, "binary": a.lintage,
            "lintage": lintage_version, "duckdb": duck["version"],
            "threads": a.threads, "rounds": a.rounds, "bytes": size,
            "records": meta["records"], "groups": duck["groups"],
            "median_s": {k: round(v, 4) for k, v in med.items()},
            "min_s": {k: round(v, 4) for k, v in best.items()},
            "duckdb_query_s": round(duck_query, 4),
            "peak_rss_kb": peak,
            "lintage_over_duckdb": round(ratio, 3),
            "lintage_over_wc": round(med["lintage scan"] / med["wc -l"], 2),
            "loadavg": [round(load_before[0], 2), round(load_after[0], 2)],
        }
        with open(a.results, "a") as f:
            f.write(json.dumps(record, separators=(",", ":")) + "\n")
        print(f"appended to {a.results}")


if __name__ == "__main__":
    main()
