import type { JobRecord } from '../core/job-record.js';
import { UNFINISHED } from '../core/job-states.js';
import type { QueueService } from '../module/queue.service.js';

export interface WaitForJobOptions {
  /** The condition to wait for; default: the job reached a final state. */
  until?: (job: JobRecord) => boolean;
  /** Give up after this long, default 10,000 ms. */
  timeoutMs?: number;
  /** Poll period, default 25 ms. */
  intervalMs?: number;
}

/** Completed, cancelled, or failed with no attempt left. */
export function isFinal(job: JobRecord): boolean {
  return !UNFINISHED.matches(job);
}

/**
 * For tests of apps that use DataQueue: polls a job until `until` holds and returns it, or throws
 * after `timeoutMs` showing the job's last state.
 */
export async function waitForJob(queue: QueueService, id: string, options: WaitForJobOptions = {}): Promise<JobRecord> {
  const { until = isFinal, timeoutMs = 10_000, intervalMs = 25 } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await queue.getJob(id);
    if (job && until(job)) return job;
    if (Date.now() > deadline) {
      const state = job ? `${job.status} (attempt ${job.attempts}/${job.maxAttempts})` : 'missing';
      throw new Error(`job ${id}: condition not met within ${timeoutMs} ms; last seen ${state}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
