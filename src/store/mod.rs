//! The snapshot store: every scan's inputs, lineage graph and findings in one SQLite file
//! (`.lintage/lintage.db` by default), versioned with `PRAGMA user_version`, so that later
//! commands (`check --against`, `diff`, `query`) can read a past scan back.

mod content;
pub mod lookup;
mod manifest_cache;
pub mod memory;
mod read_cache;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, TransactionBehavior, params};
use serde::Serialize;

use crate::finding::{Finding, LoopKind};
use crate::graph::LineageGraph;
use crate::ingest::FileDigest;

/// The schema, one SQL script per version: `MIGRATIONS[i]` takes a database from
/// `user_version` i to i + 1. A new version appends a script; none is ever edited.
const MIGRATIONS: &[&str] = &[
    include_str!("schema.sql"),
    include_str!("migrate_2.sql"),
    include_str!("migrate_3.sql"),
    include_str!("migrate_4.sql"),
    include_str!("migrate_5.sql"),
    include_str!("migrate_6.sql"),
];

/// The schema version this lintage writes and reads.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// How long a writer waits for another lintage to finish with the database.
const BUSY_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "cannot create the folder of the snapshot database {}: {source}; check its permissions or pass another --db",
        path.display()
    )]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{} is not an SQLite database, so it cannot be a lintage snapshot store; move it away or pass another --db",
        path.display()
    )]
    NotSqlite { path: PathBuf },
    #[error(
        "{} is an SQLite database that lintage did not create (it has tables but no lintage schema version); pass another --db",
        path.display()
    )]
    Foreign { path: PathBuf },
    #[error(
        "{}: created by a newer lintage (schema {found}, this one knows {known}); upgrade lintage or use another --db",
        path.display()
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error(
        "{}: written by an older lintage (schema {found}, this one knows {known}) and cannot be upgraded: {source}; run `lintage scan` where the file is writable, or pass another --db",
        path.display()
    )]
    CannotUpgrade {
        path: PathBuf,
        found: i64,
        known: i64,
        #[source]
        source: Box<StoreError>,
    },
    #[error("{}: no snapshot yet: run `lintage scan` first, or pass --db", path.display())]
    NoSnapshot { path: PathBuf },
    #[error("{}: no snapshot `{reference}`: {reason}", path.display())]
    UnknownRef {
        path: PathBuf,
        reference: String,
        reason: String,
    },
    #[error(
        "{}: {action}: the database stayed locked by another process for {} s; wait for it to finish, or pass another --db",
        path.display(),
        BUSY_TIMEOUT.as_secs()
    )]
    Busy { path: PathBuf, action: &'static str },
    #[error(
        "{}: {action}: the database or its folder is read-only; make both writable, or pass another --db (nothing was recorded; earlier snapshots are unchanged)",
        path.display()
    )]
    ReadOnly {
        path: PathBuf,
        action: &'static str,
        #[source]
        source: rusqlite::Error,
    },
    #[error(
        "{}: {action}: the disk is full or cannot be written; free some space, or pass another --db (nothing was recorded; earlier snapshots are unchanged)",
        path.display()
    )]
    Full {
        path: PathBuf,
        action: &'static str,
        #[source]
        source: rusqlite::Error,
    },
    #[error("{}: {action}: {source}", path.display())]
    Sqlite {
        path: PathBuf,
        action: &'static str,
        #[source]
        source: rusqlite::Error,
    },
    #[error(
        "{}: snapshot {snapshot}: {what} is not valid JSON ({source}); the database is damaged or was edited by hand",
        path.display()
    )]
    BadJson {
        path: PathBuf,
        snapshot: i64,
        what: &'static str,
        #[source]
        source: serde_json::Error,
    },
}

impl StoreError {
    /// Sorts an SQLite error into what a user can act on.
    fn sqlite(path: &Path, action: &'static str, source: rusqlite::Error) -> StoreError {
        let path = path.to_path_buf();
        match source.sqlite_error_code() {
            Some(ErrorCode::NotADatabase) => StoreError::NotSqlite { path },
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
                StoreError::Busy { path, action }
            }
            // SQLite opens files lazily: a folder where it cannot create the database or its
            // `-wal` and `-shm` files shows as "cannot open" at the first statement.
            Some(ErrorCode::ReadOnly | ErrorCode::CannotOpen | ErrorCode::PermissionDenied)
                if !path.is_dir() =>
            {
                StoreError::ReadOnly {
                    path,
                    action,
                    source,
                }
            }
            // A full disk is SQLITE_FULL, or an I/O error when growing the `-shm` file or a
            // write fails outright.
            Some(ErrorCode::DiskFull | ErrorCode::SystemIoFailure) => StoreError::Full {
                path,
                action,
                source,
            },
            _ => StoreError::Sqlite {
                path,
                action,
                source,
            },
        }
    }
}

/// A file a scan read, relative to the deployment root, with its size and content hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputFile {
    pub path: String,
    pub size: u64,
    pub content_hash: String,
}

impl From<&crate::ingest::InputFile> for InputFile {
    fn from(input: &crate::ingest::InputFile) -> InputFile {
        InputFile {
            path: input.path.clone(),
            size: input.digest.size,
            content_hash: input.digest.hash.clone(),
        }
    }
}

/// Size and content hash of a file, read in 64 KiB pieces.
pub fn hash_file(path: &Path) -> std::io::Result<FileDigest> {
    let mut hasher = crate::ingest::digest::ContentHasher::default();
    let mut reader = crate::ingest::digest::Hashing {
        inner: std::fs::File::open(path)?,
        hasher: &mut hasher,
    };
    std::io::copy(&mut reader, &mut std::io::sink())?;
    Ok(hasher.finish())
}

/// Everything one scan records.
pub struct SnapshotInput<'a> {
    /// `scan` or `check`.
    pub command: &'a str,
    /// Whether the command found something at or above `--fail-on` (exit code 1).
    pub failed: bool,
    pub root: &'a str,
    pub inputs: &'a [InputFile],
    pub graph: &'a LineageGraph,
    pub findings: &'a [Finding],
    pub log_records: u64,
    pub malformed_records: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotInfo {
    pub id: i64,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub root: String,
    pub tool_version: String,
    pub node_count: u64,
    pub edge_count: u64,
    pub finding_count: u64,
    pub log_records: u64,
    pub malformed_records: u64,
    pub command: String,
    pub failed: bool,
}

