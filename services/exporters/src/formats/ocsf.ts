import type { Alert, AlertStatus, CanonicalEvent, Incident, Severity } from '@agentwatch/schemas';
import { type Activity, checkDelivery, type Delivery, deliveryId, epochMs, type Origin } from './delivery.ts';
import { agentName, evidenceFields } from './evidence-fields.ts';

/**
 * OCSF Detection Finding (class_uid 2004) for alerts and incidents. The version is the newest whose official schema
 * this machine can get (the `ocsf-json-schema` PyPI package ships OCSF's export of 1.8.0); the OCSF test validates
 * every output against that schema. 1.8.0 has no `ai_agent` object, so the agent is an OCSF `user` whose type says
 * "AI Agent" (type_id 99 Other), the way OCSF asks for types it does not list.
 */
export const OCSF_VERSION = '1.8.0';
/**
 * Profiles the findings declare (metadata.profiles) and are validated with: `host` brings `actor` (the acting agent),
 * `incident` brings `verdict` (false positives) and `assignee` (triage).
 */
export const OCSF_PROFILES = ['host', 'incident'] as const;
export const DETECTION_FINDING = { class_uid: 2004, class_name: 'Detection Finding', category_uid: 2, category_name: 'Findings' } as const;

const ACTIVITY: Record<Activity, { id: number; name: string }> = {
  created: { id: 1, name: 'Create' },
  updated: { id: 2, name: 'Update' },
  closed: { id: 3, name: 'Close' },
};

/** OCSF severity_id: 1 Informational, 2 Low, 3 Medium, 4 High, 5 Critical. */
const SEVERITY: Record<Severity, { id: number; name: string }> = {
  info: { id: 1, name: 'Informational' },
  low: { id: 2, name: 'Low' },
  medium: { id: 3, name: 'Medium' },
  high: { id: 4, name: 'High' },
  critical: { id: 5, name: 'Critical' },
};

/** OCSF status_id from triage: a false positive is Resolved with verdict_id 1 (False Positive). */
const STATUS: Record<AlertStatus, { id: number; name: string }> = {
  new: { id: 1, name: 'New' },
  acknowledged: { id: 2, name: 'In Progress' },
  suppressed: { id: 3, name: 'Suppressed' },
  resolved: { id: 4, name: 'Resolved' },
  false_positive: { id: 4, name: 'Resolved' },
};

export type OcsfFinding = Record<string, unknown>;

const AI_AGENT = { type_id: 99, type: 'AI Agent' } as const;
const PERSON = { type_id: 1, type: 'User' } as const;

const agentUser = (id: string, tokenIds: readonly string[] = []) => ({
  uid: id,
  name: agentName(id),
  ...AI_AGENT,
  ...(tokenIds.length > 0 ? { programmatic_credentials: tokenIds.map((uid) => ({ uid, type: 'token' })) } : {}),
});
/** A principal of a delegation chain: `user:<id>` names a person (events.md), anything else an agent. */
const principal = (p: string) => (p.startsWith('user:') ? { uid: p.slice(5) || p, name: p.slice(5) || p, ...PERSON } : agentUser(p));

function header(activity: Activity, severity: Severity, status: AlertStatus, delivery: Delivery, origin: Origin, uid: string, assignee?: string | null) {
  checkDelivery(delivery);
  const act = ACTIVITY[activity];
  return {
    ...DETECTION_FINDING,
    activity_id: act.id,
    activity_name: act.name,
    type_uid: DETECTION_FINDING.class_uid * 100 + act.id,
    type_name: `${DETECTION_FINDING.class_name}: ${act.name}`,
    time: epochMs(delivery.time),
    severity_id: SEVERITY[severity].id,
    severity: SEVERITY[severity].name,
    status_id: STATUS[status].id,
    status: STATUS[status].name,
    ...(status === 'false_positive' ? { verdict_id: 1, verdict: 'False Positive' } : {}),
    ...(assignee ? { assignee: { name: assignee, uid: assignee } } : {}),
    is_alert: true,
    metadata: {
      version: OCSF_VERSION,
      profiles: [...OCSF_PROFILES],
      uid: deliveryId(uid, delivery.version),
      product: { name: 'agentwatch', vendor_name: 'agentwatch', version: origin.productVersion },
    },
  };
}

/** `owasp-nhi:NHI5` -> {name: owasp-nhi, value: NHI5}: framework mappings as OCSF key/value tags. */
const tagObjects = (tags: readonly string[]) =>
  tags.map((t) => {
    const i = t.indexOf(':');
    return i > 0 && i < t.length - 1 ? { name: t.slice(0, i), value: t.slice(i + 1) } : { name: 'tag', value: t };
  });

/**
 * One stored event as an OCSF evidence: its agent as actor (with session and the principal it acts for), the tool as
 * api.operation, the resource, the source address, and the whole canonical event under `data`.
 */
function eventToEvidence(event: CanonicalEvent) {
  const tool = 'tool' in event ? event.tool : undefined;
  const resource = 'resource' in event ? event.resource : undefined;
  return {
    name: 'event',
    uid: event.event_id,
    actor: {
      user: { uid: event.agent_id, name: agentName(event.agent_id), ...AI_AGENT },
      ...(event.session_id ? { session: { uid: event.session_id } } : {}),
      ...(event.on_behalf_of ? { invoked_by: event.on_behalf_of } : {}),
    },
    api: { operation: tool ?? event.kind },
    ...(resource ? { resources: [{ uid: resource, name: resource }] } : {}),
    ...(event.source_ip ? { src_endpoint: { ip: event.source_ip } } : {}),
    data: event,
  };
}

