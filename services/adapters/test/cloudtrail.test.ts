import { parseEvent } from '@agentwatch/schemas';
import { describe, expect, it } from 'vitest';
import { createCloudTrailAdapter, detectCloudTrail } from '../src/cloudtrail/index.ts';
import type { AdapterResult } from '../src/types.ts';
import { assumeRole, clone, FEDERATION_FILE, LEAVE_ORG_FILE, runAll, sampleRecords, sessionCall } from './cloudtrail-fixtures.ts';

const ORG_ROLE = 'arn:aws:iam::307578594326:role/stratus-red-team-leave-org-role';
const ORG_SESSION = 'aws-go-sdk-1722587398902687000';
const ORG_SESSION_ARN = `arn:aws:sts::307578594326:assumed-role/stratus-red-team-leave-org-role/${ORG_SESSION}`;

describe('cloudtrail adapter: the real samples (Stratus Red Team detonation logs)', () => {
  it('GetFederationToken by an IAM user -> token_issued to the federated user; the call with that key -> tool_call on the same agent', () => {
    const [issue, call] = runAll(createCloudTrailAdapter(), sampleRecords(FEDERATION_FILE));
    expect(issue).toEqual({
      events: [
        {
          kind: 'token_issued',
          event_id: 'cloudtrail:6e882b9d-2af8-4c67-b91f-aeac6a0e5e70',
          time: '2024-11-30T08:43:17.000Z',
          agent_id: 'stratus_red_team',
          source: 'cloudtrail',
          token_id: 'ASIASTJKC5GCM7ZE6LUP',
          issuer: 'sts.amazonaws.com/742491224508',
          // The IAM user whose permissions bound the session, then the inline policy's `"Action": "*"`.
          scopes: ['arn:aws:iam::742491224508:user/stratus-red-team-user-federation-user', '*'],
          // "Nov 30, 2024, 8:43:17 PM" read as UTC: the 12 h federation-token default.
          expires_at: '2024-11-30T20:43:17.000Z',
          grant_type: 'federation_token',
          attributes: {
            'aws.event_source': 'sts.amazonaws.com',
            'aws.event_name': 'GetFederationToken',
            'aws.event_type': 'AwsApiCall',
            'aws.event_category': 'Management',
            'aws.event_version': '1.08',
            'aws.read_only': 'false',
            'aws.region': 'ap-isob-east-1r',
            'aws.account_id': '742491224508',
            'aws.request_id': 'e2de7fd1-2a86-4837-b15a-96fff1388061',
            'aws.user_agent':
              'aws-sdk-go-v2/1.32.3 os/linux lang/go#1.23.1 md/GOOS#linux md/GOARCH#amd64 exec-env/grimoire_095724e3-1fa0-4e3e-b68a-e8581d194380 api/sts#1.26.2',
            'aws.tls.host': 'sts.ap-isob-east-1r.amazonaws.com',
            // Anonymised, not an IP: kept here, not in source_ip, and not a reason to reject.
            'aws.source_ip_address': '255.090.254.5',
            'aws.user_identity.type': 'IAMUser',
            'aws.user_identity.arn': 'arn:aws:iam::742491224508:user/stratus-red-team-user-federation-user',
            'aws.user_identity.principal_id': 'AIDAN7SEM6PEVTNQR8M4',
            'aws.user_identity.account_id': '742491224508',
            'aws.user_identity.access_key_id': 'AKIA6V1GNZTT65XQH36M',
            'aws.user_identity.user_name': 'stratus-red-team-user-federation-user',
            'aws.issued_session.name': 'stratus_red_team',
            'aws.issued_session.arn': 'arn:aws:sts::742491224508:federated-user/stratus_red_team',
            'aws.packed_policy_size': '4',
            'agentwatch.agent_id_from': 'sessionName',
            'agentwatch.expires_at_from': 'expiration',
          },
        },
      ],
      rejects: [],
      skipped: 0,
    });
    expect(call?.rejects).toEqual([]);
    expect(call?.events).toHaveLength(1);
    const { attributes, ...fields } = (call as AdapterResult).events[0] as Record<string, unknown>;
    expect(fields).toEqual({
      kind: 'tool_call',
      event_id: 'cloudtrail:91529247-c4c4-4793-afc8-d70bbcfe9d19',
      time: '2024-11-30T08:43:18.000Z',
      agent_id: 'stratus_red_team',
      source: 'cloudtrail',
      tool: 'sts:GetCallerIdentity',
      action: 'read',
      outcome: 'success',
      token_id: 'ASIASTJKC5GCM7ZE6LUP',
    });
    expect(attributes).toMatchObject({
      'aws.user_identity.type': 'FederatedUser',
      'aws.user_identity.arn': 'arn:aws:sts::742491224508:federated-user/stratus_red_team',
      'aws.user_identity.session_issuer_arn': 'arn:aws:iam::742491224508:user/stratus-red-team-user-federation-user',
      'aws.user_identity.mfa_authenticated': 'false',
      'aws.source_ip_address': '255.090.254.5',
      'agentwatch.agent_id_from': 'sessionName',
    });
  });

  it('two AssumeRole by an IAM user -> token_issued to the role session; LeaveOrganization with the first key -> denied admin tool_call', () => {
    const [first, leave, second] = runAll(createCloudTrailAdapter(), sampleRecords(LEAVE_ORG_FILE));
    const issued = (r: typeof first) => {
      const { attributes, ...fields } = (r as AdapterResult).events[0] as Record<string, unknown>;
      return { fields, attributes, rejects: r?.rejects, skipped: r?.skipped };
    };
    const a = issued(first);
    expect(a.rejects).toEqual([]);
    expect(a.fields).toEqual({
      kind: 'token_issued',
      event_id: 'cloudtrail:099bfd30-232c-4dff-9998-3821921063ca',
      time: '2024-08-02T08:30:00.000Z',
      agent_id: ORG_SESSION,
      source: 'cloudtrail',
      // Anonymised but syntactically valid, so it is the source address.
      source_ip: '252.5.222.230',
      token_id: 'ASIA36EV31F1RB3OA8IG',
      issuer: 'sts.amazonaws.com/307578594326',
      scopes: [ORG_ROLE],
      expires_at: '2024-08-02T08:45:00.000Z',
      grant_type: 'assume_role',
    });
    expect(a.attributes).toMatchObject({
      'aws.issued_session.name': ORG_SESSION,
      'aws.issued_session.role_arn': ORG_ROLE,
      'aws.issued_session.arn': ORG_SESSION_ARN,
      'aws.duration_seconds': '900',
      'aws.user_identity.user_name': 'christophe',
    });
    const b = issued(second);
    expect(b.fields).toMatchObject({
      agent_id: ORG_SESSION,
      token_id: 'ASIAMOWPWQJ1QHWCWJXJ',
      expires_at: '2024-08-02T08:44:59.000Z',
      time: '2024-08-02T08:29:59.000Z',
    });

    expect(leave?.rejects).toEqual([]);
    const { attributes, ...fields } = (leave as AdapterResult).events[0] as Record<string, unknown>;
    expect(fields).toEqual({
      kind: 'tool_call',
      event_id: 'cloudtrail:16903cbd-fdff-4818-82f2-d66ad09aaf57',
      time: '2024-08-02T08:30:00.000Z',
      agent_id: ORG_SESSION,
      source: 'cloudtrail',
      source_ip: '252.5.222.230',
      tool: 'organizations:LeaveOrganization',
      action: 'admin',
      outcome: 'denied',
      token_id: 'ASIA36EV31F1RB3OA8IG',
    });
    expect(attributes).toMatchObject({
      'aws.error_code': 'AccessDenied',
      'aws.user_identity.type': 'AssumedRole',
      'aws.user_identity.session_issuer_arn': ORG_ROLE,
    });
    expect((attributes as Record<string, string>)['aws.error_message']).toContain('is not authorized to perform: organizations:LeaveOrganization');
  });

  it('every sample event is canonical and every sample record maps (none rejected, none skipped)', () => {
    for (const file of [FEDERATION_FILE, LEAVE_ORG_FILE]) {
      for (const r of runAll(createCloudTrailAdapter(), sampleRecords(file))) {
        expect(r.rejects).toEqual([]);
        expect(r.skipped).toBe(0);
        for (const e of r.events) expect(parseEvent(e).ok).toBe(true);
      }
    }
  });

  it('never copies the session token', () => {
    const text = JSON.stringify(runAll(createCloudTrailAdapter(), [...sampleRecords(FEDERATION_FILE), ...sampleRecords(LEAVE_ORG_FILE)]));
    expect(text).not.toContain('IQoJb3JpZ2lu');
  });
});

