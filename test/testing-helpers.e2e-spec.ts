import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { JobHandler, OnBatchFinish, QueueService, WaitTimeoutError, type BatchRecord, type JobContext } from '@dataqueue/nestjs';
import { drain, expectEnqueued, expectNotEnqueued, runHandler, waitForJob } from '@dataqueue/nestjs/testing';
import { createTestApp, type TestApp } from './support/test-app.js';

const HOUR = 3_600_000;

@Injectable()
@JobHandler('welcome', { queue: 'mail' })
class WelcomeHandler {
  constructor(private readonly queue: QueueService) {}

  async handle(payload: { user: string }): Promise<{ greeted: string }> {
    await this.queue.enqueue('follow-up', { user: payload.user }, { delayMs: 24 * HOUR });
    return { greeted: payload.user };
  }
}

@JobHandler('follow-up', { queue: 'mail' })
class FollowUpHandler {
  handle(payload: { user: string }): string {
    return `followed up ${payload.user}`;
  }
}

@JobHandler('flaky', { maxAttempts: 3, backoff: { baseMs: 60_000 } })
class FlakyHandler {
  handle(_payload: unknown, ctx: JobContext): number {
    if (ctx.job.attempts < 2) throw new Error('first attempt fails');
    return ctx.job.attempts;
  }
}

@JobHandler('patient')
class PatientHandler {
  async handle(_payload: unknown, ctx: JobContext): Promise<unknown> {
    await ctx.setProgress(10);
    const done = await ctx.step('prepare', () => 'prepared');
    await ctx.waitFor(HOUR);
    const approval = await ctx.waitForToken<{ by: string }>('approval');
    return { done, approvedBy: approval.by };
  }
}

@JobHandler('forever')
class ForeverHandler {
  constructor(private readonly queue: QueueService) {}

  async handle(): Promise<void> {
    await this.queue.enqueue('forever', {});
  }
}

const finishedBatches: string[] = [];

@Injectable()
class TallyCallbacks {
  @OnBatchFinish('tally')
  finished(batch: BatchRecord): void {
    finishedBatches.push(batch.id);
  }
}

const PROVIDERS = [WelcomeHandler, FollowUpHandler, FlakyHandler, PatientHandler, ForeverHandler, TallyCallbacks];