/**
 * One alert version as an OCSF Detection Finding. finding_info.uid is the alert id and metadata.uid
 * `<alert_id>:<version>`, the receiver's key for dropping repeats. `events` are the stored events the alert cites
 * (the outbox reads them from the store); each cited event found there becomes a full evidence, the others an
 * evidence built from the alert's own context.
 */
export function alertToOcsf(alert: Alert, delivery: Delivery, origin: Origin, events?: readonly CanonicalEvent[]): OcsfFinding {
  const ev = evidenceFields(alert);
  const { event_ids: eventIds, ...context } = alert.evidence;
  const chain = ev.delegationChain;
  const hop = chain.indexOf(alert.agent_id);
  const invokedBy = hop > 0 ? chain[hop - 1] : undefined;
  const agent = agentUser(alert.agent_id, ev.tokenIds);
  const byId = new Map((events ?? []).map((e) => [e.event_id, e]));
  const eventEvidence = eventIds.map((uid) => {
    const event = byId.get(uid);
    if (event) return eventToEvidence(event);
    return {
      name: 'event',
      uid,
      actor: { user: { uid: alert.agent_id, name: agent.name, ...AI_AGENT } },
      ...(ev.tool ? { api: { operation: ev.tool } } : {}),
      ...(ev.resource ? { resources: [{ uid: ev.resource, name: ev.resource }] } : {}),
    };
  });
  const chainEvidence = chain.map((p, i) => ({ name: 'delegation_chain', uid: String(i), actor: { user: principal(p) } }));
  const ownerEvidence = alert.owner ? [{ name: 'owner', user: { uid: alert.owner, name: alert.owner, ...PERSON } }] : [];
  const otherEvidence = ev.otherAgent ? [{ name: 'related_agent', actor: { user: agentUser(ev.otherAgent) } }] : [];
  return {
    ...header(delivery.activity, alert.severity, alert.status, delivery, origin, alert.alert_id, alert.assignee),
    message: alert.title,
    count: alert.count,
    risk_score: alert.risk_score,
    start_time: epochMs(alert.first_seen),
    end_time: epochMs(alert.last_seen),
    finding_info: {
      uid: alert.alert_id,
      title: alert.title,
      desc: alert.summary,
      types: [alert.category],
      first_seen_time: epochMs(alert.first_seen),
      last_seen_time: epochMs(alert.last_seen),
      modified_time: epochMs(delivery.time),
      analytic: { uid: alert.rule_id, name: alert.rule_id, version: alert.rule_version, type_id: 1, type: 'Rule', category: alert.category },
      related_events: eventIds.map((uid) => ({ uid, type: 'agentwatch event' })),
      related_events_count: eventIds.length + omitted(alert),
      ...(alert.tags.length > 0 ? { tags: tagObjects(alert.tags) } : {}),
    },
    actor: {
      user: agent,
      ...(invokedBy ? { invoked_by: invokedBy } : {}),
      ...(ev.sessionId ? { session: { uid: ev.sessionId } } : {}),
    },
    evidences: [...eventEvidence, ...chainEvidence, ...ownerEvidence, ...otherEvidence],
    unmapped: {
      agentwatch: {
        kind: 'alert',
        alert_id: alert.alert_id,
        version: delivery.version,
        exporter: delivery.exporter,
        rule_id: alert.rule_id,
        rule_version: alert.rule_version,
        category: alert.category,
        status: alert.status,
        agent_id: alert.agent_id,
        owner: alert.owner,
        ...(alert.suppression_id ? { suppression_id: alert.suppression_id } : {}),
        ...(alert.assignee ? { assignee: alert.assignee } : {}),
        evidence: context,
      },
    },
  };
}

/** Events the rule counted but did not list (alerts cap their event_ids). */
const omitted = (alert: Alert): number => {
  const n = (alert.evidence as Record<string, unknown>)['event_ids_omitted'];
  return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : 0;
};

/**
 * One incident version as a Detection Finding that references its alerts: finding_info.uid is the incident id,
 * related_events are its alerts (uid = alert_id, type "agentwatch alert"), evidences name its agents and owners.
 */
export function incidentToOcsf(incident: Incident, delivery: Delivery, origin: Origin): OcsfFinding {
  return {
    ...header(delivery.activity, incident.severity, incident.status, delivery, origin, incident.incident_id, incident.assignee),
    message: incident.title,
    count: incident.alert_count,
    risk_score: incident.risk_score,
    risk_details: incident.risk_explanation,
    start_time: epochMs(incident.first_seen),
    end_time: epochMs(incident.last_seen),
    finding_info: {
      uid: incident.incident_id,
      title: incident.title,
      desc: incident.risk_explanation,
      types: ['incident', ...incident.categories],
      first_seen_time: epochMs(incident.first_seen),
      last_seen_time: epochMs(incident.last_seen),
      modified_time: epochMs(delivery.time),
      related_events: incident.alert_ids.map((uid) => ({ uid, type: 'agentwatch alert' })),
      related_events_count: incident.alert_count,
    },
    ...(incident.agent_ids[0] ? { actor: { user: agentUser(incident.agent_ids[0]) } } : {}),
    evidences: [
      ...incident.agent_ids.map((id) => ({ name: 'agent', actor: { user: agentUser(id) } })),
      ...incident.owners.map((o) => ({ name: 'owner', user: { uid: o, name: o, ...PERSON } })),
    ],
    unmapped: {
      agentwatch: {
        kind: 'incident',
        incident_id: incident.incident_id,
        version: delivery.version,
        exporter: delivery.exporter,
        status: incident.status,
        categories: incident.categories,
        agent_ids: incident.agent_ids,
        owners: incident.owners,
        alert_ids: incident.alert_ids,
        ...(incident.assignee ? { assignee: incident.assignee } : {}),
      },
    },
  };
}
