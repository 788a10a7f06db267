import { Injectable } from '@nestjs/common';
import type { JobRecord } from '../core/job-record.js';
import { FAILED_FOR_GOOD } from '../core/job-states.js';
import { NewJobFactory } from '../queue/new-job.factory.js';
import type { JobStore } from '../store/job-store.js';

/**
 * Enqueues a dead-letter job for each final failure that asks for one, inside the transaction
 * that recorded the failure: both happen or neither does.
 */
@Injectable()
export class DeadLetterRouter {
  constructor(private readonly newJobs: NewJobFactory) {}

  async route(tx: JobStore, failedJobs: JobRecord[]): Promise<void> {
    for (const job of failedJobs) {
      if (!FAILED_FOR_GOOD.matches(job) || job.deadLetterJobType === null) continue;
      const last = job.errorHistory.at(-1);
      const payload = {
        originalJob: { id: job.id, jobType: job.jobType, queue: job.queue, attempts: job.attempts, tags: job.tags },
        payload: job.payload,
        failure: { reason: job.failureReason, message: last?.message ?? null, errorHistory: job.errorHistory },
      };
      const {
        jobs: [deadLetter],
      } = await tx.insert([await this.newJobs.createTrusted(job.deadLetterJobType, payload, { tags: job.tags })]);
      await tx.markDeadLettered(job.id, deadLetter.id);
    }
  }
}
