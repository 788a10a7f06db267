import { Injectable } from '@nestjs/common';
import { DatabaseUnavailableError } from '../errors/data-queue.errors.js';
import { QueueDatabase } from '../module/queue-database.js';
import type { JobRecord } from './job-record.js';
import type { NewJob } from '../store/job-store.js';
import { PlannerStatistics } from '../store/planner-statistics.js';
import { WriteCoalescer } from '../store/write-coalescer.js';

/** Calls with more jobs than this are inserted on their own. */
const MAX_JOBS_TO_SHARE = 100;
/** Calls one statement serves at most. */
const MAX_CALLS_PER_STATEMENT = 100;

interface Waiting {
  jobs: NewJob[];
  settle: (records: JobRecord[]) => void;
  fail: (error: unknown) => void;
}

/**
 * Enqueues outside a caller's transaction share INSERT statements (see WriteCoalescer): ten
 * concurrent `enqueue` calls cost one round trip, one commit and one NOTIFY instead of ten —
 * the NOTIFY's commit-time lock would otherwise cap single enqueues at a few thousand per second.
 * Each call still gets exactly its own records. If a shared statement fails for a reason other
 * than a lost connection, each call is retried alone, so one call's bad row fails only that call.
 */
@Injectable()
export class InsertBatcher {
  private readonly coalescer = new WriteCoalescer<Waiting>((calls) => this.write(calls), MAX_CALLS_PER_STATEMENT);

  constructor(
    private readonly database: QueueDatabase,
    private readonly statistics: PlannerStatistics,
  ) {}

  async insert(jobs: NewJob[]): Promise<JobRecord[]> {
    if (jobs.length > MAX_JOBS_TO_SHARE) return this.insertNow(jobs);
    return new Promise((settle, fail) => this.coalescer.add({ jobs, settle, fail }));
  }

  private async insertNow(jobs: NewJob[]): Promise<JobRecord[]> {
    const { jobs: records, created } = await this.database.store.insert(jobs);
    this.statistics.noteInserted(created.length);
    return records;
  }

  private async write(calls: Waiting[]): Promise<void> {
    try {
      const jobs = await this.insertNow(calls.flatMap((call) => call.jobs));
      let offset = 0;
      for (const call of calls) {
        call.settle(jobs.slice(offset, offset + call.jobs.length));
        offset += call.jobs.length;
      }
    } catch (error) {
      if (calls.length === 1 || error instanceof DatabaseUnavailableError) {
        for (const call of calls) call.fail(error);
        return;
      }
      await Promise.all(calls.map((call) => this.write([call])));
    }
  }
}
