/**
 * jest runs TypeScript as ESM (NestJS 12 is ESM-only): ts-jest with useESM and
 * isolatedModules (type-checking is `npm run typecheck`), under
 * NODE_OPTIONS=--experimental-vm-modules. `@baton/*` maps to each library's index.
 */
const lib = (name) => `<rootDir>/libs/${name}/src/index.ts`;

export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  testMatch: ['<rootDir>/**/*.spec.ts', '<rootDir>/**/*.int-spec.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/dist-test/'],
  moduleNameMapper: {
    '^@baton/api$': '<rootDir>/apps/api/src/index.ts',
    '^@baton/([a-z0-9-]+)$': lib('$1'),
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
  testTimeout: 60_000,
  maxWorkers: process.env.CI ? 2 : '50%',
  // Each test file loads the whole app into a fresh module registry, and a worker keeps part
  // of every registry it ran (about 20 MB a suite, measured with --logHeapUsage): a worker
  // that ran a hundred suites spends its time in the garbage collector. Past this heap the
  // worker is replaced between files. It also keeps jest from running in band on one core.
  workerIdleMemoryLimit: '640MB',
};
