import { Inject, Injectable, Logger, Optional, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { Gauge } from 'prom-client';
import { BatonConfig } from '@baton/common';
import { OrchestrationMetricsService } from '@baton/metrics';
import { WORK_AVAILABLE_EVENT, WORK_CHANNEL } from '@baton/runs';
import { AlertService } from '../alerts/alert.service.js';
import { SystemModeService } from '../mode/system-mode.service.js';
import { FINDING_KINDS, type Finding } from './doctor-finding.js';
import { DoctorRepository } from './doctor.repository.js';

export interface DoctorReport {
  checkedAt: string;
  findings: Finding[];
}

export interface RepairReport extends DoctorReport {
  repairs: Array<Finding & { outcome: 'fixed' | 'moved_on' }>;
}

/**
 * Finds stuck work (issue 16) and repairs it. On a timer (BATON_DOCTOR_INTERVAL_MS) it only
 * looks: findings become the `baton_doctor_findings` gauge and an alert when new ones
 * appear. Repairs happen on request (`POST /api/v1/system/doctor/fix`, `baton doctor --fix`),
 * each recorded as a `doctor.repaired` system event.
 */
@Injectable()
export class DoctorService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Doctor');
  private timer: NodeJS.Timeout | undefined;
  private lastCounts = new Map<string, number>();
  private alerted = new Set<string>();

  constructor(
    @Inject(BatonConfig) private readonly config: BatonConfig,
    @Inject(DoctorRepository) private readonly repository: DoctorRepository,
    @Inject(SystemModeService) private readonly mode: SystemModeService,
    @Inject(AlertService) private readonly alerts: AlertService,
    @Inject(EventEmitter2) private readonly emitter: EventEmitter2,
    @Optional() @Inject(OrchestrationMetricsService) metrics?: OrchestrationMetricsService,
  ) {
    if (metrics) this.registerGauge(metrics);
  }

  onApplicationBootstrap(): void {
    if (this.config.doctorIntervalMs === 0) return;
    this.timer = setInterval(() => void this.scheduledCheck(), this.config.doctorIntervalMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async check(): Promise<DoctorReport> {
    // Grace beyond the lease: the sweep (every poll interval) recovers expired leases first.
    const graceSeconds = Math.ceil(this.config.pollIntervalMs / 1000) * 2;
    const stuck = this.config.doctorStuckSeconds;
    const groups = await Promise.all([
      this.repository.expiredLeases(graceSeconds),
      // A closed dispatch gate leaves queued steps on purpose.
      this.mode.allowsDispatch() ? this.repository.unclaimedQueued(stuck, this.config.maxConcurrency) : Promise.resolve([]),
      this.repository.runsWithoutOpenSteps(stuck),
      this.repository.waitingOnClosedApproval(),
      this.repository.waitingOnFinishedChild(),
      this.repository.leakedSlots(),
    ]);
    const findings = groups.flat();
    this.lastCounts = new Map(FINDING_KINDS.map((kind) => [kind, findings.filter((f) => f.kind === kind).length]));
    return { checkedAt: new Date().toISOString(), findings };
  }

  /** Finds, then applies each finding's remedy (guarded: a step that moved on is left alone). */
  async fix(by: string): Promise<RepairReport> {
    const report = await this.check();
    const repairs: RepairReport['repairs'] = [];
    let signal = false;
    for (const finding of report.findings) {
      const fixed = await this.repair(finding);
      signal ||= fixed && finding.kind !== 'run_without_open_steps' && finding.kind !== 'leaked_slot';
      repairs.push({ ...finding, outcome: fixed ? 'fixed' : 'moved_on' });
      await this.mode.record('doctor.repaired', { ...finding, outcome: fixed ? 'fixed' : 'moved_on', by });
    }
    if (signal) {
      // Other instances by NOTIFY, this one in-process (its own NOTIFYs are ignored).
      await this.repository.signalWork(WORK_CHANNEL, `doctor-${this.config.instanceId}`);
      this.emitter.emit(WORK_AVAILABLE_EVENT);
    }
    return { ...report, repairs };
  }

  private async repair(finding: Finding): Promise<boolean> {
    switch (finding.kind) {
      case 'expired_lease':
        return this.repository.requeueExpired(finding.stepId!, finding.leaseToken!);
      case 'unclaimed_queued_step':
        return true; // the signal after the loop is the remedy
      case 'run_without_open_steps':
        return this.repository.failRun(finding.runId, `the doctor found it running with no open step (${finding.explanation})`);
      case 'waiting_on_closed_approval':
        return this.repository.wakeWaiting(finding.stepId!, 'approval_decided');
      case 'waiting_on_finished_child':
        return this.repository.wakeWaiting(finding.stepId!, 'child_finished');
      case 'leaked_slot':
        return this.repository.cancelLeaked(finding.stepId!, finding.leaseToken!);
    }
  }

  private async scheduledCheck(): Promise<void> {
    try {
      const { findings } = await this.check();
      const fresh = findings.filter((f) => !this.alerted.has(key(f)));
      this.alerted = new Set(findings.map(key));
      if (fresh.length > 0) {
        const lines = fresh.map((f) => `- ${f.kind}: run ${f.runId}${f.stepKey ? ` step ${f.stepKey}` : ''}: ${f.explanation}`);
        await this.alerts.alert(`the doctor found ${fresh.length} stuck item(s)`, `${lines.join('\n')}\n\nRepair with \`npm run baton -- doctor --fix\`.`);
      }
    } catch (error) {
      this.logger.warn(`scheduled check failed: ${(error as Error).message}`);
    }
  }

  private registerGauge(metrics: OrchestrationMetricsService): void {
    const service = this;
    new Gauge({
      name: 'baton_doctor_findings',
      help: 'Stuck items the doctor found in its last check, by kind.',
      labelNames: ['kind'] as const,
      registers: [metrics.registry],
      collect() {
        for (const kind of FINDING_KINDS) this.set({ kind }, service.lastCounts.get(kind) ?? 0);
      },
    });
  }
}

function key(finding: Finding): string {
  return `${finding.kind}:${finding.runId}:${finding.stepId ?? ''}`;
}
