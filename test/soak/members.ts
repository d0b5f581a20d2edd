// The soak's collectors: `agentwatch up` processes in Kafka mode, one consumer group, each with its own data dir (as on
// separate machines) and its own store fault control file (AGENTWATCH_TEST_STORE_FAULTS). Acts as their supervisor:
// a collector that exits without being told to is counted and started again, as systemd or Kubernetes would.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StoreFaultMode } from '@agentwatch/store';
import { spawnUp, type UpProcess } from '../support/up-process.ts';
import type { Member } from './schedule.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface MemberExit {
  member: Member;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Told to stop (SIGTERM/SIGKILL by the soak) or exited on its own. */
  requested: boolean;
  tail: string;
}

export class SoakMembers {
  private readonly procs = new Map<Member, UpProcess>();
  private readonly history: Array<{ member: Member; up: UpProcess }> = [];
  /** Per member: its actions run one after another (a store fault waits for the restart that a kill began). */
  private readonly chains = new Map<Member, Promise<unknown>>();
  private readonly stopping = new Set<UpProcess>();
  readonly exits: MemberExit[] = [];
  private closed = false;

  constructor(private readonly o: { dir: string; registry: string; env: Record<string, string>; log: (line: string) => void; listenTimeoutMs: number }) {}

  /** Runs `fn` after the actions queued before on `member`. */
  queue<T>(member: Member, fn: () => Promise<T>): Promise<T> {
    const next = (this.chains.get(member) ?? Promise.resolve()).then(fn, fn);
    this.chains.set(
      member,
      next.catch(() => undefined),
    );
    return next;
  }

  /** Every queued action done. */
  async settled(): Promise<void> {
    let before: Array<Promise<unknown>>;
    do {
      before = [...this.chains.values()];
      await Promise.all(before);
    } while ([...this.chains.values()].some((c, i) => c !== before[i]));
  }

  running(member: Member): boolean {
    const p = this.procs.get(member);
    return p !== undefined && p.proc.exitCode === null && p.proc.signalCode === null;
  }

  faultFile(member: Member): string {
    return join(this.o.dir, `${member}.store-faults`);
  }

  setStoreFault(member: Member, mode: StoreFaultMode): void {
    writeFileSync(this.faultFile(member), `${mode}\n`);
  }

  /** Starts the member's collector (its store fault cleared) and resolves once it listens. */
  async start(member: Member): Promise<void> {
    if (this.running(member)) return;
    this.setStoreFault(member, 'none');
    const up = spawnUp(['--registry', this.o.registry, '--data', join(this.o.dir, member), '--listen', '127.0.0.1:0'], {
      ...this.o.env,
      AGENTWATCH_TEST_STORE_FAULTS: this.faultFile(member),
    });
    this.procs.set(member, up);
    this.history.push({ member, up });
    void up.exited.then(({ code, signal }) => {
      const requested = this.stopping.has(up);
      this.exits.push({ member, code, signal, requested, tail: requested ? '' : up.stderr().slice(-2000) });
      if (requested || this.closed) return;
      this.o.log(`collector ${member} exited on its own (code ${code}, signal ${signal}); restarting it as a supervisor would`);
      void this.queue(member, async () => {
        await sleep(1000);
        if (!this.closed && this.procs.get(member) === up) await this.start(member);
      });
    });
    await Promise.race([
      up.base,
      sleep(this.o.listenTimeoutMs).then(() =>
        Promise.reject(new Error(`collector ${member} did not listen within ${this.o.listenTimeoutMs} ms\n${up.stderr().slice(-2000)}`)),
      ),
    ]);
  }

  async kill(member: Member): Promise<void> {
    await this.signal(member, 'SIGKILL');
  }

  /** SIGTERM; resolves with how it exited (its log's last lines unless it exited 0), or null when it was not running. */
  async stop(member: Member): Promise<{ code: number | null; signal: NodeJS.Signals | null; tail: string } | null> {
    return this.signal(member, 'SIGTERM');
  }

  private async signal(member: Member, sig: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; tail: string } | null> {
    const up = this.procs.get(member);
    if (!up || !this.running(member)) return null;
    this.stopping.add(up);
    up.proc.kill(sig);
    const exit = await up.exited;
    const tail = exit.code === 0 ? '' : up.stderr().split('\n').filter(Boolean).slice(-3).join(' | ');
    // Its whole log, for a look afterwards (npm run soak -- --keep).
    if (exit.code !== 0 && sig === 'SIGTERM') writeFileSync(join(this.o.dir, `${member}-${up.proc.pid}-sigterm.log`), up.stderr());
    return { ...exit, tail };
  }

  /** Partitions each member ever held, from the "partitions assigned" lines of all its processes. */
  held(): Record<string, number[]> {
    const out: Record<string, Set<number>> = {};
    for (const [member, up] of this.all()) {
      const set = out[member] ?? new Set<number>();
      out[member] = set;
      for (const line of up.stderr().split('\n')) {
        if (!line.includes('"partitions assigned"')) continue;
        try {
          for (const p of (JSON.parse(line) as { partitions: number[] }).partitions) set.add(p);
        } catch {
          // a partial line
        }
      }
    }
    return Object.fromEntries(Object.entries(out).map(([m, s]) => [m, [...s].sort((x, y) => x - y)]));
  }

  /** Writes every collector process's log to `<dir>/<member>-<pid>.log` (kept runs, for a look afterwards). */
  writeLogs(): void {
    for (const [member, up] of this.all()) writeFileSync(join(this.o.dir, `${member}-${up.proc.pid}.log`), up.stderr());
  }

  /** Members that ever ran. */
  started(): Member[] {
    return [...new Set(this.all().map(([m]) => m))];
  }

  /** Stops supervising and SIGKILLs whatever still runs (teardown). */
  async close(): Promise<void> {
    this.closed = true;
    for (const { up } of this.history) {
      if (up.proc.exitCode !== null || up.proc.signalCode !== null) continue;
      this.stopping.add(up);
      up.proc.kill('SIGKILL');
    }
    await Promise.all(this.history.map(({ up }) => up.exited));
  }

  /** From now on an exit is not restarted (the final stop). */
  endSupervision(): void {
    this.closed = true;
  }

  private all(): Array<[Member, UpProcess]> {
    return this.history.map(({ member, up }) => [member, up]);
  }
}