describe('cloudtrail adapter: agent id precedence is shared by issuance and use', () => {
  const records = sampleRecords(LEAVE_ORG_FILE);
  const agentsWith = (opts: Parameters<typeof createCloudTrailAdapter>[0]) =>
    runAll(createCloudTrailAdapter(opts), records).map((r) => [r.events[0]?.agent_id, r.events[0]?.session_id]);

  it('role name: every event on the role, the session name becomes session_id', () => {
    expect(agentsWith({ agentIdFrom: ['roleName'] })).toEqual([
      ['stratus-red-team-leave-org-role', ORG_SESSION],
      ['stratus-red-team-leave-org-role', ORG_SESSION],
      ['stratus-red-team-leave-org-role', ORG_SESSION],
    ]);
  });

  it('the assumed-role ARN form, with a prefix', () => {
    expect(agentsWith({ agentIdFrom: ['sessionArn'], agentIdPrefix: 'aws:' })).toEqual([
      [`aws:${ORG_SESSION_ARN}`, ORG_SESSION],
      [`aws:${ORG_SESSION_ARN}`, ORG_SESSION],
      [`aws:${ORG_SESSION_ARN}`, ORG_SESSION],
    ]);
  });

  it('role ARN (with path) from the request on issuance and from sessionIssuer on use', () => {
    const issue = assumeRole({
      id: 'i',
      time: '2024-08-02T08:00:00Z',
      role: 'agents/invoice-bot',
      session: 's1',
      keyId: 'ASIAK1',
      expiration: 'Aug 2, 2024, 9:00:00 AM',
    });
    const use = sessionCall({ id: 'u', time: '2024-08-02T08:01:00Z', role: 'invoice-bot', session: 's1', keyId: 'ASIAK1' });
    (use['userIdentity'] as { sessionContext: { sessionIssuer: { arn: string } } }).sessionContext.sessionIssuer.arn =
      'arn:aws:iam::111122223333:role/agents/invoice-bot';
    const a = createCloudTrailAdapter({ agentIdFrom: ['roleArn'] });
    expect(a.map(issue).events[0]?.agent_id).toBe('arn:aws:iam::111122223333:role/agents/invoice-bot');
    expect(a.map(use).events[0]?.agent_id).toBe('arn:aws:iam::111122223333:role/agents/invoice-bot');
  });

  it('sourceIdentity first: set on AssumeRole, seen in sessionContext on use', () => {
    const issue = assumeRole({
      id: 'i',
      time: '2024-08-02T08:00:00Z',
      role: 'invoice-bot',
      session: 'run-42',
      keyId: 'ASIAK2',
      expiration: '2024-08-02T09:00:00Z',
      extraRequest: { sourceIdentity: 'invoice-bot' },
    });
    const use = sessionCall({ id: 'u', time: '2024-08-02T08:01:00Z', role: 'invoice-bot', session: 'run-42', keyId: 'ASIAK2', sourceIdentity: 'invoice-bot' });
    const a = createCloudTrailAdapter();
    expect(a.map(issue).events[0]).toMatchObject({ agent_id: 'invoice-bot', session_id: 'run-42', expires_at: '2024-08-02T09:00:00.000Z' });
    expect(a.map(use).events[0]).toMatchObject({ agent_id: 'invoice-bot', session_id: 'run-42', token_id: 'ASIAK2' });
  });

  it('rejects a session with none of the configured facts, naming them', () => {
    const use = sessionCall({ id: 'u', time: '2024-08-02T08:01:00Z', role: 'r', session: 's', keyId: 'ASIAK3' });
    expect(createCloudTrailAdapter({ agentIdFrom: ['sourceIdentity'] }).map(use)).toEqual({
      events: [],
      rejects: [{ reason: 'userIdentity: no agent id for the calling session, none of sourceIdentity is in the record' }],
      skipped: 0,
    });
  });
});

