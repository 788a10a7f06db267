import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { JobHandler, OnBatchFinish, type BatchCallbackContext, type JobContext } from '@dataqueue/nestjs';
import { aborted, Gates } from './support/gates.js';
import { createTestApp, waitForJob, waitForStatus, type TestApp } from './support/test-app.js';
import { waitFor } from './support/wait-for.js';

const gates = new Gates();

@JobHandler('flaky', { maxAttempts: 3, backoff: { baseMs: 10 } })
class FlakyHandler {
  handle(payload: { failures: number }, ctx: JobContext): string {
    if (ctx.job.attempts <= payload.failures) throw new Error(`failure ${ctx.job.attempts}`);
    return 'ok';
  }
}

@JobHandler('held')
class HeldHandler {
  async handle(payload: { gate?: string }, ctx: JobContext): Promise<void> {
    if (payload.gate) await gates.wait(payload.gate, ctx.signal);
    else await aborted(ctx.signal);
  }
}

/** What each 'fan-in' job read from `ctx.dependencies()`: its dependencies' outputs, by job id. */
const fannedIn: Record<string, unknown>[] = [];

@JobHandler('fan-in')
class FanInHandler {
  async handle(_payload: unknown, ctx: JobContext): Promise<void> {
    const dependencies = await ctx.dependencies();
    fannedIn.push(Object.fromEntries(Object.entries(dependencies).map(([id, job]) => [id, job.output])));
  }
}

@Injectable()
class HeldCallback {
  @OnBatchFinish('held-callback')
  async finished(_batch: unknown, ctx: BatchCallbackContext): Promise<void> {
    await gates.wait('callback', ctx.signal);
  }
}

describe('job history', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await createTestApp({ providers: [FlakyHandler, HeldHandler, HeldCallback] });
  });

  afterAll(async () => {
    gates.openAll();
    await app?.close();
  });

  it('records every attempt with its worker, duration, outcome and error', async () => {
    const job = await app.queue.enqueue('flaky', { failures: 1 });
    await waitForStatus(app.queue, job.id, 'completed');
    const history = await app.queue.getJobExecutions(job.id);
    expect(history.map((e) => [e.attempt, e.outcome])).toEqual([
      [1, 'handler_error'],
      [2, 'completed'],
    ]);
    for (const execution of history) {
      expect(execution.worker).toEqual(expect.any(String));
      expect(execution.startedAt!.getTime()).toBeLessThanOrEqual(execution.finishedAt.getTime());
      expect(execution.durationMs).toBeGreaterThanOrEqual(0);
    }
    expect(history[0].error).toMatchObject({ message: 'failure 1', attempt: 1, reason: 'handler_error' });
    expect(history[1].error).toBeNull();
  });

  it('records a cancelled running attempt, and timeouts by their reason', async () => {
    const running = await app.queue.enqueue('held', {});
    await waitForStatus(app.queue, running.id, 'processing');
    await app.queue.cancelJob(running.id);
    expect((await app.queue.getJobExecutions(running.id)).map((e) => e.outcome)).toEqual(['cancelled']);

    const timed = await app.queue.enqueue('held', {}, { timeoutMs: 50, maxAttempts: 1 });
    await waitForStatus(app.queue, timed.id, 'failed');
    expect((await app.queue.getJobExecutions(timed.id)).map((e) => e.outcome)).toEqual(['timeout']);
  });
});

