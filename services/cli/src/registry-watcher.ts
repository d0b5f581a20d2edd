import { type FSWatcher, readFileSync, watch } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { type CompiledRegistry, parseRegistry, type RegistryProblem } from '@agentwatch/detections';

export interface RegistryWatcherEvents {
  /** A new valid registry is in force; `text` is the file's text it was parsed from. */
  onLoaded(registry: CompiledRegistry, text: string): void;
  /** A changed file failed validation; the previous registry stays in force. */
  onRejected(problems: RegistryProblem[]): void;
}

/**
 * Keeps the registry file in force and reloads it when it changes (hot reload). A changed file that
 * fails validation is refused as a whole and the previous registry stays in force (registry.md).
 * Watches the directory, not the file, so editors that save by rename are followed too.
 */
export class RegistryWatcher {
  private current: CompiledRegistry;
  private watcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastText: string;
  private currentText: string;
  private readonly path: string;

  /** Loads the file once; throws when it cannot be read or is invalid (nothing to fall back to yet). */
  constructor(
    path: string,
    private readonly events: RegistryWatcherEvents,
    private readonly debounceMs = 100,
  ) {
    this.path = resolve(path);
    this.lastText = readFileSync(this.path, 'utf8');
    const r = parseRegistry(this.lastText, path);
    if (!r.ok) throw new Error(`registry ${path} refused:\n${r.problems.map((p) => `  ${p.file}: ${p.path}: ${p.message}`).join('\n')}`);
    this.current = r.registry;
    this.currentText = this.lastText;
  }

  get registry(): CompiledRegistry {
    return this.current;
  }

  /** The file's text the registry in force was parsed from. */
  get text(): string {
    return this.currentText;
  }

  start(): this {
    const name = basename(this.path);
    this.watcher = watch(dirname(this.path), (_type, file) => {
      if (file !== null && file !== name) return;
      if (this.timer) clearTimeout(this.timer);
      this.timer = setTimeout(() => this.reload(), this.debounceMs);
    });
    return this;
  }

  /** Re-reads the file now; returns whether a new registry came into force. */
  reload(): boolean {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (e) {
      this.events.onRejected([{ file: this.path, path: '(file)', message: `cannot read: ${(e as Error).message}` }]);
      return false;
    }
    if (text === this.lastText) return false;
    this.lastText = text;
    const r = parseRegistry(text, this.path);
    if (!r.ok) {
      this.events.onRejected(r.problems);
      return false;
    }
    this.current = r.registry;
    this.currentText = text;
    this.events.onLoaded(r.registry, text);
    return true;
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.watcher?.close();
    this.watcher = null;
  }
}
