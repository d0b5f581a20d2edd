/**
 * Bench only: re-encodes a simulated fleet's canonical events (events.ndjson) as the source records the adapters
 * read, so `npm run bench` can replay the same events both ways and compare (issue 5: adapters add at most 30%).
 *
 * - tool_call -> OTLP/JSON `ExportTraceServiceRequest` lines (GenAI `execute_tool` spans). One request per agent
 *   process (resource = agent + environment), batched like the SDK BatchSpanProcessor: a batch is exported when
 *   5 s have passed since its first span or it holds 512 spans. Action and token id travel in span attributes that
 *   the adapter is configured to read (`actionFrom`, `tokenIdFrom`: OTel has no semconv attribute for either).
 * - token_issued, by the system the simulator says issued it: `vault` -> Vault audit AppRole login (request and
 *   response entries, as the file audit device writes them), `okta` -> Okta System Log access-token grant,
 *   `cloudtrail` -> CloudTrail STS AssumeRole by a broker IAM user (one `{"Records": [...]}` line per 5 minutes).
 * - policy_decision -> OPA decision-log upload-API elements, one per line.
 * - token_revoked stays canonical: no adapter maps a revocation to exactly one event (Vault adds the revoker's
 *   tool_call; Okta and CloudTrail logs have no revocation the adapters map).
 *
 * Fields a format cannot carry into the canonical field are still written into the record (as span attributes,
 * metadata...) so both inputs hold the same information; `ENCODING_GAPS` lists what does not round-trip.
 * Written once per fleet into `<fleet>/sources-v<ENCODING_VERSION>/` (a finished set has `manifest.json`).
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, type WriteStream, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AdapterOptionsByFormat } from '@agentwatch/adapters';
import type { CanonicalEvent } from '@agentwatch/schemas';
import { readLineBatches } from '../services/cli/src/sources/line-reader.ts';

/** Bump when the encoding changes: cached sets of another version are not reused. */
export const ENCODING_VERSION = 2;

export const SOURCE_FILES = ['otlp', 'vault', 'okta', 'cloudtrail', 'opa', 'canonical'] as const;
export type SourceFile = (typeof SOURCE_FILES)[number];

export interface SourceSet {
  encoding_version: number;
  dir: string;
  /** Per file: canonical events encoded into it (`events_in`) and source records written. */
  files: Array<{ format: SourceFile; path: string; events_in: number; records: number; bytes: number }>;
  /**
   * The same partition of the events, each part as canonical NDJSON (`canonical-<format>.ndjson`, and the shared
   * `canonical.ndjson`): replaying these costs the multi-file time merge without any adapter, which separates the
   * merge's share of the overhead from the adapters'.
   */
  canonical_split: string[];
  events: number;
  /** Per-format adapter options for `replay` (the config file's `adapters:` section), also written to `adapters_file`. */
  adapters: AdapterOptionsByFormat;
  adapters_file: string;
}

const AGENT_PREFIX = 'spiffe://corp.example/agents/';
const OTLP_BATCH_DELAY_MS = 5000;
const OTLP_MAX_BATCH = 512;
const CLOUDTRAIL_FILE_MS = 5 * 60_000;
/** One AWS account per environment, so the CloudTrail adapter's `accountEnvironments` gives `environment` back. */
const ACCOUNTS: Record<string, string> = { prod: '111122223333', staging: '222233334444', dev: '333344445555' };
const OTHER_ACCOUNT = '444455556666';

/** What the adapters are told (a deployment would put the same in its config file). */
export const ADAPTER_OPTIONS: AdapterOptionsByFormat = {
  otlp: { actionFrom: ['span:app.tool.action'], tokenIdFrom: ['span:app.token.id'] },
  vault: { agentIdPrefix: AGENT_PREFIX, issuer: 'https://vault.corp.example' },
  okta: { agentIdPrefix: AGENT_PREFIX, orgUrl: 'https://idp.corp.example' },
  cloudtrail: {
    agentIdPrefix: AGENT_PREFIX,
    scopesFrom: ['inlinePolicyActions'],
    accountEnvironments: Object.fromEntries(Object.entries(ACCOUNTS).map(([env, account]) => [account, env])),
  },
  opa: {},
};

