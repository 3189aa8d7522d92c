import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import { OrchestrationMetricsService } from './metrics.service.js';

/** Prometheus scrape endpoint. Open unless BATON_METRICS_AUTH=true (then a viewer token). */
@Controller()
export class MetricsController {
  constructor(@Inject(OrchestrationMetricsService) private readonly metrics: OrchestrationMetricsService) {}

  @Get('metrics')
  async scrape(@Res() response: Response): Promise<void> {
    const { contentType, body } = await this.metrics.render();
    response.setHeader('Content-Type', contentType);
    response.send(body);
  }
}
