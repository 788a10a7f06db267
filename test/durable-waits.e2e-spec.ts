import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { JobHandler, WaitTimeoutError, type JobContext } from '@dataqueue/nestjs';
import { createTestApp, waitForJob, waitForStatus, type TestApp } from './support/test-app.js';

const stepRuns = new Map<string, number>();
const count = (name: string) => stepRuns.set(name, (stepRuns.get(name) ?? 0) + 1);

@JobHandler('timer', { maxAttempts: 1 })
class TimerHandler {
  async handle(payload: { ms?: number; until?: string }, ctx: JobContext): Promise<unknown> {
    const before = await ctx.step('before', () => {
      count(`${ctx.job.id}:before`);
      return { at: Date.now() };
    });
    if (payload.until) await ctx.waitUntil(new Date(payload.until));
    else await ctx.waitFor(payload.ms!);
    const after = await ctx.step('after', () => {
      count(`${ctx.job.id}:after`);
      return 'done';
    });
    return { before, after };
  }
}

@JobHandler('approval', { maxAttempts: 1 })
class ApprovalHandler {
  async handle(payload: { token: string; timeoutMs?: number }, ctx: JobContext): Promise<unknown> {
    try {
      const decision = await ctx.waitForToken<{ approved: boolean }>(payload.token, { timeoutMs: payload.timeoutMs });
      return { decision };
    } catch (error) {
      if (error instanceof WaitTimeoutError) return { timedOut: true };
      throw error;
    }
  }
}

@JobHandler('quick')
class QuickHandler {
  handle(): string {
    return 'ok';
  }
}

describe('durable waits', () => {
  let app: TestApp;

  beforeAll(async () => {
    // One slot: a waiting job must leave it, or the quick job could not run meanwhile.
    app = await createTestApp({ providers: [TimerHandler, ApprovalHandler, QuickHandler], options: { queues: '*:1', pollIntervalMs: 50 } });
  });

  afterAll(async () => {
    await app?.close();
  });

  it('waitFor leaves the worker slot, goes waiting, resumes later without using an attempt, and memoizes steps', async () => {
    const job = await app.queue.enqueue('timer', { ms: 400 });
    const waiting = await waitForStatus(app.queue, job.id, 'waiting');
    expect(waiting).toMatchObject({ attempts: 0, lockedBy: null, pendingReason: 'waiting for a timer' });
    const quick = await app.queue.enqueue('quick', {});
    await waitForStatus(app.queue, quick.id, 'completed');
    expect((await app.queue.getJob(job.id))!.status).toBe('waiting');

    const done = await waitForStatus(app.queue, job.id, 'completed');
    expect(done.attempts).toBe(1); // maxAttempts 1, and the wait did not use it
    expect(done.output).toMatchObject({ after: 'done', before: { at: expect.any(Number) } });
    expect(stepRuns.get(`${job.id}:before`)).toBe(1);
    expect(stepRuns.get(`${job.id}:after`)).toBe(1);
  });

  it('waitUntil resumes at the given time', async () => {
    const until = new Date(Date.now() + 300);
    const job = await app.queue.enqueue('timer', { until: until.toISOString() });
    await waitForStatus(app.queue, job.id, 'waiting');
    const done = await waitForStatus(app.queue, job.id, 'completed');
    expect(done.completedAt!.getTime()).toBeGreaterThanOrEqual(until.getTime() - 50);
  });

  it('waitForToken resumes with the data given to completeToken, and never strands or fails the job', async () => {
    const job = await app.queue.enqueue('approval', { token: 'order-42' });
    await waitForJob(app.queue, job.id, (j) => j.status === 'waiting' && j.pendingReason === 'waiting for token "order-42"');
    expect(await app.queue.completeToken('nobody-waits', {})).toBe(0);
    expect(await app.queue.completeToken('order-42', { approved: true })).toBe(1);
    const done = await waitForStatus(app.queue, job.id, 'completed');
    expect(done).toMatchObject({ attempts: 1, output: { decision: { approved: true } } });
  });

  it('waitForToken throws WaitTimeoutError after its timeout, and a late completeToken finds nothing', async () => {
    const job = await app.queue.enqueue('approval', { token: 'slow', timeoutMs: 200 });
    await waitForStatus(app.queue, job.id, 'waiting');
    const done = await waitForStatus(app.queue, job.id, 'completed');
    expect(done.output).toEqual({ timedOut: true });
    expect(await app.queue.completeToken('slow', {})).toBe(0);
  });

  it('a waiting job can be cancelled', async () => {
    const job = await app.queue.enqueue('approval', { token: 'never' });
    await waitForStatus(app.queue, job.id, 'waiting');
    expect(await app.queue.cancelJob(job.id)).toMatchObject({ status: 'cancelled' });
    expect(await app.queue.completeToken('never', {})).toBe(0);
  });
});
