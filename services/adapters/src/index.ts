import { createCloudTrailAdapter, detectCloudTrail } from './cloudtrail/index.ts';
import { isObject } from './common.ts';
import { createMcpAdapter, detectMcp } from './mcp/index.ts';
import { createOktaAdapter, detectOkta } from './okta/index.ts';
import { createOpaAdapter, detectOpa } from './opa/index.ts';
import { createOtlpAdapter, detectOtlp } from './otlp/index.ts';
import type { AdapterFormat, RecordAdapter } from './types.ts';
import { createVaultAdapter, detectVault } from './vault/index.ts';

export * from './cloudtrail/index.ts';
export * from './common.ts';
export * from './mcp/index.ts';
export * from './okta/index.ts';
export * from './opa/index.ts';
export * from './options.ts';
export * from './otlp/index.ts';
export * from './types.ts';
export * from './vault/index.ts';

const FACTORIES: Record<AdapterFormat, (options: Record<string, unknown>) => RecordAdapter> = {
  otlp: (o) => createOtlpAdapter(o as never),
  vault: (o) => createVaultAdapter(o as never),
  cloudtrail: (o) => createCloudTrailAdapter(o as never),
  okta: (o) => createOktaAdapter(o as never),
  opa: (o) => createOpaAdapter(o as never),
  mcp: (o) => createMcpAdapter(o as never),
};

/** A fresh adapter (with its own pairing state) for one input. Throws on invalid options, naming them. */
export function createAdapter(format: AdapterFormat, options: Record<string, unknown> = {}): RecordAdapter {
  return FACTORIES[format](options);
}

/** Detection order: the most specific shapes first, so a looser detector never claims another format's records. */
const DETECTORS: Array<[AdapterFormat, (record: unknown) => boolean]> = [
  ['otlp', detectOtlp],
  ['cloudtrail', detectCloudTrail],
  ['vault', detectVault],
  ['okta', detectOkta],
  ['opa', detectOpa],
  ['mcp', detectMcp],
];

/** A canonical event (events.md) rather than a source record. */
export function looksCanonical(record: unknown): boolean {
  return isObject(record) && typeof record['kind'] === 'string' && typeof record['event_id'] === 'string';
}

/** The format of a decoded record (`--input-format auto`), or null when no adapter recognises it. */
export function detectFormat(record: unknown): AdapterFormat | 'canonical' | null {
  if (looksCanonical(record)) return 'canonical';
  for (const [format, detect] of DETECTORS) if (detect(record)) return format;
  return null;
}
