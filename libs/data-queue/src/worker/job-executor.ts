import { Inject, Injectable, Logger } from '@nestjs/common';
import { Batch, type BatchOperations } from '../core/batch.js';
import { BATCH_OPERATIONS } from '../core/data-queue.constants.js';
import { JobEventBus } from '../core/job-event-bus.js';
import type { FailureReason, JobRecord } from '../core/job-record.js';
import { HandlerRegistry } from '../handlers/handler-registry.js';
import { ConcurrencyGate, type KeyedRule } from '../queue/concurrency-gate.js';
import { JobTracing, type AttemptEnd } from '../queue/job-tracing.js';
import type { ClaimedJob, LostRun, PendingWait, RunFence, StepResults } from '../store/attempt-store.js';
import { QueueDatabase } from '../store/queue-database.js';
import type { QueueStore } from '../store/queue-store.js';
import { JobCancelledError, JobRunLostError, JobTimeoutError, WorkerShutdownError } from './abort-reasons.js';
import { AttemptAbort } from './attempt-abort.js';
import { CompletionBatcher } from './completion-batcher.js';
import { FailureRecorder } from './failure-recorder.js';
import { RunningJobContext } from './job-context.js';
import { JobOutputInvalidError, serializeOutput } from './serialize-output.js';
import { errorCodeOf } from '../store/sql/error-code.js';

type Outcome =
  | { kind: 'completed'; outputJson: string | null }
  | { kind: 'waiting'; wait: PendingWait; steps: StepResults }
  | { kind: 'failed'; error: unknown; reason: FailureReason }
  | { kind: 'cancelled' }
  | { kind: 'handed-back' };

/**
 * Runs claimed jobs: calls the handler with a context, enforces the timeout, and records the
 * outcome with a fenced write. Tracks what runs in this process so cancellation and shutdown
 * can abort it.
 */
@Injectable()
export class JobExecutor {
  private readonly logger = new Logger('DataQueue');
  /** Attempts whose handler has not settled, by job id. */
  private readonly running = new Map<string, { job: JobRecord; abort: AttemptAbort }>();
  private stopping = false;

  constructor(
    private readonly registry: HandlerRegistry,
    private readonly database: QueueDatabase,
    private readonly failures: FailureRecorder,
    @Inject(BATCH_OPERATIONS) private readonly batches: BatchOperations,
    private readonly completions: CompletionBatcher,
    private readonly gate: ConcurrencyGate,
    private readonly events: JobEventBus,
    private readonly tracing: JobTracing,
  ) {}

  /**
   * Runs one claimed attempt. Resolves once the handler has settled — the job no longer needs
   * its slot — with `ran` (false: held back by a concurrency limit, the handler was not called)
   * and `recorded`, which resolves once the attempt's end is in the database (the write may wait
   * to share a statement with other jobs'). Neither rejects.
   */
  async execute(
    claimed: ClaimedJob,
    workerId: string,
    store: QueueStore = this.database.store,
  ): Promise<{ ran: boolean; recorded: Promise<void> }> {
    const { job } = claimed;
    const fence = { jobId: job.id, workerId, attempt: job.attempts };
    const ended = await this.run(claimed, fence, store);
    if (!ended) return { ran: false, recorded: Promise.resolve() };
    const { outcome, durationMs } = ended;
    const recorded = this.untilRecorded(job, () => this.record(outcome, job, fence, store)).then(() =>
      this.announce(outcome, job, durationMs),
    );
    return { ran: true, recorded };
  }

