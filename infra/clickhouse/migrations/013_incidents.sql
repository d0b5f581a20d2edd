-- Incidents (shared/spec/alerts.md "Incidents", 1.1): one row per incident_id, the row with the highest `version` wins
-- (reads use FINAL). Grouping-owned fields come from the newest upsert of the grouper (detections/src/incidents);
-- `status`, `assignee` and `status_changed_at` are owned by triage (POST /v1/incidents/{id}/status) and kept across
-- upserts. An incident absorbed into another (an alert linked two) keeps its row with `merged_into` set; lists skip it.
CREATE TABLE IF NOT EXISTS {db}.incidents
(
    incident_id       String,
    agent_ids         Array(String),
    owners            Array(String),
    alert_ids         Array(String),
    alert_count       UInt32,
    first_seen        DateTime64(3, 'UTC'),
    last_seen         DateTime64(3, 'UTC'),
    risk_score        UInt8,
    risk_explanation  String,
    severity          LowCardinality(String),
    severity_rank     UInt8,
    categories        Array(String),
    title             String,
    merged_into       String,
    status            LowCardinality(String),
    assignee          Nullable(String),
    status_changed_at DateTime64(3, 'UTC'),
    updated_at        DateTime64(3, 'UTC'),
    version           UInt64,
    INDEX idx_last_seen last_seen TYPE minmax GRANULARITY 1
)
ENGINE = ReplacingMergeTree(version)
ORDER BY incident_id
SETTINGS non_replicated_deduplication_window = 10000;

-- Incident triage changes, one row per change; change_id = SHA-256 of the change, so a retried call stores one row.
CREATE TABLE IF NOT EXISTS {db}.incident_status_history
(
    incident_id String,
    at          DateTime64(3, 'UTC'),
    change_id   String,
    from_status LowCardinality(String),
    status      LowCardinality(String),
    comment     String,
    actor       String,
    assignee    Nullable(String)
)
ENGINE = ReplacingMergeTree
ORDER BY (incident_id, at, change_id)
SETTINGS non_replicated_deduplication_window = 10000;
