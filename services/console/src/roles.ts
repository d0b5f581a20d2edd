// What each role may do in the console, as api.md's ROUTE_ROLES grant it (viewer < analyst < engineer < admin). A
// control a role may not use is not shown at all; the API refuses it anyway (403).
import type { Role } from './types.ts';

export const ROLES: readonly Role[] = ['viewer', 'analyst', 'engineer', 'admin'];

export const roleAtLeast = (role: Role, need: Role): boolean => ROLES.indexOf(role) >= ROLES.indexOf(need);

/** Console actions and the weakest role that may take each. */
export const ACTION_ROLES = {
  triage: 'analyst',
  comment: 'analyst',
  assign: 'analyst',
  suppress: 'engineer',
  validateRegistry: 'engineer',
  manageTokens: 'admin',
} as const satisfies Record<string, Role>;

export type Action = keyof typeof ACTION_ROLES;

export const can = (role: Role | undefined, action: Action): boolean => role !== undefined && roleAtLeast(role, ACTION_ROLES[action]);
