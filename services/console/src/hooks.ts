// Data loading for pages: one request per dependency change, optionally polled (live refresh), with the last good
// answer kept while a refresh is in flight so the page does not flicker or lose focus.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { errorText } from './api.ts';

export interface Loaded<T> {
  data: T | undefined;
  error: string | null;
  loading: boolean;
  reload: () => Promise<void>;
  /** Replace the data locally (an optimistic update) until the next load. */
  set: (fn: (old: T | undefined) => T | undefined) => void;
}

export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, deps: readonly unknown[], pollMs?: number): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const loadRef = useRef(load);
  loadRef.current = load;
  const ctl = useRef<AbortController | null>(null);

  const reload = useCallback(async () => {
    ctl.current?.abort();
    const c = new AbortController();
    ctl.current = c;
    setLoading(true);
    try {
      const d = await loadRef.current(c.signal);
      if (!c.signal.aborted) {
        setData(d);
        setError(null);
      }
    } catch (e) {
      if (!c.signal.aborted) setError(errorText(e));
    } finally {
      if (!c.signal.aborted) setLoading(false);
    }
  }, []);

  // The caller names what the load depends on (`deps`); the load itself is read through a ref.
  useEffect(() => {
    setData(undefined);
    void reload();
    if (!pollMs) return () => ctl.current?.abort();
    const t = setInterval(() => {
      if (document.visibilityState === 'visible') void reload();
    }, pollMs);
    return () => {
      clearInterval(t);
      ctl.current?.abort();
    };
  }, deps);

  return { data, error, loading, reload, set: (fn) => setData((old) => fn(old)) };
}

/** Sets document.title (each page names itself, for screen readers and the tab strip). */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · agentwatch`;
  }, [title]);
}
