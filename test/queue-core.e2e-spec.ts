import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { IdempotencyKeyConflictError, JobHandler } from '@dataqueue/nestjs';
import type { JobContext } from '@dataqueue/nestjs';
import { Gates } from './support/gates.js';
import { rejectionOf } from './support/rejection.js';
import { Tally } from './support/tally.js';
import { createTestApp, waitForJob, waitForStatus, type TestApp } from './support/test-app.js';
import { waitFor } from './support/wait-for.js';

const gates = new Gates();
let tally: Tally;

@JobHandler('add')
class AddHandler {
  async handle(payload: { a: number; b: number }, ctx: JobContext): Promise<{ sum: number }> {
    await tally.record(ctx.job.id, 'add');
    return { sum: payload.a + payload.b };
  }
}

/** Reports progress and partial output, then holds until the test opens its gate. */
@JobHandler('report')
class ReportHandler {
  async handle(payload: { gate: string; result?: unknown }, ctx: JobContext): Promise<unknown> {
    await ctx.setProgress(40);
    await ctx.setOutput({ rows: 10, partial: true });
    await gates.wait(payload.gate, ctx.signal);
    return payload.result;
  }
}

@JobHandler('note')
class NoteHandler {
  async handle(payload: { text: string }, ctx: JobContext): Promise<void> {
    await tally.record(ctx.job.id, payload.text);
  }
}

