import { isValidQueueName } from '../../core/queue-name.js';
import { DUE, NOT_YET_DUE, RUNNABLE } from './runnable.sql.js';

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

/** Unpaused, due jobs, in the WHERE clause of a read of `jobs` (unqualified columns). */
const claimable = (s: string) => `${DUE} AND NOT EXISTS (SELECT 1 FROM ${s}.pauses AS pause WHERE ${PAUSED})`;

/** Claimable jobs of the default key in the pool's queues (written into the text), for the claims of keyed work. */
const defaultKeyClaimable = (s: string, selector: QueueSelector) => `fair_key = '' AND ${queueLiterals(selector)} AND ${claimable(s)}`;

/** Runnable keyed (fair-share) work, due or not: the rows of `jobs_fair_keys`. */
const RUNNABLE_KEYED = `${RUNNABLE} AND fair_key <> ''`;

/** Whether keyed work is runnable in the pool's queues: the pool then claims with claimFairJobsSql. */
const keyedWaiting = (s: string, selector: QueueSelector) =>
  `EXISTS (SELECT 1 FROM ${s}.jobs WHERE ${RUNNABLE_KEYED} AND ${queueCondition(selector)})`;

/**
 * The UPDATE of a claim ($2: the worker) over the ids a CTE `chosen` picked, and what it returns:
 * each job's row with its batch row on the first job of each batch (`first_of_batch`, which sorts
 * only the claimed batch jobs; a window over every claimed row cost about 2 µs per claimed job).
 */
const claimChosen = (s: string) => `
claimed AS (
  UPDATE ${s}.jobs AS job ${CLAIM}
  WHERE job.id = ANY(ARRAY(SELECT id FROM chosen))
  RETURNING job.*, coalesce(job.batch_id, job.batch_callback_id) AS batch_ref
),
first_of_batch AS (
  SELECT DISTINCT ON (batch_ref) id, batch_ref FROM claimed WHERE batch_ref IS NOT NULL ORDER BY batch_ref, id
)`;

/**
 * The claim commits without waiting for the disk (`synchronous_commit` off for its transaction
 * only): a claim lost in a crash of Postgres leaves the job runnable, as if the claim had never
 * happened, and the fence makes the lost run's writes match nothing, so the job runs again, as
 * after any crash. Nothing that must survive depends on it: enqueues, completions and failures
 * still wait for the disk, and their flush carries every claim logged before them. This takes a
 * disk flush out of every pickup and every claim of a drain.
 */
const NO_FLUSH_WAIT = `set_config('synchronous_commit', 'off', true)`;

/**
 * Claims up to $3 runnable jobs of one line for worker $2 in one round trip; the answer's column
 * `waiting` tells whether `waiting` holds.
 *
 * The inner SELECT walks a partial index of runnable rows (see the fair-share migration) in
 * claim order — smaller priority first, then due time, then id (FIFO) — and stops after $3 rows, so
 * its cost does not grow with finished jobs or jobs scheduled for later.
 * `FOR UPDATE SKIP LOCKED` lets any number of workers claim at once: each takes rows nobody
 * else holds and nobody waits. The UPDATE then moves the rows out of the runnable set and
 * stamps the claimant and a new attempt number; together (locked_by, attempts) fence every
 * later write of this run. The pause check reads the (tiny, usually empty) pauses table, so a
 * pause or resume takes effect at every worker's next claim. `id = ANY(ARRAY(…))` makes the
 * UPDATE find its rows by primary key, whatever the planner believes about the table's size.
 * The answer always has a row: with nothing claimed, one of NULLs that carries `waiting`.
 */
const claimLineSql = (s: string, line: string, waiting: string) => `
WITH chosen AS (
  SELECT id
  FROM ${s}.jobs
  WHERE ${line} AND ${claimable(s)}
  ORDER BY priority, available_at, id
  LIMIT $3
  FOR UPDATE SKIP LOCKED
),${claimChosen(s)}
SELECT claimed.*, ${BATCH_JSON(s, 'first.batch_ref')} AS batch_json, answer.waiting
FROM (SELECT ${waiting} AS waiting, ${NO_FLUSH_WAIT}) AS answer
LEFT JOIN (claimed LEFT JOIN first_of_batch AS first USING (id)) ON true
ORDER BY claimed.priority, claimed.id`;

