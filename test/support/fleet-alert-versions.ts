import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExportItem } from '@agentwatch/exporters';
import { Alert } from '@agentwatch/schemas';
import { simulateFleet } from '@agentwatch/simulator';
import { replay } from '../../services/cli/src/commands/replay.ts';

/** The life the outbox gives an alert: created, updated (acknowledged), closed (resolved). */
const LIFE: Array<[Alert['status'] | undefined, ExportItem['delivery']['activity'], string]> = [
  [undefined, 'created', '2026-10-21T00:00:00.000Z'],
  ['acknowledged', 'updated', '2026-10-21T01:00:00.000Z'],
  ['resolved', 'closed', '2026-10-21T02:00:00.000Z'],
];

/** `<alert_id>:<version>`, the id a receiver deduplicates on. */
export const idOf = (i: ExportItem): string => `${i.alert.alert_id}:${i.delivery.version}`;

/**
 * A simulated fleet's alerts (replay's output on the simulator's events), each in three versions, in the order an
 * outbox would queue them (every alert's first version, then the second ones, then the third): ~90 versions for
 * 20 agents x 6 days in about a second.
 */
/** `dir` receives the simulator's files (a test's tempDir; no vitest here, so a bench can use it too). */
export async function fleetAlertVersions(opts: { agents: number; days: number; seed: number; exporter: string; dir: string }): Promise<ExportItem[]> {
  const { dir } = opts;
  await simulateFleet({ agents: opts.agents, days: opts.days, seed: opts.seed, outDir: dir });
  await replay({
    registry: join(dir, 'registry.yaml'),
    files: [join(dir, 'events.ndjson')],
    inputFormat: 'canonical',
    out: join(dir, 'alerts.ndjson'),
    incidents: join(dir, 'incidents.ndjson'),
    log: () => {},
  });
  const alerts = readFileSync(join(dir, 'alerts.ndjson'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => Alert.parse(JSON.parse(l)));
  return LIFE.flatMap(([status, activity, time], v) =>
    alerts.map((a) => ({ alert: status ? { ...a, status } : a, delivery: { exporter: opts.exporter, version: v + 1, activity, time } })),
  );
}
