import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { JobHandler } from '@dataqueue/nestjs';
import type { JobContext } from '@dataqueue/nestjs';
import { Gates } from './support/gates.js';
import { Tally } from './support/tally.js';
import { createTestApp, waitForStatus, type TestApp } from './support/test-app.js';
import { waitFor } from './support/wait-for.js';

const gates = new Gates();
let tally: Tally | undefined;
/** Attempts an inline job has failed so far, by job id. */
const inlineFailures = new Map<string, number>();

@JobHandler('multiply', { maxAttempts: 3, backoff: { baseMs: 10_000 } })
class MultiplyHandler {
  async handle(payload: { x: number; failTimes?: number }, ctx: JobContext): Promise<number> {
    const failed = inlineFailures.get(ctx.job.id) ?? 0;
    if (failed < (payload.failTimes ?? 0)) {
      inlineFailures.set(ctx.job.id, failed + 1);
      throw new Error(`attempt ${failed + 1} fails`);
    }
    await ctx.setProgress(50);
    return payload.x * 2;
  }
}

/** Its enqueues go through the concurrency check's own transaction. */
@JobHandler('multiply-per-user', { queue: 'keyed', concurrency: { key: (p: { user: string }) => p.user, totalLimit: 5 } })
class MultiplyPerUserHandler {
  handle(payload: { x: number }): number {
    return payload.x * 2;
  }
}

@JobHandler('send-mail', { queue: 'mail' })
class SendMailHandler {
  async handle(payload: { gate?: string }, ctx: JobContext): Promise<void> {
    await tally!.record(ctx.job.id, `mail ${ctx.job.queue}`);
    if (payload.gate) await gates.wait(payload.gate, ctx.signal);
  }
}

@JobHandler('crunch')
class CrunchHandler {
  async handle(payload: { gate?: string }, ctx: JobContext): Promise<void> {
    await tally!.record(ctx.job.id, `crunch ${ctx.job.queue}`);
    if (payload.gate) await gates.wait(payload.gate, ctx.signal);
  }
}

