import { DISCARDED, UNFINISHED } from '../../core/job-states.js';
import { afterCompletion, completeJobsUpdate, recordExecution, releaseNotified } from './finish-job.sql.js';
import { BATCH_CALLBACK_JOB_TYPE } from '../../core/batch-record.js';

/*
 * Batch bookkeeping. Counters move in the same transaction as the job rows they count; the
 * batch row's lock orders concurrent movers, so each state transition (first discard, all jobs
 * finished) is observed by exactly one transaction, which enqueues the callbacks.
 */

export const insertBatchSql = (s: string) => `
INSERT INTO ${s}.batches (description, properties, on_finish, on_success, on_discard, callback_queue, callback_priority)
VALUES ($1, $2::jsonb, $3, $4, $5, $6, $7)
RETURNING *`;

export const getBatchSql = (s: string) => `SELECT * FROM ${s}.batches WHERE id = $1`;

/** Where a counter change comes from: SQL expressions (parameters, or columns of a CTE before it). */
interface BatchChange {
  id: string;
  total: string;
  pending: string;
  succeeded: string;
  discarded: string;
  /** `enqueue`: arm the batch. */
  arm: string;
  /** `add` of new jobs: a finished batch becomes unarmed, so its callbacks do not fire again. */
  disarmIfFinished: string;
  /** Merged into `properties` unless NULL. */
  properties: string;
  /** Attempts of the callback jobs enqueued. */
  callbackMaxAttempts: string;
  /** NOTIFY channel that wakes workers for those callback jobs. */
  wakeChannel: string;
  /**
   * A CTE whose row locks come first: the batch row is locked after them. Job rows are locked
   * before batch rows on every path (see JobTransitionListener.locks).
   */
  lockedAfter?: string;
}

/**
 * The CTEs that apply a counter change to one batch and act on the transitions it causes, in
 * the statement that moved the jobs — so the decision and its callback jobs commit with them:
 * - `old` locks the batch row: concurrent movers of one batch take turns, and each sees the
 *   counts the previous one committed, so each transition is observed exactly once.
 * - `due`: `discard_started` (the first discarded job while none was) → onDiscard;
 *   `jobs_finished` (an armed batch has no unfinished job left, or was armed with none) →
 *   onFinish, and onSuccess if nothing is discarded.
 * - `callbacks` inserts those callback jobs; `updated` counts them into `pending_callbacks`,
 *   and sets `finished_at` once the jobs and every callback job are done.
 * Jobs becoming unfinished again (retry, new jobs) re-open a finished batch; when the last
 * discarded job is retried or deleted, `discarded_at` clears and a later discard fires again.
 */
