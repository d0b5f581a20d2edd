#!/usr/bin/env node
// `npm audit --omit=dev --audit-level=high` for CI, telling apart the two reasons npm exits 1:
// - a report: fails when it lists a high or critical advisory against a runtime dependency, passes otherwise;
// - no report, because the registry's audit endpoint could not be reached or would not answer (a connection error,
//   or an HTTP error status from the endpoint, e.g. a mirror without audit support): prints that nothing was checked
//   and passes. It never prints a result it did not get.
// Anything else npm reports (no lockfile, a broken install) fails: that is not "the endpoint cannot be reached".
import { spawnSync } from 'node:child_process';

const args = ['audit', '--omit=dev', '--audit-level=high', '--json', '--fetch-retries=1', '--fetch-timeout=30000'];
const run = spawnSync('npm', args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
const stdout = run.stdout ?? '';
const stderr = run.stderr ?? '';

/** @returns {Record<string, unknown> | null} */
function parse(text) {
  try {
    const v = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? v : null;
  } catch {
    return null;
  }
}

const out = parse(stdout);
const counts = out?.metadata?.vulnerabilities;
if (counts && typeof counts === 'object') {
  const high = Number(counts.high ?? 0);
  const critical = Number(counts.critical ?? 0);
  const summary = ['critical', 'high', 'moderate', 'low', 'info'].map((s) => `${counts[s] ?? 0} ${s}`).join(', ');
  if (high + critical > 0) {
    const names = Object.values(out.vulnerabilities ?? {})
      .filter((v) => v && (v.severity === 'high' || v.severity === 'critical'))
      .map((v) => `${v.name} (${v.severity})`);
    console.log(`npm audit: FAILED: runtime dependencies have ${summary} advisories: ${names.join(', ')}`);
    console.log('run `npm audit --omit=dev` for the advisories and fixes');
    process.exit(1);
  }
  console.log(`npm audit: no high or critical advisory in runtime dependencies (${summary})`);
  process.exit(0);
}

const message = typeof out?.message === 'string' ? out.message : '';
const httpStatus = typeof out?.statusCode === 'number' ? out.statusCode : null;
const unreachable = /\brequest to \S+ failed\b|\b(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|EHOSTUNREACH|ENETUNREACH)\b/.test(
  `${message}\n${stderr}`,
);
if (unreachable || (httpStatus !== null && httpStatus >= 400)) {
  const why = message || stderr.trim().split('\n')[0] || 'no answer';
  console.log(`npm audit: COULD NOT CHECK: the registry's audit endpoint could not be reached or did not answer (${why}); not failing CI for it`);
  process.exit(0);
}
console.log(`npm audit: FAILED to run (exit ${run.status ?? run.signal}):`);
console.log(stdout.slice(0, 4000));
console.log(stderr.slice(0, 4000));
process.exit(1);
