import type { BatchRecord } from '../core/batch-record.js';

export interface BatchRow {
  id: string;
  description: string | null;
  properties: Record<string, unknown>;
  on_finish: string | null;
  on_success: string | null;
  on_discard: string | null;
  callback_queue: string | null;
  callback_priority: number | null;
  total_jobs: number;
  pending_jobs: number;
  succeeded_jobs: number;
  discarded_jobs: number;
  pending_callbacks: number;
  enqueued_at: Date | null;
  discarded_at: Date | null;
  jobs_finished_at: Date | null;
  finished_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export function toBatchRecord(row: BatchRow): BatchRecord {
  return {
    id: row.id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    description: row.description,
    properties: row.properties,
    onFinish: row.on_finish,
    onSuccess: row.on_success,
    onDiscard: row.on_discard,
    callbackQueueName: row.callback_queue,
    callbackPriority: row.callback_priority,
    enqueuedAt: row.enqueued_at,
    discardedAt: row.discarded_at,
    jobsFinishedAt: row.jobs_finished_at,
    finishedAt: row.finished_at,
    counts: {
      total: row.total_jobs,
      pending: row.pending_jobs,
      succeeded: row.succeeded_jobs,
      discarded: row.discarded_jobs,
    },
  };
}

const TIMESTAMPS = ['enqueued_at', 'discarded_at', 'jobs_finished_at', 'finished_at', 'created_at', 'updated_at'] as const;

/** A batch row read as `to_jsonb(batch)` (timestamps arrive as strings). */
export function batchRowFromJson(json: Record<string, unknown>): BatchRow {
  const row = { ...json } as Record<string, unknown>;
  for (const column of TIMESTAMPS) row[column] = row[column] === null ? null : new Date(row[column] as string);
  return row as unknown as BatchRow;
}