describe('retention', () => {
  let app: TestApp | undefined;

  afterEach(async () => {
    gates.openAll();
    await app?.close();
    app = undefined;
  });

  it('deletes finished jobs by the age of their state, with their history, and keeps unfinished ones', async () => {
    app = await createTestApp({
      providers: [FlakyHandler, HeldHandler, HeldCallback],
      options: {
        retention: { completedAfterMs: 0, failedAfterMs: 3_600_000, cancelledAfterMs: 0, intervalMs: 100, batchSize: 2 },
      },
    });
    const { queue } = app;
    const failed = await queue.enqueue('flaky', { failures: 9 }, { maxAttempts: 1 });
    const completed = await Promise.all([1, 2, 3, 4, 5].map(() => queue.enqueue('flaky', { failures: 0 })));
    const pending = await queue.enqueue('flaky', { failures: 0 }, { delayMs: 3_600_000 });
    const cancelled = await queue.enqueue('flaky', { failures: 0 }, { delayMs: 3_600_000 });
    await queue.cancelJob(cancelled.id);

    // Five completed jobs at two per statement: several rounds of one pass.
    for (const job of [...completed, cancelled])
      await waitFor(
        `job ${job.id} to be deleted`,
        () => queue.getJob(job.id),
        (j) => j === null,
      );
    expect(await queue.getJobExecutions(completed[0].id)).toEqual([]);
    expect(await queue.getJob(pending.id)).toMatchObject({ status: 'pending' });
    // Failed for good an hour ago at the earliest: kept.
    expect(await queue.getJob(failed.id)).toMatchObject({ status: 'failed', nextAttemptAt: null });
  });

  it('keeps a finished dependency while a job depending on it is unfinished, so that job reads its output', async () => {
    app = await createTestApp({
      providers: [FlakyHandler, HeldHandler, FanInHandler],
      options: { retention: { completedAfterMs: 0, cancelledAfterMs: 0, intervalMs: 100 } },
    });
    const { queue } = app;
    const done = await queue.enqueue('flaky', { failures: 0 });
    const held = await queue.enqueue('held', { gate: 'second-dependency' });
    const dependent = await queue.enqueue('fan-in', {}, { dependsOn: [done.id, held.id] });
    await waitForStatus(queue, done.id, 'completed');
    // A job finished after `done` is deleted: retention has passed over `done` since.
    const sentinel = await queue.enqueue('flaky', { failures: 0 });
    await waitFor(
      'a later finished job to be deleted',
      () => queue.getJob(sentinel.id),
      (job) => job === null,
    );
    expect(await queue.getJob(done.id)).toMatchObject({ status: 'completed', output: 'ok' });

    gates.open('second-dependency');
    await waitFor(
      'the dependent to run',
      () => fannedIn.length,
      (n) => n === 1,
    );
    expect(fannedIn[0]).toEqual({ [done.id]: 'ok', [held.id]: null });
    // Once its dependents finished, it goes like any finished job.
    for (const job of [done, held, dependent])
      await waitFor(
        `job ${job.id} to be deleted`,
        () => queue.getJob(job.id),
        (j) => j === null,
      );
  });

  it('deletes a finished batch with its jobs, but never a batch whose jobs or callbacks are unfinished', async () => {
    app = await createTestApp({
      providers: [FlakyHandler, HeldHandler, HeldCallback],
      options: { retention: { completedAfterMs: 0, intervalMs: 100 } },
    });
    const { queue } = app;
    const running = await queue.createBatch();
    const [runningJob] = await running.enqueue([{ jobType: 'held', payload: { gate: 'batch-job' } }]);
    const awaitingCallback = await queue.createBatch({ onFinish: 'held-callback' });
    const [callbackBatchJob] = await awaitingCallback.enqueue([{ jobType: 'flaky', payload: { failures: 0 } }]);
    const finished = await queue.createBatch();
    const finishedJobs = await finished.enqueue([1, 2, 3].map(() => ({ jobType: 'flaky', payload: { failures: 0 } })));

    await waitFor(
      'the finished batch to be deleted',
      () => queue.getBatch(finished.id),
      (batch) => batch === null,
    );
    for (const job of finishedJobs) expect(await queue.getJob(job.id)).toBeNull();

    // The other two: one still runs a job, one waits for its callback (its job completed long enough ago).
    await waitForJob(queue, callbackBatchJob.id, (job) => job.status === 'completed');
    expect(await queue.getBatch(running.id)).toMatchObject({ finishedAt: null });
    expect(await queue.getJob(runningJob.id)).toMatchObject({ status: 'processing' });
    expect(await queue.getBatch(awaitingCallback.id)).toMatchObject({ finishedAt: null, jobsFinishedAt: expect.any(Date) });
    expect(await queue.getJob(callbackBatchJob.id)).toMatchObject({ status: 'completed' });

    gates.open('callback');
    await waitFor(
      'the batch to go once its callback finished',
      () => queue.getBatch(awaitingCallback.id),
      (batch) => batch === null,
    );
  });
});
