import { Injectable } from '@nestjs/common';
import type { BatchRecord } from '../core/batch-record.js';
import { BatchNotFoundError } from '../core/data-queue.errors.js';
import type { JobRecord } from '../core/job-record.js';
import { DISCARDED } from '../core/job-states.js';
import { toBatchRecord } from '../store/batch-row.js';
import type { JobStore } from '../store/job-store.js';
import { BatchStore, type BatchDelta } from './batch-store.js';

/** Where a job stands in its batch's counts. */
export type BatchBucket = 'pending' | 'succeeded' | 'discarded';

export function bucketOf(job: Pick<JobRecord, 'status' | 'nextAttemptAt'>): BatchBucket {
  if (job.status === 'completed') return 'succeeded';
  if (DISCARDED.matches(job)) return 'discarded';
  return 'pending';
}

/** A job that changed bucket: `from: null` was just created, `to: null` was deleted. */
export interface JobMove {
  job: Pick<JobRecord, 'id' | 'batchId' | 'batchCallbackId'>;
  from: BatchBucket | null;
  to: BatchBucket | null;
}

const ZERO: BatchDelta = { total: 0, pending: 0, succeeded: 0, discarded: 0 };

/**
 * Keeps batches in step with their jobs. Every path that changes a batch job's bucket calls
 * `jobsMoved` inside the transaction that changed the job, so counters, the "all jobs finished"
 * decision and the callback jobs it enqueues commit together with the job's own state — a
 * crash in between is impossible, and the batch row's lock makes each decision happen once.
 */
@Injectable()
export class BatchTracker {
  constructor(private readonly batches: BatchStore) {}

  async jobsMoved(tx: JobStore, moves: JobMove[]): Promise<void> {
    const { deltas, callbackDeltas } = batchDeltas(moves);
    // A fixed order keeps two transactions touching the same batches from deadlocking.
    for (const [batchId, delta] of [...deltas].sort(([a], [b]) => a.localeCompare(b))) await this.apply(tx, batchId, delta);
    for (const [batchId, change] of callbackDeltas) {
      if (change !== 0) await this.batches.adjustCallbacks(tx.db, batchId, change);
    }
  }

  /**
   * Applies a change to a batch's counters (and `enqueue`'s arming / property merge); the same
   * statement enqueues the callbacks its transitions call for (see applyBatchChange).
   */
  async apply(
    tx: JobStore,
    batchId: string,
    delta: BatchDelta = ZERO,
    change: { arm?: boolean; disarmIfFinished?: boolean; properties?: Record<string, unknown> } = {},
  ): Promise<BatchRecord> {
    const row = await this.batches.applyDelta(tx.db, batchId, delta, {
      arm: change.arm ?? false,
      disarmIfFinished: change.disarmIfFinished ?? false,
      propertiesJson: change.properties === undefined ? null : JSON.stringify(change.properties),
    });
    if (!row) throw new BatchNotFoundError(batchId);
    return toBatchRecord(row);
  }
}

/** Per batch: counter changes of its jobs, and of its unfinished callback jobs. */
export function batchDeltas(moves: JobMove[]): { deltas: Map<string, BatchDelta>; callbackDeltas: Map<string, number> } {
  const deltas = new Map<string, BatchDelta>();
  const callbackDeltas = new Map<string, number>();
  for (const { job, from, to } of moves) {
    if (from === to) continue;
    if (job.batchId) {
      const delta = deltas.get(job.batchId) ?? { ...ZERO };
      if (from) {
        delta[from]--;
        delta.total--;
      }
      if (to) {
        delta[to]++;
        delta.total++;
      }
      deltas.set(job.batchId, delta);
    }
    if (job.batchCallbackId) {
      const change = Number(to === 'pending') - Number(from === 'pending');
      callbackDeltas.set(job.batchCallbackId, (callbackDeltas.get(job.batchCallbackId) ?? 0) + change);
    }
  }
  return { deltas, callbackDeltas };
}
