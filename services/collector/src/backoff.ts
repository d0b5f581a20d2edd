/** Exponential backoff between attempts to reach a broker: capped, and jittered so restarted collectors spread out. */
export interface BackoffOptions {
  /** First delay (default 500 ms). */
  initialMs?: number;
  /** No delay is longer (default 30 s). */
  maxMs?: number;
  /** Source of randomness in [0, 1) (tests pass a fixed one). */
  random?: () => number;
}

/**
 * Delay before retry number `attempt` (0 for the first): "equal jitter", half of min(max, initial * 2^attempt)
 * fixed plus up to as much again at random, so it grows, never passes the cap and never drops to zero.
 */
export function backoffDelay(attempt: number, opts: BackoffOptions = {}): number {
  const initialMs = opts.initialMs ?? 500;
  const maxMs = opts.maxMs ?? 30_000;
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (opts.random ?? Math.random)() * (ceiling / 2));
}

/** Resolves after `ms`, or at once (false) when `signal` aborts. */
export function sleepUnlessAborted(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (slept: boolean) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(slept);
    };
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(true), ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
