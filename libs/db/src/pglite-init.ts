import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PGlite } from '@electric-sql/pglite';

/**
 * PGlite's start-up flags, on top of its defaults. Postgres's defaults suit a server with
 * many clients and its own page cache; PGlite has one connection and its files sit in the
 * OS page cache anyway. Each buffer page that Postgres touches stays in the WebAssembly
 * memory for good (that memory never shrinks), so 128 MB of shared_buffers cost ~100 MB of
 * RSS, and the per-connection arrays of max_connections=100 another ~25 MB.
 */
export const PGLITE_START_PARAMS = [
  ...PGlite.defaultStartParams,
  '-c',
  'shared_buffers=32MB',
  '-c',
  'max_connections=10',
];

// Runs in a child process: create the folder's database and exit.
const INITDB_SCRIPT = `
const { PGlite } = await import(process.argv[1]);
const pglite = new PGlite(process.argv[2]);
await pglite.waitReady;
await pglite.close();
`;

/**
 * Creates a new PGlite database in `dataDir` in a short-lived child process, when the
 * folder has none yet. PGlite runs initdb in a second WebAssembly instance whose memory is
 * not given back to the OS afterwards: done in-process it left a fresh server at ~800 MB of
 * RSS instead of ~300 MB (see docs/performance.md). In a child, that memory goes with it.
 */
export async function initDataFolder(dataDir: string): Promise<void> {
  if (existsSync(join(dataDir, 'PG_VERSION'))) return;
  const pgliteUrl = pathToFileURL(createRequire(import.meta.url).resolve('@electric-sql/pglite')).href;
  const child = spawn(process.execPath, ['--input-type=module', '-e', INITDB_SCRIPT, pgliteUrl, dataDir], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4_000)));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0 || !existsSync(join(dataDir, 'PG_VERSION'))) {
    throw new Error(`creating the embedded database in ${dataDir} failed (exit ${code}):\n${stderr}`);
  }
}
