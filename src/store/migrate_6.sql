-- Schema version 6: a re-scan whose logs only grew records a fraction of what it did (issue 7).
--
-- When a log grows, the nodes stay, the edges keep all but their `count` and `last_seen`,
-- and the findings all but some of their messages and evidence (counts and times in them);
-- schema 4 still wrote every row of the content again. A content is now made of three parts
-- that contents share by hash, plus narrow rows of its own for the values that move with the
-- logs:
--
--   * `node_set_node`, `edge_set_edge` (with `edge_set_in`, the same pairs by target, as
--     `content_edge_in` was) and `finding_set_finding` hold the rows of a node set, edge set
--     and finding set; `node_set`, `edge_set` and `finding_set` give each set its hash, and
--     `content.node_set_id`, `edge_set_id` and `finding_set_id` name a content's sets.
--     Each edge of a set has an ordinal `n` (its place in (source, target) order), each
--     finding its place `n` in the order the report gave them.
--   * `content_edge_seen` holds `count` and `last_seen` of each observed edge, by content
--     and edge ordinal. A finding set's hash leaves out `message` and `evidence`: the set
--     holds those of the content that wrote it, and `content_finding_delta` holds, by content
--     and finding place, the message and evidence of another content's finding where they
--     differ from the set's.
--
-- `node`, `edge` and `finding` are views with the very columns, in the same order and with the
-- same values, as before; `finding` lists a snapshot's findings in the order they were given.
-- Deleting a snapshot row still takes its rows out of the views at once; the trigger
-- `content_unused` deletes the content no snapshot names any more, with its own rows, and the
-- triggers `*_set_unused` delete a set no content names any more.
--
-- Contents recorded before this version keep their rows: each content's nodes, edges and
-- findings become sets of their own, with the content's id as their id and no hash (NULL),
-- so later scans never share them.
--
-- Example: the busiest observed edges into a dataset in the latest snapshot, by key.
--
--   SELECT e.source, v.count, v.last_seen FROM snapshot AS s
--     CROSS JOIN content AS c ON c.id = s.content_id
--     CROSS JOIN edge_set_in AS i ON i.set_id = c.edge_set_id
--     CROSS JOIN edge_set_edge AS e ON e.set_id = i.set_id
--                AND e.source = i.source AND e.target = i.target
--     JOIN content_edge_seen AS v ON v.content_id = c.id AND v.n = e.n
--   WHERE s.id = (SELECT max(id) FROM snapshot) AND i.target = 'dataset:warehouse.scores'
--   ORDER BY v.count DESC;

-- Shared parts, one row per distinct set; `hash` is `xxh3-128:HEX` of every value its rows
-- are made of, NULL when upgraded.
CREATE TABLE node_set (
    id   INTEGER PRIMARY KEY,
    hash TEXT UNIQUE
);
CREATE TABLE edge_set (
    id   INTEGER PRIMARY KEY,
    hash TEXT UNIQUE
);
CREATE TABLE finding_set (
    id   INTEGER PRIMARY KEY,
    hash TEXT UNIQUE
);

-- The columns of `node` (schema.sql documents them), by set.
CREATE TABLE node_set_node (
    set_id        INTEGER NOT NULL REFERENCES node_set(id) ON DELETE CASCADE,
    id            TEXT NOT NULL,
    kind          TEXT NOT NULL,
    manifest_file TEXT,
    manifest_line INTEGER,
    owner         TEXT,
    PRIMARY KEY (set_id, id)
) WITHOUT ROWID;

-- The columns of `edge` but `count` and `last_seen`, by set.
CREATE TABLE edge_set_edge (
    set_id        INTEGER NOT NULL REFERENCES edge_set(id) ON DELETE CASCADE,
    source        TEXT NOT NULL,
    target        TEXT NOT NULL,
    n             INTEGER NOT NULL,          -- 1, 2, ... in (source, target) order
    declared      INTEGER NOT NULL,
    observed      INTEGER NOT NULL,
    declarations  TEXT NOT NULL DEFAULT '[]',
    first_seen    TEXT,
    evidence_file TEXT,
    evidence_line INTEGER,
    PRIMARY KEY (set_id, source, target)
) WITHOUT ROWID;

