-- lintage snapshot store, schema version 1.
--
-- Every `lintage scan` adds one snapshot: the files it read, the lineage graph it built
-- and the findings that stood after the policy. `check --against`, `diff` and `query`
-- read them back. lintage applies this file once, in a transaction, and then sets
-- `PRAGMA user_version = 1`; later versions add migrations and never edit this one.
--
-- Conventions, so that the sqlite3 CLI is enough to explore it:
--   * times are RFC 3339 text in UTC (`2026-11-01T12:00:00Z`); `first_seen` and
--     `last_seen` carry a fraction of a second only when the logs did;
--   * node ids are `KIND:NAME` text (`model:fraud-scorer`, `dataset:warehouse.scores`);
--   * booleans are 0 / 1;
--   * list-valued columns hold JSON text; read them with json_each() / json_extract().
--   * every row below `snapshot` belongs to one snapshot; deleting the snapshot row
--     deletes them too (`PRAGMA foreign_keys = ON` is needed in the CLI for that).
--
-- Examples:
--   SELECT id, created_at, node_count, edge_count, finding_count FROM snapshot;
--   SELECT source FROM edge WHERE snapshot_id = (SELECT max(id) FROM snapshot)
--     AND target = 'dataset:warehouse.scores.fraud' AND observed;
--   SELECT code, subject, related FROM finding
--     WHERE snapshot_id = (SELECT max(id) FROM snapshot) AND severity = 'error';

-- One row per scan.
CREATE TABLE snapshot (
    id                INTEGER PRIMARY KEY,   -- grows with every scan; `latest` is max(id)
    created_at        TEXT NOT NULL,         -- when the scan was recorded, RFC 3339 UTC, whole seconds
    root              TEXT NOT NULL,         -- the deployment folder that was scanned
    tool_version      TEXT NOT NULL,         -- the lintage version that recorded it
    node_count        INTEGER NOT NULL,      -- rows in `node` for this snapshot
    edge_count        INTEGER NOT NULL,      -- rows in `edge` for this snapshot
    finding_count     INTEGER NOT NULL,      -- rows in `finding` for this snapshot
    log_records       INTEGER NOT NULL,      -- well-formed log records read
    malformed_records INTEGER NOT NULL,      -- log lines skipped as malformed
    command           TEXT NOT NULL,         -- scan | check: the command that recorded it
    failed            INTEGER NOT NULL       -- 1 when that command exited 1 (a failed check is
                                             -- never the `latest` that `check --against` uses)
);

-- Every file the scan read (manifests and logs), so that two snapshots can tell
-- whether their inputs differ.
CREATE TABLE input (
    snapshot_id INTEGER NOT NULL REFERENCES snapshot(id) ON DELETE CASCADE,
    path        TEXT NOT NULL,               -- relative to the root, `/` separators
    size        INTEGER NOT NULL,            -- bytes
    sha256      TEXT NOT NULL,               -- lowercase hex of the file's bytes
    PRIMARY KEY (snapshot_id, path)
);

-- The nodes of the lineage graph.
CREATE TABLE node (
    snapshot_id   INTEGER NOT NULL REFERENCES snapshot(id) ON DELETE CASCADE,
    id            TEXT NOT NULL,             -- `KIND:NAME`
    kind          TEXT NOT NULL,             -- model | job | service | dataset | principal
    manifest_file TEXT,                      -- where an entity is declared; NULL otherwise
    manifest_line INTEGER,                   -- line where its manifest document starts
    owner         TEXT,                      -- the manifest's `owner`; NULL when it has none
    PRIMARY KEY (snapshot_id, id)
);

-- The edges of the lineage graph, one per (source, target), with how each is known.
-- Reads run dataset -> entity, writes entity -> dataset, `base_model` model -> model.
CREATE TABLE edge (
    snapshot_id   INTEGER NOT NULL REFERENCES snapshot(id) ON DELETE CASCADE,
    source        TEXT NOT NULL,             -- node id the edge leaves
    target        TEXT NOT NULL,             -- node id the edge enters
    declared      INTEGER NOT NULL,          -- 1 when a manifest states the edge
    observed      INTEGER NOT NULL,          -- 1 when the logs show it
    -- JSON array of the manifest lines that state it, sorted:
    -- [{"key":"inputs","file":"models/m.yaml","line":4,"via":null}, ...]
    -- `key` is inputs | training | outputs | influences | base_model; `via` is the
    -- `model:NAME` entry the edge was expanded from, or null.
    declarations  TEXT NOT NULL DEFAULT '[]',
    count         INTEGER NOT NULL DEFAULT 0, -- observed accesses; 0 when not observed
    first_seen    TEXT,                      -- RFC 3339 UTC; NULL when not observed
    last_seen     TEXT,                      -- RFC 3339 UTC; NULL when not observed
    evidence_file TEXT,                      -- log file of the earliest record
    evidence_line INTEGER,                   -- and its line
    PRIMARY KEY (snapshot_id, source, target)
) WITHOUT ROWID;

-- Downstream walks look edges up by source (the primary key serves that), upstream
-- walks by target.
CREATE INDEX edge_by_target ON edge (snapshot_id, target, source);

-- The findings that stood after severity overrides and allowlists.
CREATE TABLE finding (
    snapshot_id INTEGER NOT NULL REFERENCES snapshot(id) ON DELETE CASCADE,
    fingerprint TEXT NOT NULL,               -- stable across new log data; baselines match on it
    code        TEXT NOT NULL,               -- LT001 ...
    rule        TEXT NOT NULL,               -- undeclared-consumer ...
    severity    TEXT NOT NULL,               -- error | warning | info
    subject     TEXT NOT NULL,               -- node id the finding is about
    related     TEXT NOT NULL DEFAULT '[]',  -- JSON array of node ids
    path        TEXT NOT NULL DEFAULT '[]',  -- JSON array of node ids (loops, chains)
    loop_kind   TEXT,                        -- direct | hidden for LT002; NULL otherwise
    message     TEXT NOT NULL,
    evidence    TEXT NOT NULL DEFAULT '[]'   -- JSON array, as in `--format json`
);

CREATE INDEX finding_by_snapshot ON finding (snapshot_id, code, subject);
CREATE INDEX finding_by_fingerprint ON finding (fingerprint, snapshot_id);
