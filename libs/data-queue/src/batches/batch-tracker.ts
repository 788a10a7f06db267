import { Injectable } from '@nestjs/common';
import type { BatchRecord } from '../core/batch-record.js';
import { BatchNotFoundError } from '../core/data-queue.errors.js';
import type { JobRecord } from '../core/job-record.js';
import type { JobBucket } from '../core/job-states.js';
import type { BatchDelta } from '../store/batch-store.js';
import { toBatchRecord } from '../store/batch-row.js';
import type { JobMove } from '../store/job-moves.js';
import { QueueDatabase } from '../store/queue-database.js';
import type { JobTransitionListener, QueueStore } from '../store/queue-store.js';

const ZERO: BatchDelta = { total: 0, pending: 0, succeeded: 0, discarded: 0 };

/**
 * Keeps batches in step with their jobs. It hears every move of a batch job (or a batch's
 * callback job) inside the transaction that moved it, so counters, the "all jobs finished"
 * decision and the callback jobs it enqueues commit together with the job's own state — a
 * crash in between is impossible, and the batch row's lock makes each decision happen once.
 */
@Injectable()
export class BatchTracker implements JobTransitionListener {
  readonly locks = 'batches';

  constructor(database: QueueDatabase) {
    database.transitions.subscribe(this);
  }

  follows({ job }: JobMove): boolean {
    return job.batchId !== null || job.batchCallbackId !== null;
  }

  async jobsMoved(tx: QueueStore, moves: JobMove[]): Promise<void> {
    const { deltas, callbackDeltas } = batchDeltas(moves);
    // A fixed order keeps two transactions touching the same batches from deadlocking.
    for (const [batchId, delta] of [...deltas].sort(([a], [b]) => a.localeCompare(b))) await this.apply(tx, batchId, delta);
    for (const [batchId, change] of callbackDeltas) {
      if (change !== 0) await tx.batches.adjustCallbacks(batchId, change);
    }
  }

  /**
   * Applies a change to a batch's counters (and `enqueue`'s arming / property merge); the same
   * statement enqueues the callbacks its transitions call for (see applyBatchChange).
   */
  async apply(
    tx: QueueStore,
    batchId: string,
    delta: BatchDelta = ZERO,
    change: { arm?: boolean; disarmIfFinished?: boolean; properties?: Record<string, unknown> } = {},
  ): Promise<BatchRecord> {
    const row = await tx.batches.applyDelta(batchId, delta, {
      arm: change.arm ?? false,
      disarmIfFinished: change.disarmIfFinished ?? false,
      propertiesJson: change.properties === undefined ? null : JSON.stringify(change.properties),
    });
    if (!row) throw new BatchNotFoundError(batchId);
    return toBatchRecord(row);
  }
}

/** A move as batch counting reads it. */
export interface BatchMove {
  job: Pick<JobRecord, 'id' | 'batchId' | 'batchCallbackId'>;
  from: JobBucket | null;
  to: JobBucket | null;
}

/** Per batch: counter changes of its jobs, and of its unfinished callback jobs. */
export function batchDeltas(moves: BatchMove[]): { deltas: Map<string, BatchDelta>; callbackDeltas: Map<string, number> } {
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