-- One row per `edge_set_edge` row, keyed by target (as `content_edge_in` in schema 4).
CREATE TABLE edge_set_in (
    set_id INTEGER NOT NULL REFERENCES edge_set(id) ON DELETE CASCADE,
    target TEXT NOT NULL,
    source TEXT NOT NULL,
    PRIMARY KEY (set_id, target, source)
) WITHOUT ROWID;

-- The columns of `finding`, by set; `message` and `evidence` as the content that wrote the
-- set found them.
CREATE TABLE finding_set_finding (
    set_id      INTEGER NOT NULL REFERENCES finding_set(id) ON DELETE CASCADE,
    n           INTEGER NOT NULL,            -- 1, 2, ... in the order the report gave
    fingerprint TEXT NOT NULL,
    code        TEXT NOT NULL,
    rule        TEXT NOT NULL,
    severity    TEXT NOT NULL,
    subject     TEXT NOT NULL,
    related     TEXT NOT NULL DEFAULT '[]',
    path        TEXT NOT NULL DEFAULT '[]',
    loop_kind   TEXT,
    message     TEXT NOT NULL,
    evidence    TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (set_id, n)
) WITHOUT ROWID;

-- Baselines and ad hoc queries look findings up by fingerprint, as
-- `content_finding_by_fingerprint` served.
CREATE INDEX finding_set_finding_by_fingerprint ON finding_set_finding (fingerprint, set_id);

INSERT INTO node_set (id, hash) SELECT id, NULL FROM content ORDER BY id;
INSERT INTO edge_set (id, hash) SELECT id, NULL FROM content ORDER BY id;
INSERT INTO finding_set (id, hash) SELECT id, NULL FROM content ORDER BY id;

-- A content's parts. Never NULL for a content recorded by schema 6 or later.
ALTER TABLE content ADD COLUMN node_set_id INTEGER REFERENCES node_set(id);
ALTER TABLE content ADD COLUMN edge_set_id INTEGER REFERENCES edge_set(id);
ALTER TABLE content ADD COLUMN finding_set_id INTEGER REFERENCES finding_set(id);
UPDATE content SET node_set_id = id, edge_set_id = id, finding_set_id = id;
-- The triggers below find the contents of a set through these.
CREATE INDEX content_by_node_set ON content (node_set_id);
CREATE INDEX content_by_edge_set ON content (edge_set_id);
CREATE INDEX content_by_finding_set ON content (finding_set_id);

-- A content's own rows: `count` and `last_seen` of each observed edge (edge ordinal `n`), and
-- the `message` and `evidence` of each finding (place `n`) where they differ from its finding
-- set's, NULL where they do not. The `edge` view gives an edge without a row count 0 and no
-- last_seen, the `finding` view a finding without one the set's message and evidence.
CREATE TABLE content_edge_seen (
    content_id INTEGER NOT NULL REFERENCES content(id) ON DELETE CASCADE,
    n          INTEGER NOT NULL,
    count      INTEGER NOT NULL,
    last_seen  TEXT,
    PRIMARY KEY (content_id, n)
) WITHOUT ROWID;

CREATE TABLE content_finding_delta (
    content_id INTEGER NOT NULL REFERENCES content(id) ON DELETE CASCADE,
    n          INTEGER NOT NULL,
    message    TEXT,
    evidence   TEXT,
    PRIMARY KEY (content_id, n)
) WITHOUT ROWID;

INSERT INTO node_set_node (set_id, id, kind, manifest_file, manifest_line, owner)
    SELECT content_id, id, kind, manifest_file, manifest_line, owner FROM content_node
    ORDER BY content_id, id;

-- Every edge with its ordinal, once.
CREATE TEMP TABLE numbered_edge AS
    SELECT content_id, source, target,
           row_number() OVER (PARTITION BY content_id ORDER BY source, target) AS n,
           declared, observed, declarations, count, first_seen, last_seen, evidence_file,
           evidence_line
    FROM content_edge;
INSERT INTO edge_set_edge (set_id, source, target, n, declared, observed, declarations,
                           first_seen, evidence_file, evidence_line)
    SELECT content_id, source, target, n, declared, observed, declarations, first_seen,
           evidence_file, evidence_line
    FROM numbered_edge ORDER BY content_id, source, target;