/** Canonical fields that do not come back out of the adapter they were encoded for (they stay in the record / attributes). */
export const ENCODING_GAPS: Record<string, string[]> = {
  'tool_call (otlp)': [
    'source becomes "otel" also for calls the simulator attributes to gateway:mcp-gw',
    'approval.at is normalised to RFC 3339 UTC with milliseconds (same instant)',
  ],
  'token_issued (vault)': [
    'environment, session_id, task_id, on_behalf_of: not in an AppRole login entry',
    'issuer "https://vault.corp.example" becomes "https://vault.corp.example/auth/approle"; grant_type "approle" becomes "vault:approle"',
  ],
  'token_issued (okta)': [
    'environment: one adapter-wide option, not per record (the fleet has several environments)',
    'session_id, task_id, parent_token_id, delegation_chain travel in an `agentwatch` object added to the LogEvent (the System Log has no such fields; a real deployment needs an enriching pipeline)',
  ],
  'token_issued (cloudtrail)': ['on_behalf_of, task_id; issuer becomes "sts.amazonaws.com/<account>"'],
  'token_revoked (canonical)': ['replayed as canonical events (no adapter maps a revocation to exactly one event)'],
};

/** Why a rule alerts differently on the source files than on the canonical file, for the rules the gaps above touch. */
export const ALERT_DIFFERENCE_CAUSES: Record<string, string> = {
  'lifecycle.departed_principal': 'on_behalf_of is not carried by Vault AppRole logins or CloudTrail AssumeRole',
  'scope.environment_outside_registry': 'environment is not set on Vault and Okta tokens (one adapter-wide option, not per record)',
};

/** Buffered NDJSON writer that waits for the stream to drain (flat memory on GB-sized outputs). */
class NdjsonOut {
  private buf: string[] = [];
  private size = 0;
  records = 0;
  events = 0;
  bytes = 0;
  private readonly stream: WriteStream;
  constructor(readonly path: string) {
    this.stream = createWriteStream(path);
  }
  async line(text: string, records = 1): Promise<void> {
    this.buf.push(text);
    this.size += text.length + 1;
    this.records += records;
    if (this.size >= 1 << 20) await this.flush();
  }
  private async flush(): Promise<void> {
    if (this.buf.length === 0) return;
    const text = `${this.buf.join('\n')}\n`;
    this.bytes += Buffer.byteLength(text);
    this.buf = [];
    this.size = 0;
    if (!this.stream.write(text)) await once(this.stream, 'drain');
  }
  async close(): Promise<void> {
    await this.flush();
    this.stream.end();
    await once(this.stream, 'close');
  }
}

