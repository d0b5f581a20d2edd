import { type TokenFact, TokenTable } from '@agentwatch/detections';
import type { CanonicalEvent } from '@agentwatch/schemas';
import type { Kafka, Message, Producer, ProducerRecord, RecordMetadata } from 'kafkajs';
import type { Logger } from 'pino';
import { CompactedTopicView, ensureTopic } from './compacted-topic.ts';
import { serialSend } from './serial-send.ts';

export const DEFAULT_TOKENS_TOPIC = 'agentwatch.tokens';

/** A token fact as written to the tokens topic: the issuance (with any revocation), or a revocation alone. */
type TokenFactMessage = { fact: TokenFact } | { revokedMs: number };

/**
 * Token facts shared by every partition and every collector. A token issued to agent A is used by agent B, whose
 * events are on another partition, maybe in another process: each collector writes the token_issued / token_revoked
 * facts of its batches to a compacted topic (key token_id) and reads everyone's back into one shared table, which
 * each partition engine consults when its own table does not know a token. A fact that arrives after a use is
 * handed to `onFact`, so engines re-check the uses they parked (engine `token_fact_wait`).
 *
 * The topic is `cleanup.policy=compact,delete` with a 7-day retention: facts of tokens that expired long ago go.
 */
export class TokenFacts {
  /** The shared table partition engines read (`EngineOptions.sharedTokens`). */
  readonly table: TokenTable;
  private readonly view: CompactedTopicView<TokenFactMessage>;
  private producer: Producer | null = null;
  private sender: ((record: ProducerRecord) => Promise<RecordMetadata[]>) | null = null;
  /** Per partition of the tokens topic: the offset after the last fact this collector wrote (acknowledged). */
  private readonly written = new Map<number, bigint>();

  constructor(private readonly opts: { kafka: Kafka; logger: Logger; topic?: string; graceMs: number; onFact: (tokenId: string) => void }) {
    this.table = new TokenTable(opts.graceMs);
    this.view = new CompactedTopicView<TokenFactMessage>({
      kafka: opts.kafka,
      topic: this.topic,
      logger: opts.logger,
      decode: (v) => JSON.parse(v.toString('utf8')) as TokenFactMessage,
      onValue: (tokenId, m) => this.apply(tokenId, m),
      groupPrefix: 'agentwatch-tokens-view',
    });
  }

  get topic(): string {
    return this.opts.topic ?? DEFAULT_TOKENS_TOPIC;
  }

  async start(): Promise<void> {
    const admin = this.opts.kafka.admin();
    await admin.connect();
    try {
      await ensureTopic(admin, this.topic, [
        { name: 'cleanup.policy', value: 'compact,delete' },
        { name: 'retention.ms', value: String(7 * 86_400_000) },
      ]);
    } finally {
      await admin.disconnect();
    }
    this.producer = this.opts.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await this.producer.connect();
    this.sender = serialSend(this.producer);
    await this.view.start();
    // Facts written before this collector started are known before its first batch.
    await this.view.waitCaughtUp();
  }

  /**
   * The token facts among `events` (one partition's batch, already through its engine), applied here at once, so
   * the other partitions of this process need not wait for the round trip; returns them as messages for {@link send}.
   */
  record(events: readonly CanonicalEvent[]): Message[] {
    const messages: Message[] = [];
    for (const e of events) {
      let m: TokenFactMessage | null = null;
      const tokenId = e.kind === 'token_issued' || e.kind === 'token_revoked' ? e.token_id : undefined;
      if (e.kind === 'token_issued') {
        const fact: TokenFact = {
          agentId: e.agent_id,
          issuer: e.issuer,
          scopes: e.scopes,
          issuedMs: Date.parse(e.time),
          expiresMs: Date.parse(e.expires_at),
          revokedMs: this.table.get(e.token_id)?.revokedMs ?? null,
          parentTokenId: e.parent_token_id ?? null,
          eventId: e.event_id,
        };
        m = { fact };
      } else if (e.kind === 'token_revoked') {
        const known = this.table.get(e.token_id);
        // With the issuance in the same message, compaction never leaves a revocation without its token (or vice versa).
        m = known
          ? { fact: { ...known, revokedMs: Math.min(known.revokedMs ?? Number.POSITIVE_INFINITY, Date.parse(e.time)) } }
          : { revokedMs: Date.parse(e.time) };
      }
      if (!m || tokenId === undefined) continue;
      this.apply(tokenId, m);
      messages.push({ key: tokenId, value: JSON.stringify(m) });
    }
    return messages;
  }

  /** Writes recorded facts to the topic, for the other collectors (and the next owner of a partition). */
  async send(messages: Message[]): Promise<void> {
    if (messages.length === 0) return;
    if (!this.sender) throw new Error('token facts are not started');
    const acks = await this.sender({ topic: this.topic, acks: -1, messages });
    for (const a of acks) {
      const base = a.baseOffset ?? a.offset;
      if (base === undefined) continue;
      // One partition (the topic as agentwatch creates it): the send's messages end at base + count. Spread over
      // several, only the first message per partition is known to be there.
      const end = BigInt(base) + BigInt(acks.length === 1 ? messages.length : 1);
      if (end > (this.written.get(a.partition) ?? 0n)) this.written.set(a.partition, end);
    }
  }

  /**
   * Where the facts this collector wrote so far end on the tokens topic (partition -> next offset): a progress
   * report carries it, so the group knows which facts a partition's processed offset stands for.
   */
  writtenThrough(): Record<string, string> {
    return Object.fromEntries([...this.written].map(([p, o]) => [String(p), o.toString()]));
  }

  /** Whether this collector's view of the tokens topic has read everything up to `through` (see {@link writtenThrough}). */
  hasRead(through: Readonly<Record<string, string>>): boolean {
    for (const [p, o] of Object.entries(through)) if (this.view.readThrough(Number(p)) < BigInt(o)) return false;
    return true;
  }

  /**
   * Forgets facts past their grace period, at the earlier of `nowMs` (event time of the newest batch) and the group's
   * fact horizon (the slowest partition that still has a backlog): a partition running ahead of the group must not
   * drop facts that slower partitions, here or in other collectors, have yet to look up. Swept by the newest batch
   * alone, a partition one day past the others lost cross-partition token alerts in the takeover tests.
   */
  sweep(nowMs: number, factHorizonMs = Number.POSITIVE_INFINITY): void {
    this.table.sweep(Math.min(nowMs, factHorizonMs));
  }

  async stop(): Promise<void> {
    await this.view.stop();
    const p = this.producer;
    this.producer = null;
    if (p) await p.disconnect();
  }

  private apply(tokenId: string, m: TokenFactMessage): void {
    const known = this.table.get(tokenId);
    if ('fact' in m) {
      if (known && known.eventId === m.fact.eventId && known.revokedMs === m.fact.revokedMs) return;
      const revokedMs =
        known?.revokedMs != null && m.fact.revokedMs != null ? Math.min(known.revokedMs, m.fact.revokedMs) : (m.fact.revokedMs ?? known?.revokedMs ?? null);
      this.table.issue(tokenId, { ...m.fact, revokedMs });
      this.opts.onFact(tokenId);
    } else if (known) {
      this.table.revoke(tokenId, m.revokedMs);
    }
  }
}
