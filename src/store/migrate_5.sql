-- Schema version 5: manifests are cached by content, as line logs are by read (issue 7).
--
-- A re-scan parses a manifest file again only when its bytes changed: `manifest_cache` keeps,
-- per deployment root and file, the hash of the bytes last parsed and what they gave, as JSON
-- (src/ingest/cache.rs, `ManifestOutcome`). lintage replaces a file's row whenever it parses the
-- file, and forgets the rows of files that are gone. Like `read_cache`, it is a cache: delete
-- its rows at will, and the next scan parses every manifest again.
--
--   SELECT path, length(parsed) FROM manifest_cache WHERE root = '/srv/deploy';

CREATE TABLE manifest_cache (
    root         TEXT NOT NULL,    -- the deployment root, as scanned
    path         TEXT NOT NULL,    -- relative to the root
    settings     TEXT NOT NULL,    -- the lintage version and how the file was read
    content_hash TEXT NOT NULL,    -- `xxh3-128-chain:HEX` of the bytes parsed
    parsed       TEXT NOT NULL,    -- what they gave, JSON
    PRIMARY KEY (root, path)
);
