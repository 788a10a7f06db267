import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { IsInt } from 'class-validator';
import { JobHandler, JobNotFoundError, JobOptionsInvalidError, JobPayloadInvalidError, JobStateError } from '@dataqueue/nestjs';
import { createTestApp, waitForStatus, type TestApp } from './support/test-app.js';
import { waitFor } from './support/wait-for.js';

class VersionDto {
  @IsInt() v!: number;
}

@JobHandler('versioned', { payload: VersionDto })
class VersionedHandler {
  /** The payload the attempt saw, as its output. */
  handle(payload: VersionDto): VersionDto {
    return payload;
  }
}

@JobHandler('keyed', { concurrency: { key: { payload: 'account' }, performLimit: 1 } })
class KeyedHandler {
  handle(): void {}
}

const HOUR = 3_600_000;

describe('updateJob', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await createTestApp({ providers: [VersionedHandler, KeyedHandler] });
  });

  afterAll(async () => {
    await app.close();
  });

  it('changes the payload, priority and start of a pending job, which then runs with them', async () => {
    const job = await app.queue.enqueue('versioned', { v: 1 }, { delayMs: HOUR });
    const updated = await app.queue.updateJob(job.id, { payload: { v: 2 }, priority: -5 });
    expect(updated).toMatchObject({ payload: { v: 2 }, priority: -5, status: 'pending' });
    await app.queue.updateJob(job.id, { runAt: new Date() });
    expect(await waitForStatus(app.queue, job.id, 'completed')).toMatchObject({ output: { v: 2 }, priority: -5 });
  });

  it('checks a new payload as at enqueue, and changes nothing when any field is wrong', async () => {
    const job = await app.queue.enqueue('versioned', { v: 1 }, { delayMs: HOUR });
    await expect(app.queue.updateJob(job.id, { payload: { v: 'two' } })).rejects.toBeInstanceOf(JobPayloadInvalidError);
    await expect(app.queue.updateJob(job.id, { payload: { v: 3 }, priority: 1.5 })).rejects.toMatchObject({
      constructor: JobOptionsInvalidError,
      field: 'priority',
    });
    await expect(app.queue.updateJob(job.id, { queue: 'other' } as never)).rejects.toMatchObject({ field: 'queue' });
    await expect(app.queue.updateJob(job.id, {})).rejects.toMatchObject({ field: 'change' });
    await expect(app.queue.updateJob(job.id, { runAt: 'soon' })).rejects.toMatchObject({ field: 'runAt' });
    expect(await app.queue.getJob(job.id)).toMatchObject({ payload: { v: 1 }, priority: 0 });
    await app.queue.deleteJob(job.id);
  });

  it('refuses a payload that would move the job to other concurrency keys', async () => {
    const job = await app.queue.enqueue('keyed', { account: 'a', note: 1 }, { delayMs: HOUR });
    await expect(app.queue.updateJob(job.id, { payload: { account: 'a', note: 2 } })).resolves.toMatchObject({ payload: { note: 2 } });
    await expect(app.queue.updateJob(job.id, { payload: { account: 'b' } })).rejects.toMatchObject({
      constructor: JobOptionsInvalidError,
      field: 'payload',
    });
    await app.queue.deleteJob(job.id);
  });

  it('names a missing job, and a job that is no longer pending', async () => {
    await expect(app.queue.updateJob('999999999', { priority: 1 })).rejects.toBeInstanceOf(JobNotFoundError);
    await expect(app.queue.updateJob('999999999', { payload: { v: 1 } })).rejects.toBeInstanceOf(JobNotFoundError);
    const done = await app.queue.enqueue('versioned', { v: 1 });
    await waitForStatus(app.queue, done.id, 'completed');
    await expect(app.queue.updateJob(done.id, { priority: 1 })).rejects.toMatchObject({
      constructor: JobStateError,
      action: 'update',
      status: 'completed',
    });
  });

  it('never lets an attempt run with half an update, racing the worker’s claims', async () => {
    const jobs = await app.queue.enqueueMany(Array.from({ length: 200 }, () => ({ jobType: 'versioned', payload: { v: 1 } })));
    const results = await Promise.all(
      jobs.map((job) =>
        app.queue.updateJob(job.id, { payload: { v: 2 }, priority: 7 }).then(
          () => 'updated' as const,
          (error: unknown) => {
            if (error instanceof JobStateError) return 'too late' as const;
            throw error;
          },
        ),
      ),
    );
    const ids = new Set(jobs.map((job) => job.id));
    await waitFor('every job ran', async () => {
      const { jobs: completed } = await app.queue.listJobs({ jobType: 'versioned', status: 'completed', limit: 1000 });
      return completed.filter((job) => ids.has(job.id)).length === ids.size;
    });
    for (const [index, job] of jobs.entries()) {
      const final = await app.queue.getJob(job.id);
      const updated = results[index] === 'updated';
      // The attempt saw exactly what the update left: both fields, or neither.
      expect({ output: final!.output, priority: final!.priority }).toEqual(
        updated ? { output: { v: 2 }, priority: 7 } : { output: { v: 1 }, priority: 0 },
      );
    }
    expect(results.filter((result) => result === 'updated').length).toBeGreaterThan(0);
  });
});
