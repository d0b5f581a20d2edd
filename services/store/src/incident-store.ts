import { createHash } from 'node:crypto';
import { type Category, type Incident, type IncidentStatus, SEVERITIES, type Severity, severityRank } from '@agentwatch/schemas';
import { chTime, toMs } from './rows.ts';
import { type StoreContext, serialQueue, versionClock } from './store-context.ts';

/** Orders of an incident list (api.md 1.1): newest activity first (default) or highest risk first. */
export const INCIDENT_SORTS = ['-last_seen', '-risk_score'] as const;
export type IncidentSort = (typeof INCIDENT_SORTS)[number];

/** Incident list filters; every one optional. */
export interface IncidentFilters {
  status?: IncidentStatus[];
  /** Incidents that involve this agent. */
  agent_id?: string;
  /** Active at or after (last_seen >= since). */
  since?: string | number | Date;
  /** Started before (first_seen < until). */
  until?: string | number | Date;
  /** Minimum severity. */
  severity?: Severity;
  /** 1..1000, default 100. */
  limit?: number;
  cursor?: string | null;
  sort?: IncidentSort;
}

export interface IncidentPage {
  incidents: Incident[];
  next_cursor: string | null;
}

/** One triage change of an incident. */
export interface IncidentStatusChange {
  incident_id: string;
  at: string;
  from_status: IncidentStatus;
  status: IncidentStatus;
  comment: string;
  actor: string;
  assignee?: string | null;
}

/** What the grouper changed (detections IncidentChanges), as the store takes it. */
export interface IncidentUpserts {
  upserts: Incident[];
  merged: Array<{ incident_id: string; merged_into: string }>;
}

/** Incidents in the store (migration 013); `store.incidents`. */
export interface IncidentStore {
  /** Stores what the grouper changed: incidents by id (triage status and assignee kept), absorbed ones marked merged. */
  upsert(changes: IncidentUpserts): Promise<void>;
  query(filters?: IncidentFilters): Promise<IncidentPage>;
  /** The incident; for an id absorbed into another, the incident it was merged into. Null when unknown. */
  get(incidentId: string): Promise<Incident | null>;
  history(incidentId: string): Promise<IncidentStatusChange[]>;
  /** Records a triage change of the incident (not its alerts); null when no such incident. */
  updateStatus(
    incidentId: string,
    change: { status: IncidentStatus; comment: string; actor: string; atMs: number; assignee?: string | null },
  ): Promise<Incident | null>;
  /** The alert ids of an incident (following a merge), empty when unknown: the `incident_id` filter of alert lists. */
  alertIds(incidentId: string): Promise<string[]>;
}

/** A `cursor` the incident list did not produce. */
export class InvalidIncidentCursorError extends Error {
  override name = 'InvalidIncidentCursorError';
  constructor(readonly cursor: string) {
    super(`invalid cursor: ${JSON.stringify(cursor.length > 64 ? `${cursor.slice(0, 64)}...` : cursor)}`);
  }
}

interface Row {
  incident_id: string;
  agent_ids: string[];
  owners: string[];
  alert_ids: string[];
  alert_count: number;
  first_ms: string;
  last_ms: string;
  risk_score: number;
  risk_explanation: string;
  severity: string;
  categories: string[];
  title: string;
  merged_into: string;
  status: string;
  assignee: string | null;
  status_ms: string;
  version: string;
  export_version: string | number;
}

const SELECT = `incident_id, agent_ids, owners, alert_ids, alert_count, toUnixTimestamp64Milli(first_seen) AS first_ms,
  toUnixTimestamp64Milli(last_seen) AS last_ms, risk_score, risk_explanation, severity, categories, title, merged_into, status,
  assignee, toUnixTimestamp64Milli(status_changed_at) AS status_ms, version, export_version`;

const iso = (ms: string | number): string => new Date(Number(ms)).toISOString();
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

