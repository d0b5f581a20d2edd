-- Canonical events (shared/spec/events.md), one row per event_id.
-- ReplacingMergeTree(ingested_at): a re-inserted event (Kafka replay, retry) collapses to one row; reads use FINAL.
-- The sorting key holds event_id and an event's time never changes, so every copy of an event lands in the same
-- partition and part range and FINAL sees them all. The full event is kept verbatim in `raw`.
-- The TTL on `time` is set by the store from its config (eventsTtlDays), not here.
CREATE TABLE IF NOT EXISTS {db}.events
(
    event_id         String,
    time             DateTime64(3, 'UTC'),
    agent_id         String,
    kind             LowCardinality(String),
    source           LowCardinality(String),
    environment      LowCardinality(String),
    session_id       String,
    task_id          String,
    on_behalf_of     String,
    delegation_chain Array(String),
    source_ip        String,
    tool             LowCardinality(String),
    action           LowCardinality(String),
    resource         String,
    outcome          LowCardinality(String),
    decision         LowCardinality(String),
    token_id         String,
    bytes_in         UInt64,
    bytes_out        UInt64,
    records          UInt64,
    duration_ms      Float64,
    attributes       Map(String, String),
    raw              String CODEC(ZSTD(3)),
    ingested_at      DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toDate(time)
ORDER BY (agent_id, time, event_id)
SETTINGS non_replicated_deduplication_window = 10000, ttl_only_drop_parts = 1;
