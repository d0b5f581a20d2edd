-- SIEM export (shared/spec/exporters.md): the outbox. Every alert version an exporter must deliver (a new alert, and
-- each later change of count, status or severity) is one row here, written by the store in the same step that writes
-- the alert (outbox-store.ts: before the alert row, so a crash between the two re-emits the alert and re-queues the
-- same version). `seq` orders the rows of one `writer` (the process that stored them); each exporter keeps a cursor
-- per writer. Rows are kept 30 days after they were queued, whatever the exporters did (a receiver down for longer
-- loses the oldest; GET /v1/exporters shows the backlog long before).
CREATE TABLE IF NOT EXISTS {db}.alert_outbox
(
    writer    LowCardinality(String),
    seq       UInt64,
    alert_id  String,
    version   UInt32,
    queued_at DateTime64(3, 'UTC'),
    alert     String CODEC(ZSTD(3))
)
ENGINE = ReplacingMergeTree
ORDER BY (writer, seq)
TTL toDateTime(queued_at) + INTERVAL 30 DAY
SETTINGS non_replicated_deduplication_window = 10000;

-- The export version an alert is at (1 for a new alert, +1 per change of count, status or severity); 0 for alerts
-- stored before the outbox existed.
ALTER TABLE {db}.alerts ADD COLUMN IF NOT EXISTS export_version UInt32 DEFAULT 0;

-- Per exporter and writer: how far delivery got (the last seq done, delivered, failed or filtered) and its counters.
CREATE TABLE IF NOT EXISTS {db}.export_cursors
(
    exporter        String,
    writer          LowCardinality(String),
    seq             UInt64,
    delivered       UInt64,
    failed          UInt64,
    filtered        UInt64,
    last_delivery   Nullable(DateTime64(3, 'UTC')),
    last_error      String,
    last_error_at   Nullable(DateTime64(3, 'UTC')),
    updated_at      DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY (exporter, writer);

-- Alert versions a receiver refused for good (HTTP 400, a record too large): kept with the reason, never dropped.
CREATE TABLE IF NOT EXISTS {db}.export_failed
(
    exporter  String,
    writer    LowCardinality(String),
    seq       UInt64,
    alert_id  String,
    version   UInt32,
    failed_at DateTime64(3, 'UTC'),
    error     String
)
ENGINE = ReplacingMergeTree
ORDER BY (exporter, writer, seq);
