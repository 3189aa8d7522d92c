import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DelayedRunScheduler, type CreateRunRequest } from '@baton/runs';
import { ScheduleService } from './schedule.service.js';

/** A day: a delayed run whose instance was down at its time still starts when one is back. */
const DELAYED_RUN_CATCHUP_SECONDS = 86_400;

/** `POST /api/v1/runs` with `startAt`: a one-off (`at`) schedule named `run-at-<uuid>`. */
@Injectable()
export class DelayedRunSchedulerService extends DelayedRunScheduler {
  constructor(@Inject(ScheduleService) private readonly schedules: ScheduleService) {
    super();
  }

  async scheduleRun(request: CreateRunRequest, startAt: Date): Promise<{ scheduleId: string; startAt: Date }> {
    const schedule = await this.schedules.create(
      {
        name: `run-at-${randomUUID()}`,
        ...(request.definition ? { definition: request.definition } : { plan: request.plan }),
        input: request.input ?? {},
        at: startAt.toISOString(),
        catchup_window_seconds: DELAYED_RUN_CATCHUP_SECONDS,
        note: 'a run submitted with startAt',
      },
      request.submittedBy ?? null,
    );
    return { scheduleId: schedule.id, startAt: schedule.nextFireAt ?? startAt };
  }
}
