/** @type {import('jest').Config} */
const tsJest = [
  'ts-jest',
  { useESM: true, tsconfig: 'tsconfig.json', diagnostics: { ignoreCodes: ['TS151001', 'TS151002'] } },
];
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
    // package.json#imports points #libs/<name> at the compiled dist/ for Node; tests load the TypeScript sources.
    '^#libs/([a-z-]+)$': '<rootDir>/libs/$1/src/index.ts',
  },
  transform: { '^.+\\.ts$': tsJest },
  testEnvironment: 'node',
};

export default {
  testTimeout: 30_000,
  // Jest's default (one worker less than the cores) runs everything in one process on a 2-core machine; most suites
  // wait on sockets, so a worker per core nearly halves the wall time (measured: 332 s -> 195 s).
  maxWorkers: '100%',
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/apps/**/*.spec.ts', '<rootDir>/libs/**/*.spec.ts'] },
    // In-process end-to-end: the whole app on a loopback port, embedded PGlite (or DATABASE_URL), the Stripe stub.
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/e2e-setup.js',
      globalTeardown: '<rootDir>/test/e2e-teardown.js',
    },
    // The same in-process set-up for how the service operates and fails: the CLI's commands, migrations and engines,
    // raw hot-path queries, stored secrets under changed keys, rate limits, HTTP limits, Stripe and database faults,
    // metrics and logs, the database leases, the Node 20 overrides and the Stripe stub's own test (npm run test:system,
    // on PGlite and then on PostgreSQL).
    {
      ...common,
      displayName: 'ops',
      testMatch: ['<rootDir>/test/**/*.ops-spec.ts'],
      globalSetup: '<rootDir>/test/e2e-setup.js',
      globalTeardown: '<rootDir>/test/e2e-teardown.js',
    },
    // Spawned processes and long runs (CLI binary, start-up, shutdown, deployment tree, soak, browser): npm run test:system.
    {
      ...common,
      displayName: 'system',
      testMatch: ['<rootDir>/test/**/*.system-spec.ts'],
      globalSetup: '<rootDir>/test/global-setup.js',
      // A spawned service initialises its embedded database first (several seconds of CPU on a loaded 2-core machine).
      testTimeout: 90_000,
    },
  ],
};
