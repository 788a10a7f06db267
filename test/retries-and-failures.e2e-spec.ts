import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { JobHandler, JobNotFoundError, JobStateError } from '@dataqueue/nestjs';
import type { JobContext, JobRecord } from '@dataqueue/nestjs';
import { aborted } from './support/gates.js';
import { rejectionOf } from './support/rejection.js';
import { Tally } from './support/tally.js';
import { createTestApp, waitForFinalFailure, waitForJob, waitForStatus, type TestApp } from './support/test-app.js';
import { dropSchema, uniqueSchema } from './support/unique-schema.js';

const FAST_RETRY = { baseMs: 20, factor: 1, jitter: 0 };

let tally: Tally;
/** Job ids whose 'toggle' handler still fails. */
const stillFailing = new Set<string>();
/** What each timed-out handler saw on its signal. */
const signalSeen = new Map<string, { aborted: boolean; reason: unknown }>();
/** Payloads the dead-letter handler received. */
const deadLetters: unknown[] = [];

/** Fails its first `payload.failTimes` attempts, then succeeds. */
@JobHandler('flaky', { maxAttempts: 5, backoff: FAST_RETRY })
class FlakyHandler {
  async handle(payload: { failTimes: number }, ctx: JobContext): Promise<string> {
    await tally.record(ctx.job.id, `attempt ${ctx.job.attempts}`);
    const runs = (await tally.runsPerJob()).get(ctx.job.id)!;
    if (runs <= payload.failTimes) throw new Error(`flaky failure ${runs}`);
    return 'finally';
  }
}

/** Fails once, then waits a minute before its retry. */
@JobHandler('slow-retry', { maxAttempts: 2, backoff: { baseMs: 60_000, factor: 1, jitter: 0 } })
class SlowRetryHandler {
  async handle(_payload: unknown, ctx: JobContext): Promise<string> {
    await tally.record(ctx.job.id, 'slow-retry');
    if ((await tally.runsPerJob()).get(ctx.job.id) === 1) throw new TypeError('first attempt fails');
    return 'second attempt';
  }
}

@JobHandler('always-fails', { maxAttempts: 3, backoff: FAST_RETRY })
class AlwaysFailsHandler {
  async handle(payload: { invoice: number }): Promise<never> {
    throw new Error(`invoice ${payload.invoice} cannot be charged`);
  }
}

@JobHandler('dead-letters')
class DeadLetterHandler {
  async handle(payload: unknown): Promise<void> {
    deadLetters.push(payload);
  }
}

/** Runs until its signal aborts (it only ends by timeout), then rethrows the abort reason. */
@JobHandler('sleeper', { timeoutMs: 150, maxAttempts: 1 })
class SleeperHandler {
  async handle(_payload: unknown, ctx: JobContext): Promise<never> {
    await aborted(ctx.signal);
    signalSeen.set(ctx.job.id, { aborted: ctx.signal.aborted, reason: ctx.signal.reason });
    throw ctx.signal.reason;
  }
}

/** Ignores its signal and never settles: the timeout must end the attempt anyway. */
@JobHandler('stubborn', { timeoutMs: 150, maxAttempts: 1 })
class StubbornHandler {
  handle(): Promise<never> {
    return new Promise<never>(() => undefined);
  }
}

@JobHandler('toggle', { maxAttempts: 2, backoff: FAST_RETRY })
class ToggleHandler {
  async handle(_payload: unknown, ctx: JobContext): Promise<string> {
    await tally.record(ctx.job.id, 'toggle');
    if (stillFailing.has(ctx.job.id)) throw new Error('still failing');
    return 'recovered';
  }
}

