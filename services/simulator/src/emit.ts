import type { Action } from '@agentwatch/schemas';

const HOUR_MS = 3_600_000;

/** One serialised event waiting in the day buffer. */
export interface Entry {
  t: number;
  s: string;
}

/** Collects the ids and time span of the events an attack injects. */
export interface Capture {
  ids: string[];
  min: number;
  max: number;
}

export const newCapture = (): Capture => ({ ids: [], min: Number.POSITIVE_INFINITY, max: Number.NEGATIVE_INFINITY });

/** The envelope shared by the events of one task (events.md "Envelope"). */
export interface TaskCtx {
  agentId: string;
  /** Fleet index of the acting agent, -1 for an identity the registry does not list. */
  ai: number;
  env?: string | undefined;
  session?: string | undefined;
  task?: string | undefined;
  obo?: string | undefined;
  chain?: string[] | undefined;
  ip?: string | undefined;
  source?: string | undefined;
  /** When set, every event emitted with this context belongs to an attack. */
  cap?: Capture | null | undefined;
}

/** What the simulator remembers about a credential it issued (for follow-up attacks). */
export interface TokenRec {
  id: string;
  ai: number;
  agentId: string;
  t: number;
  exp: number;
  revoked: number | null;
  scopes: string[];
  issuer: string;
  source: string;
  ctx: TaskCtx;
}

export interface ToolCallFields {
  tool: string;
  action?: Action;
  resource?: string;
  outcome: 'success' | 'failure' | 'denied';
  token_id?: string;
  bytes_in?: number;
  bytes_out?: number;
  records?: number;
  duration_ms?: number;
  approval?: { by: string; at?: string };
  context_trust?: 'trusted' | 'untrusted';
  attributes?: Record<string, string>;
}

export interface TokenFields {
  token_id: string;
  issuer: string;
  scopes: string[];
  audience?: string[];
  expires: number;
  grant_type?: string;
  parent_token_id?: string;
  source: string;
  attributes?: Record<string, string>;
}

/** Per-agent observations, so attacks can be sized against what the agent normally does. */
export class AgentStats {
  hourOfDay: number[] = new Array<number>(24).fill(0);
  private hourCounts = new Map<number, number>();
  private hourBytes = new Map<number, number>();
  activeHours = 0;
  eventsInActiveHours = 0;
  bytesInActiveHours = 0;
  maxHourEvents = 0;
  maxHourBytes = 0;
  calls = 0;
  bytesOut = 0;
  records = 0;
  maxCallBytes = 0;
  maxCallRecords = 0;
  tools = new Set<string>();
  tokens: TokenRec[] = [];

  count(t: number): void {
    const h = Math.floor(t / HOUR_MS);
    this.hourCounts.set(h, (this.hourCounts.get(h) ?? 0) + 1);
    const hod = new Date(t).getUTCHours();
    this.hourOfDay[hod] = (this.hourOfDay[hod] as number) + 1;
  }

  call(t: number, tool: string, bytes: number, records: number): void {
    this.calls++;
    this.bytesOut += bytes;
    this.records += records;
    if (bytes > this.maxCallBytes) this.maxCallBytes = bytes;
    if (records > this.maxCallRecords) this.maxCallRecords = records;
    if (bytes > 0) {
      const h = Math.floor(t / HOUR_MS);
      this.hourBytes.set(h, (this.hourBytes.get(h) ?? 0) + bytes);
    }
    this.tools.add(tool);
  }

  /** Folds completed hours (before `beforeMs`) into the running aggregates; forgets old tokens. */
  fold(beforeMs: number): void {
    const limit = Math.floor(beforeMs / HOUR_MS);
    for (const [h, c] of this.hourCounts) {
      if (h >= limit) continue;
      this.activeHours++;
      this.eventsInActiveHours += c;
      if (c > this.maxHourEvents) this.maxHourEvents = c;
      const b = this.hourBytes.get(h) ?? 0;
      this.bytesInActiveHours += b;
      if (b > this.maxHourBytes) this.maxHourBytes = b;
      this.hourCounts.delete(h);
      this.hourBytes.delete(h);
    }
    this.tokens = this.tokens.filter((tk) => tk.t >= beforeMs - 2 * 86_400_000);
  }

  get meanHourEvents(): number {
    return this.activeHours ? this.eventsInActiveHours / this.activeHours : 0;
  }

  get meanHourBytes(): number {
    return this.activeHours ? this.bytesInActiveHours / this.activeHours : 0;
  }
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * Builds canonical events (events.md) in a fixed key order and buffers them, serialised, for the
 * current day. Event ids are `sim-<seed>-<n>`.
 */
export class Emitter {
  buf: Entry[] = [];
  private counter = 0;
  readonly stats: AgentStats[];
  readonly countsByKind: Record<string, number> = { tool_call: 0, token_issued: 0, token_revoked: 0, policy_decision: 0 };

  constructor(
    private readonly prefix: string,
    agentCount: number,
  ) {
    this.stats = Array.from({ length: agentCount }, () => new AgentStats());
  }

