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

/** The database's clock: `clock_timestamp()` moves during a transaction, `now()` does not. */
export const databaseTimeSql = 'SELECT clock_timestamp() AS now';
