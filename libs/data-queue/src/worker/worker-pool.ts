import { Logger } from '@nestjs/common';
import type { AttemptStore, ClaimedJob } from '../store/attempt-store.js';
import { ClaimPace } from './claim-pace.js';
import { JobClaimer } from './job-claimer.js';
import type { JobExecutor } from './job-executor.js';
import type { QueuePool } from './queue-pools.js';

/**
 * One pool of `slots` concurrent jobs over a set of queues. It claims jobs in one statement —
 * the free slots, plus a few more when jobs are fast (see ClaimPace) — into a local buffer, and
 * starts buffered jobs as slots free up. A slot frees when the handler settles; the job's end
 * is then recorded in the background, in bulk with others. When a claim comes back short the
 * pool idles until woken (NOTIFY or the poll timer).
 */
export class WorkerPool {
  private readonly logger = new Logger('DataQueue');
  /** Claimed (status `processing`, locked by this worker) but not started yet. */
  private readonly buffer: ClaimedJob[] = [];
  /** Handlers running: one per busy slot. */
  private readonly running = new Set<Promise<void>>();
  /** Ends of attempts not yet in the database. */
  private readonly recording = new Set<Promise<void>>();
  private readonly pace: ClaimPace;
  private readonly claimer: JobClaimer;
  /** At most one claim loop per pool; `stop` awaits the latest. */
  private claiming = false;
  private claimLoop: Promise<void> = Promise.resolve();
  private wanted = false;
  private stopped = false;
  private failures = 0;

  constructor(
    readonly config: QueuePool,
    private readonly workerId: string,
    private readonly attempts: AttemptStore,
    private readonly executor: JobExecutor,
  ) {
    this.pace = new ClaimPace(config.slots);
    this.claimer = new JobClaimer(attempts, workerId, config.selector);
  }

  /** Whether jobs of `queue` are this pool's. */
  serves(queue: string): boolean {
    const { selector } = this.config;
    return selector.kind === 'only' ? selector.queues.includes(queue) : !selector.queues.includes(queue);
  }

  /** Jobs may have become runnable in the pool's queues (a NOTIFY, a local enqueue, a poll): wake, and look for new fair keys. */
  workArrived(): void {
    this.claimer.workArrived();
    this.wake();
  }

  /** There may be work: claim if slots are free. Safe to call any time, from anywhere. */
  wake(): void {
    this.wanted = true;
    if (this.claiming) return; // the running loop sees `wanted`
    this.claiming = true;
    this.claimLoop = this.fill();
  }

  /** A buffered job was cancelled: it must not start (the cancel already wrote its final state). */
  forget(jobId: string): void {
    const index = this.buffer.findIndex((claimed) => claimed.job.id === jobId);
    if (index >= 0) this.buffer.splice(index, 1);
  }

  /**
   * Stops claiming and returns buffered jobs to the queue; resolves when every started job has
   * finished (or been handed back) and its end is recorded.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.claimLoop;
    const unstarted = this.buffer.splice(0).map((claimed) => claimed.job);
    await this.attempts.release(this.workerId, unstarted).catch((error: unknown) => {
      // Still `processing` under this worker: once it unregisters, the reaper returns them.
      this.logger.warn(`pool "${this.config.name}": could not release ${unstarted.length} unstarted job(s): ${String(error)}`);
    });
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
    while (this.recording.size > 0) await Promise.allSettled([...this.recording]);
  }

  /** Resolves once running handlers settle or `ms` pass, whichever comes first. */
  async drain(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
    await Promise.race([Promise.allSettled([...this.running]), timeout]);
    clearTimeout(timer);
  }

  private async fill(): Promise<void> {
    try {
      while (this.wanted && !this.stopped) {
        this.startBuffered();
        const prefetch = this.pace.prefetch;
        const room = this.config.slots + prefetch - this.running.size - this.buffer.length;
        // Claim once the buffer is half used up (at once when nothing is claimed ahead).
        if (room <= 0 || this.buffer.length > prefetch / 2) return; // a finishing job wakes us again
        this.wanted = false;
        const asked = performance.now();
        const { jobs, more } = await this.claimer.claim(room);
        this.pace.claimTook(performance.now() - asked);
        this.failures = 0;
        this.buffer.push(...jobs);
        this.startBuffered();
        if (more) this.wanted = true; // a full claim, or a fair one that left work: more may be waiting
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

  private startBuffered(): void {
    while (!this.stopped && this.running.size < this.config.slots && this.buffer.length > 0) {
      this.start(this.buffer.shift()!);
    }
  }

  private start(claimed: ClaimedJob): void {
    const began = performance.now();
    const run = this.executor.execute(claimed, this.workerId).then(({ ran, recorded }) => {
      // A job sent back by its concurrency limit says nothing about how fast jobs run; counting
      // it would make the pool claim ever further ahead of its slots.
      if (ran) this.pace.handlerTook(performance.now() - began);
      this.recording.add(recorded);
      void settled(recorded, () => {
        this.recording.delete(recorded);
        this.wake(); // a failed attempt may be due again at once
      });
    });
    this.running.add(run);
    void settled(run, () => {
      this.running.delete(run);
      this.startBuffered();
      this.wake();
    });
  }
}

/** `void promise.finally(then)`, without the closures and promises `finally` adds (twice per job here). */
function settled(promise: Promise<unknown>, then: () => void): Promise<void> {
  return promise.then(then, (error: unknown) => {
    then();
    throw error;
  });
}
