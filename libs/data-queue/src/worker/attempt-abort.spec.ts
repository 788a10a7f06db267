import { describe, expect, it } from '@jest/globals';
import { JobCancelledError, JobTimeoutError } from './abort-reasons.js';
import { AttemptAbort } from './attempt-abort.js';

const never = new Promise<never>(() => undefined);

describe('AttemptAbort', () => {
  it('ends a pending attempt on abort, however the work behaves', async () => {
    const abort = new AttemptAbort();
    const ended = abort.until(never);
    const reason = new JobTimeoutError(5);
    abort.abort(reason);
    await expect(ended).rejects.toBe(reason);
  });

  it('settles as the work does while not aborted', async () => {
    await expect(new AttemptAbort().until(Promise.resolve(7))).resolves.toBe(7);
    const failure = new Error('handler failed');
    await expect(new AttemptAbort().until(Promise.reject(failure))).rejects.toBe(failure);
  });

  it('rejects at once when aborted before', async () => {
    const abort = new AttemptAbort();
    const reason = new JobCancelledError('1');
    abort.abort(reason);
    await expect(abort.until(never)).rejects.toBe(reason);
  });

  it('gives a signal read before the abort the same abort and reason', () => {
    const abort = new AttemptAbort();
    const signal = abort.signal;
    const seen: unknown[] = [];
    signal.addEventListener('abort', () => seen.push(signal.reason));
    expect(signal.aborted).toBe(false);
    const reason = new JobCancelledError('1');
    abort.abort(reason);
    expect(seen).toEqual([reason]);
    expect(signal.reason).toBe(reason);
    expect(abort.signal).toBe(signal);
  });

  it('gives a signal first read after the abort, already aborted with the first reason', () => {
    const abort = new AttemptAbort();
    const first = new JobTimeoutError(5);
    abort.abort(first);
    abort.abort(new JobCancelledError('1'));
    expect(abort.reason).toBe(first);
    expect(abort.signal).toBeInstanceOf(AbortSignal);
    expect(abort.signal.aborted).toBe(true);
    expect(abort.signal.reason).toBe(first);
  });
});
