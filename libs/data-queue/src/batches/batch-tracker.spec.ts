import { describe, expect, it } from '@jest/globals';
import { bucketOf } from '../core/job-states.js';
import { batchDeltas } from './batch-tracker.js';

const inBatch = (id: string) => ({ id, batchId: 'b1', batchCallbackId: null });
const callbackOf = (id: string) => ({ id, batchId: null, batchCallbackId: 'b1' });

describe('batch bookkeeping', () => {
  it('puts jobs in buckets: retrying jobs are still pending, cancelled ones discarded', () => {
    expect(bucketOf({ status: 'completed', nextAttemptAt: null })).toBe('succeeded');
    expect(bucketOf({ status: 'failed', nextAttemptAt: new Date() })).toBe('pending');
    expect(bucketOf({ status: 'failed', nextAttemptAt: null })).toBe('discarded');
    expect(bucketOf({ status: 'cancelled', nextAttemptAt: null })).toBe('discarded');
    expect(bucketOf({ status: 'processing', nextAttemptAt: null })).toBe('pending');
  });

  it('sums moves per batch: created, finished, retried and deleted jobs', () => {
    const { deltas } = batchDeltas([
      { job: inBatch('1'), from: null, to: 'pending' },
      { job: inBatch('2'), from: 'pending', to: 'succeeded' },
      { job: inBatch('3'), from: 'discarded', to: 'pending' },
      { job: inBatch('4'), from: 'succeeded', to: null },
      { job: inBatch('5'), from: 'pending', to: 'pending' },
    ]);
    expect(deltas.get('b1')).toEqual({ total: 0, pending: 1, succeeded: 0, discarded: -1 });
  });

  it('counts callback jobs only while they are unfinished', () => {
    const { deltas, callbackDeltas } = batchDeltas([
      { job: callbackOf('7'), from: 'pending', to: 'succeeded' },
      { job: callbackOf('8'), from: 'discarded', to: 'pending' },
      { job: callbackOf('9'), from: 'pending', to: 'discarded' },
    ]);
    expect(deltas.size).toBe(0);
    expect(callbackDeltas.get('b1')).toBe(-1);
  });
});
