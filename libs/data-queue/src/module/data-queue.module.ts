import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { BatchCallbackExplorer } from '../batches/batch-callback.explorer.js';
import { BatchCallbackHandler } from '../batches/batch-callback.handler.js';
import { BatchCallbackRegistry } from '../batches/batch-callback.registry.js';
import { BatchReconciler } from '../batches/batch-reconciler.js';
import { BatchTracker } from '../batches/batch-tracker.js';
import { DependencyTracker } from '../flows/dependency-tracker.js';
import { BatchService } from '../batches/batch.service.js';
import { FlowService } from '../batches/flow.service.js';
import type { DataQueueModuleOptions, ResolvedDataQueueOptions } from '../core/data-queue-options.js';
import { BATCH_OPERATIONS, DATA_QUEUE_OPTIONS } from '../core/data-queue.constants.js';
import { JobEventBus } from '../core/job-event-bus.js';
import { QueueEventPublisher } from '../events/queue-event-publisher.js';
import { QueueEventSubscriber } from '../events/queue-event-subscriber.js';
import { HandlerRegistry } from '../handlers/handler-registry.js';
import { JobHandlerExplorer } from '../handlers/job-handler.explorer.js';
import { JobTypeCatalog } from '../handlers/job-type-catalog.js';
import { DataQueueHealthIndicator } from '../health/data-queue-health.indicator.js';
import { WorkerHealthCheck } from '../health/worker-health.js';
import { JobInserter } from '../queue/job-inserter.js';
import { JobTracing } from '../queue/job-tracing.js';
import { InsertBatcher } from '../queue/insert-batcher.js';
import { LocalWake } from '../queue/local-wake.js';
import { NewJobFactory } from '../queue/new-job.factory.js';
import { ConcurrencyGate } from '../queue/concurrency-gate.js';
import { CronScheduler } from '../scheduling/cron/cron-scheduler.js';
import { CronService } from '../scheduling/cron/cron.service.js';
import { PauseService } from '../scheduling/pause.service.js';
import { RetentionCleaner } from '../scheduling/retention/retention-cleaner.js';
import { PlannerStatistics } from '../store/planner-statistics.js';
import { QueueDatabase } from '../store/queue-database.js';
import { CompletionBatcher } from '../worker/completion-batcher.js';
import { CrashReaper } from '../worker/crash-reaper.js';
import { DeadLetterRouter } from '../worker/dead-letter.router.js';
import { FailureRecorder } from '../worker/failure-recorder.js';
import { InlineRunner } from '../worker/inline-runner.js';
import { JobExecutor } from '../worker/job-executor.js';
import { MaintenanceScheduler } from '../core/maintenance-scheduler.js';
import { WorkerRuntime } from '../worker/worker-runtime.js';
import { resolveDataQueueOptions } from './data-queue-options.validation.js';
import { ConfigurableDataQueueModule, DATA_QUEUE_MODULE_OPTIONS } from './data-queue.module-definition.js';
import { QueueService } from './queue.service.js';

/**
 * `DataQueueModule.forRoot({...})` / `forRootAsync({ imports, inject, useFactory })`.
 * Provides `QueueService`, discovers `@JobHandler` and `@OnBatch*` providers, and (in `async` mode) runs workers.
 */
@Module({
  imports: [DiscoveryModule, ScheduleModule.forRoot()],
  providers: [
    {
      provide: DATA_QUEUE_OPTIONS,
      inject: [DATA_QUEUE_MODULE_OPTIONS],
      useFactory: (options: DataQueueModuleOptions) => resolveDataQueueOptions(options),
    },
    {
      provide: QueueDatabase,
      inject: [DATA_QUEUE_OPTIONS],
      useFactory: (options: ResolvedDataQueueOptions) => QueueDatabase.open(options),
    },
    HandlerRegistry,
    JobHandlerExplorer,
    JobTypeCatalog,
    BatchCallbackRegistry,
    BatchCallbackExplorer,
    BatchCallbackHandler,
    BatchTracker,
    DependencyTracker,
    BatchService,
    { provide: BATCH_OPERATIONS, useExisting: BatchService },
    FlowService,
    BatchReconciler,
    PauseService,
    CronService,
    CronScheduler,
    RetentionCleaner,
    ConcurrencyGate,
    JobEventBus,
    QueueEventPublisher,
    QueueEventSubscriber,
    NewJobFactory,
    InsertBatcher,
    JobInserter,
    JobTracing,
    PlannerStatistics,
    QueueService,
    DeadLetterRouter,
    FailureRecorder,
    CompletionBatcher,
    JobExecutor,
    CrashReaper,
    MaintenanceScheduler,
    LocalWake,
    WorkerRuntime,
    InlineRunner,
    WorkerHealthCheck,
    DataQueueHealthIndicator,
  ],
  // QueueDatabase, PauseService, CronService, WorkerRuntime and WorkerHealthCheck serve the
  // dashboard and the standalone worker's health probe (not part of the public API).
  exports: [QueueService, DataQueueHealthIndicator, QueueDatabase, PauseService, CronService, WorkerRuntime, WorkerHealthCheck],
})
export class DataQueueModule extends ConfigurableDataQueueModule {}
