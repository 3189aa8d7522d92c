export { createTestDatabase, testDatabaseKinds, type TestDatabase, type TestDatabaseKind } from './test-database.js';
export { waitFor } from './wait.js';
export { TestOidcProvider, type SignOptions } from './oidc-provider.js';
export { expectWithinBound, since, LOAD_SENSITIVE } from './load-bound.js';
