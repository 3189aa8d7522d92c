import type { NestExpressApplication } from '@nestjs/platform-express';
import { BatonConfig } from '@baton/common';
import type { Database } from '@baton/db';
import { createApp } from '@baton/api';
import { sleep } from './stats.js';
import { assertChildrenAlive } from './child.js';

/** A Baton server the harness talks to over HTTP: in this process or a child process. */
export interface BatonServer {
  url: string;
  close(): Promise<void>;
}

/** One in-process Baton server listening on loopback. */
export interface BatonInstance extends BatonServer {
  app: NestExpressApplication;
}

export interface BatonSettings {
  /** ORCHESTRATION_MAX_CONCURRENCY: running steps across all instances. */
  concurrency: number;
  poolSize: number;
}

export async function startBaton(database: Database, settings: BatonSettings, instanceId: string): Promise<BatonInstance> {
  const config = new BatonConfig({
    BATON_SEED_EXAMPLES: 'false',
    BATON_INSTANCE_ID: instanceId,
    BATON_DB_POOL_SIZE: String(settings.poolSize),
    ORCHESTRATION_MAX_CONCURRENCY: String(settings.concurrency),
    BATON_WORKER_CONCURRENCY: String(settings.concurrency),
    BATON_BODY_LIMIT: '200mb',
    BATON_DEFINITION_BODY_LIMIT: '200mb',
    BATON_MAX_STEPS: '1000000',
  });
  const app = await createApp({ config, database, logger: process.env.BENCH_LOGS ? undefined : ['error'] });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, app, close: () => app.close() };
}

export interface PlanStep {
  id: string;
  agent: string;
  depends_on?: string[];
  input?: Record<string, unknown>;
}

/** An inline plan of no-op steps; the step cache is off so every step really runs. */
export function echoPlan(steps: PlanStep[], maxParallel: number): Record<string, unknown> {
  return {
    orchestration: { execution: { concurrency: { maxParallel }, caching: { enabled: false } } },
    steps,
  };
}

export function independentSteps(count: number): PlanStep[] {
  return Array.from({ length: count }, (_, i) => ({ id: `s${i}`, agent: 'builtin:echo' }));
}

export function chainSteps(count: number): PlanStep[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `s${i}`,
    agent: 'builtin:echo',
    ...(i > 0 ? { depends_on: [`s${i - 1}`] } : {}),
  }));
}

export async function postJson<T = any>(url: string, body: unknown): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`POST ${url}: ${response.status} ${text.slice(0, 500)}`);
  return JSON.parse(text) as T;
}

export async function getJson<T = any>(url: string): Promise<T> {
  const response = await fetch(url);
  const text = await response.text();
  if (response.status >= 300) throw new Error(`GET ${url}: ${response.status} ${text.slice(0, 500)}`);
  return JSON.parse(text) as T;
}

/** Submits plans round-robin across instances, `parallel` requests at a time; returns run ids. */
export async function submitRuns(urls: string[], plans: Record<string, unknown>[], parallel = 8): Promise<string[]> {
  const ids: string[] = new Array(plans.length);
  let next = 0;
  const worker = async () => {
    while (next < plans.length) {
      const i = next++;
      const run = await postJson<{ id: string }>(`${urls[i % urls.length]}/api/v1/runs`, { plan: plans[i], input: { n: i } });
      ids[i] = run.id;
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, plans.length) }, worker));
  return ids;
}

const TERMINAL = ['completed', 'failed', 'cancelled'];

/**
 * Waits until every run is terminal, polling the database through the harness's own pool every
 * `pollMs` (so the figure's error is at most one poll). Throws if any run did not complete.
 */
export async function waitForRuns(observer: Database, ids: string[], timeoutMs: number, pollMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await observer.query<{ done: number; failed: number }>(
      `select count(*) filter (where status = any($2::text[]))::int as done,
              count(*) filter (where status <> 'completed' and status = any($2::text[]))::int as failed
         from orchestration_runs where id = any($1::uuid[])`,
      [ids, TERMINAL],
    );
    const { done, failed } = rows[0]!;
    assertChildrenAlive();
    if (failed > 0) throw new Error(`${failed} of ${ids.length} runs did not complete`);
    if (done === ids.length) return;
    if (Date.now() > deadline) throw new Error(`timed out: ${done} of ${ids.length} runs finished after ${timeoutMs} ms`);
    await sleep(pollMs);
  }
}

/** Empties the run tables between repetitions, so each starts from the same table sizes. */
export async function resetRuns(observer: Database): Promise<void> {
  // In a transaction, so a deadlock with the instances' pollers (the truncate takes its
  // tables' locks one by one while they read them) is tried again, as every transaction is.
  await observer.transaction((tx) => tx.exec('truncate orchestration_events, orchestration_steps, orchestration_runs cascade'));
}
