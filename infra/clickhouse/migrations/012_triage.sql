-- API 1.1 triage (api.md "Added in 1.1"): assignment, assignee changes in the history, comments.
-- `assignee` is owned by triage like `status`: kept across detection re-emissions (rows.ts mergeAlert). NULL: nobody.
ALTER TABLE {db}.alerts ADD COLUMN IF NOT EXISTS assignee Nullable(String) AFTER status;

-- A history row records an assignee change when `assignee_changed` is 1 (`assignee` NULL then means "unassigned");
-- a status-only change leaves it 0.
ALTER TABLE {db}.alert_status_history ADD COLUMN IF NOT EXISTS from_assignee Nullable(String);

ALTER TABLE {db}.alert_status_history ADD COLUMN IF NOT EXISTS assignee Nullable(String);

ALTER TABLE {db}.alert_status_history ADD COLUMN IF NOT EXISTS assignee_changed UInt8 DEFAULT 0;

-- Analyst comments on an alert, one row per comment. comment_id is derived from the content and the server time
-- (triage-store.ts): a retried request finds the identical comment of the last minutes and is not stored again.
CREATE TABLE IF NOT EXISTS {db}.alert_comments
(
    alert_id   String,
    comment_id String,
    at         DateTime64(3, 'UTC'),
    actor      String,
    text       String CODEC(ZSTD(3))
)
ENGINE = ReplacingMergeTree
ORDER BY (alert_id, comment_id)
SETTINGS non_replicated_deduplication_window = 10000;
