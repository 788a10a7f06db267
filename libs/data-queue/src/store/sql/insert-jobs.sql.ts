import { UNFINISHED } from '../../core/job-states.js';
import { dependencyFailedEntrySql, dependentStatusSql } from './dependencies.sql.js';

/**
 * Inserts any number of jobs in one statement: each column arrives as one array parameter and
 * `ROWS FROM` zips them back into rows, so `enqueueMany` of 10,000 jobs is still one round trip.
 * Payloads come as one JSON array ($3), which costs nothing to build from their JSON texts,
 * where a Postgres array literal would escape every quote in them.
 *
 * - Identity values follow `ORDER BY ord`, so ids (the FIFO tie-break) keep the caller's order.
 * - `ON CONFLICT … DO NOTHING` (`withKeys`) makes an idempotency key return nothing instead of
 *   failing; the caller then settles it with the holder (settleIdempotencyKeysSql). The keyed form
 *   also stores each key's window (KEY_WINDOW). Concurrent inserts of one key wait on the
 *   unique index for the first transaction, so exactly one row ever exists. Without keys the
 *   clause is left out: it makes every row a speculative insertion (a lock and an extra WAL
 *   record per row) even when no row has a key.
 * - `run_at` comes from the database clock when only a delay is given.
 * - The wake-up NOTIFY is part of the statement, so inside a caller's transaction Postgres
 *   delivers it only on commit; one notification names every queue that got runnable work.
 *   (An uncorrelated scalar subquery runs once, and only if rows were inserted.)
 * - It returns only what the database decided (id, due time, creation time): the caller has the
 *   rest, and parsing whole rows back was a large share of a bulk enqueue's cost.
 */
export const insertJobsSql = (s: string, { withKeys, withDependencies = false }: { withKeys: boolean; withDependencies?: boolean }) => {
  const window = withKeys ? KEY_WINDOW : NONE;
  const held = withDependencies ? heldColumns(withKeys ? 21 : 19) : NONE;
  const available = withDependencies ? `CASE WHEN held.status = 'pending' THEN due.at END` : 'due.at';
  return `
WITH input AS (
  SELECT *
  FROM ROWS FROM (unnest($1::text[]), unnest($2::text[]), jsonb_array_elements($3::jsonb), unnest($4::int[]),
                  unnest($5::timestamptz[]), unnest($6::float8[]), unnest($7::int[]), unnest($8::int[]), unnest($9::jsonb[]),
                  unnest($10::text[]), unnest($11::text[]), unnest($12::uuid[]), unnest($13::uuid[]), unnest($14::jsonb[]),
                  unnest($16::jsonb[]), unnest($17::text[]), unnest($18::real[])${window.arrays}${held.arrays})
       WITH ORDINALITY AS t(job_type, queue, payload, priority, run_at, delay_ms, max_attempts, timeout_ms,
                            tags, idempotency_key, dead_letter_job_type, batch_id, batch_callback_id, concurrency_keys,
                            trace_context, fair_key, fair_weight${window.names}${held.names}, ord)
),
inserted AS (
  INSERT INTO ${s}.jobs (job_type, queue, payload, priority, run_at, available_at, max_attempts, timeout_ms,
                         tags, idempotency_key, dead_letter_job_type, batch_id, batch_callback_id, concurrency_keys, trace_context,
                         fair_key, fair_weight${window.columns}${held.columns})
  SELECT job_type, queue, payload, priority, due.at, ${available}, max_attempts, timeout_ms,
         ARRAY(SELECT jsonb_array_elements_text(tags)), idempotency_key, dead_letter_job_type, batch_id, batch_callback_id,
         ARRAY(SELECT jsonb_array_elements_text(concurrency_keys)), trace_context, fair_key, fair_weight${window.values}${held.values}
  FROM input
  CROSS JOIN LATERAL (SELECT coalesce(input.run_at, now() + input.delay_ms * interval '1 millisecond') AS at) due${held.join}
  ORDER BY ord
  ${withKeys ? 'ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING' : ''}
  RETURNING ${withDependencies ? '*' : 'id, queue, run_at, available_at, created_at, idempotency_key'}
),
woken AS (
  SELECT pg_notify($15, queues)
  FROM (SELECT string_agg(DISTINCT queue, ',') AS queues FROM inserted WHERE available_at <= now()) due
  WHERE queues IS NOT NULL
)
SELECT ${withDependencies ? 'inserted.*' : 'inserted.id, inserted.run_at, inserted.created_at, inserted.idempotency_key'}, (SELECT count(*) FROM woken) AS woken
FROM inserted`;
};

