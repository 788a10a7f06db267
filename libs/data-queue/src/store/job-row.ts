import type { JobReference } from '../core/enqueue-options.js';
import type { DependencyFailureRule, FailureReason, JobErrorEntry, JobRecord } from '../core/job-record.js';
import type { JobStatus } from '../core/job-states.js';

/** A `jobs` row as node-postgres returns it (bigint as string, timestamptz as Date, jsonb parsed). */
export interface JobRow {
  id: string;
  job_type: string;
  queue: string;
  payload: unknown;
  status: JobStatus;
  priority: number;
  run_at: Date;
  available_at: Date | null;
  next_attempt_at: Date | null;
  attempts: number;
  max_attempts: number;
  timeout_ms: number | null;
  tags: string[];
  idempotency_key: string | null;
  locked_at: Date | null;
  locked_by: string | null;
  pending_reason: string | null;
  error_history: JobErrorEntry[];
  failure_reason: FailureReason | null;
  progress: number | null;
  output: unknown;
  dead_letter_job_type: string | null;
  dead_lettered_at: Date | null;
  dead_letter_job_id: string | null;
  batch_id: string | null;
  batch_callback_id: string | null;
  cron_key: string | null;
  cron_at: Date | null;
  concurrency_keys: string[];
  fair_key: string;
  fair_weight: number;
  created_at: Date;
  updated_at: Date;
  started_at: Date | null;
  completed_at: Date | null;
  last_retried_at: Date | null;
  last_failed_at: Date | null;
  last_cancelled_at: Date | null;
  dependencies_left: number | null;
  on_dependency_failure: DependencyFailureRule | null;
  has_dependents: boolean;
  step_name: string | null;
}

export function toJobRecord<Payload = unknown>(row: JobRow): JobRecord<Payload> {
  return {
    id: row.id,
    jobType: row.job_type,
    queue: row.queue,
    payload: row.payload as Payload,
    status: row.status,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    lockedAt: row.locked_at,
    lockedBy: row.locked_by,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    nextAttemptAt: row.next_attempt_at,
    priority: row.priority,
    runAt: row.run_at,
    pendingReason: row.pending_reason,
    errorHistory: row.error_history,
    timeoutMs: row.timeout_ms,
    failureReason: row.failure_reason,
    completedAt: row.completed_at,
    startedAt: row.started_at,
    lastRetriedAt: row.last_retried_at,
    lastFailedAt: row.last_failed_at,
    lastCancelledAt: row.last_cancelled_at,
    tags: row.tags,
    idempotencyKey: row.idempotency_key,
    progress: row.progress,
    output: row.output,
    deadLetterJobType: row.dead_letter_job_type,
    deadLetteredAt: row.dead_lettered_at,
    deadLetterJobId: row.dead_letter_job_id,
    batchId: row.batch_id,
    batchCallbackId: row.batch_callback_id,
    cronKey: row.cron_key,
    cronAt: row.cron_at,
    concurrencyKeys: row.concurrency_keys,
    fairKey: row.fair_key === '' ? null : row.fair_key,
    fairWeight: row.fair_weight,
    dependenciesLeft: row.dependencies_left,
    onDependencyFailure: row.on_dependency_failure,
    hasDependents: row.has_dependents,
    stepName: row.step_name,
  };
}

/** A job ready to insert: defaults applied, payload validated and serialized. */
export interface NewJob {
  jobType: string;
  queue: string;
  payloadJson: string;
  priority: number;
  runAt: Date | null;
  delayMs: number;
  maxAttempts: number;
  timeoutMs: number | null;
  tags: string[];
  idempotencyKey: string | null;
  /** How long the job holds its key (see EnqueueOptions.idempotencyWindow); null: while it exists. */
  idempotencyWindow: number | 'unfinished' | null;
  /** Whether an enqueue that finds its key held replaces a pending holder (onDuplicate, debounceMs). */
  replacesPending: boolean;
  deadLetterJobType: string | null;
  batchId: string | null;
  /** Set on the callback jobs of a batch. */
  batchCallbackId: string | null;
  concurrencyKeys: string[];
  /** Its fair-share key, '' for the default key, and the key's weight. */
  fairKey: string;
  fairWeight: number;
  /** The OpenTelemetry context of the enqueue (W3C headers), null when it traced nothing. */
  traceContext: TraceCarrier | null;
  /** The jobs this one waits for (`dependsOn`), as given; empty: none. */
  dependsOn: JobReference[];
  /** Its rule for a dependency that fails; null when it has no dependencies. */
  onDependencyFailure: DependencyFailureRule | null;
}

/** W3C trace context headers (`traceparent`, `tracestate`), as stored on a job. */
export type TraceCarrier = Record<string, string>;

/**
 * What an insert returns of a new row: the values the database decided (see insertJobsSql);
 * the whole row for jobs with dependencies, whose state the database decided too.
 */
export type InsertedRow = Pick<JobRow, 'id' | 'run_at' | 'created_at' | 'idempotency_key'> | JobRow;

/**
 * The record of a job just inserted, built from its input and what the database decided: the
 * same record a read of the new row gives, with the jobs table's defaults for the rest (a test
 * compares the two).
 */
export function insertedJobRecord<Payload = unknown>(job: NewJob, row: InsertedRow): JobRecord<Payload> {
  if ('status' in row) return toJobRecord(row);
  return {
    id: row.id,
    jobType: job.jobType,
    queue: job.queue,
    payload: JSON.parse(job.payloadJson) as Payload,
    status: 'pending',
    createdAt: row.created_at,
    updatedAt: row.created_at,
    lockedAt: null,
    lockedBy: null,
    attempts: 0,
    maxAttempts: job.maxAttempts,
    nextAttemptAt: null,
    priority: job.priority,
    runAt: row.run_at,
    pendingReason: null,
    errorHistory: [],
    timeoutMs: job.timeoutMs,
    failureReason: null,
    completedAt: null,
    startedAt: null,
    lastRetriedAt: null,
    lastFailedAt: null,
    lastCancelledAt: null,
    tags: [...job.tags],
    idempotencyKey: job.idempotencyKey,
    progress: null,
    output: null,
    deadLetterJobType: job.deadLetterJobType,
    deadLetteredAt: null,
    deadLetterJobId: null,
    batchId: job.batchId,
    batchCallbackId: job.batchCallbackId,
    cronKey: null,
    cronAt: null,
    concurrencyKeys: [...job.concurrencyKeys],
    fairKey: job.fairKey === '' ? null : job.fairKey,
    fairWeight: job.fairWeight,
    dependenciesLeft: null,
    onDependencyFailure: null,
    hasDependents: false,
    stepName: null,
  };
}