-- Observed edges, and any other row whose count or last_seen the view would not give back.
INSERT INTO content_edge_seen (content_id, n, count, last_seen)
    SELECT content_id, n, count, last_seen FROM numbered_edge
    WHERE observed OR count != 0 OR last_seen IS NOT NULL
    ORDER BY content_id, n;
DROP TABLE numbered_edge;
INSERT INTO edge_set_in (set_id, target, source)
    SELECT content_id, target, source FROM content_edge_in ORDER BY content_id, target, source;

-- Each content wrote its own finding set: no deltas.
INSERT INTO finding_set_finding (set_id, n, fingerprint, code, rule, severity, subject,
                                 related, path, loop_kind, message, evidence)
    SELECT content_id, row_number() OVER (PARTITION BY content_id ORDER BY rowid), fingerprint,
           code, rule, severity, subject, related, path, loop_kind, message, evidence
    FROM content_finding ORDER BY content_id, rowid;

DROP VIEW node;
DROP VIEW edge;
DROP VIEW finding;
DROP TRIGGER content_unused;
DROP TABLE content_node;
DROP TABLE content_edge_in;
DROP TABLE content_edge;
DROP TABLE content_finding;

CREATE VIEW node AS
    SELECT s.id AS snapshot_id, n.id, n.kind, n.manifest_file, n.manifest_line, n.owner
    FROM snapshot AS s
    JOIN content AS c ON c.id = s.content_id
    JOIN node_set_node AS n ON n.set_id = c.node_set_id;

CREATE VIEW edge AS
    SELECT s.id AS snapshot_id, e.source, e.target, e.declared, e.observed, e.declarations,
           coalesce(v.count, 0) AS count, e.first_seen, v.last_seen, e.evidence_file,
           e.evidence_line
    FROM snapshot AS s
    JOIN content AS c ON c.id = s.content_id
    JOIN edge_set_edge AS e ON e.set_id = c.edge_set_id
    LEFT JOIN content_edge_seen AS v ON v.content_id = c.id AND v.n = e.n;

CREATE VIEW finding AS
    SELECT s.id AS snapshot_id, f.fingerprint, f.code, f.rule, f.severity, f.subject,
           f.related, f.path, f.loop_kind, coalesce(d.message, f.message) AS message,
           coalesce(d.evidence, f.evidence) AS evidence
    FROM snapshot AS s
    JOIN content AS c ON c.id = s.content_id
    JOIN finding_set_finding AS f ON f.set_id = c.finding_set_id
    LEFT JOIN content_finding_delta AS d ON d.content_id = c.id AND d.n = f.n
    ORDER BY s.id, f.n;

-- The last snapshot of a content is gone: so is the content with its own rows, which fires
-- the triggers below for its sets.
CREATE TRIGGER content_unused AFTER DELETE ON snapshot
WHEN OLD.content_id IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM snapshot WHERE content_id = OLD.content_id)
BEGIN
    DELETE FROM content_edge_seen WHERE content_id = OLD.content_id;
    DELETE FROM content_finding_delta WHERE content_id = OLD.content_id;
    DELETE FROM content WHERE id = OLD.content_id;
END;

-- The last content of a set is gone: so is the set.
CREATE TRIGGER node_set_unused AFTER DELETE ON content
WHEN OLD.node_set_id IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM content WHERE node_set_id = OLD.node_set_id)
BEGIN
    DELETE FROM node_set_node WHERE set_id = OLD.node_set_id;
    DELETE FROM node_set WHERE id = OLD.node_set_id;
END;

CREATE TRIGGER edge_set_unused AFTER DELETE ON content
WHEN OLD.edge_set_id IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM content WHERE edge_set_id = OLD.edge_set_id)
BEGIN
    DELETE FROM edge_set_edge WHERE set_id = OLD.edge_set_id;
    DELETE FROM edge_set_in WHERE set_id = OLD.edge_set_id;
    DELETE FROM edge_set WHERE id = OLD.edge_set_id;
END;

CREATE TRIGGER finding_set_unused AFTER DELETE ON content
WHEN OLD.finding_set_id IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM content WHERE finding_set_id = OLD.finding_set_id)
BEGIN
    DELETE FROM finding_set_finding WHERE set_id = OLD.finding_set_id;
    DELETE FROM finding_set WHERE id = OLD.finding_set_id;
END;
