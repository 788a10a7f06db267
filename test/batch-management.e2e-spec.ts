import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { JobHandler } from '@dataqueue/nestjs';
import type { JobRecord } from '@dataqueue/nestjs';
import { REPORT, ReportCallbacks, StepHandler, batchLog, step, steps } from './fixtures/batch-steps.js';
import { allJobs, callbackEventsOf, tamperWithBatch, waitForBatch, waitForBatchFinished } from './support/batches.js';
import { createTestApp, waitForFinalFailure, waitForJob, waitForStatus, type TestApp } from './support/test-app.js';
import { waitFor } from './support/wait-for.js';

const ALL_CALLBACKS = { onFinish: REPORT, onSuccess: REPORT, onDiscard: REPORT };
/** Far in the future: the job stays pending until something is done to it. */
const LATER = { delayMs: 3_600_000 };

/** Receives the dead letters of steps that fail for good. */
@JobHandler('step-dead-letter')
class StepDeadLetterHandler {
  async handle(): Promise<void> {}
}

describe('managing batches and their jobs', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await createTestApp({ providers: [StepHandler, StepDeadLetterHandler, ReportCallbacks], options: { pollIntervalMs: 50 } });
  });

  afterAll(async () => {
    batchLog.gates.openAll();
    await app?.close();
  });

  describe('final failure', () => {
    it('counts a job that failed for good as discarded; its dead letter is not part of the batch', async () => {
      const batch = await app.queue.createBatch(ALL_CALLBACKS);
      const [doomed, sibling] = await batch.enqueue([
        step({ label: 'dead-lettered', fail: 'always' }, { deadLetterJobType: 'step-dead-letter' }),
        step('dead-letter-sibling'),
      ]);
      const finished = await waitForBatchFinished(app.queue, batch.id);
      expect(finished.counts).toEqual({ total: 2, pending: 0, succeeded: 1, discarded: 1 });
      expect(batchLog.eventCounts(batch.id)).toEqual({ finish: 1, success: 0, discard: 1 });

      const failed = (await app.queue.getJob(doomed.id))!;
      expect(failed.deadLetterJobId).not.toBeNull();
      const deadLetter = await waitForStatus(app.queue, failed.deadLetterJobId!, 'completed');
      expect(deadLetter.batchId).toBeNull();
      const batchJobIds = (await allJobs(app.queue, { batchId: batch.id })).map((job) => job.id);
      expect(batchJobIds.sort()).toEqual([doomed.id, sibling.id].sort());
      expect((await app.queue.getBatch(batch.id))!.counts).toEqual(finished.counts);
    });
  });

  describe('retryJob of a discarded batch job (GoodJob #1450)', () => {
    it('re-opens the finished batch; once the job succeeds, onFinish fires again and onSuccess fires', async () => {
      const batch = await app.queue.createBatch(ALL_CALLBACKS);
      const [, flaky] = await batch.enqueue([
        step('reopen-ok'),
        step({ label: 'reopen-flaky', fail: 'until-retried', retryGate: 'reopen-flaky' }),
      ]);

      const discarded = await waitForBatchFinished(app.queue, batch.id);
      expect(discarded.counts).toEqual({ total: 2, pending: 0, succeeded: 1, discarded: 1 });
      expect(discarded.discardedAt).toBeInstanceOf(Date);
      expect(batchLog.eventCounts(batch.id)).toEqual({ finish: 1, success: 0, discard: 1 });

      const retried = await app.queue.retryJob(flaky.id);
      expect(retried.status).toBe('pending');
      const reopened = (await app.queue.getBatch(batch.id))!;
      expect(reopened).toMatchObject({ jobsFinishedAt: null, finishedAt: null, discardedAt: null });
      expect(reopened.counts).toEqual({ total: 2, pending: 1, succeeded: 1, discarded: 0 });

      await waitFor('the retried job to run', () => batchLog.runsOf('reopen-flaky').length === 2);
      batchLog.gates.open('reopen-flaky');
      const finished = await waitForBatchFinished(app.queue, batch.id);
      expect(finished.counts).toEqual({ total: 2, pending: 0, succeeded: 2, discarded: 0 });
      expect(finished.discardedAt).toBeNull();
      expect(batchLog.eventCounts(batch.id)).toEqual({ finish: 2, success: 1, discard: 1 });

      const success = batchLog.callbacksOf(batch.id).find((run) => run.event === 'success')!;
      expect(success.batch.counts).toEqual({ total: 2, pending: 0, succeeded: 2, discarded: 0 });
      expect(success.batch.discardedAt).toBeNull();
      const finishes = batchLog.callbacksOf(batch.id).filter((run) => run.event === 'finish');
      expect(finishes.map((run) => run.batch.counts.discarded)).toEqual([1, 0]);
    });

    it('fires onDiscard again for a later discard when the retry left no discarded job (discardedAt cleared)', async () => {
      const batch = await app.queue.createBatch(ALL_CALLBACKS);
      const [doomed] = await batch.enqueue([step({ label: 'rediscard-only', fail: 'always' })]);
      const first = await waitForBatchFinished(app.queue, batch.id);
      expect(batchLog.eventCounts(batch.id)).toEqual({ finish: 1, success: 0, discard: 1 });

      await app.queue.retryJob(doomed.id);
      const second = await waitForBatchFinished(app.queue, batch.id);
      expect(second.counts).toEqual({ total: 1, pending: 0, succeeded: 0, discarded: 1 });
      expect(second.discardedAt!.getTime()).toBeGreaterThan(first.discardedAt!.getTime());
      expect(batchLog.eventCounts(batch.id)).toEqual({ finish: 2, success: 0, discard: 2 });
    });

    it('does not fire onDiscard again when another job of the batch was still discarded (discardedAt kept)', async () => {
      const batch = await app.queue.createBatch(ALL_CALLBACKS);
      const [doomed] = await batch.enqueue([
        step({ label: 'rediscard-one', fail: 'always' }),
        step({ label: 'rediscard-two', fail: 'always' }),
      ]);
      const first = await waitForBatchFinished(app.queue, batch.id);
      expect(batchLog.eventCounts(batch.id)).toEqual({ finish: 1, success: 0, discard: 1 });

      await app.queue.retryJob(doomed.id);
      const reopened = (await app.queue.getBatch(batch.id))!;
      expect(reopened.discardedAt).toEqual(first.discardedAt);
      const second = await waitForBatchFinished(app.queue, batch.id);
      expect(second.counts).toEqual({ total: 2, pending: 0, succeeded: 0, discarded: 2 });
      expect(second.discardedAt).toEqual(first.discardedAt);
      expect(batchLog.eventCounts(batch.id)).toEqual({ finish: 2, success: 0, discard: 1 });
    });
  });

  describe('cancelJob', () => {
    it("finishes the batch when its last pending job is cancelled by hand: onDiscard and onFinish fire, onSuccess doesn't", async () => {
      const batch = await app.queue.createBatch(ALL_CALLBACKS);
      const [, later] = await batch.enqueue([step('cancel-ok'), step('cancel-later', LATER)]);
      await waitForBatch(app.queue, batch.id, (b) => b.counts.succeeded === 1, 'the first job to succeed');
      expect(await callbackEventsOf(app.queue, batch.id)).toEqual([]);

      await app.queue.cancelJob(later.id);
      const finished = await waitForBatchFinished(app.queue, batch.id);
      expect(finished.counts).toEqual({ total: 2, pending: 0, succeeded: 1, discarded: 1 });
      expect(finished.discardedAt).toBeInstanceOf(Date);
      expect(batchLog.eventCounts(batch.id)).toEqual({ finish: 1, success: 0, discard: 1 });
    });

    it('counts a cancelled running job as discarded once its signal has aborted it', async () => {
      const batch = await app.queue.createBatch(ALL_CALLBACKS);
      const [running] = await batch.enqueue([step({ label: 'cancel-running', gate: 'never-opened' })]);
      await waitForStatus(app.queue, running.id, 'processing');

      await app.queue.cancelJob(running.id);
      const finished = await waitForBatchFinished(app.queue, batch.id);
      expect(finished.counts).toEqual({ total: 1, pending: 0, succeeded: 0, discarded: 1 });
      expect(batchLog.eventCounts(batch.id)).toEqual({ finish: 1, success: 0, discard: 1 });
      await waitFor('the handler to see its signal abort', () => batchLog.runOf('cancel-running')!.outcome === 'aborted');
      expect((await app.queue.getJob(running.id))!.status).toBe('cancelled');
    });
  });

  describe('deleteJob', () => {
    it('finishes the batch when its last pending job is deleted; the job leaves the counts', async () => {
      const batch = await app.queue.createBatch(ALL_CALLBACKS);
      const [, later] = await batch.enqueue([step('delete-ok'), step('delete-later', LATER)]);
      await waitForBatch(app.queue, batch.id, (b) => b.counts.succeeded === 1, 'the first job to succeed');

      await expect(app.queue.deleteJob(later.id)).resolves.toBe(true);
      const finished = await waitForBatchFinished(app.queue, batch.id);
      expect(finished.counts).toEqual({ total: 1, pending: 0, succeeded: 1, discarded: 0 });
      expect(batchLog.eventCounts(batch.id)).toEqual({ finish: 1, success: 1, discard: 0 });
    });

    it('takes a finished job out of its bucket; the finished batch stays finished', async () => {
      const batch = await app.queue.createBatch(ALL_CALLBACKS);
      const [, failed] = await batch.enqueue([step('delete-done-ok'), step({ label: 'delete-done-failed', fail: 'always' })]);
      const before = await waitForBatchFinished(app.queue, batch.id);
      expect(before.counts).toEqual({ total: 2, pending: 0, succeeded: 1, discarded: 1 });

      await expect(app.queue.deleteJob(failed.id)).resolves.toBe(true);
      const after = (await app.queue.getBatch(batch.id))!;
      expect(after.counts).toEqual({ total: 1, pending: 0, succeeded: 1, discarded: 0 });
      expect(after.discardedAt).toBeNull();
      expect(after.jobsFinishedAt).toEqual(before.jobsFinishedAt);
      expect(after.finishedAt).toEqual(before.finishedAt);
    });
  });

  describe('cancelBatch', () => {
    it('cancels every unfinished job, aborting running ones, and finishes the batch: onDiscard and onFinish fire once', async () => {
      const batch = await app.queue.createBatch(ALL_CALLBACKS);
      const jobs = await batch.enqueue([
        step('cancel-batch-ok'),
        step({ label: 'cancel-batch-running', gate: 'never-opened' }),
        step('cancel-batch-later', LATER),
        step({ label: 'cancel-batch-retrying', fail: 'always' }, { maxAttempts: 5 }),
      ]);
      const [ok, running, later, retrying] = jobs;
      await waitForStatus(app.queue, ok.id, 'completed');
      await waitForStatus(app.queue, running.id, 'processing');
      await waitForJob(app.queue, retrying.id, (j) => j.attempts >= 1 && j.status !== 'processing', 'the retrying job to have failed once');

      const record = await app.queue.cancelBatch(batch.id);
      expect(record.counts).toEqual({ total: 4, pending: 0, succeeded: 1, discarded: 3 });
      expect(record.jobsFinishedAt).toBeInstanceOf(Date);
      for (const job of [running, later, retrying]) expect((await app.queue.getJob(job.id))!.status).toBe('cancelled');
      expect((await app.queue.getJob(ok.id))!.status).toBe('completed');

      const finished = await waitForBatchFinished(app.queue, batch.id);
      expect(finished.counts).toEqual({ total: 4, pending: 0, succeeded: 1, discarded: 3 });
      expect(batchLog.eventCounts(batch.id)).toEqual({ finish: 1, success: 0, discard: 1 });
      await waitFor('the running handler to see its signal abort', () => batchLog.runOf('cancel-batch-running')!.outcome === 'aborted');
      const settled = await waitForJob(app.queue, running.id, (j) => j.lockedBy === null, 'the aborted job to be unlocked');
      expect(settled.status).toBe('cancelled');
    });

    it('arms a batch that was never enqueued, so that it finishes and calls back', async () => {
      const batch = await app.queue.createBatch(ALL_CALLBACKS);
      await batch.add([step('cancel-unarmed', LATER)]);
      expect(batch.record.enqueuedAt).toBeNull();

      const record = await app.queue.cancelBatch(batch.id);
      expect(record.enqueuedAt).toBeInstanceOf(Date);
      const finished = await waitForBatchFinished(app.queue, batch.id);
      expect(finished.counts).toEqual({ total: 1, pending: 0, succeeded: 0, discarded: 1 });
      expect(batchLog.eventCounts(batch.id)).toEqual({ finish: 1, success: 0, discard: 1 });
    });

    it('changes nothing on a batch that has already finished', async () => {
      const batch = await app.queue.createBatch(ALL_CALLBACKS);
      await batch.enqueue(steps('cancel-finished'));
      const before = await waitForBatchFinished(app.queue, batch.id);

      const record = await app.queue.cancelBatch(batch.id);
      expect(record.counts).toEqual(before.counts);
      expect(record.finishedAt).toEqual(before.finishedAt);
      expect(await callbackEventsOf(app.queue, batch.id)).toHaveLength(2);
    });
  });

  describe('retryBatch', () => {
    it('retries every discarded job (failed or cancelled), re-opening the batch; onFinish fires again, then onSuccess', async () => {
      const batch = await app.queue.createBatch(ALL_CALLBACKS);
      const jobs = await batch.enqueue([
        step('retry-batch-ok'),
        step({ label: 'retry-batch-1', fail: 'until-retried', retryGate: 'retry-batch' }),
        step({ label: 'retry-batch-2', fail: 'until-retried', retryGate: 'retry-batch' }),
        step('retry-batch-cancelled', LATER),
      ]);
      await waitForFinalFailure(app.queue, jobs[1].id);
      await waitForFinalFailure(app.queue, jobs[2].id);
      await app.queue.cancelJob(jobs[3].id);
      const discarded = await waitForBatchFinished(app.queue, batch.id);
      expect(discarded.counts).toEqual({ total: 4, pending: 0, succeeded: 1, discarded: 3 });
      expect(batchLog.eventCounts(batch.id)).toEqual({ finish: 1, success: 0, discard: 1 });

      const record = await app.queue.retryBatch(batch.id);
      expect(record.counts).toEqual({ total: 4, pending: 3, succeeded: 1, discarded: 0 });
      expect(record).toMatchObject({ discardedAt: null, jobsFinishedAt: null, finishedAt: null });
      for (const job of jobs.slice(1)) {
        const retried = (await app.queue.getJob(job.id))!;
        expect(retried.lastRetriedAt).toBeInstanceOf(Date);
        expect(retried.status).not.toBe('cancelled');
        expect(retried.status === 'failed' && retried.nextAttemptAt === null).toBe(false);
      }

      batchLog.gates.open('retry-batch');
      const finished = await waitForBatchFinished(app.queue, batch.id);
      expect(finished.counts).toEqual({ total: 4, pending: 0, succeeded: 4, discarded: 0 });
      expect(batchLog.eventCounts(batch.id)).toEqual({ finish: 2, success: 1, discard: 1 });
      const statuses = (await allJobs(app.queue, { batchId: batch.id })).map((job: JobRecord) => job.status);
      expect(statuses).toEqual(['completed', 'completed', 'completed', 'completed']);
    });

    it('changes nothing on a batch without discarded jobs', async () => {
      const batch = await app.queue.createBatch(ALL_CALLBACKS);
      await batch.enqueue(steps('retry-nothing'));
      const before = await waitForBatchFinished(app.queue, batch.id);
      const record = await app.queue.retryBatch(batch.id);
      expect(record.counts).toEqual(before.counts);
      expect(record.finishedAt).toEqual(before.finishedAt);
    });
  });
});

