import { type Problem, toProblems } from './errors.ts';
import { CanonicalEvent } from './event.ts';
import { isCertainlyCanonicalEvent } from './fast-check.ts';
import { normalizeEvent } from './normalize.ts';

export type ParseResult<T> = { ok: true; value: T } | { ok: false; problems: Problem[] };

/**
 * Validates one decoded JSON value as a canonical event (events.md). A non-allocating pre-check vouches
 * for the common valid case; anything else goes through the zod schema, which decides and explains.
 * The event comes back in its kind's fixed shape ({@link normalizeEvent}). Besides the per-field schema it
 * enforces the cross-field rules the spec states: a `delegation_chain` ends with `agent_id`, and a
 * token does not expire before it was issued.
 */
export function parseEvent(value: unknown): ParseResult<CanonicalEvent> {
  let ev: CanonicalEvent;
  if (isCertainlyCanonicalEvent(value)) {
    ev = value;
  } else {
    const result = CanonicalEvent.safeParse(value);
    if (!result.success) return { ok: false, problems: toProblems(result.error) };
    ev = result.data;
  }
  const problems: Problem[] = [];
  const chain = ev.delegation_chain;
  if (chain && chain.length > 0 && chain[chain.length - 1] !== ev.agent_id) {
    problems.push({ path: `delegation_chain[${chain.length - 1}]`, message: `expected the last element to be agent_id "${ev.agent_id}"` });
  }
  if (ev.kind === 'token_issued' && Date.parse(ev.expires_at) < Date.parse(ev.time)) {
    problems.push({ path: 'expires_at', message: 'expected expires_at at or after time' });
  }
  return problems.length ? { ok: false, problems } : { ok: true, value: normalizeEvent(ev) };
}

/** Longest accepted JSON text for one event; longer lines are rejected (never buffered without bound). */
export const MAX_EVENT_BYTES = 1_048_576;

/** Decodes and validates one line of NDJSON: JSON syntax errors and schema problems both come back as problems. */
export function parseEventJson(text: string): ParseResult<CanonicalEvent> {
  if (text.length > MAX_EVENT_BYTES) return { ok: false, problems: [{ path: '(root)', message: `event larger than ${MAX_EVENT_BYTES} bytes` }] };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { ok: false, problems: [{ path: '(root)', message: `not valid JSON: ${(e as Error).message}` }] };
  }
  return parseEvent(value);
}
