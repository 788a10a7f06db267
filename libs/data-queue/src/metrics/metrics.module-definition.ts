import { ConfigurableModuleBuilder } from '@nestjs/common';
import { RouterModule } from '@nestjs/core';
import type { DataQueueMetricsExtras, DataQueueMetricsOptions } from './metrics-options.js';

/**
 * `forRoot({ path, ...options })` / `forRootAsync({ path, useFactory })`. `path` is an extra
 * (not a factory option) because it decides the route, which exists before any factory runs.
 */
export const { ConfigurableModuleClass: ConfigurableMetricsModule, MODULE_OPTIONS_TOKEN: METRICS_MODULE_OPTIONS } =
  new ConfigurableModuleBuilder<DataQueueMetricsOptions>()
    .setClassMethodName('forRoot')
    .setExtras<DataQueueMetricsExtras>({ path: 'metrics' }, (definition, extras) => ({
      ...definition,
      imports: [
        ...(definition.imports ?? []),
        RouterModule.register([{ path: (extras.path ?? 'metrics').replace(/^\/+|\/+$/g, ''), module: definition.module }]),
      ],
    }))
    .build();
