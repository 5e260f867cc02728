//! The manifest cache in the store (`manifest_cache`, schema 5): what each manifest file of a
//! deployment gave when it was last parsed, keyed by a hash of its bytes, loaded before a scan
//! and brought up to date after it.

use std::collections::HashMap;

use rusqlite::{TransactionBehavior, params};

use super::{Store, StoreError, forget_absent_files, on_error};
use crate::ingest::cache::{CachedManifest, ManifestCache, ManifestOutcome};

impl Store {
    /// What earlier scans of `root` parsed, by path. A row whose JSON does not decode is left
    /// out, so that its file is parsed again.
    pub fn load_manifest_cache(&self, root: &str) -> Result<ManifestCache, StoreError> {
        let mut files = HashMap::new();
        let mut rows = self
            .conn
            .prepare(
                "SELECT path, settings, content_hash, parsed FROM manifest_cache WHERE root = ?1",
            )
            .map_err(on_error(&self.path, "cannot read the manifest cache"))?;
        let cached = rows
            .query_map(params![root], |row| {
                let parsed = row.get_ref(3)?.as_str().ok();
                let Some(outcome) =
                    parsed.and_then(|text| serde_json::from_str::<ManifestOutcome>(text).ok())
                else {
                    return Ok(None);
                };
                Ok(Some(CachedManifest {
                    path: row.get(0)?,
                    settings: row.get(1)?,
                    content_hash: row.get(2)?,
                    outcome,
                }))
            })
            .map_err(on_error(&self.path, "cannot read the manifest cache"))?;
        for manifest in cached {
            let manifest =
                manifest.map_err(on_error(&self.path, "cannot read the manifest cache"))?;
            if let Some(manifest) = manifest {
                files.insert(manifest.path.clone(), manifest);
            }
        }
        Ok(ManifestCache { files })
    }

    /// Records the manifest files of `root` parsed now, and forgets those not in `present`.
    pub fn save_manifests(
        &mut self,
        root: &str,
        parsed: &[CachedManifest],
        present: &[String],
    ) -> Result<(), StoreError> {
        let path = self.path.clone();
        let err = |action| on_error(&path, action);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err("cannot lock the database to save the manifest cache"))?;
        {
            forget_absent_files(&tx, "manifest_cache", root, present)
                .map_err(err("cannot save the manifest cache"))?;
            let mut insert = tx
                .prepare(
                    "INSERT OR REPLACE INTO manifest_cache (root, path, settings, content_hash,
                        parsed)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .map_err(err("cannot save the manifest cache"))?;
            for manifest in parsed {
                // Serializing plain data cannot fail; a file that somehow did is parsed again.
                let Ok(json) = serde_json::to_string(&manifest.outcome) else {
                    continue;
                };
                insert
                    .execute(params![
                        root,
                        manifest.path,
                        manifest.settings,
                        manifest.content_hash,
                        json
                    ])
                    .map_err(err("cannot save the manifest cache"))?;
            }
        }
        tx.commit().map_err(err("cannot commit the manifest cache"))
    }
}
