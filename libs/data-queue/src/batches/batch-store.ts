import type { JobRecord } from '../core/job-record.js';
import type { BatchRow } from '../store/batch-row.js';
import { toJobRecord, type JobRow } from '../store/job-row.js';
import { channelsOf, completionParams, type Completion } from '../store/job-store.js';
import type { SqlExecutor } from '../store/sql/executor.js';
import { quoteIdent } from '../store/sql/identifiers.js';
import {
  adjustBatchCallbacksSql,
  applyBatchDeltaSql,
  completeBatchJobsSql,
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

/** The batch statements for one schema; each runs on the executor it is given (usually a transaction). */
export class BatchStore {
  private readonly sql;

  private readonly wakeChannel: string;

  /** `callbackMaxAttempts`: attempts of the callback jobs batches enqueue. */
  constructor(
    schema: string,
    private readonly callbackMaxAttempts: number,
  ) {
    const s = quoteIdent(schema);
    this.wakeChannel = channelsOf(schema).wake;
    this.sql = {
      completeJobs: completeBatchJobsSql(s),
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

  async insert(db: SqlExecutor, batch: NewBatch): Promise<BatchRow> {
    const [row] = await db.rows<BatchRow>(this.sql.insert, [
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

  async get(db: SqlExecutor, id: string): Promise<BatchRow | null> {
    const [row] = await db.rows<BatchRow>(this.sql.get, [id]);
    return row ?? null;
  }

  /** See applyBatchDeltaSql; null when the batch does not exist. */
  async applyDelta(
    db: SqlExecutor,
    id: string,
    delta: BatchDelta,
    change: { arm: boolean; disarmIfFinished: boolean; propertiesJson: string | null },
  ): Promise<BatchRow | null> {
    const [row] = await db.rows<BatchRow>(this.sql.applyDelta, [
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

  /** Completes attempts of jobs of ONE batch and counts them in (see completeBatchJobsSql); returns the ids whose fence held. */
  async completeJobs(db: SqlExecutor, workerId: string, completions: Completion[]): Promise<Set<string>> {
    const rows = await db.rows<{ id: string }>(
      this.sql.completeJobs,
      [...completionParams(workerId, completions), this.callbackMaxAttempts, this.wakeChannel],
      `${this.wakeChannel}_complete_batch_jobs`,
    );
    return new Set(rows.map((row) => row.id));
  }

  async adjustCallbacks(db: SqlExecutor, id: string, delta: number): Promise<void> {
    await db.rows(this.sql.adjustCallbacks, [id, delta]);
  }

  async cancelJobs(db: SqlExecutor, id: string): Promise<JobRecord[]> {
    return (await db.rows<JobRow>(this.sql.cancelJobs, [id])).map((row) => toJobRecord(row));
  }

  async retryJobs(db: SqlExecutor, id: string): Promise<JobRecord[]> {
    return (await db.rows<JobRow>(this.sql.retryJobs, [id])).map((row) => toJobRecord(row));
  }

  async drifted(db: SqlExecutor, idleMs: number): Promise<string[]> {
    return (await db.rows<{ id: string }>(this.sql.drifted, [idleMs])).map((row) => row.id);
  }

  /**
   * Locks the batch row, then counts its jobs: two statements, so that under READ COMMITTED the
   * count's snapshot is taken after the lock is held and includes every mover that committed
   * while we waited. (One statement would pair a fresh batch row with stale job counts.)
   */
  async lockedCounts(db: SqlExecutor, id: string): Promise<{ delta: BatchDelta; callbacks: number } | null> {
    const [stored] = await db.rows<StoredCounts>(this.sql.lock, [id]);
    if (!stored) return null;
    const [actual] = await db.rows<ActualCounts>(this.sql.actualCounts, [id]);
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
