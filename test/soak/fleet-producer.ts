// The simulated fleet's events produced into the events topic at a modest, steady rate while the faults happen, in
// file (event time) order, keyed by agent_id. Paused around a broker restart (the fleet's producers are not under
// test here); a send that fails anyway is retried, and the checker compares the topic's size with what was acked.
import type { CanonicalEvent } from '@agentwatch/schemas';
import { type Kafka, Partitioners, type Producer } from 'kafkajs';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TICK_MS = 250;

export class FleetProducer {
  private producer: Producer;
  private next = 0;
  private paused = false;
  private inFlight: Promise<void> = Promise.resolve();
  readonly produced: Array<{ id: string; partition: number }> = [];
  retries = 0;
  readonly done: Promise<void>;

  constructor(
    kafka: Kafka,
    private readonly topic: string,
    private readonly events: readonly CanonicalEvent[],
    private readonly perSecond: number,
    private readonly partitionOf: (key: string) => number,
    private readonly log: (line: string) => void,
  ) {
    this.producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true, maxInFlightRequests: 1 });
    this.done = this.run();
    this.done.catch(() => undefined);
  }

  /** Resolves once no send is in flight; no send starts until {@link resume}. */
  async pause(): Promise<void> {
    this.paused = true;
    await this.inFlight;
  }

  resume(): void {
    this.paused = false;
  }

  get remaining(): number {
    return this.events.length - this.next;
  }

  async close(): Promise<void> {
    this.next = this.events.length;
    await this.done.catch(() => undefined);
    await this.producer.disconnect().catch(() => undefined);
  }

  private async run(): Promise<void> {
    await this.producer.connect();
    const perTick = Math.max(1, Math.round((this.perSecond * TICK_MS) / 1000));
    while (this.next < this.events.length) {
      const t0 = Date.now();
      if (!this.paused) {
        const batch = this.events.slice(this.next, this.next + perTick);
        const send = this.send(batch);
        this.inFlight = send;
        await send;
        this.next += batch.length;
      }
      await sleep(Math.max(0, TICK_MS - (Date.now() - t0)));
    }
  }

  private async send(batch: readonly CanonicalEvent[]): Promise<void> {
    for (;;) {
      try {
        await this.producer.send({ topic: this.topic, acks: -1, messages: batch.map((e) => ({ key: e.agent_id, value: JSON.stringify(e) })) });
        for (const e of batch) this.produced.push({ id: e.event_id, partition: this.partitionOf(e.agent_id) });
        return;
      } catch (err) {
        this.retries++;
        this.log(`producing ${batch.length} events failed (${err instanceof Error ? err.message : String(err)}); retrying`);
        await sleep(1000);
      }
    }
  }
}
