/*
 * Batch bookkeeping. Counters move in the same transaction as the job rows they count; the
 * batch row's lock orders concurrent movers, so each state transition (first discard, all jobs
 * finished) is observed by exactly one transaction, which enqueues the callbacks.
 */

/** A job's place in its batch's counts. */
const UNFINISHED = `(status IN ('pending', 'processing', 'waiting') OR (status = 'failed' AND next_attempt_at IS NOT NULL))`;
const DISCARDED = `(status = 'cancelled' OR (status = 'failed' AND next_attempt_at IS NULL))`;

export const insertBatchSql = (s: string) => `
INSERT INTO ${s}.batches (description, properties, on_finish, on_success, on_discard, callback_queue, callback_priority)
VALUES ($1, $2::jsonb, $3, $4, $5, $6, $7)
RETURNING *`;

export const getBatchSql = (s: string) => `SELECT * FROM ${s}.batches WHERE id = $1`;

/**
 * Applies counter deltas ($2 total, $3 pending, $4 succeeded, $5 discarded), optionally arms
 * the batch ($6: `enqueue`) or disarms a finished one ($8: `add` of new jobs, which must not
 * fire its callbacks again), merges properties ($7), then reports the transitions this change
 * caused:
 * - `discard_started`: the first discarded job since the batch had none → `onDiscard`.
 * - `jobs_finished`: an armed batch has no unfinished job left (or was armed with none) →
 *   `onFinish`, and `onSuccess` if nothing was discarded.
 * Jobs becoming unfinished again (retry, new jobs) re-open a finished batch; when the last
 * discarded job is retried, `discarded_at` clears and a later discard fires `onDiscard` again.
 */
export const applyBatchDeltaSql = (s: string) => `
WITH old AS (
  SELECT * FROM ${s}.batches WHERE id = $1 FOR UPDATE
),
next AS (
  SELECT old.pending_jobs + $3 AS pending,
         old.discarded_jobs + $5 AS discarded,
         CASE WHEN $6 THEN now()
              WHEN $8 AND old.jobs_finished_at IS NOT NULL THEN NULL
              ELSE old.enqueued_at END AS enqueued_at
  FROM old
)
UPDATE ${s}.batches AS batch
SET total_jobs = old.total_jobs + $2,
    pending_jobs = next.pending,
    succeeded_jobs = old.succeeded_jobs + $4,
    discarded_jobs = next.discarded,
    properties = CASE WHEN $7::jsonb IS NULL THEN old.properties ELSE old.properties || $7::jsonb END,
    enqueued_at = next.enqueued_at,
    discarded_at = CASE WHEN next.discarded = 0 THEN NULL
                        ELSE coalesce(old.discarded_at, CASE WHEN $5 > 0 THEN now() END) END,
    jobs_finished_at = CASE WHEN next.pending > 0 OR next.enqueued_at IS NULL THEN NULL
                            WHEN old.jobs_finished_at IS NULL OR $6 THEN now()
                            ELSE old.jobs_finished_at END,
    finished_at = CASE WHEN next.pending > 0 OR $6 THEN NULL ELSE old.finished_at END,
    updated_at = now()
FROM old, next
WHERE batch.id = old.id
RETURNING batch.*,
  (old.discarded_at IS NULL AND batch.discarded_at IS NOT NULL) AS discard_started,
  (batch.jobs_finished_at IS NOT NULL AND batch.jobs_finished_at IS DISTINCT FROM old.jobs_finished_at) AS jobs_finished`;

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

/** `cancelBatch`: every unfinished job of the batch, locked in id order. */
export const cancelBatchJobsSql = (s: string) => `
WITH target AS (
  SELECT id FROM ${s}.jobs WHERE batch_id = $1 AND ${UNFINISHED} ORDER BY id FOR UPDATE
)
UPDATE ${s}.jobs AS job
SET status = 'cancelled', last_cancelled_at = now(), available_at = NULL, next_attempt_at = NULL,
    locked_by = NULL, locked_at = NULL, updated_at = now()
FROM target WHERE job.id = target.id
RETURNING job.*`;

/** `retryBatch`: every discarded job of the batch, with a fresh attempt budget. */
export const retryBatchJobsSql = (s: string) => `
WITH target AS (
  SELECT id FROM ${s}.jobs WHERE batch_id = $1 AND ${DISCARDED} ORDER BY id FOR UPDATE
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
           count(*) FILTER (WHERE batch_id = ${batchId} AND ${UNFINISHED})::int AS pending,
           count(*) FILTER (WHERE batch_id = ${batchId} AND status = 'completed')::int AS succeeded,
           count(*) FILTER (WHERE batch_id = ${batchId} AND ${DISCARDED})::int AS discarded,
           count(*) FILTER (WHERE batch_callback_id = ${batchId} AND ${UNFINISHED})::int AS callbacks
    FROM ${s}.jobs WHERE batch_id = ${batchId} OR batch_callback_id = ${batchId}`;
}