function applyBatchChange(s: string, c: BatchChange): string {
  return `
old AS (
  SELECT * FROM ${s}.batches WHERE id = ${c.id}${c.lockedAfter ? ` AND (SELECT count(*) FROM ${c.lockedAfter}) >= 0` : ''} FOR UPDATE
),
next AS (
  SELECT old.pending_jobs + ${c.pending} AS pending,
         old.discarded_jobs + ${c.discarded} AS discarded,
         CASE WHEN ${c.arm} THEN now()
              WHEN ${c.disarmIfFinished} AND old.jobs_finished_at IS NOT NULL THEN NULL
              ELSE old.enqueued_at END AS enqueued_at
  FROM old
),
due AS (
  SELECT old.discarded_at IS NULL AND next.discarded > 0 AND ${c.discarded} > 0 AS discard_started,
         next.pending = 0 AND next.enqueued_at IS NOT NULL AND (old.jobs_finished_at IS NULL OR ${c.arm}) AS jobs_finished
  FROM old, next
),
fired AS (
  SELECT event, key
  FROM old, next, due,
       LATERAL (VALUES ('discard', old.on_discard, due.discard_started),
                       ('finish', old.on_finish, due.jobs_finished),
                       ('success', old.on_success, due.jobs_finished AND next.discarded = 0)) AS e(event, key, fire)
  WHERE fire AND key IS NOT NULL
),
callbacks AS (
  INSERT INTO ${s}.jobs (job_type, queue, payload, priority, max_attempts, batch_callback_id)
  SELECT '${BATCH_CALLBACK_JOB_TYPE}', coalesce(old.callback_queue, 'default'),
         jsonb_build_object('batchId', old.id, 'event', fired.event, 'key', fired.key),
         coalesce(old.callback_priority, 0), ${c.callbackMaxAttempts}, old.id
  FROM old, fired
  RETURNING queue
),
woken AS (
  SELECT pg_notify(${c.wakeChannel}, queue) FROM (SELECT DISTINCT queue FROM callbacks) AS due_queues
),
updated AS (
  UPDATE ${s}.batches AS batch
  SET total_jobs = old.total_jobs + ${c.total},
      pending_jobs = next.pending,
      succeeded_jobs = old.succeeded_jobs + ${c.succeeded},
      discarded_jobs = next.discarded,
      pending_callbacks = old.pending_callbacks + (SELECT count(*)::int FROM fired),
      properties = CASE WHEN ${c.properties} IS NULL THEN old.properties ELSE old.properties || ${c.properties} END,
      enqueued_at = next.enqueued_at,
      discarded_at = CASE WHEN next.discarded = 0 THEN NULL
                          ELSE coalesce(old.discarded_at, CASE WHEN ${c.discarded} > 0 THEN now() END) END,
      jobs_finished_at = CASE WHEN next.pending > 0 OR next.enqueued_at IS NULL THEN NULL
                              WHEN due.jobs_finished THEN now()
                              ELSE old.jobs_finished_at END,
      finished_at = CASE WHEN next.pending > 0 OR next.enqueued_at IS NULL THEN NULL
                         WHEN due.jobs_finished THEN
                           CASE WHEN old.pending_callbacks + (SELECT count(*) FROM fired) = 0 THEN now() END
                         ELSE old.finished_at END,
      updated_at = now()
  FROM old, next, due
  WHERE batch.id = old.id
  RETURNING batch.*
)`;
}

/**
 * A counter change from parameters: $1 batch, deltas $2 total, $3 pending, $4 succeeded,
 * $5 discarded, $6 arm, $7 properties to merge, $8 disarm if finished, $9 callback attempts,
 * $10 wake channel. Returns the batch as changed, or no row if it does not exist.
 */
export const applyBatchDeltaSql = (s: string) => `
WITH ${applyBatchChange(s, {
  id: '$1::uuid',
  total: '$2::int',
  pending: '$3::int',
  succeeded: '$4::int',
  discarded: '$5::int',
  arm: '$6::boolean',
  properties: '$7::jsonb',
  disarmIfFinished: '$8::boolean',
  callbackMaxAttempts: '$9::int',
  wakeChannel: '$10::text',
})}
SELECT updated.*, (SELECT count(*) FROM woken) AS woken FROM updated`;

/**
 * The hot path of batch jobs: completing jobs of ONE batch ($1-$4, as completeJobsSql) and that
 * batch's bookkeeping in one statement, so the batch row is locked once per flush of completions
 * (not once per job) and only inside the server, never across a client round trip. $5 callback
 * attempts, $6 wake channel. Returns the ids completed (none when every fence failed; then the
 * batch row is not touched). `form`: see CompletionForm; a release does not move the batch's
 * counters (a released job stays pending), and locks the dependents before the batch row.
 */
export const completeBatchJobsSql = (s: string, form: 'plain' | 'releasing') => `
WITH done AS (${completeJobsUpdate(s, form)}),
${afterCompletion(s, form, '$6::text')},
moved AS (SELECT count(*)::int AS n FROM done),
${applyBatchChange(s, {
  id: '(SELECT batch_id FROM done LIMIT 1)',
  total: '0',
  pending: '-(SELECT n FROM moved)',
  succeeded: '(SELECT n FROM moved)',
  discarded: '0',
  arm: 'false',
  properties: 'NULL::jsonb',
  disarmIfFinished: 'false',
  callbackMaxAttempts: '$5::int',
  wakeChannel: '$6::text',
  lockedAfter: form === 'releasing' ? 'changed' : undefined,
})}
SELECT done.id, (SELECT count(*) FROM woken) AS woken, (SELECT count(*) FROM updated) AS batches${releaseNotified(form)} FROM done`;

/**
 * Counts callback jobs in ($2 > 0) or out ($2 < 0); the batch is finished once its jobs are
 * and no callback job is left unfinished.
 */
