export { Database, type DatabaseKind, type Queryable, type QueryResult, type Transaction } from './database.js';
export { DatabaseHealth, isConnectionError, isDatabaseUnavailable, type DatabaseHealthSnapshot, type DatabaseState } from './database-health.js';
export { PgDatabase } from './pg-database.js';
export { PgliteDatabase } from './pglite-database.js';
export { migrate, pendingMigrations, loadMigrations, defaultMigrationsDir, type Migration } from './migrator.js';
export { DbModule, openDatabase } from './db.module.js';
export { DataFolderLockedError, type LockHolder, type LockOwner } from './data-folder-lock.js';