const NONE = { arrays: '', names: '', columns: '', values: '', join: '' };

/**
 * The columns of jobs enqueued with `dependsOn` (from parameter $n on), whose state the database
 * decides from their dependencies as locked by lockPrerequisitesSql: how many are unfinished and
 * how many discarded, the first discarded one, and the job's rule. A discarded dependency under
 * 'run' counts as satisfied; under 'cancel' or 'fail' the job is inserted cancelled or failed
 * (dependentStatusSql, the rule dependencies settle by later too). A job of the same insert
 * without dependencies (its rule NULL) is a plain pending job. The new rows come back whole,
 * since the database decided their state.
 */
const heldColumns = (n: number) => ({
  arrays: `, unnest($${n}::int[]), unnest($${n + 1}::int[]), unnest($${n + 2}::bigint[]), unnest($${n + 3}::text[])`,
  names: ', unfinished_dependencies, discarded_dependencies, first_discarded, on_dependency_failure',
  join: `
  CROSS JOIN LATERAL (
    SELECT CASE WHEN on_dependency_failure IS NOT NULL
                THEN unfinished_dependencies + CASE WHEN on_dependency_failure = 'run' THEN 0 ELSE discarded_dependencies END
           END AS left,
           CASE WHEN on_dependency_failure = 'run' THEN NULL ELSE first_discarded END AS failed_by
  ) AS rule
  CROSS JOIN LATERAL (
    SELECT ${dependentStatusSql({ rule: 'on_dependency_failure', failedBy: 'rule.failed_by', left: 'rule.left' })} AS status
  ) AS held`,
  columns: ', status, dependencies_left, on_dependency_failure, failure_reason, error_history, last_cancelled_at, last_failed_at',
  values: `, held.status, rule.left, on_dependency_failure,
         CASE WHEN held.status IN ('cancelled', 'failed') THEN 'dependency_failed' END,
         CASE WHEN held.status = 'failed'
              THEN jsonb_build_array(${dependencyFailedEntrySql({ failedBy: 'rule.failed_by', outcome: "'was discarded'", attempt: '0' })})
              ELSE '[]'::jsonb END,
         CASE WHEN held.status = 'cancelled' THEN now() END, CASE WHEN held.status = 'failed' THEN now() END`,
});

/** The keyed insert's extra columns: how long each key holds ($19: ms, $20: while unfinished). */
const KEY_WINDOW = {
  ...NONE,
  arrays: ', unnest($19::float8[]), unnest($20::boolean[])',
  names: ', window_ms, until_finished',
  columns: ', idempotency_expires_at, idempotency_until_finished',
  values: ", now() + window_ms * interval '1 millisecond', until_finished",
};

/**
 * Whether a job's idempotency window has passed (see EnqueueOptions.idempotencyWindow): its
 * expiry time is reached, or it held the key only while unfinished and has finished. The SQL
 * function `<schema>.enqueue` writes the same rule out (idempotency-windows.migration.ts).
 */
export const idempotencyWindowPassed = (alias: string) =>
  `coalesce(${alias}.idempotency_expires_at <= now() OR (${alias}.idempotency_until_finished AND NOT ${UNFINISHED.sql(alias)}), false)`;

/**
 * Settles the keys whose insert found them held ($1, one row per key, with the values of the
 * enqueue that speaks for the key: $2-$8), one outcome per holder found:
 * - `released`: its window has passed, so the key is taken off it (the job stays): insert again;
 * - `replaced`: it was pending and this enqueue replaces it: it takes the new payload, priority
 *   and start, with the fence of updateJobSql (still pending, still holding the key);
 * - `kept`: it answers the enqueue as it is (the caller checks its job type);
 * - `other_keys`: a replacement would move it to other concurrency keys, which is refused;
 * - `changed`: it changed since this statement's snapshot (freed or claimed elsewhere), so the
 *   UPDATE's re-check skipped it: go round again.
 * A key with no holder any more has no row: insert again. Only holders that change are written
 * (and so locked); a plain duplicate costs a read, as before windows existed.
 */
