/*
 * Which jobs a claim can take, as SQL conditions on a `jobs` row (unqualified columns): pending,
 * retrying, or waiting with its wait over. One place for the rule the claims, the gauges and
 * the tests' clock share; the runnable partial indexes (see the migrations) are built on
 * RUNNABLE, so a query must repeat it word for word to use them.
 */

/** The states a runnable job is in. */
const RUNNABLE_STATUSES = `status IN ('pending', 'failed', 'waiting')`;

/** Runnable, due or not: the rows of the runnable indexes (a job with no `available_at` waits for a token). */
export const RUNNABLE = `${RUNNABLE_STATUSES} AND available_at IS NOT NULL`;

/** Runnable now. */
export const DUE = `${RUNNABLE_STATUSES} AND available_at <= now()`;

/** Runnable later: scheduled jobs, retries in their backoff, waits whose timer has not ended. */
export const NOT_YET_DUE = `${RUNNABLE_STATUSES} AND available_at > now()`;
