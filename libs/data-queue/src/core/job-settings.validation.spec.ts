import { describe, expect, it } from '@jest/globals';
import { JobOptionsInvalidError } from './data-queue.errors.js';
import { validateJobSettings } from './job-settings.validation.js';

describe('enqueue option rules', () => {
  it('accepts a full set of valid options', () => {
    expect(() =>
      validateJobSettings(
        { queue: 'mail', priority: -5, delayMs: 0, maxAttempts: 3, timeoutMs: 100, tags: ['a'], idempotencyKey: 'k' },
        { jobType: 'email' },
      ),
    ).not.toThrow();
  });

  it.each([
    [{ queue: '' }, 'queue'],
    [{ priority: 1.5 }, 'priority'],
    [{ maxAttempts: 0 }, 'maxAttempts'],
    [{ timeoutMs: -1 }, 'timeoutMs'],
    [{ runAt: 'not a date' }, 'runAt'],
    [{ runAt: new Date(), delayMs: 5 }, 'runAt'],
    [{ tags: ['ok', 3] }, 'tags'],
    [{ tags: Array.from({ length: 33 }, (_, i) => `tag-${i}`) }, 'tags'],
    [{ idempotencyKey: '' }, 'idempotencyKey'],
    [{ colour: 'red' }, 'colour'],
  ])('rejects %p naming the field and the job type', (options, field) => {
    let error: unknown;
    try {
      validateJobSettings(options, { jobType: 'email', index: 3 });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(JobOptionsInvalidError);
    expect((error as JobOptionsInvalidError).field).toBe(field);
    expect((error as Error).message).toContain('job type "email", jobs[3]');
  });
});
