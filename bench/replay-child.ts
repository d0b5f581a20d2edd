/** Runs `agentwatch replay` in-process on one file, alerts to /dev/null; prints timing and peak RSS as JSON. */
import { replay } from '../services/cli/src/commands/replay.ts';

const [registry, file, format] = process.argv.slice(2) as [string, string, string | undefined];
const t0 = performance.now();
const summary = await replay({ registry, files: [file], inputFormat: (format ?? 'canonical') as 'canonical', out: '/dev/null', log: () => {} });
const seconds = (performance.now() - t0) / 1000;
process.stdout.write(
  `${JSON.stringify({ events: summary.accepted, rejected: summary.rejected, alerts: summary.alerts, seconds, events_per_s: summary.read / seconds, peak_rss_mb: process.resourceUsage().maxRSS / 1024 })}\n`,
);
