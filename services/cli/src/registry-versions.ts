import { createHash } from 'node:crypto';
import type { RegistryVersionSummary, Store } from '@agentwatch/store';

interface PendingVersion {
  sha256: string;
  content: string;
  agentCount: number;
  source: string;
  loadedAtMs: number;
}

/** Where a failed write is reported (a pino logger fits). */
export interface VersionLogLogger {
  error(obj: object, msg?: string): void;
}

/**
 * The registry versions `agentwatch up` loads (at start and on each hot reload), recorded in the store's
 * `registry_versions` table with the file's SHA-256, agent count, path, full text and load time, so an alert can be
 * explained against the registry that judged it (GET /v1/registry/versions). A refused reload is not a version: only
 * what came into force is given here. Versions loaded before the store is open wait and are written, in order, once
 * it is attached; a failed write is logged, never fatal (the registry is in force whether recorded or not).
 */
export class RegistryVersionLog {
  private latest: RegistryVersionSummary | null = null;
  private readonly pending: PendingVersion[] = [];
  private store: Store | null = null;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly source: string,
    private readonly log: VersionLogLogger,
    private readonly now: () => number = Date.now,
  ) {}

  /** A registry parsed from `text` with `agentCount` agents came into force now. */
  loaded(text: string, agentCount: number): void {
    const v: PendingVersion = {
      sha256: createHash('sha256').update(text, 'utf8').digest('hex'),
      content: text,
      agentCount,
      source: this.source,
      loadedAtMs: this.now(),
    };
    this.latest = { sha256: v.sha256, loaded_at: new Date(v.loadedAtMs).toISOString(), agent_count: agentCount, source: this.source };
    this.pending.push(v);
    void this.flush();
  }

  /** The version in force (for GET /v1/registry), or null before the first load. */
  get current(): RegistryVersionSummary | null {
    return this.latest;
  }

  /** Starts recording in `store` (migrated), beginning with the versions loaded so far; resolves once they are written. */
  attach(store: Store): Promise<void> {
    this.store = store;
    return this.flush();
  }

  /** Resolves once every version given so far is written (or its failure logged): before the store closes. */
  flush(): Promise<void> {
    const store = this.store;
    if (!store) return this.writing;
    this.writing = this.writing.then(async () => {
      while (this.pending.length > 0) {
        const v = this.pending.shift() as PendingVersion;
        try {
          await store.recordRegistryVersion(v);
        } catch (err) {
          this.log.error({ err, sha256: v.sha256 }, 'recording the registry version failed');
        }
      }
    });
    return this.writing;
  }
}
