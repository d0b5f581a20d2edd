import { once } from 'node:events';
import { createWriteStream, existsSync, statSync } from 'node:fs';
import type { Writable } from 'node:stream';
import type { AdapterOptionsByFormat } from '@agentwatch/adapters';
import { compareIncidents, DetectionEngine, IncidentGrouper, runPipeline, type SourceItem, withReplayArrival } from '@agentwatch/detections';
import { type DetectionConfig, durationToMs, type Incident } from '@agentwatch/schemas';
import { loadConfig } from '../config.ts';
import { CliError, loadRules, readRegistryFile } from '../load.ts';
import { fileSource, type InputFormat, mergeByTime } from '../sources/event-file-source.ts';
import type { RecordFileStats } from '../sources/record-file-source.ts';
import { type ReplaySuppressions, readSuppressionsFile } from './replay-suppressions.ts';

export interface ReplayOptions {
  registry: string;
  inputFormat: InputFormat;
  out?: string;
  rules?: string;
  rejects?: string;
  /** `--incidents FILE`: the incidents the alerts form (alerts.md 1.1), final state, NDJSON in first_seen order. */
  incidents?: string;
  config?: Partial<DetectionConfig>;
  /** Per-format adapter options (config file `adapters:`). */
  adapters?: AdapterOptionsByFormat;
  /**
   * `--config FILE` (the file `up` takes): its `adapters:`, `detection:` and `rules_dir:` apply unless given above.
   * Only the file is read (replay takes nothing from the environment). Invalid options: CliError naming the field.
   */
  configFile?: string;
  /** `--suppressions FILE` (cli.md 1.1): applied to every alert as live; an invalid file is a CliError naming entry and field. */
  suppressions?: string;
  files: string[];
  /** Where the summary and per-line errors go (stderr by default). */
  log?: (line: string) => void;
}

export interface ReplaySummary {
  files: number;
  read: number;
  accepted: number;
  rejected: number;
  late: number;
  /** Events dated implausibly far from where the stream stood (events.md 1.1): reported, judged by nothing else. */
  implausible_times: number;
  alerts: number;
  alerts_by_rule: Record<string, number>;
  /** Incidents written with `--incidents` (absent without it). */
  incidents?: number;
  rule_errors: Record<string, number>;
  /** Per input file: the format read and, for source formats, records read, events made, rejected and skipped. */
  inputs: RecordFileStats[];
  /** With `--suppressions`: per suppression id, alerts it suppressed and the event time of the last. */
  suppressions?: Record<string, { hits: number; last_hit: string | null }>;
}

/** Writes to a stream, waiting for it to drain when its buffer is full (flat memory on big outputs). */
async function write(stream: Writable, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain');
}

/**
 * `agentwatch replay` (cli.md): every enabled detection over recorded events in event-time order, alerts
 * as NDJSON. Bad lines are reported with file and line and skipped (and kept in `--rejects` when given).
 * Throws CliError (exit 1) when the registry, a rules dir or an input file cannot be read.
 */
