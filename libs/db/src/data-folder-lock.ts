import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { hostname } from 'node:os';

/**
 * One process at a time may open a PGlite data folder: PGlite keeps the database's state in
 * its own memory, so a second opener would neither see the first one's writes nor be seen by
 * it, and both would write the same files. The holder is recorded in `<folder>.lock` (next to
 * the folder, not inside it: initdb wants an empty folder), created with O_EXCL so only one
 * opener can win. A lock whose process is gone (or whose pid now belongs to another program)
 * is stale and taken over, so a crash never blocks the folder for good.
 */
export type LockOwner = 'server' | 'cli' | 'process';

export interface LockHolder {
  pid: number;
  /** The process's start time in clock ticks since boot (Linux), so a reused pid is not mistaken for the holder. */
  startTicks: number | null;
  hostname: string;
  owner: LockOwner;
  since: string;
}

export class DataFolderLockedError extends Error {
  readonly code = 'data_folder_locked';

  constructor(
    readonly folder: string,
    readonly lockFile: string,
    readonly holder: LockHolder,
  ) {
    const who = holder.owner === 'server' ? 'a Baton server' : holder.owner === 'cli' ? 'the baton CLI' : 'another process';
    super(
      `the embedded database folder ${folder} is in use by ${who} (pid ${holder.pid} on ${holder.hostname}, since ${holder.since}). ` +
        'Only one process may open it at a time: stop that process first' +
        (holder.owner === 'server' ? ", or send the request through that server's HTTP API" : '') +
        `. If that process no longer exists, delete ${lockFile}.`,
    );
    this.name = 'DataFolderLockedError';
  }
}

export interface DataFolderLock {
  readonly path: string;
  release(): void;
}

/** Field 22 of /proc/<pid>/stat; null where /proc is not there (macOS). */
function startTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
  } catch {
    return null;
  }
}

function isAlive(holder: LockHolder): boolean {
  if (holder.hostname !== hostname()) return true; // another machine's process: cannot check, so respect it
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false; // ESRCH: gone
  }
  // Alive, but is it the same process? After a reboot or a long time the pid may be reused.
  return holder.startTicks === null || startTicks(holder.pid) === holder.startTicks;
}

function readHolder(path: string): LockHolder | null {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as LockHolder;
    return Number.isInteger(parsed.pid) ? parsed : null;
  } catch {
    return null;
  }
}

/** A lock file this young with no readable holder is being written by its creator right now. */
const WRITE_GRACE_MS = 2_000;

function ageMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return Infinity;
  }
}

/** Takes the lock on `folder` for this process or throws DataFolderLockedError naming the holder. */
export async function lockDataFolder(folder: string, owner: LockOwner): Promise<DataFolderLock> {
  const path = `${folder}.lock`;
  const me: LockHolder = { pid: process.pid, startTicks: startTicks(process.pid), hostname: hostname(), owner, since: new Date().toISOString() };
  for (let attempt = 1; ; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx', 0o644);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 50) throw error;
      const holder = readHolder(path);
      if (holder && isAlive(holder)) throw new DataFolderLockedError(folder, path, holder);
      if (!holder && ageMs(path) < WRITE_GRACE_MS) {
        await sleep(50); // created a moment ago, its record not written yet
        continue;
      }
      // Stale: its process is gone, or it crashed between creating and writing the file. Check
      // it is still the same record just before removing it, so two openers that both judged
      // it stale do not remove the lock the faster one has just taken.
      if (JSON.stringify(readHolder(path)) === JSON.stringify(holder)) {
        try {
          unlinkSync(path);
        } catch (unlinkError) {
          if ((unlinkError as NodeJS.ErrnoException).code !== 'ENOENT') throw unlinkError;
        }
      }
      continue;
    }
    writeSync(fd, JSON.stringify(me));
    closeSync(fd);
    return {
      path,
      release: () => {
        // Only our own record: never delete a lock another process took over after us.
        if (readHolder(path)?.pid !== process.pid) return;
        try {
          unlinkSync(path);
        } catch {
          // already gone
        }
      },
    };
  }
}
