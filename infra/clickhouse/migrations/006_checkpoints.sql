-- Live collector checkpoints: the detection engine's snapshot (JSON) together with the source offsets it reflects
-- (next offset to read, per partition). One logical row per (consumer group, topic); the highest seq wins (FINAL).
CREATE TABLE IF NOT EXISTS {db}.collector_checkpoints
(
    group_id   String,
    topic      String,
    seq        UInt64,
    offsets    String,
    snapshot   String CODEC(ZSTD(3)),
    created_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(seq)
ORDER BY (group_id, topic)
SETTINGS non_replicated_deduplication_window = 10000;
