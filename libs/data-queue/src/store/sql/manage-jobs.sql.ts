import { DISCARDED, RETRYING, UNFINISHED } from '../../core/job-states.js';
import { recordExecution } from './finish-job.sql.js';

/*
 * Operator actions. Each is one guarded UPDATE/DELETE: the WHERE clause is the state machine,
 * so a concurrent worker or operator can never make an action apply to a state it does not allow.
 * No row back means "not found or not allowed"; the caller reads the job to say which.
 */

/** Unfinished jobs (pending, waiting, running or retrying) can be cancelled. */
export const cancelJobSql = (s: string) => `
WITH previous AS (
  SELECT id, status, next_attempt_at, locked_by FROM ${s}.jobs WHERE id = $1 FOR UPDATE
),
cancelled AS (
  UPDATE ${s}.jobs AS job
  SET status = 'cancelled', last_cancelled_at = now(), available_at = NULL, next_attempt_at = NULL,
      locked_by = NULL, updated_at = now()
  FROM previous
  WHERE job.id = previous.id AND ${UNFINISHED.sql('previous')}
  RETURNING job.*, job.attempts AS attempt, previous.status AS previous_status, previous.locked_by AS previous_worker
),
running AS (SELECT * FROM cancelled WHERE previous_status = 'processing'),
history AS (${recordExecution(s, 'running', `'cancelled'`, 'previous_worker')})
SELECT * FROM cancelled`;

/**
 * Failed (final or retrying) and cancelled jobs run again with a fresh attempt budget.
 * `was_discarded` tells batch bookkeeping whether the job had counted as discarded.
 */
export const retryJobSql = (s: string) => `
UPDATE ${s}.jobs AS job
SET status = 'pending', attempts = 0, available_at = now(), next_attempt_at = NULL,
    failure_reason = NULL, last_retried_at = now(), updated_at = now()
FROM (SELECT id, status, next_attempt_at FROM ${s}.jobs WHERE id = $1 FOR UPDATE) AS previous
WHERE job.id = previous.id AND previous.status IN ('failed', 'cancelled')
RETURNING job.*, ${DISCARDED.sql('previous')} AS was_discarded`;

/** Resumes every job waiting for token $1 with data $2 ($3: wake channel). */
export const completeTokenSql = (s: string) => `
WITH resumed AS (
  UPDATE ${s}.jobs
  SET wait = wait || jsonb_build_object('completed', true, 'data', $2::jsonb), available_at = now(), updated_at = now()
  WHERE wait_token = $1 AND status = 'waiting'
  RETURNING queue
)
SELECT count(*)::int AS resumed, (SELECT count(pg_notify($3, queue)) FROM (SELECT DISTINCT queue FROM resumed) AS q) AS woken
FROM resumed`;

/**
 * Changes a blocked, pending or retrying job ($1): its payload ($2 JSON), priority ($3) or start
 * ($4); NULL keeps a field. The status condition is the fence: a job a worker claimed meanwhile
 * is not changed (no row), so an attempt never runs with half an update. A blocked job is not
 * runnable (available_at stays NULL): its new start applies when it is released.
 */
export const updateJobSql = (s: string) => `
UPDATE ${s}.jobs
SET payload = coalesce($2::jsonb, payload),
    priority = coalesce($3::int, priority),
    run_at = coalesce($4::timestamptz, run_at),
    available_at = CASE WHEN status = 'blocked' THEN NULL ELSE coalesce($4::timestamptz, available_at) END,
    next_attempt_at = CASE WHEN $4::timestamptz IS NOT NULL AND status = 'failed' THEN $4::timestamptz ELSE next_attempt_at END,
    updated_at = now()
WHERE id = $1 AND (status IN ('blocked', 'pending') OR ${RETRYING.sql()})
RETURNING *`;

/** Anything but a running job (cancel it first) can be deleted. */
export const deleteJobSql = (s: string) => `
DELETE FROM ${s}.jobs WHERE id = $1 AND status <> 'processing' RETURNING *`;

/** Links a final-failed job to the dead-letter job made from it. */
export const markDeadLetteredSql = (s: string) => `
UPDATE ${s}.jobs SET dead_letter_job_id = $2, dead_lettered_at = now() WHERE id = $1`;

/** A job's history, oldest attempt first. */
export const jobExecutionsSql = (s: string) => `
SELECT *, (extract(epoch FROM finished_at - started_at) * 1000)::float8 AS duration_ms
FROM ${s}.job_executions WHERE job_id = $1 ORDER BY id`;

export const getJobSql = (s: string) => `SELECT * FROM ${s}.jobs WHERE id = $1`;

/** $1: channel, $2: payload (queue names to wake, or a cancelled job's id). */
export const notifySql = `SELECT pg_notify($1, $2)`;
