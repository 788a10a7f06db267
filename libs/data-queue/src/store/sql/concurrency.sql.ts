import { UNFINISHED } from '../../core/job-states.js';

/*
 * Concurrency limits are decided under a transaction-scoped advisory lock per key, taken in
 * key order (no deadlocks): every process checking the same key takes turns, so a count and
 * the insert or start it allows cannot interleave with another's — the limit holds under load.
 */

/** $1: lock namespace (the schema), $2: keys. */
export const lockKeysSql = `
SELECT count(pg_advisory_xact_lock(hashtext($1 || ':' || key))) FROM (SELECT DISTINCT unnest($2::text[]) AS key ORDER BY 1) AS keys`;

const UNFINISHED_WITH_KEY = `concurrency_keys @> ARRAY[$1::text] AND concurrency_keys <> '{}' AND ${UNFINISHED.sql()}`;

/**
 * Counts for key $1: unfinished jobs, the ones claimed by a worker (`processing`), the runs that
 * passed a perform check under the key (other than job $2), the enqueue and perform events of the
 * last $3 and $4 ms, and in how many ms the oldest of those perform events leaves the window
 * (computed here, so it follows the database clock, not the worker's). Rides the partial GIN
 * index of unfinished jobs.
 *
 * A perform limit counts `running`, not `processing`: a claimed job that has not passed its own
 * check yet (held in a pool's buffer, or waiting for this lock) is not running. Counting those
 * let contenders defer each other: with every worker claiming the key's jobs in bulk, each check
 * saw the others' claims and sent its job back, round after round.
 */
export const keyCountsSql = (s: string) => `
SELECT
  (SELECT count(*) FROM ${s}.jobs WHERE ${UNFINISHED_WITH_KEY})::int AS unfinished,
  (SELECT count(*) FROM ${s}.jobs WHERE ${UNFINISHED_WITH_KEY} AND status = 'processing')::int AS processing,
  (SELECT count(*) FROM ${s}.jobs
   WHERE status = 'processing' AND perform_keys @> ARRAY[$1::text] AND id <> $2::bigint)::int AS running,
  (SELECT count(*) FROM ${s}.concurrency_events
   WHERE key = $1 AND kind = 'enqueue' AND at > now() - $3::float8 * interval '1 millisecond')::int AS enqueued,
  (SELECT count(*) FROM ${s}.concurrency_events
   WHERE key = $1 AND kind = 'perform' AND at > now() - $4::float8 * interval '1 millisecond')::int AS performed,
  (SELECT extract(epoch FROM min(at) + $4::float8 * interval '1 millisecond' - now())::float8 * 1000 FROM ${s}.concurrency_events
   WHERE key = $1 AND kind = 'perform' AND at > now() - $4::float8 * interval '1 millisecond') AS perform_frees_in_ms`;

/** Throttles count these; rows older than any window are pruned as new ones arrive. */
export const recordEventsSql = (s: string) => `
WITH pruned AS (
  DELETE FROM ${s}.concurrency_events WHERE key = ANY($1::text[]) AND kind = $2 AND at < now() - $3::float8 * interval '1 millisecond'
)
INSERT INTO ${s}.concurrency_events (key, kind) SELECT unnest($1::text[]), $2`;

/** The latest job with key $1 (what a skipped enqueue returns). */
export const latestWithKeySql = (s: string) => `
SELECT * FROM ${s}.jobs WHERE concurrency_keys @> ARRAY[$1::text] ORDER BY id DESC LIMIT 1`;

/** A claimed job passed its perform check under keys $4: from now on it counts as running them. */
export const admitJobSql = (s: string) => `
UPDATE ${s}.jobs SET perform_keys = $4::text[]
WHERE id = $1 AND status = 'processing' AND locked_by = $2 AND attempts = $3
RETURNING id`;

/**
 * A claimed job over a perform limit goes back to pending without using an attempt, to be
 * claimed again after $4 ms (fenced like every write of an attempt).
 */
export const deferJobSql = (s: string) => `
UPDATE ${s}.jobs
SET status = 'pending', attempts = attempts - 1, available_at = now() + $4::float8 * interval '1 millisecond',
    pending_reason = $5, locked_by = NULL, updated_at = now()
WHERE id = $1 AND status = 'processing' AND locked_by = $2 AND attempts = $3
RETURNING id`;
