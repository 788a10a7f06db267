import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Batch, BatchNotFoundError, BatchOptionsInvalidError, DuplicateBatchCallbackError, OnBatchFinish } from '@dataqueue/nestjs';
import type { BatchCallbackContext, BatchRecord, JobRecord } from '@dataqueue/nestjs';
import { REPORT, ReportCallbacks, StepHandler, batchLog, step, steps } from './fixtures/batch-steps.js';
import {
  BATCH_CALLBACK_JOB_TYPE,
  allJobs,
  callbackEventsOf,
  callbackJobsOf,
  waitForBatch,
  waitForBatchFinished,
} from './support/batches.js';
import { rejectionOf } from './support/rejection.js';
import { createTestApp, waitForStatus, type TestApp } from './support/test-app.js';
import { databaseUrl } from './support/unique-schema.js';
import { waitFor } from './support/wait-for.js';

const ALL_CALLBACKS = { onFinish: REPORT, onSuccess: REPORT, onDiscard: REPORT };
/** Far in the future: the job stays pending until something is done to it. */
const LATER = { delayMs: 3_600_000 };

/** Multi-stage batch in the style of GoodJob's README: the finish callback enqueues the next stage. */
const STAGES = 'stages';

@Injectable()
class StageCallbacks {
  @OnBatchFinish(STAGES)
  async stageFinished(batch: BatchRecord, ctx: BatchCallbackContext): Promise<void> {
    batchLog.recordCallback('finish', batch, ctx);
    batchLog.order.push(`stage ${String(batch.properties.stage)} finished`);
    if (batch.properties.stage === 1) {
      await ctx.batch.enqueue([step('stage2-d'), step({ label: 'stage2-e', add: [{ label: 'stage2-f', gate: 'stage2-f' }] })], {
        properties: { stage: 2 },
      });
    }
  }
}

/** Callbacks that hold until the gate `callback <batch id>` opens (or their job is cancelled). */
const HELD = 'held';

@Injectable()
class HeldCallbacks {
  @OnBatchFinish(HELD)
  async finished(batch: BatchRecord, ctx: BatchCallbackContext): Promise<void> {
    await batchLog.gates.wait(`callback ${batch.id}`, ctx.signal);
    batchLog.recordCallback('finish', batch, ctx);
  }
}

@Injectable()
class FirstNightlyReport {
  @OnBatchFinish('nightly')
  finished(): void {}
}

@Injectable()
class SecondNightlyReport {
  @OnBatchFinish('nightly')
  finished(): void {}
}

function byLabel(jobs: JobRecord[]): Map<string, JobRecord> {
  return new Map(jobs.map((job) => [(job.payload as { label: string }).label, job]));
}

