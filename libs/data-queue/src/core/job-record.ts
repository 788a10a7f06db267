import type { JobStatus } from './job-states.js';

/** Why the last attempt of a job failed. */
export type FailureReason = 'handler_error' | 'timeout' | 'no_handler' | 'interrupted' | 'dependency_failed';

/**
 * What a dependent does when one of its dependencies fails for good, is cancelled or is deleted
 * before succeeding (see EnqueueOptions.onDependencyFailure).
 */
export type DependencyFailureRule = 'cancel' | 'fail' | 'run';

export interface JobErrorEntry {
  message: string;
  name?: string;
  stack?: string;
  attempt: number;
  reason: FailureReason;
  /** When the attempt ended (database clock). */
  timestamp: string;
  /** When the attempt started. */
  startedAt?: string;
}

/** A job as stored, camelCased. `failed` with `nextAttemptAt` set will retry; with `null` it is final. */
export interface JobRecord<Payload = unknown, Output = unknown> {
  id: string;
  jobType: string;
  queue: string;
  payload: Payload;
  status: JobStatus;
  createdAt: Date;
  updatedAt: Date;
  /** When the latest attempt was claimed (kept after it ends). */
  lockedAt: Date | null;
  lockedBy: string | null;
  attempts: number;
  maxAttempts: number;
  nextAttemptAt: Date | null;
  priority: number;
  runAt: Date;
  pendingReason: string | null;
  errorHistory: JobErrorEntry[];
  timeoutMs: number | null;
  failureReason: FailureReason | null;
  completedAt: Date | null;
  startedAt: Date | null;
  lastRetriedAt: Date | null;
  lastFailedAt: Date | null;
  lastCancelledAt: Date | null;
  tags: string[];
  idempotencyKey: string | null;
  progress: number | null;
  output: Output | null;
  deadLetterJobType: string | null;
  deadLetteredAt: Date | null;
  deadLetterJobId: string | null;
  batchId: string | null;
  batchCallbackId: string | null;
  /** For jobs enqueued by a cron entry: its key and the tick they run for. */
  cronKey: string | null;
  cronAt: Date | null;
  /** Keys of the handler's concurrency rules that apply to this job. */
  concurrencyKeys: string[];
  /** Its fair-share key (its tenant; see docs/fair-share.md), null: the default key. */
  fairKey: string | null;
  /** Its key's weight in fair share: a key of weight 3 gets about 3× the starts of weight 1. */
  fairWeight: number;
  /** Of its dependencies (`dependsOn`), how many it still waits for; null: it has none. */
  dependenciesLeft: number | null;
  /** Its rule for a dependency that fails (null: it has no dependencies). */
  onDependencyFailure: DependencyFailureRule | null;
  /** Whether other jobs were enqueued depending on this one. */
  hasDependents: boolean;
  /** Its step's name, for a job created by a flow (`createFlow`); null otherwise. */
  stepName: string | null;
}

/** One finished attempt of a job, from the job history (`QueueService.getJobExecutions`). */
export interface JobExecutionRecord {
  id: string;
  jobId: string;
  attempt: number;
  /** The worker that ran it. */
  worker: string | null;
  startedAt: Date | null;
  finishedAt: Date;
  durationMs: number | null;
  outcome: 'completed' | FailureReason | 'handed_back' | 'cancelled';
  /** The error entry of a failed attempt. */
  error: JobErrorEntry | null;
}
