//! Point lookups on a stored snapshot for queries: the edges of one node at a time, through
//! the primary key of `edge_set_edge` (by source) and of `edge_set_in` (by target), with each
//! edge's `last_seen` from `content_edge_seen` by its ordinal, so a query touches only what it
//! reaches.

use rusqlite::params;

use super::{Store, StoreError, find_seen};

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
        let Some(parts) = self.find_parts(snapshot)? else {
            return Ok(Vec::new());
        };
        let sql = if downstream {
            "SELECT e.target, e.declared, e.observed, v.last_seen
             FROM edge_set_edge AS e
             LEFT JOIN content_edge_seen AS v ON v.content_id = ?1 AND v.n = e.n
             WHERE e.set_id = ?2 AND e.source = ?3 ORDER BY e.target"
        } else {
            // `edge_set_in` finds the sources, then each row by its key; the CROSS JOIN keeps
            // SQLite from scanning the whole snapshot's edges instead.
            "SELECT e.source, e.declared, e.observed, v.last_seen
             FROM edge_set_in AS i CROSS JOIN edge_set_edge AS e
                 ON e.set_id = i.set_id AND e.source = i.source AND e.target = i.target
             LEFT JOIN content_edge_seen AS v ON v.content_id = ?1 AND v.n = e.n
             WHERE i.set_id = ?2 AND i.target = ?3 ORDER BY i.source"
        };
        let mut statement = self
            .conn
            .prepare_cached(sql)
            .map_err(|e| self.error("cannot read edges", e))?;
        let rows = statement
            .query_map(params![parts.content, parts.edges, node], |row| {
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
        let Some(parts) = self.find_parts(snapshot)? else {
            return Ok(false);
        };
        let mut statement = self
            .conn
            .prepare_cached("SELECT 1 FROM node_set_node WHERE set_id = ?1 AND id = ?2")
            .map_err(|e| self.error("cannot read nodes", e))?;
        statement
            .exists(params![parts.nodes, id])
            .map_err(|e| self.error("cannot read nodes", e))
    }

    /// Every node id of the snapshot, sorted (for name resolution and suggestions).
    pub fn node_ids(&self, snapshot: i64) -> Result<Vec<String>, StoreError> {
        let Some(parts) = self.find_parts(snapshot)? else {
            return Ok(Vec::new());
        };
        let mut statement = self
            .conn
            .prepare_cached("SELECT id FROM node_set_node WHERE set_id = ?1 ORDER BY id")
            .map_err(|e| self.error("cannot read nodes", e))?;
        let rows = statement
            .query_map([parts.nodes], |row| row.get(0))
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
        let Some(parts) = self.find_parts(snapshot)? else {
            return Ok(std::collections::HashMap::new());
        };
        // `last_seen` by ordinal, looked up as the edges come, instead of a join that would
        // look every edge's up in the table.
        let mut seen = self.seen(parts.content, "cannot read edges")?;
        let mut statement = self
            .conn
            .prepare(
                "SELECT source, target, declared, observed, n FROM edge_set_edge WHERE set_id = ?1",
            )
            .map_err(|e| self.error("cannot read edges", e))?;
        let mut rows = statement
            .query([parts.edges])
            .map_err(|e| self.error("cannot read edges", e))?;
        let mut groups: std::collections::HashMap<String, Vec<Hop>> =
            std::collections::HashMap::new();
        while let Some(row) = rows
            .next()
            .map_err(|e| self.error("cannot read edges", e))?
        {
            let read =
                |row: &rusqlite::Row<'_>| -> rusqlite::Result<(String, String, bool, bool, i64)> {
                    Ok((
                        row.get(0)?,
                        row.get(1)?,
                        row.get(2)?,
                        row.get(3)?,
                        row.get(4)?,
                    ))
                };
            let (source, target, declared, observed, n) =
                read(row).map_err(|e| self.error("cannot read edges", e))?;
            let last_seen = find_seen(&mut seen, n).and_then(|(_, _, last)| last.take());
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
