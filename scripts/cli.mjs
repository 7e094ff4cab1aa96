// Runs the operator CLI, building the project first when there is no compiled CLI yet.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const main = join(root, 'dist', 'apps', 'cli', 'src', 'main.js');

if (!existsSync(main)) {
  // Build output goes to stderr: stdout is reserved for the command's own output (e.g. --json).
  const build = spawnSync('npm', ['run', '-s', 'build'], {
    cwd: root,
    stdio: ['ignore', process.stderr, process.stderr],
    shell: process.platform === 'win32',
  });
  if (build.status !== 0 || !existsSync(main)) {
    console.error('Building the CLI failed (npm run build)');
    process.exit(1);
  }
}

// The CLI reads process.argv.slice(2), which is the same here, and sets the exit code itself.
await import(pathToFileURL(main).href);