const hex = (s: string, chars: number): string => createHash('sha256').update(s).digest('hex').slice(0, chars);
const uuid = (s: string): string => {
  const h = hex(s, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
};
const shortName = (agentId: string): string => (agentId.startsWith(AGENT_PREFIX) ? agentId.slice(AGENT_PREFIX.length) : agentId);
/** Vault and OTLP write nanoseconds. */
const nanos = (ms: number): string => `${ms}000000`;
const isoNanos = (ms: number, extraNs = '000000'): string => `${new Date(ms).toISOString().slice(0, 23)}${extraNs}Z`;

type Kind<K extends CanonicalEvent['kind']> = Extract<CanonicalEvent, { kind: K }>;
type AnyValue = { stringValue: string } | { intValue: string } | { boolValue: boolean } | { arrayValue: { values: AnyValue[] } };
type KeyValue = { key: string; value: AnyValue };

const sv = (key: string, v: string): KeyValue => ({ key, value: { stringValue: v } });
const iv = (key: string, v: number): KeyValue => ({ key, value: { intValue: String(v) } });

// ---------------------------------------------------------------------------------------------------------
// OTLP

/** One OTLP/JSON span for a tool_call (GenAI semantic conventions, `execute_tool`). */
function toolSpan(e: Kind<'tool_call'>): Record<string, unknown> {
  const start = Date.parse(e.time);
  const trace = e.session_id ?? e.event_id;
  const attributes: KeyValue[] = [sv('gen_ai.operation.name', 'execute_tool'), sv('gen_ai.tool.name', e.tool), sv('gen_ai.agent.id', e.agent_id)];
  if (e.session_id) attributes.push(sv('gen_ai.conversation.id', e.session_id));
  if (e.resource) attributes.push(sv('mcp.resource.uri', e.resource));
  if (e.action) attributes.push(sv('app.tool.action', e.action));
  if (e.token_id) attributes.push(sv('app.token.id', e.token_id));
  if (e.on_behalf_of) attributes.push(sv('enduser.id', e.on_behalf_of));
  // Canonical fields GenAI semconv does not define, under the attribute names the adapter's `fields` defaults read.
  if (e.source_ip) attributes.push(sv('agentwatch.source_ip', e.source_ip));
  if (e.task_id) attributes.push(sv('agentwatch.task_id', e.task_id));
  if (e.bytes_in !== undefined) attributes.push(iv('agentwatch.bytes_in', e.bytes_in));
  if (e.bytes_out !== undefined) attributes.push(iv('agentwatch.bytes_out', e.bytes_out));
  if (e.records !== undefined) attributes.push(iv('agentwatch.records', e.records));
  if (e.context_trust) attributes.push(sv('agentwatch.context_trust', e.context_trust));
  if (e.approval) {
    attributes.push(sv('agentwatch.approval.by', e.approval.by));
    if (e.approval.at) attributes.push(sv('agentwatch.approval.at', e.approval.at));
  }
  if (e.delegation_chain)
    attributes.push({ key: 'agentwatch.delegation_chain', value: { arrayValue: { values: e.delegation_chain.map((a) => ({ stringValue: a })) } } });
  const extra = e.attributes ?? {};
  let status: Record<string, unknown> = {};
  if (e.outcome === 'denied') {
    attributes.push(sv('error.type', 'permission_denied'));
    status = { code: 2, message: extra['deny_reason'] ?? 'permission denied' };
  } else if (e.outcome === 'failure') {
    const type = extra['error.type'] ?? '_OTHER';
    attributes.push(sv('error.type', type));
    status = { code: 2, message: type };
  }
  for (const [k, v] of Object.entries(extra)) if (k !== 'error.type') attributes.push(sv(k, v));
  return {
    traceId: hex(trace, 32),
    spanId: hex(e.event_id, 16),
    // The agent run's `invoke_agent` span, not exported in these batches.
    parentSpanId: hex(`agent:${trace}`, 16),
    name: `execute_tool ${e.tool}`,
    kind: 1,
    startTimeUnixNano: nanos(start),
    endTimeUnixNano: nanos(start + Math.round(e.duration_ms ?? 0)),
    attributes,
    status,
  };
}

interface SpanBatch {
  key: string;
  agentId: string;
  environment: string | undefined;
  startMs: number;
  spans: Record<string, unknown>[];
  done: boolean;
}

/** Per agent process, an SDK BatchSpanProcessor: export after 5 s or at 512 spans; one resource per request. */
class OtlpBatcher {
  private readonly open = new Map<string, SpanBatch>();
  /** Open batches in creation order, which is also export-deadline order. */
  private readonly queue: SpanBatch[] = [];
  private head = 0;
  requests = 0;
  constructor(private readonly out: NdjsonOut) {}

  async add(e: Kind<'tool_call'>): Promise<void> {
    const t = Date.parse(e.time);
    await this.exportDue(t);
    const key = `${e.agent_id}\u0000${e.environment ?? ''}`;
    let batch = this.open.get(key);
    if (!batch) {
      batch = { key, agentId: e.agent_id, environment: e.environment, startMs: t, spans: [], done: false };
      this.open.set(key, batch);
      this.queue.push(batch);
    }
    batch.spans.push(toolSpan(e));
    this.out.events++;
    if (batch.spans.length >= OTLP_MAX_BATCH) await this.export(batch);
  }

  /** Exports every batch whose 5 s delay has passed by event time `t`. */
  async exportDue(t: number): Promise<void> {
    while (this.head < this.queue.length) {
      const b = this.queue[this.head] as SpanBatch;
      if (!b.done && b.startMs + OTLP_BATCH_DELAY_MS > t) break;
      this.head++;
      if (!b.done) await this.export(b);
    }
    if (this.head > 4096) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
  }

  async end(): Promise<void> {
    await this.exportDue(Number.POSITIVE_INFINITY);
  }

  private async export(b: SpanBatch): Promise<void> {
    b.done = true;
    this.open.delete(b.key);
    const resource: KeyValue[] = [sv('service.name', shortName(b.agentId)), sv('service.version', '1.4.2')];
    if (b.environment) resource.push(sv('deployment.environment.name', b.environment));
    resource.push(sv('telemetry.sdk.language', 'python'), sv('telemetry.sdk.name', 'opentelemetry'), sv('telemetry.sdk.version', '1.38.0'));
    const request = {
      resourceSpans: [
        {
          resource: { attributes: resource },
          scopeSpans: [{ scope: { name: 'opentelemetry.instrumentation.agents', version: '0.48b0' }, spans: b.spans }],
          schemaUrl: 'https://opentelemetry.io/schemas/1.37.0',
        },
      ],
    };
    this.requests++;
    await this.out.line(JSON.stringify(request));
  }
}

// ---------------------------------------------------------------------------------------------------------
// Vault: an AppRole login, as the file audit device writes it (request entry, then response entry).

function vaultLogin(e: Kind<'token_issued'>): [string, string] {
  const ms = Date.parse(e.time);
  const ttl = Math.max(0, Math.round((Date.parse(e.expires_at) - ms) / 1000));
  const role = shortName(e.agent_id);
  const hmac = (s: string) => `hmac-sha256:${hex(s, 64)}`;
  const request = {
    id: uuid(e.event_id),
    operation: 'update',
    mount_point: 'auth/approle/',
    mount_type: 'approle',
    mount_accessor: 'auth_approle_7c1e2f3a',
    mount_running_version: 'v1.19.0+builtin',
    mount_class: 'auth',
    namespace: { id: 'root' },
    path: 'auth/approle/login',
    data: { role_id: hmac(`role:${role}`), secret_id: hmac(`secret:${e.event_id}`) },
    remote_address: e.source_ip,
    remote_port: 40000 + (ms % 20000),
  };
  const callerAuth = { policy_results: { allowed: true }, token_type: 'default' };
  const auth = {
    client_token: hmac(`token:${e.token_id}`),
    accessor: e.token_id,
    display_name: `approle-${role}`,
    policies: e.scopes,
    token_policies: e.scopes,
    metadata: { role_name: role },
    entity_id: uuid(`entity:${e.agent_id}`),
    token_type: 'service',
    token_ttl: ttl,
    token_issue_time: new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z'),
  };
  return [
    JSON.stringify({ time: isoNanos(ms, '000000'), type: 'request', auth: callerAuth, request }),
    JSON.stringify({
      time: isoNanos(ms, '412000'),
      type: 'response',
      auth: callerAuth,
      request,
      response: { mount_type: 'approle', mount_accessor: 'auth_approle_7c1e2f3a', mount_running_plugin_version: 'v1.19.0+builtin', auth },
    }),
  ];
}

// ---------------------------------------------------------------------------------------------------------
// Okta: an access-token grant by a custom authorization server (client credentials or token exchange).

function oktaGrant(e: Kind<'token_issued'>): string {
  const client = shortName(e.agent_id);
  const m = /^https:\/\/idp\.corp\.example\/oauth2\/([^/]+)$/.exec(e.issuer);
  const serverId = m?.[1];
  const scopes = e.scopes.join(' ');
  const target: Record<string, unknown>[] = [
    {
      id: e.token_id,
      type: 'access_token',
      alternateId: null,
      displayName: 'Access Token',
      detailEntry: { expires: e.expires_at, subject: client, hash: hex(`hash:${e.token_id}`, 22) },
    },
  ];
  if (serverId) target.push({ id: serverId, type: 'AuthorizationServer', alternateId: serverId, displayName: serverId, detailEntry: null });
  if (e.on_behalf_of)
    target.push({ id: `00u${hex(e.on_behalf_of, 17)}`, type: 'User', alternateId: e.on_behalf_of, displayName: e.on_behalf_of, detailEntry: null });
  const debugData: Record<string, unknown> = {
    clientAuthType: 'private_key_jwt',
    grantType: e.grant_type,
    requestedScopes: scopes,
    grantedScopes: scopes,
    requestId: hex(`req:${e.event_id}`, 24),
    requestUri: `/oauth2/${serverId ?? 'default'}/v1/token`,
    url: `/oauth2/${serverId ?? 'default'}/v1/token?`,
    threatSuspected: 'false',
  };
  if (!serverId) debugData['issuer'] = e.issuer;
  if (e.audience?.[0]) debugData['authorizationServerAudience'] = e.audience[0];
  return JSON.stringify({
    actor: { id: client, type: 'PublicClientApp', alternateId: client, displayName: `${client} service app`, detailEntry: null },
    authenticationContext: { authenticationStep: 0, externalSessionId: 'unknown' },
    client: {
      device: 'Unknown',
      geographicalContext: null,
      id: client,
      ipAddress: e.source_ip ?? null,
      userAgent: { browser: 'UNKNOWN', os: 'Unknown', rawUserAgent: 'python-httpx/0.27.0' },
      zone: 'null',
    },
    debugContext: { debugData },
    displayMessage: 'OAuth2 access token is granted',
    eventType: 'app.oauth2.as.token.grant.access_token',
    legacyEventType: 'app.oauth2.as.token.grant.access_token_success',
    outcome: { reason: null, result: 'SUCCESS' },
    published: e.time,
    securityContext: { asNumber: null, asOrg: null, domain: null, isProxy: null, isp: null },
    severity: 'INFO',
    target,
    transaction: { detail: {}, id: hex(`tx:${e.event_id}`, 20), type: 'WEB' },
    uuid: uuid(e.event_id),
    version: '0',
    // Added by an enriching pipeline (the adapter's sessionIdPaths / taskIdPaths / parentTokenIdPaths /
    // delegationChainPaths defaults read it): the System Log itself has no such fields.
    ...(e.session_id || e.task_id || e.parent_token_id || e.delegation_chain
      ? { agentwatch: { session_id: e.session_id, task_id: e.task_id, parent_token_id: e.parent_token_id, delegation_chain: e.delegation_chain } }
      : {}),
  });
}

// ---------------------------------------------------------------------------------------------------------
// CloudTrail: STS AssumeRole by the agent broker (an IAM user with a long-term key, so no caller tool_call).

function assumeRole(e: Kind<'token_issued'>): Record<string, unknown> {
  const ms = Date.parse(e.time);
  const account = ACCOUNTS[e.environment ?? ''] ?? OTHER_ACCOUNT;
  const role = shortName(e.agent_id);
  const session = e.session_id ?? `agent-${hex(e.event_id, 12)}`;
  const roleArn = `arn:aws:iam::${account}:role/agents/${role}`;
  const roleId = `AROA${hex(roleArn, 17).toUpperCase()}`;
  return {
    eventVersion: '1.08',
    userIdentity: {
      type: 'IAMUser',
      principalId: 'AIDAQRSTUVWXYZ2345678',
      arn: `arn:aws:iam::${account}:user/agent-broker`,
      accountId: account,
      accessKeyId: 'AKIAQRSTUVWXYZ234567',
      userName: 'agent-broker',
    },
    eventTime: e.time,
    eventSource: 'sts.amazonaws.com',
    eventName: 'AssumeRole',
    awsRegion: 'eu-west-1',
    sourceIPAddress: e.source_ip ?? 'sts.amazonaws.com',
    userAgent: 'aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5 api/sts#1.30.3',
    requestParameters: {
      roleArn,
      roleSessionName: session,
      sourceIdentity: role,
      durationSeconds: Math.round((Date.parse(e.expires_at) - ms) / 1000),
      policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: e.scopes, Resource: '*' }] }),
    },
    responseElements: {
      credentials: { accessKeyId: e.token_id, sessionToken: `IQoJb3JpZ2luX2VjE${hex(`st:${e.token_id}`, 40)}`, expiration: e.expires_at },
      assumedRoleUser: { assumedRoleId: `${roleId}:${session}`, arn: `arn:aws:sts::${account}:assumed-role/${role}/${session}` },
      packedPolicySize: 12,
      sourceIdentity: role,
    },
    requestID: uuid(`req:${e.event_id}`),
    eventID: uuid(e.event_id),
    readOnly: true,
    resources: [{ accountId: account, type: 'AWS::IAM::Role', ARN: roleArn }],
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: account,
    eventCategory: 'Management',
    tlsDetails: { tlsVersion: 'TLSv1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256', clientProvidedHostHeader: 'sts.eu-west-1.amazonaws.com' },
  };
}