/// Which snapshots `latest` and `latest~N` count.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// Only snapshots of this deployment root.
    pub root: Option<String>,
    /// Leave out snapshots recorded by a `check` that failed: they are not an accepted state.
    pub accepted_only: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredNode {
    pub id: String,
    pub kind: String,
    pub manifest_file: Option<String>,
    pub manifest_line: Option<u64>,
    /// The manifest's `owner`, for entities that declare one.
    pub owner: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StoredEdge {
    pub source: String,
    pub target: String,
    pub declared: bool,
    pub observed: bool,
    /// Observed accesses; 0 when the edge is only declared.
    pub count: u64,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    pub evidence_file: Option<String>,
    pub evidence_line: Option<u64>,
    /// `[{"key", "file", "line", "via"}]`, as in the `edge.declarations` column.
    pub declarations: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StoredFinding {
    pub fingerprint: String,
    pub code: String,
    pub rule: String,
    pub severity: String,
    pub subject: String,
    pub related: Vec<String>,
    pub path: Vec<String>,
    pub loop_kind: Option<String>,
    pub message: String,
    pub evidence: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub info: SnapshotInfo,
    pub inputs: Vec<InputFile>,
    pub nodes: Vec<StoredNode>,
    pub edges: Vec<StoredEdge>,
    pub findings: Vec<StoredFinding>,
}

/// The content a snapshot names and its node, edge and finding sets (schema 6), for reads
/// that go to their tables directly: `WHERE set_id = ?` uses their keys without the views'
/// joins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Parts {
    content: i64,
    nodes: i64,
    edges: i64,
    findings: i64,
}

/// One `content_edge_seen` row: an observed edge's ordinal, `count` and `last_seen`.
type SeenRow = (i64, u64, Option<String>);

/// One open snapshot database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Opens (creating it and its folders if needed) a database to record into, and brings
    /// its schema up to date.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| StoreError::CreateDir {
                path: path.to_path_buf(),
                source,
            })?;
        }
        let conn = Connection::open(path)
            .map_err(|e| StoreError::sqlite(path, "cannot open the snapshot database", e))?;
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
        };
        store.configure()?;
        // 16 KiB pages make the b-trees of a large snapshot shallower (about 10% faster to
        // record a million edges). This only takes effect while the database is still empty.
        store
            .conn
            .pragma_update(None, "page_size", 16_384)
            .map_err(|e| store.error("cannot set the page size", e))?;
        store.use_wal()?;
        store
            .conn
            .pragma_update(None, "synchronous", "NORMAL")
            .map_err(|e| store.error("cannot set synchronous = NORMAL", e))?;
        // A statement that inserts many rows keeps a statement journal, to undo only itself
        // if it fails half-way; in a temporary file it is written out page by page (5 ms of
        // the 60 ms a new 16 000-edge snapshot took), in memory it is not.
        store
            .conn
            .pragma_update(None, "temp_store", "MEMORY")
            .map_err(|e| store.error("cannot set temp_store = MEMORY", e))?;
        store.migrate()?;
        Ok(store)
    }

    /// Switches the database to WAL journaling, which lets queries read while a scan
    /// records. The switch needs the database to itself for a moment, and SQLite reports a
    /// conflict at once instead of calling the busy handler, so it is retried here for as
    /// long as the busy timeout.
    fn use_wal(&self) -> Result<(), StoreError> {
        let action = "cannot switch to WAL journaling";
        let started = std::time::Instant::now();
        let mut pause = Duration::from_millis(1);
        loop {
            let mode = self
                .conn
                .pragma_query_value(None, "journal_mode", |row| row.get::<_, String>(0))
                .and_then(|mode| {
                    if mode.eq_ignore_ascii_case("wal") {
                        Ok(mode)
                    } else {
                        self.conn
                            .pragma_update_and_check(None, "journal_mode", "WAL", |row| {
                                row.get::<_, String>(0)
                            })
                    }
                });
            match mode {
                Ok(_) => return Ok(()),
                Err(e) if is_busy(&e) && started.elapsed() < BUSY_TIMEOUT => {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(50));
                }
                Err(e) => return Err(self.error(action, e)),
            }
        }
    }

    /// Opens an existing database for reading only, as queries do.
    pub fn open_read_only(path: &Path) -> Result<Store, StoreError> {
        if !path.is_file() {
            return Err(StoreError::NoSnapshot {
                path: path.to_path_buf(),
            });
        }
        let store = Store::open_reader(path)?;
        let version = store.user_version()?;
        if version == SCHEMA_VERSION {
            return Ok(store);
        }
        if version > SCHEMA_VERSION {
            return Err(too_new(&store.path, version));
        }
        if version == 0 {
            return Err(if store.has_tables()? {
                StoreError::Foreign {
                    path: path.to_path_buf(),
                }
            } else {
                StoreError::NoSnapshot {
                    path: path.to_path_buf(),
                }
            });
        }
        // An older schema: upgrade it once through a writer, then read.
        drop(store);
        Store::open(path).map_err(|source| StoreError::CannotUpgrade {
            path: path.to_path_buf(),
            found: version,
            known: SCHEMA_VERSION,
            source: Box::new(source),
        })?;
        Store::open_reader(path)
    }

    fn open_reader(path: &Path) -> Result<Store, StoreError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI;
        let conn = Connection::open_with_flags(path, flags)
            .map_err(|e| StoreError::sqlite(path, "cannot open the snapshot database", e))?;
        let store = Store {
            conn,
            path: path.to_path_buf(),
        };
        store.configure()?;
        Ok(store)
    }

    /// Copies what the write-ahead log holds into the database file, as far as no reader
    /// still needs it, so that closing the store later has less to copy.
    pub fn checkpoint(&self) -> Result<(), StoreError> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
            .map_err(|e| self.error("cannot copy the write-ahead log into the database", e))
    }

    /// The database file this store reads and writes.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn configure(&self) -> Result<(), StoreError> {
        self.conn
            .busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| self.error("cannot set the busy timeout", e))?;
        self.conn
            .pragma_update(None, "foreign_keys", "ON")
            .map_err(|e| self.error("cannot turn foreign keys on", e))?;
        // A bigger page cache keeps index inserts of a large snapshot in memory (64 MiB).
        self.conn
            .pragma_update(None, "cache_size", -65_536)
            .map_err(|e| self.error("cannot set the cache size", e))?;
        Ok(())
    }

    fn error(&self, action: &'static str, source: rusqlite::Error) -> StoreError {
        StoreError::sqlite(&self.path, action, source)
    }

    fn user_version(&self) -> Result<i64, StoreError> {
        self.conn
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(|e| self.error("cannot read the schema version", e))
    }

    fn has_tables(&self) -> Result<bool, StoreError> {
        self.conn
            .query_row("SELECT count(*) FROM sqlite_schema", [], |row| {
                row.get::<_, i64>(0)
            })
            .map(|n| n > 0)
            .map_err(|e| self.error("cannot read the schema", e))
    }

    /// Applies the migrations the database has not seen, in one transaction, so that two
    /// lintage processes opening a new database at once cannot both apply them.
    fn migrate(&mut self) -> Result<(), StoreError> {
        let version = self.user_version()?;
        if version == SCHEMA_VERSION {
            return Ok(());
        }
        if version > SCHEMA_VERSION {
            return Err(too_new(&self.path, version));
        }
        let path = self.path.clone();
        let err = |action| on_error(&path, action);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err("cannot lock the database to upgrade its schema"))?;
        // Read again under the lock: another process may have migrated meanwhile.
        let version: i64 = tx
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(err("cannot read the schema version"))?;
        if version > SCHEMA_VERSION {
            return Err(too_new(&self.path, version));
        }
        if version == 0 {
            let tables: i64 = tx
                .query_row("SELECT count(*) FROM sqlite_schema", [], |row| row.get(0))
                .map_err(err("cannot read the schema"))?;
            if tables > 0 {
                return Err(StoreError::Foreign {
                    path: self.path.clone(),
                });
            }
        }
        let start = usize::try_from(version).unwrap_or(usize::MAX);
        for script in MIGRATIONS.iter().skip(start) {
            tx.execute_batch(script)
                .map_err(err("cannot upgrade the schema"))?;
        }
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)
            .map_err(err("cannot write the schema version"))?;
        tx.commit().map_err(err("cannot commit the schema upgrade"))
    }

    /// Records one snapshot in a single transaction and returns its id. Its nodes, edges
    /// and findings are written only when no earlier snapshot found the very same rows;
    /// otherwise it shares theirs (`content`, schema 3). A new content shares each of its
    /// node, edge and finding sets that an earlier content has, and writes besides only its
    /// edges' `count` and `last_seen` and the findings' messages and evidence that differ
    /// from its finding set's (schema 6).
    pub fn record(&mut self, snapshot: &SnapshotInput<'_>) -> Result<i64, StoreError> {
        let path = self.path.clone();
        let err = |action| on_error(&path, action);
        let graph = snapshot.graph;
        // Built and hashed before the write lock is taken, so that other writers wait less.
        let content = content::Content::of(graph, snapshot.findings);
        let hashes = content.hashes();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err("cannot start a transaction to record the snapshot"))?;
        let known: Option<i64> = tx
            .query_row(
                "SELECT id FROM content WHERE hash = ?1",
                [&hashes.content],
                |row| row.get(0),
            )
            .optional()
            .map_err(err("cannot read the recorded contents"))?;
        let content_id = match known {
            Some(id) => id,
            None => content
                .insert(&tx, &hashes)
                .map_err(err("cannot record the nodes, edges and findings"))?,
        };
        tx.execute(
            "INSERT INTO snapshot (created_at, root, tool_version, node_count, edge_count,
                 finding_count, log_records, malformed_records, command, failed, content_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                now_rfc3339(),
                snapshot.root,
                env!("CARGO_PKG_VERSION"),
                int(graph.node_count()),
                int(graph.edge_count()),
                int(snapshot.findings.len()),
                int(snapshot.log_records),
                int(snapshot.malformed_records),
                snapshot.command,
                snapshot.failed,
                content_id,
            ],
        )
        .map_err(err("cannot record the snapshot"))?;
        let id = tx.last_insert_rowid();

        {
            let mut insert = tx
                .prepare(
                    "INSERT INTO input (snapshot_id, path, size, content_hash) VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(err("cannot prepare to record inputs"))?;
            for input in snapshot.inputs {
                insert
                    .execute(params![id, input.path, int(input.size), input.content_hash])
                    .map_err(err("cannot record an input file"))?;
            }
        }

        tx.commit().map_err(err("cannot commit the snapshot"))?;
        Ok(id)
    }

    /// The content a snapshot names and its sets (schema 6), `None` for a snapshot that does
    /// not exist.
    fn find_parts(&self, snapshot: i64) -> Result<Option<Parts>, StoreError> {
        self.conn
            .prepare_cached(
                "SELECT c.id, c.node_set_id, c.edge_set_id, c.finding_set_id
                 FROM snapshot AS s JOIN content AS c ON c.id = s.content_id WHERE s.id = ?1",
            )
            .and_then(|mut s| {
                s.query_row([snapshot], |row| {
                    Ok(Parts {
                        content: row.get(0)?,
                        nodes: row.get(1)?,
                        edges: row.get(2)?,
                        findings: row.get(3)?,
                    })
                })
                .optional()
            })
            .map_err(|e| self.error("cannot read a snapshot", e))
    }

    /// Like `find_parts`, with an error for a snapshot that does not exist.
    fn parts(&self, snapshot: i64) -> Result<Parts, StoreError> {
        self.find_parts(snapshot)?
            .ok_or_else(|| StoreError::UnknownRef {
                path: self.path.clone(),
                reference: snapshot.to_string(),
                reason: "no snapshot has this id".to_string(),
            })
    }

    /// Every snapshot, oldest first.
    pub fn list(&self) -> Result<Vec<SnapshotInfo>, StoreError> {
        let mut statement = self
            .conn
            .prepare(&format!("{SELECT_INFO} ORDER BY id"))
            .map_err(|e| self.error("cannot list snapshots", e))?;
        let rows = statement
            .query_map([], info_from_row)
            .map_err(|e| self.error("cannot list snapshots", e))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.error("cannot list snapshots", e))
    }

    /// Turns `latest`, `latest~N` (N snapshots before the latest) or a numeric id into the id
    /// of a stored snapshot.
    pub fn resolve(&self, reference: &str) -> Result<i64, StoreError> {
        self.resolve_in(reference, &Scope::default())
    }

    /// Like `resolve`, with `latest` and `latest~N` counted among the snapshots in `scope`
    /// only; a numeric id names its snapshot whatever the scope.
    pub fn resolve_in(&self, reference: &str, scope: &Scope) -> Result<i64, StoreError> {
        let unknown = |reason: String| StoreError::UnknownRef {
            path: self.path.clone(),
            reference: reference.to_string(),
            reason,
        };
        const IN_SCOPE: &str =
            "(?1 IS NULL OR root = ?1) AND (?2 = 0 OR NOT (command = 'check' AND failed = 1))";
        let scope_params = params![scope.root, scope.accepted_only];
        let (count, latest): (i64, Option<i64>) = self
            .conn
            .query_row(
                &format!("SELECT count(*), max(id) FROM snapshot WHERE {IN_SCOPE}"),
                scope_params,
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .map_err(|e| self.error("cannot read the snapshot list", e))?;
        let is_latest_ref = reference.trim().starts_with("latest");
        let latest = match latest {
            Some(latest) => latest,
            None if is_latest_ref => {
                return Err(match &scope.root {
                    Some(root) => unknown(format!(
                        "no {}snapshot of {root} yet: run `lintage scan {root}` first",
                        if scope.accepted_only { "accepted " } else { "" }
                    )),
                    None => StoreError::NoSnapshot {
                        path: self.path.clone(),
                    },
                });
            }
            None => self
                .conn
                .query_row("SELECT max(id) FROM snapshot", [], |row| {
                    row.get::<_, Option<i64>>(0)
                })
                .map_err(|e| self.error("cannot read the snapshot list", e))?
                .ok_or_else(|| StoreError::NoSnapshot {
                    path: self.path.clone(),
                })?,
        };
        let text = reference.trim();
        let back = if text == "latest" {
            Some(0)
        } else if let Some(n) = text.strip_prefix("latest~") {
            Some(n.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
                unknown(format!(
                    "`{n}` after `latest~` is not a number of snapshots; write e.g. `latest~1`"
                ))
            })?)
        } else {
            None
        };
        if let Some(back) = back {
            if back >= count {
                return Err(unknown(format!(
                    "the database holds {count} snapshot{}, so the oldest is `latest~{}`",
                    if count == 1 { "" } else { "s" },
                    count - 1
                )));
            }
            return self
                .conn
                .query_row(
                    &format!(
                        "SELECT id FROM snapshot WHERE {IN_SCOPE} ORDER BY id DESC LIMIT 1 OFFSET ?3"
                    ),
                    params![scope.root, scope.accepted_only, back],
                    |row| row.get(0),
                )
                .map_err(|e| self.error("cannot read the snapshot list", e));
        }
        let Ok(id) = text.parse::<i64>() else {
            return Err(unknown(
                "expected `latest`, `latest~N` or a snapshot id (a number)".to_string(),
            ));
        };
        let found = self
            .conn
            .query_row("SELECT id FROM snapshot WHERE id = ?1", [id], |row| {
                row.get::<_, i64>(0)
            })
            .optional()
            .map_err(|e| self.error("cannot read the snapshot list", e))?;
        found.ok_or_else(|| {
            let first: i64 = self
                .conn
                .query_row("SELECT min(id) FROM snapshot", [], |row| row.get(0))
                .unwrap_or(latest);
            unknown(format!(
                "the database holds {count} snapshot{} with ids from {first} to {latest}",
                if count == 1 { "" } else { "s" },
            ))
        })
    }

    /// One snapshot's summary row.
    pub fn load_info(&self, id: i64) -> Result<SnapshotInfo, StoreError> {
        self.info(id)
    }

    fn info(&self, id: i64) -> Result<SnapshotInfo, StoreError> {
        self.conn
            .query_row(&format!("{SELECT_INFO} WHERE id = ?1"), [id], info_from_row)
            .optional()
            .map_err(|e| self.error("cannot read a snapshot", e))?
            .ok_or_else(|| StoreError::UnknownRef {
                path: self.path.clone(),
                reference: id.to_string(),
                reason: "no snapshot has this id".to_string(),
            })
    }

    /// A whole snapshot: nodes sorted by id, edges by (source, target), findings in the
    /// order every report uses (code, subject, related, path).
    pub fn load(&self, id: i64) -> Result<Snapshot, StoreError> {
        let info = self.info(id)?;
        let inputs = self.query(
            "SELECT path, size, content_hash FROM input WHERE snapshot_id = ?1 ORDER BY path",
            params![id],
            "cannot read the inputs of a snapshot",
            |row| {
                Ok(InputFile {
                    path: row.get(0)?,
                    size: unsigned(row, 1)?,
                    content_hash: row.get(2)?,
                })
            },
        )?;
        let parts = self.parts(id)?;
        let nodes = self.query(
            "SELECT id, kind, manifest_file, manifest_line, owner FROM node_set_node
             WHERE set_id = ?1 ORDER BY id",
            params![parts.nodes],
            "cannot read the nodes of a snapshot",
            |row| {
                Ok(StoredNode {
                    id: row.get(0)?,
                    kind: row.get(1)?,
                    manifest_file: row.get(2)?,
                    manifest_line: unsigned_opt(row, 3)?,
                    owner: row.get(4)?,
                })
            },
        )?;
        let edges = self.edges(id, parts)?;
        let raw = self.query(
            "SELECT f.fingerprint, f.code, f.rule, f.severity, f.subject, f.related, f.path,
                    f.loop_kind, coalesce(d.message, f.message), coalesce(d.evidence, f.evidence)
             FROM finding_set_finding AS f
             LEFT JOIN content_finding_delta AS d ON d.content_id = ?2 AND d.n = f.n
             WHERE f.set_id = ?1 ORDER BY f.n",
            params![parts.findings, parts.content],
            "cannot read the findings of a snapshot",
            |row| {
                Ok((
                    StoredFinding {
                        fingerprint: row.get(0)?,
                        code: row.get(1)?,
                        rule: row.get(2)?,
                        severity: row.get(3)?,
                        subject: row.get(4)?,
                        related: Vec::new(),
                        path: Vec::new(),
                        loop_kind: row.get(7)?,
                        message: row.get(8)?,
                        evidence: serde_json::Value::Null,
                    },
                    row.get::<_, String>(5)?,
                    row.get::<_, String>(6)?,
                    row.get::<_, String>(9)?,
                ))
            },
        )?;
        let mut findings = Vec::with_capacity(raw.len());
        for (mut finding, related, path, evidence) in raw {
            finding.related = self.parse_json(id, "finding.related", &related)?;
            finding.path = self.parse_json(id, "finding.path", &path)?;
            finding.evidence = self.parse_json(id, "finding.evidence", &evidence)?;
            findings.push(finding);
        }
        // Sorted here, not in SQL: `related` and `path` compare as lists, not as JSON text.
        findings.sort_by(|a, b| {
            (&a.code, &a.subject, &a.related, &a.path)
                .cmp(&(&b.code, &b.subject, &b.related, &b.path))
        });
        Ok(Snapshot {
            info,
            inputs,
            nodes,
            edges,
            findings,
        })
    }

    /// The edges of one snapshot, sorted by (source, target): what graph queries need.
    pub fn load_edges(&self, id: i64) -> Result<Vec<StoredEdge>, StoreError> {
        self.info(id)?;
        let parts = self.parts(id)?;
        self.edges(id, parts)
    }

    /// `id` names the snapshot in errors; `parts` are the ones it names.
    fn edges(&self, id: i64, parts: Parts) -> Result<Vec<StoredEdge>, StoreError> {
        let action = "cannot read the edges of a snapshot";
        let mut seen = self.seen(parts.content, action)?;
        let raw = self.query(
            "SELECT source, target, declared, observed, first_seen, evidence_file,
                    evidence_line, declarations, n
             FROM edge_set_edge WHERE set_id = ?1 ORDER BY source, target",
            params![parts.edges],
            action,
            |row| {
                Ok((
                    StoredEdge {
                        source: row.get(0)?,
                        target: row.get(1)?,
                        declared: row.get(2)?,
                        observed: row.get(3)?,
                        count: 0,
                        first_seen: row.get(4)?,
                        last_seen: None,
                        evidence_file: row.get(5)?,
                        evidence_line: unsigned_opt(row, 6)?,
                        declarations: serde_json::Value::Null,
                    },
                    row.get::<_, String>(7)?,
                    row.get::<_, i64>(8)?,
                ))
            },
        )?;
        let mut edges = Vec::with_capacity(raw.len());
        for (mut edge, declarations, n) in raw {
            if let Some((_, count, last_seen)) = find_seen(&mut seen, n) {
                edge.count = *count;
                edge.last_seen = last_seen.take();
            }
            // Most edges are only observed; skip the parser for their empty list.
            edge.declarations = if declarations == "[]" {
                serde_json::Value::Array(Vec::new())
            } else {
                self.parse_json(id, "edge.declarations", &declarations)?
            };
            edges.push(edge);
        }
        Ok(edges)
    }

    /// The `content_edge_seen` rows of a content, by ordinal; `find_seen` looks one up.
    fn seen(&self, content: i64, action: &'static str) -> Result<Vec<SeenRow>, StoreError> {
        self.query(
            "SELECT n, count, last_seen FROM content_edge_seen WHERE content_id = ?1 ORDER BY n",
            params![content],
            action,
            |row| Ok((row.get(0)?, unsigned(row, 1)?, row.get(2)?)),
        )
    }

    fn query<T>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        action: &'static str,
        map: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>, StoreError> {
        let mut statement = self.conn.prepare(sql).map_err(|e| self.error(action, e))?;
        let rows = statement
            .query_map(params, map)
            .map_err(|e| self.error(action, e))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.error(action, e))
    }

    fn parse_json<T: serde::de::DeserializeOwned>(
        &self,
        snapshot: i64,
        what: &'static str,
        text: &str,
    ) -> Result<T, StoreError> {
        serde_json::from_str(text).map_err(|source| StoreError::BadJson {
            path: self.path.clone(),
            snapshot,
            what,
            source,
        })
    }
}