describe('modes and pools', () => {
  let app: TestApp | undefined;

  afterEach(async () => {
    gates.openAll();
    await tally?.close();
    tally = undefined;
    await app?.close();
    app = undefined;
  });

  afterAll(() => gates.openAll());

  describe('inline mode', () => {
    it('runs the job during enqueue and returns the final record', async () => {
      app = await createTestApp({ providers: [MultiplyHandler], options: { mode: 'inline' } });
      const job = await app.queue.enqueue('multiply', { x: 21 });
      expect(job.status).toBe('completed');
      expect(job.output).toBe(42);
      expect(job.progress).toBe(100);
      expect(job.attempts).toBe(1);
      expect(await app.queue.getJob(job.id)).toMatchObject({ status: 'completed', output: 42 });
    });

    it('runs every attempt back to back, without waiting for backoff', async () => {
      app = await createTestApp({ providers: [MultiplyHandler], options: { mode: 'inline' } });
      const retried = await app.queue.enqueue('multiply', { x: 5, failTimes: 2 });
      expect(retried).toMatchObject({ status: 'completed', output: 10, attempts: 3 });
      expect(retried.errorHistory).toHaveLength(2);

      const failed = await app.queue.enqueue('multiply', { x: 5, failTimes: 3 });
      expect(failed).toMatchObject({ status: 'failed', nextAttemptAt: null, attempts: 3, failureReason: 'handler_error' });
      expect(failed.errorHistory.map((e) => e.message)).toEqual(['attempt 1 fails', 'attempt 2 fails', 'attempt 3 fails']);
    });

    it('returns records in input order from enqueueMany', async () => {
      app = await createTestApp({ providers: [MultiplyHandler], options: { mode: 'inline' } });
      const jobs = await app.queue.enqueueMany([1, 2, 3].map((x) => ({ jobType: 'multiply', payload: { x } })));
      expect(jobs.map((j) => [j.status, j.output])).toEqual([
        ['completed', 2],
        ['completed', 4],
        ['completed', 6],
      ]);
    });
  });

  describe('external mode', () => {
    it('only enqueues: no worker in the app claims its jobs', async () => {
      app = await createTestApp({ providers: [MultiplyHandler], options: { mode: 'external' } });
      const job = await app.queue.enqueue('multiply', { x: 1 });
      // A worker app on the same schema serving only queue 'other' runs a job end to end. Enqueue
      // NOTIFYs every process on the schema, so a worker in the external app would have claimed
      // the first job by then.
      const worker = await createTestApp({
        providers: [MultiplyHandler],
        options: { schema: app.schema, mode: 'async', queues: 'other:1' },
      });
      try {
        const other = await worker.queue.enqueue('multiply', { x: 2 }, { queue: 'other' });
        await waitForStatus(worker.queue, other.id, 'completed');
      } finally {
        await worker.close();
      }
      expect(await app.queue.getJob(job.id)).toMatchObject({ status: 'pending', attempts: 0, startedAt: null });
    });
  });

  describe('async mode', () => {
    it('starts the jobs it enqueues (plain, concurrency-keyed, in a batch) at once, without LISTEN or a poll', async () => {
      // Neither NOTIFY nor the poll (10 min) can start these jobs within the deadline: only
      // this app's own enqueue, which wakes its pools directly.
      app = await createTestApp({
        providers: [MultiplyHandler, MultiplyPerUserHandler],
        options: { listen: false, pollIntervalMs: 600_000, queues: 'keyed:1;batched:1;*:2' },
      });
      const single = await app.queue.enqueue('multiply', { x: 1 });
      const many = await app.queue.enqueueMany([2, 3].map((x) => ({ jobType: 'multiply', payload: { x } })));
      const outputs = [];
      for (const job of [single, ...many]) outputs.push((await waitForStatus(app.queue, job.id, 'completed', { timeoutMs: 5_000 })).output);
      expect(outputs).toEqual([2, 4, 6]);

      // The 'keyed' and 'batched' pools have idled since boot (the jobs above woke only '*').
      const keyed = await app.queue.enqueue('multiply-per-user', { x: 4, user: 'ann' });
      expect(await waitForStatus(app.queue, keyed.id, 'completed', { timeoutMs: 5_000 })).toMatchObject({ output: 8 });
      const batch = await app.queue.createBatch();
      const [inBatch] = await batch.enqueue([{ jobType: 'multiply', payload: { x: 5 }, options: { queue: 'batched' } }]);
      expect(await waitForStatus(app.queue, inBatch.id, 'completed', { timeoutMs: 5_000 })).toMatchObject({ output: 10 });
    });
  });

  describe('queue pools', () => {
    it("runs jobs of a named queue and of any other queue with queues 'mail:1;*:2'", async () => {
      app = await createTestApp({ providers: [SendMailHandler, CrunchHandler], options: { queues: 'mail:1;*:2' } });
      tally = await Tally.create(app.schema);
      const mail = await app.queue.enqueue('send-mail', {});
      const other = await app.queue.enqueue('crunch', {}, { queue: 'other' });
      const byDefault = await app.queue.enqueue('crunch', {});
      expect([mail.queue, other.queue, byDefault.queue]).toEqual(['mail', 'other', 'default']);

      for (const job of [mail, other, byDefault]) await waitForStatus(app.queue, job.id, 'completed');
      expect((await tally.labels()).sort()).toEqual(['crunch default', 'crunch other', 'mail mail']);
    });

    it('gives each pool its own slots: a busy mail:1 pool does not hold up other queues', async () => {
      app = await createTestApp({ providers: [SendMailHandler, CrunchHandler], options: { queues: 'mail:1;*:2' } });
      tally = await Tally.create(app.schema);
      const blocking = await app.queue.enqueue('send-mail', { gate: 'mail-busy' });
      const queued = await app.queue.enqueue('send-mail', {});
      await waitForStatus(app.queue, blocking.id, 'processing');

      const crunches = await Promise.all([1, 2].map(() => app!.queue.enqueue('crunch', {}, { queue: 'other' })));
      for (const job of crunches) await waitForStatus(app.queue, job.id, 'completed');
      // The single mail slot is still taken, so the second mail job has not started.
      expect((await app.queue.getJob(queued.id))!.status).toBe('pending');

      gates.open('mail-busy');
      await waitForStatus(app.queue, queued.id, 'completed');
      await waitFor(
        'both mail jobs to have run',
        async () => (await tally!.labels()).filter((l) => l === 'mail mail').length,
        (n) => n === 2,
      );
    });
  });
});
