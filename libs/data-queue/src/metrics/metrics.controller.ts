import { Controller, Get, Header, UseGuards } from '@nestjs/common';
import { JobDurationCollector } from './job-duration.collector.js';
import { MetricsAccessGuard } from './metrics-access.guard.js';
import { renderMetrics } from './prometheus-text.js';
import { QueueGauges } from './queue-gauges.js';

/** Prometheus metrics in text format; mount with `DataQueueMetricsModule.forRoot({ path: 'metrics', guard })`. */
@Controller()
@UseGuards(MetricsAccessGuard)
export class MetricsController {
  constructor(
    private readonly gauges: QueueGauges,
    private readonly durations: JobDurationCollector,
  ) {}

  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  async scrape(): Promise<string> {
    return renderMetrics([...(await this.gauges.families()), ...this.durations.families()]);
  }
}
