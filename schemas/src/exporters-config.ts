import { z } from 'zod';
import { AlertStatus, Category, Severity } from './alert.ts';
import { Duration } from './common.ts';

/**
 * The `exporters:` list of the config file (shared/spec/exporters.md). Secrets (HEC token, webhook secret) come from
 * a file (`*_file`) or an environment variable (`*_env`), never from the config file itself.
 */

/** What an exporter receives; unset fields do not narrow. `statuses` unset: every status but `suppressed`. */
export const ExportFilter = z.strictObject({
  min_severity: Severity.optional(),
  categories: z.array(Category).min(1).optional(),
  rule_ids: z.array(z.string().min(1)).min(1).optional(),
  statuses: z.array(AlertStatus).min(1).optional(),
});
export type ExportFilter = z.infer<typeof ExportFilter>;

/** An exporter's name: its key in the store (cursor), GET /v1/exporters and the metrics' `exporter` label. */
const ExporterName = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, { message: 'expected 1-64 letters, digits, ".", "_" or "-"' });
const EnvName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'expected an environment variable name' });

const common = {
  name: ExporterName,
  filter: ExportFilter.optional(),
  /** Alert versions per send (one HEC request, one OCSF append, syslog frames written together). */
  batch_size: z.number().int().min(1).max(10_000).default(100),
  /** A send that takes longer fails (and is retried). */
  timeout: Duration.default('10s'),
  /** PEM CA certificate(s) the receiver's certificate must chain to (https:// and tls:// receivers). */
  ca_file: z.string().min(1).optional(),
  /** PEM client certificate for a receiver that requires one, with `key_file`. */
  cert_file: z.string().min(1).optional(),
  key_file: z.string().min(1).optional(),
  /** Host name the receiver's certificate is checked against, when it is not the one in the address. */
  servername: z.string().min(1).optional(),
  /** false turns the receiver's certificate checks off (testing only; logged at every start). */
  tls_reject_unauthorized: z.boolean().default(true),
};

const HecExporter = z.strictObject({
  ...common,
  type: z.literal('hec'),
  /** The collector endpoint, e.g. https://splunk.example:8088/services/collector/event. */
  url: z.url({ protocol: /^https?$/ }),
  token_file: z.string().min(1).optional(),
  token_env: EnvName.optional(),
  /** Splunk index (unset: the token's default index). */
  index: z.string().min(1).optional(),
});

const SyslogExporter = z.strictObject({
  ...common,
  type: z.literal('syslog'),
  /** tcp://, udp://, tls://, relp:// or relp+tls:// host:port: CEF in RFC 5424 (RELP: acknowledged by the receiver). */
  address: z.string().regex(/^(tcp|udp|tls|relp|relp\+tls):\/\/[^\s/]+:\d{1,5}$/, { message: 'expected (tcp|udp|tls|relp|relp+tls)://host:port' }),
});

const OcsfExporter = z.strictObject({
  ...common,
  type: z.literal('ocsf'),
  /** NDJSON file findings are appended to... */
  path: z.string().min(1).optional(),
  /** ...or an HTTP endpoint they are POSTed to as NDJSON. */
  url: z.url({ protocol: /^https?$/ }).optional(),
});

const WebhookExporter = z.strictObject({
  ...common,
  type: z.literal('webhook'),
  url: z.url({ protocol: /^https?$/ }),
  secret_file: z.string().min(1).optional(),
  secret_env: EnvName.optional(),
});

const KafkaExporter = z.strictObject({
  ...common,
  type: z.literal('kafka'),
  topic: z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, { message: 'expected a Kafka topic name' }),
  /** Brokers of the receiving cluster; unset: `kafka_brokers` (and its TLS/SASL settings). */
  brokers: z.array(z.string().min(1)).min(1).optional(),
});

export const ExporterConfig = z
  .discriminatedUnion('type', [HecExporter, SyslogExporter, OcsfExporter, WebhookExporter, KafkaExporter])
  .superRefine((e, ctx) => {
    const one = (a: string, b: string, what: string) => {
      const r = e as Record<string, unknown>;
      if ((r[a] === undefined) === (r[b] === undefined)) ctx.addIssue({ code: 'custom', path: [a], message: `set exactly one of ${a} and ${b} (${what})` });
    };
    if (e.type === 'hec') one('token_file', 'token_env', 'the HEC token');
    if (e.type === 'webhook') one('secret_file', 'secret_env', 'the HMAC secret');
    if (e.type === 'ocsf') one('path', 'url', 'where findings go');
    if (e.type === 'syslog' && !/^(tls|relp\+tls):/.test(e.address) && (e.ca_file || e.cert_file || e.key_file || e.servername))
      ctx.addIssue({
        code: 'custom',
        path: ['address'],
        message: 'TLS settings (ca_file, cert_file, key_file, servername) need a tls:// or relp+tls:// address',
      });
    if ((e.cert_file === undefined) !== (e.key_file === undefined))
      ctx.addIssue({ code: 'custom', path: ['cert_file'], message: 'set cert_file and key_file together' });
  });
export type ExporterConfig = z.infer<typeof ExporterConfig>;

export const ExportersConfig = z.array(ExporterConfig).superRefine((list, ctx) => {
  const seen = new Set<string>();
  list.forEach((e, i) => {
    if (seen.has(e.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `two exporters are named ${JSON.stringify(e.name)}` });
    seen.add(e.name);
  });
});

/** Keys that would put a secret in the config file, and where it goes instead. */
export const EXPORTER_INLINE_SECRETS: Record<string, string> = {
  token: 'token_file or token_env',
  secret: 'secret_file or secret_env',
  password: 'a *_file or *_env setting',
};
