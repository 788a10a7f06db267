import { DiscoveryService } from '@nestjs/core';
import type { FailureReason, JobRecord } from './job-record.js';

/**
 * Moments of a job's life, announced in the process that makes them happen, once the change is
 * committed:
 * - `started`: a worker of this process is about to call the handler.
 * - `completed`, `waiting`: an attempt this process ran returned, or began a durable wait.
 * - `failed`: an attempt this process ran failed (handler error, timeout, no handler), or this
 *   process's crash reaper returned the job of a dead worker (`failure.reason` `'interrupted'`).
 * - `cancelled`: `cancelJob` or `cancelBatch` (one event per job) in this process cancelled it. A
 *   running job's `ctx.signal` aborts in the process that runs it; that process announces nothing.
 * - `retried`: `retryJob` or `retryBatch` (one event per job) made it pending again.
 * - `deleted`: `deleteJob` removed it.
 * - A dependent (`dependsOn`) that a dependency's failure, cancel or delete cancels or fails by its
 *   rule is announced as `cancelled` or `failed` (`failure.reason` `'dependency_failed'`), and one
 *   the retry of that dependency holds again as `retried`, all with `action: 'dependency'`, by the
 *   process that moved the dependency.
 */
export const JOB_EVENT_NAMES = ['started', 'completed', 'failed', 'waiting', 'cancelled', 'retried', 'deleted'] as const;
export type JobEventName = (typeof JOB_EVENT_NAMES)[number];

/** What a job event listener receives: a frozen copy, so no listener can change the job or what another sees. */
export interface JobEvent {
  event: JobEventName;
  /**
   * The job. For `started`, `completed`, `waiting` and the `failed` of an attempt: as claimed
   * for the attempt (status then: processing). For the reaper's `failed`, `cancelled` and
   * `retried`: as the transition left it (status `failed`, `cancelled`, `pending`). For
   * `deleted`: the row as it was when deleted.
   */
  job: JobRecord;
  /**
   * For `failed`: why, the error message, and whether another attempt is scheduled (false: the
   * failure is final, and a dead letter job was enqueued if the job names one).
   */
  failure?: { reason: FailureReason; message: string; willRetry: boolean };
  /**
   * For `completed`, `waiting` and the `failed` of an attempt: how long the attempt ran, as this
   * process measured it. Absent on the reaper's `failed` (no live process saw the attempt end).
   */
  durationMs?: number;
  /** For `cancelled`, `retried` and `deleted`: the QueueService call that did it, or `'dependency'`. */
  action?: JobEventAction;
}

/**
 * What is behind `cancelled`, `retried` and `deleted` events: an operator call, or (`'dependency'`)
 * the settling of a dependent when one of its dependencies was discarded or retried.
 */
export type JobEventAction = 'cancelJob' | 'cancelBatch' | 'retryJob' | 'retryBatch' | 'deleteJob' | 'dependency';

export const OnJobEventDiscovery = DiscoveryService.createDecorator<JobEventName[]>();

/**
 * Subscribes a provider method to job lifecycle events of this process (for logging, alerting,
 * metrics): `@OnJobEvent('failed') alert(event: JobEvent) { … }`. A listener that throws is
 * logged and never affects the job.
 */
export const OnJobEvent = (...events: JobEventName[]): MethodDecorator => OnJobEventDiscovery(events);
