import { DISCARDED } from '../../core/job-states.js';

/*
 * Job dependencies (`dependsOn`). A dependent counts its unsatisfied dependencies in
 * `dependencies_left`: an edge is satisfied once its prerequisite succeeded, or was discarded
 * (failed for good, cancelled, deleted) under the rule 'run'. Under 'cancel' or 'fail' a discarded
 * prerequisite leaves its edge unsatisfied and moves the dependent instead, so retrying that
 * prerequisite only has to re-pend the edge (see reopenSql).
 *
 * Every statement that changes dependents follows one lock order: the prerequisites' rows are
 * already locked by the transaction (or the statement) that moved them; the dependents are then
 * locked in id order. Two transactions finishing sibling prerequisites therefore queue on the
 * first shared dependent instead of deadlocking, and exactly one of them sees a counter reach 0.
 * Either way, what a change reads of a dependent is its latest committed state, read under its lock:
 * - a release (releaseDependents) reads only the dependents' own rows and its prerequisites'
 *   edges, so it locks in the statement itself: a row locked FOR UPDATE is returned as its
 *   latest version, whatever the statement's snapshot;
 * - the other changes also read edges of other prerequisites (reopenSql), which a statement's
 *   snapshot could show out of date, so lockDependentsSql locks first, in a statement of its
 *   own, and the change statement's snapshot is taken after the locks were granted.
 */

/**
 * A dependent's status: cancelled or failed when a dependency of its (`failedBy`) was discarded
 * and its rule is 'cancel' or 'fail'; else blocked while `left` dependencies are unsatisfied;
 * else pending. Used at insert and whenever a dependency settles, so both agree.
 */
export const dependentStatusSql = ({ rule, failedBy, left }: { rule: string; failedBy: string; left: string }) =>
  `CASE WHEN ${failedBy} IS NOT NULL AND ${rule} = 'cancel' THEN 'cancelled'
        WHEN ${failedBy} IS NOT NULL AND ${rule} = 'fail' THEN 'failed'
        WHEN ${left} > 0 THEN 'blocked' ELSE 'pending' END`;

/** The error entry of a dependent failed by its rule 'fail': it names the dependency. */
export const dependencyFailedEntrySql = ({ failedBy, outcome, attempt }: { failedBy: string; outcome: string; attempt: string }) =>
  `jsonb_build_object('message', 'dependency job ' || ${failedBy} || ' ' || ${outcome} || ' before succeeding',
     'name', 'DependencyFailedError', 'attempt', ${attempt}, 'reason', 'dependency_failed', 'timestamp', now())`;

/**
 * Enqueue of dependents, step one: resolves the dependencies ($1 ids, $2 idempotency keys) and
 * marks them `has_dependents`, locking their rows in id order. That lock is the whole race
 * argument: a dependency's completion, failure, cancel or delete writes its row too, so it
 * serialises with this enqueue in either order. If it commits first, this statement sees its
 * final state (and the edge is inserted already settled); if this enqueue commits first, its
 * finishing transaction sees `has_dependents` and the edges, and settles them.
 */
export const lockPrerequisitesSql = (s: string) => `
WITH target AS (
  SELECT id FROM ${s}.jobs
  WHERE id = ANY($1::bigint[]) OR idempotency_key = ANY($2::text[])
  ORDER BY id
  FOR UPDATE
)
UPDATE ${s}.jobs AS job SET has_dependents = true
FROM target WHERE job.id = target.id
RETURNING job.id, job.idempotency_key, job.status, job.next_attempt_at`;

/** Enqueue of dependents, last step: the edges of the new jobs ($1 dependents, $2 dependencies, $3 states). */
export const insertEdgesSql = (s: string) => `
INSERT INTO ${s}.job_dependencies (job_id, depends_on_id, state)
SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[])`;

/** Locks the dependents whose edge to one of $1 is in state $2, in id order (see the lock order above). */
export const lockDependentsSql = (s: string) => `
SELECT id FROM ${s}.jobs
WHERE id IN (SELECT job_id FROM ${s}.job_dependencies WHERE depends_on_id = ANY($1::bigint[]) AND state = $2)
ORDER BY id
FOR UPDATE`;