/**
 * The plain claim, while no keyed job is runnable in the pool's queues ($1): the default key's
 * line, and whether keyed work is waiting (the pool then claims with claimFairJobsSql).
 */
export const claimJobsSql = (s: string, selector: QueueSelector) =>
  claimLineSql(s, `fair_key = '' AND ${queueCondition(selector)}`, keyedWaiting(s, selector));

/**
 * A lone key's claim: the line of the one pair ($1, $4) the pool knows to have keyed work, as
 * plain jobs are claimed (start-time fair queuing has no choice to make within one line), and
 * whether jobs of the default key are waiting (the pool then claims with claimFairJobsSql,
 * where they compete).
 */
export const claimPairJobsSql = (s: string, selector: QueueSelector) =>
  claimLineSql(s, `queue = $1 AND fair_key = $4`, `EXISTS (SELECT 1 FROM ${s}.jobs WHERE ${defaultKeyClaimable(s, selector)})`);

/**
 * The pairs (queue, fair key) with runnable keyed work, each with a job's weight, in descending key
 * order below the cursor ($8, $9) — or, for `lap` 2, from the last pair down to the cursor: a loose
 * index scan of `jobs_fair_keys` that jumps from one pair to the next, one index probe per pair.
 * - Descending, each probe lands on the newest entries of its pair. The oldest are those of jobs
 *   claimed since the last vacuum, whose entries stay until it runs: an ascending probe stepped
 *   over all of them (under one key, 1,000,000 jobs into a drain, hundreds of pages per claim).
 * - Within one queue it steps by key (`queue = … AND fair_key < …` positions the probe; a row
 *   comparison beside an equality on its first column would not, and the probe would read the
 *   queue's keys from the end); across queues, by the (queue, key) row.
 * - No cursor is ('', ''), below every pair: the first lap is empty and the second walks them all.
 */
const keyedPairs = (s: string, selector: QueueSelector, lap: 1 | 2) => {
  const oneQueue = selector.kind === 'only' && selector.queues.length === 1;
  const past = (queue: string, key: string, op: '<' | '>=') =>
    oneQueue ? `fair_key ${op} ${key}` : `(queue, fair_key) ${op} (${queue}, ${key})`;
  // The first lap starts below the cursor, and every step goes lower. The second starts at the
  // top and stops at the cursor: a bound on both sides of each step, which positions the probe.
  // The one-queue form steps by key alone; `$8::text IS NOT NULL` still gives $8 (the cursor's
  // queue) a type, which Postgres needs of every parameter.
  const below = `${past('$8::text', '$9::text', '<')}${oneQueue ? ' AND $8::text IS NOT NULL' : ''}`;
  const where = `${RUNNABLE_KEYED} AND ${queueLiterals(selector)}${lap === 2 ? ` AND ${past('$8::text', '$9::text', '>=')}` : ''}`;
  const name = lap === 1 ? 'below_cursor' : 'from_top';
  return `
${name} AS (
  (SELECT queue, fair_key, fair_weight FROM ${s}.jobs WHERE ${where}${lap === 1 ? ` AND ${below}` : ''} ORDER BY queue DESC, fair_key DESC LIMIT 1)
  UNION ALL
  SELECT next.queue, next.fair_key, next.fair_weight FROM ${name} AS pair CROSS JOIN LATERAL (
    SELECT queue, fair_key, fair_weight FROM ${s}.jobs WHERE ${where} AND ${past('pair.queue', 'pair.fair_key', '<')}
    ORDER BY queue DESC, fair_key DESC LIMIT 1
  ) AS next
)`;
};

/**
 * The window of a lap: up to $1 pairs with runnable keyed work, in descending key order from just
 * below the pool's cursor ($8, $9), wrapping round (a loose index scan, one probe per pair).
 */
const lapWindow = (s: string, selector: QueueSelector) => `
WITH RECURSIVE ${keyedPairs(s, selector, 1)},
${keyedPairs(s, selector, 2)},
window_pairs AS (
  -- The LIMIT applies before the numbering, so the second lap is walked only for what the first left.
  SELECT queue, fair_key, fair_weight AS weight, row_number() OVER (ORDER BY lap, queue DESC, fair_key DESC) AS place
  FROM ((SELECT *, 1 AS lap FROM below_cursor) UNION ALL (SELECT *, 2 AS lap FROM from_top) LIMIT $1) AS pair
)`;

