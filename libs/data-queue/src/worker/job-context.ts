import type { Batch } from '../batches/batch.js';
import { JobOptionsInvalidError } from '../errors/data-queue.errors.js';
import type { JobContext } from '../handlers/job-handler.interfaces.js';
import type { JobRecord } from '../queue/job-record.js';
import type { JobStore, RunFence } from '../store/job-store.js';
import { serializeOutput } from './serialize-output.js';

/** The `ctx` of one attempt; its writes carry the attempt's fence. */
export class RunningJobContext implements JobContext {
  constructor(
    readonly job: JobRecord,
    readonly signal: AbortSignal,
    private readonly store: JobStore,
    private readonly fence: RunFence,
    readonly batch: Batch | null,
  ) {}

  async setProgress(percent: number): Promise<void> {
    if (typeof percent !== 'number' || !Number.isFinite(percent) || percent < 0 || percent > 100) {
      throw new JobOptionsInvalidError('progress', `must be a number from 0 to 100 (got ${String(percent)})`, this.job.jobType);
    }
    await this.store.setProgress(this.fence, Math.round(percent));
  }

  async setOutput(output: unknown): Promise<void> {
    await this.store.setOutput(this.fence, serializeOutput(output, this.job) ?? 'null');
  }
}
