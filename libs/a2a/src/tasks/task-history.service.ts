import { Inject, Injectable } from '@nestjs/common';
import { Database } from '@baton/db';
import { EventLogService, type EventData, type RunEvent } from '@baton/events';
import type { InboundMessage } from '../protocol/dialect.js';
import { isTerminalState, type MessageView, type PartView, type TaskView } from './task-view.js';

/** The log event a message the caller sent to a task is kept as. */
export const MESSAGE_RECEIVED = 'a2a.message_received' as const;

/** How many log events of one run history reads at most (a run's log is its whole story). */
const MAX_EVENTS = 5_000;

/**
 * A task's history: the messages the caller sent (kept in the run's append-only event log
 * as `a2a.message_received`) and Baton's answers (each question a checkpoint asked, from
 * `approval.requested`, and the final status message), oldest first.
 */
@Injectable()
export class A2aTaskHistoryService {
  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(EventLogService) private readonly events: EventLogService,
  ) {}

  /** Keeps a message the caller sent to the task. */
  async record(runId: string, message: InboundMessage): Promise<void> {
    const data: EventData<typeof MESSAGE_RECEIVED> = { messageId: message.messageId, parts: message.parts };
    if (Object.keys(message.metadata).length > 0) data.metadata = message.metadata;
    await this.db.transaction((tx) => this.events.append(tx, [{ runId, type: MESSAGE_RECEIVED, data }]));
  }

  /** The view with its last `historyLength` messages (absent: all; 0: none). */
  async attach(view: TaskView, historyLength?: number): Promise<TaskView> {
    if (historyLength === 0) return { ...view, history: [] };
    const events = await this.events.listAfter(view.id, 0, MAX_EVENTS);
    const messages = events.flatMap((event) => messageOf(view.id, event));
    if (isTerminalState(view.state) && view.message) {
      messages.push({ messageId: `${view.id}-${view.state}-${view.timestamp}`, role: 'agent', parts: view.message });
    }
    return { ...view, history: historyLength === undefined ? messages : messages.slice(-historyLength) };
  }
}

function messageOf(taskId: string, event: RunEvent): MessageView[] {
  if (event.type === MESSAGE_RECEIVED) {
    const message: MessageView = { messageId: String(event.data.messageId), role: 'user', parts: (event.data.parts as PartView[]) ?? [] };
    if (event.data.metadata) message.metadata = event.data.metadata as Record<string, unknown>;
    return [message];
  }
  if (event.type === 'approval.requested') {
    const prompt = typeof event.data.prompt === 'string' && event.data.prompt ? event.data.prompt : `approve step ${event.stepKey}?`;
    return [{ messageId: `${taskId}-approval-${String(event.data.approvalId)}`, role: 'agent', parts: [{ kind: 'text', text: prompt }] }];
  }
  return [];
}
