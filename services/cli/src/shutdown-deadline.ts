import { kafkaErrorFields } from '@agentwatch/collector';
import type { Logger } from 'pino';

/** `up` stopped and its last checkpoint was saved (or there was no state left to save). */
export const EXIT_STOPPED = 0;
/**
 * `up` stopped, but its last checkpoint was not saved (the save failed, or the shutdown deadline passed first): the
 * next start resumes from the previous checkpoint and re-reads what came after it. Nothing is lost.
 */
export const EXIT_CHECKPOINT_NOT_SAVED = 3;
/** The graceful steps after SIGTERM/SIGINT get this long; `up` exits within 30 s whatever the broker or store do. */
export const SHUTDOWN_DEADLINE_MS = 25_000;

const SIGNAL_NUMBERS: Record<string, number> = { SIGINT: 2, SIGTERM: 15 };

/**
 * SIGTERM/SIGINT handling for a long-running command. The first signal resolves {@link requested}; a second one
 * exits at once with 128 + the signal's number (the shell's convention), for an operator who will not wait.
 */
export class ShutdownSignals {
  readonly requested: Promise<string>;
  private signalled = false;

  constructor(
    private readonly log: Logger,
    private readonly exit: (code: number) => void = (code) => process.exit(code),
    /** Where signals come from (tests pass an EventEmitter). */
    source: Pick<NodeJS.EventEmitter, 'on'> = process,
  ) {
    this.requested = new Promise((resolve) => {
      const on = (signal: NodeJS.Signals) => {
        if (this.signalled) {
          this.log.warn({ signal }, 'second signal: exiting now, without waiting for the shutdown');
          this.exit(128 + (SIGNAL_NUMBERS[signal] ?? 1));
          return;
        }
        this.signalled = true;
        this.log.info({ signal }, 'shutting down');
        resolve(signal);
      };
      source.on('SIGTERM', on);
      source.on('SIGINT', on);
    });
  }
}

/**
 * Runs the graceful shutdown `steps` (stop consuming, flush, checkpoint, disconnect, close the store) for at most
 * `deadlineMs`. Resolves with the exit code the steps return; when the deadline passes first, logs one line and
 * resolves with {@link EXIT_STOPPED} if `checkpointSaved()` says the last checkpoint was saved by then, else
 * {@link EXIT_CHECKPOINT_NOT_SAVED}. The caller must then exit the process (steps left hanging hold it open).
 */
export async function withShutdownDeadline(
  steps: () => Promise<number>,
  opts: { deadlineMs?: number; checkpointSaved: () => boolean; log: Logger },
): Promise<{ code: number; timedOut: boolean }> {
  const deadlineMs = opts.deadlineMs ?? SHUTDOWN_DEADLINE_MS;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'deadline'>((resolve) => {
    timer = setTimeout(() => resolve('deadline'), deadlineMs);
  });
  try {
    const r = await Promise.race([steps(), deadline]);
    if (r !== 'deadline') return { code: r, timedOut: false };
  } catch (err) {
    // A broker that is away fails the disconnects: its reason, not a stack.
    opts.log.error(kafkaErrorFields(err), 'shutdown step failed');
    return { code: opts.checkpointSaved() ? EXIT_STOPPED : EXIT_CHECKPOINT_NOT_SAVED, timedOut: false };
  } finally {
    clearTimeout(timer);
  }
  const saved = opts.checkpointSaved();
  opts.log.error(
    { deadline_ms: deadlineMs, checkpoint_saved: saved },
    saved
      ? 'shutdown deadline passed after the last checkpoint was saved; exiting without the remaining steps'
      : 'shutdown deadline passed before the last checkpoint was saved; exiting (the next start resumes from the previous checkpoint)',
  );
  return { code: saved ? EXIT_STOPPED : EXIT_CHECKPOINT_NOT_SAVED, timedOut: true };
}
