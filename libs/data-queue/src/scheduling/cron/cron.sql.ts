/**
 * Declarations update schedule, job type, payload and options; `enabled` and `last_run_at`
 * belong to the shared state and are never overwritten by a (re)deploy.
 */
export const upsertCronEntrySql = (s: string) => `
INSERT INTO ${s}.cron_entries (key, schedule, timezone, job_type, payload, options)
VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb)
ON CONFLICT (key) DO UPDATE
SET schedule = EXCLUDED.schedule, timezone = EXCLUDED.timezone, job_type = EXCLUDED.job_type,
    payload = EXCLUDED.payload, options = EXCLUDED.options, updated_at = now()
RETURNING *`;

/** Entries are read with the database's time (`db_now`), from which their next tick is computed. */
export const listCronEntriesSql = (s: string) => `SELECT *, now() AS db_now FROM ${s}.cron_entries ORDER BY key`;

export const getCronEntrySql = (s: string) => `SELECT *, now() AS db_now FROM ${s}.cron_entries WHERE key = $1`;

export const setCronEnabledSql = (s: string) => `
UPDATE ${s}.cron_entries SET enabled = $2, updated_at = now() WHERE key = $1 RETURNING *, now() AS db_now`;

/**
 * Enqueues the job of one tick ($2; null: now, to the millisecond) of entry $1, in one
 * statement: only if the entry is enabled (or $3, run-now), and only once per tick across every
 * process — the unique (cron_key, cron_at) index turns the losers' inserts into no-ops. Locking
 * the entry row also orders concurrent ticks of one entry. $4-$11, $13: the job's columns; $12:
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
                         concurrency_keys, cron_key, cron_at)
  SELECT $4, $5, $6::jsonb, $7, $8, $9, $10::text[], $11, $13::text[], entry.key, entry.at FROM entry
  ON CONFLICT (cron_key, cron_at) WHERE cron_key IS NOT NULL DO NOTHING
  RETURNING *
),
woken AS (
  SELECT pg_notify($12, queue) FROM inserted
)
SELECT inserted.*, (SELECT count(*) FROM woken) AS woken FROM inserted`;
