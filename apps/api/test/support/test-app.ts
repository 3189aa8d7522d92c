import type { NestExpressApplication } from '@nestjs/platform-express';
import { BatonConfig } from '@baton/common';
import type { Database } from '@baton/db';
import { createTestDatabase, type TestDatabase, type TestDatabaseKind } from '@baton/testing';
import { createApp } from '@baton/api';

export interface TestApp {
  app: NestExpressApplication;
  url: string;
  config: BatonConfig;
  close(): Promise<void>;
}

/** A real Baton server on 127.0.0.1 and a free port, on the given database. */
export async function startTestApp(database: Database, env: Record<string, string> = {}): Promise<TestApp> {
  const config = new BatonConfig({ BATON_SEED_EXAMPLES: 'false', BATON_POLL_INTERVAL_MS: '1000', ...(process.env.BATON_HANDOFF ? { BATON_HANDOFF: process.env.BATON_HANDOFF } : {}), ...env });
  const app = await createApp({ config, database, logger: process.env.TEST_LOGS ? undefined : ['error'] });
  try {
    await app.listen(0, '127.0.0.1');
  } catch (error) {
    // A start-up that fails (a bad bootstrap file) must not leave its timers and listeners behind.
    await app.close().catch(() => undefined);
    throw error;
  }
  const address = app.getHttpServer().address() as { port: number };
  return { app, url: `http://127.0.0.1:${address.port}`, config, close: () => app.close() };
}

/** fetch + JSON for tests: returns status and parsed body. */
export async function http<T = any>(
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: T; headers: Headers }> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    if (typeof body === 'string') {
      init.body = body;
    } else {
      init.body = JSON.stringify(body);
      (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
    }
  }
  const response = await fetch(url, init);
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body: parsed as T, headers: response.headers };
}

/**
 * The usual suite set-up: a cloned test database of `kind` and a server on it, started
 * before the suite and closed after. Read the fields inside tests (they are set in beforeAll).
 */
export function useTestServer(
  kind: TestDatabaseKind,
  env: Record<string, string> = {},
): { readonly url: string; readonly database: TestDatabase; readonly server: TestApp; restart(): Promise<void> } {
  const state = {} as { database: TestDatabase; server: TestApp };
  beforeAll(async () => {
    state.database = await createTestDatabase(kind);
    state.server = await startTestApp(state.database.db, env);
  });
  afterAll(async () => {
    await state.server?.close();
    await state.database?.drop();
  });
  return {
    get url() {
      return state.server.url;
    },
    get database() {
      return state.database;
    },
    get server() {
      return state.server;
    },
    /** Closes the server and starts a new one on the same database (a restart). */
    async restart() {
      await state.server.close();
      state.server = await startTestApp(state.database.db, env);
    },
  };
}
