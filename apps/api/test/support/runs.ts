import { waitFor } from '@baton/testing';
import { http } from './test-app.js';

/** Starts a run of an inline plan and returns its body. */
export async function startPlan(url: string, plan: unknown, input: unknown = {}, extra: Record<string, unknown> = {}) {
  const response = await http('POST', `${url}/api/v1/runs`, { plan, input, ...extra });
  if (response.status !== 201 && response.status !== 200) {
    throw new Error(`run not created: ${response.status} ${JSON.stringify(response.body)}`);
  }
  return response.body;
}

/** Polls the run until `predicate` holds (default: a terminal status) and returns it. */
export async function waitForRun(url: string, id: string, predicate?: (run: any) => boolean, timeoutMs = 20_000) {
  const done = predicate ?? ((run: any) => ['completed', 'failed', 'cancelled'].includes(run.status));
  return waitFor(
    async () => {
      const response = await http('GET', `${url}/api/v1/runs/${id}`);
      return done(response.body) ? response.body : undefined;
    },
    { timeoutMs, what: `run ${id}` },
  );
}

export function stepOf(run: any, key: string): any {
  return run.steps.find((s: any) => s.id === key);
}
