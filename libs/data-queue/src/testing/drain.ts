import type { INestApplicationContext } from '@nestjs/common';
import type { ResolvedDataQueueOptions } from '../core/data-queue-options.js';
import { DATA_QUEUE_OPTIONS } from '../core/data-queue.constants.js';
import { DataQueueError } from '../core/data-queue.errors.js';
import type { JobRecord } from '../core/job-record.js';
import { QueueDatabase } from '../store/queue-database.js';
import { JobExecutor } from '../worker/job-executor.js';
import { JobClaimer } from '../worker/job-claimer.js';
import { WorkerRuntime } from '../worker/worker-runtime.js';

export interface DrainOptions {
  /** Only this queue's jobs; default every queue. */
  queue?: string;
  /**
   * The tests' clock: jobs due by this time run now, as if it had come (scheduled jobs, retries
   * after their backoff, timer waits). Default now; `'all'` runs every job whatever its time.
   */
  until?: Date | 'all';
  /** Attempts after which drain gives up with an error (a job that enqueues itself forever); default 10,000. */
  maxAttempts?: number;
}

export interface DrainResult {
  /** Every job drain ran, in the state it ended in, in the order they first ran. */
  jobs: JobRecord[];
  /** How many attempts ran. */
  attempts: number;
}

/** Jobs one claim takes. */
const CLAIM_SIZE = 100;

/**
 * For tests of apps that use DataQueue: runs every job that is due, in this process and now, one
 * claim after another until none is left, jobs enqueued by jobs and batch callbacks included,
 * and returns them as they ended. The app must not run its own workers (`mode: 'external'` or
 * `'inline'`), so that drain sees every job. Waits for a token stay waiting until
 * `completeToken`; the next drain runs them.
 */
export async function drain(app: INestApplicationContext, options: DrainOptions = {}): Promise<DrainResult> {
  const settings = app.get<ResolvedDataQueueOptions>(DATA_QUEUE_OPTIONS, { strict: false });
  if (settings.mode === 'async') {
    throw new DataQueueError("drain needs an app without workers of its own: boot it with mode: 'external' (or 'inline')");
  }
  const { store } = app.get(QueueDatabase, { strict: false });
  const executor = app.get(JobExecutor, { strict: false });
  const { worker } = app.get(WorkerRuntime, { strict: false });
  const { queue = null, until = new Date(), maxAttempts = 10_000 } = options;
  const selector = queue === null ? { kind: 'except' as const, queues: [] } : { kind: 'only' as const, queues: [queue] };
  // Registered, so that a crash reaper elsewhere does not take drain's jobs for a dead worker's.
  await store.workers.heartbeat(worker);
  const ran = new Set<string>();
  const claimer = new JobClaimer(store.attempts, worker.id, selector);
  let attempts = 0;
  for (;;) {
    await store.attempts.bringForward(queue, until === 'all' ? 'infinity' : until);
    const { jobs: claimed, more } = await claimer.claim(Math.min(CLAIM_SIZE, maxAttempts - attempts + 1));
    if (claimed.length === 0) {
      if (more) continue; // keyed work: the next claim is a fair one
      break;
    }
    if (attempts + claimed.length > maxAttempts) {
      await store.attempts.release(
        worker.id,
        claimed.map(({ job }) => job),
      );
      throw new DataQueueError(`drain: jobs still due after ${maxAttempts} attempts (maxAttempts); one may enqueue itself forever`);
    }
    for (const job of claimed) {
      attempts++;
      ran.add(job.job.id);
      await (
        await executor.execute(job, worker.id)
      ).recorded;
    }
  }
  const jobs = await Promise.all([...ran].map((id) => store.jobs.get(id)));
  return { jobs: jobs.filter((job): job is JobRecord => job !== null), attempts };
}
