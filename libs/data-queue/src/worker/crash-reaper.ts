import { Injectable, Logger } from '@nestjs/common';
import { JobEventBus } from '../core/job-event-bus.js';
import { RETRYING } from '../core/job-states.js';
import { QueueDatabase } from '../store/queue-database.js';

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
    private readonly events: JobEventBus,
  ) {}

  async reap(workerTimeoutMs: number): Promise<number> {
    const reaped = await this.database.store.workers.reap(workerTimeoutMs);
    for (const job of reaped) {
      const willRetry = RETRYING.matches(job);
      const message = job.errorHistory.at(-1)?.message ?? 'the worker running this job stopped heartbeating';
      this.logger.warn(`job ${job.id} (${job.jobType}) was interrupted by a lost worker; ${willRetry ? 'retrying' : 'failed for good'}`);
      this.events.emit({ event: 'failed', job, failure: { reason: 'interrupted', message, willRetry } });
    }
    return reaped.length;
  }
}
