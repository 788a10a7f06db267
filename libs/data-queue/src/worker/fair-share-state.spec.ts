import { describe, expect, it } from '@jest/globals';
import { FAIR_WINDOW, FairShareState } from './fair-share-state.js';

const A = { queue: 'reports', fairKey: 'acme' };
const B = { queue: 'reports', fairKey: 'globex' };

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
        // A's third job (tags 0, 1/3, 2/3 at weight 3), B's first.
        pairs: [
          { ...A, weight: 3, lastTag: 2 / 3 },
          { ...B, weight: 1, lastTag: 0 },
        ],
        nextCursor: B,
      },
      'lap',
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
    state.record({ pairs: [{ ...A, weight: 1, lastTag: 0 }], nextCursor: null }, 'lap');
    state.record({ pairs: [{ ...B, weight: 1, lastTag: 1 }], nextCursor: null }, 'lap');
    expect(state.input().finishTags).toEqual([{ ...B, finish: 2 }]);
    expect(state.input().virtualTime).toBe(1);
  });

  describe('which pairs a claim looks at', () => {
    const live = [
      { ...A, weight: 1 },
      { ...B, weight: 3 },
    ];
    /** The pairs as a claim's answer gives them: each had a job, none was claimed. */
    const heads = (pairs: typeof live) => pairs.map((pair) => ({ ...pair, lastTag: null }));

    it('never keeps the default key as a known pair: a lap does not find it in the index either', () => {
      const state = new FairShareState();
      const defaultKey = { queue: '', fairKey: '', weight: 1, lastTag: 0 };
      state.record({ pairs: [defaultKey, ...heads(live)], nextCursor: null }, state.input().window.kind);
      expect(state.input().window).toEqual({ kind: 'known', pairs: live });
    });

    it('after a lap that saw every pair, claims from the pairs that had a job, without a lap', () => {
      const state = new FairShareState();
      state.record({ pairs: heads(live), nextCursor: null }, state.input().window.kind);
      expect(state.input().window).toEqual({ kind: 'known', pairs: live });
    });

    it('keeps lapping while a lap ends on a full window: pairs past it are not known', () => {
      const state = new FairShareState();
      state.record({ pairs: heads(live), nextCursor: B }, state.input().window.kind);
      expect(state.input().window).toEqual({ kind: 'lap', size: FAIR_WINDOW, cursor: B });
    });

    it('drops the known pairs that had no job, and laps once none is left', () => {
      const state = new FairShareState();
      state.record({ pairs: heads(live), nextCursor: null }, state.input().window.kind);
      state.record({ pairs: heads([live[1]]), nextCursor: null }, state.input().window.kind);
      const window = state.input().window;
      expect(window).toEqual({ kind: 'known', pairs: [live[1]] });
      state.record({ pairs: [], nextCursor: null }, window.kind);
      expect(state.input().window.kind).toBe('lap');
    });

    it('laps at the next claim once work arrived, even with known pairs, and only once', () => {
      const state = new FairShareState();
      state.record({ pairs: heads(live), nextCursor: null }, state.input().window.kind);
      state.workArrived();
      const lap = state.input().window;
      expect(lap.kind).toBe('lap');
      state.record({ pairs: heads(live), nextCursor: null }, lap.kind);
      expect(state.input().window.kind).toBe('known');
    });

    it('does not let a claim that was under way when work arrived cancel the lap', () => {
      const state = new FairShareState();
      state.record({ pairs: heads(live), nextCursor: null }, state.input().window.kind);
      const underWay = state.input().window;
      state.workArrived();
      state.record({ pairs: heads(live), nextCursor: null }, underWay.kind);
      expect(state.input().window.kind).toBe('lap');
    });
  });

  describe("a lone key's claim", () => {
    const lone = { ...A, weight: 2 };
    const knownLone = () => {
      const state = new FairShareState();
      state.record({ pairs: [{ ...lone, lastTag: null }], nextCursor: null }, state.input().window.kind);
      return state;
    };

    it('gives its jobs the tags a fair claim would: from the virtual time on, 1/weight apart', () => {
      const state = knownLone();
      const window = state.input().window;
      expect(window).toEqual({ kind: 'known', pairs: [lone] });
      state.recordLone(lone, 3, false);
      const input = state.input();
      expect(input.virtualTime).toBe(1); // tags 0, 0.5, 1
      expect(input.finishTags).toEqual([{ ...A, finish: 1.5 }]);
      expect(input.window).toEqual({ kind: 'known', pairs: [lone] });
    });

    it('laps next when the key had no job, or when default-key jobs are waiting', () => {
      const empty = knownLone();
      empty.recordLone(lone, 0, false);
      expect(empty.input().window.kind).toBe('lap');
      const beside = knownLone();
      beside.recordLone(lone, 5, true);
      expect(beside.input().window.kind).toBe('lap');
    });
  });
});
