import { describe, expect, it } from '@jest/globals';
import type { JobRecord } from '../core/job-record.js';
import type { JobMove } from './job-moves.js';
import { JobTransitions, type JobTransitionListener, type QueueStore } from './queue-store.js';

const job = (id: string, batchId: string | null = null) => ({ id, batchId }) as JobRecord;

/** A listener that follows jobs of batches and records what it heard (in `order`, if given). */
function batchListener(
  locks: JobTransitionListener['locks'] = 'batches',
  order: string[] = [],
): JobTransitionListener & { heard: JobMove[][] } {
  const heard: JobMove[][] = [];
  return {
    locks,
    heard,
    follows: (move) => move.job.batchId !== null,
    jobsMoved: async (_tx, moves) => {
      order.push(locks);
      heard.push(moves);
    },
  };
}

describe('JobTransitions', () => {
  const tx = {} as QueueStore;

  it('tells each listener only the moves it follows, and none that stay in their bucket', async () => {
    const transitions = new JobTransitions();
    const listener = batchListener();
    transitions.subscribe(listener);
    await transitions.announce(tx, [
      { job: job('1', 'b'), from: 'pending', to: 'discarded' },
      { job: job('2'), from: 'pending', to: 'discarded' },
      { job: job('3', 'b'), from: 'pending', to: 'pending' },
    ]);
    expect(listener.heard).toEqual([[{ job: job('1', 'b'), from: 'pending', to: 'discarded' }]]);
  });

  it('does not call a listener that follows none of the moves', async () => {
    const transitions = new JobTransitions();
    const listener = batchListener();
    transitions.subscribe(listener);
    await transitions.announce(tx, [{ job: job('2'), from: 'pending', to: 'succeeded' }]);
    expect(listener.heard).toEqual([]);
  });

  it('runs the listeners locking job rows before those locking batch rows, whatever the order they subscribed in', async () => {
    const transitions = new JobTransitions();
    const order: string[] = [];
    transitions.subscribe(batchListener('batches', order));
    transitions.subscribe(batchListener('jobs', order));
    await transitions.announce(tx, [{ job: job('1', 'b'), from: 'pending', to: 'succeeded' }]);
    expect(order).toEqual(['jobs', 'batches']);
  });

  it('is concerned only with real moves some listener follows (a write without any skips its transaction)', () => {
    const transitions = new JobTransitions();
    expect(transitions.concern([{ job: job('1', 'b'), from: 'pending', to: 'succeeded' }])).toBe(false);
    transitions.subscribe(batchListener());
    expect(transitions.concern([{ job: job('1', 'b'), from: 'pending', to: 'succeeded' }])).toBe(true);
    expect(transitions.concern([{ job: job('1', 'b'), from: 'pending', to: 'pending' }])).toBe(false);
    expect(transitions.concern([{ job: job('2'), from: 'pending', to: 'succeeded' }])).toBe(false);
  });
});
