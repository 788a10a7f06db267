/*
 * A job's states. Each rule is written here once, in both forms: `matches` for a job record and
 * `sql` for the same condition on a `jobs` row (job-states.spec checks they agree on every row).
 * The `status` column holds seven values; `failed` splits in two on `next_attempt_at`: set, the
 * job is retrying (its next attempt is due then); NULL, it failed for good. `blocked`: held until
 * its dependencies (`dependsOn`) have finished; the claim never takes it.
 */

/** The values of the `status` column. */
export const JOB_STATUSES = ['pending', 'processing', 'completed', 'failed', 'cancelled', 'waiting', 'blocked'] as const;

export type JobStatus = (typeof JOB_STATUSES)[number];

/** What the rules read of a job. */
export interface JobStateFields {
  status: JobStatus;
  nextAttemptAt: Date | null;
}

export interface JobStateRule {
  matches(job: JobStateFields): boolean;
  /** The condition, with columns qualified by `alias` when one is given; parenthesised when compound. */
  sql(alias?: string): string;
}

const prefix = (alias?: string) => (alias ? `${alias}.` : '');

const statusIs = (status: JobStatus): JobStateRule => ({
  matches: (job) => job.status === status,
  sql: (alias) => `${prefix(alias)}status = '${status}'`,
});

/** Failed, with its next attempt scheduled. */
export const RETRYING: JobStateRule = {
  matches: (job) => job.status === 'failed' && job.nextAttemptAt !== null,
  sql: (alias) => `(${prefix(alias)}status = 'failed' AND ${prefix(alias)}next_attempt_at IS NOT NULL)`,
};

/** Failed with no attempt left: it runs again only if someone retries it. */
export const FAILED_FOR_GOOD: JobStateRule = {
  matches: (job) => job.status === 'failed' && job.nextAttemptAt === null,
  sql: (alias) => `(${prefix(alias)}status = 'failed' AND ${prefix(alias)}next_attempt_at IS NULL)`,
};

const LIVE_STATUSES: readonly JobStatus[] = ['blocked', 'pending', 'processing', 'failed', 'waiting'];

/**
 * Blocked, pending, running, waiting or retrying: the job will run (again) by itself. Written as "a live
 * status, unless failed for good" so that it implies the predicate of the partial index of
 * unfinished jobs' concurrency keys, which the concurrency checks ride.
 */
export const UNFINISHED: JobStateRule = {
  matches: (job) => LIVE_STATUSES.includes(job.status) && !FAILED_FOR_GOOD.matches(job),
  sql: (alias) =>
    `(${prefix(alias)}status IN ('blocked', 'pending', 'processing', 'failed', 'waiting') AND NOT ${FAILED_FOR_GOOD.sql(alias)})`,
};

/** Finished without succeeding: cancelled, or failed for good. */
export const DISCARDED: JobStateRule = {
  matches: (job) => job.status === 'cancelled' || FAILED_FOR_GOOD.matches(job),
  sql: (alias) => `(${prefix(alias)}status = 'cancelled' OR ${FAILED_FOR_GOOD.sql(alias)})`,
};

/** A job's state as people see it (dashboard, metrics): its status, with `failed` split into `retrying` and `failed` (for good). */
export type JobState = Exclude<JobStatus, 'failed'> | 'retrying' | 'failed';

/** Each state's rule, in the order states are listed (the order of a job's life). */
export const JOB_STATE_RULES: Record<JobState, JobStateRule> = {
  blocked: statusIs('blocked'),
  pending: statusIs('pending'),
  processing: statusIs('processing'),
  retrying: RETRYING,
  waiting: statusIs('waiting'),
  failed: FAILED_FOR_GOOD,
  cancelled: statusIs('cancelled'),
  completed: statusIs('completed'),
};

export const JOB_STATES = Object.keys(JOB_STATE_RULES) as JobState[];

export function jobState(job: JobStateFields): JobState {
  return RETRYING.matches(job) ? 'retrying' : job.status;
}

/** `jobState` as an SQL expression on a `jobs` row. */
export function jobStateSql(alias?: string): string {
  return `CASE WHEN ${RETRYING.sql(alias)} THEN 'retrying' ELSE ${prefix(alias)}status END`;
}

/** Where a job counts (a batch's counters, later a dependency's outcome): unfinished, succeeded or discarded. */
export type JobBucket = 'pending' | 'succeeded' | 'discarded';

export function bucketOf(job: JobStateFields): JobBucket {
  if (job.status === 'completed') return 'succeeded';
  if (DISCARDED.matches(job)) return 'discarded';
  return 'pending';
}
