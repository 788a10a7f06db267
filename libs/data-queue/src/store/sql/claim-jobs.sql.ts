/** Which queues a worker pool takes jobs from. */
export type QueueSelector =
  | { kind: 'only'; queues: string[] } // 'mail:2' or 'mail,sms:2'
  | { kind: 'except'; queues: string[] }; // '*:5' = every queue not named by another pool

/** The batch row of a batch job or batch callback job, as JSON (`ctx.batch`). */
const BATCH_JSON = (s: string, ref: string) => `(SELECT to_jsonb(batch) FROM ${s}.batches AS batch WHERE batch.id = ${ref})`;

/** The claim itself: a new attempt, stamped with its claimant. */
const CLAIM = `
SET status = 'processing',
    attempts = job.attempts + 1,
    locked_by = $2,
    locked_at = now(),
    started_at = coalesce(job.started_at, now()),
    available_at = NULL,
    next_attempt_at = NULL,
    pending_reason = NULL,
    perform_keys = NULL,
    updated_at = now()`;

/** Paused jobs stay pending: a pause on their queue, their job type or one of their tags. */
const PAUSED = `(pause.kind = 'queue' AND pause.value = queue)
       OR (pause.kind = 'jobType' AND pause.value = job_type)
       OR (pause.kind = 'tag' AND pause.value = ANY(tags))`;

/**
 * Claims up to $3 runnable jobs for worker $2 in one round trip.
 *
 * Runnable: pending, retrying, or waiting with its wait over (a timer, a token's timeout or
 * completion set `available_at`). The inner SELECT walks a partial index of runnable rows (see the initial migration) in
 * claim order — smaller priority first, then due time, then id (FIFO) — and stops after $3 rows, so
 * its cost does not grow with finished jobs or jobs scheduled for later.
 * `FOR UPDATE SKIP LOCKED` lets any number of workers claim at once: each takes rows nobody
 * else holds and nobody waits. The UPDATE then moves the rows out of the runnable set and
 * stamps the claimant and a new attempt number; together (locked_by, attempts) fence every
 * later write of this run. The pause check reads the (tiny, usually empty) pauses table, so a
 * pause or resume takes effect at every worker's next claim. `id = ANY(ARRAY(…))` makes the
 * UPDATE find its rows by primary key, whatever the planner believes about the table's size.
 * Batch jobs come with their batch row (`ctx.batch`) once per batch and claim, not once per job:
 * on the batch's first job (`first_of_batch`, which sorts only the claimed batch jobs; a window
 * over every claimed row cost about 2 µs per claimed job).
 *
 * The claim commits without waiting for the disk (`synchronous_commit` off for its transaction
 * only): a claim lost in a crash of Postgres leaves the job runnable, as if the claim had never
 * happened, and the fence makes the lost run's writes match nothing, so the job runs again, as
 * after any crash. Nothing that must survive depends on it: enqueues, completions and failures
 * still wait for the disk, and their flush carries every claim logged before them. This takes a
 * disk flush out of every pickup and every claim of a drain.
 */
export const claimJobsSql = (s: string, selector: QueueSelector) => `
WITH claimed AS (
  UPDATE ${s}.jobs AS job ${CLAIM}
  WHERE job.id = ANY(ARRAY(
    SELECT id
    FROM ${s}.jobs
    WHERE status IN ('pending', 'failed', 'waiting') AND available_at <= now()
      AND ${queueCondition(selector)}
      AND NOT EXISTS (SELECT 1 FROM ${s}.pauses AS pause WHERE ${PAUSED})
    ORDER BY priority, available_at, id
    LIMIT $3
    FOR UPDATE SKIP LOCKED
  ))
  RETURNING job.*, coalesce(job.batch_id, job.batch_callback_id) AS batch_ref
),
first_of_batch AS (
  SELECT DISTINCT ON (batch_ref) id, batch_ref FROM claimed WHERE batch_ref IS NOT NULL ORDER BY batch_ref, id
)
SELECT claimed.*, ${BATCH_JSON(s, 'first.batch_ref')} AS batch_json
FROM claimed LEFT JOIN first_of_batch AS first USING (id), (SELECT set_config('synchronous_commit', 'off', true)) AS no_flush_wait
ORDER BY priority, id`;

/** Inline mode: claims the job it just inserted, whatever its due time. */
export const claimJobByIdSql = (s: string) => `
UPDATE ${s}.jobs AS job ${CLAIM}
WHERE id = $1 AND status IN ('pending', 'failed') AND available_at IS NOT NULL
RETURNING job.*, coalesce(job.batch_id, job.batch_callback_id) AS batch_ref,
          ${BATCH_JSON(s, 'coalesce(job.batch_id, job.batch_callback_id)')} AS batch_json`;

function queueCondition(selector: QueueSelector): string {
  if (selector.kind === 'except') return 'queue <> ALL($1::text[])';
  // A single queue as `=` lets the planner read the index in order without a sort.
  return selector.queues.length === 1 ? 'queue = ($1::text[])[1]' : 'queue = ANY($1::text[])';
}

/**
 * Tests' clock (`drain` of @dataqueue/nestjs/testing): makes the jobs of queue $1 (null: every
 * queue) that would be runnable by $2 runnable now, so the next claim takes them: scheduled and
 * retrying jobs, and waits whose timer ends by then. Returns how many it moved.
 */
export const bringForwardSql = (s: string) => `
WITH moved AS (
  UPDATE ${s}.jobs SET available_at = now()
  WHERE status IN ('pending', 'failed', 'waiting') AND available_at > now() AND available_at <= $2
    AND ($1::text IS NULL OR queue = $1)
  RETURNING 1
)
SELECT count(*)::int AS moved FROM moved`;
