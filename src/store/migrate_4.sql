-- Schema version 4: a scan whose content changed records it faster (issue 7).
--
-- Upstream walks looked a content's edges up by target through the index
-- `content_edge_by_target`. SQLite fills an index as the table's rows come, and they come by
-- source, so every entry of a new content landed at a random place among the others: a
-- quarter of the time it took to record a 16 000-edge content. `content_edge_in` holds the
-- same (target, source) pairs as a table of its own, which lintage fills in target order, so
-- its rows are appended instead. The views `node`, `edge` and `finding` are unchanged; a
-- query that looks edges up by target reads them fastest through `content_edge_in`:
--
--   SELECT e.* FROM snapshot AS s
--     CROSS JOIN content_edge_in AS i ON i.content_id = s.content_id
--     CROSS JOIN content_edge AS e ON e.content_id = i.content_id
--                AND e.source = i.source AND e.target = i.target
--   WHERE s.id = (SELECT max(id) FROM snapshot) AND i.target = 'dataset:warehouse.scores';

DROP INDEX content_edge_by_target;

-- One row per `content_edge` row: its content, target and source.
CREATE TABLE content_edge_in (
    content_id INTEGER NOT NULL REFERENCES content(id) ON DELETE CASCADE,
    target     TEXT NOT NULL,
    source     TEXT NOT NULL,
    PRIMARY KEY (content_id, target, source)
) WITHOUT ROWID;

INSERT INTO content_edge_in (content_id, target, source)
    SELECT content_id, target, source FROM content_edge ORDER BY content_id, target, source;

-- As in schema 3, with `content_edge_in`.
DROP TRIGGER content_unused;
CREATE TRIGGER content_unused AFTER DELETE ON snapshot
WHEN OLD.content_id IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM snapshot WHERE content_id = OLD.content_id)
BEGIN
    DELETE FROM content_node WHERE content_id = OLD.content_id;
    DELETE FROM content_edge WHERE content_id = OLD.content_id;
    DELETE FROM content_edge_in WHERE content_id = OLD.content_id;
    DELETE FROM content_finding WHERE content_id = OLD.content_id;
    DELETE FROM content WHERE id = OLD.content_id;
END;
