/**
 * Of the attempts worker $2 is running (job ids $1, attempt numbers $3), those whose job no
 * longer holds them: cancelled, reaped, or deleted since. The negation of the fence every write
 * of an attempt carries (see finish-job.sql.ts), so it names exactly the runs whose writes would
 * be dropped. `status` is the job's status now, NULL if the row is gone. One primary-key lookup
 * per running attempt; the poll runs it in case a cancel's NOTIFY never arrived.
 */
export const lostRunsSql = (s: string) => `
SELECT run.id::text AS id, run.attempt, job.status
FROM unnest($1::bigint[], $3::int[]) AS run(id, attempt)
LEFT JOIN ${s}.jobs AS job ON job.id = run.id
WHERE job.id IS NULL OR job.status <> 'processing' OR job.locked_by IS DISTINCT FROM $2 OR job.attempts <> run.attempt`;
