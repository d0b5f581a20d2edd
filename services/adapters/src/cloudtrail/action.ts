import type { Action } from '@agentwatch/schemas';
import type { CloudTrailOptions } from './options.ts';

/**
 * AWS API verbs (the leading word of `eventName`) to canonical actions. AWS names nearly every operation
 * `<Verb><Noun>`, so the verb is a good, cheap proxy for the effect; `readOnly` settles the rest.
 */
const VERBS: Record<string, Action> = {};
const add = (action: Action, verbs: string[]) => {
  for (const v of verbs) VERBS[v] = action;
};
add('read', ['Get', 'List', 'Describe', 'Head', 'Lookup', 'Search', 'Select', 'Scan', 'Query', 'BatchGet', 'Check', 'Preview']);
add('read', ['Download', 'Retrieve', 'Filter', 'Simulate', 'Estimate', 'View', 'Read', 'Export', 'Decrypt', 'Verify', 'Validate']);
add('write', ['Put', 'Create', 'Update', 'Modify', 'Set', 'Add', 'Attach', 'Associate', 'Enable', 'Disable', 'Tag', 'Upload', 'Copy']);
add('write', ['Import', 'Register', 'Replace', 'Restore', 'Change', 'Apply', 'Edit', 'Write', 'BatchWrite', 'Authorize', 'Allocate', 'Encrypt']);
add('write', ['Cancel', 'Reset', 'Rotate', 'Accept', 'Reject', 'Request', 'Complete', 'Confirm', 'Subscribe', 'Unsubscribe']);
add('delete', ['Delete', 'Remove', 'Detach', 'Disassociate', 'Deregister', 'Untag', 'Terminate', 'Purge', 'Revoke', 'Release', 'BatchDelete']);
add('execute', ['Invoke', 'Run', 'Start', 'Stop', 'Execute', 'Reboot', 'Restart', 'Assume', 'Leave']);
add('send', ['Send', 'Publish', 'Notify', 'Broadcast']);
add('transfer', ['Transfer']);

/** The leading verb: `GetObject` -> `Get`, `BatchGetItem` -> `BatchGet` (two-word verbs tried first). */
function leadingVerbs(eventName: string): string[] {
  const words = eventName.match(/[A-Z][a-z]*/g) ?? [];
  const out: string[] = [];
  if (words.length >= 2) out.push(`${words[0]}${words[1]}`);
  if (words.length >= 1) out.push(words[0] as string);
  return out;
}

/**
 * The action of a call: an override for the exact tool, else the verb table, else `readOnly`
 * (`true` -> read, otherwise other). Non-read calls to an admin service (IAM, Organizations, SSO) are `admin`.
 */
export function actionOf(service: string, eventName: string, readOnly: unknown, opts: CloudTrailOptions): Action {
  const tool = `${service}:${eventName}`;
  if (Object.hasOwn(opts.actionOverrides, tool)) return opts.actionOverrides[tool] as Action;
  let action: Action | undefined;
  for (const verb of leadingVerbs(eventName)) {
    action = Object.hasOwn(VERBS, verb) ? VERBS[verb] : undefined;
    if (action !== undefined) break;
  }
  action ??= readOnly === true ? 'read' : 'other';
  if (action !== 'read' && opts.adminServices.includes(service)) return 'admin';
  return action;
}

/** `AccessDenied`, `AccessDeniedException`, `Client.UnauthorizedOperation`, `UnauthorizedException`, `Forbidden`... */
const DENIED = /accessdenied|unauthori[sz]ed|notauthori[sz]ed|forbidden/i;

/** Outcome from `errorCode`: an authorization refusal is `denied`, any other error `failure`, none `success`. */
export function outcomeOf(errorCode: unknown): 'success' | 'failure' | 'denied' {
  if (typeof errorCode !== 'string' || errorCode.length === 0) return 'success';
  return DENIED.test(errorCode) ? 'denied' : 'failure';
}
