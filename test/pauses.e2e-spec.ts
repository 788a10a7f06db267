import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { JobHandler, JobOptionsInvalidError } from '@dataqueue/nestjs';
import type { PauseTarget } from '@dataqueue/nestjs';
import { startCluster } from './support/cluster.js';
import { rejectionOf } from './support/rejection.js';
import { createTestApp, waitForStatus, type TestApp } from './support/test-app.js';

@JobHandler('work')
class WorkHandler {
  handle(): string {
    return 'done';
  }
}

@JobHandler('other-work')
class OtherWorkHandler {
  handle(): string {
    return 'done';
  }
}

describe('pauses', () => {
  let app: TestApp;

  beforeAll(async () => {
    // One slot, so jobs are claimed one by one in claim order: a paused job enqueued first would
    // be claimed before the marker job enqueued after it.
    app = await createTestApp({ providers: [WorkHandler, OtherWorkHandler], options: { queues: '*:1' } });
  });

  afterAll(async () => {
    await app?.close();
  });

  it.each<[string, PauseTarget, { jobType: string; queue?: string; tags?: string[] }]>([
    ['a queue', { queue: 'held' }, { jobType: 'work', queue: 'held' }],
    ['a job type', { jobType: 'other-work' }, { jobType: 'other-work' }],
    ['a tag', { tag: 'tenant-42' }, { jobType: 'work', tags: ['tenant-42'] }],
  ])('holds back the jobs of %s, which stay pending, and runs them after resume', async (_, target, held) => {
    await app.queue.pause(target);
    expect(await app.queue.listPauses()).toEqual([expect.objectContaining({ ...kindAndValue(target), pausedAt: expect.any(Date) })]);

    const paused = await app.queue.enqueue(held.jobType, {}, { queue: held.queue, tags: held.tags });
    const marker = await app.queue.enqueue('work', {});
    await waitForStatus(app.queue, marker.id, 'completed');
    expect((await app.queue.getJob(paused.id))!).toMatchObject({ status: 'pending', attempts: 0 });

    await app.queue.resume(target);
    expect(await app.queue.listPauses()).toEqual([]);
    await waitForStatus(app.queue, paused.id, 'completed');
  });

  it('rejects a target that is not exactly one of queue, jobType or tag', async () => {
    const error = await rejectionOf(app.queue.pause({ queue: 'a', tag: 'b' }));
    expect(error).toBeInstanceOf(JobOptionsInvalidError);
    expect(await rejectionOf(app.queue.pause({ queue: '' }))).toBeInstanceOf(JobOptionsInvalidError);
  });
});

function kindAndValue(target: PauseTarget): { kind: string; value: string } {
  const [kind, value] = Object.entries(target)[0];
  return { kind, value };
}

describe('pauses across worker processes', () => {
  it('every process holds back a paused queue, and runs it after resume', async () => {
    const cluster = await startCluster({ workers: 2 });
    const { producer, tally } = cluster;
    try {
      await producer.queue.pause({ queue: 'held' });
      const held = await producer.queue.enqueueMany(
        Array.from({ length: 4 }, () => ({ jobType: 'tally', payload: {}, options: { queue: 'held' } })),
      );
      const markers = await producer.queue.enqueueMany(Array.from({ length: 4 }, () => ({ jobType: 'tally', payload: {} })));
      for (const marker of markers) await waitForStatus(producer.queue, marker.id, 'completed');
      for (const job of held) expect((await producer.queue.getJob(job.id))!.status).toBe('pending');

      await producer.queue.resume({ queue: 'held' });
      for (const job of held) await waitForStatus(producer.queue, job.id, 'completed');
      expect((await tally.runsPerJob()).size).toBe(8);
    } finally {
      await cluster.close();
    }
  });
});
