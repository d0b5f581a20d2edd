import { readFileSync } from 'node:fs';
import { HOSTILE_VALUES, mutator } from './fuzz.ts';

/** The real sample, read in place (never copied into the repo). */
const SAMPLE = new URL('../../../../shared/samples/okta-system-log/elastic_okta_test-okta-system-events.log', import.meta.url);

export function sampleEvents(): Record<string, unknown>[] {
  return readFileSync(SAMPLE, 'utf8')
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

export const clone = <T>(v: T): T => structuredClone(v);

/**
 * An OAuth 2.0 token grant LogEvent. No real service-app grant is public (samples README section 4), so
 * this follows the LogEvent shape of the Okta System Log API reference and public test fixtures: the
 * client app as actor, an `access_token` target with `detailEntry.expires`, the `AuthorizationServer`
 * target, and `debugData` with `grantType`, `requestedScopes`, `grantedScopes` (one comma-separated string).
 */
export function grantEvent(o: {
  uuid: string;
  published: string;
  clientId: string;
  scopes?: string;
  grantType?: string;
  eventType?: string;
  result?: string;
  reason?: string | null;
  tokenId?: string | null;
  expires?: string;
  serverId?: string | null;
}): Record<string, unknown> {
  const serverId = o.serverId === undefined ? 'aus1agents0000000001' : o.serverId;
  const scopes = o.scopes ?? 'invoices.read';
  const granted = (o.result ?? 'SUCCESS') === 'SUCCESS';
  const target: Record<string, unknown>[] = [];
  if (granted && o.tokenId !== null) {
    target.push({
      id: o.tokenId ?? `AT.${o.uuid}`,
      type: 'access_token',
      alternateId: null,
      displayName: 'Access Token',
      detailEntry: { expires: o.expires ?? '2026-11-02T10:00:00.000Z', subject: o.clientId, hash: 'aGFzaC1vZi10aGUtdG9rZW4' },
    });
  }
  if (serverId !== null) target.push({ id: serverId, type: 'AuthorizationServer', alternateId: 'agents', displayName: 'Agents API', detailEntry: null });
  return {
    actor: { id: o.clientId, type: 'PublicClientApp', alternateId: o.clientId, displayName: `${o.clientId} service app`, detailEntry: null },
    authenticationContext: {
      authenticationProvider: null,
      authenticationStep: 0,
      credentialProvider: null,
      credentialType: null,
      externalSessionId: 'unknown',
      interface: null,
      issuer: null,
    },
    client: {
      device: 'Unknown',
      geographicalContext: null,
      id: o.clientId,
      ipAddress: '198.51.100.7',
      userAgent: { browser: 'UNKNOWN', os: 'Unknown', rawUserAgent: 'python-httpx/0.27.0' },
      zone: 'null',
    },
    debugContext: {
      debugData: {
        clientAuthType: 'private_key_jwt',
        grantType: o.grantType ?? 'client_credentials',
        requestedScopes: scopes,
        ...(granted ? { grantedScopes: scopes } : {}),
        requestId: `req-${o.uuid}`,
        requestUri: serverId ? `/oauth2/${serverId}/v1/token` : '/oauth2/v1/token',
        threatSuspected: 'false',
        url: serverId ? `/oauth2/${serverId}/v1/token?` : '/oauth2/v1/token?',
      },
    },
    displayMessage: granted ? 'OAuth2 access token is granted' : 'OAuth2 access token request failed',
    eventType: o.eventType ?? (granted ? 'app.oauth2.as.token.grant.access_token' : 'app.oauth2.as.token.grant'),
    legacyEventType: granted ? 'app.oauth2.as.token.grant.access_token_success' : 'app.oauth2.as.token.grant_failure',
    outcome: { result: o.result ?? 'SUCCESS', reason: o.reason ?? null },
    published: o.published,
    request: { ipChain: [{ ip: '198.51.100.7', geographicalContext: null, version: 'V4', source: null }] },
    securityContext: { asNumber: null, asOrg: null, domain: null, isProxy: null, isp: null },
    severity: granted ? 'INFO' : 'WARN',
    target,
    transaction: { detail: {}, id: `tx-${o.uuid}`, type: 'WEB' },
    uuid: o.uuid,
    version: '0',
  };
}

/** Replaces, deletes or adds 1..3 values at random places of a record (5% of the time: a hostile value instead). */
export const mutate = mutator([...HOSTILE_VALUES, 'SUCCESS', 'DENY', 'User', 'app.oauth2.as.token.grant.access_token', '999.1.1.1']);

export { mulberry32 } from './fuzz.ts';
