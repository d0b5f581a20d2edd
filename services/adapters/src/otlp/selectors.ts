import { type AttrMap, scalarString } from './values.ts';

export type AttributeSource = 'span' | 'agent_span' | 'resource';

/** One parsed `span:<key>` / `agent_span:<key>` / `resource:<key>` option entry. */
export interface Selector {
  source: AttributeSource;
  key: string;
  /** The option text, for `agentwatch.*_from` attributes and reject reasons. */
  text: string;
}

export function parseSelector(text: string): Selector {
  const colon = text.indexOf(':');
  return { source: text.slice(0, colon) as AttributeSource, key: text.slice(colon + 1), text };
}

/** The attribute maps a selector can read for one span; `agent_span` is absent when none was found. */
export type AttributeScopes = { [S in AttributeSource]?: AttrMap };

export interface Resolved {
  value: string;
  selector: Selector;
}

/** Longer values are not used for canonical fields (they stay, clipped, in `attributes`). */
export const MAX_FIELD_CHARS = 1024;

/** The first selector with a usable scalar value (non-empty string or number, bounded) that `accept` allows. */
export function resolveFirst(selectors: readonly Selector[], scopes: AttributeScopes, accept?: (v: string) => boolean): Resolved | undefined {
  for (let i = 0; i < selectors.length; i++) {
    const selector = selectors[i] as Selector;
    const value = scalarString(scopes[selector.source]?.get(selector.key));
    if (value !== undefined && value.length <= MAX_FIELD_CHARS && (accept === undefined || accept(value))) return { value, selector };
  }
  return undefined;
}

/** Matcher for `ignoredAgentIds`: exact values, or prefixes written with a trailing `*`. */
export function ignoredValueMatcher(patterns: readonly string[]): (value: string) => boolean {
  const exact = new Set(patterns.filter((p) => !p.endsWith('*')));
  const prefixes = patterns.filter((p) => p.endsWith('*')).map((p) => p.slice(0, -1));
  return (value) => exact.has(value) || prefixes.some((p) => value.startsWith(p));
}