describe('batches', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await createTestApp({
      providers: [StepHandler, ReportCallbacks, StageCallbacks, HeldCallbacks],
      options: { pollIntervalMs: 50 },
    });
  });

  afterAll(async () => {
    batchLog.gates.openAll();
    await app?.close();
  });

  describe('createBatch', () => {
    it('returns a handle on a new batch, not armed, that getBatch and getBatchHandle find again', async () => {
      const batch = await app.queue.createBatch({
        description: 'Nightly report',
        properties: { day: '2026-11-25' },
        ...ALL_CALLBACKS,
        callbackQueue: 'reports',
        callbackPriority: 3,
      });

      expect(batch).toBeInstanceOf(Batch);
      expect(batch.record).toEqual({
        id: batch.id,
        createdAt: expect.any(Date),
        updatedAt: expect.any(Date),
        description: 'Nightly report',
        properties: { day: '2026-11-25' },
        onFinish: REPORT,
        onSuccess: REPORT,
        onDiscard: REPORT,
        callbackQueueName: 'reports',
        callbackPriority: 3,
        enqueuedAt: null,
        discardedAt: null,
        jobsFinishedAt: null,
        finishedAt: null,
        counts: { total: 0, pending: 0, succeeded: 0, discarded: 0 },
      });
      expect(await app.queue.getBatch(batch.id)).toEqual(batch.record);
      const handle = await app.queue.getBatchHandle(batch.id);
      expect(handle).toBeInstanceOf(Batch);
      expect(handle!.record).toEqual(batch.record);
    });

    it('defaults to no description, empty properties, no callbacks and the default callback queue', async () => {
      const batch = await app.queue.createBatch();
      expect(batch.record).toMatchObject({
        description: null,
        properties: {},
        onFinish: null,
        onSuccess: null,
        onDiscard: null,
        callbackQueueName: null,
        callbackPriority: null,
      });
    });

    it('rejects a callback key that no @OnBatch* method declares with BatchOptionsInvalidError naming the option', async () => {
      for (const field of ['onFinish', 'onSuccess', 'onDiscard'] as const) {
        const error = await rejectionOf(app.queue.createBatch({ [field]: 'no-such-callback' }));
        expect(error).toBeInstanceOf(BatchOptionsInvalidError);
        expect(error.field).toBe(field);
        expect(error.message).toContain('"no-such-callback"');
      }
      // 'stages' has an @OnBatchFinish method only.
      await expect(app.queue.createBatch({ onFinish: STAGES })).resolves.toBeInstanceOf(Batch);
      const error = await rejectionOf(app.queue.createBatch({ onSuccess: STAGES }));
      expect(error).toBeInstanceOf(BatchOptionsInvalidError);
      expect(error.field).toBe('onSuccess');
    });

    it('fails at boot with DuplicateBatchCallbackError when two methods declare one event and key', async () => {
      const error = await rejectionOf(createTestApp({ providers: [FirstNightlyReport, SecondNightlyReport] }));
      expect(error).toBeInstanceOf(DuplicateBatchCallbackError);
      expect(error).toMatchObject({ event: 'finish', key: 'nightly' });
      expect(error.message).toContain('FirstNightlyReport.finished');
      expect(error.message).toContain('SecondNightlyReport.finished');
    });

    it('accepts any callback key with strictJobTypes: false; a worker without the method fails the callback job visibly', async () => {
      const lenient = await createTestApp({ providers: [StepHandler], options: { strictJobTypes: false, defaultMaxAttempts: 1 } });
      try {
        const batch = await lenient.queue.createBatch({ onFinish: 'declared-by-other-workers' });
        await batch.enqueue(steps('lenient-1'));
        // The callback job fails for good, and so counts out: the batch still finishes.
        const finished = await waitForBatchFinished(lenient.queue, batch.id);
        expect(finished.counts).toEqual({ total: 1, pending: 0, succeeded: 1, discarded: 0 });
        const [callbackJob] = await callbackJobsOf(lenient.queue, batch.id);
        expect(callbackJob).toMatchObject({ status: 'failed', nextAttemptAt: null });
        expect(callbackJob.errorHistory[0].message).toContain('@OnBatchFinish("declared-by-other-workers")');
      } finally {
        await lenient.close();
      }
    });

    it('answers null for a batch that does not exist, and BatchNotFoundError to operations on it', async () => {
      const missing = randomUUID();
      await expect(app.queue.getBatch(missing)).resolves.toBeNull();
      await expect(app.queue.getBatch('not-a-uuid')).resolves.toBeNull();
      await expect(app.queue.getBatchHandle(missing)).resolves.toBeNull();

      const retryError = await rejectionOf(app.queue.retryBatch(missing));
      expect(retryError).toBeInstanceOf(BatchNotFoundError);
      expect(retryError.batchId).toBe(missing);
      await expect(app.queue.cancelBatch(missing)).rejects.toBeInstanceOf(BatchNotFoundError);
      await expect(app.queue.cancelBatch('not-a-uuid')).rejects.toBeInstanceOf(BatchNotFoundError);
    });
  });

  describe('add and enqueue', () => {
    it('add runs the jobs at once but fires no callback; enqueue() then arms the batch, which finishes at once', async () => {
      const batch = await app.queue.createBatch(ALL_CALLBACKS);
      const added = await batch.add(steps('add-1', 'add-2'));
      expect(added.map((job) => job.batchId)).toEqual([batch.id, batch.id]);
      expect(batch.record.counts).toEqual({ total: 2, pending: 2, succeeded: 0, discarded: 0 });
      expect(batch.record.enqueuedAt).toBeNull();

      for (const job of added) await waitForStatus(app.queue, job.id, 'completed');
      const idle = (await app.queue.getBatch(batch.id))!;
      expect(idle.counts).toEqual({ total: 2, pending: 0, succeeded: 2, discarded: 0 });
      expect(idle).toMatchObject({ enqueuedAt: null, jobsFinishedAt: null, finishedAt: null });
      // Callback jobs are enqueued in the transaction that completes the last job: none exist.
      expect(await callbackJobsOf(app.queue, batch.id)).toEqual([]);

      await expect(batch.enqueue()).resolves.toEqual([]);
      expect(batch.record.enqueuedAt).toBeInstanceOf(Date);
      const finished = await waitForBatchFinished(app.queue, batch.id);
      expect(batchLog.eventCounts(batch.id)).toEqual({ finish: 1, success: 1, discard: 0 });
      expect(finished.counts).toEqual({ total: 2, pending: 0, succeeded: 2, discarded: 0 });
    });

    it('fires onFinish and onSuccess once every job has succeeded, each with the fresh record and its context', async () => {
      const batch = await app.queue.createBatch(ALL_CALLBACKS);
      await batch.enqueue([step('enqueue-1'), step({ label: 'enqueue-held', gate: 'enqueue-held' })]);

      const running = await waitForBatch(app.queue, batch.id, (b) => b.counts.succeeded === 1, 'the first job to succeed');
      await waitFor('the held job to start', () => batchLog.runOf('enqueue-held'));
      expect(running.counts).toEqual({ total: 2, pending: 1, succeeded: 1, discarded: 0 });
      expect(running.enqueuedAt).toBeInstanceOf(Date);
      expect(running.jobsFinishedAt).toBeNull();
      expect(await callbackJobsOf(app.queue, batch.id)).toEqual([]);

      batchLog.gates.open('enqueue-held');
      const finished = await waitForBatchFinished(app.queue, batch.id);
      expect(batchLog.eventCounts(batch.id)).toEqual({ finish: 1, success: 1, discard: 0 });
      expect(finished.counts).toEqual({ total: 2, pending: 0, succeeded: 2, discarded: 0 });
      expect(finished.jobsFinishedAt).toBeInstanceOf(Date);
      expect(finished.finishedAt!.getTime()).toBeGreaterThanOrEqual(finished.jobsFinishedAt!.getTime());

      for (const run of batchLog.callbacksOf(batch.id)) {
        expect(run.ctxEvent).toBe(run.event);
        expect(run.batch.counts).toEqual({ total: 2, pending: 0, succeeded: 2, discarded: 0 });
        expect(run.batch.jobsFinishedAt).toEqual(finished.jobsFinishedAt);
        expect(run.ctxBatch).toBeInstanceOf(Batch);
        expect(run.ctxBatch.id).toBe(batch.id);
        expect(run.job).toMatchObject({ jobType: BATCH_CALLBACK_JOB_TYPE, batchCallbackId: batch.id, batchId: null });
        expect(run.signal).toBeInstanceOf(AbortSignal);
      }
      const callbackJobs = await callbackJobsOf(app.queue, batch.id);
      expect(callbackJobs.map((job) => job.status)).toEqual(['completed', 'completed']);
      expect(callbackJobs.map((job) => (job.payload as { event: string }).event).sort()).toEqual(['finish', 'success']);
    });

    it('fires onDiscard once, at the first discarded job, however many are discarded, and onSuccess never', async () => {
      const batch = await app.queue.createBatch(ALL_CALLBACKS);
      await batch.enqueue([
        step('discard-ok'),
        step({ label: 'discard-1', fail: 'always' }),
        step({ label: 'discard-2', fail: 'always' }),
        step({ label: 'discard-3', fail: 'always' }),
      ]);

      const finished = await waitForBatchFinished(app.queue, batch.id);
      expect(finished.counts).toEqual({ total: 4, pending: 0, succeeded: 1, discarded: 3 });
      expect(finished.discardedAt).toBeInstanceOf(Date);
      expect(batchLog.eventCounts(batch.id)).toEqual({ finish: 1, success: 0, discard: 1 });
      expect((await callbackEventsOf(app.queue, batch.id)).sort()).toEqual(['discard', 'finish']);

      const discard = batchLog.callbacksOf(batch.id).find((run) => run.event === 'discard')!;
      expect(discard.batch.discardedAt).toEqual(finished.discardedAt);
      expect(discard.batch.counts.discarded).toBeGreaterThanOrEqual(1);
      const finish = batchLog.callbacksOf(batch.id).find((run) => run.event === 'finish')!;
      expect(finish.batch.counts).toEqual({ total: 4, pending: 0, succeeded: 1, discarded: 3 });
    });

    it('fires at once when a batch with no jobs is enqueued', async () => {
      const batch = await app.queue.createBatch(ALL_CALLBACKS);
      await batch.enqueue();
      const finished = await waitForBatchFinished(app.queue, batch.id);
      expect(batchLog.eventCounts(batch.id)).toEqual({ finish: 1, success: 1, discard: 0 });
      expect(finished.counts).toEqual({ total: 0, pending: 0, succeeded: 0, discarded: 0 });
      expect(finished.jobsFinishedAt).toBeInstanceOf(Date);
    });

    it('re-arms a finished batch on enqueue: the next stage calls back again', async () => {
      const batch = await app.queue.createBatch(ALL_CALLBACKS);
      await batch.enqueue(steps('rearm-1'));
      const first = await waitForBatchFinished(app.queue, batch.id);
      expect(batchLog.eventCounts(batch.id)).toEqual({ finish: 1, success: 1, discard: 0 });

      await batch.enqueue(steps('rearm-2'));
      expect(batch.record).toMatchObject({ jobsFinishedAt: null, finishedAt: null });
      const second = await waitForBatchFinished(app.queue, batch.id);
      expect(second.counts).toEqual({ total: 2, pending: 0, succeeded: 2, discarded: 0 });
      expect(second.enqueuedAt!.getTime()).toBeGreaterThan(first.enqueuedAt!.getTime());
      expect(batchLog.eventCounts(batch.id)).toEqual({ finish: 2, success: 2, discard: 0 });
      expect(batchLog.callbacksOf(batch.id).map((run) => run.batch.counts.total)).toEqual([1, 1, 2, 2]);
    });

    it('does not re-arm a finished batch on add: the added job runs, the callbacks wait for the next enqueue', async () => {
      const batch = await app.queue.createBatch(ALL_CALLBACKS);
      await batch.enqueue(steps('add-after-finish-1'));
      const first = await waitForBatchFinished(app.queue, batch.id);
      expect(batchLog.eventCounts(batch.id)).toEqual({ finish: 1, success: 1, discard: 0 });

      const [late] = await batch.add(steps('add-after-finish-2'));
      await waitForStatus(app.queue, late.id, 'completed');
      const afterAdd = (await app.queue.getBatch(batch.id))!;
      expect(afterAdd.counts).toEqual({ total: 2, pending: 0, succeeded: 2, discarded: 0 });
      // No callback job beyond the first stage's: they are enqueued with the last job's completion.
      expect(await callbackEventsOf(app.queue, batch.id)).toEqual(['finish', 'success']);

      await batch.enqueue();
      const rearmed = (b: BatchRecord) => b.finishedAt !== null && b.enqueuedAt! > first.enqueuedAt!;
      await waitForBatch(app.queue, batch.id, rearmed, 'the re-armed batch to finish');
      expect(batchLog.eventCounts(batch.id)).toEqual({ finish: 2, success: 2, discard: 0 });
    });

    it('sets jobsFinishedAt when its jobs have finished, finishedAt only once its callback jobs have too', async () => {
      const held = await app.queue.createBatch({ onFinish: HELD });
      const cancelled = await app.queue.createBatch({ onFinish: HELD });
      await held.enqueue(steps('held-callback-1'));
      await cancelled.enqueue(steps('held-callback-2'));

      for (const batch of [held, cancelled]) {
        const waiting = await waitForBatch(app.queue, batch.id, (b) => b.jobsFinishedAt !== null, 'the jobs to finish');
        expect(waiting.finishedAt).toBeNull();
        const [callbackJob] = await callbackJobsOf(app.queue, batch.id);
        await waitForStatus(app.queue, callbackJob.id, 'processing');
      }

      batchLog.gates.open(`callback ${held.id}`);
      const heldDone = await waitForBatchFinished(app.queue, held.id);
      expect(heldDone.finishedAt!.getTime()).toBeGreaterThanOrEqual(heldDone.jobsFinishedAt!.getTime());
      expect(batchLog.eventCounts(held.id).finish).toBe(1);

      // A callback job that ends for good another way (here cancelled) also lets the batch finish.
      const [callbackJob] = await callbackJobsOf(app.queue, cancelled.id);
      await app.queue.cancelJob(callbackJob.id);
      const cancelledDone = await waitForBatchFinished(app.queue, cancelled.id);
      expect(cancelledDone.counts).toEqual({ total: 1, pending: 0, succeeded: 1, discarded: 0 });
      expect(batchLog.eventCounts(cancelled.id).finish).toBe(0);
    });

    it('finishes a batch without callbacks as soon as its jobs have', async () => {
      const batch = await app.queue.createBatch();
      await batch.enqueue(steps('no-callbacks-1'));
      const finished = await waitForBatchFinished(app.queue, batch.id);
      expect(finished.counts).toEqual({ total: 1, pending: 0, succeeded: 1, discarded: 0 });
      expect(finished.jobsFinishedAt).toEqual(finished.finishedAt);
      expect(await callbackJobsOf(app.queue, batch.id)).toEqual([]);
    });

    it('merges properties given to enqueue and update; callbacks see the merged properties', async () => {
      const batch = await app.queue.createBatch({ ...ALL_CALLBACKS, properties: { day: 'mon', stage: 1 } });
      const updated = await batch.update({ properties: { stage: 2, owner: 'ops' } });
      expect(updated).toBe(batch);
      expect(batch.record.properties).toEqual({ day: 'mon', stage: 2, owner: 'ops' });
      expect((await app.queue.getBatch(batch.id))!.properties).toEqual({ day: 'mon', stage: 2, owner: 'ops' });

      // Another handle's change is seen after reload().
      const other = (await app.queue.getBatchHandle(batch.id))!;
      await other.update({ properties: { owner: 'billing' } });
      expect(batch.record.properties.owner).toBe('ops');
      await batch.reload();
      expect(batch.record.properties).toEqual({ day: 'mon', stage: 2, owner: 'billing' });

      await batch.enqueue(steps('props-1'), { properties: { stage: 3, rows: 10 } });
      const merged = { day: 'mon', stage: 3, owner: 'billing', rows: 10 };
      expect(batch.record.properties).toEqual(merged);
      await waitForBatchFinished(app.queue, batch.id);
      expect(batchLog.callbacksOf(batch.id).map((run) => run.batch.properties)).toEqual([merged, merged]);
    });

    it('rejects properties that are not a plain object with BatchOptionsInvalidError', async () => {
      const batch = await app.queue.createBatch();
      for (const properties of [null, [1, 2], 'text']) {
        const error = await rejectionOf(batch.update({ properties: properties as never }));
        expect(error).toBeInstanceOf(BatchOptionsInvalidError);
        expect(error.field).toBe('properties');
      }
      await expect(app.queue.createBatch({ properties: [] as never })).rejects.toBeInstanceOf(BatchOptionsInvalidError);
    });

    it('puts the callback jobs on callbackQueue with callbackPriority; by default on "default" with priority 0', async () => {
      const custom = await app.queue.createBatch({ ...ALL_CALLBACKS, callbackQueue: 'batch-callbacks', callbackPriority: 7 });
      const plain = await app.queue.createBatch(ALL_CALLBACKS);
      await custom.enqueue(steps('callback-queue-1'));
      await plain.enqueue(steps('callback-queue-2'));
      await waitForBatchFinished(app.queue, custom.id);
      await waitForBatchFinished(app.queue, plain.id);

      const customJobs = await callbackJobsOf(app.queue, custom.id);
      expect(customJobs).toHaveLength(2);
      for (const job of customJobs) expect(job).toMatchObject({ queue: 'batch-callbacks', priority: 7, status: 'completed' });
      expect(batchLog.callbacksOf(custom.id).map((run) => run.job.queue)).toEqual(['batch-callbacks', 'batch-callbacks']);

      const plainJobs = await callbackJobsOf(app.queue, plain.id);
      expect(plainJobs).toHaveLength(2);
      for (const job of plainJobs) expect(job).toMatchObject({ queue: 'default', priority: 0, status: 'completed' });
    });

    it("counts its jobs as pending, succeeded and discarded, in step with the jobs' statuses", async () => {
      const batch = await app.queue.createBatch(ALL_CALLBACKS);
      const jobs = await batch.enqueue([
        step('counts-ok'),
        step({ label: 'counts-fails', fail: 'always' }),
        step({ label: 'counts-held', gate: 'counts-held' }),
        step('counts-later', LATER),
      ]);
      expect(batch.record.counts).toEqual({ total: 4, pending: 4, succeeded: 0, discarded: 0 });

      const midway = await waitForBatch(
        app.queue,
        batch.id,
        (b) => b.counts.succeeded === 1 && b.counts.discarded === 1,
        'one job to succeed and one to be discarded',
      );
      expect(midway.counts).toEqual({ total: 4, pending: 2, succeeded: 1, discarded: 1 });
      expect(midway.discardedAt).toBeInstanceOf(Date);
      expect(midway.jobsFinishedAt).toBeNull();
      const statuses = (await allJobs(app.queue, { batchId: batch.id })).map((job) => job.status).sort();
      expect(statuses).toEqual(['completed', 'failed', 'pending', 'processing']);

      batchLog.gates.open('counts-held');
      await waitForBatch(app.queue, batch.id, (b) => b.counts.succeeded === 2, 'the held job to succeed');
      await app.queue.rescheduleJob(jobs[3].id, new Date());
      const finished = await waitForBatchFinished(app.queue, batch.id);
      expect(finished.counts).toEqual({ total: 4, pending: 0, succeeded: 3, discarded: 1 });
      expect(batchLog.eventCounts(batch.id)).toEqual({ finish: 1, success: 0, discard: 1 });
    });

    it('counts only the jobs it created: a job whose idempotencyKey already existed stays outside the batch', async () => {
      const existing = await app.queue.enqueue('step', { label: 'idempotent-existing' }, { idempotencyKey: 'batch-idempotent', ...LATER });
      const batch = await app.queue.createBatch(ALL_CALLBACKS);
      const jobs = await batch.enqueue([step('idempotent-duplicate', { idempotencyKey: 'batch-idempotent' }), step('idempotent-new')]);
      expect(jobs[0].id).toBe(existing.id);
      expect(batch.record.counts).toEqual({ total: 1, pending: 1, succeeded: 0, discarded: 0 });

      const finished = await waitForBatchFinished(app.queue, batch.id);
      expect(finished.counts).toEqual({ total: 1, pending: 0, succeeded: 1, discarded: 0 });
      expect((await allJobs(app.queue, { batchId: batch.id })).map((job) => job.id)).toEqual([jobs[1].id]);
      expect((await app.queue.getJob(existing.id))!.batchId).toBeNull();
    });

    it('lists the jobs of a batch with listJobs({ batchId }), page by page, without its callback jobs', async () => {
      const batch = await app.queue.createBatch(ALL_CALLBACKS);
      const other = await app.queue.createBatch();
      // Far in the future, so they stay put while the test pages through them.
      const added = await batch.add(Array.from({ length: 24 }, (_, i) => step(`listed-${i}`, LATER)));
      await other.add([step('listed-elsewhere', LATER)]);
      await app.queue.enqueue('step', { label: 'listed-no-batch' }, LATER);
      // One more that runs, so the batch also has a callback job.
      const [quick] = await batch.enqueue(steps('listed-quick'));
      await waitForBatch(app.queue, batch.id, (b) => b.counts.succeeded === 1, 'the quick job to succeed');

      const pages: JobRecord[][] = [];
      let cursor: string | undefined;
      do {
        const page = await app.queue.listJobs({ batchId: batch.id, limit: 10, cursor });
        pages.push(page.jobs);
        cursor = page.nextCursor ?? undefined;
      } while (cursor && pages.length < 10);
      expect(pages.map((page) => page.length)).toEqual([10, 10, 5]);
      const ids = pages.flat().map((job) => job.id);
      expect(new Set(ids)).toEqual(new Set([...added, quick].map((job) => job.id)));
      expect(ids).toHaveLength(25);
      expect(pages.flat().every((job) => job.batchId === batch.id && job.jobType === 'step')).toBe(true);

      const completed = await app.queue.listJobs({ batchId: batch.id, status: 'completed' });
      expect(completed.jobs.map((job) => job.id)).toEqual([quick.id]);
      await expect(app.queue.listJobs({ batchId: 'not-a-uuid' })).rejects.toMatchObject({ field: 'batchId' });
    });
  });

  describe('jobs in a batch', () => {
    it('see their Batch handle as ctx.batch; jobs outside any batch see null', async () => {
      const plain = await app.queue.enqueue('step', { label: 'ctx-plain' });
      await waitForStatus(app.queue, plain.id, 'completed');
      expect(batchLog.runOf('ctx-plain')!.batch).toBeNull();

      const batch = await app.queue.createBatch({ properties: { tenant: 7 } });
      await batch.enqueue(steps('ctx-in-batch'));
      await waitForBatchFinished(app.queue, batch.id);
      const seen = batchLog.runOf('ctx-in-batch')!.batch;
      expect(seen).toBeInstanceOf(Batch);
      expect(seen!.id).toBe(batch.id);
      expect(seen!.record.properties).toEqual({ tenant: 7 });
    });

    it('can add jobs to their own batch with ctx.batch.add; the batch waits for those too', async () => {
      const batch = await app.queue.createBatch(ALL_CALLBACKS);
      await batch.enqueue([step({ label: 'adder', add: [{ label: 'added-child', gate: 'added-child' }] })]);

      await waitFor('the added job to start', () => batchLog.runOf('added-child'));
      const midway = await waitForBatch(app.queue, batch.id, (b) => b.counts.succeeded === 1, 'the adding job to succeed');
      expect(midway.counts).toEqual({ total: 2, pending: 1, succeeded: 1, discarded: 0 });
      expect(midway.jobsFinishedAt).toBeNull();
      expect(await callbackJobsOf(app.queue, batch.id)).toEqual([]);

      batchLog.gates.open('added-child');
      const finished = await waitForBatchFinished(app.queue, batch.id);
      expect(finished.counts).toEqual({ total: 2, pending: 0, succeeded: 2, discarded: 0 });
      expect(batchLog.eventCounts(batch.id)).toEqual({ finish: 1, success: 1, discard: 0 });
      expect(batchLog.runOf('added-child')!.batch!.id).toBe(batch.id);
    });
  });

  describe('stages (the multi-stage batch of GoodJob’s README)', () => {
    it("runs stage 2, enqueued by stage 1's callback, and calls back again only after d, e and f (added by e) have finished", async () => {
      const batch = await app.queue.createBatch({ description: 'two stages', properties: { stage: 1 }, onFinish: STAGES });
      await batch.enqueue(steps('stage1-a', 'stage1-b', 'stage1-c'));

      // Stage 2 runs; f (added by e) is held.
      await waitFor('f to start', () => batchLog.runOf('stage2-f'));
      const midway = await waitForBatch(app.queue, batch.id, (b) => b.counts.succeeded === 5, 'a to e to succeed');
      expect(midway.properties).toEqual({ stage: 2 });
      expect(midway.counts).toEqual({ total: 6, pending: 1, succeeded: 5, discarded: 0 });
      expect(midway.jobsFinishedAt).toBeNull();
      expect(midway.finishedAt).toBeNull();
      expect(batchLog.callbacksOf(batch.id).map((run) => run.batch.properties.stage)).toEqual([1]);
      expect(await callbackJobsOf(app.queue, batch.id)).toHaveLength(1);

      batchLog.gates.open('stage2-f');
      const finished = await waitForBatchFinished(app.queue, batch.id);
      expect(finished.counts).toEqual({ total: 6, pending: 0, succeeded: 6, discarded: 0 });
      const runs = batchLog.callbacksOf(batch.id);
      expect(runs.map((run) => run.batch.properties.stage)).toEqual([1, 2]);
      expect(runs.map((run) => run.batch.counts)).toEqual([
        { total: 3, pending: 0, succeeded: 3, discarded: 0 },
        { total: 6, pending: 0, succeeded: 6, discarded: 0 },
      ]);

      // The order as it ran in this process: steps log when they start ('step x') and when they
      // succeed ('done x'); the callback logs 'stage n finished'.
      const order = batchLog.order.filter((entry) => /stage/.test(entry));
      const at = (entry: string) => {
        expect(order).toContain(entry);
        return order.indexOf(entry);
      };
      const stage1Done = at('stage 1 finished');
      const stage2Done = at('stage 2 finished');
      for (const label of ['stage1-a', 'stage1-b', 'stage1-c']) expect(at(`done ${label}`)).toBeLessThan(stage1Done);
      for (const label of ['stage2-d', 'stage2-e', 'stage2-f']) {
        expect(at(`step ${label}`)).toBeGreaterThan(stage1Done);
        expect(at(`done ${label}`)).toBeLessThan(stage2Done);
      }
      expect(at('step stage2-f')).toBeGreaterThan(at('step stage2-e'));

      // The same order in the database's timestamps.
      const jobs = byLabel(await allJobs(app.queue, { batchId: batch.id }));
      expect([...jobs.keys()].sort()).toEqual(['stage1-a', 'stage1-b', 'stage1-c', 'stage2-d', 'stage2-e', 'stage2-f']);
      const [stage1Callback, stage2Callback] = await callbackJobsOf(app.queue, batch.id);
      const time = (date: Date | null) => date!.getTime();
      for (const label of ['stage1-a', 'stage1-b', 'stage1-c']) {
        expect(time(jobs.get(label)!.completedAt)).toBeLessThanOrEqual(time(stage1Callback.startedAt));
      }
      for (const label of ['stage2-d', 'stage2-e', 'stage2-f']) {
        expect(time(jobs.get(label)!.createdAt)).toBeGreaterThanOrEqual(time(stage1Callback.startedAt));
        expect(time(jobs.get(label)!.completedAt)).toBeLessThanOrEqual(time(stage2Callback.startedAt));
      }
      expect(time(jobs.get('stage2-f')!.createdAt)).toBeGreaterThanOrEqual(time(jobs.get('stage2-e')!.startedAt));
      expect(jobs.get('stage2-f')!.batchId).toBe(batch.id);
    });
  });

  describe('modes', () => {
    it('does not run batch jobs in inline mode: they wait for a worker', async () => {
      const inline = await createTestApp({ providers: [StepHandler], options: { mode: 'inline' } });
      try {
        const plain = await inline.queue.enqueue('step', { label: 'inline-plain' });
        expect(plain.status).toBe('completed');

        const batch = await inline.queue.createBatch();
        const [job] = await batch.enqueue(steps('inline-in-batch'));
        expect(job.status).toBe('pending');
        expect((await inline.queue.getJob(job.id))!.status).toBe('pending');
        expect((await inline.queue.getBatch(batch.id))!.counts).toEqual({ total: 1, pending: 1, succeeded: 0, discarded: 0 });
        expect(batchLog.runOf('inline-in-batch')).toBeUndefined();
      } finally {
        await inline.close();
      }
    });
  });

  describe("in the caller's transaction", () => {
    let dataSource: DataSource;

    beforeAll(async () => {
      dataSource = await new DataSource({ type: 'postgres', url: databaseUrl(), poolSize: 2 }).initialize();
    });

    afterAll(async () => {
      await dataSource?.destroy();
    });

    it('creates the batch and its jobs only if the transaction commits', async () => {
      let seenBeforeCommit: BatchRecord | null | undefined;
      const batch = await dataSource.transaction(async (manager) => {
        const created = await app.queue.createBatch(ALL_CALLBACKS, { manager });
        await created.enqueue(steps('tx-committed'), { manager });
        seenBeforeCommit = await app.queue.getBatch(created.id);
        return created;
      });
      expect(seenBeforeCommit).toBeNull();
      const finished = await waitForBatchFinished(app.queue, batch.id);
      expect(finished.counts).toEqual({ total: 1, pending: 0, succeeded: 1, discarded: 0 });
      expect(batchLog.eventCounts(batch.id)).toEqual({ finish: 1, success: 1, discard: 0 });
    });

    it('leaves neither batch nor jobs behind when it rolls back', async () => {
      let batch: Batch | undefined;
      const error = await rejectionOf(
        dataSource.transaction(async (manager) => {
          batch = await app.queue.createBatch(ALL_CALLBACKS, { manager });
          await batch.enqueue(steps('tx-rolled-back'), { manager });
          throw new Error('order rejected');
        }),
      );
      expect(error.message).toBe('order rejected');
      await expect(app.queue.getBatch(batch!.id)).resolves.toBeNull();
      expect(await allJobs(app.queue, { batchId: batch!.id })).toEqual([]);
    });
  });
});
