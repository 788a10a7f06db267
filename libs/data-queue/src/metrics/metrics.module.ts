import { ConfigurableModuleBuilder, Module } from '@nestjs/common';
import { RouterModule } from '@nestjs/core';
import { JobDurationCollector } from './job-duration.collector.js';
import { MetricsController } from './metrics.controller.js';
import { QueueGauges } from './queue-gauges.js';

const { ConfigurableModuleClass } = new ConfigurableModuleBuilder<object>()
  .setClassMethodName('forRoot')
  .setExtras<{ path?: string }>({ path: 'metrics' }, (definition, extras) => ({
    ...definition,
    imports: [
      ...(definition.imports ?? []),
      RouterModule.register([{ path: (extras.path ?? 'metrics').replace(/^\/+|\/+$/g, ''), module: definition.module }]),
    ],
  }))
  .build();

/**
 * `GET /<path>`: jobs by queue and state, queue latency, running batches, workers (from the
 * database, the same in every process) and this process's attempt-duration histogram.
 * Scrape every process that runs workers to sum the histograms.
 */
@Module({ controllers: [MetricsController], providers: [QueueGauges, JobDurationCollector] })
export class DataQueueMetricsModule extends ConfigurableModuleClass {}
