import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { BatonError, LruCache } from '@baton/common';
import { Database, type Transaction } from '@baton/db';
import { parseBudget, type BudgetLimit, type BudgetSpec } from '@baton/definitions';
import { EventLogService, type NewEvent } from '@baton/events';
import {
  BudgetExceededError,
  exhaustedLimit,
  reservationVerdict,
  spentOn,
  warningsDue,
  type BudgetState,
} from '../domain/budget.js';
import { assertMayControlRun, type RunActor } from '../domain/run-actor.js';
import type { StepError } from '../domain/run.types.js';
import { RUN_MOVES, isTerminalRun } from '../domain/run-status.js';
import { BudgetRepository, type Reserved } from '../repositories/budget.repository.js';
import { RunRepository } from '../repositories/run.repository.js';
import { RunLifecycleService, runEventData } from './run-lifecycle.service.js';
import { sleep } from '../domain/sleep.js';

/** How often a call waiting for the calls in flight to settle tries its reservation again. */
const RESERVE_RETRY_MS = 25;

/** The step a budget call is about: enough to key usage and name it in events. */
export interface BudgetedStep {
  id: string;
  runId: string;
  key: string;
  attempt: number;
}

/** An agent call's hold on the budget, from `reserveCall` until `settleCall`. */
export interface CallReservation {
  step: BudgetedStep;
  /** The tree's root run when the tree has a budget; null otherwise (usage is still recorded per step). */
  rootRunId: string | null;
  reserved: Reserved | null;
}

/** Usage an agent reported for one call. */
export interface Usage {
  tokens: number;
  cost: number;
}

/**
 * Budgets of run trees (issue 9). A budget is stored once, keyed by the root run; every step
 * of the tree (child runs included) spends against it through guarded updates, so
 * concurrent steps cannot overshoot together. The execution library calls, per step:
 * `admitStep` when it starts, `reserveCall` / `settleCall` around each agent call (each
 * for_each item, each pattern turn's call) and `admitTurn` per pattern turn. A refusal is a
 * `BudgetExceededError`; what follows (`on_exceed`) is the caller's to carry out with
 * `failTree`, `pauseTree` or an approval that `raiseInTransaction` settles.
 */
