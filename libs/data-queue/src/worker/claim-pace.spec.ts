import { describe, expect, it } from '@jest/globals';
import { ClaimPace } from './claim-pace.js';

describe('ClaimPace', () => {
  const settle = (pace: ClaimPace, handlerMs: number, claimMs: number) => {
    for (let i = 0; i < 100; i++) {
      pace.handlerTook(handlerMs);
      pace.claimTook(claimMs);
    }
  };

  it('claims nothing ahead until jobs prove fast', () => {
    expect(new ClaimPace(10).prefetch).toBe(0);
  });

  it('claims nothing ahead for jobs much slower than a claim', () => {
    const pace = new ClaimPace(10);
    settle(pace, 200, 2);
    expect(pace.prefetch).toBe(0);
  });

  it('covers about two claim round trips of fast jobs', () => {
    const pace = new ClaimPace(10);
    settle(pace, 1, 2); // 10 slots × 2 ms / 1 ms, twice
    expect(pace.prefetch).toBeGreaterThanOrEqual(39);
    expect(pace.prefetch).toBeLessThanOrEqual(40);
  });

  it('is capped for no-op jobs', () => {
    const pace = new ClaimPace(10);
    settle(pace, 0, 2);
    expect(pace.prefetch).toBe(500);
  });
});
