// A folder for this run's embedded test databases (test/support/test-database.ts), removed when the run ends.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function makeDatabaseFolder() {
  process.env.TEST_PGLITE_ROOT = mkdtempSync(join(tmpdir(), 'e2e-pglite-'));
}

export function removeDatabaseFolder() {
  if (process.env.TEST_PGLITE_ROOT) rmSync(process.env.TEST_PGLITE_ROOT, { recursive: true, force: true });
}