function toIncident(r: Row): Incident {
  return {
    incident_id: r.incident_id,
    agent_ids: r.agent_ids,
    owners: r.owners,
    alert_ids: r.alert_ids,
    alert_count: Number(r.alert_count),
    first_seen: iso(r.first_ms),
    last_seen: iso(r.last_ms),
    risk_score: Number(r.risk_score),
    risk_explanation: r.risk_explanation,
    severity: r.severity as Severity,
    categories: r.categories as Category[],
    title: r.title,
    status: r.status as IncidentStatus,
    ...(r.assignee !== null ? { assignee: r.assignee } : {}),
  } as Incident;
}

interface Stored {
  incident: Incident;
  mergedInto: string;
  status: IncidentStatus;
  assignee: string | null;
  statusMs: number;
  version: number;
  /** 1 when grouped, +1 per change of alert count, severity or status (the version the exporters deliver). */
  exportVersion: number;
}

/** The export version of `next` replacing `prev` (none: a new incident), and whether a delivery is due. */
function nextIncidentExport(prev: Stored | undefined, next: Incident): { version: number; due: boolean } {
  if (!prev) return { version: 1, due: true };
  const p = prev.incident;
  const changed = p.alert_count !== next.alert_count || p.severity !== next.severity || prev.status !== next.status;
  return prev.exportVersion === 0 || changed ? { version: prev.exportVersion + 1, due: true } : { version: prev.exportVersion, due: false };
}

