import {
  OrchestrationRunFactoryService,
  RunControlService,
  RunQueryService,
  RUN_STATUSES,
  isTerminalRun,
  type Run,
  presentRun,
  presentRunWithSteps,
} from '@baton/runs';
import { assertOwnerReaches } from '@baton/common';
import type { McpTool, ToolCaller, ToolContext } from './mcp-tool.js';
import { CURSOR_OUT, LIST, OBJECT, args, cursor, limit, result, text, uuid } from './schemas.js';

const RUN_OUT = result({ run: OBJECT });
const runId = uuid('the run id');

/** Start, read and steer runs: the REST routes under /api/v1/runs, as tools. */
export function runTools(factory: OrchestrationRunFactoryService, query: RunQueryService, control: RunControlService): McpTool[] {
  const withSteps = async (id: string) => ({ run: presentRunWithSteps(await query.get(id)) });
  /** Tenancy (issue 13): another owner's run is "not found" to a bound token, as over REST. */
  const owned = async (id: string, caller: ToolCaller) => {
    const bound = boundOwner(caller);
    if (bound !== undefined) assertOwnerReaches(bound, (await query.getRun(id)).owner, 'run', id);
  };
  return [
    {
      name: 'start_run',
      title: 'Start a run',
      description:
        'Starts a run of a saved definition ({ definition: { name, version? } }) or of an inline plan ({ plan: { steps: [...] } }), ' +
        'with optional input. Give exactly one of definition or plan. A repeated idempotencyKey returns the first run.',
      permissions: ['runs.submit'],
      inputSchema: args({
        definition: args({ name: text('definition name'), version: text('version; latest when absent', 100) }, ['name']),
        plan: { type: 'object', description: 'an inline plan: the body of a definition without name and version' },
        input: { description: 'the run input, available to steps as {{ input }}' },
        idempotencyKey: text('a key that makes retried submissions start one run'),
        metadata: { type: 'object' },
        budget: {
          type: 'object',
          description: 'limits for the run tree: { max_steps, max_turns, max_tokens, max_cost, max_wall_seconds, on_exceed: fail | pause | ask }, over the definition\'s budget',
        },
      }),
      outputSchema: result({ run: OBJECT, created: { type: 'boolean' } }),
      async call(a, caller) {
        const tokenId = 'tokenId' in caller.principal ? caller.principal.tokenId : null;
        const bound = boundOwner(caller);
        const { run, created } = await factory.create({
          // A bound token starts runs of its own owner only (its definitions, its inline plans).
          definition: a.definition && bound !== undefined ? { ...a.definition, owner: bound } : a.definition,
          plan: a.plan,
          planOwner: bound,
          input: a.input,
          idempotencyKey: a.idempotencyKey,
          metadata: a.metadata,
          budget: a.budget,
          submittedBy: tokenId,
        });
        return { ...(await withSteps(run.id)), created };
      },
    },
    {
      name: 'get_run',
      title: 'Get a run',
      description: 'A run with its status, progress (done, total, current steps), outputs, error and steps.',
      permissions: ['read'],
      inputSchema: args({ runId }, ['runId']),
      outputSchema: RUN_OUT,
      async call(a, caller) {
        await owned(a.runId, caller);
        return withSteps(a.runId);
      },
    },
    {
      name: 'list_runs',
      title: 'List runs',
      description: 'Runs, newest first, optionally filtered by status or definition name; page with nextCursor.',
      permissions: ['read'],
      inputSchema: args({ status: { type: 'string', enum: [...RUN_STATUSES] }, definition: text('definition name'), limit, cursor }),
      outputSchema: result({ runs: LIST, nextCursor: CURSOR_OUT }),
      async call(a, caller) {
        const page = await query.list({ status: a.status, definition: a.definition, owner: boundOwner(caller), limit: a.limit, cursor: a.cursor });
        return { runs: page.runs.map(presentRun), nextCursor: page.nextCursor ?? null };
      },
    },
    {
      name: 'wait_for_run',
      title: 'Wait for a run',
      description:
        'Waits until a run is finished (completed, failed, cancelled) or waits for a person (waiting), at most timeoutSeconds ' +
        '(default 60), and returns it. A client that sends a progressToken gets notifications/progress as steps finish ' +
        '(progress = steps done, total = steps).',
      permissions: ['read'],
      inputSchema: args({ runId, timeoutSeconds: { type: 'integer', minimum: 1, maximum: 300 } }, ['runId']),
      outputSchema: result({ run: OBJECT, settled: { type: 'boolean' } }),
      async call(a, caller, context) {
        await owned(a.runId, caller);
        const settled = await followRun(query, a.runId, (a.timeoutSeconds ?? 60) * 1000, context);
        return { ...(await withSteps(a.runId)), settled };
      },
    },
    steer('cancel_run', 'Cancel a run', 'Cancels a run and its unfinished steps.', async (a, caller) => {
      await owned(a.runId, caller);
      return control.cancel(a.runId, caller.actor);
    }),
    steer('pause_run', 'Pause a run', 'Pauses a run: running steps finish, no new step starts.', async (a, caller) => {
      await owned(a.runId, caller);
      return control.pause(a.runId, caller.actor);
    }),
    steer('resume_run', 'Resume a run', 'Resumes a paused run.', async (a, caller) => {
      await owned(a.runId, caller);
      return control.resume(a.runId, caller.actor);
    }),
    {
      name: 'retry_step',
      title: 'Retry a step',
      description: 'Runs a failed step of a run again (the run resumes when it was failed by that step).',
      permissions: ['runs.control'],
      inputSchema: args({ runId, stepId: text('the step id as written in the definition') }, ['runId', 'stepId']),
      outputSchema: RUN_OUT,
      async call(a, caller) {
        await owned(a.runId, caller);
        await control.retryStep(a.runId, a.stepId, caller.actor);
        return withSteps(a.runId);
      },
    },
  ];
}

/** How often a waiting tool reads the run again (any instance may be running it, so the database is the source). */
const FOLLOW_POLL_MS = 250;

/**
 * Reads the run until it is settled (terminal, or waiting for a person), the time is up or
 * the client went away; reports each change of steps done as progress. True when settled.
 */
async function followRun(query: RunQueryService, id: string, timeoutMs: number, context: ToolContext): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let reported = -1;
  for (;;) {
    const run = await query.getRun(id);
    if (run.stepsDone !== reported) {
      reported = run.stepsDone;
      await context.progress(run.stepsDone, run.stepsTotal, `${run.stepsDone} of ${run.stepsTotal} steps done; run ${run.status}`);
    }
    if (isTerminalRun(run.status) || run.status === 'waiting') return true;
    if (Date.now() >= deadline || context.signal.aborted) return false;
    await new Promise((resolve) => setTimeout(resolve, Math.min(FOLLOW_POLL_MS, Math.max(0, deadline - Date.now()))));
  }
}

/** cancel, pause, resume: one run id in, the run out; the run service checks the caller. */
function steer(name: string, title: string, description: string, act: (a: Record<string, any>, caller: ToolCaller) => Promise<Run>): McpTool {
  return {
    name,
    title,
    description,
    permissions: ['runs.control'],
    inputSchema: args({ runId }, ['runId']),
    outputSchema: RUN_OUT,
    call: async (a, caller) => ({ run: presentRun(await act(a, caller)) }),
  };
}

/** The owner the MCP caller's token is bound to (tenancy); undefined: all owners. */
function boundOwner(caller: ToolCaller): string | undefined {
  return 'anonymous' in caller.principal ? undefined : caller.principal.owner;
}
