import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { BatonError, WriteGate } from '@baton/common';
import type { Principal } from '@baton/identity';
import { WebhookSubscriptionService } from '@baton/webhooks';
import type { ProtocolVersion, PushConfigInput, PushConfigView } from '../protocol/dialect.js';
import { A2A_CODES, A2aRpcError } from '../rpc/a2a-rpc-error.js';
import { A2aTaskService } from '../tasks/a2a-task.service.js';
import { formatOptionsOf, PUSH_EVENT_TYPES, PUSH_FORMATS, subscriptionIdOf, toPushConfigView } from './push-subscription.js';

const ALL_PUSH_FORMATS = Object.values(PUSH_FORMATS);

/**
 * A task's push-notification configs, each one webhook subscription (see `@baton/webhooks`):
 * scoped to the task's run, filtered to the events that change the task's state, with the
 * A2A payload of the dialect it was created in as the body. Delivery is the outbox's:
 * signed, retried, in order per task.
 */
@Injectable()
export class A2aPushConfigService {
  constructor(
    @Inject(A2aTaskService) private readonly tasks: A2aTaskService,
    @Inject(WebhookSubscriptionService) private readonly webhooks: WebhookSubscriptionService,
    // Issue 16 hook (ops): a degraded (read-only) hub takes no new or deleted configs.
    @Optional() @Inject(WriteGate) private readonly writes?: WriteGate,
  ) {}

  /**
   * Creates the config, or replaces the task's config of the same id. Who may control the
   * task (its submitter, `runs.control`) may point its pushes somewhere.
   */
  async create(
    taskId: string,
    input: PushConfigInput,
    version: ProtocolVersion,
    principal: Principal,
    urlPath = version === '1.0' ? 'params.url' : 'params.pushNotificationConfig.url',
  ): Promise<PushConfigView> {
    this.writes?.assertWritable();
    assertPushUrl(input.url, urlPath);
    const run = await this.tasks.run(taskId);
    this.tasks.access.assertMayControl(run, principal);
    const configId = input.id ?? randomUUID();
    try {
      const saved = await this.webhooks.upsertScoped({
        id: subscriptionIdOf(run.id, configId),
        runId: run.id,
        url: input.url,
        events: PUSH_EVENT_TYPES,
        format: PUSH_FORMATS[version],
        formatOptions: { ...formatOptionsOf(configId, input) },
        description: `A2A push notifications of task ${run.id}`,
      });
      return toPushConfigView(saved);
    } catch (error) {
      if (error instanceof BatonError && error.kind === 'conflict') throw A2aRpcError.invalidParams('params.id', 'is the id of a config of another task');
      throw error;
    }
  }

  /**
   * One config; without an id (v0.3 get by task), the task's first. -32001 when there is none,
   * and for another agent's task (see `task-access.ts`).
   */
  async get(taskId: string, configId: string | undefined, principal: Principal): Promise<PushConfigView> {
    const run = await this.tasks.readableRun(taskId, principal);
    if (configId === undefined) {
      const [first] = await this.webhooks.listForRun(run.id, ALL_PUSH_FORMATS);
      if (!first) throw configNotFound(taskId, configId);
      return toPushConfigView(first);
    }
    const found = await this.webhooks.findForRun(run.id, subscriptionIdOf(run.id, configId));
    if (!found || !ALL_PUSH_FORMATS.includes(found.format)) throw configNotFound(taskId, configId);
    return toPushConfigView(found);
  }

  async list(taskId: string, principal: Principal): Promise<PushConfigView[]> {
    const run = await this.tasks.readableRun(taskId, principal);
    return (await this.webhooks.listForRun(run.id, ALL_PUSH_FORMATS)).map(toPushConfigView);
  }

  /**
   * Deletes the config's subscription and its deliveries: nothing more is pushed to it.
   * Idempotent: a config that is already gone is deleted (the task must exist, and be the caller's).
   */
  async delete(taskId: string, configId: string | undefined, principal: Principal): Promise<void> {
    this.writes?.assertWritable();
    if (!configId) throw A2aRpcError.invalidParams('params.pushNotificationConfigId', 'is required');
    const run = await this.tasks.run(taskId);
    this.tasks.access.assertMayControl(run, principal);
    const found = await this.webhooks.findForRun(run.id, subscriptionIdOf(run.id, configId));
    if (!found || !ALL_PUSH_FORMATS.includes(found.format)) return;
    try {
      await this.webhooks.remove(found.id);
    } catch (error) {
      // A concurrent delete won: the outcome is the same.
      if (!(error instanceof BatonError && error.kind === 'not_found')) throw error;
    }
  }
}

/** As the SDK's request handler: an unknown config is TaskNotFound (-32001). */
function configNotFound(taskId: string, configId: string | undefined): A2aRpcError {
  const which = configId === undefined ? '' : ` with id ${configId}`;
  return new A2aRpcError(`task ${taskId} has no push notification config${which}`, A2A_CODES.taskNotFound, { taskId, configId: configId ?? null });
}

/** -32602 naming `path` unless `url` is an absolute http(s) URL. */
export function assertPushUrl(url: string, path: string): void {
  let ok = false;
  try {
    const parsed = new URL(url);
    ok = (parsed.protocol === 'http:' || parsed.protocol === 'https:') && parsed.hostname !== '';
  } catch {
    ok = false;
  }
  if (!ok) throw A2aRpcError.invalidParams(path, 'must be an absolute http:// or https:// URL');
}
