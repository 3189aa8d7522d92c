import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BatonSettings } from './baton.js';
import { sleep } from './stats.js';

/**
 * Baton as a child process: `node dist/apps/api/src/main.js` on the bench database, as it is
 * deployed. Its memory and CPU are its own (read from /proc/<pid>), and a second one adds a
 * second event loop. HOST stays 127.0.0.1: with no API token auth is off, which Baton allows
 * on loopback only.
 */
const MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'apps', 'api', 'src', 'main.js');
const live = new Set<ChildProcess>();
/** Children that died without being closed: a scenario waiting on them must fail, not hang. */
const crashed: string[] = [];

/** Throws when a Baton child exited on its own (a crash such as V8's fatal error). */
export function assertChildrenAlive(): void {
  if (crashed.length > 0) throw new Error(crashed.join('\n'));
}
// A crashed bench must not leave servers behind (they would hold the database open).
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export interface BatonProcess {
  url: string;
  pid: number;
  /** VmRSS and VmHWM (peak RSS since start) in MiB, from /proc/<pid>/status. */
  memory(): { rssMB: number; hwmMB: number };
  /** User + system CPU seconds the process has used, from /proc/<pid>/stat. */
  cpuSeconds(): number;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function readMemory(pid: number): { rssMB: number; hwmMB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMB: kb('VmRSS') / 1024, hwmMB: kb('VmHWM') / 1024 };
}

/** Fields 14 and 15 of /proc/<pid>/stat (utime, stime) in clock ticks; USER_HZ is 100 on Linux. */
function readCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * BENCH_CHILD_ENV: settings for every Baton child, as space-separated KEY=VALUE pairs (e.g.
 * `BATON_PG_PREPARED=false` to measure a setting against its default in alternate runs).
 */
function childEnvFromBench(): Record<string, string> {
  const pairs = process.env.BENCH_CHILD_ENV?.split(' ').filter(Boolean) ?? [];
  return Object.fromEntries(
    pairs.map((pair) => {
      const at = pair.indexOf('=');
      if (at < 1) throw new Error(`BENCH_CHILD_ENV: "${pair}" is not KEY=VALUE`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
}

export async function startBatonProcess(
  databaseUrl: string,
  settings: BatonSettings,
  instanceId: string,
  extraEnv: Record<string, string> = {},
): Promise<BatonProcess> {
  const port = await freePort();
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    DATABASE_URL: databaseUrl,
    HOST: '127.0.0.1',
    PORT: String(port),
    BATON_SEED_EXAMPLES: 'false',
    BATON_INSTANCE_ID: instanceId,
    BATON_DB_POOL_SIZE: String(settings.poolSize),
    ORCHESTRATION_MAX_CONCURRENCY: String(settings.concurrency),
    BATON_WORKER_CONCURRENCY: String(settings.concurrency),
    BATON_BODY_LIMIT: '200mb',
    BATON_DEFINITION_BODY_LIMIT: '200mb',
    BATON_MAX_STEPS: '1000000',
    ...childEnvFromBench(),
    ...extraEnv,
  };
  // BENCH_CHILD_NODE_ARGS: extra node flags for the child (e.g. --inspect=127.0.0.1:9333 to profile a stall).
  const nodeArgs = process.env.BENCH_CHILD_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...nodeArgs, MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  const tail: string[] = [];
  const keep = (chunk: Buffer) => {
    const text = chunk.toString();
    if (process.env.BENCH_LOGS) process.stdout.write(`[${instanceId}] ${text}`);
    tail.push(text);
    if (tail.length > 40) tail.shift();
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exited: number | null | undefined;
  let closing = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = code;
      live.delete(child);
      if (!closing) crashed.push(`Baton child ${instanceId} exited on its own (${signal ?? code}):\n${tail.slice(-15).join('')}`);
      resolve();
    }),
  );

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited !== undefined) throw new Error(`Baton child ${instanceId} exited with ${exited} before it was ready:\n${tail.join('')}`);
    try {
      const response = await fetch(`${url}/health`);
      await response.text();
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`Baton child ${instanceId} not ready after 60 s:\n${tail.join('')}`);
    }
    await sleep(50);
  }

  const pid = child.pid!;
  return {
    url,
    pid,
    memory: () => readMemory(pid),
    cpuSeconds: () => readCpuSeconds(pid),
    close: async () => {
      if (exited !== undefined) return;
      closing = true;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exit;
      clearTimeout(timer);
    },
  };
}