describe('the testing helpers (@dataqueue/nestjs/testing)', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await createTestApp({ providers: PROVIDERS, options: { mode: 'external' } });
  });

  afterAll(async () => {
    await app.close();
  });

  it('drain runs what is due, jobs enqueued by jobs included, and the tests’ clock runs what is due later', async () => {
    const welcome = await app.queue.enqueue('welcome', { user: 'ada' });
    const first = await drain(app.app);
    expect(first.jobs.map((job) => [job.id, job.status, job.output])).toEqual([[welcome.id, 'completed', { greeted: 'ada' }]]);

    const followUp = await expectEnqueued(app.queue, { jobType: 'follow-up', payload: expect.objectContaining({ user: 'ada' }) });
    await expect(drain(app.app, { until: new Date(Date.now() + HOUR) })).resolves.toMatchObject({ attempts: 0 });
    const next = await drain(app.app, { until: new Date(Date.now() + 25 * HOUR) });
    expect(next.jobs).toMatchObject([{ id: followUp.id, status: 'completed', output: 'followed up ada' }]);
    await expectNotEnqueued(app.queue, { jobType: 'follow-up' });
  });

  it("runs retries after their backoff with until: 'all', and batch callbacks", async () => {
    const flaky = await app.queue.enqueue('flaky', {});
    expect((await drain(app.app)).jobs).toMatchObject([{ id: flaky.id, status: 'failed', attempts: 1 }]);
    expect((await drain(app.app, { until: 'all' })).jobs).toMatchObject([{ id: flaky.id, status: 'completed', output: 2 }]);

    const batch = await app.queue.createBatch({ onFinish: 'tally' });
    await batch.enqueue([{ jobType: 'follow-up', payload: { user: 'grace' } }]);
    const { jobs } = await drain(app.app);
    expect(jobs.map((job) => job.jobType)).toEqual(['follow-up', 'dataqueue.batch-callback']);
    expect(finishedBatches).toEqual([batch.id]);
  });

  it('takes a job through its waits: a timer by the clock, a token once completed', async () => {
    const job = await app.queue.enqueue('patient', {});
    expect((await drain(app.app)).jobs).toMatchObject([{ status: 'waiting' }]);
    expect((await drain(app.app, { until: new Date(Date.now() + 2 * HOUR) })).jobs).toMatchObject([{ status: 'waiting' }]);
    expect(await app.queue.completeToken('approval', { by: 'lin' })).toBe(1);
    expect((await drain(app.app)).jobs).toMatchObject([
      { id: job.id, status: 'completed', output: { done: 'prepared', approvedBy: 'lin' } },
    ]);
  });

  it('gives up on a job that enqueues itself forever, leaving nothing claimed', async () => {
    await app.queue.enqueue('forever', {});
    await expect(drain(app.app, { maxAttempts: 20 })).rejects.toThrow('jobs still due after 20 attempts');
    expect((await app.queue.listJobs({ jobType: 'forever', status: 'processing' })).jobs).toEqual([]);
    for (const job of (await app.queue.listJobs({ jobType: 'forever', status: 'pending' })).jobs) await app.queue.deleteJob(job.id);
  });

  it('expectEnqueued and expectNotEnqueued name what was enqueued when they fail', async () => {
    const job = await app.queue.enqueue('follow-up', { user: 'bob' }, { delayMs: HOUR, tags: ['t1'] });
    await expect(expectEnqueued(app.queue, { jobType: 'follow-up', payload: { user: 'bob' }, tags: ['t1'] })).resolves.toMatchObject({
      id: job.id,
    });
    await expect(expectEnqueued(app.queue, { jobType: 'follow-up', payload: { user: 'eve' } })).rejects.toThrow(
      'expected a job matching {"jobType":"follow-up","payload":{"user":"eve"}} to be enqueued; found 1: follow-up {"user":"bob"}',
    );
    await expect(expectNotEnqueued(app.queue, { payload: expect.objectContaining({ user: 'bob' }) })).rejects.toThrow(
      `found job ${job.id}`,
    );
    await app.queue.deleteJob(job.id);
  });

  it('runHandler calls one handler with an in-memory context', async () => {
    const run = await runHandler(app.app, 'patient', {}, { tokens: { approval: { by: 'kim' } } });
    expect(run).toEqual({
      output: { done: 'prepared', approvedBy: 'kim' },
      progress: [10],
      outputs: [],
      steps: { prepare: 'prepared' },
      waits: [
        { kind: 'timer', ms: HOUR },
        { kind: 'token', token: 'approval' },
      ],
    });
    await expect(runHandler(app.app, 'patient', {})).rejects.toBeInstanceOf(WaitTimeoutError);
    const flaky = await runHandler(app.app, 'flaky', {}, { job: { attempts: 2 } });
    expect(flaky.output).toBe(2);
  });

  it('drain refuses an app that runs its own workers', async () => {
    const busy = await createTestApp({ options: { schema: app.schema } });
    try {
      await expect(drain(busy.app)).rejects.toThrow("mode: 'external'");
    } finally {
      await busy.close();
    }
  });
});

describe('waitForJob', () => {
  @JobHandler('quick')
  class QuickHandler {
    handle(): string {
      return 'done';
    }
  }

  let app: TestApp;

  beforeAll(async () => {
    app = await createTestApp({ providers: [QuickHandler] });
  });

  afterAll(async () => {
    await app.close();
  });

  it('returns the job once it is final, and names its last state when it is not in time', async () => {
    const job = await app.queue.enqueue('quick', {});
    await expect(waitForJob(app.queue, job.id)).resolves.toMatchObject({ status: 'completed', output: 'done' });
    const later = await app.queue.enqueue('quick', {}, { delayMs: HOUR });
    await expect(waitForJob(app.queue, later.id, { timeoutMs: 100 })).rejects.toThrow(
      `job ${later.id}: condition not met within 100 ms; last seen pending (attempt 0/3)`,
    );
    await app.queue.deleteJob(later.id);
  });
});
