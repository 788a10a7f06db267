import { releaseDependents } from './dependencies.sql.js';

/*
 * Every write a running attempt makes is fenced on (id, status = 'processing', locked_by,
 * attempts): if the job was reaped, cancelled, timed out or handed back meanwhile, the stale
 * run's write matches no row and is dropped. Each statement returns the row it changed (or none).
 */
const FENCE = `id = $1 AND status = 'processing' AND locked_by = $2 AND attempts = $3`;

/**
 * Job history: the statement that ends an attempt also appends its row to job_executions
 * (`from`: a CTE of the changed jobs, with `attempt` and `locked_at` — the attempt's start,
 * which every end-of-attempt write keeps).
 */
export const recordExecution = (s: string, from: string, outcome: string, worker: string, error = 'NULL::jsonb') => `
INSERT INTO ${s}.job_executions (job_id, attempt, worker, started_at, outcome, error)
SELECT id, attempt, ${worker}, locked_at, ${outcome}, ${error} FROM ${from}`;
const RETRY_AT = `CASE WHEN attempts < max_attempts THEN now() + $6::float8 * interval '1 millisecond' END`;

/**
 * How a completion statement treats jobs with dependents (`has_dependents`), which the claimed
 * record cannot rule out: a dependent may be enqueued while the job runs.
 * - `plain` leaves them out, for the caller to complete in a transaction that announces them
 *   (the `followed` form) — the hot path of jobs without dependents stays one short statement.
 * - `releasing` completes them and releases their dependents in the same statement
 *   (releaseDependents). It leaves out a job whose row changed after the statement's snapshot:
 *   that change may be an enqueue of a new dependent, whose edge the snapshot does not show (the
 *   enqueue locks the job's row; see lockPrerequisitesSql). It also leaves out a job with
 *   dependencies left (one that started anyway), which may itself be a dependent released by this
 *   statement: a row is updated once per statement. Both go the `followed` way.
 * - `followed` completes every job; the transition listeners do the rest.
 */
export type CompletionForm = 'plain' | 'releasing' | 'followed';

/**
 * Completes many attempts of one worker ($2) in one statement: `unnest` zips ids ($1), attempt
 * numbers ($3) and outputs ($4: JSON, or NULL to keep what `ctx.setOutput` stored) into rows,
 * and each row is fenced on its own, so a stale attempt among them is simply left out of
 * RETURNING. Sorting by id makes concurrent flushes lock rows in one order (no deadlock).
 */
export const completeJobsUpdate = (s: string, form: CompletionForm) => `
UPDATE ${s}.jobs AS job
SET status = 'completed', output = coalesce(done.output, job.output), progress = 100, failure_reason = NULL,
    completed_at = now(), locked_by = NULL, updated_at = now()
FROM (${
  form === 'releasing'
    ? // The row version the snapshot shows: a newer one (xmin) is a change made since.
      `SELECT t.*, seen.xmin AS seen_version FROM unnest($1::bigint[], $3::int[], $4::jsonb[]) AS t(id, attempt, output)
      JOIN ${s}.jobs AS seen ON seen.id = t.id ORDER BY t.id`
    : `SELECT * FROM unnest($1::bigint[], $3::int[], $4::jsonb[]) AS t(id, attempt, output) ORDER BY id`
}) AS done
WHERE job.id = done.id AND job.status = 'processing' AND job.locked_by = $2 AND job.attempts = done.attempt${
  {
    plain: ' AND NOT job.has_dependents',
    releasing: ' AND job.xmin = done.seen_version AND coalesce(job.dependencies_left, 0) = 0',
    followed: '',
  }[form]
}
RETURNING job.id, job.attempts AS attempt, job.locked_at, job.batch_id, job.has_dependents`;

/** The CTEs of a completion statement of `form`, after `done`: the history rows, and the release of dependents. */
export const afterCompletion = (s: string, form: CompletionForm, wake: string) => `
history AS (${recordExecution(s, 'done', `'completed'`, '$2')})${
  form === 'releasing' ? `,${releaseDependents(s, 'SELECT id FROM done WHERE has_dependents', wake)}` : ''
}`;

