import { Logger } from '@nestjs/common';
import type { JobStore } from '../store/job-store.js';
import type { JobExecutor } from './job-executor.js';
import type { QueuePool } from './queue-pools.js';

/**
 * One pool of `slots` concurrent jobs over a set of queues. It claims as many jobs as it has free
 * slots in one statement, runs them, and claims again as slots free up; when a claim comes back
 * short it idles until woken (NOTIFY or the poll timer).
 */
export class WorkerPool {
  private readonly logger = new Logger('DataQueue');
  private readonly inFlight = new Set<Promise<void>>();
  /** At most one claim loop per pool; `stop` awaits the latest. */
  private claiming = false;
  private claimLoop: Promise<void> = Promise.resolve();
  private wanted = false;
  private stopped = false;
  private failures = 0;

  constructor(
    readonly config: QueuePool,
    private readonly workerId: string,
    private readonly store: JobStore,
    private readonly executor: JobExecutor,
  ) {}

  /** Whether jobs of `queue` are this pool's. */
  serves(queue: string): boolean {
    const { selector } = this.config;
    return selector.kind === 'only' ? selector.queues.includes(queue) : !selector.queues.includes(queue);
  }

  /** There may be work: claim if slots are free. Safe to call any time, from anywhere. */
  wake(): void {
    this.wanted = true;
    if (this.claiming) return; // the running loop sees `wanted`
    this.claiming = true;
    this.claimLoop = this.fill();
  }

  /** Stops claiming; resolves when every job of the pool has finished or been handed back. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.claimLoop;
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Resolves once running jobs finish or `ms` pass, whichever comes first. */
  async drain(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
    await Promise.race([Promise.allSettled([...this.inFlight]), timeout]);
    clearTimeout(timer);
  }

  private async fill(): Promise<void> {
    try {
      while (this.wanted && !this.stopped) {
        const free = this.config.slots - this.inFlight.size;
        if (free <= 0) return; // a finishing job wakes us again
        this.wanted = false;
        const jobs = await this.store.claim(this.workerId, this.config.selector, free);
        this.failures = 0;
        for (const job of jobs) this.track(this.executor.execute(job, this.workerId));
        if (jobs.length === free) this.wanted = true; // a full claim: more may be waiting
      }
    } catch (error) {
      // Database unreachable: back off, then try again (the poll timer also keeps waking us).
      this.failures++;
      this.logger.warn(`pool "${this.config.name}": claim failed (${String(error)}); retrying`);
      setTimeout(() => this.wake(), Math.min(10_000, 100 * 2 ** Math.min(this.failures, 7))).unref();
    } finally {
      this.claiming = false;
    }
  }

  private track(run: Promise<void>): void {
    this.inFlight.add(run);
    void run.finally(() => {
      this.inFlight.delete(run);
      this.wake();
    });
  }
}