/**
 * Moves each dependent in `plan` (id, left, status, failed_by, outcome) to its planned counter
 * and status. A status change enters the new state as the action that causes it would: released
 * jobs become runnable (at their runAt, or now), held ones stop being runnable, cancelled and
 * failed ones carry failure_reason 'dependency_failed' (and a failed one an error entry). It
 * yields (`changed`) each changed row with its previous status and next attempt (for its bucket),
 * and NOTIFYs the queues of released jobs ($wake) in `dependents_woken`, which the statement's
 * answer must reference for it to run.
 */
const moveDependents = (s: string, wake: string) => `
changed AS (
  UPDATE ${s}.jobs AS job
  SET dependencies_left = plan.left,
      status = plan.status,
      available_at = CASE WHEN plan.status = job.status THEN job.available_at
                          WHEN plan.status = 'pending' THEN greatest(job.run_at, now()) END,
      next_attempt_at = CASE WHEN plan.status = job.status THEN job.next_attempt_at END,
      failure_reason = CASE WHEN plan.status = job.status THEN job.failure_reason
                            WHEN plan.status IN ('cancelled', 'failed') THEN 'dependency_failed' END,
      last_cancelled_at = CASE WHEN plan.status <> job.status AND plan.status = 'cancelled' THEN now() ELSE job.last_cancelled_at END,
      last_failed_at = CASE WHEN plan.status <> job.status AND plan.status = 'failed' THEN now() ELSE job.last_failed_at END,
      error_history = CASE WHEN plan.status <> job.status AND plan.status = 'failed'
                           THEN job.error_history || jsonb_build_array(${dependencyFailedEntrySql({ failedBy: 'plan.failed_by', outcome: 'plan.outcome', attempt: 'job.attempts' })})
                           ELSE job.error_history END,
      updated_at = now()
  FROM plan
  WHERE job.id = plan.id
  RETURNING job.*, plan.previous_status, plan.previous_next_attempt_at
),
dependents_woken AS (
  SELECT pg_notify(${wake}, string_agg(DISTINCT queue, ','))
  FROM changed WHERE status = 'pending' AND previous_status = 'blocked' AND available_at <= now()
  HAVING count(*) > 0
)`;

/** The answer of a statement that changes dependents: their rows (referencing the NOTIFY makes it run). */
const CHANGED_ROWS = `SELECT changed.*, (SELECT count(*) FROM dependents_woken) AS woken FROM changed`;

/**
 * The CTEs that release the dependents of prerequisites that succeeded (`prerequisites`: a
 * query of their ids): their pending edges are satisfied, and a blocked dependent left with none
 * is released. `dependent` locks the dependents in id order and reads them as they are now (see
 * the lock order above); the completion statements embed these CTEs, so a job and the release of
 * its dependents are one statement.
 */
export const releaseDependents = (s: string, prerequisites: string, wake: string) => `
edge AS (
  UPDATE ${s}.job_dependencies SET state = 'succeeded'
  WHERE depends_on_id IN (${prerequisites}) AND state = 'pending'
  RETURNING job_id
),
settled AS (
  SELECT job_id, count(*)::int AS n FROM edge GROUP BY job_id
),
dependent AS MATERIALIZED (
  SELECT job.id, job.status, job.next_attempt_at, job.dependencies_left - settled.n AS left, job.on_dependency_failure
  FROM ${s}.jobs AS job JOIN settled ON settled.job_id = job.id
  ORDER BY job.id
  FOR UPDATE OF job
),
plan AS (
  SELECT dependent.id, dependent.status AS previous_status, dependent.next_attempt_at AS previous_next_attempt_at, dependent.left,
         CASE WHEN dependent.status = 'blocked'
              THEN ${dependentStatusSql({ rule: 'dependent.on_dependency_failure', failedBy: 'NULL', left: 'dependent.left' })}
              ELSE dependent.status END AS status,
         NULL::bigint AS failed_by, NULL::text AS outcome
  FROM dependent
),
${moveDependents(s, wake)}`;

/** Prerequisites $1 succeeded (see releaseDependents). $2: wake channel. */
export const prerequisitesSucceededSql = (s: string) => `
WITH ${releaseDependents(s, 'SELECT unnest($1::bigint[])', '$2')}
${CHANGED_ROWS}`;

/**
 * Prerequisites $1 were discarded ($3: 'failed', 'was cancelled' or 'was deleted', one per
 * prerequisite) before their edges were satisfied: the edges become discarded, and each blocked
 * dependent follows its rule — 'run' counts them as satisfied, 'cancel' and 'fail' end it (see
 * dependentStatusSql). A dependent no longer blocked (it already started) keeps its status.
 */