@Injectable()
export class RunBudgetService implements OnModuleDestroy {
  private readonly logger = new Logger('RunBudgets');
  /** Run id → the root run of its tree when that tree has a budget, else null. Neither changes. */
  private readonly roots = new LruCache<string, string | null>(20_000);
  /** max_wall_seconds timers of the trees this process created. */
  private readonly wallTimers = new Set<NodeJS.Timeout>();

  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(BudgetRepository) private readonly budgets: BudgetRepository,
    @Inject(RunRepository) private readonly runs: RunRepository,
    @Inject(RunLifecycleService) private readonly lifecycle: RunLifecycleService,
    @Inject(EventLogService) private readonly events: EventLogService,
  ) {}

  onModuleDestroy(): void {
    for (const timer of this.wallTimers) clearTimeout(timer);
    this.wallTimers.clear();
  }

  /** Stores a new root run's budget in the transaction that creates the run. */
  async createFor(tx: Transaction, rootRunId: string, spec: BudgetSpec): Promise<void> {
    await this.budgets.insert(rootRunId, spec, tx);
    tx.afterCommit(() => {
      this.roots.set(rootRunId, rootRunId);
      const seconds = spec.limits.max_wall_seconds;
      if (seconds !== undefined) this.armWallTimer(rootRunId, seconds);
    });
  }

  /**
   * max_wall_seconds is checked when steps start; this timer also stops a tree whose steps
   * are all in long calls when its time is up (`fail` aborts them, `pause` stops new ones;
   * `ask` waits for the next step, which the approval hangs on). It lives in the process that
   * created the run: after a restart, the check at step start remains.
   */
  private armWallTimer(rootRunId: string, seconds: number): void {
    const timer = setTimeout(() => {
      this.wallTimers.delete(timer);
      this.wallTimeUp(rootRunId).catch((error: unknown) => this.logger.warn(`wall-time check of run ${rootRunId}: ${(error as Error).message}`));
    }, Math.min(seconds * 1000 + 50, 2 ** 31 - 1));
    timer.unref();
    this.wallTimers.add(timer);
  }

  private async wallTimeUp(rootRunId: string): Promise<void> {
    const state = await this.budgets.find(rootRunId);
    const max = state?.limits.max_wall_seconds;
    if (!state || max === undefined) return;
    const run = await this.runs.findById(rootRunId);
    if (!run || isTerminalRun(run.status)) return;
    // Raised meanwhile: look again when the new limit is up.
    if (state.spent.wallSeconds < max) return this.armWallTimer(rootRunId, max - state.spent.wallSeconds);
    if (state.onExceed === 'ask') return;
    const error = await this.exceeded(state, 'max_wall_seconds', { id: '', runId: rootRunId, key: '', attempt: 0 });
    if (state.onExceed === 'pause') return this.pauseTree(rootRunId);
    await this.failTree(rootRunId, { message: error.message, code: 'budget_exceeded', retryable: false, details: { limit: 'max_wall_seconds' } });
  }

  /** The root run whose budget covers this run, or null when its tree has none. */
  async budgetRootOf(runId: string): Promise<string | null> {
    const cached = this.roots.get(runId);
    if (cached !== undefined) return cached;
    const tree = await this.budgets.treeOf(runId);
    const root = tree?.hasBudget ? tree.rootRunId : null;
    // A budget is stored with its root run and never removed, so a miss is final too.
    if (tree) this.roots.set(runId, root);
    return root;
  }

  /** The budget covering this run (the tree's), or null. */
  async stateOf(runId: string): Promise<BudgetState | null> {
    const root = await this.budgetRootOf(runId);
    return root ? this.budgets.find(root) : null;
  }

  /**
   * A step attempt starts: counts it against max_steps (once per attempt, whatever number of
   * times it is claimed) and checks that no limit is used up, wall time included.
   * @throws BudgetExceededError naming the limit.
   */
  async admitStep(step: BudgetedStep): Promise<void> {
    const root = await this.budgetRootOf(step.runId);
    if (!root) return;
    const { fresh, counted } = await this.budgets.admitStep(root, step);
    const state = await this.budgets.find(root);
    if (!state) return;
    if (fresh && !counted) throw await this.exceeded(state, 'max_steps', step);
    const limit = exhaustedLimit(state);
    if (limit) throw await this.exceeded(state, limit, step);
    await this.warn(state);
  }

  /**
   * Reserves a new child run's share of max_steps (its step count) in the transaction that
   * creates it. False when it does not fit: the caller rolls back and throws `childRefused`.
   */
  holdForChild(tx: Transaction, rootRunId: string, childRunId: string, steps: number): Promise<boolean> {
    return this.budgets.holdForChild(rootRunId, childRunId, steps, tx);
  }

  /** The error for a child run whose steps did not fit (after `holdForChild` refused). */
  async childRefused(step: BudgetedStep, rootRunId: string, steps: number): Promise<BudgetExceededError> {
    const state = await this.budgets.find(rootRunId);
    if (!state) throw new Error(`budget of run ${rootRunId} vanished`);
    const { spent, reserved } = state;
    const message = `budget exceeded: max_steps (a child run of ${steps} steps does not fit: ${spent.steps} spent and ${reserved.steps} held of ${state.limits.max_steps})`;
    return this.exceeded(state, 'max_steps', step, message);
  }

  /**
   * One turn of a pattern step starts (for the patterns library): counts it against max_turns.
   * @throws BudgetExceededError when the turn would go past max_turns.
   */
  async admitTurn(step: BudgetedStep): Promise<void> {
    const root = await this.budgetRootOf(step.runId);
    if (!root) return;
    const state = await this.budgets.admitTurn(root);
    if (!state) {
      const current = await this.budgets.find(root);
      if (current) throw await this.exceeded(current, 'max_turns', step);
      return;
    }
    await this.warn(state);
  }

  /**
   * Reserves room for one agent call before it starts: its estimate (the largest call of the
   * tree so far) must fit beside what is spent and reserved. When only the calls in flight
   * stand in the way, waits for them to settle; `signal` aborts the wait.
   * @throws BudgetExceededError when the call cannot fit even with nothing else in flight.
   */
  async reserveCall(step: BudgetedStep, signal?: AbortSignal): Promise<CallReservation> {
    const root = await this.budgetRootOf(step.runId);
    if (!root) return { step, rootRunId: null, reserved: null };
    for (;;) {
      const reserved = await this.budgets.reserve(root);
      if (reserved) return { step, rootRunId: root, reserved };
      const state = await this.budgets.find(root);
      if (!state) return { step, rootRunId: null, reserved: null };
      const verdict = reservationVerdict(state);
      if (typeof verdict === 'object') throw await this.exceeded(state, verdict.exceeded, step);
      await sleep(RESERVE_RETRY_MS, signal);
    }
  }

  /**
   * The call ended: releases its reservation and adds what it spent to the step attempt and
   * the tree. `completed: false` (the call failed) does not update the call estimate.
   */
  async settleCall(reservation: CallReservation, usage: Usage | null, completed = true): Promise<void> {
    if (usage) await this.budgets.addStepUsage(reservation.step, usage);
    if (!reservation.rootRunId) return;
    const state = await this.budgets.settle(reservation.rootRunId, reservation.reserved, usage ?? { tokens: 0, cost: 0 }, completed);
    if (state) await this.warn(state);
  }

  /**
   * Fails the root run of the run's tree with the budget error (its open steps and child runs
   * are cancelled); nothing when the root has ended already (the run was the root).
   */
  async failTree(runId: string, error: StepError): Promise<void> {
    const root = (await this.budgetRootOf(runId)) ?? runId;
    await this.db.transaction((tx) => this.lifecycle.finishRun(tx, root, 'failed', { error }));
  }

  /** Pauses the root run and every open run below it: nothing more of the tree is claimed. */
  async pauseTree(rootRunId: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const events: NewEvent[] = [];
      for (const id of [rootRunId, ...(await this.runs.openDescendants(rootRunId, tx))]) {
        const paused = await this.runs.transition(id, RUN_MOVES.pause, tx);
        if (paused) events.push({ runId: id, type: 'run.paused', data: runEventData(paused.run, paused.from) });
      }
      await this.events.append(tx, events);
    });
  }

  /**
   * Called when a run is resumed: a root whose budget is still exceeded is refused (409), and
   * the runs below it that the budget paused resume with it.
   */
  async resumeTree(tx: Transaction, runId: string): Promise<void> {
    const state = await this.budgets.find(runId, tx);
    if (!state) return;
    if (state.exceeded) {
      throw new BatonError('invalid_state', `run ${runId} is over its budget (${state.exceeded}); raise it first with PATCH /api/v1/runs/${runId}/budget`);
    }
    const events: NewEvent[] = [];
    for (const id of await this.runs.openDescendants(runId, tx)) {
      const resumed = await this.runs.transition(id, RUN_MOVES.resume, tx);
      if (resumed) events.push({ runId: id, type: 'run.resumed', data: runEventData(resumed.run, resumed.from) });
    }
    await this.events.append(tx, events);
  }

  /**
   * Sets new limits on the budget covering `runId` (its tree's) and clears the exceeded mark;
   * a paused tree then continues when resumed. 404 unknown run, 409 when it has no budget.
   */
  async raise(runId: string, body: unknown, actor: RunActor, by: string): Promise<BudgetState> {
    const update = parseBudget(body, '', { requireLimit: false });
    if (Object.keys(body as object).length === 0) throw BatonError.validation([{ path: 'body', message: 'must set at least one limit or on_exceed' }]);
    const run = await this.runs.findById(runId);
    if (!run) throw BatonError.notFound('run', runId);
    assertMayControlRun(run, actor);
    const given = body as { on_exceed?: unknown };
    return this.db.transaction((tx) => this.applyRaise(tx, runId, { limits: update.limits, onExceed: given.on_exceed === undefined ? undefined : update.onExceed }, by));
  }

  /** Reads new limits given with an approved `ask` (the approval's payload): 400 naming the path. */
  parseLimits(payload: unknown, path = 'payload'): BudgetSpec['limits'] {
    return parseBudget(payload, path, { requireLimit: false }).limits;
  }

  /** Raises the budget covering `runId` inside the caller's transaction (an approval decision). */
  async raiseInTransaction(tx: Transaction, runId: string, limits: BudgetSpec['limits'], by: string): Promise<BudgetState> {
    return this.applyRaise(tx, runId, { limits }, by);
  }

  /** What each step of a run spent, by step id. */
  usageByStep(runId: string): Promise<Map<string, Usage>> {
    return this.budgets.usageByStep(runId);
  }

  private async applyRaise(tx: Transaction, runId: string, update: { limits: BudgetSpec['limits']; onExceed?: BudgetSpec['onExceed'] }, by: string): Promise<BudgetState> {
    const root = await this.budgetRootOf(runId);
    if (!root) throw new BatonError('invalid_state', `run ${runId} has no budget; give one when the run is created or in its definition`);
    const state = await this.budgets.raise(root, update, tx);
    if (!state) throw new BatonError('invalid_state', `run ${runId} has no budget`);
    await this.events.append(tx, [{ runId: root, type: 'run.budget_raised', data: { limits: state.limits as Record<string, number>, onExceed: state.onExceed, by } }]);
    return state;
  }

  /** Marks the limit exceeded (one event per crossing) and returns the error to throw. */
  private async exceeded(state: BudgetState, limit: BudgetLimit, step: BudgetedStep, message?: string): Promise<BudgetExceededError> {
    await this.db.transaction(async (tx) => {
      if (!(await this.budgets.markExceeded(state.rootRunId, limit, tx))) return;
      const data = { limit, spent: spentOn(state, limit), max: state.limits[limit]!, onExceed: state.onExceed, runId: step.runId, ...(step.key ? { stepKey: step.key } : {}) };
      await this.events.append(tx, [{ runId: state.rootRunId, type: 'run.budget_exceeded', data }]);
    });
    return new BudgetExceededError(limit, state, message);
  }

  /** Sends `run.budget_warning` for each limit past 80 %, once per limit (the mark is the guard). */
  private async warn(state: BudgetState): Promise<void> {
    const due = warningsDue(state);
    if (due.length === 0) return;
    await this.db.transaction(async (tx) => {
      const events: NewEvent[] = [];
      for (const limit of due) {
        if (!(await this.budgets.markWarned(state.rootRunId, limit, tx))) continue;
        events.push({ runId: state.rootRunId, type: 'run.budget_warning', data: { limit, spent: spentOn(state, limit), max: state.limits[limit]! } });
      }
      await this.events.append(tx, events);
    });
  }
}
