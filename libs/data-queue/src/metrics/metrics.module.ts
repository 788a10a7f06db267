import { Module } from '@nestjs/common';
import { JobDurationCollector } from './job-duration.collector.js';
import { MetricsAccessGuard } from './metrics-access.guard.js';
import { METRICS_OPTIONS } from './metrics.constants.js';
import { ConfigurableMetricsModule, METRICS_MODULE_OPTIONS } from './metrics.module-definition.js';
import type { DataQueueMetricsOptions } from './metrics-options.js';
import { resolveMetricsOptions } from './metrics-options.validation.js';
import { MetricsController } from './metrics.controller.js';
import { QueueGauges } from './queue-gauges.js';

/**
 * `GET /<path>`: jobs by queue and state, queue latency, backlog and running jobs per fair key,
 * running batches, workers (from the database, the same in every process) and this process's
 * attempt-duration histogram. Scrape every process that runs workers to sum the histograms. Closed by default, like the
 * dashboard: `forRoot({ path: 'metrics', guard: ScraperGuard })` or `public: true`.
 */
@Module({
  controllers: [MetricsController],
  providers: [
    {
      provide: METRICS_OPTIONS,
      inject: [METRICS_MODULE_OPTIONS],
      useFactory: (options: DataQueueMetricsOptions | undefined) => resolveMetricsOptions(options),
    },
    MetricsAccessGuard,
    QueueGauges,
    JobDurationCollector,
  ],
})
export class DataQueueMetricsModule extends ConfigurableMetricsModule {}
