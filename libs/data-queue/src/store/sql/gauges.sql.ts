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
WHERE status IN ('pending', 'failed', 'waiting') AND available_at <= now()
GROUP BY 1 ORDER BY 1`;

/** Running batches and live workers. */
export const gaugeTotalsSql = (s: string) => `
SELECT (SELECT count(*) FROM ${s}.batches WHERE finished_at IS NULL)::int AS batches,
       (SELECT count(*) FROM ${s}.workers)::int AS workers`;
