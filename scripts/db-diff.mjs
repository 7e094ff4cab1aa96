// Prints the SQL that would bring prisma/migrations up to prisma/schema.prisma (nothing when they agree).
import { spawnSync } from 'node:child_process';

const build = spawnSync('npm', ['run', '-s', 'build'], { stdio: ['ignore', process.stderr, process.stderr] });
if (build.status !== 0) process.exit(build.status ?? 1);
const { schemaDrift } = await import('../dist/libs/database/src/migrator.js');
const sql = await schemaDrift();
process.stdout.write(sql || '-- prisma/migrations matches prisma/schema.prisma\n');
process.exit(0);
