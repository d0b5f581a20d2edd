-- Suppressions (alerts.md "Suppressions", api.md 1.1). One row per suppression; a deletion is a newer row (higher
-- version) with deleted_at set. `match` is the JSON of the match object. Reads use FINAL.
CREATE TABLE IF NOT EXISTS {db}.suppressions
(
    id         String,
    match      String,
    reason     String,
    author     String,
    created_at DateTime64(3, 'UTC'),
    expires_at DateTime64(3, 'UTC'),
    deleted_at Nullable(DateTime64(3, 'UTC')),
    version    UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY id
SETTINGS non_replicated_deduplication_window = 10000;

-- Hits: one row per (suppression, alert) it suppressed, so an alert re-emitted (it grew, its window closed, a restart
-- re-read its events) counts once; last_seen keeps the latest event time of a suppressed emission.
CREATE TABLE IF NOT EXISTS {db}.suppression_hits
(
    suppression_id String,
    alert_id       String,
    last_seen      DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(last_seen)
ORDER BY (suppression_id, alert_id)
SETTINGS non_replicated_deduplication_window = 10000;

-- The suppression that hid an alert ('' when none; set only while status is 'suppressed').
ALTER TABLE {db}.alerts ADD COLUMN IF NOT EXISTS suppression_id String DEFAULT '';
