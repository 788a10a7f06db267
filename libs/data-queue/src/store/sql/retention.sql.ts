import { FAILED_FOR_GOOD, UNFINISHED } from '../../core/job-states.js';

/*
 * Retention deletes in small batches (each statement at most $1 rows), so it never holds many
 * locks or bloats one transaction; the caller loops until a batch comes back short.
 */

/**
 * One process at a time: a transaction-scoped advisory lock ($1: lock name) that the other
 * processes skip instead of waiting for.
 */
export const tryRetentionLockSql = `SELECT pg_try_advisory_xact_lock(hashtext($1)) AS locked`;

/**
 * A finished job is kept while a job depending on it (`dependsOn`) is unfinished: that job's
 * `ctx.dependencies()` reads its record and output. Jobs without dependents skip the lookup.
 */
const keptForDependents = (s: string) => `
     AND NOT (job.has_dependents AND EXISTS (
       SELECT 1 FROM ${s}.job_dependencies AS edge JOIN ${s}.jobs AS dependent ON dependent.id = edge.job_id
       WHERE edge.depends_on_id = job.id AND ${UNFINISHED.sql('dependent')}))`;

/**
 * Finished jobs outside any batch, older than their state's age: completed ($2 ms), failed for
 * good ($3 ms), cancelled ($4 ms). Batch jobs go with their batch (below).
 */
export const deleteExpiredJobsSql = (s: string) => `
WITH expired AS (
  (SELECT id FROM ${s}.jobs AS job
   WHERE status = 'completed' AND completed_at < now() - $2::float8 * interval '1 millisecond'
     AND batch_id IS NULL AND batch_callback_id IS NULL${keptForDependents(s)}
   LIMIT $1)
  UNION ALL
  (SELECT id FROM ${s}.jobs AS job
   WHERE ${FAILED_FOR_GOOD.sql('job')} AND last_failed_at < now() - $3::float8 * interval '1 millisecond'
     AND batch_id IS NULL AND batch_callback_id IS NULL${keptForDependents(s)}
   LIMIT $1)
  UNION ALL
  (SELECT id FROM ${s}.jobs AS job
   WHERE status = 'cancelled' AND last_cancelled_at < now() - $4::float8 * interval '1 millisecond'
     AND batch_id IS NULL AND batch_callback_id IS NULL${keptForDependents(s)}
   LIMIT $1)
)
DELETE FROM ${s}.jobs WHERE id IN (SELECT id FROM expired LIMIT $1)
RETURNING id`;

/**
 * Batches finished (jobs and callback jobs done: `finished_at` is set only then) longer than
 * $2 ms ago: their jobs first, $1 at a time, then the batch row once it has none left. A batch
 * whose callbacks have not finished has no `finished_at`, so it is never touched. A job of it
 * that an unfinished job outside depends on stays, and with it the batch row.
 */
export const deleteExpiredBatchJobsSql = (s: string) => `
WITH expired AS (
  SELECT id FROM ${s}.batches WHERE finished_at < now() - $2::float8 * interval '1 millisecond'
  ORDER BY finished_at LIMIT 10
)
DELETE FROM ${s}.jobs WHERE id IN (
  SELECT job.id FROM ${s}.jobs AS job
  WHERE (job.batch_id IN (SELECT id FROM expired) OR job.batch_callback_id IN (SELECT id FROM expired))${keptForDependents(s)}
  LIMIT $1)
RETURNING id`;

export const deleteEmptyExpiredBatchesSql = (s: string) => `
DELETE FROM ${s}.batches WHERE id IN (
  SELECT batch.id FROM ${s}.batches AS batch
  WHERE batch.finished_at < now() - $2::float8 * interval '1 millisecond'
    AND NOT EXISTS (SELECT 1 FROM ${s}.jobs WHERE batch_id = batch.id)
    AND NOT EXISTS (SELECT 1 FROM ${s}.jobs WHERE batch_callback_id = batch.id)
  LIMIT $1)
RETURNING id`;
