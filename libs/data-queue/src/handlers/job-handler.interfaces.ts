import type { Type } from '@nestjs/common';
import type { Batch } from '../core/batch.js';
import type { ConcurrencyRule } from '../core/concurrency-rule.js';
import type { HandlerCronOption } from '../core/cron-entry.js';
import type { BackoffOptions } from '../core/data-queue-options.js';
import type { FairShareSpec } from '../core/fair-share.js';
import type { JobRecord } from '../core/job-record.js';

export interface JobHandlerOptions {
  queue?: string;
  maxAttempts?: number;
  timeoutMs?: number;
  priority?: number;
  backoff?: BackoffOptions;
  /** A final failure enqueues a job of this type (see Failures); an enqueue's own option overrides it. */
  deadLetterJobType?: string;
  /** class-validator DTO: `enqueue` validates payloads against it. */
  payload?: Type<object>;
  /** Limits and throttles per key (e.g. per user), enforced across every process. */
  concurrency?: ConcurrencyRule | ConcurrencyRule[];
  /**
   * Fair share across tenants (docs/fair-share.md): each job's key, or key and weight. A function
   * `(payload, { jobType, tags }) => key | [key, weight] | null`, or declaratively
   * `{ payload: 'tenant.id', weight?: 2 }` (or `{ tagPrefix }`, `{ template }`), which any process
   * can apply. An enqueue's `fairKey` / `fairWeight` override it.
   */
  fairShare?: FairShareSpec;
  /** Enqueue this job type on a schedule: `'0 8 * * *'`, or `{ schedule, timezone, payload, key }`. */
  cron?: HandlerCronOption;
}

/** What a handler receives beside its payload. */
export interface JobContext<Payload = unknown> {
  /** The job as claimed for this attempt. */
  readonly job: JobRecord<Payload>;
  /** Aborted on timeout, cancellation and (after the grace period) shutdown. */
  readonly signal: AbortSignal;
  /** Persists progress, 0..100. */
  setProgress(percent: number): Promise<void>;
  /** Persists output now (the handler's return value, if not undefined, replaces it). */
  setOutput(output: unknown): Promise<void>;
  /** The job's batch (a callback job's: the batch it calls back for), or null. */
  readonly batch: Batch | null;
  /**
   * Durable waits end this attempt without counting it: the job goes `waiting`, leaves its
   * worker slot, and later runs its handler again from the start — `step` results and waits
   * already over return at once. Do not catch the wait's internal error.
   */
  waitFor(ms: number): Promise<void>;
  waitUntil(date: Date): Promise<void>;
  /**
   * Resumes when `QueueService.completeToken(token, data)` is called, returning `data`; after
   * `timeoutMs` (if given) it throws `WaitTimeoutError` instead.
   */
  waitForToken<T = unknown>(token: string, options?: { timeoutMs?: number }): Promise<T>;
  /** Runs `fn` once for this job, across waits and retries; later runs return its stored result. */
  step<T>(name: string, fn: () => T | Promise<T>): Promise<T>;
  /**
   * The records of the jobs this one depends on (`dependsOn`, a flow's `after`), with their
   * `output`: by step name when the dependency has one, else by job id. Read once per attempt.
   */
  dependencies(): Promise<Record<string, JobRecord>>;
}

/** The shape a `@JobHandler` class implements. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a handler of any payload type is one
export interface JobHandlerInstance<Payload = any> {
  handle(payload: Payload, ctx: JobContext<Payload>): unknown;
}