/// The `content_edge_seen` row of edge `n` among `seen` (sorted by ordinal), for the caller to
/// take its values; `None` for an edge that was not observed, whose count is 0 and last_seen
/// NULL.
fn find_seen(seen: &mut [SeenRow], n: i64) -> Option<&mut SeenRow> {
    let i = seen.binary_search_by_key(&n, |row| row.0).ok()?;
    seen.get_mut(i)
}

fn is_busy(error: &rusqlite::Error) -> bool {
    matches!(
        error.sqlite_error_code(),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
    )
}

/// An error mapper for `map_err` that names the database and what was being done.
/// Deletes the rows of `table`, a cache keyed by deployment root and file path, of the files
/// of `root` not in `present`: a cache keeps only the files the last scan still had.
fn forget_absent_files(
    tx: &rusqlite::Transaction<'_>,
    table: &'static str,
    root: &str,
    present: &[String],
) -> rusqlite::Result<()> {
    let known: Vec<String> = tx
        .prepare(&format!("SELECT path FROM {table} WHERE root = ?1"))?
        .query_map(params![root], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    let present: std::collections::HashSet<&str> = present.iter().map(String::as_str).collect();
    let mut forget = tx.prepare(&format!(
        "DELETE FROM {table} WHERE root = ?1 AND path = ?2"
    ))?;
    for gone in known.iter().filter(|path| !present.contains(path.as_str())) {
        forget.execute(params![root, gone])?;
    }
    Ok(())
}

fn on_error<'a>(
    path: &'a Path,
    action: &'static str,
) -> impl FnOnce(rusqlite::Error) -> StoreError + 'a {
    move |e| StoreError::sqlite(path, action, e)
}

fn too_new(path: &Path, found: i64) -> StoreError {
    StoreError::TooNew {
        path: path.to_path_buf(),
        found,
        known: SCHEMA_VERSION,
    }
}

const SELECT_INFO: &str = "SELECT id, created_at, root, tool_version, node_count, edge_count,
     finding_count, log_records, malformed_records, command, failed FROM snapshot";

fn info_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<SnapshotInfo> {
    Ok(SnapshotInfo {
        id: row.get(0)?,
        created_at: row.get(1)?,
        root: row.get(2)?,
        tool_version: row.get(3)?,
        node_count: unsigned(row, 4)?,
        edge_count: unsigned(row, 5)?,
        finding_count: unsigned(row, 6)?,
        log_records: unsigned(row, 7)?,
        malformed_records: unsigned(row, 8)?,
        command: row.get(9)?,
        failed: row.get(10)?,
    })
}

fn unsigned(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<u64> {
    let value: i64 = row.get(index)?;
    u64::try_from(value).map_err(|_| rusqlite::Error::IntegralValueOutOfRange(index, value))
}

fn unsigned_opt(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<Option<u64>> {
    let value: Option<i64> = row.get(index)?;
    value
        .map(|v| u64::try_from(v).map_err(|_| rusqlite::Error::IntegralValueOutOfRange(index, v)))
        .transpose()
}

/// SQLite integers are signed; counts beyond i64 (never in practice) are clamped.
fn int<T: TryInto<i64>>(value: T) -> i64 {
    value.try_into().unwrap_or(i64::MAX)
}

/// `value` as JSON text in `out` (cleared first), borrowed from it: rows made one after
/// another reuse one buffer.
fn json_into<'b, T: Serialize + ?Sized>(value: &T, out: &'b mut Vec<u8>) -> &'b str {
    out.clear();
    // Vectors of strings and derived-Serialize enums cannot fail to serialize, and serde_json
    // writes UTF-8.
    if serde_json::to_writer(&mut *out, value).is_err() {
        out.clear();
        out.extend_from_slice(b"[]");
    }
    std::str::from_utf8(out).unwrap_or("[]")
}

fn loop_kind_str(kind: LoopKind) -> &'static str {
    match kind {
        LoopKind::Direct => "direct",
        LoopKind::Hidden => "hidden",
    }
}

#[derive(Serialize)]
struct DeclarationRow<'a> {
    key: &'static str,
    file: &'a str,
    line: usize,
    via: Option<&'a str>,
}

/// The rows of the `edge.declarations` column.
fn declaration_rows(declarations: &[crate::graph::Declaration]) -> Vec<DeclarationRow<'_>> {
    declarations
        .iter()
        .map(|d| DeclarationRow {
            key: d.key.key(),
            file: &d.file,
            line: d.line,
            via: d.via.as_ref().map(|v| v.as_str()),
        })
        .collect()
}

/// The `edge.declarations` text of `declarations`, in `out`: what `json(&declaration_rows(..))`
/// gives, written field by field (with serde_json's string escaping) because a snapshot
/// writes one per declared edge.
fn declarations_json<'b>(
    declarations: &[crate::graph::Declaration],
    out: &'b mut Vec<u8>,
) -> &'b str {
    if declarations.is_empty() {
        // Most edges are only observed.
        return "[]";
    }
    out.clear();
    out.push(b'[');
    for (i, d) in declarations.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"key\":");
        json_string(d.key.key(), out);
        out.extend_from_slice(b",\"file\":");
        json_string(&d.file, out);
        out.extend_from_slice(b",\"line\":");
        out.extend_from_slice(d.line.to_string().as_bytes());
        out.extend_from_slice(b",\"via\":");
        match &d.via {
            Some(via) => json_string(via.as_str(), out),
            None => out.extend_from_slice(b"null"),
        }
        out.push(b'}');
    }
    out.push(b']');
    std::str::from_utf8(out).unwrap_or("[]")
}

