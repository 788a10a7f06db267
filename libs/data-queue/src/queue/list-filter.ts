import { JobOptionsInvalidError } from '../core/data-queue.errors.js';
import type { ListJobsFilter } from '../core/enqueue-options.js';
import { JOB_STATUSES } from '../core/job-states.js';
import { unstorableText } from '../core/storable-text.js';
import { describeValue } from '../core/value-description.js';
import type { JobListQuery } from '../store/sql/list-jobs.sql.js';
import { isJobId, isUuid } from './ids.js';

/** Checks a `listJobs` filter; every bad field is a `JobOptionsInvalidError` naming it. */
export function normalizeListFilter(filter: ListJobsFilter): Omit<JobListQuery, 'beforeId'> {
  if (typeof filter !== 'object' || filter === null || Array.isArray(filter))
    invalid('filter', `must be an object (got ${describeValue(filter)})`);
  const statuses = filter.status === undefined ? undefined : [filter.status].flat();
  const badStatus = statuses?.find((s) => !JOB_STATUSES.includes(s));
  if (badStatus !== undefined) invalid('status', `must be one of ${JOB_STATUSES.join(', ')} (got ${describeValue(badStatus)})`);
  const limit = filter.limit ?? 100;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1000) invalid('limit', 'must be an integer from 1 to 1000');
  for (const field of ['jobType', 'queue'] as const) {
    const value = filter[field];
    if (value === undefined) continue;
    if (typeof value !== 'string') invalid(field, 'must be a string');
    // Postgres would fail the query on a NUL, and match a lone surrogate as U+FFFD.
    const problem = unstorableText(value);
    if (problem) invalid(field, problem);
  }
  if (filter.tags !== undefined && !(Array.isArray(filter.tags) && filter.tags.every((t) => typeof t === 'string'))) {
    invalid('tags', 'must be an array of strings');
  }
  const tagProblem = filter.tags?.map((tag) => unstorableText(tag)).find((problem) => problem !== null);
  if (tagProblem) invalid('tags', tagProblem);
  if (filter.batchId !== undefined && !isUuid(filter.batchId)) invalid('batchId', 'must be a UUID');
  return { statuses, jobType: filter.jobType, queue: filter.queue, tags: filter.tags, batchId: filter.batchId, limit };
}

export function encodeCursor(lastId: string): string {
  return Buffer.from(`before:${lastId}`).toString('base64url');
}

export function decodeCursor(cursor: string): string {
  const id = typeof cursor === 'string' ? /^before:(.*)$/.exec(Buffer.from(cursor, 'base64url').toString())?.[1] : undefined;
  if (!isJobId(id)) invalid('cursor', 'is not a cursor returned by listJobs');
  return id;
}

function invalid(field: string, detail: string): never {
  throw new JobOptionsInvalidError(field, detail);
}
