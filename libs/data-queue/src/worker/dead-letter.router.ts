import { Injectable } from '@nestjs/common';
import { FAILED_FOR_GOOD } from '../core/job-states.js';
import { JobInserter } from '../queue/job-inserter.js';
import { NewJobFactory } from '../queue/new-job.factory.js';
import type { JobMove } from '../store/job-moves.js';
import { QueueDatabase } from '../store/queue-database.js';
import type { JobTransitionListener, QueueStore } from '../store/queue-store.js';

/**
 * Enqueues a dead-letter job for each final failure that asks for one, inside the transaction
 * that recorded the failure (a failed attempt, or the crash reaper): both happen or neither does.
 */
@Injectable()
export class DeadLetterRouter implements JobTransitionListener {
  /** It inserts a dead-letter job and marks the failed one: no other existing row. */
  readonly locks = 'jobs';

  constructor(
    private readonly newJobs: NewJobFactory,
    private readonly inserter: JobInserter,
    database: QueueDatabase,
  ) {
    database.transitions.subscribe(this);
  }

  follows({ job, to }: JobMove): boolean {
    return to === 'discarded' && job.deadLetterJobType !== null && FAILED_FOR_GOOD.matches(job);
  }

  async jobsMoved(tx: QueueStore, moves: JobMove[]): Promise<void> {
    for (const { job } of moves) {
      const last = job.errorHistory.at(-1);
      const payload = {
        originalJob: { id: job.id, jobType: job.jobType, queue: job.queue, attempts: job.attempts, tags: job.tags },
        payload: job.payload,
        failure: { reason: job.failureReason, message: last?.message ?? null, errorHistory: job.errorHistory },
      };
      const row = await this.newJobs.createTrusted(job.deadLetterJobType!, payload, { tags: job.tags });
      const {
        jobs: [deadLetter],
      } = await this.inserter.insertIn(tx, { rows: [row], payloads: [payload] }, { trusted: true });
      await tx.jobs.markDeadLettered(job.id, deadLetter.id);
    }
  }
}
