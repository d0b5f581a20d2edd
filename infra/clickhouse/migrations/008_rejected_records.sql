-- Source records that could not become canonical events (an adapter's reject, e.g. a span of POST /v1/traces with
-- no agent identity), kept with the reason: nothing sent to agentwatch is silently lost. In Kafka mode the same
-- records go to the DLQ topic instead. `raw` is the record as received (cut at 64 KiB; `raw_bytes` is its size).
-- A retried request re-inserts the same block (same insert_deduplication_token) and is dropped.
CREATE TABLE IF NOT EXISTS {db}.rejected_records
(
    received_at DateTime64(3, 'UTC'),
    source      LowCardinality(String),
    format      LowCardinality(String),
    reason      String,
    path        String,
    raw         String CODEC(ZSTD(3)),
    raw_bytes   UInt64
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(received_at)
ORDER BY (source, received_at)
SETTINGS non_replicated_deduplication_window = 10000;