/** What the answer of a completion statement of `form` references, so that the release's NOTIFY runs. */
export const releaseNotified = (form: CompletionForm) =>
  form === 'releasing' ? ', (SELECT count(*) FROM dependents_woken) AS dependents_woken' : '';

/** Completes jobs of no batch; `releasing` takes $5, the wake channel. */
export const completeJobsSql = (s: string, form: CompletionForm) => `
WITH done AS (${completeJobsUpdate(s, form)}),
${afterCompletion(s, form, '$5')}
SELECT id, has_dependents${releaseNotified(form)} FROM done`;

/**
 * Records the error ($4: entry without timestamps; the database clock stamps when it ended,
 * and `locked_at` when it started) and either
 * schedules the next attempt $6 ms from now or, once attempts are used up, fails for good
 * (`next_attempt_at` NULL). $5: failure reason.
 */
export const failJobSql = (s: string) => `
WITH failed AS (
  UPDATE ${s}.jobs
  SET status = 'failed',
      error_history = error_history || jsonb_build_array(
        $4::jsonb || jsonb_build_object('timestamp', now(), 'startedAt', locked_at)),
      failure_reason = $5,
      next_attempt_at = ${RETRY_AT},
      available_at = ${RETRY_AT},
      last_failed_at = now(), locked_by = NULL, updated_at = now()
  WHERE ${FENCE}
  RETURNING *, attempts AS attempt
),
history AS (${recordExecution(s, 'failed', '$5', '$2', 'error_history -> -1')})
SELECT * FROM failed`;

/** Graceful shutdown: the attempt did not happen; the job is runnable again at once. */
export const handBackJobSql = (s: string) => `
WITH handed AS (
  UPDATE ${s}.jobs
  SET status = 'pending', attempts = attempts - 1, available_at = now(), pending_reason = $4,
      locked_by = NULL, updated_at = now()
  WHERE ${FENCE}
  RETURNING id, attempts + 1 AS attempt, locked_at
),
history AS (${recordExecution(s, 'handed', `'handed_back'`, '$2')})
SELECT id FROM handed`;

/**
 * Claimed-ahead jobs a worker never started (it is stopping): back to runnable at once, the
 * attempt not counted and not recorded, since nothing ran. $1 ids, $2 worker, $3 attempts;
 * $4 wake channel, notified with the queues that got work back.
 */
export const releaseJobsSql = (s: string) => `
WITH released AS (
  UPDATE ${s}.jobs AS job
  SET status = 'pending', attempts = job.attempts - 1, available_at = now(), locked_by = NULL, updated_at = now()
  FROM (SELECT * FROM unnest($1::bigint[], $3::int[]) AS t(id, attempt) ORDER BY id) AS claimed
  WHERE job.id = claimed.id AND job.status = 'processing' AND job.locked_by = $2 AND job.attempts = claimed.attempt
  RETURNING job.queue
)
SELECT pg_notify($4, string_agg(DISTINCT queue, ',')) FROM released HAVING count(*) > 0`;

export const setProgressSql = (s: string) => `
UPDATE ${s}.jobs SET progress = $4, updated_at = now() WHERE ${FENCE} RETURNING id`;

export const setOutputSql = (s: string) => `
UPDATE ${s}.jobs SET output = $4::jsonb, updated_at = now() WHERE ${FENCE} RETURNING id`;

/** `ctx.step`: persists the memoized step results ($4) and the resolved wait (cleared). */
export const saveStepsSql = (s: string) => `
UPDATE ${s}.jobs SET steps = $4::jsonb, wait = NULL, wait_token = NULL, updated_at = now() WHERE ${FENCE} RETURNING id`;

/**
 * A durable wait: the attempt ends without counting, the job goes 'waiting' and is claimable
 * again at available_at: $7 (an absolute time), else $8 ms from now (a timer, or a token's
 * timeout), else never until its token ($6) completes. $4: steps so far, $5: the wait.
 */
export const startWaitSql = (s: string) => `
UPDATE ${s}.jobs
SET status = 'waiting', attempts = attempts - 1, locked_by = NULL, steps = $4::jsonb, wait = $5::jsonb,
    wait_token = $6, available_at = coalesce($7::timestamptz, now() + $8::float8 * interval '1 millisecond'),
    pending_reason = $9, updated_at = now()
WHERE ${FENCE}
RETURNING id`;