describe('the batch reconciler', () => {
  const INTERVAL_MS = 300;
  let app: TestApp;

  beforeAll(async () => {
    app = await createTestApp({
      providers: [StepHandler, ReportCallbacks],
      options: { pollIntervalMs: 50, batchReconcileIntervalMs: INTERVAL_MS },
    });
  });

  afterAll(async () => {
    await app?.close();
  });

  it('repairs counters that drifted from the jobs of an idle batch, and fires its callbacks exactly once', async () => {
    const batch = await app.queue.createBatch(ALL_CALLBACKS);
    const jobs = await batch.add(steps('drift-1', 'drift-2'));
    for (const job of jobs) await waitForStatus(app.queue, job.id, 'completed');
    // A batch whose counters are right is left alone, however long it idles.
    const healthy = await app.queue.createBatch(ALL_CALLBACKS);
    await healthy.add([step('healthy-later', LATER)]);

    // As if a completion had been lost: one job still counted pending.
    await tamperWithBatch(app.schema, batch.id, 'pending_jobs = pending_jobs + 1, succeeded_jobs = succeeded_jobs - 1');
    await batch.enqueue();
    expect(batch.record.counts).toEqual({ total: 2, pending: 1, succeeded: 1, discarded: 0 });
    expect(batch.record.jobsFinishedAt).toBeNull();

    const repaired = await waitForBatchFinished(app.queue, batch.id, { timeoutMs: 15_000 });
    expect(repaired.counts).toEqual({ total: 2, pending: 0, succeeded: 2, discarded: 0 });
    expect(batchLog.eventCounts(batch.id)).toEqual({ finish: 1, success: 1, discard: 0 });

    // A second drifted batch repaired proves the reconciler has run again since: the first
    // batch's callbacks did not fire twice, and the healthy batch was not touched.
    const second = await app.queue.createBatch(ALL_CALLBACKS);
    await second.enqueue([step('drift-3', LATER)]);
    await tamperWithBatch(app.schema, second.id, 'pending_jobs = 0, discarded_jobs = 1, discarded_at = now()');
    const secondRepaired = await waitForBatch(app.queue, second.id, (b) => b.counts.pending === 1, 'the second batch to be repaired', {
      timeoutMs: 15_000,
    });
    expect(secondRepaired.counts).toEqual({ total: 1, pending: 1, succeeded: 0, discarded: 0 });
    expect(secondRepaired.jobsFinishedAt).toBeNull();

    expect(batchLog.eventCounts(batch.id)).toEqual({ finish: 1, success: 1, discard: 0 });
    expect(await callbackEventsOf(app.queue, batch.id)).toHaveLength(2);
    expect(await app.queue.getBatch(healthy.id)).toEqual(healthy.record);
  });
});
