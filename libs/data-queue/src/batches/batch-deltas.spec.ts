import { describe, expect, it } from '@jest/globals';
import { batchDeltas, type BatchMove } from './batch-tracker.js';

// batch-tracker.spec.ts covers the sum of one batch's moves; these are the edges around it.
const job = (id: string, batchId: string | null, batchCallbackId: string | null = null): BatchMove['job'] => ({
  id,
  batchId,
  batchCallbackId,
});

describe('batchDeltas', () => {
  it('keeps each batch to its own jobs, and counts a job outside any batch nowhere', () => {
    const { deltas, callbackDeltas } = batchDeltas([
      { job: job('1', 'b1'), from: 'pending', to: 'succeeded' },
      { job: job('2', 'b2'), from: 'pending', to: 'discarded' },
      { job: job('3', 'b2'), from: null, to: 'pending' },
      { job: job('4', null), from: 'pending', to: 'succeeded' },
    ]);
    expect(Object.fromEntries(deltas)).toEqual({
      b1: { total: 0, pending: -1, succeeded: 1, discarded: 0 },
      b2: { total: 1, pending: 0, succeeded: 0, discarded: 1 },
    });
    expect(callbackDeltas.size).toBe(0);
  });

  it('counts a job moved twice in one call by where it ended', () => {
    const { deltas } = batchDeltas([
      { job: job('1', 'b1'), from: null, to: 'pending' },
      { job: job('1', 'b1'), from: 'pending', to: 'succeeded' },
    ]);
    expect(deltas.get('b1')).toEqual({ total: 1, pending: 0, succeeded: 1, discarded: 0 });
  });

  it('leaves a batch out when none of its jobs changed bucket', () => {
    const { deltas, callbackDeltas } = batchDeltas([
      { job: job('1', 'b1'), from: 'pending', to: 'pending' },
      { job: job('2', null, 'b1'), from: 'succeeded', to: 'succeeded' },
    ]);
    expect(deltas.size).toBe(0);
    expect(callbackDeltas.size).toBe(0);
  });

  it('counts a callback job as unfinished from its creation as pending until it finishes or is deleted', () => {
    const { callbackDeltas } = batchDeltas([
      { job: job('1', null, 'b1'), from: null, to: 'pending' },
      { job: job('2', null, 'b1'), from: null, to: 'pending' },
      { job: job('3', null, 'b2'), from: 'pending', to: null },
      { job: job('4', null, 'b3'), from: 'succeeded', to: 'discarded' },
    ]);
    expect(callbackDeltas.get('b1')).toBe(2);
    expect(callbackDeltas.get('b2')).toBe(-1);
    expect(callbackDeltas.get('b3') ?? 0).toBe(0); // finished either way
  });
});
