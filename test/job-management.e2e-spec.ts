import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { JobHandler, JobNotFoundError, JobStateError } from '@dataqueue/nestjs';
import type { JobContext, JobRecord } from '@dataqueue/nestjs';
import { Gates } from './support/gates.js';
import { rejectionOf } from './support/rejection.js';
import { Tally } from './support/tally.js';
import { createTestApp, waitForJob, waitForStatus, type TestApp } from './support/test-app.js';
import { waitFor } from './support/wait-for.js';

const gates = new Gates();
let tally: Tally;
/** How each 'hold' run ended, by job id. */
const outcomes = new Map<string, { aborted: boolean; reason: unknown }>();

/** Records its start, then holds until its gate opens or its signal aborts. */
@JobHandler('hold')
class HoldHandler {
  async handle(payload: { gate: string }, ctx: JobContext): Promise<string> {
    await tally.record(ctx.job.id, 'started');
    try {
      await gates.wait(payload.gate, ctx.signal);
      return 'released';
    } finally {
      outcomes.set(ctx.job.id, { aborted: ctx.signal.aborted, reason: ctx.signal.reason });
    }
  }
}

@JobHandler('quick')
class QuickHandler {
  async handle(): Promise<string> {
    return 'ok';
  }
}

@JobHandler('listed')
class ListedHandler {
  async handle(): Promise<void> {}
}

