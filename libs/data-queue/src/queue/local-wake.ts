import { Injectable } from '@nestjs/common';
import type { JobRecord } from '../core/job-record.js';

/**
 * Tells this app's worker pools about jobs this app just committed, due now, so they claim at
 * once instead of after the NOTIFY's trip through Postgres and the LISTEN connection (which
 * still wakes every other process). An enqueue from a controller of a worker app saves that
 * hop, and with `listen: false` its job starts without waiting for the next poll.
 */
@Injectable()
export class LocalWake {
  private wakePools: ((queues: string[]) => void) | null = null;

  /** The worker runtime, while its pools run. */
  attach(wakePools: (queues: string[]) => void): void {
    this.wakePools = wakePools;
  }

  detach(): void {
    this.wakePools = null;
  }

  /**
   * `jobs` were just committed. Those due no later than their insert, both by the database's
   * clock, may start now; a delayed job is left to the poll that finds it due.
   */
  jobsCommitted(jobs: JobRecord[]): void {
    if (!this.wakePools) return;
    const queues = new Set(jobs.filter((job) => job.runAt <= job.createdAt).map((job) => job.queue));
    if (queues.size > 0) this.wakePools([...queues]);
  }
}
