import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median } from './lib/stats.js';

/**
 * How long the embedded (PGlite) server takes to answer `/health`, and how much memory it
 * holds once idle: a fresh data folder, then a second start on the same folder, each one a
 * new `node dist/apps/api/src/main.js` as `npm start` runs it (examples seeded). Run after
 * `npm run build`: `node dist/bench/embedded-start.js [--reps 3] [--npm]`. With `--npm` each
 * start is `npm start` itself (the build included), and RSS is the server's (npm's child).
 */
const MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'apps', 'api', 'src', 'main.js');
const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

interface StartFigures {
  healthyMs: number;
  idleRssMB: number;
}

function rssMB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]) / 1024;
}

/** The process under `pid` (itself included) that runs main.js: with --npm, npm's grandchild. */
function serverPid(pid: number): number | undefined {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (/(^|\/)node$/.test(argv[0] ?? '') && argv[1]?.endsWith('main.js')) return pid;
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    for (const child of children) {
      const found = serverPid(Number(child));
      if (found) return found;
    }
  } catch {
    // exited meanwhile
  }
  return undefined;
}

async function startOnce(dataDir: string, port: number, viaNpm: boolean): Promise<StartFigures> {
  const started = performance.now();
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', BATON_DATA_DIR: dataDir, PORT: String(port) };
  const [command, args] = viaNpm ? ['npm', ['start']] : [process.execPath, [MAIN]];
  // Its own process group, so the whole tree (npm, sh, node) is stopped together by that group's id.
  const child = spawn(command, args, { cwd: REPO, env, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  try {
    const healthyMs = await firstHealthy(port, started, () => {
      if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${stderr}`);
    });
    // Idle: the start-up garbage has had time to be collected or not; this is what stays.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const server = serverPid(child.pid!);
    return { healthyMs, idleRssMB: server === undefined ? NaN : rssMB(server) };
  } finally {
    if (child.exitCode === null) process.kill(-child.pid!, 'SIGTERM');
    await exited;
  }
}

/** Milliseconds from `started` to the first 200 from /health (NaN after 2 minutes). */
async function firstHealthy(port: number, started: number, check: () => void): Promise<number> {
  while (performance.now() - started < 120_000) {
    check();
    try {
      const response = await fetch(`http://127.0.0.1:${port}/health`);
      await response.text();
      if (response.ok) return performance.now() - started;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  return NaN;
}

function viaLabel(npm: boolean): string {
  return npm ? 'each start: npm start (build + server)' : 'each start: node dist/apps/api/src/main.js';
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { reps: { type: 'string', default: '3' }, port: { type: 'string', default: '3917' }, npm: { type: 'boolean', default: false } },
  });
  const reps = Number(values.reps);
  const port = Number(values.port);
  console.log(viaLabel(values.npm!));
  console.log(`load average before: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const rows: Record<'fresh' | 'second', StartFigures[]> = { fresh: [], second: [] };
  for (let rep = 0; rep < reps; rep++) {
    const dataDir = mkdtempSync(join(tmpdir(), 'baton-start-'));
    try {
      rows.fresh.push(await startOnce(dataDir, port, values.npm!));
      rows.second.push(await startOnce(dataDir, port, values.npm!));
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  for (const [name, list] of Object.entries(rows)) {
    const ms = list.map((f) => f.healthyMs);
    const rss = list.map((f) => f.idleRssMB);
    const fmt = (xs: number[], digits: number) => xs.map((x) => x.toFixed(digits)).join(', ');
    console.log(
      `${name.padEnd(6)}  healthy median ${median(ms).toFixed(0)} ms [${fmt(ms, 0)}]   idle RSS median ${median(rss).toFixed(0)} MB [${fmt(rss, 0)}]`,
    );
  }
  console.log(`load average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
