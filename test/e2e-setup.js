// A folder for this run's embedded test databases (test/support/test-database.ts), removed when the run ends.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Throwaway databases live in memory (tmpfs) where the machine has one: on disk, every app's copy of the template
// waits behind whatever the disk is writing back (right after `npm ci`, hundreds of megabytes).
const RUN_FOLDER_PARENT = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();

export default function makeDatabaseFolder() {
  process.env.TEST_PGLITE_ROOT = mkdtempSync(join(RUN_FOLDER_PARENT, 'e2e-pglite-'));
}

export function removeDatabaseFolder() {
  if (process.env.TEST_PGLITE_ROOT) rmSync(process.env.TEST_PGLITE_ROOT, { recursive: true, force: true });
}