export const prerequisitesDiscardedSql = (s: string) => `
WITH outcome AS (
  SELECT * FROM unnest($1::bigint[], $3::text[]) AS t(id, outcome)
),
edge AS (
  UPDATE ${s}.job_dependencies AS edge SET state = 'discarded'
  FROM outcome
  WHERE edge.depends_on_id = outcome.id AND edge.state = 'pending'
  RETURNING edge.job_id, edge.depends_on_id, outcome.outcome
),
settled AS (
  SELECT job_id, count(*)::int AS n, min(depends_on_id) AS failed_by,
         (array_agg(outcome ORDER BY depends_on_id))[1] AS outcome
  FROM edge GROUP BY job_id
),
plan AS (
  SELECT job.id, job.status AS previous_status, job.next_attempt_at AS previous_next_attempt_at, rule.left,
         CASE WHEN job.status = 'blocked'
              THEN ${dependentStatusSql({ rule: 'job.on_dependency_failure', failedBy: 'rule.failed_by', left: 'rule.left' })}
              ELSE job.status END AS status,
         rule.failed_by, settled.outcome
  FROM ${s}.jobs AS job
  JOIN settled ON settled.job_id = job.id
  CROSS JOIN LATERAL (
    SELECT CASE WHEN job.on_dependency_failure = 'run' THEN job.dependencies_left - settled.n ELSE job.dependencies_left END AS left,
           CASE WHEN job.on_dependency_failure = 'run' THEN NULL ELSE settled.failed_by END AS failed_by
  ) AS rule
),
${moveDependents(s, '$2')}
${CHANGED_ROWS}`;

/**
 * Prerequisites $1 run again (retryJob, retryBatch) after being discarded: their discarded edges
 * are pending again. Dependents take the edge back into their counter under the rule 'run' (and
 * one released but not started yet is held again); dependents the discard cancelled or failed
 * (failure_reason 'dependency_failed') are held again once no other edge of theirs is discarded.
 * A dependent that started meanwhile is left alone. $2: wake channel (unused: nothing is released).
 */
export const reopenSql = (s: string) => `
WITH edge AS (
  UPDATE ${s}.job_dependencies SET state = 'pending'
  WHERE depends_on_id = ANY($1::bigint[]) AND state = 'discarded'
  RETURNING job_id, depends_on_id
),
plan AS (
  SELECT job.id, job.status AS previous_status, job.next_attempt_at AS previous_next_attempt_at, rule.left,
         CASE WHEN job.status = 'pending' AND rule.left > 0 THEN 'blocked'
              WHEN job.failure_reason = 'dependency_failed' AND ${DISCARDED.sql('job')}
                   AND NOT EXISTS (SELECT 1 FROM ${s}.job_dependencies AS other
                                   WHERE other.job_id = job.id AND other.state = 'discarded'
                                     AND other.depends_on_id <> ALL($1::bigint[]))
                THEN 'blocked'
              ELSE job.status END AS status,
         NULL::bigint AS failed_by, NULL::text AS outcome
  FROM ${s}.jobs AS job
  JOIN (SELECT job_id, count(*)::int AS n FROM edge GROUP BY job_id) AS reopened ON reopened.job_id = job.id
  CROSS JOIN LATERAL (
    SELECT CASE WHEN job.on_dependency_failure = 'run' THEN job.dependencies_left + reopened.n ELSE job.dependencies_left END AS left
  ) AS rule
),
${moveDependents(s, '$2')}
${CHANGED_ROWS}`;

/**
 * Dependents $1 were retried (discarded → pending) while dependencies are unsatisfied: held
 * again. Their rows are locked by the retry that moved them.
 */
export const holdRetriedSql = (s: string) => `
WITH plan AS (
  SELECT job.id, job.status AS previous_status, job.next_attempt_at AS previous_next_attempt_at,
         job.dependencies_left AS left, 'blocked' AS status, NULL::bigint AS failed_by, NULL::text AS outcome
  FROM ${s}.jobs AS job
  WHERE job.id = ANY($1::bigint[]) AND job.status = 'pending' AND job.dependencies_left > 0
),
${moveDependents(s, '$2')}
${CHANGED_ROWS}`;