describe('cloudtrail adapter: issuance variants', () => {
  it('AssumeRoleWithWebIdentity (fields from the AWS IAM User Guide example)', () => {
    const record = {
      eventVersion: '1.08',
      userIdentity: {
        type: 'WebIdentityUser',
        principalId: 'accounts.google.com:application-id.apps.googleusercontent.com:web-identity-user-id',
        userName: 'web-identity-user-id',
        identityProvider: 'accounts.google.com',
      },
      eventTime: '2016-03-23T01:39:51Z',
      eventSource: 'sts.amazonaws.com',
      eventName: 'AssumeRoleWithWebIdentity',
      awsRegion: 'us-east-2',
      sourceIPAddress: '192.0.2.101',
      userAgent: 'aws-cli/1.3.23 Python/2.7.6 Linux/2.6.18-164.el5',
      requestParameters: {
        durationSeconds: 3600,
        roleArn: 'arn:aws:iam::444455556666:role/FederatedWebIdentityRole',
        roleSessionName: 'MyAssignedRoleSessionName',
        sourceIdentity: 'Admin',
        principalTags: { CostCenter: '987654' },
      },
      responseElements: {
        provider: 'accounts.google.com',
        subjectFromWebIdentityToken: 'web-identity-user-id',
        audience: 'application-id.apps.googleusercontent.com',
        credentials: { accessKeyId: 'ASIACQRSTUVWRAOEXAMPLE', sessionToken: 'secret', expiration: 'Mar 23, 2016, 2:39:51 AM' },
        assumedRoleUser: {
          assumedRoleId: 'AROACQRSTUVWRAOEXAMPLE:MyAssignedRoleSessionName',
          arn: 'arn:aws:sts::444455556666:assumed-role/FederatedWebIdentityRole/MyAssignedRoleSessionName',
        },
        sourceIdentity: 'Admin',
      },
      requestID: '6EXAMPLE-e595-11e5-b2c7-c974fEXAMPLE',
      eventID: 'bEXAMPLE-0b30-4246-b28c-e3da3EXAMPLE',
      eventType: 'AwsApiCall',
      recipientAccountId: '444455556666',
    };
    const r = createCloudTrailAdapter({ agentIdFrom: ['sessionName'] }).map(record);
    expect(r.rejects).toEqual([]);
    // The caller has no access key, so there is no caller tool_call: only the issuance.
    expect(r.events).toHaveLength(1);
    expect(r.events[0]).toMatchObject({
      kind: 'token_issued',
      agent_id: 'MyAssignedRoleSessionName',
      token_id: 'ASIACQRSTUVWRAOEXAMPLE',
      issuer: 'sts.amazonaws.com/444455556666',
      scopes: ['arn:aws:iam::444455556666:role/FederatedWebIdentityRole'],
      audience: ['application-id.apps.googleusercontent.com'],
      expires_at: '2016-03-23T02:39:51.000Z',
      grant_type: 'assume_role_with_web_identity',
      source_ip: '192.0.2.101',
    });
    expect(r.events[0]?.attributes).toMatchObject({
      'aws.issued_session.source_identity': 'Admin',
      'aws.web_identity.provider': 'accounts.google.com',
      'aws.web_identity.subject': 'web-identity-user-id',
    });
    // Default precedence: the source identity names the agent.
    expect(createCloudTrailAdapter().map(record).events[0]).toMatchObject({ agent_id: 'Admin', session_id: 'MyAssignedRoleSessionName' });
  });

  it('AssumeRoleWithSAML: the session name comes from the assumed-role ARN (there is no roleSessionName parameter)', () => {
    const record = assumeRole({
      id: 'saml',
      time: '2024-08-02T08:00:00Z',
      role: 'agent-role',
      session: 'alice@corp.example',
      keyId: 'ASIASAML',
      expiration: 'Aug 2, 2024, 9:00:00 AM',
    });
    record['eventName'] = 'AssumeRoleWithSAML';
    record['requestParameters'] = {
      roleArn: 'arn:aws:iam::111122223333:role/agent-role',
      principalArn: 'arn:aws:iam::111122223333:saml-provider/idp',
      durationSeconds: 3600,
    };
    expect(createCloudTrailAdapter().map(record).events[0]).toMatchObject({
      agent_id: 'alice@corp.example',
      grant_type: 'assume_role_with_saml',
      token_id: 'ASIASAML',
    });
  });

  it('GetSessionToken: the session is the IAM user itself, and its calls (IAMUser with an ASIA key) join on the user name', () => {
    const caller = {
      type: 'IAMUser',
      principalId: 'AIDAEXAMPLE',
      arn: 'arn:aws:iam::111122223333:user/report-bot',
      accountId: '111122223333',
      accessKeyId: 'AKIAREPORTBOT0000001',
      userName: 'report-bot',
    };
    const issue = assumeRole({
      id: 'gst',
      time: '2024-08-02T08:00:00Z',
      role: 'x',
      session: 'x',
      keyId: 'ASIAGST',
      expiration: 'Aug 2, 2024, 8:00:00 PM',
      caller,
    });
    issue['eventName'] = 'GetSessionToken';
    issue['requestParameters'] = { durationSeconds: 43200 };
    issue['responseElements'] = { credentials: { accessKeyId: 'ASIAGST', sessionToken: 's', expiration: 'Aug 2, 2024, 8:00:00 PM' } };
    const use = sessionCall({ id: 'use', time: '2024-08-02T09:00:00Z', role: 'x', session: 'x', keyId: 'ASIAGST' });
    use['userIdentity'] = { ...caller, accessKeyId: 'ASIAGST' };
    const a = createCloudTrailAdapter();
    expect(a.map(issue).events[0]).toMatchObject({
      agent_id: 'report-bot',
      grant_type: 'session_token',
      scopes: ['arn:aws:iam::111122223333:user/report-bot'],
      expires_at: '2024-08-02T20:00:00.000Z',
    });
    expect(a.map(use).events[0]).toMatchObject({ kind: 'tool_call', agent_id: 'report-bot', token_id: 'ASIAGST', tool: 's3:GetObject' });
  });

  it('role chaining: the caller session gets a tool_call (sts:AssumeRole) and the new session the token, with parent and delegation chain', () => {
    const caller = sessionCall({
      id: 'c',
      time: '2024-08-02T08:00:00Z',
      role: 'planner-role',
      session: 'planner',
      keyId: 'ASIAPLANNER',
      sourceIdentity: undefined,
    })['userIdentity'] as Record<string, unknown>;
    const record = assumeRole({
      id: 'chain',
      time: '2024-08-02T08:05:00Z',
      role: 'research-role',
      session: 'research',
      keyId: 'ASIARESEARCH',
      expiration: 'Aug 2, 2024, 8:20:00 AM',
      caller,
    });
    const r = createCloudTrailAdapter().map(record);
    expect(r.rejects).toEqual([]);
    expect(r.skipped).toBe(0);
    expect(r.events.map((e) => [e.kind, e.event_id, e.agent_id])).toEqual([
      ['tool_call', 'cloudtrail:chain:call', 'planner'],
      ['token_issued', 'cloudtrail:chain', 'research'],
    ]);
    expect(r.events[0]).toMatchObject({
      tool: 'sts:AssumeRole',
      action: 'execute',
      outcome: 'success',
      token_id: 'ASIAPLANNER',
      resource: 'arn:aws:iam::111122223333:role/research-role',
    });
    expect(r.events[1]).toMatchObject({ parent_token_id: 'ASIAPLANNER', delegation_chain: ['planner', 'research'], token_id: 'ASIARESEARCH' });
    expect(createCloudTrailAdapter({ roleChainingAsDelegation: false }).map(record).events[1]?.delegation_chain).toBeUndefined();
  });

  it('role chaining keeps the caller source identity (AWS makes it sticky)', () => {
    const caller = sessionCall({ id: 'c', time: '2024-08-02T08:00:00Z', role: 'a', session: 'a', keyId: 'ASIAA', sourceIdentity: 'invoice-bot' })[
      'userIdentity'
    ] as Record<string, unknown>;
    const record = assumeRole({
      id: 'chain2',
      time: '2024-08-02T08:05:00Z',
      role: 'b',
      session: 'b',
      keyId: 'ASIAB',
      expiration: 'Aug 2, 2024, 8:20:00 AM',
      caller,
    });
    const r = createCloudTrailAdapter().map(record);
    expect(r.events.map((e) => e.agent_id)).toEqual(['invoice-bot', 'invoice-bot']);
    expect(r.events[1]?.delegation_chain).toBeUndefined();
  });

  it('scopes: role ARN, managed session policies, inline policy actions; configurable', () => {
    const record = assumeRole({
      id: 'sc',
      time: '2024-08-02T08:00:00Z',
      role: 'invoice-bot',
      session: 'invoice-bot',
      keyId: 'ASIASC',
      expiration: 'Aug 2, 2024, 8:15:00 AM',
      extraRequest: {
        policyArns: [{ arn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }, { nope: 1 }],
        policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Action: ['s3:GetObject', 's3:ListBucket'], Resource: '*' },
            { Effect: 'Deny', Action: 's3:DeleteObject', Resource: '*' },
            { Effect: 'Allow', NotAction: 'iam:*', Resource: '*' },
          ],
        }),
      },
    });
    const scopes = (opts: Parameters<typeof createCloudTrailAdapter>[0], r = record) => {
      const e = createCloudTrailAdapter(opts).map(r).events[0];
      return e?.kind === 'token_issued' ? e.scopes : undefined;
    };
    expect(scopes({})).toEqual([
      'arn:aws:iam::111122223333:role/invoice-bot',
      'arn:aws:iam::aws:policy/ReadOnlyAccess',
      's3:GetObject',
      's3:ListBucket',
      'inline-session-policy',
    ]);
    expect(scopes({ scopesFrom: ['principalArn'] })).toEqual(['arn:aws:iam::111122223333:role/invoice-bot']);
    expect(scopes({ scopesFrom: [] })).toEqual([]);
    const unreadable = clone(record);
    (unreadable['requestParameters'] as Record<string, unknown>)['policy'] = '{not json';
    expect(scopes({ scopesFrom: ['inlinePolicyActions'] }, unreadable)).toEqual(['inline-session-policy']);
  });

  it('expiry falls back to durationSeconds, then rejects naming the field', () => {
    const record = assumeRole({ id: 'e', time: '2024-08-02T08:00:00Z', role: 'r', session: 's', keyId: 'ASIAE', expiration: 'soon', duration: 1800 });
    const r = createCloudTrailAdapter().map(record);
    expect(r.events[0]).toMatchObject({ expires_at: '2024-08-02T08:30:00.000Z' });
    expect(r.events[0]?.attributes?.['agentwatch.expires_at_from']).toBe('durationSeconds');
    delete (record['requestParameters'] as Record<string, unknown>)['durationSeconds'];
    expect(createCloudTrailAdapter().map(record).rejects).toEqual([
      { reason: 'responseElements.credentials.expiration: expected a time such as "Nov 30, 2024, 8:43:17 PM" or ISO-8601, got "soon"' },
    ]);
  });

  it('a failed issuance issued nothing: skipped for a long-term caller; only the caller tool_call (denied) for a session caller', () => {
    const failed = assumeRole({ id: 'f', time: '2024-08-02T08:00:00Z', role: 'r', session: 's', keyId: 'ASIAF', expiration: 'Aug 2, 2024, 9:00:00 AM' });
    failed['errorCode'] = 'AccessDenied';
    failed['responseElements'] = null;
    expect(createCloudTrailAdapter().map(failed)).toEqual({
      events: [],
      rejects: [],
      skipped: 1,
      skipReason: 'AssumeRole failed (AccessDenied): no credentials were issued',
    });
    failed['userIdentity'] = sessionCall({ id: 'c', time: '2024-08-02T08:00:00Z', role: 'planner-role', session: 'planner', keyId: 'ASIAPLANNER' })[
      'userIdentity'
    ];
    const r = createCloudTrailAdapter().map(failed);
    expect(r.skipped).toBe(0);
    expect(r.events.map((e) => [e.kind, e.agent_id, e.kind === 'tool_call' ? e.outcome : ''])).toEqual([['tool_call', 'planner', 'denied']]);
  });

  it('a success without responseElements (AWS omits them for some service-invoked calls) is skipped with the reason', () => {
    const record = assumeRole({ id: 'n', time: '2024-08-02T08:00:00Z', role: 'r', session: 's', keyId: 'ASIAN', expiration: 'x' });
    record['userIdentity'] = { type: 'AWSService', invokedBy: 'lambda.amazonaws.com' };
    record['responseElements'] = null;
    expect(createCloudTrailAdapter().map(record)).toEqual({
      events: [],
      rejects: [],
      skipped: 1,
      skipReason: 'AssumeRole without responseElements (AWS omits them for some service-invoked calls): no issued key to follow',
    });
  });

  it('an AWS service assuming a role with credentials logged still issues to the session', () => {
    const record = assumeRole({
      id: 'svc',
      time: '2024-08-02T08:00:00Z',
      role: 'lambda-exec',
      session: 'invoice-fn',
      keyId: 'ASIASVC',
      expiration: 'Aug 2, 2024, 8:15:00 PM',
    });
    record['userIdentity'] = { type: 'AWSService', invokedBy: 'lambda.amazonaws.com' };
    record['sourceIPAddress'] = 'lambda.amazonaws.com';
    const e = createCloudTrailAdapter().map(record).events[0];
    expect(e).toMatchObject({ kind: 'token_issued', agent_id: 'invoice-fn', token_id: 'ASIASVC' });
    expect(e?.source_ip).toBeUndefined();
    expect(e?.attributes?.['aws.source_ip_address']).toBe('lambda.amazonaws.com');
  });

  it('environment by account', () => {
    const a = createCloudTrailAdapter({ accountEnvironments: { '307578594326': 'prod' } });
    expect(runAll(a, sampleRecords(LEAVE_ORG_FILE)).map((r) => r.events[0]?.environment)).toEqual(['prod', 'prod', 'prod']);
    expect(runAll(a, sampleRecords(FEDERATION_FILE)).map((r) => r.events[0]?.environment)).toEqual([undefined, undefined]);
  });
});

