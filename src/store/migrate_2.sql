-- Schema version 2: input hashes are XXH3-128 chains (src/ingest/digest.rs), and each scan
-- keeps what it read from every line log so that the next scan reads only what changed.

-- `xxh3-128-chain:HEX`; snapshots recorded by schema 1 hold the SHA-256 hex instead.
ALTER TABLE input RENAME COLUMN sha256 TO content_hash;

-- One row per line log (native NDJSON, S3 access, pgaudit, regex) as the last scan of its
-- deployment left it. A later scan of the same root reuses the row when the file and the
-- settings it was read with are unchanged, and reads only the appended bytes when the file
-- grew from the same head.
CREATE TABLE read_cache (
    root          TEXT NOT NULL,             -- the deployment root, as scanned
    path          TEXT NOT NULL,             -- relative to the root
    settings      TEXT NOT NULL,             -- hash of everything the file was read with
    size          INTEGER NOT NULL,          -- bytes read (the file's size then)
    mtime_ns      INTEGER NOT NULL,          -- modification time then, ns since the epoch
    head_hash     TEXT NOT NULL,             -- XXH3-128 of the first 64 KiB then
    end_offset    INTEGER NOT NULL,          -- end of the last complete line read
    end_line      INTEGER NOT NULL,          -- lines up to end_offset
    hash_acc      TEXT NOT NULL,             -- content-hash state after its last whole block
    hash_blocks   INTEGER NOT NULL,
    content_hash  TEXT NOT NULL,             -- the whole file's hash then
    records       INTEGER NOT NULL,          -- the file's LogStats
    malformed     INTEGER NOT NULL,
    outside_window INTEGER NOT NULL,
    ignored       INTEGER NOT NULL,
    samples       TEXT NOT NULL,             -- JSON [[line, reason], ...]
    PRIMARY KEY (root, path)
);

-- The distinct edges a cached file produced.
CREATE TABLE read_cache_edge (
    root        TEXT NOT NULL,
    path        TEXT NOT NULL,
    principal   TEXT NOT NULL,
    resource    TEXT NOT NULL,
    action      TEXT NOT NULL,               -- read | write
    count       INTEGER NOT NULL,
    first_seen  INTEGER NOT NULL,            -- ns since the epoch, UTC
    last_seen   INTEGER NOT NULL,
    line        INTEGER NOT NULL,            -- the earliest record's line
    FOREIGN KEY (root, path) REFERENCES read_cache(root, path) ON DELETE CASCADE
);
CREATE INDEX read_cache_edge_file ON read_cache_edge(root, path);