/**
 * The window of a claim over known pairs: the pairs $1, $8 with their weights $9, as the pool's
 * last complete lap (and the claims since) found them. No index walk: a lap steps over the index
 * entries of every key drained since the last vacuum, the same ones again on every claim.
 */
const knownWindow = `
WITH window_pairs AS (
  SELECT queue, fair_key, weight, place FROM unnest($1::text[], $8::text[], $9::float8[]) WITH ORDINALITY AS pair(queue, fair_key, weight, place)
)`;

/**
 * Claims up to $3 jobs for worker $2 when keyed work is runnable: start-time fair queuing
 * across the pairs (queue, fair key) of the pool's queues (docs/fair-share.md), one round trip.
 *
 * - The window: the pairs of a lap (`lap`) or the pool's known pairs (`known`), plus the
 *   default key ('', '') when it has claimable jobs.
 * - Each pair's weight is that of the job its index entry came from (`jobs_fair_keys` includes it). A pair starts at the pool's virtual
 *   time $4 or, if later, where its last claimed job left it ($5, $6 → $7: the pool's finish tags).
 *   Its n-th job gets the tag start + (n - 1) / weight: a pair of weight 3 advances a third as
 *   fast, so it gets three starts for each one of a weight-1 pair.
 * - Each pair reads at most its share of $3 (by weight, rounded up) from the head of its line,
 *   in claim order (priority, due time, id), locking with SKIP LOCKED as the plain claim does.
 *   The $3 smallest tags are claimed; ties go to the pair nearest the cursor.
 * The answer always has a row. Its first carries the summary the pool keeps its state with:
 * whether keyed work remains, whether a pair may have more than it read, the last pair of a full
 * lap window (the next cursor), and each pair that had a claimable job, with the last tag
 * claimed from it (none: null).
 */
export const claimFairJobsSql = (s: string, selector: QueueSelector, window: 'lap' | 'known') => `
${window === 'lap' ? lapWindow(s, selector) : knownWindow},
competing AS (
  SELECT queue, fair_key, place, weight FROM window_pairs
  UNION ALL
  SELECT '', '', 0, 1 FROM (
    SELECT 1 FROM ${s}.jobs WHERE ${defaultKeyClaimable(s, selector)} LIMIT 1
  ) AS default_key
),
shares AS (
  SELECT pair.queue, pair.fair_key, pair.place, pair.weight,
         ceil($3::int * pair.weight / sum(pair.weight) OVER ())::int AS quota,
         greatest($4::float8, coalesce(known.finish, $4::float8)) AS start
  FROM competing AS pair
  LEFT JOIN unnest($5::text[], $6::text[], $7::float8[]) AS known(queue, fair_key, finish)
    ON known.queue = pair.queue AND known.fair_key = pair.fair_key
),
fetched AS (
  SELECT share.place, share.queue AS pair_queue, share.fair_key AS pair_key, share.weight, share.start, share.quota, line.id,
         row_number() OVER (PARTITION BY share.place ORDER BY line.priority, line.available_at, line.id) AS rn
  FROM shares AS share CROSS JOIN LATERAL (
    SELECT id, priority, available_at FROM ${s}.jobs
    WHERE queue = share.queue AND fair_key = share.fair_key AND ${claimable(s)}
    ORDER BY priority, available_at, id LIMIT share.quota
    FOR UPDATE SKIP LOCKED
  ) AS line
  WHERE share.place > 0
  UNION ALL
  SELECT share.place, '', '', share.weight, share.start, share.quota, line.id,
         row_number() OVER (ORDER BY line.priority, line.available_at, line.id)
  FROM shares AS share CROSS JOIN LATERAL (
    SELECT id, priority, available_at FROM ${s}.jobs
    WHERE ${defaultKeyClaimable(s, selector)}
    ORDER BY priority, available_at, id LIMIT share.quota
    FOR UPDATE SKIP LOCKED
  ) AS line
  WHERE share.place = 0
),
chosen AS (
  SELECT *, start + (rn - 1) / weight AS tag FROM fetched ORDER BY tag, place, id LIMIT $3
),${claimChosen(s)},
answer AS (
  SELECT jsonb_build_object(
           'keyedWaiting', EXISTS (SELECT 1 FROM window_pairs),
           'moreWaiting', coalesce((SELECT bool_or(rn = quota) FROM fetched), false),
           'nextCursor', (
             SELECT jsonb_build_array(queue, fair_key) FROM window_pairs
             WHERE (SELECT count(*) FROM window_pairs) = ${window === 'lap' ? '$1' : '-1'} ORDER BY place DESC LIMIT 1
           ),
           -- Each pair that had a claimable job (the head of its line), with the last tag claimed from it.
           'pairs', (
             SELECT coalesce(jsonb_agg(jsonb_build_array(head.pair_queue, head.pair_key, head.weight, served.tag) ORDER BY head.place), '[]')
             FROM fetched AS head LEFT JOIN (SELECT place, max(tag) AS tag FROM chosen GROUP BY place) AS served USING (place)
             WHERE head.rn = 1
           )
         ) AS summary,
         ${NO_FLUSH_WAIT}
)
-- The summary only on the first row: every row would otherwise carry up to a window of pairs.
SELECT claimed.*, ${BATCH_JSON(s, 'first.batch_ref')} AS batch_json,
       CASE WHEN row_number() OVER (ORDER BY chosen.tag, chosen.place, claimed.id) = 1 THEN answer.summary END AS fair_summary
FROM answer LEFT JOIN (claimed JOIN chosen USING (id) LEFT JOIN first_of_batch AS first USING (id)) ON true
ORDER BY chosen.tag, chosen.place, claimed.id`;

