import { keySpecProblem, type ConcurrencyKeySpec } from './concurrency-key.js';

/**
 * A limit on jobs sharing a key (e.g. per user). Jobs whose `key` gives null/undefined are
 * not limited by the rule. Keys are global: rules of different job types that return the same
 * key count each other's jobs.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- as ConcurrencyKeySpec's default
export interface ConcurrencyRule<Payload = any> {
  /** A function, or a declarative form that works from any process (see ConcurrencyKeySpec). */
  key: ConcurrencyKeySpec<Payload>;
  /** Unfinished jobs (queued or running) with the key. Checked at enqueue. */
  totalLimit?: number;
  /** Queued (not running) jobs with the key. Checked at enqueue. */
  enqueueLimit?: number;
  /** Jobs with the key running at once. Checked before a job starts; over the limit it waits. */
  performLimit?: number;
  /** At most `count` enqueues with the key per `ms`. */
  enqueueThrottle?: [count: number, ms: number];
  /** At most `count` starts with the key per `ms`. */
  performThrottle?: [count: number, ms: number];
  /** At an enqueue-side limit: throw `ConcurrencyLimitError` (default), or skip the insert and return the latest job with the key. */
  onEnqueueLimit?: 'reject' | 'skip';
}

/** The limits of a rule, whatever its key. */
export type RuleLimits = Omit<ConcurrencyRule, 'key'>;

export function hasEnqueueLimits(rule: RuleLimits): boolean {
  return rule.totalLimit !== undefined || rule.enqueueLimit !== undefined || rule.enqueueThrottle !== undefined;
}

export function hasPerformLimits(rule: RuleLimits): boolean {
  return rule.performLimit !== undefined || rule.performThrottle !== undefined;
}

/** Checks rules at boot; returns a message for the first problem. */
export function concurrencyRuleProblem(rule: ConcurrencyRule, index = 0): string | null {
  const where = `concurrency[${index}]`;
  const keyProblem = keySpecProblem(rule?.key);
  if (keyProblem) return `${where}.key ${keyProblem}`;
  for (const field of ['totalLimit', 'enqueueLimit', 'performLimit'] as const) {
    const value = rule[field];
    if (value !== undefined && !(Number.isSafeInteger(value) && value >= 1)) return `${where}.${field} must be a positive integer`;
  }
  for (const field of ['enqueueThrottle', 'performThrottle'] as const) {
    const value = rule[field];
    if (value === undefined) continue;
    const [count, ms] = Array.isArray(value) ? value : [0, 0];
    if (!(Number.isSafeInteger(count) && count >= 1 && Number.isSafeInteger(ms) && ms >= 1)) {
      return `${where}.${field} must be [count, ms] with positive integers`;
    }
  }
  if (rule.onEnqueueLimit !== undefined && rule.onEnqueueLimit !== 'reject' && rule.onEnqueueLimit !== 'skip') {
    return `${where}.onEnqueueLimit must be 'reject' or 'skip'`;
  }
  if (!hasEnqueueLimits(rule) && !hasPerformLimits(rule)) return `${where} sets no limit`;
  return null;
}
