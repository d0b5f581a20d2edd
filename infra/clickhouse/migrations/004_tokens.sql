-- Credentials seen in token_issued events, one row per token_id (latest issue event wins), fed from events.
CREATE TABLE IF NOT EXISTS {db}.tokens
(
    token_id        String,
    agent_id        String,
    issuer          String,
    scopes          Array(String),
    audience        Array(String),
    issued_at       DateTime64(3, 'UTC'),
    expires_at      DateTime64(3, 'UTC'),
    grant_type      String,
    parent_token_id String,
    task_id         String,
    on_behalf_of    String,
    event_id        String
)
ENGINE = ReplacingMergeTree(issued_at)
ORDER BY token_id
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.tokens_mv TO {db}.tokens AS
SELECT
    token_id,
    agent_id,
    JSONExtractString(raw, 'issuer') AS issuer,
    JSONExtract(raw, 'scopes', 'Array(String)') AS scopes,
    JSONExtract(raw, 'audience', 'Array(String)') AS audience,
    time AS issued_at,
    parseDateTime64BestEffort(JSONExtractString(raw, 'expires_at'), 3, 'UTC') AS expires_at,
    JSONExtractString(raw, 'grant_type') AS grant_type,
    JSONExtractString(raw, 'parent_token_id') AS parent_token_id,
    task_id,
    on_behalf_of,
    event_id
FROM {db}.events
WHERE kind = 'token_issued';

-- Revocations (token_revoked events), one row per token_id: the earliest revocation wins
-- (ReplacingMergeTree keeps the highest version, so the version is the negated time).
CREATE TABLE IF NOT EXISTS {db}.token_revocations
(
    token_id   String,
    agent_id   String,
    revoked_at DateTime64(3, 'UTC'),
    reason     String,
    event_id   String,
    version    Int64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY token_id
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.token_revocations_mv TO {db}.token_revocations AS
SELECT
    token_id,
    agent_id,
    time AS revoked_at,
    JSONExtractString(raw, 'reason') AS reason,
    event_id,
    -toUnixTimestamp64Milli(time) AS version
FROM {db}.events
WHERE kind = 'token_revoked';
