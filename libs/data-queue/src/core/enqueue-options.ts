import type { ClientBase } from 'pg';
import type { EntityManager } from 'typeorm';
import type { DependencyFailureRule, JobRecord } from './job-record.js';
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
  /**
   * A second enqueue with the same key returns the existing job (across job types: a key held by
   * another type is an IdempotencyKeyConflictError). For how long: see `idempotencyWindow`.
   */
  idempotencyKey?: string;
  /**
   * How long this job holds its `idempotencyKey`: this many ms after its creation, or
   * `'unfinished'`: until it completes, fails for good or is cancelled. Then the next enqueue with
   * the key creates a new job, which holds the key from then on. Default: for as long as the job exists.
   */
  idempotencyWindow?: number | 'unfinished';
  /**
   * What an enqueue whose key is held does to the holder. `'keep'` (default): nothing, it returns
   * the holder. `'replace'`: a holder that has not started yet (pending) takes this enqueue's
   * payload, priority and start (runAt, delayMs or now), as if this enqueue had created it; a
   * holder already running or finished is returned unchanged.
   */
  onDuplicate?: 'keep' | 'replace';
  /**
   * Debounce: the job starts this many ms after the last enqueue with its key. Each enqueue while
   * the holder is pending replaces it (`onDuplicate: 'replace'`) and moves its start to now + debounceMs
   * (database clock). Needs `idempotencyKey`; excludes `runAt` and `delayMs`.
   */
  debounceMs?: number;
  /**
   * Existing jobs (by id, or by idempotency key) this job waits for: it is `blocked` until every
   * one of them has completed, then released at once. At most MAX_DEPENDENCIES_PER_JOB. See
   * docs/flows.md.
   */
  dependsOn?: DependencyRef[];
  /**
   * What happens when a dependency fails for good, is cancelled or is deleted before completing:
   * `'cancel'` (default) cancels this job, `'fail'` fails it for good, `'run'` counts that
   * dependency as done. Only with `dependsOn`.
   */
  onDependencyFailure?: DependencyFailureRule;
  /** After the final failure, enqueue a job of this type carrying the payload and the failure. */
  deadLetterJobType?: string;
  /**
   * Fair share: the job's tenant (docs/fair-share.md). Default: what the handler's `fairShare`
   * derives, else the default key that every job without one shares.
   */
  fairKey?: string;
  /** The weight of the job's fair key, 0.01 to 1000 (default: the handler's `fairShare`, else 1). Needs a fair key. */
  fairWeight?: number;
  /** The caller's TypeORM transaction: the job exists (and workers are woken) only if it commits. */
  manager?: EntityManager;
  /** Or a `pg` client inside the caller's `BEGIN … COMMIT`, the same way (see CallerTransaction). */
  client?: ClientBase;
}

/** An existing job named in `dependsOn`: its id, or `{ idempotencyKey }`. */
export type DependencyRef = string | { idempotencyKey: string };

/** A job named by its id or its idempotency key (a `dependsOn` entry, validated). */
export type JobReference = { id: string } | { idempotencyKey: string };

/** The most dependencies one job may have (`dependsOn`). */
export const MAX_DEPENDENCIES_PER_JOB = 1000;

/**
 * A transaction of the caller's that an enqueue joins: a TypeORM `EntityManager`, or a `pg`
 * `Client` / `PoolClient` between its `BEGIN` and `COMMIT` (the route for Prisma, MikroORM,
 * Drizzle and Knex is the SQL function `<schema>.enqueue`; see docs/jobs.md). A client outside a
 * transaction commits each statement at once.
 */
export interface CallerTransaction {
  manager?: EntityManager;
  client?: ClientBase;
}

/** Whether the write joins a caller's transaction (which commits, NOTIFYs and wakes later, or never). */
export function hasCallerTransaction({ manager, client }: CallerTransaction): boolean {
  return Boolean(manager || client);
}

export interface JobToEnqueue<Payload = unknown> {
  jobType: string;
  payload: Payload;
  options?: Omit<EnqueueOptions, 'manager' | 'client'>;
}

/** What `updateJob` changes of a pending or retrying job; a field left out stays. */
export interface JobUpdate<Payload = unknown> {
  payload?: Payload;
  priority?: number;
  runAt?: Date | string;
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
