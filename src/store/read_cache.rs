//! The read cache in the store: what each scan read from each line log of a deployment
//! (`read_cache`, schema 3: one row per file, its edges in one blob), loaded before a scan
//! and replaced after it.

use std::collections::HashMap;

use rusqlite::{TransactionBehavior, params};

use super::{Store, StoreError, forget_absent_files, int, on_error};
use crate::ingest::LogStats;
use crate::ingest::cache::{CachedRead, FileState, ReadCache};
use crate::ingest::digest::{FileDigest, HashState};
use crate::ingest::pipeline::Resume;

impl Store {
    /// What earlier scans of `root` read, by path. A row whose edges are no blob is left
    /// out, so that its file is read again (as is one whose blob does not decode, when the
    /// scan decodes it).
    pub fn load_read_cache(&self, root: &str) -> Result<ReadCache, StoreError> {
        let mut files: HashMap<String, CachedRead> = HashMap::new();
        let mut rows = self
            .conn
            .prepare(
                "SELECT path, settings, size, mtime_ns, head_hash, end_offset, end_line, hash_acc,
                        hash_blocks, content_hash, records, malformed, outside_window, ignored,
                        samples, edges
                 FROM read_cache WHERE root = ?1",
            )
            .map_err(on_error(&self.path, "cannot read the read cache"))?;
        let reads = rows
            .query_map(params![root], |row| {
                // Decoded when the scan needs it; one that does not decode then is read again.
                let Ok(blob) = row.get_ref(15)?.as_blob() else {
                    return Ok(None);
                };
                let encoded_edges = blob.to_vec();
                let path: String = row.get(0)?;
                let samples: String = row.get(14)?;
                let samples: Vec<(u64, String)> =
                    serde_json::from_str(&samples).unwrap_or_default();
                let stats = LogStats {
                    records: row.get::<_, i64>(10)? as u64,
                    malformed: row.get::<_, i64>(11)? as u64,
                    outside_window: row.get::<_, i64>(12)? as u64,
                    ignored: row.get::<_, i64>(13)? as u64,
                    samples: samples
                        .into_iter()
                        .map(|(line, reason)| crate::ingest::Malformed {
                            file: path.clone(),
                            line,
                            reason,
                        })
                        .collect(),
                };
                let accumulator: String = row.get(7)?;
                Ok(Some(CachedRead {
                    settings: row.get(1)?,
                    state: FileState {
                        size: row.get::<_, i64>(2)? as u64,
                        mtime_ns: row.get(3)?,
                        head_hash: row.get(4)?,
                    },
                    end: Resume {
                        offset: row.get::<_, i64>(5)? as u64,
                        lines: row.get::<_, i64>(6)? as u64,
                        hash: HashState {
                            accumulator: u128::from_str_radix(&accumulator, 16).unwrap_or(0),
                            whole_blocks: row.get::<_, i64>(8)? as u64,
                        },
                    },
                    digest: FileDigest {
                        size: row.get::<_, i64>(5)? as u64,
                        hash: row.get(9)?,
                    },
                    stats,
                    encoded_edges,
                    path,
                }))
            })
            .map_err(on_error(&self.path, "cannot read the read cache"))?;
        for read in reads {
            let read = read.map_err(on_error(&self.path, "cannot read the read cache"))?;
            if let Some(read) = read {
                files.insert(read.path.clone(), read);
            }
        }
        Ok(ReadCache { files })
    }

    /// Replaces the cached reads of `root` with `reads`, and forgets files not in `present`.
    pub fn save_reads(
        &mut self,
        root: &str,
        reads: &[CachedRead],
        present: &[String],
    ) -> Result<(), StoreError> {
        let path = self.path.clone();
        let err = |action| on_error(&path, action);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err("cannot lock the database to save the read cache"))?;
        {
            forget_absent_files(&tx, "read_cache", root, present)
                .map_err(err("cannot save the read cache"))?;
            let mut file = tx
                .prepare(
                    "INSERT OR REPLACE INTO read_cache (root, path, settings, size, mtime_ns,
                        head_hash, end_offset, end_line, hash_acc, hash_blocks, content_hash,
                        records, malformed, outside_window, ignored, samples, edges)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,
                        ?16, ?17)",
                )
                .map_err(err("cannot save the read cache"))?;
            for read in reads {
                let samples: Vec<(u64, &str)> = read
                    .stats
                    .samples
                    .iter()
                    .map(|m| (m.line, m.reason.as_str()))
                    .collect();
                let samples = serde_json::to_string(&samples).unwrap_or_else(|_| "[]".into());
                file.execute(params![
                    root,
                    read.path,
                    read.settings,
                    int(read.state.size),
                    read.state.mtime_ns,
                    read.state.head_hash,
                    int(read.end.offset),
                    int(read.end.lines),
                    format!("{:032x}", read.end.hash.accumulator),
                    int(read.end.hash.whole_blocks),
                    read.digest.hash,
                    int(read.stats.records),
                    int(read.stats.malformed),
                    int(read.stats.outside_window),
                    int(read.stats.ignored),
                    samples,
                    read.encoded_edges,
                ])
                .map_err(err("cannot save the read cache"))?;
            }
        }
        tx.commit().map_err(err("cannot commit the read cache"))
    }
}
