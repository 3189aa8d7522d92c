import { Inject, Injectable, Logger, Optional, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { BatonConfig } from '@baton/common';
import { OrchestrationMetricsService } from '@baton/metrics';
import { AlertService } from '../alerts/alert.service.js';
import { FINDING_KINDS, type Finding } from './doctor-finding.js';
import { DoctorService } from './doctor.service.js';

/**
 * The doctor on a timer (BATON_DOCTOR_INTERVAL_MS): it only looks. Findings become the
 * `baton_doctor_findings{kind}` gauge, and an alert when new ones appear (one alert per
 * finding, not one per check).
 */
@Injectable()
export class DoctorMonitor implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Doctor');
  private timer: NodeJS.Timeout | undefined;
  private alerted = new Set<string>();

  constructor(
    @Inject(BatonConfig) private readonly config: BatonConfig,
    @Inject(DoctorService) private readonly doctor: DoctorService,
    @Inject(AlertService) private readonly alerts: AlertService,
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

  /** One look; exposed for tests and run on the timer. Never throws. */
  async scheduledCheck(): Promise<void> {
    try {
      const { findings } = await this.doctor.check();
      const fresh = findings.filter((f) => !this.alerted.has(key(f)));
      this.alerted = new Set(findings.map(key));
      if (fresh.length > 0) {
        const lines = fresh.map((f) => `- ${f.kind}: ${subject(f)}: ${f.explanation}`);
        await this.alerts.alert(`the doctor found ${fresh.length} stuck item(s)`, `${lines.join('\n')}\n\nRepair with \`npm run baton -- doctor --fix\`.`);
      }
    } catch (error) {
      this.logger.warn(`scheduled check failed: ${(error as Error).message}`);
    }
  }

  private registerGauge(metrics: OrchestrationMetricsService): void {
    const doctor = this.doctor;
    new Gauge({
      name: 'baton_doctor_findings',
      help: 'Stuck items the doctor found in its last check, by kind.',
      labelNames: ['kind'] as const,
      registers: [metrics.registry],
      collect() {
        for (const kind of FINDING_KINDS) this.set({ kind }, doctor.lastCounts.get(kind) ?? 0);
      },
    });
  }
}

function subject(finding: Finding): string {
  if (finding.scheduleId) return `schedule ${finding.scheduleId}`;
  return `run ${finding.runId}${finding.stepKey ? ` step ${finding.stepKey}` : ''}`;
}

function key(finding: Finding): string {
  return `${finding.kind}:${finding.runId ?? finding.scheduleId ?? ''}:${finding.stepId ?? finding.stepKey ?? ''}:${finding.approvalId ?? ''}`;
}
