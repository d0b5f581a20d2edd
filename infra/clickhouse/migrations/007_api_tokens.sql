-- API tokens (api.md, `agentwatch token create --role R`). Only the SHA-256 of each token is stored, never the token.
-- One row per token; a revocation is a newer row (higher version) for the same token_hash. Reads use FINAL.
CREATE TABLE IF NOT EXISTS {db}.api_tokens
(
    token_hash String,
    token_id   String,
    role       LowCardinality(String),
    created_at DateTime64(3, 'UTC'),
    revoked_at Nullable(DateTime64(3, 'UTC')),
    version    UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY token_hash
SETTINGS non_replicated_deduplication_window = 10000;
