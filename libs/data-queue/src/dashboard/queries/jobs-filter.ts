import { JOB_STATES, type JobState } from '../../core/job-states.js';
import { unstorableText } from '../../core/storable-text.js';
import { isUuid } from '../../queue/ids.js';
import type { BatchState, JobsFilter } from '../views/view-models.js';
import { BATCH_STATES } from './batch-states.js';

/**
 * The jobs list's filter from a query string. Unknown or malformed values (too long, or holding
 * a NUL, which Postgres cannot compare) are dropped rather than rejected: a stale bookmark
 * still opens a page.
 */
export function parseJobsFilter(query: Record<string, unknown> = {}): JobsFilter {
  const text = (key: string, max = 255): string | undefined => {
    const value = query[key];
    return typeof value === 'string' && value.trim() !== '' && value.length <= max && !unstorableText(value) ? value.trim() : undefined;
  };
  const state = text('state') as JobState | undefined;
  const batchId = text('batchId');
  return {
    state: state && JOB_STATES.includes(state) ? state : undefined,
    queue: text('queue'),
    jobType: text('jobType'),
    tag: text('tag'),
    batchId: batchId && isUuid(batchId) ? batchId : undefined,
    search: text('search', 500),
    cursor: text('cursor', 500),
  };
}

export function parseBatchState(value: unknown): BatchState | undefined {
  return BATCH_STATES.includes(value as BatchState) ? (value as BatchState) : undefined;
}
