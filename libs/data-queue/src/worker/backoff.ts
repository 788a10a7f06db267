import type { BackoffOptions } from '../core/data-queue-options.js';

/**
 * Delay before the attempt after `attempt` (1-based): baseMs × factor^(attempt-1), capped at
 * maxMs, spread by ±jitter so jobs that failed together do not retry together.
 */
export function retryDelayMs(attempt: number, backoff: Required<BackoffOptions>, random = Math.random): number {
  const exponential = Math.min(backoff.maxMs, backoff.baseMs * backoff.factor ** Math.max(0, attempt - 1));
  const spread = exponential * backoff.jitter * (random() * 2 - 1);
  return Math.max(0, Math.round(exponential + spread));
}
