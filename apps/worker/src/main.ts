import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { loadHandlers } from './handlers.js';
import { WorkerNode } from './worker-node.js';

/**
 * `node dist/apps/worker/src/main.js`: a reference worker node. Configuration from the
 * environment: BATON_URL, BATON_NODE_REGISTRATION_TOKEN, WORKER_HANDLERS (a folder of
 * `<agent>.js` handlers), WORKER_NAME (the host name), WORKER_MAX_JOBS (1), WORKER_LABELS
 * (`gpu=a100,zone=b`) and WORKER_RESOURCES (`memory_gb=32,gpus=2`), which steps select nodes by.
 */
async function main(): Promise<void> {
  const baseUrl = (process.env.BATON_URL ?? 'http://127.0.0.1:3000').replace(/\/$/, '');
  const registrationToken = process.env.BATON_NODE_REGISTRATION_TOKEN;
  if (!registrationToken) throw new Error('BATON_NODE_REGISTRATION_TOKEN is required');
  const handlers = await loadHandlers(resolve(process.env.WORKER_HANDLERS ?? 'handlers'));
  const maxJobs = Number(process.env.WORKER_MAX_JOBS ?? '1');
  if (!Number.isInteger(maxJobs) || maxJobs < 1) throw new Error('WORKER_MAX_JOBS must be a positive integer');
  const labels = pairs(process.env.WORKER_LABELS, 'WORKER_LABELS', (v) => v);
  const resources = pairs(process.env.WORKER_RESOURCES, 'WORKER_RESOURCES', (v) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`WORKER_RESOURCES: ${v} is not a number >= 0`);
    return n;
  });
  const worker = new WorkerNode({ baseUrl, registrationToken, name: process.env.WORKER_NAME ?? hostname(), maxJobs, handlers, labels, resources });
  // SIGTERM drains: no new job, the ones in hand finish (a SIGKILL leaves them to lease expiry).
  process.once('SIGTERM', () => worker.stop());
  process.once('SIGINT', () => worker.stop());
  await worker.run();
  process.exit(0);
}

/** `a=1,b=2` → { a: '1', b: '2' } through `parse`. */
function pairs<T>(text: string | undefined, name: string, parse: (value: string) => T): Record<string, T> {
  const result: Record<string, T> = {};
  for (const pair of (text ?? '').split(',').map((p) => p.trim()).filter(Boolean)) {
    const at = pair.indexOf('=');
    if (at < 1) throw new Error(`${name}: "${pair}" is not name=value`);
    result[pair.slice(0, at)] = parse(pair.slice(at + 1));
  }
  return result;
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