  /** The handler's part: null when the job did not run (over its concurrency limit). */
  private async run(claimed: ClaimedJob, fence: RunFence, store: QueueStore): Promise<{ outcome: Outcome; durationMs: number } | null> {
    const { job } = claimed;
    const abort = new AttemptAbort();
    this.running.set(job.id, { job, abort });
    if (this.stopping) abort.abort(new WorkerShutdownError()); // claimed as shutdown began
    const timeoutMs = job.timeoutMs;
    const timer = timeoutMs ? setTimeout(() => abort.abort(new JobTimeoutError(timeoutMs)), timeoutMs) : undefined;
    try {
      if (this.gate.needsPerformCheck(job)) {
        let keys: KeyedRule[];
        try {
          keys = this.gate.performKeys(job);
        } catch (error) {
          // The key function cannot read this payload: the attempt fails like a throwing handler
          // (retried, then failed for good) instead of going back to the queue forever.
          const failure = new Error(
            `job ${job.id} (${job.jobType}): a concurrency key function threw: ${(error as Error)?.message ?? String(error)}`,
          );
          return { outcome: { kind: 'failed', error: failure, reason: 'handler_error' }, durationMs: 0 };
        }
        if (!(await this.admitted(job, keys, fence, store))) return null;
      }
      this.events.emit({ event: 'started', job });
      const started = performance.now();
      const outcome = await this.tracing.inAttemptSpan(
        job,
        claimed.traceContext,
        () => this.runHandler(claimed, fence, abort, store),
        endOf,
      );
      return { outcome, durationMs: performance.now() - started };
    } finally {
      clearTimeout(timer);
      this.running.delete(job.id);
    }
  }

  private announce(outcome: Outcome, job: JobRecord, durationMs: number): void {
    if (outcome.kind === 'completed' || outcome.kind === 'waiting') this.events.emit({ event: outcome.kind, job, durationMs });
    if (outcome.kind === 'failed') {
      const message = outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
      const willRetry = job.attempts < job.maxAttempts;
      this.events.emit({ event: 'failed', job, durationMs, failure: { reason: outcome.reason, message, willRetry } });
    }
  }

  /**
   * Perform-side concurrency limits: a job over its limit went back to pending (see
   * ConcurrencyGate). If the check itself fails (database away), the job is handed back
   * rather than run unchecked.
   */
  private async admitted(job: JobRecord, keys: KeyedRule[], fence: RunFence, store: QueueStore): Promise<boolean> {
    try {
      return await this.gate.admitPerform(store, job, fence, keys);
    } catch (error) {
      this.logger.warn(`job ${job.id} (${job.jobType}): concurrency check failed (${String(error)}); handing it back`);
      await this.untilRecorded(job, async () => {
        await store.attempts.handBack(fence, 'concurrency check failed');
      });
      return false;
    }
  }

  /** Aborts a job of this process that was cancelled (from any process). */
  abortCancelled(jobId: string): void {
    this.running.get(jobId)?.abort.abort(new JobCancelledError(jobId));
  }

  /**
   * Aborts the running attempts whose job no longer holds them, as `findLost` tells from the
   * database: cancelled (the NOTIFY never reached this process), or reaped while this worker was
   * presumed dead. Only the runs asked about are aborted, not a newer run of the same job that
   * started while the answer was on its way.
   */
  async abortLost(findLost: (runs: { jobId: string; attempt: number }[]) => Promise<LostRun[]>): Promise<void> {
    const asked = new Map(this.running);
    if (asked.size === 0) return;
    const lost = await findLost([...asked.values()].map(({ job }) => ({ jobId: job.id, attempt: job.attempts })));
    for (const { jobId, status } of lost) {
      const run = asked.get(jobId);
      if (!run || this.running.get(jobId) !== run) continue; // settled meanwhile
      const { job, abort } = run;
      if (status === 'cancelled') {
        abort.abort(new JobCancelledError(job.id));
        continue;
      }
      const reason = new JobRunLostError(job.id, job.jobType, job.attempts, status);
      this.logger.warn(reason.message);
      abort.abort(reason);
    }
  }

  /** Shutdown: every running job stops waiting for its handler and is handed back. */
  abortAll(): void {
    this.stopping = true;
    for (const { abort } of this.running.values()) abort.abort(new WorkerShutdownError());
  }

  get runningCount(): number {
    return this.running.size;
  }

