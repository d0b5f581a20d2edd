import { obj, str } from '../record-values.ts';
import type { SessionFact } from './options.ts';

/**
 * What is known about one STS session (see `SESSION_FACTS`). Built from the issuing record for
 * `token_issued` and from `userIdentity` for calls made with the key, so both sides agree.
 */
export interface SessionFacts {
  sourceIdentity?: string;
  sessionName?: string;
  roleName?: string;
  roleArn?: string;
  sessionArn?: string;
  /** The account the session belongs to, for the issuer and the environment. */
  accountId?: string;
}

interface Arn {
  partition: string;
  service: string;
  account: string;
  resource: string;
}

/** `arn:<partition>:<service>:<region>:<account>:<resource>` (the resource may itself contain `:`). */
export function parseArn(value: string | undefined): Arn | undefined {
  if (value === undefined || value.length > 2048) return undefined;
  const parts = value.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  return { partition: parts[1] as string, service: parts[2] as string, account: parts[4] as string, resource: parts.slice(5).join(':') };
}

/** Facts readable from a session's own ARN: assumed-role, federated-user, or an IAM user. */
function factsFromSessionArn(arn: string | undefined): SessionFacts {
  const p = parseArn(arn);
  if (!p) return {};
  const [head, ...rest] = p.resource.split('/');
  const account = p.account || undefined;
  if (p.service === 'sts' && head === 'assumed-role' && rest.length >= 2) {
    return { roleName: rest[0], sessionName: rest.slice(1).join('/'), sessionArn: arn, accountId: account };
  }
  if (p.service === 'sts' && head === 'federated-user' && rest.length >= 1) {
    return { sessionName: rest.join('/'), sessionArn: arn, accountId: account };
  }
  if (p.service === 'iam' && head === 'user' && rest.length >= 1) {
    return { sessionName: rest[rest.length - 1], sessionArn: arn, accountId: account };
  }
  return { sessionArn: arn, accountId: account };
}

/** The role name (last path segment) of `arn:aws:iam::<account>:role/<path/><name>`. */
export function roleNameFromArn(arn: string | undefined): string | undefined {
  const p = parseArn(arn);
  if (p?.service !== 'iam' || !p.resource.startsWith('role/')) return undefined;
  const segments = p.resource.split('/');
  return str(segments[segments.length - 1]);
}

/** The account of an ARN, when it names one. */
export function accountFromArn(arn: string | undefined): string | undefined {
  return str(parseArn(arn)?.account);
}

/** Drops undefined fields so spreading a fallback never overwrites a known fact with nothing. */
function defined(f: SessionFacts): SessionFacts {
  const out: SessionFacts = {};
  for (const [k, v] of Object.entries(f)) if (v !== undefined) out[k as keyof SessionFacts] = v;
  return out;
}

/**
 * The session a successful STS issuance created (the receiving side). The assumed-role / federated-user
 * ARN in `responseElements` is preferred because it is exactly what later calls show as `userIdentity.arn`;
 * request parameters fill the gaps. Source identity survives role chaining, so a caller's is inherited.
 */
export function issuedSessionFacts(record: Record<string, unknown>, eventName: string): SessionFacts {
  const req = obj(record['requestParameters']) ?? {};
  const resp = obj(record['responseElements']) ?? {};
  const caller = obj(record['userIdentity']) ?? {};
  const callerContext = obj(caller['sessionContext']);
  const recipient = str(record['recipientAccountId']);

  if (eventName === 'GetSessionToken') {
    return { ...callerSessionFacts(caller), sourceIdentity: undefined };
  }
  if (eventName === 'GetFederationToken') {
    const fromArn = factsFromSessionArn(str(obj(resp['federatedUser'])?.['arn']));
    const name = fromArn.sessionName ?? str(req['name']);
    const account = fromArn.accountId ?? str(caller['accountId']) ?? recipient;
    const partition = parseArn(str(caller['arn']))?.partition ?? 'aws';
    const sessionArn = fromArn.sessionArn ?? (name && account ? `arn:${partition}:sts::${account}:federated-user/${name}` : undefined);
    return defined({ sessionName: name, sessionArn, accountId: account });
  }
  // AssumeRole, AssumeRoleWithWebIdentity, AssumeRoleWithSAML
  const fromArn = factsFromSessionArn(str(obj(resp['assumedRoleUser'])?.['arn']));
  const roleArn = str(req['roleArn']);
  const roleName = fromArn.roleName ?? roleNameFromArn(roleArn);
  const sessionName = fromArn.sessionName ?? str(req['roleSessionName']);
  const account = accountFromArn(roleArn) ?? fromArn.accountId ?? recipient;
  const partition = parseArn(roleArn)?.partition ?? 'aws';
  const sessionArn =
    fromArn.sessionArn ?? (roleName && sessionName && account ? `arn:${partition}:sts::${account}:assumed-role/${roleName}/${sessionName}` : undefined);
  const sourceIdentity =
    str(req['sourceIdentity']) ?? str(resp['sourceIdentity']) ?? (eventName === 'AssumeRole' ? str(callerContext?.['sourceIdentity']) : undefined);
  return defined({ sourceIdentity, sessionName, roleName, roleArn, sessionArn, accountId: account });
}

/**
 * The session a call was made with (`userIdentity`): the ARN names the role and session (or federated
 * user, or IAM user), `sessionContext` adds the role ARN and source identity; `principalId`
 * (`AROA…:<session>`, `<account>:<federated name>`) is the fallback for the name.
 */
export function callerSessionFacts(userIdentity: Record<string, unknown>): SessionFacts {
  const type = str(userIdentity['type']);
  const arn = str(userIdentity['arn']);
  const facts = factsFromSessionArn(arn);
  const context = obj(userIdentity['sessionContext']);
  const issuer = obj(context?.['sessionIssuer']);
  const principalId = str(userIdentity['principalId']);
  let sessionName = facts.sessionName;
  if (type === 'IAMUser' || type === 'WebIdentityUser') sessionName = str(userIdentity['userName']) ?? sessionName;
  if (sessionName === undefined && principalId !== undefined && (type === 'AssumedRole' || type === 'FederatedUser')) {
    sessionName = str(principalId.slice(principalId.indexOf(':') + 1));
  }
  if (sessionName === undefined && type === 'WebIdentityUser') sessionName = principalId;
  const roleArn = str(issuer?.['type']) === 'Role' ? str(issuer?.['arn']) : undefined;
  const roleName = facts.roleName ?? (roleArn ? (str(issuer?.['userName']) ?? roleNameFromArn(roleArn)) : undefined);
  return defined({
    sourceIdentity: str(context?.['sourceIdentity']),
    sessionName,
    roleName,
    roleArn,
    sessionArn: facts.sessionArn ?? arn,
    accountId: facts.accountId ?? str(userIdentity['accountId']),
  });
}

/** The agent id: the first configured fact that is present, with the prefix. */
export function agentIdOf(facts: SessionFacts, order: readonly SessionFact[], prefix: string): { agentId: string; fact: SessionFact } | undefined {
  for (const fact of order) {
    const value = facts[fact];
    if (value !== undefined) return { agentId: `${prefix}${value}`, fact };
  }
  return undefined;
}
