import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * `up.pid` in the data folder: which process holds the embedded store. Embedded ClickHouse opens a folder in one process
 * at a time, and a second opener gets a native error printed by the engine itself; commands that would open the store
 * (`token create`) read this first and say in one line what to do instead (cli.md 1.1).
 */
const PID_FILE = 'up.pid';

/** Records this process as the holder of `dataDir`; the returned function removes the record (at a clean stop). */
export function claimDataDir(dataDir: string): () => void {
  const file = join(dataDir, PID_FILE);
  writeFileSync(file, `${process.pid}\n`);
  return () => rmSync(file, { force: true });
}

/** The pid of a live `up` holding `dataDir`, or null (none recorded, or the one recorded is gone: a crash). */
export function dataDirHolder(dataDir: string): number | null {
  let pid: number;
  try {
    pid = Number(readFileSync(join(dataDir, PID_FILE), 'utf8').trim());
  } catch {
    return null;
  }
  if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid) return null;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (e) {
    // EPERM: alive, owned by someone else; ESRCH: gone.
    return (e as NodeJS.ErrnoException).code === 'EPERM' ? pid : null;
  }
}
