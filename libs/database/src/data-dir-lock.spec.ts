import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import {
  EmbeddedDatabaseBusyError,
  LOCK_CHECK_INTERVAL_MS,
  LOCK_FILE,
  lockDataDir,
  type LockOwner,
} from './data-dir-lock.js';

/** A pid that belonged to a process which has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

/** A lock `ageMs` old: an owner's, one still being written (unreadable), or an earlier version's folder. */
function plantLock(dataDir: string, content: Partial<LockOwner> | 'unreadable' | 'folder', ageMs = 0): void {
  const lockPath = join(dataDir, LOCK_FILE);
  if (content === 'folder') mkdirSync(lockPath);
  else writeFileSync(lockPath, content === 'unreadable' ? '{"pid":' : JSON.stringify(content));
  const then = new Date(Date.now() - ageMs);
  utimesSync(lockPath, then, then);
}

const ownerOf = (dataDir: string) => JSON.parse(readFileSync(join(dataDir, LOCK_FILE), 'utf8')) as LockOwner;

describe('lockDataDir', () => {
  let dataDir: string;
  const lost = jest.fn<(error: Error) => void>();

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'lock-'));
    lost.mockReset();
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('records this process as the holder, refuses a second taker by naming it, and removes the lock on release', () => {
    const lock = lockDataDir(dataDir, lost);
    expect(lock.tookOverFrom).toBeUndefined();
    expect(ownerOf(dataDir)).toEqual({
      pid: process.pid,
      hostname: hostname(),
      token: expect.stringMatching(/^[0-9a-f-]{36}$/),
      acquiredAt: expect.any(String),
    });
    expect(() => lockDataDir(dataDir, lost)).toThrow(new EmbeddedDatabaseBusyError(dataDir, ownerOf(dataDir)));
    expect(() => lockDataDir(dataDir, lost)).toThrow(`in use by process ${process.pid} (is the service running?)`);

    lock.release();
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);
    lockDataDir(dataDir, lost).release();
    expect(lost).not.toHaveBeenCalled();
  });

  it('never takes the lock of a live process, however long it has not touched it (a stopped service)', () => {
    const live = {
      pid: process.pid,
      hostname: hostname(),
      token: randomUUID(),
      acquiredAt: '2026-01-01T00:00:00.000Z',
    };
    plantLock(dataDir, live, 3_600_000);
    expect(() => lockDataDir(dataDir, lost)).toThrow(`in use by process ${process.pid}`);
    expect(ownerOf(dataDir)).toEqual(live);
  });

  it('takes over the lock of a process that is gone, and says whose it was', () => {
    const gone = { pid: deadPid(), hostname: hostname(), token: randomUUID(), acquiredAt: '2026-01-01T00:00:00.000Z' };
    plantLock(dataDir, gone);
    const lock = lockDataDir(dataDir, lost);
    try {
      expect(lock.tookOverFrom).toEqual(gone);
      expect(ownerOf(dataDir).pid).toBe(process.pid);
    } finally {
      lock.release();
    }
  });

  it('does not presume a holder on another host gone', () => {
    plantLock(dataDir, { pid: deadPid(), hostname: 'elsewhere.invalid', token: randomUUID(), acquiredAt: 'x' });
    expect(() => lockDataDir(dataDir, lost)).toThrow(/in use by process \d+ on host elsewhere\.invalid/);
  });

  it.each([
    ['a lock file still being written', 'unreadable', 1_000, 6_000],
    ["an earlier version's lock folder (refreshed every 10 s)", 'folder', 20_000, 31_000],
  ] as const)('judges %s by its age', (_name, content, freshMs, staleMs) => {
    plantLock(dataDir, content, freshMs);
    expect(() => lockDataDir(dataDir, lost)).toThrow('in use by another process');
    rmSync(join(dataDir, LOCK_FILE), { recursive: true });

    plantLock(dataDir, content, staleMs);
    const lock = lockDataDir(dataDir, lost);
    expect(ownerOf(dataDir).pid).toBe(process.pid);
    lock.release();
  });

  it('tells its holder once when the lock is replaced by another process, and then leaves it alone', async () => {
    const lock = lockDataDir(dataDir, lost);
    const intruder = { ...ownerOf(dataDir), pid: 1, token: randomUUID() };
    writeFileSync(join(dataDir, LOCK_FILE), JSON.stringify(intruder));
    await new Promise((resolve) => setTimeout(resolve, LOCK_CHECK_INTERVAL_MS * 2 + 200));
    expect(lost).toHaveBeenCalledTimes(1);
    expect(lost.mock.calls[0][0]).toEqual(
      new Error(`the lock file ${join(dataDir, LOCK_FILE)} was removed or replaced by another process`),
    );
    lock.release();
    expect(ownerOf(dataDir)).toEqual(intruder);
  });
});
