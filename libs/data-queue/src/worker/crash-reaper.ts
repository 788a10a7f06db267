import { Injectable, Logger } from '@nestjs/common';
import { BatchTracker } from '../batches/batch-tracker.js';
import { JobEventBus } from '../core/job-event-bus.js';
import { FAILED_FOR_GOOD, RETRYING } from '../core/job-states.js';
import { QueueDatabase } from '../store/queue-database.js';
import { DeadLetterRouter } from './dead-letter.router.js';

/**
 * Returns the jobs of crashed workers (heartbeat older than `workerTimeoutMs`) as failed,
 * `interrupted` attempts — in any live process, as often as it heartbeats. Final failures get
 * their dead letter and batch bookkeeping in the same transaction. The process that reaps a job
 * announces its `failed` event.
 */
@Injectable()
export class CrashReaper {
  private readonly logger = new Logger('DataQueue');

  constructor(
    private readonly database: QueueDatabase,
    private readonly deadLetters: DeadLetterRouter,
    private readonly tracker: BatchTracker,
    private readonly events: JobEventBus,
  ) {}

  async reap(workerTimeoutMs: number): Promise<number> {
    const reaped = await this.database.store.transaction(async (tx) => {
      const jobs = await tx.reap(workerTimeoutMs);
      const final = jobs.filter((job) => FAILED_FOR_GOOD.matches(job));
      await this.deadLetters.route(tx, final);
      await this.tracker.jobsMoved(
        tx,
        final.map((job) => ({ job, from: 'pending', to: 'discarded' })),
      );
      return jobs;
    });
    for (const job of reaped) {
      const willRetry = RETRYING.matches(job);
      const message = job.errorHistory.at(-1)?.message ?? 'the worker running this job stopped heartbeating';
      this.logger.warn(`job ${job.id} (${job.jobType}) was interrupted by a lost worker; ${willRetry ? 'retrying' : 'failed for good'}`);
      this.events.emit({ event: 'failed', job, failure: { reason: 'interrupted', message, willRetry } });
    }
    return reaped.length;
  }
}
