import { Injectable } from '@nestjs/common';
import type { InsertResult } from '../store/insert-store.js';
import type { NewJob } from '../store/job-row.js';
import { QueueDatabase } from '../store/queue-database.js';
import { WriteCoalescer, writeTogether } from '../store/write-coalescer.js';

/** Calls with more jobs than this are inserted on their own. */
const MAX_JOBS_TO_SHARE = 100;
/** Calls one statement serves at most. */
const MAX_CALLS_PER_STATEMENT = 100;

interface Waiting {
  jobs: NewJob[];
  settle: (result: InsertResult) => void;
  fail: (error: unknown) => void;
}

/**
 * Enqueues outside a caller's transaction share INSERT statements (see WriteCoalescer): ten
 * concurrent `enqueue` calls cost one round trip, one commit and one NOTIFY instead of ten —
 * the NOTIFY's commit-time lock would otherwise cap single enqueues at a few thousand per second.
 * Each call still gets exactly its own records, and one call's bad row fails only that call
 * (see writeTogether).
 */
@Injectable()
export class InsertBatcher {
  private readonly coalescer = new WriteCoalescer<Waiting>((calls) => this.write(calls), MAX_CALLS_PER_STATEMENT);

  constructor(private readonly database: QueueDatabase) {}

  /** Resolves once the jobs are committed. */
  async insert(jobs: NewJob[]): Promise<InsertResult> {
    if (jobs.length > MAX_JOBS_TO_SHARE) return this.insertNow(jobs);
    return new Promise((settle, fail) => this.coalescer.add({ jobs, settle, fail }));
  }

  /**
   * Keyed jobs are inserted in a transaction: a key of another job type is found after the
   * INSERT (IdempotencyKeyConflictError), and the whole statement must roll back with it, so
   * that the calls that shared it can be written again alone.
   */
  private async insertNow(jobs: NewJob[]): Promise<InsertResult> {
    const { store } = this.database;
    const keyed = jobs.some((job) => job.idempotencyKey !== null);
    return keyed ? store.transaction((tx) => tx.inserts.insert(jobs)) : store.inserts.insert(jobs);
  }

  /** One INSERT for every waiting call; a call whose rows the database refuses fails alone. */
  private write(calls: Waiting[]): Promise<void> {
    return writeTogether(calls, async (together) => {
      const { jobs, created } = await this.insertNow(together.flatMap((call) => call.jobs));
      // A job two calls share through an idempotency key was created once: the first call counts it.
      const uncounted = new Set(created);
      let offset = 0;
      for (const call of together) {
        const own = jobs.slice(offset, offset + call.jobs.length);
        call.settle({ jobs: own, created: own.filter((job) => uncounted.delete(job)) });
        offset += call.jobs.length;
      }
    });
  }
}