describe('cloudtrail adapter: what is skipped, and why', () => {
  const base = sampleRecords(LEAVE_ORG_FILE)[1] as Record<string, unknown>;
  const map = (patch: Record<string, unknown>, opts = {}) => createCloudTrailAdapter(opts).map({ ...clone(base), ...patch });

  it('service events, console sign-ins and Insights are not API calls made with agent credentials', () => {
    for (const eventType of ['AwsServiceEvent', 'AwsConsoleSignIn', 'AwsCloudTrailInsight']) {
      expect(map({ eventType })).toEqual({
        events: [],
        rejects: [],
        skipped: 1,
        skipReason: `eventType ${eventType}: not an API call made with agent credentials`,
      });
    }
  });

  it('long-term IAM user keys: skipped by default, mapped to the IAM user on request', () => {
    const userIdentity = {
      type: 'IAMUser',
      principalId: 'AIDA7YYMW5FLWE3HGTNZ',
      arn: 'arn:aws:iam::307578594326:user/christophe',
      accountId: '307578594326',
      accessKeyId: 'AKIADVISM0T50G52IF0D',
      userName: 'christophe',
    };
    expect(map({ userIdentity })).toEqual({
      events: [],
      rejects: [],
      skipped: 1,
      skipReason: 'call by userIdentity.type IAMUser with long-term credentials: not agent-token activity (longTermKeys: skip)',
    });
    expect(map({ userIdentity }, { longTermKeys: 'map' }).events[0]).toMatchObject({
      agent_id: 'christophe',
      token_id: 'AKIADVISM0T50G52IF0D',
      outcome: 'denied',
    });
  });

  it('AWS services and accounts acting on their own', () => {
    expect(map({ userIdentity: { type: 'AWSService', invokedBy: 'cloudtrail.amazonaws.com' } }).skipReason).toBe(
      "call by userIdentity.type AWSService: not made with an agent's temporary credentials",
    );
    expect(map({ userIdentity: { type: 'AWSAccount', accountId: '1' } }).skipped).toBe(1);
  });

  it('console sessions: people, skipped by default', () => {
    expect(map({ sessionCredentialFromConsole: 'true' }).skipReason).toBe(
      'call from an AWS console session (sessionCredentialFromConsole): a person, not an agent (consoleSessions: skip)',
    );
    expect(map({ sessionCredentialFromConsole: 'true' }, { consoleSessions: 'map' }).events).toHaveLength(1);
  });
});

