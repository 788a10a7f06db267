import type { JobRecord } from '../core/job-record.js';
import type { BatchRow } from './batch-row.js';
import { movesOf, type JobMoves } from './job-moves.js';
import { toJobRecord, type JobRow } from './job-row.js';
import type { SqlExecutor } from './sql/executor.js';
import {
  adjustBatchCallbacksSql,
  applyBatchDeltaSql,
  cancelBatchJobsSql,
  driftedBatchesSql,
  getBatchSql,
  insertBatchSql,
  actualCountsSql,
  lockBatchSql,
  retryBatchJobsSql,
} from './sql/batches.sql.js';

export interface BatchDelta {
  total: number;
  pending: number;
  succeeded: number;
  discarded: number;
}

export interface NewBatch {
  description: string | null;
  propertiesJson: string;
  onFinish: string | null;
  onSuccess: string | null;
  onDiscard: string | null;
  callbackQueue: string | null;
  callbackPriority: number | null;
}

type StoredCounts = Pick<BatchRow, 'total_jobs' | 'pending_jobs' | 'succeeded_jobs' | 'discarded_jobs' | 'pending_callbacks'>;

interface ActualCounts {
  total: number;
  pending: number;
  succeeded: number;
  discarded: number;
  callbacks: number;
}

export function batchStatements(s: string) {
  return {
    insert: insertBatchSql(s),
    get: getBatchSql(s),
    applyDelta: applyBatchDeltaSql(s),
    adjustCallbacks: adjustBatchCallbacksSql(s),
    cancelJobs: cancelBatchJobsSql(s),
    retryJobs: retryBatchJobsSql(s),
    drifted: driftedBatchesSql(s),
    lock: lockBatchSql(s),
    actualCounts: actualCountsSql(s),
  };
}

/** Batches: their rows, their counters, and the batch-wide cancel and retry (see sql/batches.sql.ts). */
export class BatchStore {
  constructor(
    private readonly db: SqlExecutor,
    private readonly sql: ReturnType<typeof batchStatements>,
    private readonly moves: JobMoves,
    private readonly wakeChannel: string,
    /** Attempts of the callback jobs batches enqueue. */
    private readonly callbackMaxAttempts: number,
  ) {}

  async insert(batch: NewBatch): Promise<BatchRow> {
    const [row] = await this.db.rows<BatchRow>(this.sql.insert, [
      batch.description,
      batch.propertiesJson,
      batch.onFinish,
      batch.onSuccess,
      batch.onDiscard,
      batch.callbackQueue,
      batch.callbackPriority,
    ]);
    return row;
  }

  async get(id: string): Promise<BatchRow | null> {
    const [row] = await this.db.rows<BatchRow>(this.sql.get, [id]);
    return row ?? null;
  }

  /** See applyBatchDeltaSql; null when the batch does not exist. */
  async applyDelta(
    id: string,
    delta: BatchDelta,
    change: { arm: boolean; disarmIfFinished: boolean; propertiesJson: string | null },
  ): Promise<BatchRow | null> {
    const [row] = await this.db.rows<BatchRow>(this.sql.applyDelta, [
      id,
      delta.total,
      delta.pending,
      delta.succeeded,
      delta.discarded,
      change.arm,
      change.propertiesJson,
      change.disarmIfFinished,
      this.callbackMaxAttempts,
      this.wakeChannel,
    ]);
    return row ?? null;
  }

  async adjustCallbacks(id: string, delta: number): Promise<void> {
    await this.db.rows(this.sql.adjustCallbacks, [id, delta]);
  }

  /** `cancelBatch`: every unfinished job of the batch, announced to the transition listeners; running ones are told to abort. */
  async cancelJobs(id: string): Promise<JobRecord[]> {
    return this.moves.run(async (db, notifier) => {
      const jobs = (await db.rows<JobRow>(this.sql.cancelJobs, [id])).map((row) => toJobRecord(row));
      await notifier.announceCancelled(jobs.map((job) => job.id));
      return { result: jobs, moves: movesOf(jobs, 'pending', 'discarded') };
    });
  }

  /** `retryBatch`: every discarded job of the batch, announced to the transition listeners and woken. */
  async retryJobs(id: string): Promise<JobRecord[]> {
    return this.moves.run(async (db, notifier) => {
      const jobs = (await db.rows<JobRow>(this.sql.retryJobs, [id])).map((row) => toJobRecord(row));
      await notifier.wake(jobs.map((job) => job.queue));
      return { result: jobs, moves: movesOf(jobs, 'discarded', 'pending') };
    });
  }

  async drifted(idleMs: number): Promise<string[]> {
    return (await this.db.rows<{ id: string }>(this.sql.drifted, [idleMs])).map((row) => row.id);
  }

  /**
   * Locks the batch row, then counts its jobs: two statements, so that under READ COMMITTED the
   * count's snapshot is taken after the lock is held and includes every mover that committed
   * while we waited. (One statement would pair a fresh batch row with stale job counts.)
   */
  async lockedCounts(id: string): Promise<{ delta: BatchDelta; callbacks: number } | null> {
    const [stored] = await this.db.rows<StoredCounts>(this.sql.lock, [id]);
    if (!stored) return null;
    const [actual] = await this.db.rows<ActualCounts>(this.sql.actualCounts, [id]);
    const row = { ...stored, ...actual };
    return {
      delta: {
        total: row.total - row.total_jobs,
        pending: row.pending - row.pending_jobs,
        succeeded: row.succeeded - row.succeeded_jobs,
        discarded: row.discarded - row.discarded_jobs,
      },
      callbacks: row.callbacks - row.pending_callbacks,
    };
  }
}
