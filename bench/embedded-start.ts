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
 * `npm run build`: `node dist/bench/embedded-start.js [--reps 3]`.
 */
const MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'apps', 'api', 'src', 'main.js');

interface StartFigures {
  healthyMs: number;
  idleRssMB: number;
}

function rssMB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]) / 1024;
}

async function startOnce(dataDir: string, port: number, extraEnv: Record<string, string>): Promise<StartFigures> {
  const started = performance.now();
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', BATON_DATA_DIR: dataDir, PORT: String(port), ...extraEnv };
  const child = spawn(process.execPath, [MAIN], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  let healthyMs = NaN;
  while (Number.isNaN(healthyMs)) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${stderr}`);
    if (performance.now() - started > 120_000) break;
    try {
      const response = await fetch(`http://127.0.0.1:${port}/health`);
      await response.text();
      if (response.ok) healthyMs = performance.now() - started;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  // Idle: the start-up garbage has had time to be collected or not; this is what stays.
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  const idleRssMB = rssMB(child.pid!);
  child.kill('SIGTERM');
  await exited;
  return { healthyMs, idleRssMB };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { reps: { type: 'string', default: '3' }, port: { type: 'string', default: '3917' } } });
  const reps = Number(values.reps);
  const port = Number(values.port);
  console.log(`load average before: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const rows: Record<'fresh' | 'second', StartFigures[]> = { fresh: [], second: [] };
  for (let rep = 0; rep < reps; rep++) {
    const dataDir = mkdtempSync(join(tmpdir(), 'baton-start-'));
    try {
      rows.fresh.push(await startOnce(dataDir, port, {}));
      rows.second.push(await startOnce(dataDir, port, {}));
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
