import { isObject } from '../common.ts';
import { clip, preview, someKeys } from '../json-values.ts';

const MAX_RESOURCE = 1024;

/**
 * A bounded summary of a call's `arguments` for attributes: the first `maxKeys` top-level arguments,
 * each as a preview of at most `maxChars`, and a count of the keys left out. Enough to see what the
 * agent asked for without storing documents or secrets in full.
 */
export function summarizeArguments(args: unknown, maxKeys: number, maxChars: number): Record<string, string> {
  const out: Record<string, string> = {};
  if (args === undefined || args === null) return out;
  if (!isObject(args)) {
    out['mcp.arguments'] = preview(args, maxChars);
    return out;
  }
  const { keys, more } = someKeys(args, maxKeys);
  for (const k of keys) out[`mcp.arguments.${clip(k, 64)}`] = preview(args[k], maxChars);
  if (more) out['mcp.arguments.more_keys'] = 'true';
  return out;
}

/** The call's target resource: the first configured argument holding a string URI of reasonable length. */
export function resourceFromArguments(args: unknown, names: readonly string[]): string | undefined {
  if (!isObject(args)) return undefined;
  for (const name of names) {
    const v = args[name];
    if (Object.hasOwn(args, name) && typeof v === 'string' && v.length > 0 && v.length <= MAX_RESOURCE) return v;
  }
  return undefined;
}
