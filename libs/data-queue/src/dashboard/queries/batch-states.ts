import type { BatchRecord } from '../../core/batch-record.js';
import type { BatchState } from '../views/view-models.js';

export const BATCH_STATES: BatchState[] = ['running', 'succeeded', 'discarded', 'finished'];

/** SQL condition for a batch state (the alias `batch`). */
export const BATCH_STATE_SQL: Record<BatchState, string> = {
  running: `batch.finished_at IS NULL`,
  finished: `batch.finished_at IS NOT NULL`,
  succeeded: `batch.finished_at IS NOT NULL AND batch.discarded_jobs = 0`,
  discarded: `batch.discarded_jobs > 0`,
};

export function batchState(batch: BatchRecord): BatchState {
  if (!batch.finishedAt) return 'running';
  return batch.counts.discarded > 0 ? 'discarded' : 'succeeded';
}
