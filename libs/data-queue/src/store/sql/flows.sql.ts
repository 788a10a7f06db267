/** Flows (`createFlow`): naming the steps a flow inserted ($1 job ids, $2 step names). */
export const nameStepsSql = (s: string) => `
UPDATE ${s}.jobs AS job SET step_name = step.name
FROM unnest($1::bigint[], $2::text[]) AS step (id, name)
WHERE job.id = step.id`;

/**
 * The steps of flow $1, in id order (at most $2), each with what it runs after: the step name of
 * each dependency of the same flow, or the id of any other (an existing job, a step of another
 * flow, or a job deleted since), as the dashboard's flow page tells them apart.
 */
export const flowStepsSql = (s: string) => `
SELECT job.*,
       ARRAY(SELECT coalesce(CASE WHEN dependency.batch_id = job.batch_id THEN dependency.step_name END, edge.depends_on_id::text)
             FROM ${s}.job_dependencies AS edge
             LEFT JOIN ${s}.jobs AS dependency ON dependency.id = edge.depends_on_id
             WHERE edge.job_id = job.id
             ORDER BY edge.depends_on_id) AS after
FROM ${s}.jobs AS job
WHERE job.batch_id = $1 AND job.step_name IS NOT NULL
ORDER BY job.id
LIMIT $2`;

/** The jobs job $1 depends on (at most $2), in id order. */
export const dependenciesOfSql = (s: string) => `
SELECT dependency.*
FROM ${s}.job_dependencies AS edge
JOIN ${s}.jobs AS dependency ON dependency.id = edge.depends_on_id
WHERE edge.job_id = $1
ORDER BY dependency.id
LIMIT $2`;
