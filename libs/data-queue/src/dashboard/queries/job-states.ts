import type { JobRecord } from '../../queue/job-record.js';
import type { BatchRecord } from '../../batches/batch-record.js';
import type { BatchState, JobState } from '../views/view-models.js';

export const JOB_STATES: JobState[] = ['pending', 'processing', 'retrying', 'waiting', 'failed', 'cancelled', 'completed'];
export const BATCH_STATES: BatchState[] = ['running', 'succeeded', 'discarded', 'finished'];

/** SQL condition for a dashboard state (the alias `job`). */
export const STATE_SQL: Record<JobState, string> = {
  pending: `job.status = 'pending'`,
  processing: `job.status = 'processing'`,
  waiting: `job.status = 'waiting'`,
  completed: `job.status = 'completed'`,
  cancelled: `job.status = 'cancelled'`,
  retrying: `job.status = 'failed' AND job.next_attempt_at IS NOT NULL`,
  failed: `job.status = 'failed' AND job.next_attempt_at IS NULL`,
};

/** SQL condition for a batch state (the alias `batch`). */
export const BATCH_STATE_SQL: Record<BatchState, string> = {
  running: `batch.finished_at IS NULL`,
  finished: `batch.finished_at IS NOT NULL`,
  succeeded: `batch.finished_at IS NOT NULL AND batch.discarded_jobs = 0`,
  discarded: `batch.discarded_jobs > 0`,
};

export function jobState(job: Pick<JobRecord, 'status' | 'nextAttemptAt'>): JobState {
  if (job.status === 'failed') return job.nextAttemptAt ? 'retrying' : 'failed';
  return job.status;
}

export function batchState(batch: BatchRecord): BatchState {
  if (!batch.finishedAt) return 'running';
  return batch.counts.discarded > 0 ? 'discarded' : 'succeeded';
}
