-- Schema version 3: a re-scan that finds what the last scan found writes almost nothing
-- (issue 7), and the read cache keeps each file's edges in one value.
--
-- 1. Snapshots share what they found. The nodes, edges and findings of a scan are kept once
--    per distinct content: `content` has one row per distinct set, keyed by a hash of every
--    row, and each snapshot names its set in `snapshot.content_id`. A scan whose nodes, edges
--    and findings are byte for byte those of an earlier snapshot records only its `snapshot`
--    and `input` rows.
--
--    `node`, `edge` and `finding` are now views with the very columns (and order) they had as
--    tables, `snapshot_id` first, so the queries at the top of schema.sql and any written
--    against schema 1 or 2 work unchanged. Deleting a snapshot row takes its rows out of the
--    views at once; the trigger `content_unused` then deletes the content no snapshot names
--    any more (no `PRAGMA foreign_keys` needed for that).
--
--    Snapshots recorded before this version keep their rows: each becomes a content of its
--    own, with the snapshot's id as its id and no hash (NULL), so later scans never share it.
--
-- 2. The read cache (`read_cache`) keeps the distinct edges a file gave in one blob column,
--    `edges`, instead of one `read_cache_edge` row per edge; its encoding is described in
--    src/store/edge_blob.rs. The cache of schema 2 is dropped: the next scan of each
--    deployment reads its logs whole once and fills it again.

-- Distinct contents: what one or more snapshots found.
CREATE TABLE content (
    id    INTEGER PRIMARY KEY,
    hash  TEXT UNIQUE              -- `xxh3-128:HEX` of every row below; NULL when upgraded
);

-- Which content a snapshot found. Never NULL for a snapshot recorded by schema 3 or later.
ALTER TABLE snapshot ADD COLUMN content_id INTEGER REFERENCES content(id);
INSERT INTO content (id, hash) SELECT id, NULL FROM snapshot;
UPDATE snapshot SET content_id = id;
CREATE INDEX snapshot_by_content ON snapshot (content_id);

-- The rows of `node`, `edge` and `finding` (schema.sql documents their columns), by content.
CREATE TABLE content_node (
    content_id    INTEGER NOT NULL REFERENCES content(id) ON DELETE CASCADE,
    id            TEXT NOT NULL,
    kind          TEXT NOT NULL,
    manifest_file TEXT,
    manifest_line INTEGER,
    owner         TEXT,
    PRIMARY KEY (content_id, id)
) WITHOUT ROWID;

CREATE TABLE content_edge (
    content_id    INTEGER NOT NULL REFERENCES content(id) ON DELETE CASCADE,
    source        TEXT NOT NULL,
    target        TEXT NOT NULL,
    declared      INTEGER NOT NULL,
    observed      INTEGER NOT NULL,
    declarations  TEXT NOT NULL DEFAULT '[]',
    count         INTEGER NOT NULL DEFAULT 0,
    first_seen    TEXT,
    last_seen     TEXT,
    evidence_file TEXT,
    evidence_line INTEGER,
    PRIMARY KEY (content_id, source, target)
) WITHOUT ROWID;

-- Upstream walks look edges up by target, as `edge_by_target` did.
CREATE INDEX content_edge_by_target ON content_edge (content_id, target, source);

CREATE TABLE content_finding (
    content_id  INTEGER NOT NULL REFERENCES content(id) ON DELETE CASCADE,
    fingerprint TEXT NOT NULL,
    code        TEXT NOT NULL,
    rule        TEXT NOT NULL,
    severity    TEXT NOT NULL,
    subject     TEXT NOT NULL,
    related     TEXT NOT NULL DEFAULT '[]',
    path        TEXT NOT NULL DEFAULT '[]',
    loop_kind   TEXT,
    message     TEXT NOT NULL,
    evidence    TEXT NOT NULL DEFAULT '[]'
);

CREATE INDEX content_finding_by_content ON content_finding (content_id, code, subject);
CREATE INDEX content_finding_by_fingerprint ON content_finding (fingerprint, content_id);

INSERT INTO content_node
    SELECT snapshot_id, id, kind, manifest_file, manifest_line, owner FROM node;
INSERT INTO content_edge
    SELECT snapshot_id, source, target, declared, observed, declarations, count, first_seen,
           last_seen, evidence_file, evidence_line
    FROM edge;
INSERT INTO content_finding
    SELECT snapshot_id, fingerprint, code, rule, severity, subject, related, path, loop_kind,
           message, evidence
    FROM finding ORDER BY rowid;
DROP TABLE node;
DROP TABLE edge;
DROP TABLE finding;

CREATE VIEW node AS
    SELECT s.id AS snapshot_id, n.id, n.kind, n.manifest_file, n.manifest_line, n.owner
    FROM snapshot AS s JOIN content_node AS n ON n.content_id = s.content_id;

CREATE VIEW edge AS
    SELECT s.id AS snapshot_id, e.source, e.target, e.declared, e.observed, e.declarations,
           e.count, e.first_seen, e.last_seen, e.evidence_file, e.evidence_line
    FROM snapshot AS s JOIN content_edge AS e ON e.content_id = s.content_id;

CREATE VIEW finding AS
    SELECT s.id AS snapshot_id, f.fingerprint, f.code, f.rule, f.severity, f.subject,
           f.related, f.path, f.loop_kind, f.message, f.evidence
    FROM snapshot AS s JOIN content_finding AS f ON f.content_id = s.content_id;

-- The last snapshot of a content is gone: so is the content.
CREATE TRIGGER content_unused AFTER DELETE ON snapshot
WHEN OLD.content_id IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM snapshot WHERE content_id = OLD.content_id)
BEGIN
    DELETE FROM content_node WHERE content_id = OLD.content_id;
    DELETE FROM content_edge WHERE content_id = OLD.content_id;
    DELETE FROM content_finding WHERE content_id = OLD.content_id;
    DELETE FROM content WHERE id = OLD.content_id;
END;

-- The read cache, one row per line log with its edges in one blob.
DROP TABLE read_cache_edge;
DROP TABLE read_cache;
CREATE TABLE read_cache (
    root           TEXT NOT NULL,    -- the deployment root, as scanned
    path           TEXT NOT NULL,    -- relative to the root
    settings       TEXT NOT NULL,    -- hash of everything the file was read with
    size           INTEGER NOT NULL, -- bytes read (the file's size then)
    mtime_ns       INTEGER NOT NULL, -- modification time then, ns since the epoch
    head_hash      TEXT NOT NULL,    -- XXH3-128 of the first 64 KiB then
    end_offset     INTEGER NOT NULL, -- end of the last complete line read
    end_line       INTEGER NOT NULL, -- lines up to end_offset
    hash_acc       TEXT NOT NULL,    -- content-hash state after its last whole block
    hash_blocks    INTEGER NOT NULL,
    content_hash   TEXT NOT NULL,    -- the whole file's hash then
    records        INTEGER NOT NULL, -- the file's LogStats
    malformed      INTEGER NOT NULL,
    outside_window INTEGER NOT NULL,
    ignored        INTEGER NOT NULL,
    samples        TEXT NOT NULL,    -- JSON [[line, reason], ...]
    edges          BLOB NOT NULL,    -- the distinct edges the file gave (src/store/edge_blob.rs)
    PRIMARY KEY (root, path)
);
