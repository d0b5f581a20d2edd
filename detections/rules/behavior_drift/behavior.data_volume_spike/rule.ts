import { hourlyStats } from '../../../src/baseline/agent-baseline.ts';
import { spikeThreshold } from '../../../src/baseline/robust-stats.ts';
import { defineRule } from '../../../src/engine/types.ts';
import { baselineEvidence, baselineWarm } from '../../../src/rule-helpers.ts';
import { bytes, num, shortName } from '../../../src/text.ts';

const MIN_HOURS = 24;
const BYTES = { k: 10, medianFactor: 10, p99Factor: 3, floor: 1_048_576 };
const RECORDS = { k: 10, medianFactor: 10, p99Factor: 3, floor: 1_000 };

export default defineRule({
  id: 'behavior.data_volume_spike',
  version: '1.0.0',
  category: 'behavior_drift',
  severity: 'high',
  riskScore: 70,
  name: 'Data volume far above baseline',
  description:
    "Bytes sent out or records touched this hour exceed the agent's own hourly baseline by far (largest of median + 10·sigma, 10x median, 3x the 99th percentile hour, and a floor of 1 MiB / 1,000 records): the shape of bulk exfiltration through an agent.",
  tags: ['owasp-agentic:ASI02', 'mitre-attack:T1567', 'mitre-attack:T1530', 'mitre-atlas:AML.T0057'],
  kinds: ['tool_call'],
  dedupWindowMs: 3_600_000,
  falsePositives: ['Legitimate exports and backfills'],
  knownGaps: ['Calls that do not report bytes_out or records are invisible to this rule'],
  evaluate(event, ctx) {
    if (event.kind !== 'tool_call' || (event.bytes_out === undefined && event.records === undefined)) return null;
    const b = ctx.baseline;
    if (b.history.length < MIN_HOURS || !baselineWarm(ctx)) return null;
    const stats = hourlyStats(b);
    if (!stats) return null;
    const out = b.current.bytesOut + (event.bytes_out ?? 0);
    const recs = b.current.records + (event.records ?? 0);
    const tBytes = spikeThreshold(stats.bytesOut, BYTES);
    const tRecs = spikeThreshold(stats.records, RECORDS);
    const overBytes = out > tBytes;
    const overRecs = recs > tRecs;
    if (!overBytes && !overRecs) return null;
    const what = overBytes
      ? `sent ${bytes(out)} this hour (typical hour: ${bytes(stats.bytesOut.median)})`
      : `touched ${recs} records this hour (typical hour: ${num(stats.records.median)})`;
    return {
      dedupKey: 'data',
      describe: () => ({
        title: `${shortName(event.agent_id)} ${what}`,
        summary: `In the hour starting ${new Date(b.current.hourStartMs).toISOString()}, ${event.agent_id} sent ${bytes(out)} and touched ${recs} records (latest call: ${event.tool}${event.resource ? ` on ${event.resource}` : ''}). Over its last ${stats.hours} active hours: bytes median ${bytes(stats.bytesOut.median)}, p99 ${bytes(stats.bytesOut.p99)}; records median ${num(stats.records.median)}, p99 ${num(stats.records.p99)}. Thresholds: ${bytes(tBytes)} / ${num(tRecs)} records.`,
        evidence: {
          hour_start: new Date(b.current.hourStartMs).toISOString(),
          bytes_out: out,
          records: recs,
          bytes_threshold: tBytes,
          records_threshold: tRecs,
          baseline_bytes_median: stats.bytesOut.median,
          baseline_bytes_p99: stats.bytesOut.p99,
          baseline_records_median: stats.records.median,
          baseline_records_p99: stats.records.p99,
          ...baselineEvidence(ctx),
        },
      }),
    };
  },
});
