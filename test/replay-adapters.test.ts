// `agentwatch replay` over source-format files (real samples in ../shared/samples, read in place): auto-detection per
// file, framing (JSON array, NDJSON, one document, gzip), and each source's records through to alerts.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Alert } from '@agentwatch/schemas';
import { describe, expect, it } from 'vitest';
import { replay } from '../services/cli/src/commands/replay.ts';
import { tempDir } from './support/temp-dir.ts';

const SAMPLES = join(import.meta.dirname, '..', '..', 'shared', 'samples');
const dir = tempDir('aw-replay-adapters-');
const registry = join(dir, 'registry.yaml');
writeFileSync(
  registry,
  `agents:
  - { id: invoice-bot, name: Invoice bot, owner: alice@corp.example, status: active, purpose: test, registered_at: 2024-01-01 }
`,
);

async function run(files: string[], inputFormat: Parameters<typeof replay>[0]['inputFormat'] = 'auto') {
  const out = join(dir, `out-${Math.random().toString(36).slice(2)}.ndjson`);
  const lines: string[] = [];
  const summary = await replay({ registry, files, inputFormat, out, log: (l) => lines.push(l) });
  const alerts = readFileSync(out, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Alert);
  return { summary, alerts, lines };
}

describe('replay --input-format (adapters)', () => {
  it('CloudTrail: a JSON array file is detected, its AssumeRole session is out of registry', async () => {
    const { summary, alerts } = await run([join(SAMPLES, 'aws-cloudtrail', 'stratus_aws.defense-evasion.organizations-leave.json')]);
    expect(summary.inputs[0]).toMatchObject({ format: 'cloudtrail', records: 3, events: 3, rejected: 0 });
    expect(alerts.map((a) => a.rule_id)).toContain('registry.unregistered_agent');
  });

  it('CloudTrail: the same file gzipped and wrapped in {"Records": [...]} gives the same alerts', async () => {
    const records = JSON.parse(readFileSync(join(SAMPLES, 'aws-cloudtrail', 'stratus_aws.defense-evasion.organizations-leave.json'), 'utf8')) as unknown[];
    const gz = join(dir, 'trail.json.gz');
    writeFileSync(gz, gzipSync(JSON.stringify({ Records: records })));
    const plain = await run([join(SAMPLES, 'aws-cloudtrail', 'stratus_aws.defense-evasion.organizations-leave.json')]);
    const wrapped = await run([gz]);
    expect(wrapped.summary.inputs[0]).toMatchObject({ format: 'cloudtrail', records: 3 });
    expect(wrapped.alerts.map((a) => a.alert_id)).toEqual(plain.alerts.map((a) => a.alert_id));
  });

  it('OpenTelemetry: an any-agent trace is detected as otlp; tool spans become events, the rest are counted as skipped', async () => {
    const { summary, alerts } = await run([join(SAMPLES, 'otel-genai', 'any-agent_OPENAI_trace.json')]);
    expect(summary.inputs[0]).toMatchObject({ format: 'otlp', events: 2, rejected: 0, skipped: 4 });
    expect(alerts.map((a) => a.rule_id)).toEqual(['registry.unregistered_agent']);
  });

  it('Vault: NDJSON audit lines; the unauthenticated denied request is rejected with its reason', async () => {
    const { summary, lines } = await run([join(SAMPLES, 'vault-audit', 'elastic_hashicorp_vault_test-audit.log')], 'vault');
    expect(summary.inputs[0]).toMatchObject({ format: 'vault', records: 7, events: 3, rejected: 1 });
    expect(lines.join('\n')).toMatch(/elastic_hashicorp_vault_test-audit\.log:4: vault: .*no token accessor/);
  });

  it('Okta: user sessions and memberships are skipped with a reason, not rejected', async () => {
    const { summary } = await run([join(SAMPLES, 'okta-system-log', 'elastic_okta_test-okta-system-events.log')]);
    expect(summary.inputs[0]).toMatchObject({ format: 'okta', records: 5, events: 0, rejected: 0, skipped: 5 });
  });

  it('OPA: decisions without an agent identity are rejected, naming the paths looked at', async () => {
    const { summary, lines } = await run([join(SAMPLES, 'opa-decision-logs', 'osm_opa-envoy-plugin_decision-logs.jsonl')]);
    expect(summary.inputs[0]).toMatchObject({ format: 'opa', records: 2, rejected: 2 });
    expect(lines.join('\n')).toMatch(/opa: agent: no agent id at input\.agent_id/);
  });

  it('MCP: a gateway log pairing the sample request and response gives one tool_call from the enveloped agent', async () => {
    const request = JSON.parse(readFileSync(join(SAMPLES, 'mcp', 'CallToolRequest_call-tool-request.json'), 'utf8')) as unknown;
    const response = JSON.parse(readFileSync(join(SAMPLES, 'mcp', 'CallToolResultResponse_call-tool-result-response.json'), 'utf8')) as unknown;
    const log = join(dir, 'gateway.ndjson');
    writeFileSync(
      log,
      [
        { time: '2026-11-02T09:00:00.000Z', session_id: 's-1', agent_id: 'weather-agent', message: request },
        { time: '2026-11-02T09:00:00.250Z', session_id: 's-1', agent_id: 'weather-agent', message: response },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n'),
    );
    const { summary, alerts } = await run([log]);
    expect(summary.inputs[0]).toMatchObject({ format: 'mcp', records: 2, events: 1, rejected: 0 });
    expect(alerts.map((a) => [a.rule_id, a.agent_id])).toEqual([['registry.unregistered_agent', 'weather-agent']]);
  });

  it('a file no adapter recognises is rejected record by record, naming the formats tried', async () => {
    const odd = join(dir, 'odd.json');
    writeFileSync(odd, JSON.stringify([{ hello: 'world' }, { also: 1 }]));
    const { summary, lines } = await run([odd]);
    expect(summary).toMatchObject({ read: 2, rejected: 2, accepted: 0 });
    expect(lines[0]).toMatch(/odd\.json:1: not a canonical event nor a record of any known source format/);
  });
});
