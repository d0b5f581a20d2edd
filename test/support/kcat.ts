// kcat (librdkafka's command-line client): a real producer and consumer that is not kafkajs, for the codec test.
// The kafka project's global setup installs it (scripts/ensure-kcat.sh); tests read inject('kcatUnavailable').
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './kafka.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Empty when kcat is on PATH; otherwise why it is not (the codec test fails under CI, skips elsewhere). */
    kcatUnavailable: string;
  }
}

/** Runs scripts/ensure-kcat.sh (installs Debian's kcat as root when missing); '' when kcat is there, else why not. */
export function ensureKcat(): string {
  const r = spawnSync('bash', [join(REPO_ROOT, 'scripts', 'ensure-kcat.sh')], { encoding: 'utf8', timeout: 300_000 });
  if (r.status === 0) return '';
  return (r.stderr || r.error?.message || `ensure-kcat.sh exited with ${r.status}`).trim().split('\n').pop() ?? 'kcat missing';
}