/** One trail delivery file per 5 minutes (all accounts: an organization trail), written as one `Records` line. */
class TrailFiles {
  private records: Record<string, unknown>[] = [];
  private windowStart = Number.NEGATIVE_INFINITY;
  constructor(private readonly out: NdjsonOut) {}
  async add(e: Kind<'token_issued'>): Promise<void> {
    const t = Date.parse(e.time);
    if (t >= this.windowStart + CLOUDTRAIL_FILE_MS) {
      await this.end();
      this.windowStart = t - (t % CLOUDTRAIL_FILE_MS);
    }
    this.records.push(assumeRole(e));
    this.out.events++;
  }
  async end(): Promise<void> {
    if (this.records.length === 0) return;
    const n = this.records.length;
    await this.out.line(JSON.stringify({ Records: this.records }), n);
    this.records = [];
  }
}

// ---------------------------------------------------------------------------------------------------------
// OPA: a decision-log element as the upload API sends it.

function opaDecision(e: Kind<'policy_decision'>): string {
  const input: Record<string, unknown> = { agent_id: e.agent_id };
  if (e.tool) input['tool'] = e.tool;
  if (e.resource) input['resource'] = e.resource;
  if (e.action) input['action'] = e.action;
  if (e.token_id) input['token_id'] = e.token_id;
  if (e.session_id) input['session_id'] = e.session_id;
  if (e.source_ip) input['source_ip'] = e.source_ip;
  if (e.environment) input['environment'] = e.environment;
  if (e.on_behalf_of) input['on_behalf_of'] = e.on_behalf_of;
  if (e.task_id) input['task_id'] = e.task_id;
  if (e.delegation_chain) input['delegation_chain'] = e.delegation_chain;
  return JSON.stringify({
    labels: { id: 'b2f1c7de-5d0e-4c61-9a57-3f1f0d2e6a10', version: '1.4.0' },
    decision_id: uuid(e.event_id),
    bundles: { agents: { revision: 'r2026.10.01' } },
    path: e.policy ?? 'agents/authz/allow',
    input,
    result: e.decision === 'allow',
    requested_by: '10.0.0.17:53312',
    timestamp: e.time,
    metrics: { timer_rego_query_eval_ns: 48211, timer_server_handler_ns: 90412 },
  });
}

