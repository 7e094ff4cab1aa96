import { randomUUID } from 'node:crypto';
import { LeaseBusyError, LeasesRepository } from '#libs/billing-records';
import { PrismaService } from '#libs/database';
import { startTestApp, type TestApp } from './support/test-app.js';

/** Database leases, on whichever engine the suite runs: what serialises checkout and webhook work across processes. */
describe('LeasesRepository', () => {
  let testApp: TestApp;
  let leases: LeasesRepository;
  let prisma: PrismaService;

  beforeAll(async () => {
    testApp = await startTestApp();
    leases = testApp.app.get(LeasesRepository);
    prisma = testApp.app.get(PrismaService);
  });

  afterAll(async () => {
    await testApp?.close();
  });

  it('is exclusive: a second holder waits until the first releases, then runs', async () => {
    const key = `test:${randomUUID()}`;
    const order: string[] = [];
    let releaseFirst!: () => void;
    const firstHolds = new Promise<void>((resolve) => (releaseFirst = resolve));
    const first = leases.withLease(key, { ttlMs: 10_000, waitMs: 5_000 }, async () => {
      order.push('first in');
      await firstHolds;
      order.push('first out');
    });
    // Let the first take the lease before the second asks.
    while (order.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const second = leases.withLease(key, { ttlMs: 10_000, waitMs: 5_000 }, async () => {
      order.push('second in');
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(order).toEqual(['first in']);
    releaseFirst();
    await Promise.all([first, second]);
    expect(order).toEqual(['first in', 'first out', 'second in']);
    expect(await prisma.lease.count({ where: { key } })).toBe(0);
  });

  it('gives up with LeaseBusyError after waitMs while another holds it, and releases on failure too', async () => {
    const key = `test:${randomUUID()}`;
    const holder = await leases.acquire(key, { ttlMs: 10_000, waitMs: 0 });
    const startedAt = Date.now();
    await expect(leases.acquire(key, { ttlMs: 10_000, waitMs: 150 })).rejects.toBeInstanceOf(LeaseBusyError);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(100);
    await leases.release(key, holder);

    await expect(
      leases.withLease(key, { ttlMs: 10_000, waitMs: 0 }, () => Promise.reject(new Error('work failed'))),
    ).rejects.toThrow('work failed');
    expect(await prisma.lease.count({ where: { key } })).toBe(0);
  });

  it('expires: a lease its holder never released is taken over once its time is up', async () => {
    const key = `test:${randomUUID()}`;
    const abandoned = await leases.acquire(key, { ttlMs: 50, waitMs: 0 });
    await new Promise((resolve) => setTimeout(resolve, 80));
    const next = await leases.acquire(key, { ttlMs: 10_000, waitMs: 0 });
    expect(next).not.toBe(abandoned);
    // The former holder's late release does not free the new holder's lease.
    await leases.release(key, abandoned);
    expect(await prisma.lease.findUnique({ where: { key } })).toMatchObject({ holder: next });
    await leases.release(key, next);
  });
});
