import { Inject, Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { BatonConfig, BatonError } from '@baton/common';
import { EVENT_WAIT_MATCHED, type EventWaitSignal } from '@baton/messaging';
import { RunControlService, WORK_AVAILABLE_EVENT, WORK_CHANNEL } from '@baton/runs';
import { SCHEDULES_CHANNEL } from '@baton/scheduler';
import type { Finding } from './doctor-finding.js';
import { DoctorLinksRepository } from './doctor-links.repository.js';
import { DoctorTransitions } from './doctor-transitions.js';

/** What a repair did: applied, or left alone because the state moved on meanwhile. */
export type RepairOutcome = 'fixed' | 'moved_on';

/**
 * Applies each finding's remedy. Most are one guarded statement; a child run is cancelled
 * through run control (its steps, its own children and in-flight calls go with it, with the
 * usual events). Wake-ups that concern other instances are NOTIFYs, sent once per `fix`.
 */
@Injectable()
export class DoctorRepairs {
  private runControl: RunControlService | undefined;

  constructor(
    @Inject(BatonConfig) private readonly config: BatonConfig,
    @Inject(DoctorTransitions) private readonly transitions: DoctorTransitions,
    @Inject(DoctorLinksRepository) private readonly links: DoctorLinksRepository,
    @Inject(EventEmitter2) private readonly emitter: EventEmitter2,
    @Inject(ModuleRef) private readonly modules: ModuleRef,
  ) {}

  async repair(finding: Finding): Promise<RepairOutcome> {
    return (await this.apply(finding)) ? 'fixed' : 'moved_on';
  }

  /** After the repairs: wake the claim loops and the schedulers the repairs concern. */
  async signal(findings: Finding[]): Promise<void> {
    const kinds = new Set(findings.map((f) => f.kind));
    const payload = `doctor-${this.config.instanceId}`;
    if (['expired_lease', 'unclaimed_queued_step', 'waiting_on_closed_approval', 'waiting_on_finished_child'].some((k) => kinds.has(k as Finding['kind']))) {
      // Other instances by NOTIFY, this one in-process (its own NOTIFYs are ignored).
      await this.links.notify(WORK_CHANNEL, payload);
      this.emitter.emit(WORK_AVAILABLE_EVENT);
    }
    // Every scheduler (this one's too) listens on this channel.
    if (kinds.has('overdue_schedule')) await this.links.notify(SCHEDULES_CHANNEL, payload);
  }

  private async apply(finding: Finding): Promise<boolean> {
    switch (finding.kind) {
      case 'expired_lease':
        return this.transitions.requeueExpired(finding.stepId!, finding.leaseToken!);
      case 'unclaimed_queued_step':
      case 'overdue_schedule':
        return true; // the signal after the repairs is the remedy
      case 'run_without_open_steps':
        return this.transitions.failRun(finding.runId!, `the doctor found it running with no open step (${finding.explanation})`);
      case 'waiting_on_closed_approval':
        return this.transitions.wakeWaiting(finding.stepId!, 'approval_decided');
      case 'waiting_on_finished_child':
        return this.transitions.wakeWaiting(finding.stepId!, 'child_finished');
      case 'leaked_slot':
        return this.transitions.cancelLeaked(finding.stepId!, finding.leaseToken!);
      case 'open_approval_of_finished_run':
        return this.links.cancelApproval(finding.approvalId!);
      case 'child_of_finished_parent':
        return this.cancelChild(finding);
      case 'wait_for_arrived_event':
        return this.matchWait(finding);
    }
  }

  private async cancelChild(finding: Finding): Promise<boolean> {
    try {
      await this.control().cancel(finding.runId!, { anonymous: true }, `cancelled by the doctor: its parent run ${finding.parentRunId} is finished`);
      return true;
    } catch (error) {
      // Finished meanwhile: a refused transition is a state that moved on.
      if (error instanceof BatonError && (error.kind === 'invalid_state' || error.kind === 'not_found')) return false;
      throw error;
    }
  }

  private async matchWait(finding: Finding): Promise<boolean> {
    const matched = await this.links.matchWait(finding.runId!, finding.stepKey!, finding.eventId!);
    if (matched) {
      const signal: EventWaitSignal = { runId: finding.runId!, stepKey: finding.stepKey!, eventId: finding.eventId! };
      this.emitter.emit(EVENT_WAIT_MATCHED, signal);
    }
    return matched;
  }

  /** Run control lives in the runs module the app wires; looked up once, not imported into ops' module. */
  private control(): RunControlService {
    this.runControl ??= this.modules.get<RunControlService, RunControlService>(RunControlService, { strict: false });
    return this.runControl!;
  }
}
