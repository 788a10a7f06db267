import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { DataQueueModuleOptions } from '../core/data-queue-options.js';

/** `forRoot` / `forRootAsync` come from Nest's builder; the module is global unless `isGlobal: false`. */
export const { ConfigurableModuleClass: ConfigurableDataQueueModule, MODULE_OPTIONS_TOKEN: DATA_QUEUE_MODULE_OPTIONS } =
  new ConfigurableModuleBuilder<DataQueueModuleOptions>()
    .setClassMethodName('forRoot')
    .setExtras({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
    .build();