  private async runHandler(claimed: ClaimedJob, fence: RunFence, abort: AttemptAbort, store: QueueStore): Promise<Outcome> {
    const { job, batch } = claimed;
    const handler = this.registry.get(job.jobType);
    if (!handler) {
      const error = new Error(`no @JobHandler for job type "${job.jobType}" in worker ${fence.workerId}`);
      return { kind: 'failed', error, reason: 'no_handler' };
    }
    const batchHandle = batch && new Batch(this.batches, batch);
    const ctx = new RunningJobContext(job, abort, store.attempts, store.flows, fence, batchHandle, claimed.steps, claimed.resumedWait);
    // A durable wait ends the attempt however the handler settles (even if it swallowed the signal).
    const waiting = (): Outcome | null => ctx.pendingWait && { kind: 'waiting', wait: ctx.pendingWait, steps: ctx.steps };
    try {
      // The handler may ignore its signal: the attempt ends on abort regardless, and whatever
      // the handler writes later is fenced out.
      const output = await abort.until(Promise.resolve().then(() => handler.instance.handle(job.payload, ctx)));
      return waiting() ?? { kind: 'completed', outputJson: serializeOutput(output, job) };
    } catch (error) {
      const reason = abort.reason;
      if (!reason) return waiting() ?? { kind: 'failed', error, reason: 'handler_error' };
      if (reason instanceof JobTimeoutError) return { kind: 'failed', error: reason, reason: 'timeout' };
      if (reason instanceof WorkerShutdownError) return { kind: 'handed-back' };
      return { kind: 'cancelled' };
    }
  }

  private async record(outcome: Outcome, job: JobRecord, fence: RunFence, store: QueueStore): Promise<void> {
    switch (outcome.kind) {
      case 'completed': {
        const completed = await this.complete(job, fence, outcome.outputJson, store).catch((error: unknown) => {
          if (!isUnstorable(error)) throw error; // retried until recorded
          // Retrying could never succeed: the attempt fails instead of staying `processing` forever.
          const failure = new JobOutputInvalidError(
            `job ${job.id} (${job.jobType}): its completion cannot be stored: ${(error as Error).message}`,
          );
          return this.failures.record(store, job, fence, failure, 'handler_error').then(() => true);
        });
        if (!completed) this.logStale(job, 'completion');
        return;
      }
      case 'failed':
        return this.failures.record(store, job, fence, outcome.error, outcome.reason);
      case 'waiting':
        if (!(await store.attempts.startWait(fence, outcome.steps, outcome.wait))) this.logStale(job, 'wait');
        return;
      case 'handed-back':
        await store.attempts.handBack(fence, `handed back by ${fence.workerId} at shutdown`);
        return;
      case 'cancelled':
        return; // the cancel already wrote the final state
    }
  }

  /** Completions share a statement with other jobs', except on a caller's transaction (inline mode). */
  private async complete(job: JobRecord, fence: RunFence, outputJson: string | null, store: QueueStore): Promise<boolean> {
    if (store !== this.database.store) return this.completions.completeNow(store, job, fence, outputJson);
    return this.completions.complete(job, fence, outputJson);
  }

  /**
   * A job's end must reach the database, or the job would stay `processing` under a live worker.
   * Retry through connection loss; once shutting down, give up: the heartbeat stops and the
   * reaper returns the job (it may then run again — at-least-once).
   */
  private async untilRecorded(job: JobRecord, write: () => Promise<void>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await write();
      } catch (error) {
        if (this.stopping) {
          this.logger.error(`job ${job.id} (${job.jobType}): could not record its end at shutdown: ${String(error)}`);
          return;
        }
        this.logger.warn(`job ${job.id} (${job.jobType}): recording its end failed (try ${attempt}): ${String(error)}`);
        await delay(Math.min(10_000, 250 * 2 ** Math.min(attempt, 6)));
      }
    }
  }

  private logStale(job: JobRecord, what: string): void {
    this.logger.warn(
      `job ${job.id} (${job.jobType}): ${what} of attempt ${job.attempts} dropped: the job was cancelled, reaped or deleted meanwhile`,
    );
  }
}

/** How an attempt ended, as its span tells it. */
function endOf(outcome: Outcome): AttemptEnd {
  return outcome.kind === 'failed' ? { outcome: 'failed', error: outcome.error } : { outcome: outcome.kind };
}

/**
 * Data exceptions, constraint violations and exceeded limits (SQLSTATE classes 22, 23, 54): the
 * same write would fail again.
 */
function isUnstorable(error: unknown): boolean {
  const code = errorCodeOf(error);
  return ['22', '23', '54'].includes(code.slice(0, 2));
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