describe('managing jobs', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await createTestApp({ providers: [HoldHandler, QuickHandler, ListedHandler], options: { pollIntervalMs: 50 } });
    tally = await Tally.create(app.schema);
  });

  afterAll(async () => {
    gates.openAll();
    await tally?.close();
    await app?.close();
  });

  const started = (id: string) =>
    waitFor(
      `job ${id} to start`,
      async () => (await tally.runsPerJob()).get(id) ?? 0,
      (runs) => runs > 0,
    );

  describe('cancelJob', () => {
    it('aborts the signal of a running job, which ends cancelled', async () => {
      const job = await app.queue.enqueue('hold', { gate: 'never-opened' });
      await started(job.id);

      const cancelled = await app.queue.cancelJob(job.id);
      expect(cancelled.id).toBe(job.id);
      expect(cancelled.status).toBe('cancelled');
      expect(cancelled.lastCancelledAt).toBeInstanceOf(Date);

      const outcome = await waitFor('the handler to see its signal abort', () => outcomes.get(job.id));
      expect(outcome.aborted).toBe(true);
      // The aborted attempt must not turn the job into a failure or a retry.
      const after = await waitForJob(app.queue, job.id, (j) => j.lockedBy === null, `job ${job.id} to be unlocked`);
      expect(after.status).toBe('cancelled');
      expect(after.nextAttemptAt).toBeNull();
      expect((await tally.runsPerJob()).get(job.id)).toBe(1);
    });

    it('cancels a pending job before it runs', async () => {
      const job = await app.queue.enqueue('quick', {}, { delayMs: 60_000 });
      const cancelled = await app.queue.cancelJob(job.id);
      expect(cancelled.status).toBe('cancelled');
      expect((await app.queue.getJob(job.id))!.status).toBe('cancelled');
    });

    it('lets retryJob run a cancelled job again, right away', async () => {
      const job = await app.queue.enqueue('quick', {}, { delayMs: 60_000 });
      await app.queue.cancelJob(job.id);
      const retried = await app.queue.retryJob(job.id);
      expect(retried.status).toBe('pending');
      const done = await waitForStatus(app.queue, job.id, 'completed');
      expect(done.output).toBe('ok');
    });

    it('refuses a completed job with JobStateError and an unknown id with JobNotFoundError', async () => {
      const job = await app.queue.enqueue('quick', {});
      await waitForStatus(app.queue, job.id, 'completed');
      const stateError = await rejectionOf(app.queue.cancelJob(job.id));
      expect(stateError).toBeInstanceOf(JobStateError);
      expect(stateError).toMatchObject({ jobId: job.id, status: 'completed', action: 'cancel' });
      await expect(app.queue.cancelJob('987654321')).rejects.toBeInstanceOf(JobNotFoundError);
      await expect(app.queue.rescheduleJob('987654321', new Date())).rejects.toBeInstanceOf(JobNotFoundError);
    });
  });

  describe('deleteJob', () => {
    it('deletes a pending job and answers false for a job that does not exist', async () => {
      const job = await app.queue.enqueue('quick', {}, { delayMs: 60_000 });
      await expect(app.queue.deleteJob(job.id)).resolves.toBe(true);
      await expect(app.queue.getJob(job.id)).resolves.toBeNull();
      await expect(app.queue.deleteJob(job.id)).resolves.toBe(false);
    });

    it('deletes a completed job', async () => {
      const job = await app.queue.enqueue('quick', {});
      await waitForStatus(app.queue, job.id, 'completed');
      await expect(app.queue.deleteJob(job.id)).resolves.toBe(true);
    });

    it('refuses to delete a running job with JobStateError', async () => {
      const job = await app.queue.enqueue('hold', { gate: 'delete-running' });
      await started(job.id);
      const error = await rejectionOf(app.queue.deleteJob(job.id));
      expect(error).toBeInstanceOf(JobStateError);
      expect(error).toMatchObject({ jobId: job.id, status: 'processing', action: 'delete' });

      gates.open('delete-running');
      await waitForStatus(app.queue, job.id, 'completed');
      await expect(app.queue.deleteJob(job.id)).resolves.toBe(true);
    });
  });

  describe('listJobs', () => {
    let listed: JobRecord[];

    beforeAll(async () => {
      // Far in the future, so statuses stay put while the tests page through them.
      const future = { delayMs: 3_600_000 };
      listed = await app.queue.enqueueMany([
        ...Array.from({ length: 15 }, (_, i) => ({
          jobType: 'listed',
          payload: { i },
          options: { ...future, tags: ['paged', 'red'], queue: 'reports' },
        })),
        ...Array.from({ length: 10 }, (_, i) => ({
          jobType: 'listed',
          payload: { i: 15 + i },
          options: { ...future, tags: ['paged', 'blue'] },
        })),
      ]);
      for (const job of listed.slice(0, 3)) await app.queue.cancelJob(job.id);
    });

    async function allPages(filter: Parameters<TestApp['queue']['listJobs']>[0], limit: number) {
      const pages: JobRecord[][] = [];
      let cursor: string | undefined;
      do {
        const page = await app.queue.listJobs({ ...filter, limit, cursor });
        pages.push(page.jobs);
        cursor = page.nextCursor ?? undefined;
        expect(pages.length).toBeLessThan(100);
      } while (cursor);
      return pages;
    }

    it('pages through every match with nextCursor, without repeats, ending with a null cursor', async () => {
      const pages = await allPages({ tags: ['paged'] }, 10);
      expect(pages.map((p) => p.length)).toEqual([10, 10, 5]);
      const ids = pages.flat().map((j) => j.id);
      expect(new Set(ids).size).toBe(25);
      expect(new Set(ids)).toEqual(new Set(listed.map((j) => j.id)));
    });

    it('filters by tags (every tag), queue, jobType and status', async () => {
      const ids = (jobs: JobRecord[]) => new Set(jobs.map((j) => j.id));
      const red = listed.slice(0, 15);
      const blue = listed.slice(15);

      expect(ids((await app.queue.listJobs({ tags: ['paged', 'red'] })).jobs)).toEqual(ids(red));
      expect(ids((await app.queue.listJobs({ tags: ['red', 'blue'] })).jobs)).toEqual(new Set());
      expect(ids((await app.queue.listJobs({ queue: 'reports' })).jobs)).toEqual(ids(red));
      expect(ids((await app.queue.listJobs({ queue: 'default', tags: ['paged'] })).jobs)).toEqual(ids(blue));
      expect(ids((await app.queue.listJobs({ jobType: 'listed', status: 'cancelled' })).jobs)).toEqual(ids(listed.slice(0, 3)));
      expect(ids((await app.queue.listJobs({ tags: ['red'], status: 'pending' })).jobs)).toEqual(ids(red.slice(3)));
      expect(ids((await app.queue.listJobs({ tags: ['paged'], status: ['pending', 'cancelled'] })).jobs).size).toBe(25);
      expect((await app.queue.listJobs({ jobType: 'no-such-type' })).jobs).toEqual([]);
    });

    it('pages a filtered listing', async () => {
      const pages = await allPages({ tags: ['red'], status: 'pending' }, 5);
      expect(pages.map((p) => p.length)).toEqual([5, 5, 2]);
      expect(pages.flat().every((j) => j.status === 'pending' && j.queue === 'reports')).toBe(true);
    });
  });
});
