export { createTestDatabase, testDatabaseKinds, type TestDatabase, type TestDatabaseKind } from './test-database.js';
export { waitFor } from './wait.js';
