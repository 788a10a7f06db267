/**
 * Publishes job types' settings ($1 types, $2 settings as JSON, $3 publisher); the latest boot
 * wins. Rows go in type order, so apps booting together lock them in one order (no deadlock).
 */
export const publishJobTypesSql = (s: string) => `
INSERT INTO ${s}.job_types AS jt (job_type, settings, published_by)
SELECT job_type, settings, $3 FROM unnest($1::text[], $2::jsonb[]) AS t(job_type, settings) ORDER BY job_type
ON CONFLICT (job_type) DO UPDATE SET settings = excluded.settings, published_by = excluded.published_by, published_at = now()`;

export const publishedJobTypesSql = (s: string) => `
SELECT job_type, settings FROM ${s}.job_types WHERE job_type = ANY($1::text[])`;
