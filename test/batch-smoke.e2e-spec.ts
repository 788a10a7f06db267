import { describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { JobHandler, OnBatchDiscard, OnBatchFinish, OnBatchSuccess, type BatchCallbackContext, type BatchRecord, type JobContext } from '@dataqueue/nestjs';
import { createTestApp } from './support/test-app.js';
import { waitFor } from './support/wait-for.js';

const calls: string[] = [];

@JobHandler('render', { maxAttempts: 1 })
class Render {
  async handle(p: { page: number; fail?: boolean }, ctx: JobContext) {
    if (p.page === 5 && ctx.batch) await ctx.batch.add([{ jobType: 'render', payload: { page: 6 } }]);
    if (p.fail) throw new Error('nope');
    return p.page;
  }
}

@Injectable()
class Callbacks {
  @OnBatchFinish('report') finished(b: BatchRecord, ctx: BatchCallbackContext) { calls.push(`finish:${b.counts.succeeded}/${b.counts.discarded}:${ctx.event}`); }
  @OnBatchSuccess('report') ok(b: BatchRecord) { calls.push(`success:${b.counts.total}`); }
  @OnBatchDiscard('report') bad(b: BatchRecord) { calls.push(`discard:${b.counts.discarded}`); }
}

describe('batch smoke', () => {
  it('fires callbacks', async () => {
    const app = await createTestApp({ providers: [Render, Callbacks] });
    try {
      const batch = await app.queue.createBatch({ onFinish: 'report', onSuccess: 'report', onDiscard: 'report' });
      await batch.add([{ jobType: 'render', payload: { page: 1 } }]);
      await batch.enqueue([{ jobType: 'render', payload: { page: 5 } }, { jobType: 'render', payload: { page: 3, fail: true } }]);
      const done = await waitFor('batch finished', () => app.queue.getBatch(batch.id), (b) => b?.finishedAt != null);
      expect(done!.counts).toEqual({ total: 4, pending: 0, succeeded: 3, discarded: 1 });
      expect(calls.sort()).toEqual(['discard:1', 'finish:3/1:finish']);
      const failed = (await app.queue.listJobs({ batchId: batch.id, status: 'failed' })).jobs[0];
      await app.queue.retryJob(failed.id);
      expect((await app.queue.getBatch(batch.id))!.finishedAt).toBeNull();
      await expect(app.queue.createBatch({ onFinish: 'nope' })).rejects.toThrow('@OnBatchFinish("nope")');
      const empty = await app.queue.createBatch({ onSuccess: 'report' });
      await empty.enqueue();
      await waitFor('empty batch success', async () => calls.filter((c) => c === 'success:0').length, (n) => n === 1);
    } finally {
      await app.close();
    }
  });
});
