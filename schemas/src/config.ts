import { z } from 'zod';
import { Duration } from './common.ts';
import { Action } from './event.ts';
import { ExportersConfig } from './exporters-config.ts';

/** Detection tuning. Every default is a product decision documented in detections/README.md. */
export const DetectionConfig = z.strictObject({
  /** Lifecycle: a review older than this is overdue (registry.md: default 90 days). */
  review_interval: Duration.default('90d'),
  /** Events may arrive this much out of order; later ones are processed late and counted. */
  allowed_lateness: Duration.default('5m'),
  /**
   * Event time is a claim (events.md 1.1): an event dated more than this after it arrived is stored and reported
   * (telemetry_integrity) but never moves the clock other events are judged by.
   */
  max_future_skew: Duration.default('5m'),
  /** ...and likewise an event dated more than this before it arrived (a backfill older than this: raise it, or replay). */
  max_event_age: Duration.default('30d'),
  /** Tolerated clock skew when comparing a token use against its expiry. */
  clock_skew: Duration.default('30s'),
  /** Token facts are dropped this long after the token expired or was revoked. */
  token_grace: Duration.default('1d'),
  /**
   * A use of a token the engine does not know yet is kept this long (event time) in case the token's
   * issuance arrives later (another partition, collector or source), then checked again.
   */
  token_fact_wait: Duration.default('1h'),
  /**
   * An event whose event_id the agent already had this recently (event time) is a duplicate (a source record
   * ingested twice, an at-least-once redelivery, an HTTP retry) and is not counted again.
   */
  duplicate_window: Duration.default('10m'),
  /** Behaviour baselines stay quiet until the agent has been observed this long... */
  learning_period: Duration.default('7d'),
  /** ...and on at least this many distinct days. */
  learning_min_active_days: z.number().int().min(1).default(3),
  /** Actions treated as high-consequence for every agent, besides each agent's `high_consequence_tools`. */
  high_consequence_actions: z.array(Action).default(['transfer', 'delete', 'admin']),
  /**
   * Incidents (alerts.md 1.1): alerts of linked agents whose event times are at most this far apart (single linkage,
   * like a session window with this gap) are one incident.
   */
  incident_window: Duration.default('6h'),
  /** Rule ids to switch off. */
  disabled_rules: z.array(z.string()).default([]),
});
export type DetectionConfig = z.infer<typeof DetectionConfig>;

/** Source formats that have an input adapter (services/adapters; cli.md `--input-format` minus `auto`, `canonical`). */
export const SOURCE_FORMATS = ['otlp', 'vault', 'cloudtrail', 'okta', 'opa', 'mcp'] as const;
export const SourceFormat = z.enum(SOURCE_FORMATS);
export type SourceFormat = z.infer<typeof SourceFormat>;

/** An adapter's options object; its own zod schema (services/adapters/src/<format>/options.ts) checks it at start-up. */
const AdapterOptionsObject = z.record(z.string(), z.unknown());

/**
 * Per-format adapter options (`adapters:` in the config file), used by `up` (POST /v1/traces, source topics) and
 * `replay --config`. Each object is validated against that adapter's own options schema when the command starts.
 */
export const AdaptersConfig = z.strictObject({
  otlp: AdapterOptionsObject.optional(),
  vault: AdapterOptionsObject.optional(),
  cloudtrail: AdapterOptionsObject.optional(),
  okta: AdapterOptionsObject.optional(),
  opa: AdapterOptionsObject.optional(),
  mcp: AdapterOptionsObject.optional(),
} satisfies Record<SourceFormat, unknown>);
export type AdaptersConfig = z.infer<typeof AdaptersConfig>;

/** A Kafka topic name (letters, digits, `.`, `_`, `-`; at most 249 characters). */
const TopicName = z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, { message: 'expected a Kafka topic name (letters, digits, ".", "_", "-")' });

