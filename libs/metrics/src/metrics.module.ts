import { Module } from '@nestjs/common';
import { MetricsController } from './metrics.controller.js';
import { MetricsListener } from './metrics.listener.js';
import { MetricsRepository } from './metrics.repository.js';
import { OrchestrationMetrics } from './metrics.registry.js';
import { OrchestrationMetricsService } from './metrics.service.js';

/**
 * Prometheus metrics at `GET /metrics`. Needs the global `Database` and an EventEmitterModule
 * in the app; one registry per module instance, so apps in one process never share counts.
 */
@Module({
  controllers: [MetricsController],
  providers: [{ provide: OrchestrationMetrics, useFactory: () => new OrchestrationMetrics() }, MetricsRepository, MetricsListener, OrchestrationMetricsService],
  exports: [OrchestrationMetricsService],
})
export class MetricsModule {}
