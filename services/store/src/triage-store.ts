import { createHash } from 'node:crypto';
import { ALERT_STATUSES, type Alert, type AlertStatus, type CanonicalEvent } from '@agentwatch/schemas';
import { nextExportVersion } from './outbox-store.ts';
import { ALERT_SELECT, type AlertReadRow, alertToRow, chTime, readAlertRow, type StoredAlert } from './rows.ts';
import type { StoreContext } from './store-context.ts';

/**
 * Triage (api.md 1.1): assignment and status changes of one alert or many, their history, comments, and the reads the
 * alert detail and agent pages are built from. All of it SQL, so it lives here, not in the API.
 */

/** One change applied to alerts: at least one of the three. `assignee` null unassigns. */
export interface TriageChange {
  status?: AlertStatus;
  assignee?: string | null;
  comment?: string;
}

/** A row of an alert's triage history. `assignee`/`from_assignee` are present only on a change that set the assignee. */
export interface TriageHistoryEntry {
  alert_id: string;
  at: string;
  from_status: AlertStatus;
  status: AlertStatus;
  comment: string;
  actor: string;
  assignee?: string | null;
  from_assignee?: string | null;
}

export interface AlertComment {
  comment_id: string;
  alert_id: string;
  at: string;
  actor: string;
  text: string;
}

/** Per agent: when it was seen acting and how many events (from events). */
export interface AgentActivityRow {
  agent_id: string;
  first_ms: number;
  last_ms: number;
  events: number;
}

/** Per agent: its alerts, how many are open, the highest severity rank. */
export interface AgentAlertCounts {
  agent_id: string;
  total: number;
  open: number;
  max_rank: number;
}

/** A credential an agent used (token_id on its events), with what a token_issued event said of it, if one was seen. */
export interface AgentTokenSeen {
  token_id: string;
  issuer?: string;
  scopes?: string[];
  expires_at?: string;
  first_seen: string;
  last_seen: string;
  events: number;
}

export interface TriageStore {
  /**
   * Applies one change to each alert that exists: one history row per alert (the same change replayed, e.g. a retried
   * request, is recorded once). The alert shows the latest change by time: an older one arriving late goes to history
   * only. Returns the alerts as they now stand and the ids not found (in the order given, each once).
   */
  changeAlerts(alertIds: readonly string[], change: TriageChange, actor: string, atMs: number): Promise<{ updated: Alert[]; not_found: string[] }>;
  /** The alert's triage history, oldest first. */
  history(alertId: string): Promise<TriageHistoryEntry[]>;
  /** The alert's comments, oldest first. */
  comments(alertId: string): Promise<AlertComment[]>;
  /**
   * Adds a comment; null when no such alert. The same text from the same actor on the same alert within
   * {@link COMMENT_RETRY_WINDOW_MS} is taken for a retry of one request: the stored comment is answered, nothing added.
   */
  addComment(alertId: string, text: string, actor: string, atMs: number): Promise<AlertComment | null>;
  /** Stored events by id (evidence), oldest first, at most `max`; `agentId` (the alert's agent) makes the look-up use the sorting key. */
  eventsById(ids: readonly string[], agentId?: string, max?: number): Promise<CanonicalEvent[]>;
  /**
   * Activity per agent seen in events (one agent, or all). Times are judged against arrival: an event that claims a
   * time more than `maxFutureSkewMs` after it was stored counts at its arrival, so a forged date never shows as the
   * agent's last activity.
   */
  agentActivity(agentId?: string, maxFutureSkewMs?: number): Promise<AgentActivityRow[]>;
  /** Alert counts per agent (one agent, or all); `open` counts the given statuses. */
  agentAlertCounts(openStatuses: readonly AlertStatus[], agentId?: string): Promise<AgentAlertCounts[]>;
  /** Credentials seen on the agent's events, most recently used first (at most `max`, default 500); times judged as in {@link agentActivity}. */
  agentTokens(agentId: string, max?: number, maxFutureSkewMs?: number): Promise<AgentTokenSeen[]>;
}