/** The agentwatch config file (`--config`), also fed from the environment (cli.md). */
export const AgentwatchConfig = z.strictObject({
  kafka_brokers: z.array(z.string().min(1)).optional(),
  events_topic: z.string().min(1).default('agentwatch.events'),
  /** Alerts are also produced here for downstream consumers (keyed by alert_id; latest version wins). */
  alerts_topic: z.string().min(1).default('agentwatch.alerts'),
  /** Messages the collector could not accept, with the reason and their source in headers. */
  dlq_topic: z.string().min(1).default('agentwatch.events.dlq'),
  /** Compacted topic of token facts shared by every collector (key token_id). */
  tokens_topic: z.string().min(1).default('agentwatch.tokens'),
  /** Compacted topic of partition checkpoints (engine state + offset; key group/topic/partition). */
  checkpoints_topic: z.string().min(1).default('agentwatch.checkpoints'),
  /** Kafka consumer group of the collector; collectors sharing it split the partitions. */
  consumer_group: z.string().min(1).default('agentwatch-collector'),
  /**
   * How often detection state is checkpointed (per Kafka partition, or for the in-process HTTP pipeline). A crash
   * re-reads at most this much: from Kafka, or the events stored since (in-process).
   */
  checkpoint_interval: Duration.default('5s'),
  /**
   * Partitions of the events topic (across the group) are read within this much event time of the slowest one
   * that has a backlog. Larger: bigger batches when catching up; engines hold more token uses meanwhile.
   */
  partition_skew: Duration.default('6h'),
  /** How long the group waits for a silent collector before handing its partitions to the others. */
  kafka_session_timeout: Duration.default('30s'),
  /** Codec of the events, alerts and DLQ entries agentwatch produces to Kafka. Batches of every codec are read. */
  kafka_compression: z.enum(['none', 'gzip', 'snappy', 'lz4', 'zstd']).default('gzip'),
  /**
   * Kafka over TLS. On when true or when any `kafka_tls_*_file` is set; the system CAs are trusted unless
   * `kafka_tls_ca_file` names others. Secrets (keys, passwords) come from files or the environment, never this file.
   */
  kafka_tls: z.boolean().optional(),
  /** PEM CA certificate(s) the brokers' certificates must chain to. */
  kafka_tls_ca_file: z.string().min(1).optional(),
  /** PEM client certificate (for brokers that require one), with `kafka_tls_key_file`. */
  kafka_tls_cert_file: z.string().min(1).optional(),
  /** Unencrypted PEM private key of `kafka_tls_cert_file`. */
  kafka_tls_key_file: z.string().min(1).optional(),
  /** Host name the brokers' certificates are checked against, when it is not the one in `kafka_brokers`. */
  kafka_tls_servername: z.string().min(1).optional(),
  /** false turns broker certificate checks off (testing only): `up` says so in its log at every start. */
  kafka_tls_reject_unauthorized: z.boolean().default(true),
  /** SASL mechanism; with `kafka_sasl_username` and a password from `kafka_sasl_password_file` or AGENTWATCH_KAFKA_SASL_PASSWORD. */
  kafka_sasl_mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
  kafka_sasl_username: z.string().min(1).optional(),
  /** File holding the SASL password (one line; a trailing newline is ignored). */
  kafka_sasl_password_file: z.string().min(1).optional(),
  clickhouse_url: z.url().optional(),
  /** PEM CA certificate(s) the ClickHouse server's certificate must chain to (needs an https:// `clickhouse_url`). */
  clickhouse_ca_file: z.string().min(1).optional(),
  /** PEM client certificate for a server that requires one, with `clickhouse_key_file`. */
  clickhouse_cert_file: z.string().min(1).optional(),
  /** Unencrypted PEM private key of `clickhouse_cert_file`. */
  clickhouse_key_file: z.string().min(1).optional(),
  /** ClickHouse user; its password from `clickhouse_password_file` or AGENTWATCH_CLICKHOUSE_PASSWORD. */
  clickhouse_user: z.string().min(1).optional(),
  /** File holding the ClickHouse password (one line; a trailing newline is ignored). */
  clickhouse_password_file: z.string().min(1).optional(),
  /** A ClickHouse cluster name (with clickhouse_url): migrations run ON CLUSTER, Replicated* tables behind Distributed ones. */
  clickhouse_cluster: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a cluster name: letters, digits and _')
    .optional(),
  /** Accepted as an admin API token; a secret: never printed or logged (prefer AGENTWATCH_BOOTSTRAP_TOKEN to a file). */
  bootstrap_token: z.string().min(16).optional(),
  /** PEM certificate chain the API serves HTTPS with (with `tls_key_file`; both or neither). */
  tls_cert_file: z.string().min(1).optional(),
  /** PEM private key of `tls_cert_file` (unencrypted; keep the file readable by agentwatch alone). */
  tls_key_file: z.string().min(1).optional(),
  /** With HTTPS: PEM CA certificate(s); every client must then present a certificate they signed (mutual TLS). */
  tls_client_ca_file: z.string().min(1).optional(),
  listen: z
    .string()
    .regex(/^[^:]+:\d+$/, { message: 'expected HOST:PORT' })
    .default('127.0.0.1:7070'),
  data_dir: z.string().default('./data'),
  registry: z.string().optional(),
  rules_dir: z.string().optional(),
  detection: DetectionConfig.default(DetectionConfig.parse({})),
  /** Longest a suppression may be created for, in days from its creation (alerts.md "Suppressions"; POST /v1/suppressions). */
  suppression_max_days: z.number().int().min(1).max(3650).default(90),
  /**
   * Raw source topics the live pipeline also reads (Kafka only): topic -> source format. Each record is mapped by
   * that format's adapter and produced to `events_topic`; what cannot be mapped goes to `dlq_topic` with the reason.
   */
  source_topics: z.record(TopicName, SourceFormat).default({}),
  adapters: AdaptersConfig.default({}),
  /** SIEM exporters (exporters.md): each alert version delivered once per exporter through the store's outbox. */
  exporters: ExportersConfig.default([]),
  /**
   * This process's name in the store's export outbox (the rows it queues and delivers). Processes that share one
   * ClickHouse server need distinct names; default: the host name.
   */
  instance_id: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,128}$/, { message: 'expected 1-128 letters, digits, ".", "_", ":" or "-"' })
    .optional(),
});
export type AgentwatchConfig = z.infer<typeof AgentwatchConfig>;
