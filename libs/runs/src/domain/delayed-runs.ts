import type { CreateRunRequest } from '../services/run-factory.service.js';

/**
 * A hook for `POST /api/v1/runs` with `startAt` (issue 15): the runs library cannot import the
 * scheduler (it stands a floor above), so it declares what it needs and the scheduler library
 * provides it. The controller finds the provider with `ModuleRef` (`strict: false`); without
 * one, `startAt` is refused.
 */
export abstract class DelayedRunScheduler {
  /** Records a one-off schedule that starts the run at `startAt`. */
  abstract scheduleRun(request: CreateRunRequest, startAt: Date): Promise<{ scheduleId: string; startAt: Date }>;
}