export async function replay(opts: ReplayOptions): Promise<ReplaySummary> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const fromFile = opts.configFile ? loadConfig({ file: opts.configFile, env: {}, flags: {} }) : null;
  const adapters = opts.adapters ?? fromFile?.adapters ?? {};
  const detection = opts.config ?? fromFile?.detection;
  const registry = readRegistryFile(opts.registry);
  const rules = await loadRules(opts.rules ?? fromFile?.rules_dir);
  for (const f of opts.files) {
    if (!existsSync(f) || !statSync(f).isFile()) throw new CliError(`cannot read input ${f}: no such file`);
  }
  const suppressions: ReplaySuppressions | null = opts.suppressions ? readSuppressionsFile(opts.suppressions) : null;
  const fileStats: RecordFileStats[] = opts.files.map((f) => ({ file: f, format: null, records: 0, events: 0, rejected: 0, skipped: 0 }));
  const engine = new DetectionEngine({
    registry,
    rules,
    ...(detection ? { config: detection } : {}),
    ...(suppressions ? { suppressions: suppressions.set } : {}),
    onRuleError: (ruleId, error, event) => log(`rule ${ruleId} failed on event ${event.event_id}: ${error instanceof Error ? error.message : String(error)}`),
  });
  // Each file's events are judged against the time its own stream had reached (replay has no arrival clock), before
  // the merge: an implausible time must not take a place in the merge order either.
  const sources: AsyncIterator<SourceItem[]>[] = opts.files.map((f, i) =>
    withReplayArrival(fileSource(f, opts.inputFormat, adapters, fileStats[i]), engine.limits),
  );
  const out: Writable = opts.out ? createWriteStream(opts.out) : process.stdout;
  const rejects: Writable | null = opts.rejects ? createWriteStream(opts.rejects) : null;
  const byRule: Record<string, number> = {};
  // The same grouping as up's (live-incidents.ts), fed the alerts as they close.
  // Incidents let go during a long replay (final, see GrouperOptions.retainMs) are kept for the output.
  const finalIncidents: Incident[] = [];
  const grouper = opts.incidents
    ? new IncidentGrouper({ windowMs: durationToMs(engine.config.incident_window), onFinal: (i) => finalIncidents.push(i) })
    : null;
  let result: Awaited<ReturnType<typeof runPipeline>>;
  try {
    result = await runPipeline({
      source: mergeByTime(sources, (item) => engine.judge(item.timeMs, item.arrivalMs) === 'plausible'),
      engine,
      latenessMs: durationToMs(engine.config.allowed_lateness),
      sink: {
        async alerts(alerts) {
          suppressions?.hits.record(alerts);
          let chunk = '';
          for (const a of alerts) {
            byRule[a.rule_id] = (byRule[a.rule_id] ?? 0) + 1;
            chunk += `${JSON.stringify(a)}\n`;
          }
          grouper?.addAll(alerts);
          await write(out, chunk);
        },
        async rejected(item) {
          log(`${item.origin.source}:${item.origin.line}: ${item.error}`);
          if (rejects)
            await write(rejects, `${JSON.stringify({ source: item.origin.source, line: item.origin.line, error: item.error, raw: item.raw ?? null })}\n`);
        },
      },
    });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT' || err.code === 'EACCES' || err.code === 'EISDIR' || err.code === 'Z_DATA_ERROR')
      throw new CliError(`cannot read input: ${err.message}`);
    // A whole-file document that is not JSON, or adapter options the adapter refused.
    if (err instanceof Error && !(err instanceof CliError) && /not valid JSON|limit for a whole-file|options|Invalid/i.test(err.message))
      throw new CliError(err.message);
    throw e;
  } finally {
    if (opts.out) {
      out.end();
      await once(out, 'close');
    }
    if (rejects) {
      rejects.end();
      await once(rejects, 'close');
    }
  }
  const incidents = grouper ? [...finalIncidents, ...grouper.incidentsNow()].sort(compareIncidents) : undefined;
  if (opts.incidents && incidents) await writeNdjsonFile(opts.incidents, incidents);
  const stats = engine.getStats();
  const summary: ReplaySummary = {
    files: opts.files.length,
    read: result.read,
    accepted: result.accepted,
    rejected: result.rejected,
    late: result.late,
    implausible_times: result.implausible,
    alerts: result.alerts,
    alerts_by_rule: Object.fromEntries(Object.entries(byRule).sort(([a], [b]) => a.localeCompare(b))),
    ...(incidents ? { incidents: incidents.length } : {}),
    rule_errors: stats.ruleErrors,
    inputs: fileStats,
    ...(suppressions ? { suppressions: suppressions.summary() } : {}),
  };
  log(
    `replay: ${summary.read} events read from ${summary.files} file(s): ${summary.accepted} accepted, ${summary.rejected} rejected${summary.late ? `, ${summary.late} arrived later than the ${engine.config.allowed_lateness} reorder window (processed late)` : ''}${summary.implausible_times ? `, ${summary.implausible_times} dated implausibly far from the rest of the stream (reported as telemetry_integrity, moved no clock)` : ''}; ${summary.alerts} alerts${incidents ? `, ${incidents.length} incidents` : ''}`,
  );
  for (const f of fileStats) {
    if (f.format === 'canonical' || f.format === null) continue;
    log(
      `  ${f.file}: ${f.format}: ${f.records} records -> ${f.events} events, ${f.rejected} rejected, ${f.skipped} skipped${f.skipReason ? ` (e.g. ${f.skipReason})` : ''}`,
    );
  }
  for (const [rule, n] of Object.entries(summary.alerts_by_rule)) log(`  ${rule.padEnd(44)} ${n}`);
  for (const [rule, n] of Object.entries(summary.rule_errors)) log(`  rule ${rule} failed ${n} time(s)`);
  for (const [id, s] of Object.entries(summary.suppressions ?? {}))
    log(`  suppression ${id}: ${s.hits} alert(s) suppressed${s.last_hit ? `, last at ${s.last_hit}` : ''}`);
  return summary;
}

/** Writes records as NDJSON to a file; a file that cannot be written is a CliError naming it. */
async function writeNdjsonFile(file: string, records: readonly object[]): Promise<void> {
  const stream = createWriteStream(file);
  const failed = new Promise<never>((_, reject) => stream.once('error', (e) => reject(new CliError(`cannot write ${file}: ${e.message}`))));
  const done = (async () => {
    for (const r of records) await write(stream, `${JSON.stringify(r)}\n`);
    stream.end();
    await once(stream, 'close');
  })();
  await Promise.race([done, failed]);
}
