import { Inject, Injectable, Optional } from '@nestjs/common';
import { AdmissionGate, BatonConfig, BatonError } from '@baton/common';
import { Database, type Transaction } from '@baton/db';
import { OrchestrationDefinitionService, parseBudget, type BudgetSpec, type Definition, type DefinitionRef } from '@baton/definitions';
import { EventLogService } from '@baton/events';
import { TelemetryService, type IncomingTraceHeaders, type RunTraceContext } from '@baton/telemetry';
import type { ClaimedStep, Run, RunExecution } from '../domain/run.types.js';
import { RunRepository } from '../repositories/run.repository.js';
import { StepRepository, type NewStep } from '../repositories/step.repository.js';
import { RunLifecycleService } from './run-lifecycle.service.js';
import { RunBudgetService } from './run-budget.service.js';

/** Steps per insert statement when a run is created. */
const STEP_INSERT_BATCH = 500;

/** `details.code` of the error startChild throws when a child would nest too deep. */
export const RUN_DEPTH_EXCEEDED = 'run_depth_exceeded';

export interface CreateRunRequest {
  definition?: DefinitionRef;
  plan?: unknown;
  input?: unknown;
  idempotencyKey?: string;
  metadata?: Record<string, unknown>;
  /**
   * The submitting API token's id. Controllers and gateways pass the authenticated caller's,
   * never a value from the request body: ownership checks trust it.
   */
  submittedBy?: string | null;
  /** The signed-in person's OIDC subject (from the verified token, never the body). */
  submittedByPerson?: string | null;
  /**
   * The owner of an inline plan's run (tenancy, issue 13: a token bound to an owner passes its
   * owner). Set by the server, never from the body; a definition reference carries its own.
   */
  planOwner?: string;
  /**
   * Budget for the run tree (issue 9), over the definition's: each limit given replaces the
   * definition's, `on_exceed` too when given. Validated here: a 400 names `budget.<key>`.
   */
  budget?: unknown;
  /** The run's deadline in seconds (over the definition's `orchestration.timeout_seconds` and WORKFLOW_TIMEOUT_HOURS). */
  timeoutSeconds?: number;
  /**
   * The caller's W3C `traceparent` / `tracestate` headers (issue 13): the run continues the
   * caller's trace. Absent or malformed, the run starts a trace of its own.
   */
  traceHeaders?: IncomingTraceHeaders;
  /**
   * Server-side only: runs in the run's own transaction right after it is inserted (not for a
   * run an idempotency key found). What it writes commits with the run; what it throws rolls
   * the run back and is thrown to the caller. The workflows library links an execution to its
   * workflow here, under the workflow's row lock, so a limit on executions cannot be overrun.
   */
  inTransaction?: (tx: Transaction, run: Run) => Promise<void>;
}

