import { Injectable } from '@nestjs/common';
import type { JobRecord } from '../core/job-record.js';
import type { QueueStore } from '../store/queue-store.js';
import { JobExecutor } from './job-executor.js';
import { WorkerRuntime } from './worker-runtime.js';

/**
 * `mode: 'inline'`: runs a job during `enqueue`, every attempt back to back (backoff delays and
 * `runAt` are ignored), and returns its final record. With a caller's transaction, the job runs
 * on that transaction's connection, so its row and its outcome commit or roll back together.
 */
@Injectable()
export class InlineRunner {
  constructor(
    private readonly executor: JobExecutor,
    private readonly runtime: WorkerRuntime,
  ) {}

  async run(job: JobRecord, store: QueueStore): Promise<JobRecord> {
    let current = job;
    for (;;) {
      const claimed = await store.attempts.claimById(current.id, this.runtime.worker.id);
      if (!claimed) return current;
      await (
        await this.executor.execute(claimed, this.runtime.worker.id, store)
      ).recorded;
      current = (await store.jobs.get(current.id)) ?? current;
    }
  }
}
