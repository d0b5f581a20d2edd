import type { Alert, CanonicalEvent } from '@agentwatch/schemas';
import type { DetectionEngine } from './engine.ts';
import { ReorderBuffer } from './reorder-buffer.ts';

/** Where an input item came from, for error reports (`file:line`, or topic/partition/offset live). */
export interface Origin {
  source: string;
  line: number;
}

/** What a source yields: a valid event with its parsed time, or a rejected input with the reason and origin. */
/**
 * `json`: the event's text as received (a string, or its UTF-8 bytes such as a Kafka message value), when the source
 * has it: stored verbatim instead of re-serialising the event.
 */
export type SourceItem =
  | {
      event: CanonicalEvent;
      timeMs: number;
      json?: string | Uint8Array;
      /**
       * When agentwatch received it (epoch ms; see time/event-time.ts for whose clock): the event's time is judged
       * against it. Unset: not judged (in-memory tests); replay sets it with {@link withReplayArrival}.
       */
      arrivalMs?: number;
    }
  | { error: string; origin: Origin; raw?: string };

export interface PipelineSink {
  /** Alerts whose window closed, in deterministic order. */
  alerts(alerts: Alert[]): void | Promise<void>;
  /** A rejected input; it must be reported and kept, never silently dropped. */
  rejected(item: { error: string; origin: Origin; raw?: string }): void | Promise<void>;
}

export interface PipelineResult {
  read: number;
  accepted: number;
  rejected: number;
  late: number;
  /** Accepted events whose time was not believed (events.md 1.1): reported, stored by live callers, moved no clock. */
  implausible: number;
  alerts: number;
}

/**
 * The one path from events to alerts, used by replay and (next) the live collector: items from a source
 * go through a bounded event-time reorder buffer into the engine; closed alerts go to the sink as they
 * close, the rest at end of stream.
 */
export async function runPipeline(opts: {
  /** Batches of items (a promise per batch, not per event, keeps the hot path cheap). */
  source: AsyncIterable<readonly SourceItem[]> | Iterable<readonly SourceItem[]>;
  engine: DetectionEngine;
  sink: PipelineSink;
  latenessMs: number;
}): Promise<PipelineResult> {
  const { engine, sink } = opts;
  type Timed = { event: CanonicalEvent; timeMs: number; arrivalMs?: number };
  const buffer = new ReorderBuffer<Timed>(opts.latenessMs);
  const ready: Timed[] = [];

  const result: PipelineResult = { read: 0, accepted: 0, rejected: 0, late: 0, implausible: 0, alerts: 0 };
  const emit = async (alerts: Alert[]): Promise<void> => {
    if (alerts.length === 0) return;
    result.alerts += alerts.length;
    await sink.alerts(alerts);
  };
  for await (const batch of opts.source) {
    for (const item of batch) {
      result.read++;
      if ('error' in item) {
        result.rejected++;
        await sink.rejected(item);
        continue;
      }
      result.accepted++;
      // An event whose time is not believed has no place in event-time order: the engine reports it and moves no
      // clock, so it goes straight in, and the reorder buffer's newest time never sees its claim.
      if (engine.judge(item.timeMs, item.arrivalMs) !== 'plausible') {
        result.implausible++;
        engine.process(item.event, item.timeMs, item.arrivalMs);
        continue;
      }
      buffer.push(item.timeMs, item, ready);
    }
    if (ready.length > 0) {
      for (const r of ready) engine.process(r.event, r.timeMs, r.arrivalMs);
      ready.length = 0;
      await emit(engine.takeClosed());
    }
  }
  buffer.drain(ready);
  for (const r of ready) engine.process(r.event, r.timeMs, r.arrivalMs);
  await emit(engine.takeClosed());
  await emit(engine.flush());
  result.late = buffer.late;
  return result;
}
