import { describe, expect, it } from '@jest/globals';
import { JobOptionsInvalidError } from './data-queue.errors.js';
import type { EnqueueOptions } from './enqueue-options.js';
import { validateIdempotencyOptions, validateJobSettings } from './job-settings.validation.js';

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

describe('idempotency option rules', () => {
  it('accepts a window, replace and debounce with a key', () => {
    for (const options of [
      { idempotencyKey: 'k', idempotencyWindow: 'unfinished' as const, onDuplicate: 'replace' as const },
      { idempotencyKey: 'k', idempotencyWindow: 60_000, debounceMs: 500 },
      { idempotencyKey: 'k', debounceMs: 500, onDuplicate: 'replace' as const },
    ]) {
      expect(() => validateIdempotencyOptions(options, { jobType: 'email' })).not.toThrow();
    }
  });

  it.each([
    [{ idempotencyWindow: 1000 }, 'idempotencyWindow', 'needs an idempotencyKey'],
    [{ idempotencyKey: 'k', idempotencyWindow: 315_360_000_001 }, 'idempotencyWindow', "must be 'unfinished' or an integer"],
    [{ idempotencyKey: 'k', onDuplicate: 'merge' }, 'onDuplicate', "must be 'keep' or 'replace'"],
    [{ debounceMs: 10 }, 'debounceMs', 'needs an idempotencyKey'],
    [{ idempotencyKey: 'k', debounceMs: 0 }, 'debounceMs', 'must be an integer from 1'],
    [{ idempotencyKey: 'k', debounceMs: 10, runAt: new Date() }, 'debounceMs', 'not both'],
    [{ idempotencyKey: 'k', debounceMs: 10, onDuplicate: 'keep' }, 'debounceMs', "onDuplicate 'keep' forbids"],
  ])('rejects %p naming the field', (options, field, problem) => {
    expect(() => validateIdempotencyOptions(options as EnqueueOptions, { jobType: 'email' })).toThrow(
      expect.objectContaining({ constructor: JobOptionsInvalidError, field, message: expect.stringContaining(problem) }),
    );
  });
});
