import { ConfigurableModuleBuilder } from '@nestjs/common';
import { RouterModule } from '@nestjs/core';
import { DASHBOARD_MOUNT_PATH } from './dashboard.constants.js';
import type { DataQueueDashboardExtras, DataQueueDashboardOptions } from './dashboard-options.js';

/**
 * `forRoot({ path, ...options })` / `forRootAsync({ path, useFactory })`. `path` is an extra
 * (not a factory option) because it decides the routes, which exist before any factory runs.
 */
export const { ConfigurableModuleClass: ConfigurableDashboardModule, MODULE_OPTIONS_TOKEN: DASHBOARD_MODULE_OPTIONS } =
  new ConfigurableModuleBuilder<DataQueueDashboardOptions>()
    .setClassMethodName('forRoot')
    .setExtras<DataQueueDashboardExtras>({ path: 'queue' }, (definition, extras) => {
      const path = (extras.path ?? 'queue').replace(/^\/+|\/+$/g, '');
      return {
        ...definition,
        imports: [...(definition.imports ?? []), RouterModule.register([{ path, module: definition.module }])],
        providers: [...(definition.providers ?? []), { provide: DASHBOARD_MOUNT_PATH, useValue: path }],
      };
    })
    .build();
