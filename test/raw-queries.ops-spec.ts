import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { DatabaseUnavailableError, PrismaService } from '#libs/database';
import { startTestApp, type TestApp } from './support/test-app.js';

/** PrismaService.queryRows: the raw-driver path the portal's one query takes, on whichever engine is configured. */
describe('raw hot-path queries (PrismaService.queryRows)', () => {
  let testApp: TestApp;
  let prisma: PrismaService;

  beforeAll(async () => {
    testApp = await startTestApp();
    prisma = testApp.app.get(PrismaService);
  });

  afterAll(() => testApp?.close());

  it('returns the rows of a prepared statement and counts it as one statement', async () => {
    const before = prisma.statementCount;
    const rows = await prisma.queryRows<{ answer: number }>({
      name: 'raw_queries_spec_answer',
      text: 'SELECT $1::int + 1 AS answer',
      values: [41],
    });
    expect({ rows, statements: prisma.statementCount - before }).toEqual({ rows: [{ answer: 42 }], statements: 1 });
  });

  it('lets a statement error (a bug, not an outage) through unchanged, with its SQLSTATE', async () => {
    const failure = prisma.queryRows({ name: 'raw_queries_spec_typo', text: 'SELEC 1', values: [] });
    await expect(failure).rejects.toMatchObject({ code: '42601' });
    await expect(failure).rejects.not.toBeInstanceOf(DatabaseUnavailableError);
  });

  // Embedded PGlite has one session for everything: a hot-path statement sent while a Prisma transaction is open would
  // run inside it, see its uncommitted rows, and could abort it with an error of its own.
  it('never runs inside a Prisma transaction that is still open', async () => {
    const projectId = randomUUID();
    const seen = async () =>
      (
        await prisma.queryRows<{ n: number }>({
          name: 'raw_queries_spec_project_count',
          text: 'SELECT count(*)::int AS n FROM projects WHERE id = $1::uuid',
          values: [projectId],
        })
      )[0].n;
    let inserted!: () => void;
    const insertedYet = new Promise<void>((resolve) => (inserted = resolve));
    const rolledBack = prisma
      .$transaction(async (tx) => {
        await tx.project.create({ data: { id: projectId, name: 'Uncommitted', ownerId: randomUUID() } });
        inserted();
        await sleep(200);
        throw new Error('roll back');
      })
      .catch((error: Error) => error.message);

    await insertedYet;
    const duringTransaction = await seen();
    expect({ duringTransaction, transaction: await rolledBack, afterwards: await seen() }).toEqual({
      duringTransaction: 0,
      transaction: 'roll back',
      afterwards: 0,
    });
  });

  it('leaves the database as it was when a statement fails while Prisma works alongside', async () => {
    const projectId = randomUUID();
    const divide = (by: number) =>
      prisma.queryRows<{ q: number }>({
        name: 'raw_queries_spec_divide',
        text: 'SELECT 10 / $1::int AS q',
        values: [by],
      });
    const existing = await prisma.project.create({ data: { name: 'Existing', ownerId: randomUUID() } });

    const [failure, rolledBack, found] = await Promise.all([
      divide(0).catch((error: { code?: string }) => error.code),
      prisma
        .$transaction(async (tx) => {
          await tx.project.create({ data: { id: projectId, name: 'Rolled back', ownerId: randomUUID() } });
          throw new Error('roll back');
        })
        .catch((error: Error) => error.message),
      prisma.project.findUnique({ where: { id: existing.id }, select: { name: true } }),
    ]);

    expect({ failure, rolledBack, found }).toEqual({
      failure: '22012',
      rolledBack: 'roll back',
      found: { name: 'Existing' },
    });
    // The failed statement was parsed before it failed: the next call reuses it.
    expect(await divide(5)).toEqual([{ q: 2 }]);
    expect(await prisma.project.count({ where: { id: projectId } })).toBe(0);
  });

  it('turns a database that can no longer be used into DatabaseUnavailableError', async () => {
    const closing = await startTestApp();
    const closed = closing.app.get(PrismaService);
    await closing.close();
    await expect(
      closed.queryRows({ name: 'raw_queries_spec_closed', text: 'SELECT 1', values: [] }),
    ).rejects.toBeInstanceOf(DatabaseUnavailableError);
  });
});