export const settleIdempotencyKeysSql = (s: string) => `
WITH input AS (
  SELECT *
  FROM ROWS FROM (unnest($1::text[]), unnest($2::text[]), jsonb_array_elements($3::jsonb), unnest($4::int[]),
                  unnest($5::timestamptz[]), unnest($6::float8[]), unnest($7::boolean[]), unnest($8::jsonb[]))
       AS t(idempotency_key, job_type, payload, priority, run_at, delay_ms, replaces, concurrency_keys)
),
holder AS (
  SELECT job.id, input.*, ${idempotencyWindowPassed('job')} AS window_passed,
         input.replaces AND job.status = 'pending' AND job.job_type = input.job_type AS replacing,
         job.concurrency_keys = ARRAY(SELECT jsonb_array_elements_text(input.concurrency_keys)) AS same_keys
  FROM input
  JOIN ${s}.jobs AS job ON job.idempotency_key = input.idempotency_key
),
released AS (
  UPDATE ${s}.jobs AS job
  SET idempotency_key = NULL, updated_at = now()
  FROM holder
  WHERE job.id = holder.id AND holder.window_passed
    AND job.idempotency_key = holder.idempotency_key AND ${idempotencyWindowPassed('job')}
  RETURNING job.id
),
replaced AS (
  UPDATE ${s}.jobs AS job
  SET payload = holder.payload, priority = holder.priority, run_at = due.at, available_at = due.at, updated_at = now()
  FROM holder
  CROSS JOIN LATERAL (SELECT coalesce(holder.run_at, now() + holder.delay_ms * interval '1 millisecond') AS at) due
  WHERE job.id = holder.id AND NOT holder.window_passed AND holder.replacing AND holder.same_keys
    AND job.idempotency_key = holder.idempotency_key AND job.status = 'pending'
  RETURNING job.*
),
woken AS (
  SELECT pg_notify($9, queues)
  FROM (SELECT string_agg(DISTINCT queue, ',') AS queues FROM replaced WHERE available_at <= now()) due
  WHERE queues IS NOT NULL
),
settled AS (
  SELECT replaced.*, 'replaced' AS outcome FROM replaced
  UNION ALL
  SELECT job.*,
         CASE WHEN holder.window_passed THEN CASE WHEN holder.id IN (SELECT id FROM released) THEN 'released' ELSE 'changed' END
              WHEN holder.replacing AND holder.same_keys THEN 'changed'
              WHEN holder.replacing THEN 'other_keys'
              ELSE 'kept' END
  FROM holder
  JOIN ${s}.jobs AS job ON job.id = holder.id
  WHERE holder.id NOT IN (SELECT id FROM replaced)
)
SELECT settled.*, (SELECT count(*) FROM woken) AS woken FROM settled`;

/**
 * Enqueues the job of one tick ($2; null: now, to the millisecond) of entry $1, in one
 * statement: only if the entry is enabled (or $3, run-now), and only once per tick across every
 * process — the unique (cron_key, cron_at) index turns the losers' inserts into no-ops. Locking
 * the entry row also orders concurrent ticks of one entry. $4-$11, $13-$15: the job's columns; $12:
 * wake channel.
 */
export const enqueueCronTickSql = (s: string) => `
WITH tick AS (
  SELECT coalesce($2::timestamptz, date_trunc('milliseconds', now())) AS at
),
entry AS (
  UPDATE ${s}.cron_entries
  SET last_run_at = greatest(coalesce(last_run_at, tick.at), tick.at)
  FROM tick
  WHERE key = $1 AND (enabled OR $3::boolean)
  RETURNING key, tick.at
),
inserted AS (
  INSERT INTO ${s}.jobs (job_type, queue, payload, priority, max_attempts, timeout_ms, tags, dead_letter_job_type,
                         concurrency_keys, fair_key, fair_weight, cron_key, cron_at)
  SELECT $4, $5, $6::jsonb, $7, $8, $9, $10::text[], $11, $13::text[], $14, $15, entry.key, entry.at FROM entry
  ON CONFLICT (cron_key, cron_at) WHERE cron_key IS NOT NULL DO NOTHING
  RETURNING *
),
woken AS (
  SELECT pg_notify($12, queue) FROM inserted
)
SELECT inserted.*, (SELECT count(*) FROM woken) AS woken FROM inserted`;
