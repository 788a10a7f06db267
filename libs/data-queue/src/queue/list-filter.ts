import { JobOptionsInvalidError } from '../errors/data-queue.errors.js';
import type { JobListQuery } from '../store/sql/list-jobs.sql.js';
import type { ListJobsFilter } from './enqueue-options.js';
import type { JobStatus } from './job-record.js';
import { isJobId, isUuid } from './ids.js';

const STATUSES: JobStatus[] = ['pending', 'processing', 'completed', 'failed', 'cancelled', 'waiting'];

/** Checks a `listJobs` filter; every bad field is a `JobOptionsInvalidError` naming it. */
export function normalizeListFilter(filter: ListJobsFilter): Omit<JobListQuery, 'beforeId'> {
  const statuses = filter.status === undefined ? undefined : [filter.status].flat();
  const badStatus = statuses?.find((s) => !STATUSES.includes(s));
  if (badStatus !== undefined) invalid('status', `must be one of ${STATUSES.join(', ')} (got ${String(badStatus)})`);
  const limit = filter.limit ?? 100;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1000) invalid('limit', 'must be an integer from 1 to 1000');
  for (const field of ['jobType', 'queue'] as const) {
    if (filter[field] !== undefined && typeof filter[field] !== 'string') invalid(field, 'must be a string');
  }
  if (filter.tags !== undefined && !(Array.isArray(filter.tags) && filter.tags.every((t) => typeof t === 'string'))) {
    invalid('tags', 'must be an array of strings');
  }
  if (filter.batchId !== undefined && !isUuid(filter.batchId)) invalid('batchId', 'must be a UUID');
  return { statuses, jobType: filter.jobType, queue: filter.queue, tags: filter.tags, batchId: filter.batchId, limit };
}

export function encodeCursor(lastId: string): string {
  return Buffer.from(`before:${lastId}`).toString('base64url');
}

export function decodeCursor(cursor: string): string {
  const id = /^before:(.*)$/.exec(Buffer.from(String(cursor), 'base64url').toString())?.[1];
  if (!isJobId(id)) invalid('cursor', 'is not a cursor returned by listJobs');
  return id;
}

function invalid(field: string, detail: string): never {
  throw new JobOptionsInvalidError(field, detail);
}
