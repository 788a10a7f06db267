import { describe, expect, it } from '@jest/globals';
import { retryDelayMs } from './backoff.js';

const backoff = { baseMs: 1000, factor: 2, maxMs: 10_000, jitter: 0.2 };

describe('retryDelayMs', () => {
  it('grows exponentially from baseMs and stops at maxMs', () => {
    const noJitter = { ...backoff, jitter: 0 };
    expect([1, 2, 3, 4, 5, 6].map((attempt) => retryDelayMs(attempt, noJitter))).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000]);
  });

  it('spreads each delay by at most ±jitter', () => {
    expect(retryDelayMs(2, backoff, () => 0)).toBe(1600);
    expect(retryDelayMs(2, backoff, () => 1)).toBe(2400);
  });
});
