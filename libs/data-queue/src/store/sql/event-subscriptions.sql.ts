/**
 * A process's subscription, (re)written while it lives: what it wants, and a fresh `seen_at`.
 * Rows nobody refreshed for an hour (their process died) go in the same statement. The NOTIFY on
 * $5 tells listening processes to read the subscriptions again (delivered on commit).
 */
export const saveEventSubscriptionSql = (s: string) => `
WITH saved AS (
  INSERT INTO ${s}.event_subscriptions (subscriber, events, job_types)
  VALUES ($1, $2::text[], $3::text[])
  ON CONFLICT (subscriber) DO UPDATE
  SET events = EXCLUDED.events, job_types = EXCLUDED.job_types, seen_at = now()
  RETURNING (xmax = 0) AS created
),
forgotten AS (
  DELETE FROM ${s}.event_subscriptions WHERE seen_at < now() - interval '1 hour' AND subscriber <> $1
)
SELECT pg_notify($4, 'changed') FROM saved WHERE created`;

export const removeEventSubscriptionSql = (s: string) => `
WITH removed AS (DELETE FROM ${s}.event_subscriptions WHERE subscriber = $1 RETURNING 1)
SELECT pg_notify($2, 'removed') FROM removed`;

/** What publishers publish: the subscriptions refreshed within $1 ms. */
export const liveEventSubscriptionsSql = (s: string) => `
SELECT events, job_types FROM ${s}.event_subscriptions WHERE seen_at > now() - $1 * interval '1 millisecond'`;

/**
 * Publishes events, a NOTIFY per message, in one statement. Outside a transaction each statement
 * commits alone, so the messages of one process arrive in the order it sent them.
 */
export const publishEventsSql = `SELECT count(pg_notify($1, message)) FROM unnest($2::text[]) AS message`;
