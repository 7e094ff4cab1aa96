import { randomUUID } from 'node:crypto';
import { linkSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** Who holds an embedded data directory: the content of its lock file. */
export interface LockOwner {
  pid: number;
  hostname: string;
  /** Tells this holder apart from a later one with a recycled pid. */
  token: string;
  acquiredAt: string;
}

export interface DataDirLock {
  /** The holder whose lock was taken over because its process was gone (e.g. after `kill -9`). */
  tookOverFrom?: LockOwner;
  release(): void;
}

/** The data directory is held by a live process (or by one on another host, which cannot be checked). */
export class EmbeddedDatabaseBusyError extends Error {
  constructor(dataDir: string, owner?: LockOwner) {
    const holder = !owner
      ? 'another process'
      : owner.hostname === hostname()
        ? `process ${owner.pid}`
        : `process ${owner.pid} on host ${owner.hostname}`;
    super(
      `The embedded database in ${dataDir} is in use by ${holder} (is the service running?). ` +
        'Stop that process first, or set DATABASE_URL to use PostgreSQL, which the service and the CLI can share.',
    );
    this.name = 'EmbeddedDatabaseBusyError';
  }
}

/** How often a holder checks that the lock is still its own. */
export const LOCK_CHECK_INTERVAL_MS = 2000;
/** The lock file, created exclusively (O_EXCL) with the holder's identity in it. */
export const LOCK_FILE = 'pglite.lock';
// A lock file being written is unreadable for an instant; its writer is presumed alive for this long.
const UNREADABLE_GRACE_MS = 5_000;
// This project's earlier versions locked with a folder of the same name, whose time they refreshed every 10 s.
const EARLIER_VERSION_STALE_MS = 30_000;

/**
 * Takes the data directory for this process. A lock whose holder is a live process (even a stopped one, which can do
 * nothing meanwhile) is never taken; one whose process is gone from this host is taken over. `onLost` is called
 * once if the lock stops being this process's (removed or replaced): the caller must stop using the data.
 */
export function lockDataDir(dataDir: string, onLost: (error: Error) => void): DataDirLock {
  const lockPath = join(dataDir, LOCK_FILE);
  const owner: LockOwner = {
    pid: process.pid,
    hostname: hostname(),
    token: randomUUID(),
    acquiredAt: new Date().toISOString(),
  };
  let tookOverFrom: LockOwner | undefined;
  if (!tryCreate(lockPath, owner)) {
    const holder = readOwner(lockPath);
    if (!isGone(holder, lockPath)) throw new EmbeddedDatabaseBusyError(dataDir, holder);
    if (!removeIfStill(lockPath, holder) || !tryCreate(lockPath, owner)) {
      // Another process took it over first.
      throw new EmbeddedDatabaseBusyError(dataDir, readOwner(lockPath));
    }
    tookOverFrom = holder;
  }

  const watch = setInterval(() => {
    if (readOwner(lockPath)?.token === owner.token) return;
    clearInterval(watch);
    onLost(new Error(`the lock file ${lockPath} was removed or replaced by another process`));
  }, LOCK_CHECK_INTERVAL_MS).unref();

  return {
    tookOverFrom,
    release: () => {
      clearInterval(watch);
      // Only our own lock is ours to remove.
      if (readOwner(lockPath)?.token === owner.token) rmSync(lockPath, { force: true });
    },
  };
}

function tryCreate(lockPath: string, owner: LockOwner): boolean {
  try {
    writeFileSync(lockPath, JSON.stringify(owner), { flag: 'wx', mode: 0o600 });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/**
 * Removes the lock only if it is still the one judged stale: it is moved aside atomically first, and put back if a
 * live holder got there in between. False when it is no longer that lock.
 */
function removeIfStill(lockPath: string, stale: LockOwner | undefined): boolean {
  const aside = `${lockPath}.${randomUUID()}`;
  try {
    renameSync(lockPath, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw error;
  }
  const moved = readOwner(aside);
  if (moved?.token !== stale?.token) {
    try {
      linkSync(aside, lockPath);
    } catch {
      // A third process holds it now; the one moved aside will notice it lost the lock and stop.
    }
    rmSync(aside, { force: true });
    return false;
  }
  rmSync(aside, { recursive: true, force: true });
  return true;
}

function readOwner(lockPath: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(readFileSync(lockPath, 'utf8')) as Partial<LockOwner>;
    if (typeof owner.pid === 'number' && typeof owner.hostname === 'string' && typeof owner.token === 'string') {
      return owner as LockOwner;
    }
  } catch {
    // Missing, being written, or not ours (an earlier version's lock folder): judged by age below.
  }
  return undefined;
}

/** Whether the holder's process is gone; a holder on another host is never presumed gone. */
function isGone(owner: LockOwner | undefined, lockPath: string): boolean {
  if (!owner) {
    try {
      const stat = statSync(lockPath);
      return Date.now() - stat.mtimeMs > (stat.isDirectory() ? EARLIER_VERSION_STALE_MS : UNREADABLE_GRACE_MS);
    } catch {
      return true;
    }
  }
  if (owner.hostname !== hostname()) return false;
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
