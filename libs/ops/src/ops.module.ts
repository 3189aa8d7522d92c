import { Global, Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { AdmissionGate, DispatchGate, WriteGate } from '@baton/common';
import { EventsModule } from '@baton/events';
import { MetricsModule } from '@baton/metrics';
import { AlertService } from './alerts/alert.service.js';
import { DoctorLinksRepository } from './doctor/doctor-links.repository.js';
import { DoctorMonitor } from './doctor/doctor-monitor.service.js';
import { DoctorRepairs } from './doctor/doctor-repairs.js';
import { DoctorRepository } from './doctor/doctor.repository.js';
import { DoctorTransitions } from './doctor/doctor-transitions.js';
import { DoctorService } from './doctor/doctor.service.js';
import { DrainRepository } from './drain/drain.repository.js';
import { DrainService } from './drain/drain.service.js';
import { HealthController } from './health.controller.js';
import { HeartbeatService } from './heartbeat/heartbeat.service.js';
import { DoctorController } from './http/doctor.controller.js';
import { SystemController } from './http/system.controller.js';
import { DegradedWritesInterceptor } from './mode/degraded-writes.interceptor.js';
import { SystemModeService } from './mode/system-mode.service.js';
import { SystemStateRepository } from './mode/system-state.repository.js';

/**
 * Health, operating modes, heartbeat and drain. Global so the run factory and run control (`runs`),
 * the claim loop (`execution`) and A2A receive the `AdmissionGate`, `DispatchGate` and
 * `WriteGate` it binds without importing `ops`.
 */
@Global()
@Module({
  imports: [MetricsModule, EventsModule],
  controllers: [HealthController, SystemController, DoctorController],
  providers: [
    SystemStateRepository,
    SystemModeService,
    AlertService,
    HeartbeatService,
    DrainRepository,
    DrainService,
    DoctorRepository,
    DoctorLinksRepository,
    DoctorTransitions,
    DoctorRepairs,
    DoctorService,
    DoctorMonitor,
    { provide: AdmissionGate, useExisting: SystemModeService },
    { provide: DispatchGate, useExisting: SystemModeService },
    { provide: WriteGate, useExisting: SystemModeService },
    { provide: APP_INTERCEPTOR, useClass: DegradedWritesInterceptor },
  ],
  exports: [AdmissionGate, DispatchGate, WriteGate, SystemModeService, HeartbeatService, DrainService],
})
export class OpsModule {}