/// `text` as a JSON string, escaped as serde_json escapes it.
fn json_string(text: &str, out: &mut Vec<u8>) {
    // Writing a string to a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, text);
}

/// Now, as RFC 3339 UTC to the second (`2026-11-01T12:00:00Z`), so that all `created_at`
/// values have one length and sort as text.
fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
    crate::time::Timestamp(secs.saturating_mul(1_000_000_000)).to_string()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::time::Instant;

    use super::*;
    use crate::graph::{Declaration, DeclaredAs, EdgeData, NodeData, Seen};
    use crate::node::{NodeId, NodeKind};
    use crate::pipeline::{Analysis, ScanOptions, analyze};
    use crate::time::Timestamp;

    const FILES: &[(&str, &str)] = &[
        (
            "models/m.yaml",
            "kind: model\nname: m\nidentities: [svc:m]\ninputs: [features]\noutputs: [scores]\nconsumers: [service:app]\n",
        ),
        (
            "models/n.yaml",
            "kind: model\nname: n\nidentities: [svc:n]\ninputs: [model:m]\noutputs: [ranks]\ninfluences: [features]\n",
        ),
        (
            "services/web.yaml",
            "kind: service\nname: web\nidentities: [svc:web]\ninputs: [pages]\n",
        ),
        (
            "logs/access.jsonl",
            concat!(
                r#"{"ts":"2026-11-01T00:00:00Z","principal":"svc:web","action":"read","resource":"scores"}"#,
                "\n",
                r#"{"ts":"2026-11-02T00:00:00Z","principal":"svc:web","action":"read","resource":"scores","count":4}"#,
                "\n",
                r#"{"ts":"2026-11-01T00:00:00Z","principal":"svc:m","action":"read","resource":"features"}"#,
                "\n",
                r#"{"ts":"2026-11-01T00:00:00Z","principal":"svc:m","action":"write","resource":"scores"}"#,
                "\n",
                r#"{"ts":"2026-11-01T00:00:00Z","principal":"svc:n","action":"read","resource":"scores"}"#,
                "\n",
                r#"{"ts":"2026-11-01T00:00:00Z","principal":"svc:ghost","action":"read","resource":"ranks"}"#,
                "\n",
                "not json\n",
            ),
        ),
    ];

    struct Fixture {
        dir: tempfile::TempDir,
        analysis: Analysis,
        inputs: Vec<InputFile>,
    }

    fn fixture() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let mut inputs = Vec::new();
        for (name, text) in FILES {
            let path = dir.path().join("deployment").join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, text).unwrap();
            let digest = hash_file(&path).unwrap();
            inputs.push(InputFile {
                path: name.to_string(),
                size: digest.size,
                content_hash: digest.hash,
            });
        }
        let analysis = analyze(&dir.path().join("deployment"), &ScanOptions::default()).unwrap();
        Fixture {
            dir,
            analysis,
            inputs,
        }
    }

    impl Fixture {
        fn db(&self) -> PathBuf {
            self.dir.path().join("state/.lintage/lintage.db")
        }

        fn input(&self) -> SnapshotInput<'_> {
            SnapshotInput {
                command: "scan",
                failed: false,
                root: "deployment",
                inputs: &self.inputs,
                graph: &self.analysis.graph,
                findings: &self.analysis.outcome.findings,
                log_records: self.analysis.stats.records,
                malformed_records: self.analysis.stats.malformed,
            }
        }
    }

    fn user_version(path: &Path) -> i64 {
        Connection::open(path)
            .unwrap()
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .unwrap()
    }

    #[test]
    fn hash_file_streams_the_content_hash() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("abc");
        std::fs::write(&path, "abc").unwrap();
        let digest = hash_file(&path).unwrap();
        assert_eq!(digest, FileDigest::of_bytes(b"abc"));
        let big = vec![7u8; (1 << 16) * 3 + 5];
        std::fs::write(&path, &big).unwrap();
        assert_eq!(hash_file(&path).unwrap(), FileDigest::of_bytes(&big));
        assert!(hash_file(&dir.path().join("missing")).is_err());
    }

    #[test]
    fn round_trip_keeps_graph_provenance_and_findings() {
        let fx = fixture();
        let graph = &fx.analysis.graph;
        let findings = &fx.analysis.outcome.findings;
        assert!(findings.iter().any(|f| f.code == "LT001"), "{findings:#?}");

        let mut store = Store::open(&fx.db()).unwrap();
        let id = store.record(&fx.input()).unwrap();
        let snapshot = store.load(id).unwrap();

        let info = &snapshot.info;
        assert_eq!(info.id, id);
        assert_eq!(info.root, "deployment");
        assert_eq!(info.tool_version, env!("CARGO_PKG_VERSION"));
        assert_eq!(info.node_count, graph.node_count() as u64);
        assert_eq!(info.edge_count, graph.edge_count() as u64);
        assert_eq!(info.finding_count, findings.len() as u64);
        assert_eq!(info.log_records, 6);
        assert_eq!(info.malformed_records, 1);
        let created = Timestamp::parse_rfc3339(&info.created_at).unwrap();
        assert!(info.created_at.ends_with('Z'));
        assert!(created > Timestamp::parse_rfc3339("2024-01-01T00:00:00Z").unwrap());

        let mut inputs = fx.inputs.clone();
        inputs.sort_by(|a, b| a.path.cmp(&b.path));
        assert_eq!(snapshot.inputs, inputs);

        // Nodes: every graph node, sorted, with its manifest location.
        let mut expected_nodes: Vec<StoredNode> = graph
            .nodes()
            .map(|n| StoredNode {
                id: graph.id(n).to_string(),
                kind: graph.kind(n).as_str().to_string(),
                manifest_file: graph.manifest(n).map(|m| m.file.clone()),
                manifest_line: graph.manifest(n).map(|m| m.line as u64),
                owner: graph.manifest(n).and_then(|m| m.owner.clone()),
            })
            .collect();
        expected_nodes.sort_by(|a, b| a.id.cmp(&b.id));
        assert_eq!(snapshot.nodes, expected_nodes);
        let model_m = snapshot.nodes.iter().find(|n| n.id == "model:m").unwrap();
        assert_eq!(model_m.manifest_file.as_deref(), Some("models/m.yaml"));
        assert_eq!(model_m.manifest_line, Some(1));

        // Edges: every graph edge, sorted by (source, target), with declarations and sightings.
        assert_eq!(snapshot.edges.len(), graph.edge_count());
        let keys: Vec<_> = snapshot
            .edges
            .iter()
            .map(|e| (e.source.clone(), e.target.clone()))
            .collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
        for edge in &snapshot.edges {
            let from = graph.node_by_str(&edge.source).unwrap();
            let to = graph.node_by_str(&edge.target).unwrap();
            let data = graph.edge(from, to).unwrap();
            assert_eq!(edge.declared, data.is_declared());
            assert_eq!(edge.observed, data.is_observed());
            let declarations: Vec<serde_json::Value> = data
                .declared
                .iter()
                .map(|d| {
                    serde_json::json!({
                        "key": d.key.key(), "file": d.file, "line": d.line,
                        "via": d.via.as_ref().map(|v| v.to_string()),
                    })
                })
                .collect();
            assert_eq!(edge.declarations, serde_json::Value::Array(declarations));
            match &data.observed {
                Some(seen) => {
                    assert_eq!(edge.count, seen.count);
                    assert_eq!(edge.first_seen, Some(seen.first_seen.to_string()));
                    assert_eq!(edge.last_seen, Some(seen.last_seen.to_string()));
                    assert_eq!(edge.evidence_file.as_deref(), Some(&*seen.file));
                    assert_eq!(edge.evidence_line, Some(seen.line));
                }
                None => {
                    assert_eq!(edge.count, 0);
                    assert_eq!(edge.first_seen, None);
                    assert_eq!(edge.evidence_file, None);
                    assert_eq!(edge.evidence_line, None);
                }
            }
        }
        let read = snapshot
            .edges
            .iter()
            .find(|e| e.source == "dataset:scores" && e.target == "service:web")
            .unwrap();
        assert_eq!(
            (
                read.count,
                read.first_seen.as_deref(),
                read.last_seen.as_deref()
            ),
            (
                5,
                Some("2026-11-01T00:00:00Z"),
                Some("2026-11-02T00:00:00Z")
            )
        );
        assert_eq!(read.evidence_file.as_deref(), Some("logs/access.jsonl"));
        assert_eq!(read.evidence_line, Some(1));
        // `inputs: [model:m]` expands to m's outputs and remembers the entry.
        let via = snapshot
            .edges
            .iter()
            .find(|e| e.source == "dataset:scores" && e.target == "model:n")
            .unwrap();
        assert_eq!(via.declarations[0]["key"], "inputs");
        assert_eq!(via.declarations[0]["via"], "model:m");
        assert_eq!(via.declarations[0]["file"], "models/n.yaml");
        assert_eq!(snapshot.edges, store.load_edges(id).unwrap());

        // Findings: same order, fingerprints and content.
        assert_eq!(snapshot.findings.len(), findings.len());
        for (stored, finding) in snapshot.findings.iter().zip(findings) {
            assert_eq!(stored.fingerprint, finding.fingerprint);
            assert_eq!(stored.code, finding.code);
            assert_eq!(stored.rule, finding.rule);
            assert_eq!(stored.severity, finding.severity.as_str());
            assert_eq!(stored.subject, finding.subject);
            assert_eq!(stored.related, finding.related);
            assert_eq!(stored.path, finding.path);
            assert_eq!(
                stored.loop_kind,
                finding.loop_kind.map(|k| loop_kind_str(k).to_string())
            );
            assert_eq!(stored.message, finding.message);
            assert_eq!(
                stored.evidence,
                serde_json::to_value(&finding.evidence).unwrap()
            );
        }
    }

    #[test]
    fn loads_findings_in_report_order_whatever_the_json_text_order() {
        let fx = fixture();
        let mut store = Store::open(&fx.db()).unwrap();
        let mut findings = fx.analysis.outcome.findings.clone();
        let mut short = findings[0].clone();
        short.related = vec!["a".into()];
        let mut long = short.clone();
        long.related = vec!["a".into(), "b".into()];
        // `["a","b"]` sorts before `["a"]` as text, after it as a list.
        findings.push(long);
        findings.push(short);
        let input = SnapshotInput {
            command: "scan",
            failed: false,
            findings: &findings,
            ..fx.input()
        };
        let id = store.record(&input).unwrap();
        let loaded = store.load(id).unwrap().findings;
        let mut expected = findings.clone();
        crate::finding::sort(&mut expected);
        let keys = |f: &[(String, String, Vec<String>)]| f.to_vec();
        assert_eq!(
            keys(
                &loaded
                    .iter()
                    .map(|f| (f.code.clone(), f.subject.clone(), f.related.clone()))
                    .collect::<Vec<_>>()
            ),
            expected
                .iter()
                .map(|f| (f.code.to_string(), f.subject.clone(), f.related.clone()))
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn resolves_latest_offsets_and_ids() {
        let fx = fixture();
        let mut store = Store::open(&fx.db()).unwrap();
        let empty = store.resolve("latest").unwrap_err();
        assert!(matches!(empty, StoreError::NoSnapshot { .. }), "{empty:?}");
        assert!(
            empty.to_string().contains("run `lintage scan` first"),
            "{empty}"
        );
        assert!(store.list().unwrap().is_empty());

        let ids: Vec<i64> = (0..3).map(|_| store.record(&fx.input()).unwrap()).collect();
        assert_eq!(store.resolve("latest").unwrap(), ids[2]);
        assert_eq!(store.resolve("latest~0").unwrap(), ids[2]);
        assert_eq!(store.resolve("latest~1").unwrap(), ids[1]);
        assert_eq!(store.resolve("latest~2").unwrap(), ids[0]);
        assert_eq!(store.resolve(&ids[1].to_string()).unwrap(), ids[1]);
        let listed: Vec<i64> = store.list().unwrap().iter().map(|s| s.id).collect();
        assert_eq!(listed, ids);

        for (bad, says) in [
            ("latest~3", "holds 3 snapshots"),
            ("latest~x", "not a number"),
            ("latest~-1", "not a number"),
            ("99", "ids from 1 to 3"),
            (
                "yesterday",
                "expected `latest`, `latest~N` or a snapshot id",
            ),
            ("", "expected `latest`"),
        ] {
            let error = store.resolve(bad).unwrap_err();
            let text = error.to_string();
            assert!(
                matches!(error, StoreError::UnknownRef { .. }),
                "{bad}: {error:?}"
            );
            assert!(text.contains(says), "{bad}: {text}");
            assert!(text.contains("lintage.db"), "{bad}: {text}");
        }
        assert!(matches!(store.load(99), Err(StoreError::UnknownRef { .. })));
        assert!(matches!(
            store.load_edges(99),
            Err(StoreError::UnknownRef { .. })
        ));

        // Ids are not offsets: after a deletion, latest~1 still means the one before.
        store
            .conn
            .execute("DELETE FROM snapshot WHERE id = ?1", [ids[1]])
            .unwrap();
        assert_eq!(store.resolve("latest~1").unwrap(), ids[0]);
        assert!(store.resolve(&ids[1].to_string()).is_err());
    }

    #[test]
    fn deleting_a_snapshot_deletes_its_rows() {
        let fx = fixture();
        let mut store = Store::open(&fx.db()).unwrap();
        let first = store.record(&fx.input()).unwrap();
        let second = store.record(&fx.input()).unwrap();
        store
            .conn
            .execute("DELETE FROM snapshot WHERE id = ?1", [first])
            .unwrap();
        for table in ["input", "node", "edge", "finding"] {
            let left: i64 = store
                .conn
                .query_row(
                    &format!("SELECT count(*) FROM {table} WHERE snapshot_id = ?1"),
                    [first],
                    |row| row.get(0),
                )
                .unwrap();
            assert_eq!(left, 0, "{table}");
        }
        assert_eq!(
            store.load(second).unwrap().nodes.len(),
            fx.analysis.graph.node_count()
        );
    }

    #[test]
    fn migrates_an_empty_file_and_an_empty_database() {
        let dir = tempfile::tempdir().unwrap();
        let empty_file = dir.path().join("empty.db");
        std::fs::write(&empty_file, "").unwrap();
        let store = Store::open(&empty_file).unwrap();
        assert!(store.list().unwrap().is_empty());
        drop(store);
        assert_eq!(user_version(&empty_file), SCHEMA_VERSION);

        // A real SQLite file at user_version 0 with no tables.
        let bare = dir.path().join("bare.db");
        {
            let conn = Connection::open(&bare).unwrap();
            conn.execute_batch("CREATE TABLE t (x); DROP TABLE t;")
                .unwrap();
        }
        assert!(std::fs::metadata(&bare).unwrap().len() > 0);
        assert_eq!(user_version(&bare), 0);
        Store::open(&bare).unwrap();
        assert_eq!(user_version(&bare), SCHEMA_VERSION);
        let mode: String = Connection::open(&bare)
            .unwrap()
            .pragma_query_value(None, "journal_mode", |row| row.get(0))
            .unwrap();
        assert_eq!(mode, "wal");

        // Opening again changes nothing.
        let mut store = Store::open(&bare).unwrap();
        let fx = fixture();
        store.record(&fx.input()).unwrap();
        drop(store);
        assert_eq!(Store::open(&bare).unwrap().list().unwrap().len(), 1);
    }

    #[test]
    fn a_schema_1_database_is_upgraded_and_keeps_its_snapshots() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v1.db");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(MIGRATIONS[0]).unwrap();
            conn.execute_batch(
                "INSERT INTO snapshot VALUES (1, '2026-11-01T00:00:00Z', '/d', '0.1.0', 0, 0, 0, 0, 0, 'scan', 0);
                 INSERT INTO input VALUES (1, 'logs/a.jsonl', 3, 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');",
            )
            .unwrap();
            conn.pragma_update(None, "user_version", 1).unwrap();
        }
        let store = Store::open_read_only(&path).unwrap();
        assert_eq!(user_version(&path), SCHEMA_VERSION);
        assert_eq!(store.list().unwrap().len(), 1);
        let inputs = store.load(1).unwrap().inputs;
        assert_eq!(inputs[0].content_hash.len(), 64, "the old SHA-256 is kept");
        assert!(store.load_read_cache("/d").unwrap().files.is_empty());
    }

    /// A schema 2 database with the fixture's snapshot twice (as the schema 3 views show it,
    /// column for column) and a read-cache row.
    fn schema_2_database(fx: &Fixture, path: &Path) -> Snapshot {
        let current = fx.dir.path().join("current.db");
        let mut store = Store::open(&current).unwrap();
        let ids = [
            store.record(&fx.input()).unwrap(),
            store.record(&fx.input()).unwrap(),
        ];
        let expected = store.load(ids[1]).unwrap();
        drop(store);
        let conn = Connection::open(path).unwrap();
        conn.execute_batch(MIGRATIONS[0]).unwrap();
        conn.execute_batch(MIGRATIONS[1]).unwrap();
        conn.execute("ATTACH ?1 AS current", [current.to_str().unwrap()])
            .unwrap();
        conn.execute_batch(
            "INSERT INTO snapshot SELECT id, created_at, root, tool_version, node_count,
                 edge_count, finding_count, log_records, malformed_records, command, failed
                 FROM current.snapshot;
             INSERT INTO input SELECT * FROM current.input;
             INSERT INTO node SELECT * FROM current.node;
             INSERT INTO edge SELECT * FROM current.edge;
             INSERT INTO finding SELECT * FROM current.finding;
             INSERT INTO read_cache VALUES ('/d', 'logs/a.jsonl', 's', 3, 0, 'h', 3, 1, '0', 0,
                 'xxh3-128-chain:0', 1, 0, 0, 0, '[]');
             INSERT INTO read_cache_edge VALUES ('/d', 'logs/a.jsonl', 'svc:a', 't', 'read', 1,
                 0, 0, 1);",
        )
        .unwrap();
        conn.execute("DETACH current", []).unwrap();
        conn.pragma_update(None, "user_version", 2).unwrap();
        expected
    }

    #[test]
    fn a_schema_2_database_is_upgraded_keeps_its_snapshots_and_drops_its_read_cache() {
        let fx = fixture();
        let path = fx.dir.path().join("v2.db");
        let expected = schema_2_database(&fx, &path);
        let store = Store::open_read_only(&path).unwrap();
        assert_eq!(user_version(&path), SCHEMA_VERSION);
        assert_eq!(store.list().unwrap().len(), 2);
        for id in [1, 2] {
            let mut loaded = store.load(id).unwrap();
            loaded.info.id = expected.info.id;
            loaded.info.created_at.clone_from(&expected.info.created_at);
            assert_eq!(loaded, expected, "snapshot {id}");
            assert_eq!(store.load_edges(id).unwrap(), expected.edges);
        }
        assert!(store.load_read_cache("/d").unwrap().files.is_empty());
        drop(store);

        // Each upgraded snapshot keeps a content of its own; a new scan shares neither.
        let mut store = Store::open(&path).unwrap();
        let third = store.record(&fx.input()).unwrap();
        let contents: i64 = store
            .conn
            .query_row("SELECT count(*) FROM content", [], |row| row.get(0))
            .unwrap();
        assert_eq!(contents, 3);
        assert_eq!(store.load(third).unwrap().edges, expected.edges);
        assert_intact(&store);
    }

    #[test]
    fn a_schema_3_database_is_upgraded_and_walks_upstream_as_before() {
        a_database_is_upgraded_and_reads_as_before(3);
    }

    #[test]
    fn a_schema_4_database_is_upgraded_and_reads_as_before() {
        a_database_is_upgraded_and_reads_as_before(4);
    }

    #[test]
    fn a_schema_5_database_is_upgraded_and_reads_as_before() {
        a_database_is_upgraded_and_reads_as_before(5);
    }

    /// Scans that share some of what they found and differ in the rest, as a log that grows
    /// and a policy that changes give them: the fixture; it again with every count, last_seen
    /// and observed evidence moved on, and a message; it with a finding fewer and one finding's evidence
    /// `[]`; a synthetic graph without findings.
    fn scenarios(fx: &Fixture) -> Vec<(LineageGraph, Vec<Finding>)> {
        let graph = &fx.analysis.graph;
        let findings = &fx.analysis.outcome.findings;
        let mut grown = synthetic_clone(graph);
        for data in grown.graph.edge_weights_mut() {
            if let Some(seen) = data.observed.as_mut() {
                seen.count += 2;
                seen.last_seen.0 += 1_000_000_000;
            }
        }
        let mut grown_findings = findings.clone();
        let mut moved = 0;
        for finding in &mut grown_findings {
            for evidence in &mut finding.evidence {
                if let crate::finding::Evidence::Observed { count, .. } = evidence {
                    *count += 2;
                    moved += 1;
                }
            }
        }
        assert!(moved > 0, "the fixture has observed evidence");
        // As LT007's message counts accesses.
        grown_findings[1].message.push_str(" (grown)");
        let mut fewer = findings[1..].to_vec();
        fewer[0].evidence.clear();
        vec![
            (synthetic_clone(graph), findings.clone()),
            (grown, grown_findings),
            (synthetic_clone(graph), fewer),
            (synthetic(20, 2), Vec::new()),
        ]
    }

    fn input_of<'a>(graph: &'a LineageGraph, findings: &'a [Finding]) -> SnapshotInput<'a> {
        SnapshotInput {
            command: "scan",
            failed: false,
            root: "deployment",
            inputs: &[],
            graph,
            findings,
            log_records: 7,
            malformed_records: 1,
        }
    }

    type Row = Vec<rusqlite::types::Value>;

    /// The rows schema 4 wrote for a scan into `content_node`, `content_edge` and
    /// `content_finding` (without `content_id`), made here independently of `Content`: what
    /// the views `node`, `edge` and `finding` show of a snapshot, in the order of their keys
    /// (findings in the order given).
    struct Rows {
        nodes: Vec<Row>,
        edges: Vec<Row>,
        findings: Vec<Row>,
    }

    fn schema_4_rows(graph: &LineageGraph, findings: &[Finding]) -> Rows {
        use rusqlite::types::Value;
        let text = |t: &str| Value::Text(t.to_string());
        let opt_text = |t: Option<&str>| t.map_or(Value::Null, |t| Value::Text(t.to_string()));
        let number = |n: usize| Value::Integer(n as i64);
        let json = |v: &dyn erased::Json| Value::Text(v.json());
        let mut nodes: Vec<(String, Row)> = graph
            .nodes()
            .map(|node| {
                let manifest = graph.manifest(node);
                let row = vec![
                    text(graph.id(node).as_str()),
                    text(graph.kind(node).as_str()),
                    opt_text(manifest.map(|m| m.file.as_str())),
                    manifest.map_or(Value::Null, |m| number(m.line)),
                    opt_text(manifest.and_then(|m| m.owner.as_deref())),
                ];
                (graph.id(node).to_string(), row)
            })
            .collect();
        nodes.sort_by(|a, b| a.0.cmp(&b.0));
        let mut edges: Vec<(String, String, Row)> = graph
            .graph
            .edge_indices()
            .map(|e| {
                let (from, to) = graph.graph.edge_endpoints(e).unwrap();
                let data = &graph.graph[e];
                let seen = data.observed.as_ref();
                let (source, target) = (graph.id(from).to_string(), graph.id(to).to_string());
                let declarations = if data.declared.is_empty() {
                    "[]".to_string()
                } else {
                    serde_json::to_string(&declaration_rows(&data.declared)).unwrap()
                };
                let row = vec![
                    text(&source),
                    text(&target),
                    Value::Integer(data.is_declared().into()),
                    Value::Integer(data.is_observed().into()),
                    Value::Text(declarations),
                    Value::Integer(seen.map_or(0, |s| s.count as i64)),
                    opt_text(seen.map(|s| s.first_seen.to_string()).as_deref()),
                    opt_text(seen.map(|s| s.last_seen.to_string()).as_deref()),
                    opt_text(seen.map(|s| s.file.to_string()).as_deref()),
                    seen.map_or(Value::Null, |s| Value::Integer(s.line as i64)),
                ];
                (source, target, row)
            })
            .collect();
        edges.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        let findings = findings
            .iter()
            .map(|f| {
                vec![
                    text(&f.fingerprint),
                    text(f.code),
                    text(f.rule),
                    text(f.severity.as_str()),
                    text(&f.subject),
                    json(&f.related),
                    json(&f.path),
                    opt_text(f.loop_kind.map(loop_kind_str)),
                    text(&f.message),
                    json(&f.evidence),
                ]
            })
            .collect();
        Rows {
            nodes: nodes.into_iter().map(|(_, row)| row).collect(),
            edges: edges.into_iter().map(|(_, _, row)| row).collect(),
            findings,
        }
    }

    /// Serializing behind `dyn`, for `schema_4_rows`.
    mod erased {
        pub trait Json {
            fn json(&self) -> String;
        }
        impl<T: serde::Serialize> Json for T {
            fn json(&self) -> String {
                serde_json::to_string(self).unwrap()
            }
        }
    }

    /// What the views show of a snapshot, without its `snapshot_id`: nodes and edges in key
    /// order, findings in the view's own order.
    fn view_rows(conn: &Connection, snapshot: i64) -> Rows {
        let read = |sql: &str| -> Vec<Row> {
            let mut statement = conn.prepare(sql).unwrap();
            let width = statement.column_count();
            statement
                .query_map([snapshot], |row| {
                    assert_eq!(row.get::<_, i64>(0).unwrap(), snapshot);
                    (1..width).map(|i| row.get(i)).collect::<Result<Row, _>>()
                })
                .unwrap()
                .map(Result::unwrap)
                .collect()
        };
        Rows {
            nodes: read("SELECT * FROM node WHERE snapshot_id = ?1 ORDER BY id"),
            edges: read("SELECT * FROM edge WHERE snapshot_id = ?1 ORDER BY source, target"),
            findings: read("SELECT * FROM finding WHERE snapshot_id = ?1"),
        }
    }

    fn assert_rows(conn: &Connection, snapshot: i64, expected: &Rows) {
        let found = view_rows(conn, snapshot);
        assert_eq!(found.nodes, expected.nodes, "nodes of snapshot {snapshot}");
        assert_eq!(found.edges, expected.edges, "edges of snapshot {snapshot}");
        assert_eq!(
            found.findings, expected.findings,
            "findings of snapshot {snapshot}"
        );
    }

    fn count(conn: &Connection, table: &str) -> i64 {
        conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
            row.get(0)
        })
        .unwrap()
    }

    const STORED_TABLES: [&str; 11] = [
        "content",
        "node_set",
        "node_set_node",
        "edge_set",
        "edge_set_edge",
        "edge_set_in",
        "finding_set",
        "finding_set_finding",
        "content_edge_seen",
        "content_finding_delta",
        "snapshot",
    ];

    #[test]
    fn the_views_show_what_schema_4_stored_and_contents_share_their_sets() {
        let fx = fixture();
        let scenarios = scenarios(&fx);
        let mut store = Store::open(&fx.db()).unwrap();
        let mut ids = Vec::new();
        for (graph, findings) in &scenarios {
            ids.push(store.record(&input_of(graph, findings)).unwrap());
        }
        // The fixture once more: its content again.
        let (graph, findings) = &scenarios[0];
        ids.push(store.record(&input_of(graph, findings)).unwrap());
        let expected: Vec<Rows> = scenarios
            .iter()
            .chain(&scenarios[..1])
            .map(|(graph, findings)| schema_4_rows(graph, findings))
            .collect();
        for (&id, rows) in ids.iter().zip(&expected) {
            assert_rows(&store.conn, id, rows);
        }
        // The whole `finding` view lists each snapshot's findings in the order given.
        let all: Vec<(i64, String)> = store
            .conn
            .prepare("SELECT snapshot_id, fingerprint FROM finding")
            .unwrap()
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let given: Vec<(i64, String)> = ids
            .iter()
            .zip(scenarios.iter().chain(&scenarios[..1]))
            .flat_map(|(&id, (_, findings))| {
                findings.iter().map(move |f| (id, f.fingerprint.clone()))
            })
            .collect();
        assert_eq!(all, given);

        // The grown scan shares every set of the first and writes only its own rows; the one
        // with a finding fewer shares the node and edge sets.
        let parts: Vec<Parts> = ids.iter().map(|&id| store.parts(id).unwrap()).collect();
        assert_eq!(parts[4], parts[0]);
        assert_ne!(parts[1].content, parts[0].content);
        assert_eq!(
            (parts[1].nodes, parts[1].edges, parts[1].findings),
            (parts[0].nodes, parts[0].edges, parts[0].findings)
        );
        assert_eq!(
            (parts[2].nodes, parts[2].edges),
            (parts[0].nodes, parts[0].edges)
        );
        assert_ne!(parts[2].findings, parts[0].findings);
        let conn = &store.conn;
        for (table, rows) in [
            ("content", 4),
            ("node_set", 2),
            ("edge_set", 2),
            ("finding_set", 3),
        ] {
            assert_eq!(count(conn, table), rows, "{table}");
        }
        let observed = |graph: &LineageGraph| {
            graph
                .graph
                .edge_weights()
                .filter(|e| e.is_observed())
                .count() as i64
        };
        assert_eq!(
            count(conn, "content_edge_seen"),
            3 * observed(&scenarios[0].0) + observed(&scenarios[3].0)
        );
        // Only the grown scan has deltas: the others wrote their finding sets.
        let (before, after) = (&scenarios[0].1, &scenarios[1].1);
        let changed = |differs: fn(&Finding, &Finding) -> bool| {
            before
                .iter()
                .zip(after)
                .filter(|(a, b)| differs(a, b))
                .count() as i64
        };
        let (messages, evidence): (i64, i64) = conn
            .query_row(
                "SELECT count(message), count(evidence) FROM content_finding_delta
                 WHERE content_id = ?1",
                [parts[1].content],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .unwrap();
        assert_eq!(messages, 1);
        assert_eq!(evidence, changed(|a, b| a.evidence != b.evidence));
        assert!(evidence > 0);
        assert_eq!(
            count(conn, "content_finding_delta"),
            changed(|a, b| a.evidence != b.evidence || a.message != b.message)
        );
        // Reading back through the sets gives what a fresh analysis gives.
        let loaded = store.load(ids[1]).unwrap();
        assert_eq!(loaded.edges, store.load_edges(ids[1]).unwrap());
        assert_eq!(
            loaded.edges.iter().map(|e| e.count).sum::<u64>(),
            scenarios[1]
                .0
                .graph
                .edge_weights()
                .filter_map(|e| e.observed.as_ref().map(|s| s.count))
                .sum::<u64>()
        );
        assert_intact(&store);
    }

    #[test]
    fn a_set_goes_with_the_last_content_that_names_it() {
        let fx = fixture();
        let scenarios = scenarios(&fx);
        let mut store = Store::open(&fx.db()).unwrap();
        let ids: Vec<i64> = scenarios
            .iter()
            .map(|(graph, findings)| store.record(&input_of(graph, findings)).unwrap())
            .collect();
        let nodes = count(&store.conn, "node_set_node");
        let delete = |store: &Store, id: i64| {
            store
                .conn
                .execute("DELETE FROM snapshot WHERE id = ?1", [id])
                .unwrap();
        };
        // The grown scan: its content and own rows go, its sets stay with the first's.
        let fixture_observed = scenarios[0]
            .0
            .graph
            .edge_weights()
            .filter(|e| e.is_observed())
            .count() as i64;
        let seen = count(&store.conn, "content_edge_seen");
        assert!(count(&store.conn, "content_finding_delta") > 0);
        delete(&store, ids[1]);
        assert_eq!(count(&store.conn, "content"), 3);
        assert_eq!(count(&store.conn, "content_finding_delta"), 0);
        assert_eq!(
            count(&store.conn, "content_edge_seen"),
            seen - fixture_observed
        );
        assert_eq!(count(&store.conn, "finding_set"), 3);
        assert_eq!(count(&store.conn, "node_set_node"), nodes);
        assert_rows(
            &store.conn,
            ids[0],
            &schema_4_rows(&scenarios[0].0, &scenarios[0].1),
        );
        // The first: its finding set goes (no content names it), its node and edge sets
        // stay with the one that has a finding fewer. With foreign keys off too.
        store
            .conn
            .pragma_update(None, "foreign_keys", "OFF")
            .unwrap();
        delete(&store, ids[0]);
        assert_eq!(count(&store.conn, "content"), 2);
        assert_eq!(count(&store.conn, "finding_set"), 2);
        assert_eq!(
            count(&store.conn, "finding_set_finding"),
            scenarios[2].1.len() as i64
        );
        assert_eq!(count(&store.conn, "node_set"), 2);
        assert_eq!(count(&store.conn, "node_set_node"), nodes);
        assert_rows(
            &store.conn,
            ids[2],
            &schema_4_rows(&scenarios[2].0, &scenarios[2].1),
        );
        store
            .conn
            .pragma_update(None, "foreign_keys", "ON")
            .unwrap();
        delete(&store, ids[2]);
        assert_eq!(count(&store.conn, "node_set"), 1);
        assert_eq!(
            count(&store.conn, "edge_set_edge"),
            scenarios[3].0.edge_count() as i64
        );
        assert_eq!(
            count(&store.conn, "edge_set_in"),
            count(&store.conn, "edge_set_edge")
        );
        delete(&store, ids[3]);
        for table in STORED_TABLES {
            assert_eq!(count(&store.conn, table), 0, "{table}");
        }
        assert_intact(&store);
    }

    /// A database of schema `version` (3 to 5) holding the scenarios as that schema stored
    /// them, each content recorded twice for the first: snapshots 1 and 2 share content 1.
    fn old_database(path: &Path, version: usize, scenarios: &[(LineageGraph, Vec<Finding>)]) {
        use rusqlite::types::Value;
        let mut conn = Connection::open(path).unwrap();
        let tx = conn.transaction().unwrap();
        for script in &MIGRATIONS[..version] {
            tx.execute_batch(script).unwrap();
        }
        let contents: Vec<usize> = std::iter::once(0).chain(0..scenarios.len()).collect();
        for (content, (graph, findings)) in scenarios.iter().enumerate() {
            let content = content as i64 + 1;
            tx.execute(
                "INSERT INTO content (id, hash) VALUES (?1, ?2)",
                params![content, format!("xxh3-128:old{content}")],
            )
            .unwrap();
            let rows = schema_4_rows(graph, findings);
            let insert = |table: &str, rows: &[Row]| {
                for row in rows {
                    let mut values = vec![Value::Integer(content)];
                    values.extend(row.iter().cloned());
                    let marks = vec!["?"; values.len()].join(",");
                    tx.execute(
                        &format!("INSERT INTO {table} VALUES ({marks})"),
                        rusqlite::params_from_iter(values),
                    )
                    .unwrap();
                }
            };
            insert("content_node", &rows.nodes);
            insert("content_edge", &rows.edges);
            insert("content_finding", &rows.findings);
        }
        if version >= 4 {
            tx.execute_batch(
                "INSERT INTO content_edge_in SELECT content_id, target, source FROM content_edge
                 ORDER BY content_id, target, source",
            )
            .unwrap();
        }
        for (i, &content) in contents.iter().enumerate() {
            let (graph, findings) = &scenarios[content];
            tx.execute(
                "INSERT INTO snapshot (id, created_at, root, tool_version, node_count, edge_count,
                     finding_count, log_records, malformed_records, command, failed, content_id)
                 VALUES (?1, '2026-11-01T00:00:00Z', 'deployment', '0.1.0', ?2, ?3, ?4, 7, 1,
                     'scan', 0, ?5)",
                params![
                    i as i64 + 1,
                    graph.node_count() as i64,
                    graph.edge_count() as i64,
                    findings.len() as i64,
                    content as i64 + 1
                ],
            )
            .unwrap();
        }
        tx.pragma_update(None, "user_version", version as i64)
            .unwrap();
        tx.commit().unwrap();
    }

    fn a_database_is_upgraded_and_reads_as_before(version: usize) {
        let fx = fixture();
        let scenarios = scenarios(&fx);
        let path = fx.dir.path().join(format!("v{version}.db"));
        old_database(&path, version, &scenarios);
        let contents: Vec<usize> = std::iter::once(0).chain(0..scenarios.len()).collect();
        // The same scans recorded by this lintage, to compare reads with.
        let fresh_path = fx.dir.path().join("fresh.db");
        let mut fresh = Store::open(&fresh_path).unwrap();
        for &content in &contents {
            let (graph, findings) = &scenarios[content];
            fresh.record(&input_of(graph, findings)).unwrap();
        }

        let store = Store::open_read_only(&path).unwrap();
        assert_eq!(user_version(&path), SCHEMA_VERSION);
        assert_intact(&store);
        for (i, &content) in contents.iter().enumerate() {
            let id = i as i64 + 1;
            let (graph, findings) = &scenarios[content];
            assert_rows(&store.conn, id, &schema_4_rows(graph, findings));
            let (upgraded, recorded) = (store.load(id).unwrap(), fresh.load(id).unwrap());
            assert_eq!(upgraded.nodes, recorded.nodes, "snapshot {id}");
            assert_eq!(upgraded.edges, recorded.edges, "snapshot {id}");
            assert_eq!(upgraded.findings, recorded.findings, "snapshot {id}");
            assert_eq!(store.load_edges(id).unwrap(), recorded.edges);
            for node in store.node_ids(id).unwrap() {
                assert!(store.has_node(id, &node).unwrap());
                for down in [true, false] {
                    assert_eq!(
                        store.hops(id, &node, down).unwrap(),
                        fresh.hops(id, &node, down).unwrap(),
                        "{node} {down}"
                    );
                }
            }
            for down in [true, false] {
                assert_eq!(
                    store.all_hops(id, down).unwrap(),
                    fresh.all_hops(id, down).unwrap()
                );
            }
        }
        // Each content's rows became sets of its own, with no hash.
        let conn = &store.conn;
        for table in ["content", "node_set", "edge_set", "finding_set"] {
            assert_eq!(count(conn, table), scenarios.len() as i64, "{table}");
        }
        let hashed: i64 = conn
            .query_row(
                "SELECT (SELECT count(hash) FROM node_set) + (SELECT count(hash) FROM edge_set)
                     + (SELECT count(hash) FROM finding_set)",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(hashed, 0);
        assert_eq!(count(conn, "edge_set_in"), count(conn, "edge_set_edge"));
        drop(store);

        // A new scan shares none of them; deleting every snapshot deletes every row.
        let mut store = Store::open(&path).unwrap();
        let (graph, findings) = &scenarios[0];
        let again = store.record(&input_of(graph, findings)).unwrap();
        let parts = store.parts(again).unwrap();
        assert!(parts.content > scenarios.len() as i64);
        assert!(parts.edges > scenarios.len() as i64);
        assert_rows(&store.conn, again, &schema_4_rows(graph, findings));
        assert_intact(&store);
        store.conn.execute("DELETE FROM snapshot", []).unwrap();
        for table in STORED_TABLES {
            assert_eq!(count(&store.conn, table), 0, "{table}");
        }
        assert_intact(&store);
    }

    #[test]
    fn snapshots_that_found_the_same_share_their_rows_and_the_last_one_deletes_them() {
        let fx = fixture();
        let mut store = Store::open(&fx.db()).unwrap();
        let first = store.record(&fx.input()).unwrap();
        let second = store.record(&fx.input()).unwrap();
        let count = |store: &Store, sql: &str| -> i64 {
            store.conn.query_row(sql, [], |row| row.get(0)).unwrap()
        };
        assert_eq!(count(&store, "SELECT count(*) FROM content"), 1);
        let edges = fx.analysis.graph.edge_count() as i64;
        assert_eq!(count(&store, "SELECT count(*) FROM edge_set_edge"), edges);
        assert_eq!(count(&store, "SELECT count(*) FROM edge_set_in"), edges);
        assert_eq!(count(&store, "SELECT count(*) FROM edge"), 2 * edges);
        assert_eq!(
            store.load(first).unwrap().edges,
            store.load(second).unwrap().edges
        );

        // Other findings: another content, which shares the graph's node and edge sets.
        let fewer = &fx.analysis.outcome.findings[1..];
        let third = store
            .record(&SnapshotInput {
                findings: fewer,
                ..fx.input()
            })
            .unwrap();
        assert_eq!(count(&store, "SELECT count(*) FROM content"), 2);
        assert_eq!(count(&store, "SELECT count(*) FROM edge_set_edge"), edges);
        assert_eq!(store.load(third).unwrap().findings.len(), fewer.len());

        // The views follow deletions at once; the content goes with its last snapshot, with
        // or without foreign keys on.
        store
            .conn
            .pragma_update(None, "foreign_keys", "OFF")
            .unwrap();
        store
            .conn
            .execute("DELETE FROM snapshot WHERE id = ?1", [first])
            .unwrap();
        assert_eq!(count(&store, "SELECT count(*) FROM content"), 2);
        assert_eq!(count(&store, "SELECT count(*) FROM edge"), 2 * edges);
        store
            .conn
            .execute("DELETE FROM snapshot WHERE id = ?1", [second])
            .unwrap();
        assert_eq!(count(&store, "SELECT count(*) FROM content"), 1);
        assert_eq!(count(&store, "SELECT count(*) FROM edge_set_edge"), edges);
        assert_eq!(count(&store, "SELECT count(*) FROM edge_set_in"), edges);
        assert_eq!(
            count(&store, "SELECT count(*) FROM finding_set_finding"),
            fewer.len() as i64
        );
        assert_eq!(
            count(&store, "SELECT count(*) FROM node_set_node"),
            fx.analysis.graph.node_count() as i64
        );
        assert_eq!(store.load(third).unwrap().findings.len(), fewer.len());
    }

    #[test]
    fn the_content_hash_changes_with_any_value_rows_are_made_of() {
        let fx = fixture();
        let graph = &fx.analysis.graph;
        let findings = &fx.analysis.outcome.findings;
        let hash = |graph: &LineageGraph, findings: &[Finding]| {
            content::Content::of(graph, findings).hashes().content
        };
        let base = hash(graph, findings);
        assert_eq!(base, hash(graph, findings));
        assert_eq!(
            base,
            hash(&synthetic_clone(graph), findings),
            "another build of the same graph"
        );

        let observed = graph
            .graph
            .edge_indices()
            .find(|&e| graph.graph[e].observed.is_some())
            .unwrap();
        let declared = graph
            .graph
            .edge_indices()
            .find(|&e| !graph.graph[e].declared.is_empty())
            .unwrap();
        type Change = Box<dyn Fn(&mut LineageGraph, &mut Vec<Finding>)>;
        let changes: Vec<(&str, Change)> = vec![
            (
                "count",
                Box::new(move |g, _| {
                    if let Some(s) = g.graph[observed].observed.as_mut() {
                        s.count += 1;
                    }
                }),
            ),
            (
                "last_seen",
                Box::new(move |g, _| {
                    if let Some(s) = g.graph[observed].observed.as_mut() {
                        s.last_seen.0 += 1;
                    }
                }),
            ),
            (
                "evidence line",
                Box::new(move |g, _| {
                    if let Some(s) = g.graph[observed].observed.as_mut() {
                        s.line += 1;
                    }
                }),
            ),
            (
                "declaration line",
                Box::new(move |g, _| g.graph[declared].declared[0].line += 1),
            ),
            (
                "not observed",
                Box::new(move |g, _| g.graph[observed].observed = None),
            ),
            (
                "a finding's message",
                Box::new(|_, f| f[0].message.push('.')),
            ),
            (
                "a finding's related",
                Box::new(|_, f| f[0].related.push("model:x".into())),
            ),
            ("a finding fewer", Box::new(|_, f| drop(f.pop()))),
        ];
        for (what, change) in changes {
            let mut changed = synthetic_clone(graph);
            let mut found = findings.clone();
            change(&mut changed, &mut found);
            assert_ne!(base, hash(&changed, &found), "{what}");
        }
    }

    /// A copy of `graph` built node by node, edge by edge.
    fn synthetic_clone(graph: &LineageGraph) -> LineageGraph {
        let mut copy = LineageGraph::default();
        copy.manifests = graph.manifests.clone();
        let mut map = std::collections::HashMap::new();
        for node in graph.nodes() {
            map.insert(node, copy.graph.add_node(graph.graph[node].clone()));
        }
        for e in graph.graph.edge_indices() {
            let (from, to) = graph.graph.edge_endpoints(e).unwrap();
            copy.graph
                .add_edge(map[&from], map[&to], graph.graph[e].clone());
        }
        copy
    }

    #[test]
    fn declarations_are_written_as_serde_json_writes_them() {
        use crate::graph::{Declaration, DeclaredAs};
        let declarations = [
            Declaration {
                key: DeclaredAs::Inputs,
                file: "models/m.yaml".to_string(),
                line: 4,
                via: None,
            },
            Declaration {
                key: DeclaredAs::Training,
                file: "odd \"name\"\\\n\t\u{1}\u{7f}é.yaml".to_string(),
                line: usize::MAX,
                via: Some(NodeId::new(NodeKind::Model, "a\"b")),
            },
        ];
        let mut out = Vec::new();
        for n in 0..=declarations.len() {
            let expected = if n == 0 {
                "[]".to_string()
            } else {
                serde_json::to_string(&declaration_rows(&declarations[..n])).unwrap()
            };
            assert_eq!(declarations_json(&declarations[..n], &mut out), expected);
        }
    }

    #[test]
    fn the_documented_example_queries_work() {
        let fx = fixture();
        let mut store = Store::open(&fx.db()).unwrap();
        store.record(&fx.input()).unwrap();
        let examples: Vec<String> = include_str!("schema.sql")
            .split("-- Examples:")
            .nth(1)
            .unwrap()
            .split("\n\n")
            .next()
            .unwrap()
            .lines()
            .map(|line| line.trim_start_matches("--").trim().to_string())
            .collect::<Vec<_>>()
            .join(" ")
            .split(';')
            .map(str::trim)
            .filter(|sql| !sql.is_empty())
            .map(str::to_string)
            .collect();
        assert_eq!(examples.len(), 3, "{examples:?}");
        // They run against the views; the first and last find rows in the fixture.
        let mut found = Vec::new();
        for sql in &examples {
            let mut statement = store.conn.prepare(sql).unwrap();
            let rows = statement.query_map([], |_| Ok(())).unwrap();
            found.push(rows.map(Result::unwrap).count());
        }
        assert!(found[0] == 1 && found[2] > 0, "{found:?}");
    }

    #[test]
    fn refuses_a_database_from_a_newer_lintage() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lintage.db");
        drop(Store::open(&path).unwrap());
        Connection::open(&path)
            .unwrap()
            .pragma_update(None, "user_version", 7)
            .unwrap();
        for result in [Store::open(&path), Store::open_read_only(&path)] {
            let error = result.unwrap_err();
            let text = error.to_string();
            assert!(
                matches!(error, StoreError::TooNew { found: 7, .. }),
                "{error:?}"
            );
            assert!(
                text.contains(&format!("created by a newer lintage (schema 7, this one knows {SCHEMA_VERSION}); upgrade lintage or use another --db")),
                "{text}"
            );
            assert!(text.contains(&path.display().to_string()), "{text}");
        }
        assert_eq!(user_version(&path), 7);
    }

    #[test]
    fn refuses_a_database_lintage_did_not_create() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("other.db");
        Connection::open(&path)
            .unwrap()
            .execute_batch("CREATE TABLE accounts (id INTEGER PRIMARY KEY);")
            .unwrap();
        for result in [Store::open(&path), Store::open_read_only(&path)] {
            let error = result.unwrap_err();
            assert!(matches!(error, StoreError::Foreign { .. }), "{error:?}");
            assert!(error.to_string().contains("pass another --db"));
        }
        let tables: i64 = Connection::open(&path)
            .unwrap()
            .query_row("SELECT count(*) FROM sqlite_schema", [], |row| row.get(0))
            .unwrap();
        assert_eq!(tables, 1);
    }

    #[test]
    fn a_file_that_is_not_sqlite_gives_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lintage.db");
        std::fs::write(&path, "kind: model\nname: not-a-database\n".repeat(40)).unwrap();
        for result in [Store::open(&path), Store::open_read_only(&path)] {
            let error = result.unwrap_err();
            let text = error.to_string();
            assert!(matches!(error, StoreError::NotSqlite { .. }), "{error:?}");
            assert!(text.contains("is not an SQLite database"), "{text}");
            assert!(text.contains(&path.display().to_string()), "{text}");
            assert!(text.contains("--db"), "{text}");
        }
    }

    #[test]
    fn read_only_needs_a_recorded_database() {
        let fx = fixture();
        let path = fx.db();
        let error = Store::open_read_only(&path).unwrap_err();
        assert!(matches!(error, StoreError::NoSnapshot { .. }), "{error:?}");
        assert!(
            error
                .to_string()
                .contains("no snapshot yet: run `lintage scan` first, or pass --db"),
            "{error}"
        );
        assert!(!path.exists(), "a reader must not create the database");

        // Created but empty: readable, and `latest` says what to do.
        drop(Store::open(&path).unwrap());
        let reader = Store::open_read_only(&path).unwrap();
        assert!(matches!(
            reader.resolve("latest"),
            Err(StoreError::NoSnapshot { .. })
        ));
        drop(reader);

        let id = Store::open(&path).unwrap().record(&fx.input()).unwrap();
        // The writer is closed, so WAL files are gone; a reader still opens it.
        let reader = Store::open_read_only(&path).unwrap();
        assert_eq!(reader.resolve("latest").unwrap(), id);
        let edges = reader.load_edges(id).unwrap();
        assert_eq!(edges.len(), fx.analysis.graph.edge_count());
        assert!(reader.conn.is_readonly(rusqlite::MAIN_DB).unwrap());
    }

    #[test]
    fn writers_record_at_the_same_time() {
        let fx = fixture();
        let path = fx.db();
        let per_thread = 5;
        const WRITERS: usize = 4;
        let ids: Vec<Vec<i64>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..WRITERS)
                .map(|_| {
                    let fx = &fx;
                    let path = &path;
                    scope.spawn(move || {
                        // Each thread opens its own connection, as two processes would,
                        // racing on creation and migration too.
                        let mut store = Store::open(path).unwrap();
                        (0..per_thread)
                            .map(|_| store.record(&fx.input()).unwrap())
                            .collect::<Vec<i64>>()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let mut all: Vec<i64> = ids.into_iter().flatten().collect();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), WRITERS * per_thread);
        let store = Store::open(&path).unwrap();
        let listed = store.list().unwrap();
        assert_eq!(listed.len(), WRITERS * per_thread);
        for info in &listed {
            let snapshot = store.load(info.id).unwrap();
            assert_eq!(snapshot.edges.len(), fx.analysis.graph.edge_count());
        }
        assert_intact(&store);
    }

    /// The database passes SQLite's integrity and foreign-key checks.
    fn assert_intact(store: &Store) {
        let check: String = store
            .conn
            .query_row("PRAGMA integrity_check", [], |row| row.get(0))
            .unwrap();
        assert_eq!(check, "ok");
        let mut statement = store.conn.prepare("PRAGMA foreign_key_check").unwrap();
        assert!(statement.query([]).unwrap().next().unwrap().is_none());
    }

    /// A synthetic graph: `models` models, each reading `reads` datasets and writing one, with
    /// every edge observed and every tenth declared.
    fn synthetic(models: usize, reads: usize) -> crate::graph::LineageGraph {
        let mut lg = crate::graph::LineageGraph::default();
        let seen = Seen {
            count: 3,
            first_seen: Timestamp(1_700_000_000_000_000_000),
            last_seen: Timestamp(1_800_000_000_000_000_000),
            file: "logs/access.jsonl".into(),
            line: 17,
        };
        let datasets: Vec<_> = (0..models)
            .map(|i| {
                lg.graph.add_node(NodeData {
                    id: NodeId::new(NodeKind::Dataset, &format!("warehouse.table_{i:07}")),
                    manifest: None,
                })
            })
            .collect();
        let mut edges = BTreeMap::new();
        for i in 0..models {
            let model = lg.graph.add_node(NodeData {
                id: NodeId::new(NodeKind::Model, &format!("model-{i:07}")),
                manifest: None,
            });
            edges.insert((model, datasets[i]), i);
            for k in 1..=reads {
                edges.insert((datasets[(i * 7919 + k * 104_729) % models], model), i + k);
            }
        }
        for ((from, to), n) in edges {
            let declared = if n % 10 == 0 {
                vec![Declaration {
                    key: DeclaredAs::Inputs,
                    file: "manifests/models.yaml".to_string(),
                    line: n,
                    via: None,
                }]
            } else {
                Vec::new()
            };
            lg.graph.add_edge(
                from,
                to,
                EdgeData {
                    declared,
                    observed: Some(seen.clone()),
                },
            );
        }
        lg
    }

    #[test]
    fn records_a_synthetic_graph() {
        let lg = synthetic(200, 4);
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("lintage.db")).unwrap();
        let input = SnapshotInput {
            command: "scan",
            failed: false,
            root: ".",
            inputs: &[],
            graph: &lg,
            findings: &[],
            log_records: 0,
            malformed_records: 0,
        };
        let id = store.record(&input).unwrap();
        let edges = store.load_edges(id).unwrap();
        assert_eq!(edges.len(), lg.edge_count());
        assert!(edges.iter().all(|e| e.observed && e.count == 3));
        assert_eq!(
            edges.iter().filter(|e| e.declared).count(),
            lg.graph.edge_weights().filter(|e| e.is_declared()).count()
        );
    }

    /// `cargo test --release --lib store::tests::timing -- --ignored --nocapture`
    #[test]
    #[ignore = "a measurement, not a check"]
    #[allow(clippy::print_stderr)]
    fn timing_of_a_million_edges() {
        let lg = synthetic(200_000, 4);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lintage.db");
        let mut store = Store::open(&path).unwrap();
        let input = SnapshotInput {
            command: "scan",
            failed: false,
            root: ".",
            inputs: &[],
            graph: &lg,
            findings: &[],
            log_records: 0,
            malformed_records: 0,
        };
        for round in 0..2 {
            let start = Instant::now();
            let id = store.record(&input).unwrap();
            let recorded = start.elapsed();
            let start = Instant::now();
            let edges = store.load_edges(id).unwrap();
            let loaded = start.elapsed();
            eprintln!(
                "round {round}: {} nodes, {} edges: record {recorded:.2?}, load_edges {loaded:.2?}, db {} MB",
                lg.node_count(),
                edges.len(),
                std::fs::metadata(&path).unwrap().len() / 1_000_000
            );
        }
    }

    /// `cargo test --release --lib store::tests::timing_planted -- --ignored --nocapture`
    #[test]
    #[ignore = "a measurement, not a check"]
    #[allow(clippy::print_stderr)]
    fn timing_planted() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/planted/deployment");
        let analysis = analyze(&root, &ScanOptions::default()).unwrap();
        // Set LINTAGE_STORE_DB to keep the database for a look with the sqlite3 CLI.
        let dir = tempfile::tempdir().unwrap();
        let path = std::env::var_os("LINTAGE_STORE_DB")
            .map_or_else(|| dir.path().join("lintage.db"), PathBuf::from);
        let mut store = Store::open(&path).unwrap();
        let input = SnapshotInput {
            command: "scan",
            failed: false,
            root: "tests/planted/deployment",
            inputs: &[],
            graph: &analysis.graph,
            findings: &analysis.outcome.findings,
            log_records: analysis.stats.records,
            malformed_records: analysis.stats.malformed,
        };
        let start = Instant::now();
        let id = store.record(&input).unwrap();
        let recorded = start.elapsed();
        let start = Instant::now();
        let snapshot = store.load(id).unwrap();
        eprintln!(
            "planted: {} nodes, {} edges, {} findings: record {recorded:.2?}, load {:.2?}",
            snapshot.nodes.len(),
            snapshot.edges.len(),
            snapshot.findings.len(),
            start.elapsed()
        );
    }
}
