import type { SqlExecutor } from './sql/executor.js';
import { deleteEmptyExpiredBatchesSql, deleteExpiredBatchJobsSql, deleteExpiredJobsSql, tryRetentionLockSql } from './sql/retention.sql.js';

/** How long finished jobs are kept, by how they finished. */
export interface RetentionAges {
  completedAfterMs: number;
  failedAfterMs: number;
  cancelledAfterMs: number;
}

export function retentionStatements(s: string) {
  return {
    deleteExpiredJobs: deleteExpiredJobsSql(s),
    deleteExpiredBatchJobs: deleteExpiredBatchJobsSql(s),
    deleteEmptyExpiredBatches: deleteEmptyExpiredBatchesSql(s),
  };
}

/**
 * Deletes of expired jobs and batches, at most `limit` rows a statement (see sql/retention.sql.ts),
 * each returning how many rows it deleted. Run them in a transaction that got `tryLock`.
 */
export class RetentionStore {
  private readonly lockName: string;

  constructor(
    private readonly db: SqlExecutor,
    private readonly sql: ReturnType<typeof retentionStatements>,
    schema: string,
  ) {
    this.lockName = `dataqueue:retention:${schema}`;
  }

  /** True if this transaction now holds the schema's retention lock; false while another process holds it. */
  async tryLock(): Promise<boolean> {
    const [{ locked }] = await this.db.rows<{ locked: boolean }>(tryRetentionLockSql, [this.lockName]);
    return locked;
  }

  /** Finished jobs outside any batch, older than their state's age. */
  async deleteExpiredJobs(limit: number, ages: RetentionAges): Promise<number> {
    const params = [limit, ages.completedAfterMs, ages.failedAfterMs, ages.cancelledAfterMs];
    return (await this.db.rows(this.sql.deleteExpiredJobs, params)).length;
  }

  /** Jobs of batches finished more than `finishedAfterMs` ago. */
  async deleteExpiredBatchJobs(limit: number, finishedAfterMs: number): Promise<number> {
    return (await this.db.rows(this.sql.deleteExpiredBatchJobs, [limit, finishedAfterMs])).length;
  }

  /** Batches finished more than `finishedAfterMs` ago that have no job left. */
  async deleteEmptyExpiredBatches(limit: number, finishedAfterMs: number): Promise<number> {
    return (await this.db.rows(this.sql.deleteEmptyExpiredBatches, [limit, finishedAfterMs])).length;
  }
}
