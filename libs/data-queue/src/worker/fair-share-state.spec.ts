import { describe, expect, it } from '@jest/globals';
import { FAIR_WINDOW, FairShareState } from './fair-share-state.js';

const A = { queue: 'reports', fairKey: 'acme' };
const B = { queue: 'reports', fairKey: 'globex' };
const LAP = { kind: 'lap', size: FAIR_WINDOW, cursor: null } as const;

describe('FairShareState', () => {
  it('starts with no pair ahead, the virtual time at 0, and the window from the first pair', () => {
    expect(new FairShareState().input()).toEqual({
      virtualTime: 0,
      finishTags: [],
      window: { kind: 'lap', size: FAIR_WINDOW, cursor: null },
    });
  });

  it("moves a served pair's next start by 1/weight per job, and the virtual time to the last tag claimed", () => {
    const state = new FairShareState();
    state.record(
      {
        tags: [
          { ...A, tag: 0, weight: 3 },
          { ...B, tag: 0, weight: 1 },
          { ...A, tag: 1 / 3, weight: 3 },
          { ...A, tag: 2 / 3, weight: 3 },
        ],
        nextCursor: B,
        livePairs: [],
      },
      LAP,
    );
    const input = state.input();
    expect(input.virtualTime).toBeCloseTo(2 / 3);
    expect(input.window).toEqual({ kind: 'lap', size: FAIR_WINDOW, cursor: B });
    expect(input.finishTags.map(({ fairKey, finish }) => [fairKey, finish])).toEqual([
      ['acme', expect.closeTo(1)],
      ['globex', 1],
    ]);
  });

  it('forgets a pair once the virtual time catches up with it: it would start there anyway, with no credit saved', () => {
    const state = new FairShareState();
    state.record({ tags: [{ ...A, tag: 0, weight: 1 }], nextCursor: null, livePairs: [] }, LAP);
    state.record({ tags: [{ ...B, tag: 1, weight: 1 }], nextCursor: null, livePairs: [] }, LAP);
    expect(state.input().finishTags).toEqual([{ ...B, finish: 2 }]);
    expect(state.input().virtualTime).toBe(1);
  });

  describe('which pairs a claim looks at', () => {
    const live = [
      { ...A, weight: 1 },
      { ...B, weight: 3 },
    ];

    it('after a lap that saw every pair, claims from the pairs that had a job, without a lap', () => {
      const state = new FairShareState();
      state.record({ tags: [], nextCursor: null, livePairs: live }, state.input().window);
      expect(state.input().window).toEqual({ kind: 'known', pairs: live });
    });

    it('keeps lapping while a lap ends on a full window: pairs past it are not known', () => {
      const state = new FairShareState();
      state.record({ tags: [], nextCursor: B, livePairs: live }, state.input().window);
      expect(state.input().window).toEqual({ kind: 'lap', size: FAIR_WINDOW, cursor: B });
    });

    it('drops the known pairs that had no job, and laps once none is left', () => {
      const state = new FairShareState();
      state.record({ tags: [], nextCursor: null, livePairs: live }, state.input().window);
      state.record({ tags: [], nextCursor: null, livePairs: [live[1]] }, state.input().window);
      const window = state.input().window;
      expect(window).toEqual({ kind: 'known', pairs: [live[1]] });
      state.record({ tags: [], nextCursor: null, livePairs: [] }, window);
      expect(state.input().window.kind).toBe('lap');
    });

    it('laps at the next claim once work arrived, even with known pairs, and only once', () => {
      const state = new FairShareState();
      state.record({ tags: [], nextCursor: null, livePairs: live }, state.input().window);
      state.workArrived();
      const lap = state.input().window;
      expect(lap.kind).toBe('lap');
      state.record({ tags: [], nextCursor: null, livePairs: live }, lap);
      expect(state.input().window.kind).toBe('known');
    });

    it('does not let a claim that was under way when work arrived cancel the lap', () => {
      const state = new FairShareState();
      state.record({ tags: [], nextCursor: null, livePairs: live }, state.input().window);
      const underWay = state.input().window;
      state.workArrived();
      state.record({ tags: [], nextCursor: null, livePairs: live }, underWay);
      expect(state.input().window.kind).toBe('lap');
    });
  });
});
