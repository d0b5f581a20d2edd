-- Every registry file the service loaded: when, its SHA-256 and the full text, so an alert can be explained against
-- the registry that was in force. Re-recording the same load (same time and hash) collapses to one row.
CREATE TABLE IF NOT EXISTS {db}.registry_versions
(
    loaded_at   DateTime64(3, 'UTC'),
    sha256      String,
    agent_count UInt32,
    source      String,
    content     String CODEC(ZSTD(3))
)
ENGINE = ReplacingMergeTree
ORDER BY (loaded_at, sha256)
SETTINGS non_replicated_deduplication_window = 10000;
