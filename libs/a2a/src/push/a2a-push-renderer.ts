import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { DeliveryRenderer, WebhookRendererRegistry, type RenderedDelivery, type RenderInput, type WebhookEventPayload } from '@baton/webhooks';
import { dialectV03 } from '../protocol/dialect-v03.js';
import { dialectV10 } from '../protocol/dialect-v10.js';
import { A2aTaskService } from '../tasks/a2a-task.service.js';
import type { PartView, TaskStateName, TaskView } from '../tasks/task-view.js';
import { PUSH_FORMATS, pushHeaders, versionOfFormat, type PushFormatOptions } from './push-subscription.js';

/** The task state an event moves the task to. */
const STATE_OF_EVENT: Record<string, TaskStateName> = {
  'run.created': 'submitted',
  'run.started': 'working',
  'run.resumed': 'working',
  'run.retried': 'working',
  'run.paused': 'working',
  'run.completed': 'completed',
  'run.failed': 'failed',
  'run.cancelled': 'canceled',
  'approval.requested': 'input-required',
};

/**
 * Writes the body of an A2A push (formats `a2a-v0.3`, `a2a-v1.0`) when the outbox sends it.
 * The state is the one the event moved the task to, so a receiver that was down sees each
 * change in order, not the latest state N times; the rest (status message, artifacts,
 * metadata) is the task as it is now when it is still in that state, else the state alone.
 */
@Injectable()
export class A2aPushRenderer extends DeliveryRenderer implements OnModuleInit {
  readonly formats = Object.values(PUSH_FORMATS);

  constructor(
    @Inject(WebhookRendererRegistry) private readonly registry: WebhookRendererRegistry,
    @Inject(A2aTaskService) private readonly tasks: A2aTaskService,
  ) {
    super();
  }

  onModuleInit(): void {
    this.registry.register(this);
  }

  async render({ event, subscription }: RenderInput): Promise<RenderedDelivery> {
    const version = versionOfFormat(subscription.format);
    if (!version) throw new Error(`not an A2A format: ${subscription.format}`);
    const view = viewAtEvent(await this.tasks.view(event.runId), event);
    const { body, contentType } = (version === '1.0' ? dialectV10 : dialectV03).renderPushNotification(view);
    return { body, headers: pushHeaders(subscription.formatOptions as Partial<PushFormatOptions>, contentType) };
  }
}

/** The task as the event left it: the current view if it is still in that state. */
export function viewAtEvent(current: TaskView, event: WebhookEventPayload): TaskView {
  const state = STATE_OF_EVENT[event.type] ?? current.state;
  if (state === current.state) return current;
  const view: TaskView = { ...current, state, timestamp: event.createdAt, artifacts: [] };
  delete view.message;
  if (state === 'input-required') view.message = approvalQuestion(event);
  return view;
}

/** A checkpoint that was open then (decided by now): its question, from the event. */
function approvalQuestion(event: WebhookEventPayload): PartView[] {
  const data = event.data as { approvalId?: string; kind?: string; prompt?: string | null };
  return [
    { kind: 'text', text: data.prompt ?? `approve step ${event.stepKey}?` },
    { kind: 'data', data: { approvalId: data.approvalId ?? null, kind: data.kind ?? null, stepId: event.stepKey } },
  ];
}