describe('queue core', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await createTestApp({ providers: [AddHandler, ReportHandler, NoteHandler] });
    tally = await Tally.create(app.schema);
  });

  afterAll(async () => {
    gates.openAll();
    await tally?.close();
    await app?.close();
  });

  describe('idempotency keys', () => {
    const later = { delayMs: 3_600_000 };

    it('never answers with a job of another type: a typed error names both types, and the call inserts nothing', async () => {
      const note = await app.queue.enqueue('note', { text: 'keyed' }, { idempotencyKey: 'shared-key', ...later });
      const error = await rejectionOf(app.queue.enqueue('add', { a: 1, b: 2 }, { idempotencyKey: 'shared-key' }));
      expect(error).toBeInstanceOf(IdempotencyKeyConflictError);
      expect(error).toMatchObject({ idempotencyKey: 'shared-key', jobType: 'add', existingJobType: 'note', existingJobId: note.id });

      // All or nothing: the other job of the call is not kept either.
      const many = app.queue.enqueueMany([
        { jobType: 'add', payload: { a: 0, b: 0 }, options: { idempotencyKey: 'fresh-key', ...later } },
        { jobType: 'add', payload: { a: 1, b: 1 }, options: { idempotencyKey: 'shared-key' } },
      ]);
      await expect(many).rejects.toBeInstanceOf(IdempotencyKeyConflictError);
      // A key repeated within one call for two types is the same conflict.
      const repeated = app.queue.enqueueMany([
        { jobType: 'note', payload: { text: 'first' }, options: { idempotencyKey: 'repeated-key', ...later } },
        { jobType: 'add', payload: { a: 1, b: 1 }, options: { idempotencyKey: 'repeated-key' } },
      ]);
      await expect(repeated).rejects.toBeInstanceOf(IdempotencyKeyConflictError);
      const { jobs } = await app.queue.listJobs({ jobType: 'add', status: 'pending' });
      expect(jobs.filter((job) => job.idempotencyKey !== null)).toEqual([]);
      expect((await app.queue.listJobs({ jobType: 'note', status: 'pending' })).jobs.map((job) => job.idempotencyKey)).toEqual([
        'shared-key',
      ]);

      // Concurrent enqueues sharing a statement: only the conflicting call fails.
      const [ok, conflicting] = await Promise.allSettled([
        app.queue.enqueue('add', { a: 5, b: 5 }, { idempotencyKey: 'own-key', ...later }),
        app.queue.enqueue('add', { a: 6, b: 6 }, { idempotencyKey: 'shared-key' }),
      ]);
      expect(ok).toMatchObject({ status: 'fulfilled', value: { idempotencyKey: 'own-key' } });
      expect(conflicting).toMatchObject({ status: 'rejected', reason: expect.any(IdempotencyKeyConflictError) });
      expect((await app.queue.listJobs({ jobType: 'add', status: 'pending' })).jobs.map((job) => job.idempotencyKey)).toEqual(['own-key']);
      for (const job of [note.id, (ok as PromiseFulfilledResult<{ id: string }>).value.id]) await app.queue.cancelJob(job);
    });
  });

  describe('a job that succeeds', () => {
    it('is completed with the handler return value as output, progress 100 and completedAt', async () => {
      const enqueued = await app.queue.enqueue('add', { a: 2, b: 3 });
      expect(enqueued).toMatchObject({ jobType: 'add', queue: 'default', status: 'pending', payload: { a: 2, b: 3 } });
      expect(typeof enqueued.id).toBe('string');

      const done = await waitForStatus(app.queue, enqueued.id, 'completed');
      expect(done.output).toEqual({ sum: 5 });
      expect(done.progress).toBe(100);
      expect(done.attempts).toBe(1);
      expect(done.errorHistory).toEqual([]);
      expect(done.failureReason).toBeNull();
      expect(done.startedAt).toBeInstanceOf(Date);
      expect(done.completedAt).toBeInstanceOf(Date);
      expect(done.completedAt!.getTime()).toBeGreaterThanOrEqual(done.startedAt!.getTime());
      expect(done.lockedBy).toBeNull();
    });

    it('persists setProgress and setOutput while it runs; an undefined return keeps the output set', async () => {
      const job = await app.queue.enqueue('report', { gate: 'report-undefined' });
      const running = await waitForJob(
        app.queue,
        job.id,
        (j) => j.status === 'processing' && j.progress === 40 && j.output !== null,
        'the report job to persist progress 40 and its partial output',
      );
      expect(running.output).toEqual({ rows: 10, partial: true });
      expect(running.lockedBy).toEqual(expect.any(String));

      gates.open('report-undefined');
      const done = await waitForStatus(app.queue, job.id, 'completed');
      expect(done.progress).toBe(100);
      expect(done.output).toEqual({ rows: 10, partial: true });
    });

    it('replaces output set with setOutput by a defined return value', async () => {
      const job = await app.queue.enqueue('report', { gate: 'report-defined', result: { rows: 12 } });
      gates.open('report-defined');
      const done = await waitForStatus(app.queue, job.id, 'completed');
      expect(done.output).toEqual({ rows: 12 });
    });
  });

  describe('enqueueMany', () => {
    it('inserts every job in one statement and answers in input order', async () => {
      const texts = ['first', 'second', 'third', 'fourth', 'fifth'];
      const jobs = await app.queue.enqueueMany(
        texts.map((text, i) => ({ jobType: 'note', payload: { text }, options: { tags: [`n${i}`] } })),
      );
      expect(jobs.map((j) => (j.payload as { text: string }).text)).toEqual(texts);
      expect(jobs.map((j) => j.tags)).toEqual(texts.map((_, i) => [`n${i}`]));
      expect(new Set(jobs.map((j) => j.id)).size).toBe(texts.length);
      // One INSERT: one transaction, so one now() for every row.
      expect(new Set(jobs.map((j) => j.createdAt.getTime())).size).toBe(1);

      await waitFor(
        'all enqueueMany jobs to complete',
        async () => Promise.all(jobs.map((j) => app.queue.getJob(j.id))),
        (records) => records.every((r) => r?.status === 'completed'),
      );
    });

    it('returns [] for an empty list', async () => {
      await expect(app.queue.enqueueMany([])).resolves.toEqual([]);
    });
  });

  describe('idempotency keys', () => {
    it('gives 20 concurrent enqueues of one key a single job', async () => {
      const key = `welcome-mail-${Date.now()}`;
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => app.queue.enqueue('note', { text: `dup ${i}` }, { idempotencyKey: key, tags: ['idem'] })),
      );
      const ids = new Set(results.map((job) => job.id));
      expect(ids.size).toBe(1);
      expect(results.every((job) => job.idempotencyKey === key)).toBe(true);

      const { jobs } = await app.queue.listJobs({ tags: ['idem'] });
      expect(jobs).toHaveLength(1);
      expect(jobs[0].id).toBe([...ids][0]);
      await waitForStatus(app.queue, jobs[0].id, 'completed');
      expect((await tally.runsPerJob()).get(jobs[0].id)).toBe(1);
    });

    it('returns the existing job for a later enqueue of the same key, even after it completed', async () => {
      const first = await app.queue.enqueue('note', { text: 'once' }, { idempotencyKey: 'once-only' });
      await waitForStatus(app.queue, first.id, 'completed');
      const second = await app.queue.enqueue('note', { text: 'twice' }, { idempotencyKey: 'once-only' });
      expect(second.id).toBe(first.id);
      expect(second.payload).toEqual({ text: 'once' });
      const runs = await tally.runsPerJob();
      expect(runs.get(first.id)).toBe(1);
    });
  });

  describe('getJob', () => {
    it('returns null for an id that does not exist', async () => {
      await expect(app.queue.getJob('987654321')).resolves.toBeNull();
    });
  });
});
