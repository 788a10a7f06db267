import type { INestApplicationContext } from '@nestjs/common';
import type { Batch } from '../core/batch.js';
import { JobTypeUnknownError, WaitTimeoutError } from '../core/data-queue.errors.js';
import type { JobRecord } from '../core/job-record.js';
import { HandlerRegistry } from '../handlers/handler-registry.js';
import { JobTypeCatalog } from '../handlers/job-type-catalog.js';
import type { JobContext } from '../handlers/job-handler.interfaces.js';

export interface RunHandlerOptions<Payload> {
  /** Fields of `ctx.job` over the ones runHandler fills in (id '0', the first attempt, the job type's settings). */
  job?: Partial<JobRecord<Payload>>;
  /** `ctx.batch`; default null. */
  batch?: Batch | null;
  /** What `ctx.waitForToken(token)` returns, by token; a token not listed times out (WaitTimeoutError). */
  tokens?: Record<string, unknown>;
  /** What `ctx.dependencies()` returns: by step name (or job id), the fields of each dependency's record (`output`…). */
  dependencies?: Record<string, Partial<JobRecord>>;
  /** `ctx.signal`; default one that never aborts. */
  signal?: AbortSignal;
}

/** What a handler did in one `runHandler` call. */
export interface HandlerRun<Output = unknown> {
  /** Its return value. */
  output: Output;
  /** Every `ctx.setProgress`, in order. */
  progress: number[];
  /** Every `ctx.setOutput`, in order. */
  outputs: unknown[];
  /** Every `ctx.step` result, by name. */
  steps: Record<string, unknown>;
  /** Every wait it asked for, in order; each returned at once. */
  waits: ({ kind: 'timer'; ms: number } | { kind: 'until'; until: Date } | { kind: 'token'; token: string })[];
}

/**
 * Calls the app's `@JobHandler(jobType)` once with `payload` and an in-memory `JobContext`: no
 * database, no retries, no payload validation. Waits return at once (a token's with `tokens`);
 * what the handler throws rejects. For a unit test of a handler's logic; `drain` runs jobs for real.
 */
export async function runHandler<Payload, Output = unknown>(
  app: INestApplicationContext,
  jobType: string,
  payload: Payload,
  options: RunHandlerOptions<Payload> = {},
): Promise<HandlerRun<Output>> {
  const handler = app.get(HandlerRegistry, { strict: false }).get(jobType);
  if (!handler) throw new JobTypeUnknownError(jobType);
  const catalog = app.get(JobTypeCatalog, { strict: false });
  await catalog.load([jobType]);
  const settings = catalog.get(jobType)!; // this app has the handler, so it published them
  const run: HandlerRun<Output> = { output: undefined as Output, progress: [], outputs: [], steps: {}, waits: [] };
  const job: JobRecord<Payload> = {
    ...idleJob(new Date()),
    jobType,
    payload,
    queue: settings.queue,
    priority: settings.priority,
    maxAttempts: settings.maxAttempts,
    timeoutMs: settings.timeoutMs,
    deadLetterJobType: settings.deadLetterJobType,
    ...options.job,
  };
  const ctx: JobContext<Payload> = {
    job,
    signal: options.signal ?? new AbortController().signal,
    batch: options.batch ?? null,
    setProgress: async (percent) => void run.progress.push(percent),
    setOutput: async (output) => void run.outputs.push(output),
    waitFor: async (ms) => void run.waits.push({ kind: 'timer', ms }),
    waitUntil: async (until) => void run.waits.push({ kind: 'until', until }),
    waitForToken: async <T>(token: string) => {
      run.waits.push({ kind: 'token', token });
      if (!options.tokens || !Object.hasOwn(options.tokens, token)) throw new WaitTimeoutError(token);
      return options.tokens[token] as T;
    },
    dependencies: async () => dependencyRecords(options.dependencies ?? {}),
    step: async <T>(name: string, fn: () => T | Promise<T>) => {
      if (!Object.hasOwn(run.steps, name)) run.steps[name] = await fn();
      return run.steps[name] as T;
    },
  };
  run.output = (await handler.instance.handle(payload, ctx)) as Output;
  return run;
}

/** Completed jobs with the fields given, keyed as given. */
function dependencyRecords(given: Record<string, Partial<JobRecord>>): Record<string, JobRecord> {
  const now = new Date();
  return Object.fromEntries(
    Object.entries(given).map(([key, fields], i) => {
      const job: JobRecord = {
        ...idleJob(now),
        id: String(i + 1),
        jobType: 'dependency',
        payload: null,
        queue: 'default',
        priority: 0,
        maxAttempts: 1,
        timeoutMs: null,
        deadLetterJobType: null,
        status: 'completed',
        lockedAt: null,
        lockedBy: null,
        completedAt: now,
        ...fields,
      };
      return [key, job];
    }),
  );
}

/** A job in its first attempt, with nothing recorded yet. */
function idleJob(
  now: Date,
): Omit<JobRecord, 'jobType' | 'payload' | 'queue' | 'priority' | 'maxAttempts' | 'timeoutMs' | 'deadLetterJobType'> {
  return {
    id: '0',
    status: 'processing',
    createdAt: now,
    updatedAt: now,
    lockedAt: now,
    lockedBy: 'runHandler',
    attempts: 1,
    nextAttemptAt: null,
    runAt: now,
    pendingReason: null,
    errorHistory: [],
    failureReason: null,
    completedAt: null,
    startedAt: now,
    lastRetriedAt: null,
    lastFailedAt: null,
    lastCancelledAt: null,
    tags: [],
    idempotencyKey: null,
    progress: null,
    output: null,
    deadLetteredAt: null,
    deadLetterJobId: null,
    batchId: null,
    batchCallbackId: null,
    cronKey: null,
    cronAt: null,
    concurrencyKeys: [],
    fairKey: null,
    fairWeight: 1,
    dependenciesLeft: null,
    onDependencyFailure: null,
    hasDependents: false,
    stepName: null,
  };
}
