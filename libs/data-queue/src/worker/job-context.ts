import type { Batch } from '../core/batch.js';
import { JobOptionsInvalidError, WaitTimeoutError } from '../core/data-queue.errors.js';
import { dependenciesByName } from '../core/flow.js';
import type { JobRecord } from '../core/job-record.js';
import type { JobContext } from '../handlers/job-handler.interfaces.js';
import { waitTokenProblem } from '../queue/wait-token.js';
import type { AttemptStore, PendingWait, RunFence, StepResults, StoredWait } from '../store/attempt-store.js';
import type { FlowStore } from '../store/flow-store.js';
import type { AttemptAbort } from './attempt-abort.js';
import { serializeOutput } from './serialize-output.js';

/** Thrown by a wait to unwind the handler; the executor then ends the attempt as a wait. */
export class WaitRequested extends Error {
  override name = 'WaitRequested';
}

/** The `ctx` of one attempt; its writes carry the attempt's fence. */
export class RunningJobContext implements JobContext {
  /** Set when the handler asked to wait. */
  pendingWait: PendingWait | null = null;
  /** `step` results and waits that are over, persisted with each step and wait. */
  readonly steps: StepResults;
  private waits = 0;
  private dependencyRecords: Promise<Record<string, JobRecord>> | null = null;

  constructor(
    readonly job: JobRecord,
    private readonly abort: AttemptAbort,
    private readonly attempts: AttemptStore,
    private readonly flows: FlowStore,
    private readonly fence: RunFence,
    readonly batch: Batch | null,
    steps: StepResults = {},
    resumedWait: StoredWait | null = null,
  ) {
    this.steps = { ...steps };
    if (resumedWait) this.steps[resumedWait.id] = resolution(resumedWait);
  }

  /** Created on first read (see AttemptAbort). */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  dependencies(): Promise<Record<string, JobRecord>> {
    this.dependencyRecords ??= this.flows.dependenciesOf(this.job.id).then(dependenciesByName);
    return this.dependencyRecords;
  }

  async setProgress(percent: number): Promise<void> {
    if (typeof percent !== 'number' || !Number.isFinite(percent) || percent < 0 || percent > 100) {
      throw new JobOptionsInvalidError('progress', `must be a number from 0 to 100 (got ${String(percent)})`, this.job.jobType);
    }
    await this.attempts.setProgress(this.fence, Math.round(percent));
  }

  async setOutput(output: unknown): Promise<void> {
    await this.attempts.setOutput(this.fence, serializeOutput(output, this.job) ?? 'null');
  }

  async step<T>(name: string, fn: () => T | Promise<T>): Promise<T> {
    if (typeof name !== 'string' || name.length === 0 || name.startsWith('wait#')) {
      throw new JobOptionsInvalidError('step', 'name must be a non-empty string not starting with "wait#"', this.job.jobType);
    }
    if (name in this.steps) return this.steps[name].value as T;
    const value = await fn();
    this.steps[name] = { value: value ?? null };
    await this.attempts.saveSteps(this.fence, this.steps);
    return value;
  }

  async waitFor(ms: number): Promise<void> {
    if (!Number.isFinite(ms) || ms < 0) throw new JobOptionsInvalidError('ms', 'must be a non-negative number', this.job.jobType);
    await this.wait((id) => ({ id, kind: 'timer', ms }));
  }

  async waitUntil(date: Date): Promise<void> {
    if (!(date instanceof Date) || Number.isNaN(date.getTime()))
      throw new JobOptionsInvalidError('date', 'must be a valid Date', this.job.jobType);
    await this.wait((id) => ({ id, kind: 'until', until: date }));
  }

  async waitForToken<T = unknown>(token: string, options: { timeoutMs?: number } = {}): Promise<T> {
    const tokenProblem = waitTokenProblem(token);
    if (tokenProblem) throw new JobOptionsInvalidError('token', tokenProblem, this.job.jobType);
    const timeoutMs = options.timeoutMs ?? null;
    const done = await this.wait((id) => ({ id, kind: 'token', token, timeoutMs }));
    if (done.timedOut) throw new WaitTimeoutError(token);
    return done.data as T;
  }

  /** The n-th wait of a run has the same id on every replay, so a wait that is over returns at once. */
  private async wait(request: (id: string) => PendingWait): Promise<StepResults[string]> {
    const id = `wait#${++this.waits}`;
    if (id in this.steps) return this.steps[id];
    this.pendingWait = request(id);
    throw new WaitRequested(`job ${this.job.id} waits (${this.pendingWait.kind})`);
  }
}

function resolution(wait: StoredWait): StepResults[string] {
  if (wait.kind !== 'token') return {};
  return wait.completed ? { data: wait.data ?? null } : { timedOut: true };
}
