/**
 * Runs `agentwatch replay` in-process, alerts to /dev/null; prints timing and peak RSS as one JSON line.
 *
 *   replay-child.ts <registry> <file> [<file> ...] [<format>] [--format <format>] [--adapters <options.json>]
 *
 * Several files are merged by event time, as `agentwatch replay a b c` does. The format (default `canonical`)
 * applies to every file; `auto` detects each file's format. `--adapters` names a JSON file holding per-format
 * adapter options (the config file's `adapters:` section).
 */
import { existsSync, readFileSync } from 'node:fs';
import type { AdapterOptionsByFormat } from '@agentwatch/adapters';
import { replay } from '../services/cli/src/commands/replay.ts';
import { INPUT_FORMATS, type InputFormat } from '../services/cli/src/sources/event-file-source.ts';

const args = process.argv.slice(2);
let format: InputFormat = 'canonical';
let adapters: AdapterOptionsByFormat | undefined;
const positional: string[] = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i] as string;
  if (a === '--format') format = args[++i] as InputFormat;
  else if (a === '--adapters') adapters = JSON.parse(readFileSync(args[++i] as string, 'utf8')) as AdapterOptionsByFormat;
  else positional.push(a);
}
// The old form `<registry> <file> <format>`: a trailing format name that is not a file.
const last = positional[positional.length - 1];
if (positional.length > 2 && last !== undefined && (INPUT_FORMATS as readonly string[]).includes(last) && !existsSync(last)) {
  format = last as InputFormat;
  positional.pop();
}
const [registry, ...files] = positional as [string, ...string[]];

const t0 = performance.now();
const summary = await replay({ registry, files, inputFormat: format, ...(adapters ? { adapters } : {}), out: '/dev/null', log: () => {} });
const seconds = (performance.now() - t0) / 1000;
process.stdout.write(
  `${JSON.stringify({
    events: summary.accepted,
    rejected: summary.rejected,
    alerts: summary.alerts,
    seconds,
    events_per_s: summary.read / seconds,
    peak_rss_mb: process.resourceUsage().maxRSS / 1024,
    read: summary.read,
    late: summary.late,
    alerts_by_rule: summary.alerts_by_rule,
    inputs: summary.inputs.map(({ file, ...rest }) => ({ file: file.split('/').pop(), ...rest })),
  })}\n`,
);