export const adjustBatchCallbacksSql = (s: string) => `
UPDATE ${s}.batches
SET pending_callbacks = pending_callbacks + $2,
    finished_at = CASE WHEN pending_callbacks + $2 = 0 AND jobs_finished_at IS NOT NULL
                       THEN coalesce(finished_at, now()) ELSE NULL END,
    updated_at = now()
WHERE id = $1
RETURNING id`;

/** `cancelBatch`: every unfinished job of the batch, locked in id order; running ones get a history row. */
export const cancelBatchJobsSql = (s: string) => `
WITH target AS (
  SELECT id, status AS previous_status, locked_by AS previous_worker
  FROM ${s}.jobs WHERE batch_id = $1 AND ${UNFINISHED.sql()} ORDER BY id FOR UPDATE
),
cancelled AS (
  UPDATE ${s}.jobs AS job
  SET status = 'cancelled', last_cancelled_at = now(), available_at = NULL, next_attempt_at = NULL,
      locked_by = NULL, updated_at = now()
  FROM target WHERE job.id = target.id
  RETURNING job.*, job.attempts AS attempt, target.previous_status, target.previous_worker
),
running AS (SELECT * FROM cancelled WHERE previous_status = 'processing'),
history AS (${recordExecution(s, 'running', `'cancelled'`, 'previous_worker')})
SELECT * FROM cancelled`;

/** `retryBatch`: every discarded job of the batch, with a fresh attempt budget. */
export const retryBatchJobsSql = (s: string) => `
WITH target AS (
  SELECT id FROM ${s}.jobs WHERE batch_id = $1 AND ${DISCARDED.sql()} ORDER BY id FOR UPDATE
)
UPDATE ${s}.jobs AS job
SET status = 'pending', attempts = 0, available_at = now(), next_attempt_at = NULL,
    failure_reason = NULL, last_retried_at = now(), updated_at = now()
FROM target WHERE job.id = target.id
RETURNING job.*`;

/**
 * Reconciliation candidates: unfinished batches idle for $1 ms whose counters disagree with
 * their jobs, or whose counters say they should have finished but did not.
 */
export const driftedBatchesSql = (s: string) => `
SELECT batch.id
FROM ${s}.batches AS batch
CROSS JOIN LATERAL (${actualCounts(s, 'batch.id')}) AS actual
WHERE batch.finished_at IS NULL AND batch.updated_at < now() - $1::float8 * interval '1 millisecond'
  AND ((batch.total_jobs, batch.pending_jobs, batch.succeeded_jobs, batch.discarded_jobs, batch.pending_callbacks)
         IS DISTINCT FROM (actual.total, actual.pending, actual.succeeded, actual.discarded, actual.callbacks)
       OR (batch.enqueued_at IS NOT NULL AND batch.pending_jobs = 0 AND batch.jobs_finished_at IS NULL)
       OR (batch.jobs_finished_at IS NOT NULL AND batch.pending_callbacks = 0))
ORDER BY batch.updated_at
LIMIT 100`;

/** Locks a batch row: the reconciler counts only after it holds the lock (see lockedCounts). */
export const lockBatchSql = (s: string) => `
SELECT total_jobs, pending_jobs, succeeded_jobs, discarded_jobs, pending_callbacks
FROM ${s}.batches WHERE id = $1 FOR UPDATE`;

/** One batch's true counts. */
export const actualCountsSql = (s: string) => actualCounts(s, '$1::uuid');

function actualCounts(s: string, batchId: string): string {
  return `
    SELECT count(*) FILTER (WHERE batch_id = ${batchId})::int AS total,
           count(*) FILTER (WHERE batch_id = ${batchId} AND ${UNFINISHED.sql()})::int AS pending,
           count(*) FILTER (WHERE batch_id = ${batchId} AND status = 'completed')::int AS succeeded,
           count(*) FILTER (WHERE batch_id = ${batchId} AND ${DISCARDED.sql()})::int AS discarded,
           count(*) FILTER (WHERE batch_callback_id = ${batchId} AND ${UNFINISHED.sql()})::int AS callbacks
    FROM ${s}.jobs WHERE batch_id = ${batchId} OR batch_callback_id = ${batchId}`;
}
