import type { EnqueueOptions } from './enqueue-options.js';

/** Enqueue options a cron entry may set for its jobs. */
export type CronJobOptions = Pick<EnqueueOptions, 'queue' | 'priority' | 'maxAttempts' | 'timeoutMs' | 'tags' | 'deadLetterJobType'>;

/** A recurring job, declared in `DataQueueModule.forRoot({ cron: [...] })`. */
export interface CronEntryDefinition {
  /** Unique name of the entry; one job per (key, tick). */
  key: string;
  /** Cron expression: 5 fields, or 6 with seconds first (e.g. `'0 8 * * *'`). */
  schedule: string;
  /** IANA time zone the schedule is read in, default `UTC`. */
  timezone?: string;
  jobType: string;
  payload?: unknown;
  options?: CronJobOptions;
}

/** `@JobHandler('digest', { cron: '0 8 * * *' })` or with details; the key defaults to the job type. */
export type HandlerCronOption = string | (Omit<CronEntryDefinition, 'jobType' | 'key'> & { key?: string });

/** A cron entry as stored and shared by every process. */
export interface CronEntryRecord {
  key: string;
  schedule: string;
  timezone: string;
  jobType: string;
  payload: unknown;
  options: CronJobOptions;
  enabled: boolean;
  /** When the entry was first declared: catch-up never enqueues ticks from before it. */
  createdAt: Date;
  /** The latest tick a job was enqueued for. */
  lastRunAt: Date | null;
  /** The next tick (computed from the schedule). */
  nextRunAt: Date | null;
}
