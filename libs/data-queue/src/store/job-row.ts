import type { FailureReason, JobErrorEntry, JobRecord, JobStatus } from '../queue/job-record.js';

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
  created_at: Date;
  updated_at: Date;
  started_at: Date | null;
  completed_at: Date | null;
  last_retried_at: Date | null;
  last_failed_at: Date | null;
  last_cancelled_at: Date | null;
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
  };
}