/** Builds the incident store on the store's one client (see StoreContext). */
export function createIncidentStore(ctx: StoreContext): IncidentStore {
  const { db, q, insert } = ctx;
  const serial = serialQueue();
  const nextVersion = versionClock();

  const fetch = async (ids: string[]): Promise<Map<string, Stored>> => {
    const out = new Map<string, Stored>();
    if (ids.length === 0) return out;
    const rows = await q<Row>(`SELECT ${SELECT} FROM ${db}.incidents FINAL WHERE incident_id IN {ids:Array(String)}`, { ids });
    for (const r of rows)
      out.set(r.incident_id, {
        incident: toIncident(r),
        mergedInto: r.merged_into,
        status: r.status as IncidentStatus,
        assignee: r.assignee,
        statusMs: Number(r.status_ms),
        version: Number(r.version),
        exportVersion: Number(r.export_version),
      });
    return out;
  };

  const toRow = (
    i: Incident,
    s: { mergedInto: string; status: IncidentStatus; assignee: string | null; statusMs: number; version: number; exportVersion: number },
  ) => ({
    incident_id: i.incident_id,
    agent_ids: i.agent_ids,
    owners: i.owners,
    alert_ids: i.alert_ids,
    alert_count: i.alert_count,
    first_seen: chTime(Date.parse(i.first_seen)),
    last_seen: chTime(Date.parse(i.last_seen)),
    risk_score: i.risk_score,
    risk_explanation: i.risk_explanation,
    severity: i.severity,
    severity_rank: severityRank(i.severity),
    categories: i.categories,
    title: i.title,
    merged_into: s.mergedInto,
    status: s.status,
    assignee: s.assignee,
    status_changed_at: chTime(s.statusMs),
    updated_at: chTime(Date.now()),
    version: s.version,
    export_version: s.exportVersion,
  });

  /** Follows merged_into (absorbed incidents) to the incident that holds the alerts now; bounded hops. */
  const resolve = async (incidentId: string): Promise<Stored | null> => {
    let id = incidentId;
    for (let hop = 0; hop < 16; hop++) {
      const s = (await fetch([id])).get(id);
      if (!s) return null;
      if (s.mergedInto === '') return s;
      id = s.mergedInto;
    }
    return null;
  };

  return {
    upsert(changes) {
      return serial(async () => {
        const latest = new Map<string, Incident>();
        for (const i of changes.upserts) latest.set(i.incident_id, i);
        const mergedInto = new Map(changes.merged.map((m) => [m.incident_id, m.merged_into]));
        for (const id of mergedInto.keys()) latest.delete(id);
        const ids = [...new Set([...latest.keys(), ...mergedInto.keys()])];
        const stored = await fetch(ids);
        const rows: object[] = [];
        const exports: Array<{ incident: Incident; version: number }> = [];
        for (const [id, inc] of latest) {
          const ex = stored.get(id);
          const keep = ex ?? { status: 'new' as IncidentStatus, assignee: null, statusMs: 0, version: 0, mergedInto: '' };
          if (ex && ex.mergedInto === '' && groupingFingerprint(ex.incident) === groupingFingerprint(inc)) continue;
          const shown: Incident = { ...inc, status: keep.status, ...(keep.assignee !== null ? { assignee: keep.assignee } : {}) };
          const xv = nextIncidentExport(ex, shown);
          if (xv.due) exports.push({ incident: shown, version: xv.version });
          rows.push(
            toRow(inc, {
              mergedInto: '',
              status: keep.status,
              assignee: keep.assignee,
              statusMs: keep.statusMs,
              version: nextVersion(keep.version),
              exportVersion: xv.version,
            }),
          );
        }
        for (const [id, into] of mergedInto) {
          const ex = stored.get(id);
          if (!ex || ex.mergedInto === into) continue;
          rows.push(
            toRow(ex.incident, {
              mergedInto: into,
              status: ex.status,
              assignee: ex.assignee,
              statusMs: ex.statusMs,
              version: nextVersion(ex.version),
              exportVersion: ex.exportVersion,
            }),
          );
        }
        // The outbox first, as for alerts (store.ts insertAlerts).
        await ctx.queueExports(exports);
        if (rows.length > 0) await insert('incidents', rows, `incidents:${sha256(JSON.stringify(rows))}`);
      });
    },

    async query(filters = {}) {
      const where = [`merged_into = ''`];
      const params: Record<string, unknown> = {};
      if (filters.status && filters.status.length > 0) {
        where.push('status IN {status:Array(String)}');
        params['status'] = filters.status;
      }
      if (filters.agent_id !== undefined) {
        where.push('has(agent_ids, {agent:String})');
        params['agent'] = filters.agent_id;
      }
      if (filters.since !== undefined) {
        where.push(`last_seen >= fromUnixTimestamp64Milli({since:Int64}, 'UTC')`);
        params['since'] = toMs(filters.since);
      }
      if (filters.until !== undefined) {
        where.push(`first_seen < fromUnixTimestamp64Milli({until:Int64}, 'UTC')`);
        params['until'] = toMs(filters.until);
      }
      if (filters.severity !== undefined) {
        if (!(SEVERITIES as readonly string[]).includes(filters.severity)) throw new Error(`severity: expected one of ${SEVERITIES.join(', ')}`);
        where.push('severity_rank >= {sev:UInt8}');
        params['sev'] = severityRank(filters.severity);
      }
      const sort = filters.sort ?? '-last_seen';
      if (filters.cursor) {
        const c = decodeCursor(filters.cursor, sort);
        if (sort === '-risk_score') {
          where.push(`(risk_score, last_seen, incident_id) < ({c_risk:UInt8}, fromUnixTimestamp64Milli({c_ms:Int64}, 'UTC'), {c_id:String})`);
          params['c_risk'] = c.risk;
        } else where.push(`(last_seen, incident_id) < (fromUnixTimestamp64Milli({c_ms:Int64}, 'UTC'), {c_id:String})`);
        params['c_ms'] = c.ms;
        params['c_id'] = c.id;
      }
      const limit = Math.min(1000, Math.max(1, Math.floor(filters.limit ?? 100)));
      params['lim'] = limit + 1;
      const order = sort === '-risk_score' ? 'risk_score DESC, last_seen DESC, incident_id DESC' : 'last_seen DESC, incident_id DESC';
      const rows = await q<Row>(`SELECT ${SELECT} FROM ${db}.incidents FINAL WHERE ${where.join(' AND ')} ORDER BY ${order} LIMIT {lim:UInt32}`, params);
      const last = rows.length > limit ? rows[limit - 1] : undefined;
      return {
        incidents: rows.slice(0, limit).map(toIncident),
        next_cursor: last ? encodeCursor(sort, Number(last.risk_score), Number(last.last_ms), last.incident_id) : null,
      };
    },

    async get(incidentId) {
      return (await resolve(incidentId))?.incident ?? null;
    },

    async history(incidentId) {
      const rows = await q<{
        incident_id: string;
        at_ms: string;
        from_status: string;
        status: string;
        comment: string;
        actor: string;
        assignee: string | null;
      }>(
        `SELECT incident_id, toUnixTimestamp64Milli(at) AS at_ms, from_status, status, comment, actor, assignee
         FROM ${db}.incident_status_history FINAL WHERE incident_id = {id:String} ORDER BY at, change_id`,
        { id: incidentId },
      );
      return rows.map((r) => ({
        incident_id: r.incident_id,
        at: iso(r.at_ms),
        from_status: r.from_status as IncidentStatus,
        status: r.status as IncidentStatus,
        comment: r.comment,
        actor: r.actor,
        ...(r.assignee !== null ? { assignee: r.assignee } : {}),
      }));
    },

    updateStatus(incidentId, change) {
      return serial(async () => {
        const cur = await resolve(incidentId);
        if (!cur) return null;
        const id = cur.incident.incident_id;
        const assignee = change.assignee === undefined ? cur.assignee : change.assignee;
        const changeId = sha256(JSON.stringify([id, change.status, change.comment, change.actor, change.atMs, assignee]));
        await insert(
          'incident_status_history',
          [
            {
              incident_id: id,
              at: chTime(change.atMs),
              change_id: changeId,
              from_status: cur.status,
              status: change.status,
              comment: change.comment,
              actor: change.actor,
              assignee: change.assignee === undefined ? null : change.assignee,
            },
          ],
          `incident-history:${changeId}`,
        );
        // The incident shows the latest change by time: an older change arriving late is kept in history only.
        if (change.atMs < cur.statusMs) return cur.incident;
        const shown: Incident = { ...cur.incident, status: change.status, ...(assignee !== null ? { assignee } : {}) };
        const xv = nextIncidentExport(cur, shown);
        if (xv.due) await ctx.queueExports([{ incident: shown, version: xv.version }]);
        const row = toRow(cur.incident, {
          mergedInto: '',
          status: change.status,
          assignee,
          statusMs: change.atMs,
          version: nextVersion(cur.version),
          exportVersion: xv.version,
        });
        await insert('incidents', [row], `incidents:${sha256(JSON.stringify(row))}`);
        return (await fetch([id])).get(id)?.incident ?? null;
      });
    },

    async alertIds(incidentId) {
      return (await resolve(incidentId))?.incident.alert_ids ?? [];
    },
  };
}

/** The fields the grouper owns (not status or assignee): an upsert that changes none of them is not written. */
function groupingFingerprint(i: Incident): string {
  const { status: _status, assignee: _assignee, ...grouping } = i;
  return JSON.stringify(grouping);
}

function encodeCursor(sort: IncidentSort, risk: number, ms: number, id: string): string {
  return Buffer.from(JSON.stringify(sort === '-risk_score' ? [sort, risk, ms, id] : [sort, ms, id]), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string, sort: IncidentSort): { risk: number; ms: number; id: string } {
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v[0] === sort) {
      if (sort === '-risk_score' && v.length === 4 && Number.isSafeInteger(v[1]) && Number.isSafeInteger(v[2]) && typeof v[3] === 'string')
        return { risk: v[1] as number, ms: v[2] as number, id: v[3] };
      if (sort === '-last_seen' && v.length === 3 && Number.isSafeInteger(v[1]) && typeof v[2] === 'string') return { risk: 0, ms: v[1] as number, id: v[2] };
    }
  } catch {
    // fall through
  }
  throw new InvalidIncidentCursorError(cursor);
}
