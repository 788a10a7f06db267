import { DUE, RUNNABLE } from './runnable.sql.js';
import { jobStateSql, UNFINISHED } from '../../core/job-states.js';

/*
 * The metrics' gauges, read at scrape time and the same for every process. Finished jobs are
 * history: the duration histogram counts them as they happen, so no gauge scans them.
 */

/** Unfinished jobs by queue and state (blocked, pending, processing, retrying, waiting). */
export const jobsByStateSql = (s: string) => `
SELECT queue, ${jobStateSql()} AS state, count(*)::int AS n
FROM ${s}.jobs
WHERE ${UNFINISHED.sql()}
GROUP BY 1, 2 ORDER BY 1, 2`;

/** How long the oldest runnable job of each queue has waited, in seconds. */
export const queueLatencySql = (s: string) => `
SELECT queue, extract(epoch FROM now() - min(available_at))::float8 AS seconds
FROM ${s}.jobs
WHERE ${DUE}
GROUP BY 1 ORDER BY 1`;

/** Running batches and live workers. */
export const gaugeTotalsSql = (s: string) => `
SELECT (SELECT count(*) FROM ${s}.batches WHERE finished_at IS NULL)::int AS batches,
       (SELECT count(*) FROM ${s}.workers)::int AS workers`;

/**
 * The load of each fair key (docs/fair-share.md) in the queues with keyed work: runnable jobs
 * (`backlog`) and running ones, for the $1 keys with the largest backlog of each queue (the
 * default key '' among them, like any key), then one row per queue (`fair_key` NULL) summing
 * the keys past them, with how many those are (`keys`). Queues without keyed work have no row.
 *
 * - The queues with runnable keyed work come from a loose index scan of `jobs_fair_keys` (one
 *   probe per queue); those with running keyed work, from the running jobs (few: at most the
 *   workers' slots, read through `jobs_listing`).
 * - Each such queue counts its backlog per key in one range of `jobs_runnable_by_queue`
 *   (queue, fair_key, …), which is already in key order: a count per key, no sort of the jobs.
 *   Only the keys are ranked (a sort of one row per key, not per job).
 */
export const fairKeyLoadSql = (s: string) => `
WITH RECURSIVE keyed_queues AS (
  (SELECT queue FROM ${s}.jobs WHERE ${RUNNABLE} AND fair_key <> '' ORDER BY queue LIMIT 1)
  UNION ALL
  SELECT next.queue FROM keyed_queues AS previous CROSS JOIN LATERAL (
    SELECT queue FROM ${s}.jobs WHERE ${RUNNABLE} AND fair_key <> '' AND queue > previous.queue ORDER BY queue LIMIT 1
  ) AS next
),
running AS (
  SELECT queue, fair_key, count(*)::int AS running FROM ${s}.jobs WHERE status = 'processing' GROUP BY queue, fair_key
),
shown_queues AS (
  SELECT queue FROM keyed_queues UNION SELECT queue FROM running WHERE fair_key <> ''
),
backlog AS (
  SELECT shown.queue, line.fair_key, line.backlog
  FROM shown_queues AS shown CROSS JOIN LATERAL (
    SELECT fair_key, count(*)::int AS backlog FROM ${s}.jobs WHERE queue = shown.queue AND ${RUNNABLE} GROUP BY fair_key
  ) AS line
),
ranked AS (
  SELECT queue, fair_key, coalesce(backlog.backlog, 0) AS backlog, coalesce(running.running, 0) AS running,
         row_number() OVER (PARTITION BY queue ORDER BY coalesce(backlog.backlog, 0) DESC, coalesce(running.running, 0) DESC, fair_key) AS place
  FROM backlog
  FULL JOIN (SELECT * FROM running WHERE queue IN (SELECT queue FROM shown_queues)) AS running USING (queue, fair_key)
)
SELECT queue, fair_key, backlog, running, 1 AS keys, place FROM ranked WHERE place <= $1::int
UNION ALL
SELECT queue, NULL, sum(backlog)::int, sum(running)::int, count(*)::int, $1::int + 1 FROM ranked WHERE place > $1::int GROUP BY queue
ORDER BY queue, place`;
