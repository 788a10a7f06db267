import { recordExecution } from './finish-job.sql.js';

/**
 * The crash reaper: forgets workers whose heartbeat is older than $1 ms and returns every job
 * still `processing` under a worker that is gone (expired now, or missing altogether) as a failed
 * attempt with reason `interrupted` — retried like any failure, or final once attempts are used up,
 * so a job that kills its process every time cannot loop forever.
 * SKIP LOCKED: two reapers never fight over a row, and a row a live worker is finishing right
 * now is left for the next pass (its fenced write wins or loses on its own).
 */
export const reapJobsSql = (s: string) => `
WITH expired AS (
  DELETE FROM ${s}.workers WHERE heartbeat_at < now() - $1::float8 * interval '1 millisecond'
  RETURNING id
),
orphaned AS (
  SELECT job.id, job.locked_by
  FROM ${s}.jobs AS job
  WHERE job.status = 'processing'
    AND (job.locked_by IN (SELECT id FROM expired)
         OR NOT EXISTS (SELECT 1 FROM ${s}.workers AS w WHERE w.id = job.locked_by))
  FOR UPDATE SKIP LOCKED
),
reaped AS (
  UPDATE ${s}.jobs AS job
  SET status = 'failed',
      error_history = job.error_history || jsonb_build_array(jsonb_build_object(
        'message', 'worker ' || job.locked_by || ' stopped heartbeating while running this job',
        'name', 'WorkerLostError', 'attempt', job.attempts, 'reason', 'interrupted',
        'timestamp', now(), 'startedAt', job.locked_at)),
      failure_reason = 'interrupted',
      next_attempt_at = CASE WHEN job.attempts < job.max_attempts THEN now() END,
      available_at = CASE WHEN job.attempts < job.max_attempts THEN now() END,
      last_failed_at = now(), locked_by = NULL, updated_at = now()
  FROM orphaned
  WHERE job.id = orphaned.id
  RETURNING job.*, job.attempts AS attempt, orphaned.locked_by AS lost_worker
),
history AS (${recordExecution(s, 'reaped', `'interrupted'`, 'lost_worker', 'error_history -> -1')})
SELECT * FROM reaped`;
