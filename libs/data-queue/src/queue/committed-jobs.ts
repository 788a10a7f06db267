import { Injectable } from '@nestjs/common';
import type { JobRecord } from '../core/job-record.js';
import { PlannerStatistics } from '../store/planner-statistics.js';
import { LocalWake } from './local-wake.js';

/**
 * What follows every commit of new jobs made outside a caller's transaction (plain, concurrency
 * checked or batch enqueues): the planner's statistics catch up with bulk inserts, and this
 * app's own pools are woken for the jobs due now. Inside a caller's transaction neither applies:
 * the rows are not visible until the caller commits, and its NOTIFY wakes workers then.
 */
@Injectable()
export class CommittedJobs {
  constructor(
    private readonly statistics: PlannerStatistics,
    private readonly localWake: LocalWake,
  ) {}

  /** `created`: the rows the commit added (not existing jobs an idempotency key or limit answered with). */
  inserted(created: JobRecord[]): void {
    this.statistics.noteInserted(created.length);
    this.localWake.jobsCommitted(created);
  }
}