/** Turns a definition (saved or inline) into a run and its steps, in one transaction. */
@Injectable()
export class OrchestrationRunFactoryService {
  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(BatonConfig) private readonly config: BatonConfig,
    @Inject(OrchestrationDefinitionService) private readonly definitions: OrchestrationDefinitionService,
    @Inject(RunRepository) private readonly runs: RunRepository,
    @Inject(StepRepository) private readonly steps: StepRepository,
    @Inject(RunLifecycleService) private readonly lifecycle: RunLifecycleService,
    @Inject(EventLogService) private readonly events: EventLogService,
    @Inject(RunBudgetService) private readonly budgets: RunBudgetService,
    // Issue 16 hook (ops helper): the hub's mode may refuse new runs; bound by @baton/ops.
    @Optional() @Inject(AdmissionGate) private readonly admission?: AdmissionGate,
    // Issue 13: a no-op service is used where no telemetry module is wired (tests of the library).
    @Optional() @Inject(TelemetryService) private readonly telemetry?: TelemetryService,
  ) {}

  /** Creates a run; a repeated idempotency key returns the first run (`created: false`). */
  async create(request: CreateRunRequest): Promise<{ run: Run; created: boolean }> {
    if (!!request.definition === !!request.plan) {
      throw BatonError.validation([{ path: 'definition', message: 'give exactly one of definition or plan' }]);
    }
    const requested = request.budget === undefined ? undefined : parseBudget(request.budget, 'budget');
    const owner = request.definition?.owner ?? request.planOwner ?? '';
    this.admission?.assertAdmits();
    if (request.idempotencyKey) {
      const existing = await this.runs.findByIdempotencyKey(owner, request.idempotencyKey);
      if (existing) return { run: existing, created: false };
    }
    const definition = request.definition
      ? await this.resolve(request.definition)
      : await this.definitions.registerInline(request.plan, owner);
    const run = await this.db.transaction(async (tx) => {
      const inserted = await this.insertRun(tx, definition, {
        owner,
        input: request.input ?? {},
        metadata: request.metadata ?? {},
        idempotencyKey: request.idempotencyKey ?? null,
        submittedBy: request.submittedBy ?? null,
        submittedByPerson: request.submittedByPerson ?? null,
        budget: runBudget(definition.execution.budget, requested, request.budget),
        timeoutSeconds: request.timeoutSeconds,
        traceContext: this.telemetry?.newRunContext(request.traceHeaders) ?? null,
      });
      if (inserted && request.inTransaction) await request.inTransaction(tx, inserted);
      return inserted;
    });
    if (run) return { run, created: true };
    // Lost a race on the idempotency key: the other request's run is the answer.
    const existing = await this.runs.findByIdempotencyKey(owner, request.idempotencyKey!);
    if (!existing) throw new Error('idempotency conflict without an existing run');
    return { run: existing, created: false };
  }

  /**
   * Starts (or finds) the child run of an `orchestration` step and parks the step as
   * waiting, in one transaction. A child that already finished (the parent step was
   * re-claimed after a crash) is returned for the caller to collect; null if the lease was lost.
   */
  async startChild(step: ClaimedStep, ref: DefinitionRef, input: unknown): Promise<Run | null> {
    // Tenancy (issue 13): an owned run's children stay in its owner, and it may start only its
    // owner's definitions and the shared ones (owner ""); otherwise a definition stored by a
    // token bound to one owner could start (and read the outputs of) another owner's runs.
    if (step.owner !== '' && ref.owner !== undefined && ref.owner !== '' && ref.owner !== step.owner) {
      throw new BatonError('forbidden', `a run of owner ${step.owner} may not start a child run of owner ${ref.owner}`);
    }
    const owner = step.owner !== '' ? step.owner : (ref.owner ?? step.owner);
    return this.startChildOf(step, await this.resolve(ref), owner, input);
  }

  /** `startChild` for a definition already in hand (a runtime plan, stored inline). */
  async startChildOf(step: ClaimedStep, definition: Definition, owner: string, input: unknown): Promise<Run | null> {
    const { depth, rootRunId, traceContext } = await this.childDepth(step);
    const budgetRoot = await this.budgets.budgetRootOf(step.runId);
    const steps = definition.steps.length;
    const started = this.db.transaction(async (tx) => {
      let child = await this.runs.findChild(step.id, step.attempt, tx);
      if (child && ['completed', 'failed', 'cancelled'].includes(child.status)) return child;
      if (!child) {
        child = await this.insertRun(tx, definition, {
          owner,
          input,
          metadata: {},
          idempotencyKey: null,
          submittedBy: null,
          parent: { runId: step.runId, stepId: step.id, attempt: step.attempt, depth, rootRunId },
          traceContext,
        });
        if (!child) throw new Error('child run insert conflicted');
        // The child holds its share of max_steps before it starts; if it does not fit, nothing is created.
        if (budgetRoot && !(await this.budgets.holdForChild(tx, budgetRoot, child.id, steps))) throw new ChildOverBudget();
        await this.events.append(tx, [
          { runId: step.runId, type: 'step.child_started', stepKey: step.key, data: { childRunId: child.id } },
        ]);
      }
      if (!(await this.steps.markWaiting(step.id, step.token, child.id, tx))) return null;
      await this.events.append(tx, [{ runId: step.runId, type: 'step.waiting', stepKey: step.key, data: { reason: 'child_run', childRunId: child.id, from: 'running', to: 'waiting' } }]);
      return child;
    });
    return started.catch(async (error: unknown) => {
      if (error instanceof ChildOverBudget) throw await this.budgets.childRefused(step, budgetRoot!, steps);
      throw error;
    });
  }

  /**
   * The depth a child of this step's run would have. Definitions that start themselves
   * statically are refused when stored; this catches the dynamic cases (a reference to a
   * version stored later, a chain through inline plans) before they start runs without end.
   */
  private async childDepth(step: ClaimedStep): Promise<{ depth: number; rootRunId: string; traceContext: RunTraceContext | null }> {
    const parent = await this.runs.findById(step.runId);
    const depth = (parent?.execution.depth ?? 0) + 1;
    if (depth > this.config.maxRunDepth) {
      throw new BatonError(
        'invalid_state',
        `step ${step.key} would start a child run ${depth} levels deep, more than the ${this.config.maxRunDepth} allowed (BATON_MAX_RUN_DEPTH); does the definition start itself?`,
        { code: RUN_DEPTH_EXCEEDED },
      );
    }
    // The whole tree shares its root's budget: a child's own definition budget is not used.
    // A child run continues its parent's trace, under the span of the step that starts it.
    const traceContext = this.telemetry?.childRunContext(parent?.traceContext ?? null) ?? null;
    return { depth, rootRunId: parent?.execution.rootRunId ?? step.runId, traceContext };
  }

  private resolve(ref: DefinitionRef): Promise<Definition> {
    return ref.version !== undefined && ref.version !== null
      ? this.definitions.getVersion(ref.name, String(ref.version), ref.owner)
      : this.definitions.getLatest(ref.name, ref.owner);
  }

  private async insertRun(
    tx: Transaction,
    definition: Definition,
    options: {
      owner: string;
      input: unknown;
      metadata: Record<string, unknown>;
      idempotencyKey: string | null;
      submittedBy: string | null;
      submittedByPerson?: string | null;
      timeoutSeconds?: number;
      parent?: { runId: string; stepId: string; attempt: number; depth: number; rootRunId: string };
      budget?: BudgetSpec;
      traceContext?: RunTraceContext | null;
    },
  ): Promise<Run | null> {
    const execution = this.executionFor(definition, options.parent);
    // A top-level run gets the deadline; its child runs are cancelled with it (finishRun cascades).
    const timeoutSeconds = options.timeoutSeconds ?? definition.execution.timeoutSeconds ?? Math.min(2_000_000_000, Math.max(1, Math.round(this.config.workflowTimeoutHours * 3600)));
    const run = await this.runs.insert(
      {
        definitionId: definition.id,
        definitionName: definition.name,
        definitionVersion: definition.version,
        owner: options.owner,
        input: options.input,
        metadata: options.metadata,
        execution,
        maxParallel: execution.concurrency.maxParallel,
        idempotencyKey: options.idempotencyKey,
        parentRunId: options.parent?.runId ?? null,
        parentStepId: options.parent?.stepId ?? null,
        stepsTotal: definition.steps.length,
        submittedBy: options.submittedBy,
        submittedByPerson: options.submittedByPerson ?? null,
        timeoutSeconds: options.parent ? null : timeoutSeconds,
        // With MAX_CONCURRENT_WORKFLOWS a top-level run waits for the claim to admit it.
        admitted: !!options.parent || this.config.maxConcurrentWorkflows === undefined,
        traceContext: options.traceContext ?? null,
      },
      tx,
    );
    if (!run) return null;
    if (options.budget) await this.budgets.createFor(tx, run.id, options.budget);
    await this.insertSteps(tx, run.id, stepRows(definition));
    await this.events.append(tx, [
      { runId: run.id, type: 'run.created', data: { definition: { id: definition.id, name: definition.name, version: definition.version }, parentRunId: run.parentRunId } },
    ]);
    if (definition.steps.length === 0) {
      return (await this.lifecycle.finishRun(tx, run.id, 'completed', { output: {} })) ?? run;
    }
    const roots = definition.steps.filter((step) => step.dependsOn.length === 0).length;
    await this.lifecycle.signalWork(tx, { runId: run.id, firstSteps: Math.min(roots, execution.concurrency.maxParallel) });
    return run;
  }

  /**
   * Inserts the steps in batches, yielding to the event loop between them: embedded PGlite
   * runs each statement on this thread, and one 10,000-row insert held /health for seconds.
   */
  private async insertSteps(tx: Transaction, runId: string, rows: NewStep[]): Promise<void> {
    for (let start = 0; start < rows.length; start += STEP_INSERT_BATCH) {
      if (start > 0) await new Promise((resolve) => setImmediate(resolve));
      await this.steps.insertMany(runId, rows.slice(start, start + STEP_INSERT_BATCH), tx);
    }
  }

  /** The run's normalized settings: definition first, then configuration, then defaults. */
  private executionFor(definition: Definition, parent?: { attempt: number; depth: number; rootRunId: string }): RunExecution {
    const settings = definition.execution;
    const concurrency: RunExecution['concurrency'] =
      settings.maxParallel !== undefined
        ? { maxParallel: settings.maxParallel, source: 'definition', key: settings.maxParallelKey }
        : this.config.defaultMaxParallel !== undefined
          ? { maxParallel: this.config.defaultMaxParallel, source: 'environment' }
          : { maxParallel: 1, source: 'default' };
    const execution: RunExecution = {
      concurrency,
      errorHandling: settings.errorHandling,
      caching: settings.caching,
    };
    if (settings.rollback !== undefined) execution.rollback = settings.rollback;
    if (parent) {
      execution.childAttempt = parent.attempt;
      execution.depth = parent.depth;
      execution.rootRunId = parent.rootRunId;
    }
    return execution;
  }
}

