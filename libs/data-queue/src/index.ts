// Decorator metadata (Nest DI, class-transformer) needs the Reflect polyfill before any decorated class loads.
import 'reflect-metadata';
export { DataQueueModule } from './module/data-queue.module.js';
export type { BackoffOptions, DataQueueMode, DataQueueModuleOptions, RetentionOptions } from './core/data-queue-options.js';
export { JobHandler } from './handlers/job-handler.decorator.js';
export type { JobContext, JobHandlerInstance, JobHandlerOptions } from './handlers/job-handler.interfaces.js';
export { OnJobEvent } from './core/job-events.js';
export { OnQueueEvent } from './core/queue-events.js';
export type { QueueEvent, QueueEventFilter } from './core/queue-events.js';
export type { JobEvent, JobEventName } from './core/job-events.js';
export type { JobEventAction } from './core/job-events.js';
export { DataQueueMetricsModule } from './metrics/metrics.module.js';
export type { DataQueueMetricsExtras, DataQueueMetricsOptions } from './metrics/metrics-options.js';
export { DataQueueHealthIndicator } from './health/data-queue-health.indicator.js';
export type { DataQueueHealthResult } from './health/data-queue-health.indicator.js';
export { QueueService } from './module/queue.service.js';
export type {
  CallerTransaction,
  DependencyRef,
  EnqueueOptions,
  JobPage,
  JobToEnqueue,
  JobUpdate,
  ListJobsFilter,
} from './core/enqueue-options.js';
export { MAX_DEPENDENCIES_PER_JOB } from './core/enqueue-options.js';
export type { DataQueueJobs, EnqueueableJob } from './core/job-map.js';
export type { DependencyFailureRule, FailureReason, JobErrorEntry, JobExecutionRecord, JobRecord } from './core/job-record.js';
export type { JobStatus } from './core/job-states.js';
export { Batch } from './core/batch.js';
export { FlowBuilder, MAX_FLOW_STEPS } from './core/flow.js';
export type { Flow, FlowRecord, FlowStepOptions, StepDependency } from './core/flow.js';
export type { BatchWriteOptions } from './core/batch.js';
export { OnBatchDiscard, OnBatchFinish, OnBatchSuccess } from './batches/batch-callback.decorators.js';
export type { BatchCallbackContext } from './batches/batch-callback-context.js';
export type { BatchCallbackEvent, BatchCounts, BatchRecord, CreateBatchOptions } from './core/batch-record.js';
export type { ConcurrencyRule } from './core/concurrency-rule.js';
export type { ConcurrencyKeyInput, ConcurrencyKeySpec } from './core/concurrency-key.js';
export type { CronEntryDefinition, CronEntryRecord, CronEntrySource, CronJobOptions, HandlerCronOption } from './core/cron-entry.js';
export type { PauseRecord, PauseTarget } from './scheduling/pause.service.js';
export { DataQueueDashboardModule } from './dashboard/dashboard.module.js';
export type { DataQueueDashboardExtras, DataQueueDashboardOptions } from './dashboard/dashboard-options.js';
export type { LocaleCode } from './dashboard/i18n/locales.js';
export { dataQueueMigrations } from './store/migrations/run-migrations.js';
export {
  BatchNotFoundError,
  BatchOptionsInvalidError,
  ConcurrencyKeyUnavailableError,
  FairKeyUnavailableError,
  ConcurrencyLimitError,
  CronEntryDeclaredInCodeError,
  CronEntryInvalidError,
  CronEntryNotFoundError,
  DataQueueError,
  DatabaseUnavailableError,
  DataQueueOptionsInvalidError,
  DuplicateBatchCallbackError,
  DuplicateJobHandlerError,
  FlowInvalidError,
  IdempotencyKeyConflictError,
  JobDependencyNotFoundError,
  JobNotFoundError,
  JobOptionsInvalidError,
  JobPayloadInvalidError,
  JobStateError,
  JobTypeNotPublishedError,
  JobTypeUnknownError,
  QueueEventSubscriptionInvalidError,
  WaitTimeoutError,
} from './core/data-queue.errors.js';
export type { PayloadViolation } from './core/data-queue.errors.js';
export { DataQueueExceptionFilter } from './http/data-queue-exception.filter.js';
export { dataQueueErrorResponse } from './http/data-queue-error-response.js';
export type { DataQueueErrorResponse } from './http/data-queue-error-response.js';
export type { DatabaseTarget } from './core/data-queue.errors.js';
