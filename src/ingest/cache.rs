//! What earlier scans read from each line log, so that a re-scan reads only what changed: an
//! unchanged file (same size, modification time and first 64 KiB, read with the same
//! settings) is not read again, and a file that grew from the same head is read from where
//! the last read ended. The store keeps these between runs (src/store/read_cache.rs).
//!
//! Manifests are cached the same way, by content: a manifest file whose bytes hash as they
//! did when it was last parsed gives what it gave then, without being parsed again
//! (src/store/manifest_cache.rs).

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use xxhash_rust::xxh3::xxh3_128;

use super::digest::FileDigest;
use super::manifest::Manifest;
use super::pipeline::Resume;
use super::{LogStats, ObservedEdges};

/// Bytes of a file's start whose hash tells a grown file from a replaced one.
const HEAD_BYTES: u64 = 64 << 10;

/// How a file looked when it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileState {
    pub size: u64,
    /// Nanoseconds since the Unix epoch.
    pub mtime_ns: i64,
    /// XXH3-128 of the first 64 KiB, lowercase hex.
    pub head_hash: String,
}

impl FileState {
    pub fn of(path: &Path) -> std::io::Result<FileState> {
        let metadata = std::fs::metadata(path)?;
        let mtime_ns = metadata
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .and_then(|d| i64::try_from(d.as_nanos()).ok())
            .unwrap_or(0);
        let mut head = Vec::with_capacity(HEAD_BYTES as usize);
        std::fs::File::open(path)?
            .take(HEAD_BYTES)
            .read_to_end(&mut head)?;
        Ok(FileState {
            size: metadata.len(),
            mtime_ns,
            head_hash: format!("{:032x}", xxh3_128(&head)),
        })
    }
}

/// What reading one line log gave, and how the file looked then.
#[derive(Debug, Clone)]
pub struct CachedRead {
    /// Relative to the deployment root.
    pub path: String,
    /// A hash of everything the file was read with (format, field names, window, version).
    pub settings: String,
    pub state: FileState,
    pub end: Resume,
    pub digest: FileDigest,
    pub stats: LogStats,
    /// The distinct edges the file gave, encoded (`edge_blob`); `edges_of` decodes them.
    pub encoded_edges: Vec<u8>,
}

impl CachedRead {
    pub fn new(
        path: &str,
        settings: String,
        state: FileState,
        end: Resume,
        digest: FileDigest,
        stats: LogStats,
        edges: &ObservedEdges,
    ) -> CachedRead {
        CachedRead {
            path: path.to_string(),
            settings,
            state,
            end,
            digest,
            stats,
            encoded_edges: super::edge_blob::encode(edges),
        }
    }

    /// The cached edges as observations of file `file_index`; `None` when they do not decode
    /// (a damaged cache, which is no cache).
    pub fn edges_of(&self, file_index: usize) -> Option<ObservedEdges> {
        let mut edges = super::edge_blob::decode(&self.encoded_edges)?;
        if file_index != 0 {
            edges.set_file(file_index);
        }
        Some(edges)
    }
}

/// What to do with a file the cache knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reuse {
    /// Unchanged: take the cached read as it is.
    Whole,
    /// Grew from the same head: read on from the cached end.
    Append,
    /// Read it all again.
    None,
}

/// The reads of earlier scans of one deployment, by path.
#[derive(Debug, Default)]
pub struct ReadCache {
    pub files: HashMap<String, CachedRead>,
}

impl ReadCache {
    /// How much of `path`'s cached read can be used, given how the file looks now.
    pub fn reuse(&self, path: &str, settings: &str, now: &FileState, gz: bool) -> Reuse {
        let Some(cached) = self.files.get(path) else {
            return Reuse::None;
        };
        if cached.settings != settings || cached.state.head_hash != now.head_hash {
            return Reuse::None;
        }
        if cached.state == *now {
            Reuse::Whole
        } else if !gz && now.size > cached.state.size && cached.end.offset == cached.state.size {
            Reuse::Append
        } else {
            Reuse::None
        }
    }
}

/// What parsing one manifest file gave, short of an error (errors are never cached: the file
/// is parsed again, and the error shown again, until it is fixed).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ManifestOutcome {
    /// The manifests it declares, in document order.
    Manifests(Vec<Manifest>),
    /// YAML, JSON or TOML that declares no entity (a CI workflow, say): passed over quietly.
    NotManifest,
    /// Passed over, with why (as the report's skipped files show it).
    Skipped(String),
}

/// One manifest file's parse, and which bytes it was of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedManifest {
    /// Relative to the deployment root.
    pub path: String,
    /// The lintage version and how the file was read (`ManifestCache::settings`).
    pub settings: String,
    /// `FileDigest::hash` of the bytes parsed.
    pub content_hash: String,
    pub outcome: ManifestOutcome,
}

/// The manifest parses of earlier scans of one deployment, by path.
#[derive(Debug, Default)]
pub struct ManifestCache {
    pub files: HashMap<String, CachedManifest>,
}

impl ManifestCache {
    /// Everything besides a file's bytes and path that its parse depends on.
    pub fn settings(explicit: bool) -> String {
        format!(
            "{}|{}",
            env!("CARGO_PKG_VERSION"),
            if explicit { "source" } else { "found" }
        )
    }

    /// The cached parse of `path`, taken out of the cache, when it was of the same bytes
    /// read the same way.
    pub fn take(
        &mut self,
        path: &str,
        settings: &str,
        content_hash: &str,
    ) -> Option<ManifestOutcome> {
        let cached = self.files.get(path)?;
        if cached.settings != settings || cached.content_hash != content_hash {
            return None;
        }
        self.files.remove(path).map(|c| c.outcome)
    }
}