/** Thrown inside the child's transaction to roll it back when its steps do not fit the budget. */
class ChildOverBudget extends Error {}

/** The definition's budget with the request's limits (and `on_exceed`, when given) over it. */
function runBudget(fromDefinition: BudgetSpec | undefined, requested: BudgetSpec | undefined, raw: unknown): BudgetSpec | undefined {
  if (!requested) return fromDefinition;
  if (!fromDefinition) return requested;
  const onExceed = (raw as { on_exceed?: unknown }).on_exceed === undefined ? fromDefinition.onExceed : requested.onExceed;
  return { limits: { ...fromDefinition.limits, ...requested.limits }, onExceed };
}

function stepRows(definition: Definition): NewStep[] {
  const dependents = new Map<string, string[]>();
  for (const step of definition.steps) {
    for (const dep of step.dependsOn) {
      const list = dependents.get(dep) ?? [];
      list.push(step.id);
      dependents.set(dep, list);
    }
  }
  return definition.steps.map((step, position) => ({
    key: step.id,
    position,
    type: step.type,
    agent: step.agent ?? null,
    capability: step.agent ? null : (step.capability ?? null),
    dependsOn: step.dependsOn,
    dependents: dependents.get(step.id) ?? [],
    isSink: !dependents.has(step.id),
    maxAttempts: step.retry.maxAttempts,
    iteration: step.loop ? 1 : null,
  }));
}
