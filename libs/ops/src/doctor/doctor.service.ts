import { Inject, Injectable } from '@nestjs/common';
import { BatonConfig } from '@baton/common';
import { SystemModeService } from '../mode/system-mode.service.js';
import { FINDING_KINDS, type Finding, type FindingKind } from './doctor-finding.js';
import { DoctorLinksRepository } from './doctor-links.repository.js';
import { DoctorRepairs, type RepairOutcome } from './doctor-repairs.js';
import { DoctorRepository } from './doctor.repository.js';

export interface DoctorReport {
  checkedAt: string;
  findings: Finding[];
}

export interface RepairReport extends DoctorReport {
  repairs: Array<Finding & { outcome: RepairOutcome | 'failed'; error?: string }>;
}

/**
 * Finds stuck work (issue 16) and repairs it on request (`POST /api/v1/doctor/fix`,
 * `baton doctor --fix`), each repair recorded as a `doctor.repaired` system event. The timer
 * that only looks, the gauge and the alerts are `DoctorMonitor`'s.
 */
@Injectable()
export class DoctorService {
  private counts = new Map<FindingKind, number>();

  constructor(
    @Inject(BatonConfig) private readonly config: BatonConfig,
    @Inject(DoctorRepository) private readonly repository: DoctorRepository,
    @Inject(DoctorLinksRepository) private readonly links: DoctorLinksRepository,
    @Inject(SystemModeService) private readonly mode: SystemModeService,
    @Inject(DoctorRepairs) private readonly repairs: DoctorRepairs,
  ) {}

  /** Findings per kind in the last check (for the `baton_doctor_findings` gauge). */
  get lastCounts(): ReadonlyMap<FindingKind, number> {
    return this.counts;
  }

  async check(): Promise<DoctorReport> {
    // Grace beyond the lease: the sweep (every poll interval) recovers expired leases first.
    const graceSeconds = Math.ceil(this.config.pollIntervalMs / 1000) * 2;
    const stuck = this.config.doctorStuckSeconds;
    // A closed gate leaves queued steps (dispatch) and due schedules' runs (admission) on purpose.
    const dispatching = this.mode.allowsDispatch();
    const groups = await Promise.all([
      this.repository.expiredLeases(graceSeconds),
      dispatching ? this.repository.unclaimedQueued(stuck, this.config.maxConcurrency) : Promise.resolve([]),
      this.repository.runsWithoutOpenSteps(stuck),
      this.repository.waitingOnClosedApproval(),
      this.repository.waitingOnFinishedChild(),
      this.repository.leakedSlots(),
      this.links.openApprovalsOfFinishedRuns(),
      this.links.childrenOfFinishedParents(),
      this.links.waitsForArrivedEvents(stuck),
      dispatching ? this.links.overdueSchedules(stuck) : Promise.resolve([]),
    ]);
    const findings = groups.flat();
    this.counts = new Map(FINDING_KINDS.map((kind) => [kind, findings.filter((f) => f.kind === kind).length]));
    return { checkedAt: new Date().toISOString(), findings };
  }

  /** Finds, then applies each finding's remedy (guarded: an item that moved on is left alone). */
  async fix(by: string): Promise<RepairReport> {
    const report = await this.check();
    const repairs: RepairReport['repairs'] = [];
    for (const finding of report.findings) {
      let repair: RepairReport['repairs'][number];
      try {
        repair = { ...finding, outcome: await this.repairs.repair(finding) };
      } catch (error) {
        // One repair that cannot be made (the hub is read-only, the database refused) does not stop the others.
        repair = { ...finding, outcome: 'failed', error: (error as Error).message };
      }
      repairs.push(repair);
      await this.mode.record('doctor.repaired', { ...repair, by });
    }
    await this.repairs.signal(repairs.filter((r) => r.outcome === 'fixed'));
    return { ...report, repairs };
  }
}
