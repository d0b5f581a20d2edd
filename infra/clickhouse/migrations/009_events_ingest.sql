-- Events are inserted as their JSON text and flattened here, by ClickHouse, into the `events` columns.
-- Why: building the column rows in Node (and escaping the raw JSON inside a JSON row) cost the collector's one
-- JavaScript thread ~8 us per event; ClickHouse parses the text off that thread (measured 3x the insert rate).
-- `raw` is the event's text as received (a validated canonical event, so it parses to the same event); each row is
-- `[<event JSON>, "<ingested_at>"]` (JSONCompactEachRow with input_format_json_read_objects_as_strings = 1).
-- Nothing is stored in events_ingest (Null engine): the view writes to `events`, and from there agent_hourly_mv
-- runs as before. Insert deduplication tokens given to the insert apply to `events` and `agent_hourly`
-- (deduplicate_blocks_in_dependent_materialized_views).
CREATE TABLE IF NOT EXISTS {db}.events_ingest
(
    raw         String,
    ingested_at DateTime64(3, 'UTC')
)
ENGINE = Null;

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.events_ingest_mv TO {db}.events AS
SELECT
    e.event_id AS event_id,
    parseDateTime64BestEffort(e.time, 3, 'UTC') AS time,
    e.agent_id AS agent_id,
    e.kind AS kind,
    e.source AS source,
    e.environment AS environment,
    e.session_id AS session_id,
    e.task_id AS task_id,
    e.on_behalf_of AS on_behalf_of,
    e.delegation_chain AS delegation_chain,
    e.source_ip AS source_ip,
    e.tool AS tool,
    e.action AS action,
    e.resource AS resource,
    e.outcome AS outcome,
    e.decision AS decision,
    e.token_id AS token_id,
    e.bytes_in AS bytes_in,
    e.bytes_out AS bytes_out,
    e.records AS records,
    e.duration_ms AS duration_ms,
    e.attributes AS attributes,
    raw,
    ingested_at
FROM
(
    SELECT
        JSONExtract(raw, 'Tuple(event_id String, time String, agent_id String, kind String, source String, environment String, session_id String, task_id String, on_behalf_of String, delegation_chain Array(String), source_ip String, tool String, action String, resource String, outcome String, decision String, token_id String, bytes_in UInt64, bytes_out UInt64, records UInt64, duration_ms Float64, attributes Map(String, String))') AS e,
        raw,
        ingested_at
    FROM {db}.events_ingest
);
