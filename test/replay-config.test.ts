// `agentwatch replay --config FILE`: the config file's `adapters:` options change how source records are mapped, and
// an invalid option stops the run before anything is read, naming the format and the field.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Alert } from '@agentwatch/schemas';
import { describe, expect, it } from 'vitest';
import { replay } from '../services/cli/src/commands/replay.ts';
import { tempDir } from './support/temp-dir.ts';

const ROOT = join(import.meta.dirname, '..');
const SAMPLES = join(import.meta.dirname, '..', '..', 'shared', 'samples');
const TRACE = join(SAMPLES, 'otel-genai', 'any-agent_OPENAI_trace.json');
const OPA = join(SAMPLES, 'opa-decision-logs', 'osm_opa-envoy-plugin_decision-logs.jsonl');
const dir = tempDir('aw-replay-config-');
const registry = join(dir, 'registry.yaml');
writeFileSync(
  registry,
  'agents:\n  - { id: invoice-bot, name: Invoice bot, owner: alice@corp.example, status: active, purpose: test, registered_at: 2024-01-01 }\n',
);

function config(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

async function run(files: string[], configFile?: string) {
  const out = join(dir, `out-${Math.random().toString(36).slice(2)}.ndjson`);
  const lines: string[] = [];
  const summary = await replay({ registry, files, inputFormat: 'auto', out, log: (l) => lines.push(l), ...(configFile ? { configFile } : {}) });
  const alerts = readFileSync(out, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Alert);
  return { summary, alerts, lines };
}

describe('replay --config (adapters: options)', () => {
  it('OTLP: agentIdTemplate from the config file turns the sample agent into a SPIFFE id', async () => {
    const plain = await run([TRACE]);
    expect(plain.alerts.map((a) => [a.rule_id, a.agent_id])).toEqual([['registry.unregistered_agent', 'any_agent']]);
    const withConfig = await run([TRACE], config('otlp.yaml', "adapters:\n  otlp:\n    agentIdTemplate: 'spiffe://corp.example/agents/{value}'\n"));
    expect(withConfig.alerts.map((a) => [a.rule_id, a.agent_id])).toEqual([['registry.unregistered_agent', 'spiffe://corp.example/agents/any_agent']]);
  });

  it('OTLP: agent precedence from the config file (resource first: the placeholder service name is ignored, the span name still found)', async () => {
    const c = config('precedence.yaml', "adapters:\n  otlp:\n    agentIdFrom: ['resource:service.name', 'agent_span:gen_ai.agent.name']\n");
    const { summary, alerts } = await run([TRACE], c);
    expect(summary.inputs[0]).toMatchObject({ format: 'otlp', events: 2, rejected: 0 });
    expect(alerts.map((a) => a.agent_id)).toEqual(['any_agent']);
    const none = config('none.yaml', "adapters:\n  otlp:\n    agentIdFrom: ['resource:service.name']\n");
    const rejected = await run([TRACE], none);
    expect(rejected.summary.inputs[0]).toMatchObject({ events: 0, rejected: 2 });
  });

  it('OPA: decisions the default options reject are mapped with the agent path the config file adds', async () => {
    expect((await run([OPA])).summary.inputs[0]).toMatchObject({ format: 'opa', events: 0, rejected: 2 });
    const c = config('opa.yaml', "adapters:\n  opa:\n    agentPaths: ['input.attributes.source.address.socketAddress.address']\n");
    const { summary } = await run([OPA], c);
    expect(summary.inputs[0]).toMatchObject({ format: 'opa', events: 2, rejected: 0 });
  });

  it('an invalid option stops replay with exit 1 before reading, naming the format and the field', async () => {
    const bad = config('bad.yaml', 'adapters:\n  otlp:\n    agentIdFrom: [gen_ai.agent.name]\n    maxAttributes: many\n');
    await expect(run([TRACE], bad)).rejects.toThrow(`invalid configuration (${bad}): adapters.otlp.agentIdFrom[0]: expected "span:<attribute>"`);
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/agentwatch.mjs'), 'replay', '--registry', registry, '--config', bad, TRACE], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('agentwatch: invalid configuration');
    expect(r.stderr).toContain('adapters.otlp.maxAttributes: Invalid input: expected number, received string');
    expect(r.stdout).toBe('');
  });
});
