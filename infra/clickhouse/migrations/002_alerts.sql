-- Alerts (shared/spec/alerts.md): one row per alert_id, the row with the highest `version` wins (reads use FINAL).
-- Detection-owned fields come from the newest emission; `status` is owned by triage (updateAlertStatus) and kept
-- across re-emissions. `severity_rank` (info=0 .. critical=4) serves "at least this severity" filters.
CREATE TABLE IF NOT EXISTS {db}.alerts
(
    alert_id          String,
    rule_id           LowCardinality(String),
    rule_version      String,
    category          LowCardinality(String),
    severity          LowCardinality(String),
    severity_rank     UInt8,
    risk_score        UInt8,
    agent_id          String,
    owner             Nullable(String),
    title             String,
    summary           String,
    first_seen        DateTime64(3, 'UTC'),
    last_seen         DateTime64(3, 'UTC'),
    count             UInt64,
    evidence          String CODEC(ZSTD(3)),
    tags              Array(String),
    status            LowCardinality(String),
    status_changed_at DateTime64(3, 'UTC'),
    created_at        DateTime64(3, 'UTC'),
    updated_at        DateTime64(3, 'UTC'),
    version           UInt64,
    INDEX idx_first_seen first_seen TYPE minmax GRANULARITY 1,
    INDEX idx_last_seen last_seen TYPE minmax GRANULARITY 1,
    INDEX idx_agent agent_id TYPE bloom_filter GRANULARITY 1
)
ENGINE = ReplacingMergeTree(version)
ORDER BY alert_id
SETTINGS non_replicated_deduplication_window = 10000;

-- Triage changes, one row per change. change_id = SHA-256(alert_id, status, comment, actor, at): replaying the same
-- change (a retried API call) collapses to one row.
CREATE TABLE IF NOT EXISTS {db}.alert_status_history
(
    alert_id    String,
    at          DateTime64(3, 'UTC'),
    change_id   String,
    from_status LowCardinality(String),
    status      LowCardinality(String),
    comment     String,
    actor       String
)
ENGINE = ReplacingMergeTree
ORDER BY (alert_id, at, change_id)
SETTINGS non_replicated_deduplication_window = 10000;
