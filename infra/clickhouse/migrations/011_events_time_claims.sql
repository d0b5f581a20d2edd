-- Event time is a claim (events.md 1.1): an event dated 9999-12-31, 0001-01-01 or 1970 is valid and is stored.
-- DateTime64 holds 1900-01-01 .. 2299-12-31 (beyond it, values wrap in toDate/toDateTime: garbage partitions and TTL),
-- so `time` is the claim clamped to that range, and `raw` keeps the claim as sent. The year is looked at as text first
-- (RFC 3339 years are 4 digits, so text order is time order): no year outside the range is ever parsed. An empty time
-- (a row whose JSON could not be read: JSONExtract gives an empty tuple) still goes to the parse and fails the insert,
-- so the store isolates that row instead of storing an empty event.
-- The store cuts inserts by the same clamped day (services/store/src/event-rows.ts), so both sides agree on partitions.
-- The view is recreated (a view's query cannot be altered on every ClickHouse version); migrations run before ingest.
DROP VIEW IF EXISTS {db}.events_ingest_mv;

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.events_ingest_mv TO {db}.events AS
SELECT
    e.event_id AS event_id,
    multiIf(
        e.time != '' AND e.time < '1900', toDateTime64('1900-01-01 00:00:00.000', 3, 'UTC'),
        e.time >= '2300', toDateTime64('2299-12-31 23:59:59.999', 3, 'UTC'),
        greatest(toDateTime64('1900-01-01 00:00:00.000', 3, 'UTC'),
                 least(toDateTime64('2299-12-31 23:59:59.999', 3, 'UTC'), parseDateTime64BestEffort(e.time, 3, 'UTC')))
    ) AS time,
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

-- The event_id look-up of the HTTP path (a repeat is a duplicate or a conflicting duplicate) has its bloom filter index
-- added by `Store.ensureEventIdIndex()`, which `up` calls without Kafka: building it costs chdb ~5 us per inserted
-- event (bench:pipeline), and the Kafka path never looks ids up.