// ---------------------------------------------------------------------------------------------------------

/** Which file an event goes to: by kind, and for token_issued by the system the simulator says issued it. */
function fileOf(e: CanonicalEvent): SourceFile {
  if (e.kind === 'tool_call') return 'otlp';
  if (e.kind === 'policy_decision') return 'opa';
  if (e.kind === 'token_revoked') return 'canonical';
  return e.source === 'vault' || e.source === 'cloudtrail' ? e.source : 'okta';
}

async function encode(eventsFile: string, dir: string): Promise<SourceSet> {
  const outs = Object.fromEntries(SOURCE_FILES.map((f) => [f, new NdjsonOut(join(dir, `${f}.ndjson`))])) as Record<SourceFile, NdjsonOut>;
  const split = Object.fromEntries(SOURCE_FILES.filter((f) => f !== 'canonical').map((f) => [f, new NdjsonOut(join(dir, `canonical-${f}.ndjson`))])) as Record<
    Exclude<SourceFile, 'canonical'>,
    NdjsonOut
  >;
  const otlp = new OtlpBatcher(outs.otlp);
  const trail = new TrailFiles(outs.cloudtrail);
  let events = 0;
  for await (const batch of readLineBatches(eventsFile, 4 * 1024 * 1024)) {
    for (const { text } of batch) {
      if (text.trim() === '') continue;
      const e = JSON.parse(text) as CanonicalEvent;
      events++;
      const part = fileOf(e);
      if (part !== 'canonical') {
        await split[part].line(text);
        split[part].events++;
      }
      if (e.kind === 'tool_call') await otlp.add(e);
      else if (e.kind === 'policy_decision') {
        await outs.opa.line(opaDecision(e));
        outs.opa.events++;
      } else if (e.kind === 'token_issued' && part === 'vault') {
        const [req, resp] = vaultLogin(e);
        await outs.vault.line(req);
        await outs.vault.line(resp);
        outs.vault.events++;
      } else if (e.kind === 'token_issued' && part === 'cloudtrail') await trail.add(e);
      else if (e.kind === 'token_issued') {
        await outs.okta.line(oktaGrant(e));
        outs.okta.events++;
      } else {
        await outs.canonical.line(text);
        outs.canonical.events++;
      }
    }
  }
  await otlp.end();
  await trail.end();
  for (const o of [...Object.values(outs), ...Object.values(split)]) await o.close();
  const files = SOURCE_FILES.map((f) => ({ format: f, path: `${f}.ndjson`, events_in: outs[f].events, records: outs[f].records, bytes: outs[f].bytes }));
  const canonical_split = SOURCE_FILES.filter((f) => outs[f].events > 0).map((f) => (f === 'canonical' ? 'canonical.ndjson' : `canonical-${f}.ndjson`));
  return { encoding_version: ENCODING_VERSION, dir, files, canonical_split, events, adapters: ADAPTER_OPTIONS, adapters_file: 'adapters.json' };
}

