-- Per-agent hourly baselines, fed by a materialized view from events. Read with sum()/uniqMerge() GROUP BY.
-- The view only sees inserts made after it exists. A replayed batch that the events table drops through insert
-- deduplication is dropped here too (deduplicate_blocks_in_dependent_materialized_views); an event re-inserted in a
-- differently-cut batch is counted again here (the events table itself still shows it once).
CREATE TABLE IF NOT EXISTS {db}.agent_hourly
(
    agent_id   String,
    hour       DateTime('UTC'),
    events     SimpleAggregateFunction(sum, UInt64),
    tool_calls SimpleAggregateFunction(sum, UInt64),
    bytes_out  SimpleAggregateFunction(sum, UInt64),
    records    SimpleAggregateFunction(sum, UInt64),
    denied     SimpleAggregateFunction(sum, UInt64),
    failures   SimpleAggregateFunction(sum, UInt64),
    tools      AggregateFunction(uniq, String),
    resources  AggregateFunction(uniq, String)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (agent_id, hour)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.agent_hourly_mv TO {db}.agent_hourly AS
SELECT
    agent_id,
    toStartOfHour(time) AS hour,
    toUInt64(count()) AS events,
    toUInt64(countIf(kind = 'tool_call')) AS tool_calls,
    toUInt64(sum(bytes_out)) AS bytes_out,
    toUInt64(sum(records)) AS records,
    toUInt64(countIf(outcome = 'denied' OR decision = 'deny')) AS denied,
    toUInt64(countIf(outcome = 'failure')) AS failures,
    uniqStateIf(tool, tool != '') AS tools,
    uniqStateIf(resource, resource != '') AS resources
FROM {db}.events
GROUP BY agent_id, hour;
