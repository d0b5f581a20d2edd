import { problemsToString, toProblems } from '@agentwatch/schemas';
import type { z } from 'zod';
import { CloudTrailOptions } from './cloudtrail/options.ts';
import { McpOptions } from './mcp/options.ts';
import { OktaOptions } from './okta/options.ts';
import { OpaOptions } from './opa/options.ts';
import { OtlpOptions } from './otlp/options.ts';
import { ADAPTER_FORMATS, type AdapterFormat } from './types.ts';
import { VaultOptions } from './vault/options.ts';

/** Per-format adapter options, as in the config file's `adapters:` section (each validated by its adapter). */
export type AdapterOptionsByFormat = Partial<Record<AdapterFormat, Record<string, unknown>>>;

/** Each adapter's options schema (every field has a default, unknown keys are refused). */
export const ADAPTER_OPTION_SCHEMAS: Record<AdapterFormat, z.ZodType> = {
  otlp: OtlpOptions,
  vault: VaultOptions,
  cloudtrail: CloudTrailOptions,
  okta: OktaOptions,
  opa: OpaOptions,
  mcp: McpOptions,
};

/**
 * Adapter options that their adapter refuses. `problems` name the field as the config file spells it
 * (`adapters.otlp.agentIdFrom[0]`), so the message points at the line to fix.
 */
export class AdapterOptionsError extends Error {
  override readonly name = 'AdapterOptionsError';
  constructor(
    readonly format: AdapterFormat | null,
    readonly problems: Array<{ path: string; message: string }>,
  ) {
    super(problemsToString(problems));
  }
}

/**
 * Checks every format's options against that adapter's schema, before any record is read (start-up of `up`
 * and `replay --config`). `prefix` is where the section sits in the config (default `adapters`).
 * Throws {@link AdapterOptionsError} listing every problem; returns the options unchanged (adapters apply the defaults).
 */
export function validateAdapterOptions(byFormat: Record<string, unknown>, prefix = 'adapters'): AdapterOptionsByFormat {
  const problems: Array<{ path: string; message: string }> = [];
  let first: AdapterFormat | null = null;
  for (const [format, options] of Object.entries(byFormat)) {
    if (options === undefined) continue;
    if (!(ADAPTER_FORMATS as readonly string[]).includes(format)) {
      problems.push({ path: `${prefix}.${format}`, message: `unknown format; expected one of ${ADAPTER_FORMATS.join(', ')}` });
      continue;
    }
    const r = ADAPTER_OPTION_SCHEMAS[format as AdapterFormat].safeParse(options);
    if (r.success) continue;
    first ??= format as AdapterFormat;
    for (const p of toProblems(r.error))
      problems.push({ path: p.path === '(root)' ? `${prefix}.${format}` : `${prefix}.${format}.${p.path}`, message: p.message });
  }
  if (problems.length > 0) throw new AdapterOptionsError(first, problems);
  return byFormat as AdapterOptionsByFormat;
}