/**
 * The source-format files for a fleet directory, encoding them on first use (into a temporary directory renamed
 * when complete, so an interrupted run never leaves a half-written set). Files with no events are left out.
 */
export async function sourceSet(fleetDir: string, log: (line: string) => void = () => {}): Promise<SourceSet> {
  const dir = join(fleetDir, `sources-v${ENCODING_VERSION}`);
  const manifest = join(dir, 'manifest.json');
  if (!existsSync(manifest)) {
    const tmp = `${dir}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    log(`bench: encoding ${join(fleetDir, 'events.ndjson')} as source-format records into ${dir}`);
    const set = await encode(join(fleetDir, 'events.ndjson'), tmp);
    writeFileSync(join(tmp, set.adapters_file), `${JSON.stringify(set.adapters, null, 2)}\n`);
    writeFileSync(join(tmp, 'manifest.json'), `${JSON.stringify({ ...set, dir: undefined }, null, 2)}\n`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  }
  const set = JSON.parse(readFileSync(manifest, 'utf8')) as SourceSet;
  return {
    ...set,
    dir,
    adapters_file: join(dir, set.adapters_file),
    canonical_split: set.canonical_split.map((f) => join(dir, f)),
    files: set.files.filter((f) => f.events_in > 0).map((f) => ({ ...f, path: join(dir, f.path) })),
  };
}
