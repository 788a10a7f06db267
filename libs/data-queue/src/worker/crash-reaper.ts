import { Injectable, Logger } from '@nestjs/common';
import { QueueDatabase } from '../module/queue-database.js';
import { DeadLetterRouter } from './dead-letter.router.js';

/**
 * Returns the jobs of crashed workers (heartbeat older than `workerTimeoutMs`) as failed,
 * `interrupted` attempts — in any live process, as often as it heartbeats. Final failures get
 * their dead letter in the same transaction.
 */
@Injectable()
export class CrashReaper {
  private readonly logger = new Logger('DataQueue');

  constructor(
    private readonly database: QueueDatabase,
    private readonly deadLetters: DeadLetterRouter,
  ) {}

  async reap(workerTimeoutMs: number): Promise<number> {
    const reaped = await this.database.store.transaction(async (tx) => {
      const jobs = await tx.reap(workerTimeoutMs);
      await this.deadLetters.route(tx, jobs);
      return jobs;
    });
    for (const job of reaped) {
      this.logger.warn(`job ${job.id} (${job.jobType}) was interrupted by a lost worker; ${job.nextAttemptAt ? 'retrying' : 'failed for good'}`);
    }
    return reaped.length;
  }
}