/** An identical comment this soon after the first is a retry of the same request, not a second comment. */
export const COMMENT_RETRY_WINDOW_MS = 10 * 60_000;
const ID_CHUNK = 1_000;
const DEFAULT_MAX_EVENTS = 1_000;
/** events.md 1.1's default `max_future_skew` (schemas/src/config.ts). */
export const DEFAULT_MAX_FUTURE_SKEW_MS = 5 * 60_000;
/**
 * An event's time as the activity views judge it: its claim, or its arrival at the store when the claim is more than
 * the allowed skew after that arrival (a compromised agent's forged future date). Old claims stand: a backfill or a
 * replay of recorded files is legitimately older than its arrival.
 */
const JUDGED_TIME = `if(time > ingested_at + toIntervalMillisecond({skew:Int64}), ingested_at, time)`;

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
const iso = (ms: string | number): string => new Date(Number(ms)).toISOString();

export function createTriageStore(ctx: StoreContext): TriageStore {
  const { db, q, insert } = ctx;

  const fetchAlerts = async (ids: readonly string[]): Promise<Map<string, StoredAlert>> => {
    const out = new Map<string, StoredAlert>();
    for (let i = 0; i < ids.length; i += ID_CHUNK) {
      const rows = await q<AlertReadRow>(`SELECT ${ALERT_SELECT} FROM ${db}.alerts FINAL WHERE alert_id IN {ids:Array(String)}`, {
        ids: ids.slice(i, i + ID_CHUNK),
      });
      for (const r of rows) out.set(r.alert_id, readAlertRow(r));
    }
    return out;
  };

  return {
    changeAlerts(alertIds, change, actor, atMs) {
      if (change.status !== undefined && !(ALERT_STATUSES as readonly string[]).includes(change.status))
        throw new Error(`status: expected one of ${ALERT_STATUSES.join(', ')}, got ${change.status}`);
      if (change.status === undefined && change.assignee === undefined && change.comment === undefined)
        throw new Error('a triage change needs a status, an assignee or a comment');
      const ids = [...new Set(alertIds)];
      return ctx.serial(async () => {
        const stored = await fetchAlerts(ids);
        const comment = change.comment ?? '';
        const setsAssignee = change.assignee !== undefined;
        const planned = ids.flatMap((id) => {
          const cur = stored.get(id);
          if (!cur) return [];
          const status = change.status ?? cur.alert.status;
          const fromAssignee = cur.alert.assignee ?? null;
          const assignee = setsAssignee ? (change.assignee ?? null) : fromAssignee;
          // Status-only changes keep 1.0's change_id, so a change replayed across the upgrade is still recognised.
          const changeId = sha256(JSON.stringify([id, status, comment, actor, atMs, ...(setsAssignee ? [assignee] : [])]));
          return [{ id, cur, status, assignee, fromAssignee, changeId }];
        });
        const seen = new Set<string>();
        for (let i = 0; i < planned.length; i += ID_CHUNK) {
          const part = planned.slice(i, i + ID_CHUNK);
          const rows = await q<{ change_id: string }>(
            `SELECT change_id FROM ${db}.alert_status_history WHERE alert_id IN {ids:Array(String)} AND change_id IN {changes:Array(String)}`,
            { ids: part.map((p) => p.id), changes: part.map((p) => p.changeId) },
          );
          for (const r of rows) seen.add(r.change_id);
        }
        const fresh = planned.filter((p) => !seen.has(p.changeId));
        const history = fresh.map((p) => ({
          alert_id: p.id,
          at: chTime(atMs),
          change_id: p.changeId,
          from_status: p.cur.alert.status,
          status: p.status,
          comment,
          actor,
          from_assignee: p.fromAssignee,
          assignee: p.assignee,
          assignee_changed: setsAssignee ? 1 : 0,
        }));
        await insert('alert_status_history', history, `history:${sha256(fresh.map((p) => p.changeId).join(','))}`);
        const now = Date.now();
        const rows = [];
        const exports: Array<{ alert: Alert; version: number }> = [];
        const out = new Map<string, Alert>();
        for (const p of planned) {
          out.set(p.id, p.cur.alert);
          // Replayed, older than the change the alert shows, or changing nothing on the alert (a comment): history only.
          if (seen.has(p.changeId) || atMs < p.cur.statusChangedAtMs) continue;
          if (p.status === p.cur.alert.status && p.assignee === p.fromAssignee) continue;
          const alert = { ...p.cur.alert, status: p.status, assignee: p.assignee };
          const xv = nextExportVersion(p.cur, alert);
          if (xv.due) exports.push({ alert, version: xv.version });
          const next: StoredAlert = { ...p.cur, alert, statusChangedAtMs: atMs, version: ctx.nextVersion(p.cur.version), exportVersion: xv.version };
          rows.push(alertToRow(next, now));
          out.set(p.id, next.alert);
        }
        await ctx.queueExports(exports);
        await insert('alerts', rows, `alerts:${sha256(JSON.stringify(rows))}`);
        return { updated: planned.map((p) => out.get(p.id) as Alert), not_found: ids.filter((id) => !stored.has(id)) };
      });
    },

    async history(alertId) {
      const rows = await q<{
        alert_id: string;
        at_ms: string;
        from_status: string;
        status: string;
        comment: string;
        actor: string;
        from_assignee: string | null;
        assignee: string | null;
        assignee_changed: number;
      }>(
        `SELECT alert_id, toUnixTimestamp64Milli(at) AS at_ms, from_status, status, comment, actor, from_assignee, assignee, assignee_changed
         FROM ${db}.alert_status_history FINAL WHERE alert_id = {id:String} ORDER BY at, change_id`,
        { id: alertId },
      );
      return rows.map((r) => ({
        alert_id: r.alert_id,
        at: iso(r.at_ms),
        from_status: r.from_status as AlertStatus,
        status: r.status as AlertStatus,
        comment: r.comment,
        actor: r.actor,
        ...(Number(r.assignee_changed) === 1 ? { assignee: r.assignee ?? null, from_assignee: r.from_assignee ?? null } : {}),
      }));
    },

    async comments(alertId) {
      const rows = await q<{ comment_id: string; alert_id: string; at_ms: string; actor: string; text: string }>(
        `SELECT comment_id, alert_id, toUnixTimestamp64Milli(at) AS at_ms, actor, text
         FROM ${db}.alert_comments FINAL WHERE alert_id = {id:String} ORDER BY at, comment_id`,
        { id: alertId },
      );
      return rows.map((r) => ({ comment_id: r.comment_id, alert_id: r.alert_id, at: iso(r.at_ms), actor: r.actor, text: r.text }));
    },

    addComment(alertId, text, actor, atMs) {
      // Serialised with the other alert writes of this process, so two copies of one request cannot both miss each other.
      return ctx.serial(async () => {
        const [exists] = await q<{ n: string }>(`SELECT count() AS n FROM ${db}.alerts WHERE alert_id = {id:String}`, { id: alertId });
        if (Number(exists?.n ?? 0) === 0) return null;
        const [retry] = await q<{ comment_id: string; at_ms: string }>(
          `SELECT comment_id, toUnixTimestamp64Milli(at) AS at_ms FROM ${db}.alert_comments FINAL
           WHERE alert_id = {id:String} AND actor = {actor:String} AND text = {text:String}
             AND at >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND at <= fromUnixTimestamp64Milli({to:Int64}, 'UTC')
           ORDER BY at DESC LIMIT 1`,
          { id: alertId, actor, text, from: atMs - COMMENT_RETRY_WINDOW_MS, to: atMs + COMMENT_RETRY_WINDOW_MS },
        );
        if (retry) return { comment_id: retry.comment_id, alert_id: alertId, at: iso(retry.at_ms), actor, text };
        const commentId = `c-${sha256(JSON.stringify([alertId, actor, text, atMs])).slice(0, 32)}`;
        await insert('alert_comments', [{ alert_id: alertId, comment_id: commentId, at: chTime(atMs), actor, text }], `comment:${commentId}`);
        return { comment_id: commentId, alert_id: alertId, at: iso(atMs), actor, text };
      });
    },

    async eventsById(ids, agentId, max = DEFAULT_MAX_EVENTS) {
      const wanted = [...new Set(ids)].slice(0, max);
      if (wanted.length === 0) return [];
      const read = (where: string, params: Record<string, unknown>) =>
        q<{ event_id: string; raw: string; time_ms: string }>(
          `SELECT event_id, raw, toUnixTimestamp64Milli(time) AS time_ms FROM ${db}.events FINAL
           WHERE ${where} AND event_id IN {ids:Array(String)} ORDER BY time, event_id LIMIT {lim:UInt32}`,
          { ...params, lim: max },
        );
      // The alert's own agent first: the sorting key starts with agent_id, so only its parts are read. Evidence of
      // another agent (a delegation) is looked up without it.
      const found = agentId === undefined ? [] : await read('agent_id = {agent:String}', { agent: agentId, ids: wanted });
      const have = new Set(found.map((r) => r.event_id));
      const missing = wanted.filter((id) => !have.has(id));
      const rest = missing.length ? await read('1', { ids: missing }) : [];
      return [...found, ...rest]
        .sort((a, b) => Number(a.time_ms) - Number(b.time_ms) || (a.event_id < b.event_id ? -1 : a.event_id > b.event_id ? 1 : 0))
        .slice(0, max)
        .map((r) => JSON.parse(r.raw) as CanonicalEvent);
    },

    async agentActivity(agentId, maxFutureSkewMs = DEFAULT_MAX_FUTURE_SKEW_MS) {
      const where = agentId === undefined ? '' : 'WHERE agent_id = {id:String}';
      const rows = await q<{ agent_id: string; first_ms: string; last_ms: string; events: string }>(
        `SELECT agent_id, toUnixTimestamp64Milli(min(${JUDGED_TIME})) AS first_ms, toUnixTimestamp64Milli(max(${JUDGED_TIME})) AS last_ms,
                uniqExact(event_id) AS events
         FROM ${db}.events ${where} GROUP BY agent_id`,
        { skew: maxFutureSkewMs, ...(agentId === undefined ? {} : { id: agentId }) },
      );
      return rows.map((r) => ({ agent_id: r.agent_id, first_ms: Number(r.first_ms), last_ms: Number(r.last_ms), events: Number(r.events) }));
    },

    async agentAlertCounts(openStatuses, agentId) {
      const where = agentId === undefined ? '' : 'WHERE agent_id = {id:String}';
      const rows = await q<{ agent_id: string; total: string; open: string; max_rank: number }>(
        `SELECT agent_id, count() AS total, countIf(status IN {open:Array(String)}) AS open, max(severity_rank) AS max_rank
         FROM ${db}.alerts FINAL ${where} GROUP BY agent_id`,
        { ...(agentId === undefined ? {} : { id: agentId }), open: openStatuses },
      );
      return rows.map((r) => ({ agent_id: r.agent_id, total: Number(r.total), open: Number(r.open), max_rank: Number(r.max_rank) }));
    },

    async agentTokens(agentId, max = 500, maxFutureSkewMs = DEFAULT_MAX_FUTURE_SKEW_MS) {
      const used = await q<{ token_id: string; first_ms: string; last_ms: string; events: string }>(
        `SELECT token_id, toUnixTimestamp64Milli(min(${JUDGED_TIME})) AS first_ms, toUnixTimestamp64Milli(max(${JUDGED_TIME})) AS last_ms,
                uniqExact(event_id) AS events
         FROM ${db}.events WHERE agent_id = {id:String} AND token_id != '' GROUP BY token_id ORDER BY last_ms DESC, token_id LIMIT {lim:UInt32}`,
        { id: agentId, lim: max, skew: maxFutureSkewMs },
      );
      if (used.length === 0) return [];
      const issued = await q<{ token_id: string; issuer: string; scopes: string[]; expires_ms: string }>(
        `SELECT token_id, issuer, scopes, toUnixTimestamp64Milli(expires_at) AS expires_ms FROM ${db}.tokens FINAL WHERE token_id IN {ids:Array(String)}`,
        { ids: used.map((u) => u.token_id) },
      );
      const byId = new Map(issued.map((t) => [t.token_id, t]));
      return used.map((u) => {
        const t = byId.get(u.token_id);
        return {
          token_id: u.token_id,
          ...(t ? { issuer: t.issuer, scopes: t.scopes, expires_at: iso(t.expires_ms) } : {}),
          first_seen: iso(u.first_ms),
          last_seen: iso(u.last_ms),
          events: Number(u.events),
        };
      });
    },
  };
}