describe('cloudtrail adapter: tool, action, outcome, resource', () => {
  const call = (eventSource: string, eventName: string, extra: Partial<Parameters<typeof sessionCall>[0]> = {}, opts = {}) =>
    createCloudTrailAdapter(opts).map(
      sessionCall({ id: 'x', time: '2024-08-02T08:00:00Z', role: 'r', session: 's', keyId: 'ASIAX', eventSource, eventName, ...extra }),
    ).events[0] as Record<string, unknown>;

  it('tool is <eventSource without .amazonaws.com>:<eventName>, matching IAM action names', () => {
    expect(call('s3.amazonaws.com', 'GetObject')['tool']).toBe('s3:GetObject');
    expect(call('ec2.amazonaws.com.cn', 'RunInstances')['tool']).toBe('ec2:RunInstances');
    expect(call('bedrock.amazonaws.com', 'InvokeModel')['tool']).toBe('bedrock:InvokeModel');
  });

  it('action from the verb, readOnly as fallback, admin for IAM/Organizations/SSO writes, overrides by tool', () => {
    const cases: [string, string, boolean, string][] = [
      ['s3.amazonaws.com', 'GetObject', true, 'read'],
      ['dynamodb.amazonaws.com', 'BatchGetItem', true, 'read'],
      ['ec2.amazonaws.com', 'DescribeInstances', true, 'read'],
      ['s3.amazonaws.com', 'PutObject', false, 'write'],
      ['ec2.amazonaws.com', 'CreateSnapshot', false, 'write'],
      ['s3.amazonaws.com', 'DeleteObject', false, 'delete'],
      ['ec2.amazonaws.com', 'TerminateInstances', false, 'delete'],
      ['lambda.amazonaws.com', 'Invoke', false, 'execute'],
      ['ssm.amazonaws.com', 'StartSession', false, 'execute'],
      ['sns.amazonaws.com', 'Publish', false, 'send'],
      ['sqs.amazonaws.com', 'SendMessage', false, 'send'],
      ['route53domains.amazonaws.com', 'TransferDomain', false, 'transfer'],
      ['iam.amazonaws.com', 'CreateAccessKey', false, 'admin'],
      ['iam.amazonaws.com', 'GetRole', true, 'read'],
      ['kms.amazonaws.com', 'GenerateDataKey', true, 'read'],
      ['kms.amazonaws.com', 'GenerateDataKey', false, 'other'],
    ];
    for (const [source, name, readOnly, action] of cases) expect([name, call(source, name, { readOnly })['action']]).toEqual([name, action]);
    expect(call('s3.amazonaws.com', 'PutObjectAcl', { readOnly: false }, { actionOverrides: { 's3:PutObjectAcl': 'admin' } })['action']).toBe('admin');
    expect(call('iam.amazonaws.com', 'CreateAccessKey', { readOnly: false }, { adminServices: [] })['action']).toBe('write');
  });

  it('outcome: authorization errors are denied, other errors failure, none success', () => {
    expect(call('s3.amazonaws.com', 'GetObject')['outcome']).toBe('success');
    for (const code of [
      'AccessDenied',
      'AccessDeniedException',
      'Client.UnauthorizedOperation',
      'UnauthorizedException',
      'NotAuthorizedException',
      'Forbidden',
    ]) {
      expect([code, call('s3.amazonaws.com', 'GetObject', { errorCode: code })['outcome']]).toEqual([code, 'denied']);
    }
    for (const code of ['NoSuchKey', 'ThrottlingException', 'Client.InvalidParameterValue']) {
      expect([code, call('s3.amazonaws.com', 'GetObject', { errorCode: code })['outcome']]).toEqual([code, 'failure']);
    }
  });

  it('resource: resources[].ARN first, then an ARN request parameter, then an S3 bucket/key, else none', () => {
    const resources = [
      { type: 'AWS::S3::Object', ARN: 'arn:aws:s3:::invoices/2024/118.pdf' },
      { accountId: '111122223333', type: 'AWS::S3::Bucket', ARN: 'arn:aws:s3:::invoices' },
    ];
    const withResources = call('s3.amazonaws.com', 'GetObject', { resources });
    expect(withResources['resource']).toBe('arn:aws:s3:::invoices/2024/118.pdf');
    expect((withResources['attributes'] as Record<string, string>)['aws.resource_count']).toBe('2');
    expect(call('sns.amazonaws.com', 'Publish', { requestParameters: { message: 'hi', topicArn: 'arn:aws:sns:eu-west-1:1:alerts' } })['resource']).toBe(
      'arn:aws:sns:eu-west-1:1:alerts',
    );
    expect(call('s3.amazonaws.com', 'GetObject')['resource']).toBe('arn:aws:s3:::invoices/2024/118.pdf');
    expect(call('s3.amazonaws.com', 'ListObjects', { requestParameters: { bucketName: 'invoices' } })['resource']).toBe('arn:aws:s3:::invoices');
    expect(call('sts.amazonaws.com', 'GetCallerIdentity', { requestParameters: null })['resource']).toBeUndefined();
    expect(call('s3.amazonaws.com', 'GetObject', { requestParameters: { bucketName: 'b', key: 'k'.repeat(5000) } })['resource']).toBeUndefined();
  });
});