  private push(ctx: TaskCtx, t: number, obj: Record<string, unknown>, id: string, cap: Capture | null | undefined): void {
    this.buf.push({ t, s: JSON.stringify(obj) });
    if (ctx.ai >= 0) (this.stats[ctx.ai] as AgentStats).count(t);
    if (cap) {
      cap.ids.push(id);
      if (t < cap.min) cap.min = t;
      if (t > cap.max) cap.max = t;
    }
  }

  private envelope(kind: string, ctx: TaskCtx, t: number, source: string | undefined): { id: string; obj: Record<string, unknown> } {
    const id = `${this.prefix}${++this.counter}`;
    this.countsByKind[kind] = (this.countsByKind[kind] ?? 0) + 1;
    return {
      id,
      obj: {
        kind,
        event_id: id,
        time: iso(t),
        agent_id: ctx.agentId,
        source,
        environment: ctx.env,
        session_id: ctx.session,
        task_id: ctx.task,
        on_behalf_of: ctx.obo,
        delegation_chain: ctx.chain,
        source_ip: ctx.ip,
      },
    };
  }

  /**
   * Rewrites the `time` of an event already emitted (it stays where it was made, `t`): a forged clock, whose claim
   * is judged against the stream around it (telemetry_integrity).
   */
  claimTime(eventId: string, claimedMs: number): void {
    for (let i = this.buf.length - 1; i >= 0; i--) {
      const e = this.buf[i] as Entry;
      if (!e.s.includes(`"event_id":"${eventId}"`)) continue;
      e.s = e.s.replace(/"time":"[^"]+"/, `"time":"${iso(claimedMs)}"`);
      return;
    }
    throw new Error(`simulator bug: no emitted event ${eventId} to re-date`);
  }

  toolCall(ctx: TaskCtx, t: number, f: ToolCallFields, cap?: Capture | null): string {
    const { id, obj } = this.envelope('tool_call', ctx, t, ctx.source);
    obj['tool'] = f.tool;
    obj['action'] = f.action;
    obj['resource'] = f.resource;
    obj['outcome'] = f.outcome;
    obj['token_id'] = f.token_id;
    obj['bytes_in'] = f.bytes_in;
    obj['bytes_out'] = f.bytes_out;
    obj['records'] = f.records;
    obj['duration_ms'] = f.duration_ms;
    obj['approval'] = f.approval;
    obj['context_trust'] = f.context_trust;
    obj['attributes'] = f.attributes;
    this.push(ctx, t, obj, id, cap ?? ctx.cap);
    if (ctx.ai >= 0) (this.stats[ctx.ai] as AgentStats).call(t, f.tool, f.bytes_out ?? 0, f.records ?? 0);
    return id;
  }

  tokenIssued(ctx: TaskCtx, t: number, f: TokenFields, cap?: Capture | null): TokenRec & { eventId: string } {
    const { id, obj } = this.envelope('token_issued', ctx, t, f.source);
    obj['token_id'] = f.token_id;
    obj['issuer'] = f.issuer;
    obj['scopes'] = f.scopes;
    obj['audience'] = f.audience;
    obj['expires_at'] = iso(f.expires);
    obj['grant_type'] = f.grant_type;
    obj['parent_token_id'] = f.parent_token_id;
    obj['attributes'] = f.attributes;
    this.push(ctx, t, obj, id, cap ?? ctx.cap);
    const rec: TokenRec & { eventId: string } = {
      id: f.token_id,
      ai: ctx.ai,
      agentId: ctx.agentId,
      t,
      exp: f.expires,
      revoked: null,
      scopes: f.scopes,
      issuer: f.issuer,
      source: f.source,
      ctx,
      eventId: id,
    };
    if (ctx.ai >= 0) (this.stats[ctx.ai] as AgentStats).tokens.push(rec);
    return rec;
  }

  tokenRevoked(ctx: TaskCtx, t: number, token: TokenRec, reason: string | undefined, cap?: Capture | null): string {
    const { id, obj } = this.envelope('token_revoked', ctx, t, token.source);
    obj['token_id'] = token.id;
    obj['reason'] = reason;
    this.push(ctx, t, obj, id, cap ?? ctx.cap);
    if (token.revoked === null || t < token.revoked) token.revoked = t;
    return id;
  }

  policy(
    ctx: TaskCtx,
    t: number,
    f: {
      decision: 'allow' | 'deny';
      policy?: string;
      tool?: string;
      resource?: string;
      action?: Action;
      token_id?: string;
      attributes?: Record<string, string>;
    },
    cap?: Capture | null,
  ): string {
    const { id, obj } = this.envelope('policy_decision', ctx, t, 'opa');
    obj['decision'] = f.decision;
    obj['policy'] = f.policy;
    obj['tool'] = f.tool;
    obj['resource'] = f.resource;
    obj['action'] = f.action;
    obj['token_id'] = f.token_id;
    obj['attributes'] = f.attributes;
    this.push(ctx, t, obj, id, cap ?? ctx.cap);
    return id;
  }

  get total(): number {
    return this.counter;
  }
}
