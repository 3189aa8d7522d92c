import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from '@baton/testing';

/**
 * The compiled server (`dist/apps/api/src/main.js`) as a real child process, for tests that
 * must kill a Baton process the hard way (SIGKILL) and start another on the same database.
 */

/** The repository root: the folder above `apps/`. */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
// Its own output folder: a build here must not race `npm start` or `npm run bench` in dist/.
const OUT_DIR = join(REPO_ROOT, 'dist-test');
export const SERVER_ENTRY = join(OUT_DIR, 'apps', 'api', 'src', 'main.js');

/**
 * Compiles the server so the child runs the code under test, not a stale dist. Throws with
 * the compiler output when the build fails.
 */
export function buildServer(): void {
  const result = spawnSync(
    'sh',
    ['-c', `npx tsc -p tsconfig.build.json --outDir ${OUT_DIR} && npx tsc-alias -p tsconfig.build.json --outDir ${OUT_DIR}`],
    { cwd: REPO_ROOT, encoding: 'utf8', env: childEnv({}) },
  );
  if (result.status !== 0 || !existsSync(SERVER_ENTRY)) {
    throw new Error(`building the server failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  }
}

/** A port that was free a moment ago (listen on 0, read it, close). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface ChildServer {
  url: string;
  instanceId: string;
  process: ChildProcess;
  /** The last lines the child wrote (stdout and stderr), for failure messages. */
  logs(): string;
  /** SIGKILL, then wait for the exit: no shutdown hook runs, leases stay as they were. */
  kill(): Promise<void>;
  /** SIGTERM and wait (graceful); SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

const LOG_LIMIT = 20_000;

/** Starts `node dist/apps/api/src/main.js` with `env` and resolves once `/ready` answers 200. */
export async function spawnServer(env: Record<string, string>): Promise<ChildServer> {
  const port = await freePort();
  const instanceId = env.BATON_INSTANCE_ID ?? `child-${port}`;
  const child = spawn(process.execPath, [SERVER_ENTRY], {
    cwd: REPO_ROOT,
    env: childEnv({
      HOST: '127.0.0.1',
      PORT: String(port),
      BATON_INSTANCE_ID: instanceId,
      BATON_SEED_EXAMPLES: 'false',
      ...env,
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-LOG_LIMIT);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const url = `http://127.0.0.1:${port}`;
  const server: ChildServer = {
    url,
    instanceId,
    process: child,
    logs: () => output,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    stop: async (graceMs = 10_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}`);
        const response = await fetch(`${url}/ready`);
        return response.status === 200;
      },
      { timeoutMs: 60_000, intervalMs: 100, what: `child server on ${url}` },
    );
  } catch (error) {
    await server.kill();
    throw new Error(`${(error as Error).message}\n--- child output ---\n${output}`);
  }
  return server;
}

/** The parent's environment without jest's NODE_OPTIONS (the child is plain Node). */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.NODE_OPTIONS;
  return env;
}