describe('cloudtrail adapter: framing and detection', () => {
  const [issue, call] = sampleRecords(FEDERATION_FILE);

  it('unwraps an EventBridge "AWS API Call via CloudTrail" delivery', () => {
    const envelope = { version: '0', id: 'eb-1', 'detail-type': 'AWS API Call via CloudTrail', source: 'aws.sts', account: '742491224508', detail: call };
    expect(createCloudTrailAdapter().map(envelope)).toEqual(createCloudTrailAdapter().map(call));
  });

  it('maps a whole {"Records": [...]} object, with the entry path on rejects', () => {
    const r = createCloudTrailAdapter().map({ Records: [issue, { eventID: 42 }, call] });
    expect(r.events.map((e) => e.kind)).toEqual(['token_issued', 'tool_call']);
    expect(r.rejects).toEqual([{ reason: 'eventID: expected a non-empty string, got 42', path: 'Records[1]' }]);
  });

  it('detects CloudTrail records, EventBridge deliveries and Records files, and nothing else', () => {
    expect(detectCloudTrail(issue)).toBe(true);
    expect(detectCloudTrail(call)).toBe(true);
    expect(detectCloudTrail({ 'detail-type': 'AWS API Call via CloudTrail', detail: call })).toBe(true);
    expect(detectCloudTrail({ Records: [call] })).toBe(true);
    for (const other of [
      null,
      42,
      'eventSource',
      [call],
      { Records: [] },
      { kind: 'tool_call', event_id: 'e', time: '2026-01-01T00:00:00Z', agent_id: 'a', tool: 't', outcome: 'success' },
      { uuid: 'u', published: '2020-02-14T22:18:51.843Z', eventType: 'user.session.end', actor: {} },
      { decision_id: 'd', path: 'envoy/authz/allow', result: true, timestamp: '2026-01-01T00:00:00Z' },
      { type: 'response', time: '2020-12-01T20:29:04Z', request: {}, auth: {} },
      { 'detail-type': 'EC2 Instance State-change Notification', detail: {} },
    ]) {
      expect(detectCloudTrail(other)).toBe(false);
    }
  });
});
