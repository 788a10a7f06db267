import { describe, expect, it } from '@jest/globals';
import { FAIR_WINDOW, FairShareState } from './fair-share-state.js';

const A = { queue: 'reports', fairKey: 'acme' };
const B = { queue: 'reports', fairKey: 'globex' };

describe('FairShareState', () => {
  it('starts with no pair ahead, the virtual time at 0, and the window from the first pair', () => {
    expect(new FairShareState().input()).toEqual({ virtualTime: 0, finishTags: [], cursor: null, windowSize: FAIR_WINDOW });
  });

  it("moves a served pair's next start by 1/weight per job, and the virtual time to the last tag claimed", () => {
    const state = new FairShareState();
    state.record({
      tags: [
        { ...A, tag: 0, weight: 3 },
        { ...B, tag: 0, weight: 1 },
        { ...A, tag: 1 / 3, weight: 3 },
        { ...A, tag: 2 / 3, weight: 3 },
      ],
      nextCursor: B,
    });
    const input = state.input();
    expect(input.virtualTime).toBeCloseTo(2 / 3);
    expect(input.cursor).toEqual(B);
    expect(input.finishTags.map(({ fairKey, finish }) => [fairKey, finish])).toEqual([
      ['acme', expect.closeTo(1)],
      ['globex', 1],
    ]);
  });

  it('forgets a pair once the virtual time catches up with it: it would start there anyway, with no credit saved', () => {
    const state = new FairShareState();
    state.record({ tags: [{ ...A, tag: 0, weight: 1 }], nextCursor: null });
    state.record({ tags: [{ ...B, tag: 1, weight: 1 }], nextCursor: null });
    expect(state.input().finishTags).toEqual([{ ...B, finish: 2 }]);
    expect(state.input().virtualTime).toBe(1);
  });
});
