import type { JobStatus } from '../../core/job-states.js';

export interface JobListQuery {
  statuses?: JobStatus[];
  jobType?: string;
  queue?: string;
  tags?: string[];
  batchId?: string;
  /** Keyset: only ids below this one (newest first). */
  beforeId?: string;
  limit: number;
}

/** Newest first, keyset-paginated on id; every filter is a bound parameter. Reads limit + 1 rows to know if a next page exists. */
export function listJobsSql(s: string, query: JobListQuery): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const where: string[] = [];
  const bind = (value: unknown) => `$${params.push(value)}`;
  if (query.statuses?.length) where.push(`status = ANY(${bind(query.statuses)}::text[])`);
  if (query.jobType !== undefined) where.push(`job_type = ${bind(query.jobType)}`);
  if (query.queue !== undefined) where.push(`queue = ${bind(query.queue)}`);
  if (query.tags?.length) where.push(`tags @> ${bind(query.tags)}::text[] AND tags <> '{}'`); // '{}': the tag index is partial
  if (query.batchId !== undefined) where.push(`batch_id = ${bind(query.batchId)}::uuid`);
  if (query.beforeId !== undefined) where.push(`id < ${bind(query.beforeId)}::bigint`);
  const sql = `
SELECT * FROM ${s}.jobs
${where.length ? `WHERE ${where.join(' AND ')}` : ''}
ORDER BY id DESC
LIMIT ${bind(query.limit + 1)}`;
  return { sql, params };
}
