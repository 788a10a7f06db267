import { Module, type DynamicModule, type INestApplicationContext, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DataQueueModule } from '../module/data-queue.module.js';
import { HEALTH_SERVER_OPTIONS, HealthServer, type HealthServerOptions } from './health-server.js';
import type { StandaloneWorkerSettings } from './worker-options.js';

/**
 * Runs DataQueue workers in a process of their own (the production shape: web apps in
 * `mode: 'external'`, N of these): `jobs` is the module providing your `@JobHandler` classes.
 * SIGTERM/SIGINT drain gracefully (running jobs get `shutdownTimeoutMs`, then are handed back).
 */
export async function runWorker(jobs: Type<unknown> | DynamicModule, settings: StandaloneWorkerSettings): Promise<INestApplicationContext> {
  const healthProviders =
    settings.healthPort === null
      ? []
      : [
          {
            provide: HEALTH_SERVER_OPTIONS,
            useValue: { port: settings.healthPort, host: settings.healthHost } satisfies HealthServerOptions,
          },
          HealthServer,
        ];

  @Module({
    imports: [DataQueueModule.forRoot({ ...settings.queue, mode: 'async' }), jobs],
    providers: healthProviders,
  })
  class StandaloneWorkerModule {}

  const app = await NestFactory.createApplicationContext(StandaloneWorkerModule);
  app.enableShutdownHooks();
  return app;
}
