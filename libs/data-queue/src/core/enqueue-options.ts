import type { EntityManager } from 'typeorm';
import type { JobRecord } from './job-record.js';
import type { JobStatus } from './job-states.js';

export interface EnqueueOptions {
  /** Queue name, default the handler's queue or `'default'`. */
  queue?: string;
  /** Smaller runs first; default the handler's priority or 0. */
  priority?: number;
  /** Earliest start. Mutually exclusive with `delayMs`. */
  runAt?: Date | string;
  /** Start no earlier than this many ms from now (database clock). */
  delayMs?: number;
  maxAttempts?: number;
  timeoutMs?: number;
  tags?: string[];
  /** A second enqueue with the same key returns the existing job. */
  idempotencyKey?: string;
  /** After the final failure, enqueue a job of this type carrying the payload and the failure. */
  deadLetterJobType?: string;
  /** The caller's transaction: the job exists (and workers are woken) only if it commits. */
  manager?: EntityManager;
}

export interface JobToEnqueue<Payload = unknown> {
  jobType: string;
  payload: Payload;
  options?: Omit<EnqueueOptions, 'manager'>;
}

export interface ListJobsFilter {
  status?: JobStatus | JobStatus[];
  jobType?: string;
  queue?: string;
  /** Jobs carrying every one of these tags. */
  tags?: string[];
  batchId?: string;
  /** Page size, 1..1000, default 100. */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

export interface JobPage<Payload = unknown> {
  jobs: JobRecord<Payload>[];
  nextCursor: string | null;
}
