import type { EnqueueOptions } from './enqueue-options.js';

/** Enqueue options a cron entry may set for its jobs. */
export type CronJobOptions = Pick<EnqueueOptions, 'queue' | 'priority' | 'maxAttempts' | 'timeoutMs' | 'tags' | 'deadLetterJobType'>;

/** A recurring job, declared in `DataQueueModule.forRoot({ cron: [...] })` or created at runtime with `upsertCron`. */
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

/** The names of the enqueue options a cron entry may set. */
export const CRON_JOB_OPTIONS: readonly (keyof CronJobOptions)[] = [
  'queue',
  'priority',
  'maxAttempts',
  'timeoutMs',
  'tags',
  'deadLetterJobType',
];

/** Who owns an entry: an app's code (module `cron` option, `@JobHandler`'s `cron`) or `upsertCron`. */
export type CronEntrySource = 'code' | 'runtime';

/** A cron entry as stored and shared by every process. */
export interface CronEntryRecord {
  key: string;
  schedule: string;
  timezone: string;
  jobType: string;
  payload: unknown;
  options: CronJobOptions;
  enabled: boolean;
  /** 'code': a deploy declares it, and only a deploy changes it; 'runtime': `upsertCron` / `removeCron` do. */
  source: CronEntrySource;
  /** When the entry was first declared: catch-up never enqueues ticks from before it. */
  createdAt: Date;
  /**
   * When its current ticks began: creation, a change of schedule or time zone, a re-enable. No
   * tick before it is ever enqueued, not even by a catch-up.
   */
  scheduledSince: Date;
  /** The latest tick a job was enqueued for. */
  lastRunAt: Date | null;
  /** The next tick (computed from the schedule). */
  nextRunAt: Date | null;
}
