// Decorator metadata (Nest DI, class-transformer) needs the Reflect polyfill before any decorated class loads.
import 'reflect-metadata';
export { DataQueueModule } from './module/data-queue.module.js';
export type { DataQueueMode, DataQueueModuleOptions } from './module/data-queue-options.js';
export { JobHandler } from './handlers/job-handler.decorator.js';
export type { BackoffOptions, JobContext, JobHandlerInstance, JobHandlerOptions } from './handlers/job-handler.interfaces.js';
export { QueueService } from './queue/queue.service.js';
export type { EnqueueOptions, JobPage, JobToEnqueue, ListJobsFilter } from './queue/enqueue-options.js';
export type { FailureReason, JobErrorEntry, JobRecord, JobStatus } from './queue/job-record.js';
export { dataQueueMigrations } from './store/migrations/run-migrations.js';
export {
  DataQueueError,
  DataQueueOptionsInvalidError,
  DuplicateJobHandlerError,
  JobNotFoundError,
  JobOptionsInvalidError,
  JobPayloadInvalidError,
  JobStateError,
  JobTypeUnknownError,
} from './errors/data-queue.errors.js';
export type { PayloadViolation } from './errors/data-queue.errors.js';
