/**
 * Cron entries: `source` 'code' (declared by an app at boot) or 'runtime' (`upsertCron`). Every
 * change NOTIFYs the key on the cron channel ($1 of the writes below), delivered at commit, so
 * each ticking process reloads its entries. `scheduled_since` moves to now() when the ticks
 * change (schedule or zone, or a re-enable): no tick before it is ever enqueued.
 */
const SCHEDULED_SINCE = `CASE WHEN (cron_entries.schedule, cron_entries.timezone) IS DISTINCT FROM (EXCLUDED.schedule, EXCLUDED.timezone)
                           THEN now() ELSE cron_entries.scheduled_since END`;

/**
 * A deploy's declaration: updates schedule, job type, payload and options, and takes over a
 * runtime entry of the same key (code wins). `enabled` and `last_run_at` belong to the shared
 * state and are never overwritten by a (re)deploy. An unchanged declaration writes (and
 * notifies) nothing.
 */
export const declareCronEntrySql = (s: string) => `
WITH declared AS (
  INSERT INTO ${s}.cron_entries (key, schedule, timezone, job_type, payload, options, source)
  VALUES ($2, $3, $4, $5, $6::jsonb, $7::jsonb, 'code')
  ON CONFLICT (key) DO UPDATE
  SET schedule = EXCLUDED.schedule, timezone = EXCLUDED.timezone, job_type = EXCLUDED.job_type,
      payload = EXCLUDED.payload, options = EXCLUDED.options, source = 'code', updated_at = now(),
      scheduled_since = ${SCHEDULED_SINCE}
  WHERE (cron_entries.schedule, cron_entries.timezone, cron_entries.job_type, cron_entries.payload, cron_entries.options, cron_entries.source)
        IS DISTINCT FROM (EXCLUDED.schedule, EXCLUDED.timezone, EXCLUDED.job_type, EXCLUDED.payload, EXCLUDED.options, 'code')
  RETURNING key
)
SELECT pg_notify($1, key) FROM declared`;

/**
 * `upsertCron`: creates or changes a runtime entry. A key declared in code is left alone (the
 * conflict's WHERE, checked under the row lock): no row comes back, and the caller says why.
 */
export const upsertRuntimeCronEntrySql = (s: string) => `
WITH upserted AS (
  INSERT INTO ${s}.cron_entries (key, schedule, timezone, job_type, payload, options, source)
  VALUES ($2, $3, $4, $5, $6::jsonb, $7::jsonb, 'runtime')
  ON CONFLICT (key) DO UPDATE
  SET schedule = EXCLUDED.schedule, timezone = EXCLUDED.timezone, job_type = EXCLUDED.job_type,
      payload = EXCLUDED.payload, options = EXCLUDED.options, updated_at = now(),
      scheduled_since = ${SCHEDULED_SINCE}
  WHERE cron_entries.source = 'runtime'
  RETURNING *
),
notified AS (SELECT pg_notify($1, key) FROM upserted)
SELECT *, now() AS db_now FROM upserted WHERE (SELECT count(*) FROM notified) >= 0`;

/** `removeCron`: deletes a runtime entry; the key of an entry declared in code is not deleted. */
export const removeRuntimeCronEntrySql = (s: string) => `
WITH removed AS (
  DELETE FROM ${s}.cron_entries WHERE key = $2 AND source = 'runtime' RETURNING key
)
SELECT pg_notify($1, key) FROM removed`;

/** Entries are read with the database's time (`db_now`), from which their next tick is computed. */
export const listCronEntriesSql = (s: string) => `SELECT *, now() AS db_now FROM ${s}.cron_entries ORDER BY key`;

export const getCronEntrySql = (s: string) => `SELECT *, now() AS db_now FROM ${s}.cron_entries WHERE key = $1`;

/** Re-enabling starts the ticks afresh: those that passed while disabled are not caught up. */
export const setCronEnabledSql = (s: string) => `
WITH changed AS (
  UPDATE ${s}.cron_entries
  SET scheduled_since = CASE WHEN $3::boolean AND NOT enabled THEN now() ELSE scheduled_since END, enabled = $3, updated_at = now()
  WHERE key = $2
  RETURNING *
),
notified AS (SELECT pg_notify($1, key) FROM changed)
SELECT *, now() AS db_now FROM changed WHERE (SELECT count(*) FROM notified) >= 0`;

/** The database's clock: `clock_timestamp()` moves during a transaction, `now()` does not. */
export const databaseTimeSql = 'SELECT clock_timestamp() AS now';
