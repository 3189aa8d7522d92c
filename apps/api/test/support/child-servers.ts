import { createTestDatabase, type TestDatabase } from '@baton/testing';
import { buildServer, spawnServer, type ChildServer } from './child-server.js';

export interface ChildServers {
  /** The file's private Postgres database (set once `beforeAll` ran). */
  readonly database: TestDatabase;
  /** Starts Baton as a child process on that database, as instance `name`. */
  start(name: string, env?: Record<string, string>): Promise<ChildServer>;
}

/**
 * A private Postgres database and Baton child processes on it, for tests that kill or stop
 * the process itself (SIGKILL crashes, drains). Every child is killed and the database
 * dropped after the file; `env` goes to every child, `start`'s own `env` on top.
 */
/** Set once this test file compiled the server: two groups in one file share the build. */
let built = false;

export function useChildServers(env: Record<string, string> = {}): ChildServers {
  let database: TestDatabase | undefined;
  const children: ChildServer[] = [];
  beforeAll(async () => {
    if (!built) buildServer();
    built = true;
    database = await createTestDatabase('postgres');
  }, 180_000);
  afterAll(async () => {
    for (const child of children) await child.kill();
    await database?.drop();
  });
  return {
    get database() {
      if (!database) throw new Error('the database is created in beforeAll');
      return database;
    },
    async start(name, extra = {}) {
      const child = await spawnServer({ DATABASE_URL: database!.url!, BATON_INSTANCE_ID: name, ...env, ...extra });
      children.push(child);
      return child;
    },
  };
}
