import { randomUUID } from 'node:crypto';
import type { Store } from '@agentwatch/store';

/** Next offset to read, per partition (Kafka offsets are decimal strings). */
export type PartitionOffsets = Record<string, string>;

export interface Checkpoint {
  groupId: string;
  topic: string;
  /** Monotonic per writer (ms-based); the highest wins. */
  seq: number;
  offsets: PartitionOffsets;
  /** {@link LivePipeline.checkpoint} output: the engine snapshot as JSON. */
  snapshot: string;
  createdAtMs: number;
}

interface CheckpointRow {
  group_id: string;
  topic: string;
  seq: string | number;
  offsets: string;
  snapshot: string;
  created_at: string;
}

const chTime = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

/**
 * Collector checkpoints in ClickHouse (`{db}.collector_checkpoints`, migration 006), through the store's client.
 * Every insert carries an explicit, unique insert_deduplication_token (chdb turns per-query settings into session
 * settings, so a token left over from another insert must never apply to this one, and vice versa).
 */
export class CheckpointStore {
  private lastSeq = 0;

  constructor(private readonly store: Store) {}

  private get table(): string {
    return `${this.store.database}.collector_checkpoints`;
  }

  async save(cp: { groupId: string; topic: string; offsets: PartitionOffsets; snapshot: string }): Promise<Checkpoint> {
    const now = Date.now();
    this.lastSeq = Math.max(now * 1000, this.lastSeq + 1);
    const saved: Checkpoint = { ...cp, seq: this.lastSeq, createdAtMs: now };
    await this.store.client.insert({
      table: this.table,
      values: [{ group_id: cp.groupId, topic: cp.topic, seq: saved.seq, offsets: JSON.stringify(cp.offsets), snapshot: cp.snapshot, created_at: chTime(now) }],
      format: 'JSONEachRow',
      clickhouse_settings: {
        insert_deduplicate: 1,
        deduplicate_blocks_in_dependent_materialized_views: 1,
        insert_deduplication_token: `checkpoint:${randomUUID()}`,
      },
    });
    return saved;
  }

  async load(groupId: string, topic: string): Promise<Checkpoint | null> {
    const rs = await this.store.client.query({
      query: `SELECT group_id, topic, seq, offsets, snapshot, toString(created_at) AS created_at FROM ${this.table} FINAL
              WHERE group_id = {g:String} AND topic = {t:String} ORDER BY seq DESC LIMIT 1`,
      query_params: { g: groupId, t: topic },
      format: 'JSONEachRow',
    });
    const rows = await rs.json<CheckpointRow>();
    const r = rows[0];
    if (!r) return null;
    const seq = Number(r.seq);
    if (seq > this.lastSeq) this.lastSeq = seq;
    return {
      groupId: r.group_id,
      topic: r.topic,
      seq,
      offsets: JSON.parse(r.offsets) as PartitionOffsets,
      snapshot: r.snapshot,
      createdAtMs: Date.parse(`${r.created_at.replace(' ', 'T')}Z`),
    };
  }
}