describe('failures and retries', () => {
  const schema = uniqueSchema();
  let app: TestApp;
  /** Enqueue-only app that may enqueue job types no handler here knows. */
  let producer: TestApp;

  beforeAll(async () => {
    tally = await Tally.create(schema);
    app = await createTestApp({
      providers: [FlakyHandler, SlowRetryHandler, AlwaysFailsHandler, DeadLetterHandler, SleeperHandler, StubbornHandler, ToggleHandler],
      options: { schema, pollIntervalMs: 50 },
    });
    producer = await createTestApp({ options: { schema, mode: 'external', strictJobTypes: false } });
  });

  afterAll(async () => {
    await producer?.close();
    await app?.close();
    await tally.close();
    await dropSchema(schema);
  });

  describe('retries', () => {
    it('retries a failing handler and completes, keeping one errorHistory entry per failed attempt', async () => {
      const job = await app.queue.enqueue('flaky', { failTimes: 2 });
      expect(job.maxAttempts).toBe(5);

      const done = await waitForStatus(app.queue, job.id, 'completed');
      expect(done.output).toBe('finally');
      expect(done.attempts).toBe(3);
      expect(done.failureReason).toBeNull();
      expect(done.lastFailedAt).toBeInstanceOf(Date);
      expect(done.errorHistory).toHaveLength(2);
      expect(done.errorHistory.map((e) => [e.attempt, e.reason, e.message])).toEqual([
        [1, 'handler_error', 'flaky failure 1'],
        [2, 'handler_error', 'flaky failure 2'],
      ]);
      for (const entry of done.errorHistory) {
        expect(entry.name).toBe('Error');
        expect(entry.stack).toContain('flaky failure');
        expect(Number.isNaN(Date.parse(entry.timestamp))).toBe(false);
      }
      expect((await tally.runsPerJob()).get(job.id)).toBe(3);
    });

    it('shows a job waiting for its retry as failed with nextAttemptAt set', async () => {
      const job = await app.queue.enqueue('slow-retry', {});
      const waiting = await waitForJob(app.queue, job.id, (j) => j.status === 'failed', `job ${job.id} to fail once`);
      expect(waiting.nextAttemptAt).toBeInstanceOf(Date);
      expect(waiting.nextAttemptAt!.getTime()).toBeGreaterThan(waiting.lastFailedAt!.getTime() + 50_000);
      expect(waiting.failureReason).toBe('handler_error');
      expect(waiting.attempts).toBe(1);
      expect(waiting.errorHistory).toEqual([expect.objectContaining({ name: 'TypeError', reason: 'handler_error', attempt: 1 })]);

      // Pull the retry forward instead of waiting a minute.
      await app.queue.rescheduleJob(job.id, new Date());
      const done = await waitForStatus(app.queue, job.id, 'completed');
      expect(done.attempts).toBe(2);
      expect(done.output).toBe('second attempt');
    });
  });

  describe('final failure', () => {
    it('fails for good after maxAttempts and enqueues the dead letter job with the failure', async () => {
      const job = await app.queue.enqueue('always-fails', { invoice: 42 }, { deadLetterJobType: 'dead-letters', tags: ['billing'] });

      const failed = await waitForJob(
        app.queue,
        job.id,
        (j) => j.status === 'failed' && j.nextAttemptAt === null && j.deadLetterJobId !== null,
        `job ${job.id} to fail for good and be dead-lettered`,
      );
      expect(failed.attempts).toBe(3);
      expect(failed.failureReason).toBe('handler_error');
      expect(failed.errorHistory.map((e) => e.attempt)).toEqual([1, 2, 3]);
      expect(failed.deadLetteredAt).toBeInstanceOf(Date);

      const letter = (await app.queue.getJob(failed.deadLetterJobId!))!;
      expect(letter.jobType).toBe('dead-letters');
      expect(letter.payload).toEqual({
        originalJob: { id: job.id, jobType: 'always-fails', queue: 'default', attempts: 3, tags: ['billing'] },
        payload: { invoice: 42 },
        failure: {
          reason: 'handler_error',
          message: 'invoice 42 cannot be charged',
          errorHistory: expect.arrayContaining([expect.objectContaining({ attempt: 3, message: 'invoice 42 cannot be charged' })]),
        },
      });
      expect((letter.payload as { failure: { errorHistory: unknown[] } }).failure.errorHistory).toHaveLength(3);

      await waitForStatus(app.queue, letter.id, 'completed');
      expect(deadLetters).toContainEqual(expect.objectContaining({ originalJob: expect.objectContaining({ id: job.id }) }));
    });

    it('enqueues no dead letter job when none was asked for', async () => {
      const job = await app.queue.enqueue('always-fails', { invoice: 7 });
      const failed = await waitForFinalFailure(app.queue, job.id);
      expect(failed.attempts).toBe(3);
      expect(failed.deadLetterJobId).toBeNull();
      expect(failed.deadLetteredAt).toBeNull();
    });

    it('fails a job no handler here can run with failureReason no_handler', async () => {
      // Another deployment declares the type (booting publishes its settings); this worker lacks it.
      @JobHandler('ghost')
      class GhostHandler {
        handle(): void {}
      }
      const declaring = await createTestApp({ providers: [GhostHandler], options: { schema, mode: 'external' } });
      await declaring.close();
      const job = await producer.queue.enqueue('ghost', { boo: true }, { maxAttempts: 1 });
      const failed = await waitForFinalFailure(app.queue, job.id);
      expect(failed.failureReason).toBe('no_handler');
      expect(failed.errorHistory).toEqual([expect.objectContaining({ reason: 'no_handler', attempt: 1 })]);
      expect(failed.errorHistory[0].message).toContain('ghost');
    });
  });

  describe('timeouts', () => {
    it('aborts the signal of a handler that runs past timeoutMs and fails the attempt with reason timeout', async () => {
      const job = await app.queue.enqueue('sleeper', {});
      expect(job.timeoutMs).toBe(150);
      const failed = await waitForFinalFailure(app.queue, job.id);
      expect(failed.failureReason).toBe('timeout');
      expect(failed.errorHistory).toEqual([expect.objectContaining({ reason: 'timeout', attempt: 1 })]);
      expect(signalSeen.get(job.id)).toEqual({ aborted: true, reason: expect.anything() });
    });

    it('applies a timeoutMs given at enqueue over the handler default', async () => {
      const job = await app.queue.enqueue('sleeper', {}, { timeoutMs: 80 });
      expect(job.timeoutMs).toBe(80);
      const failed = await waitForFinalFailure(app.queue, job.id);
      expect(failed.failureReason).toBe('timeout');
    });

    it('fails a handler that ignores its signal and never settles', async () => {
      const job = await app.queue.enqueue('stubborn', {});
      const failed = await waitForFinalFailure(app.queue, job.id);
      expect(failed.failureReason).toBe('timeout');
      expect(failed.lockedBy).toBeNull();
    });
  });

  describe('retryJob', () => {
    it('sends a finally failed job back to pending with attempts reset, and it can then succeed', async () => {
      const job = await app.queue.enqueue('toggle', {});
      stillFailing.add(job.id);
      const failed = await waitForFinalFailure(app.queue, job.id);
      expect(failed.attempts).toBe(2);

      stillFailing.delete(job.id);
      const retried: JobRecord = await app.queue.retryJob(job.id);
      expect(retried.id).toBe(job.id);
      expect(retried.attempts).toBe(0);
      expect(retried.status).toBe('pending');
      expect(retried.nextAttemptAt).toBeNull();
      expect(retried.lastRetriedAt).toBeInstanceOf(Date);

      const done = await waitForStatus(app.queue, job.id, 'completed');
      expect(done.attempts).toBe(1);
      expect(done.output).toBe('recovered');
      expect((await tally.runsPerJob()).get(job.id)).toBe(3);
    });

    it('refuses a completed job with JobStateError and an unknown id with JobNotFoundError', async () => {
      const job = await app.queue.enqueue('toggle', {});
      await waitForStatus(app.queue, job.id, 'completed');
      const stateError = await rejectionOf(app.queue.retryJob(job.id));
      expect(stateError).toBeInstanceOf(JobStateError);
      expect(stateError).toMatchObject({ jobId: job.id, status: 'completed', action: 'retry' });

      const notFound = await rejectionOf(app.queue.retryJob('987654321'));
      expect(notFound).toBeInstanceOf(JobNotFoundError);
    });
  });
});
