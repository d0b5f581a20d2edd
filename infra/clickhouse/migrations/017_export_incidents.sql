-- Incidents are exported too (issue 16: OCSF findings that reference their alerts): an outbox row is an alert version
-- or an incident version (`kind`; the `alert` column then holds the incident's JSON), and incidents keep the export
-- version they are at (1 when grouped, +1 per change of alert count, severity or status).
ALTER TABLE {db}.alert_outbox ADD COLUMN IF NOT EXISTS kind LowCardinality(String) DEFAULT 'alert' AFTER seq;

ALTER TABLE {db}.incidents ADD COLUMN IF NOT EXISTS export_version UInt32 DEFAULT 0;
