import { Injectable, Logger } from '@nestjs/common';
import { QueueDatabase } from './queue-database.js';

/** Jobs this process inserted since its last refresh that make the next one worthwhile. */
const REFRESH_AFTER_ROWS = 1000;
/** A process refreshes at most this often, however fast it enqueues. */
const MIN_INTERVAL_MS = 10_000;

/**
 * Keeps the planner's statistics of the jobs table current after bulk enqueues. The claim walks
 * the runnable index in order, stopping after one batch, only while the planner knows runnable
 * rows are many; with statistics from before a burst (autovacuum looks once a minute) it reads
 * every runnable row and sorts them on each claim, O(backlog) instead of O(batch) — measured 10×
 * slower with 20,000 runnable jobs. So after ≥1,000 inserted rows this process runs an ANALYZE of
 * the columns the claim filters on (a sample of at most 30,000 rows; tens of milliseconds),
 * in the background and never more than once per 10 s.
 */
@Injectable()
export class PlannerStatistics {
  private readonly logger = new Logger('DataQueue');
  private inserted = 0;
  private lastRefreshAt = -Infinity;

  constructor(private readonly database: QueueDatabase) {}

  /** Rows committed outside a caller's transaction (inside one, they are not visible yet). */
  noteInserted(rows: number): void {
    this.inserted += rows;
    const now = performance.now();
    if (this.inserted < REFRESH_AFTER_ROWS || now - this.lastRefreshAt < MIN_INTERVAL_MS) return;
    this.inserted = 0;
    this.lastRefreshAt = now;
    this.database.store.jobs
      .analyze()
      .catch((error: unknown) => this.logger.warn(`could not refresh the jobs table's statistics: ${String(error)}`));
  }
}