/** Inline mode: claims the job it just inserted, whatever its due time. */
export const claimJobByIdSql = (s: string) => `
UPDATE ${s}.jobs AS job ${CLAIM}
WHERE id = $1 AND status IN ('pending', 'failed') AND available_at IS NOT NULL
RETURNING job.*, coalesce(job.batch_id, job.batch_callback_id) AS batch_ref,
          ${BATCH_JSON(s, 'coalesce(job.batch_id, job.batch_callback_id)')} AS batch_json`;

/**
 * The pool's queues as a condition on `queue`, from an array: the parameter $1 by default.
 * A single queue as `=` lets the planner read the index in order without a sort.
 */
function queueCondition(selector: QueueSelector, queues = '$1::text[]'): string {
  if (selector.kind === 'except') return `queue <> ALL(${queues})`;
  return selector.queues.length === 1 ? `queue = (${queues})[1]` : `queue = ANY(${queues})`;
}

/**
 * The same condition with the pool's queues written into the text, for the fair claim. It is
 * prepared, planned once for every value of its parameters; with the queues as a parameter,
 * Postgres estimated that `queue <> ALL($1)` keeps almost no job of a one-queue table, and planned
 * each loose-scan probe as a bitmap scan and a sort of every runnable keyed job (42 ms for a
 * claim that takes 6). Queue names are letters, digits, `_`, `.` and `-` (core/queue-name.ts):
 * nothing to escape.
 */
function queueLiterals(selector: QueueSelector): string {
  const invalid = selector.queues.find((queue) => !isValidQueueName(queue));
  if (invalid !== undefined) throw new Error(`invalid queue name ${JSON.stringify(invalid)}`);
  return queueCondition(selector, `'{${selector.queues.join(',')}}'::text[]`);
}

/**
 * Tests' clock (`drain` of @dataqueue/nestjs/testing): makes the jobs of queue $1 (null: every
 * queue) that would be runnable by $2 runnable now, so the next claim takes them: scheduled and
 * retrying jobs, and waits whose timer ends by then. Returns how many it moved.
 */
export const bringForwardSql = (s: string) => `
WITH moved AS (
  UPDATE ${s}.jobs SET available_at = now()
  WHERE ${NOT_YET_DUE} AND available_at <= $2
    AND ($1::text IS NULL OR queue = $1)
  RETURNING 1
)
SELECT count(*)::int AS moved FROM moved`;
