import { ACTIONS, type Action } from '@agentwatch/schemas';

const CANONICAL = new Set<string>(ACTIONS);

/**
 * A canonical action (events.md enum) from a policy input's verb: canonical names pass through, other
 * verbs (HTTP methods, CRUD words) go through the configured map; anything else is undefined so the
 * event leaves `action` out rather than guess.
 */
export function toAction(raw: string, actionMap: Readonly<Record<string, Action>>): Action | undefined {
  const lower = raw.trim().toLowerCase();
  if (CANONICAL.has(lower)) return lower as Action;
  const upper = lower.toUpperCase();
  return Object.hasOwn(actionMap, upper) ? actionMap[upper] : undefined;
}
