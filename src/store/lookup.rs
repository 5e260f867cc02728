//! Point lookups on a stored snapshot for queries: the edges of one node at a time, through
//! the primary key of `content_edge` (by source) and of `content_edge_in` (by target), so a query
//! touches only what it reaches.

use rusqlite::params;

use super::{Store, StoreError};

/// One edge seen from the node it was looked up from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hop {
    /// The node at the other end.
    pub node: String,
    pub declared: bool,
    pub observed: bool,
    pub last_seen: Option<String>,
}

impl Store {
    /// The edges leaving `node` (`downstream`) or entering it, sorted by the other end.
    pub fn hops(
        &self,
        snapshot: i64,
        node: &str,
        downstream: bool,
    ) -> Result<Vec<Hop>, StoreError> {
        let Some(content) = self.find_content(snapshot)? else {
            return Ok(Vec::new());
        };
        let sql = if downstream {
            "SELECT target, declared, observed, last_seen FROM content_edge
             WHERE content_id = ?1 AND source = ?2 ORDER BY target"
        } else {
            // `content_edge_in` finds the sources (schema 4), then each row by its key; the
            // CROSS JOIN keeps SQLite from scanning the whole snapshot's edges instead.
            "SELECT e.source, e.declared, e.observed, e.last_seen
             FROM content_edge_in AS i CROSS JOIN content_edge AS e
                 ON e.content_id = i.content_id AND e.source = i.source AND e.target = i.target
             WHERE i.content_id = ?1 AND i.target = ?2 ORDER BY i.source"
        };
        let mut statement = self
            .conn
            .prepare_cached(sql)
            .map_err(|e| self.error("cannot read edges", e))?;
        let rows = statement
            .query_map(params![content, node], |row| {
                Ok(Hop {
                    node: row.get(0)?,
                    declared: row.get(1)?,
                    observed: row.get(2)?,
                    last_seen: row.get(3)?,
                })
            })
            .map_err(|e| self.error("cannot read edges", e))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.error("cannot read edges", e))
    }

    /// Whether the snapshot has this node.
    pub fn has_node(&self, snapshot: i64, id: &str) -> Result<bool, StoreError> {
        let Some(content) = self.find_content(snapshot)? else {
            return Ok(false);
        };
        let mut statement = self
            .conn
            .prepare_cached("SELECT 1 FROM content_node WHERE content_id = ?1 AND id = ?2")
            .map_err(|e| self.error("cannot read nodes", e))?;
        statement
            .exists(params![content, id])
            .map_err(|e| self.error("cannot read nodes", e))
    }

    /// Every node id of the snapshot, sorted (for name resolution and suggestions).
    pub fn node_ids(&self, snapshot: i64) -> Result<Vec<String>, StoreError> {
        let Some(content) = self.find_content(snapshot)? else {
            return Ok(Vec::new());
        };
        let mut statement = self
            .conn
            .prepare_cached("SELECT id FROM content_node WHERE content_id = ?1 ORDER BY id")
            .map_err(|e| self.error("cannot read nodes", e))?;
        let rows = statement
            .query_map([content], |row| row.get(0))
            .map_err(|e| self.error("cannot read nodes", e))?;
        rows.collect::<Result<Vec<String>, _>>()
            .map_err(|e| self.error("cannot read nodes", e))
    }
}

impl Store {
    /// Every edge of the snapshot, grouped by source (`downstream`) or by target, each group
    /// sorted by the other end: for walks that reach so much that one read beats many.
    pub fn all_hops(
        &self,
        snapshot: i64,
        downstream: bool,
    ) -> Result<std::collections::HashMap<String, Vec<Hop>>, StoreError> {
        let Some(content) = self.find_content(snapshot)? else {
            return Ok(std::collections::HashMap::new());
        };
        let mut statement = self
            .conn
            .prepare(
                "SELECT source, target, declared, observed, last_seen FROM content_edge
                 WHERE content_id = ?1",
            )
            .map_err(|e| self.error("cannot read edges", e))?;
        let mut rows = statement
            .query([content])
            .map_err(|e| self.error("cannot read edges", e))?;
        let mut groups: std::collections::HashMap<String, Vec<Hop>> =
            std::collections::HashMap::new();
        while let Some(row) = rows
            .next()
            .map_err(|e| self.error("cannot read edges", e))?
        {
            let read = |row: &rusqlite::Row<'_>| -> rusqlite::Result<(String, String, bool, bool, Option<String>)> {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?))
            };
            let (source, target, declared, observed, last_seen) =
                read(row).map_err(|e| self.error("cannot read edges", e))?;
            let (key, other) = if downstream {
                (source, target)
            } else {
                (target, source)
            };
            groups.entry(key).or_default().push(Hop {
                node: other,
                declared,
                observed,
                last_seen,
            });
        }
        for hops in groups.values_mut() {
            hops.sort_by(|a, b| a.node.cmp(&b.node));
        }
        Ok(groups)
    }
}
