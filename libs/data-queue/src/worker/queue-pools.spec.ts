import { describe, expect, it } from '@jest/globals';
import { parseQueuePools } from './queue-pools.js';

describe('parseQueuePools', () => {
  it('gives named queues their own pools and "*" every other queue', () => {
    expect(parseQueuePools('mail:2;reports,exports:1;*:5')).toEqual([
      { name: 'mail:2', slots: 2, selector: { kind: 'only', queues: ['mail'] } },
      { name: 'reports,exports:1', slots: 1, selector: { kind: 'only', queues: ['reports', 'exports'] } },
      { name: '*:5', slots: 5, selector: { kind: 'except', queues: ['mail', 'reports', 'exports'] } },
    ]);
  });

  it('defaults a pool to 5 slots and ignores blank entries', () => {
    expect(parseQueuePools(' * ;')).toEqual([{ name: '*', slots: 5, selector: { kind: 'except', queues: [] } }]);
  });

  it.each([
    ['', 'at least one pool'],
    ['mail:0', 'slots must be an integer from 1 to 1000'],
    ['mail:x', '"mail:x" is not a valid queue name'],
    ['*:1;*:2', 'only one pool may use "*"'],
    ['mail:1;mail:2', 'queue "mail" appears in more than one pool'],
    ['*,mail:2', '"*" cannot be combined'],
  ])('rejects %p naming the problem', (spec, message) => {
    expect(() => parseQueuePools(spec)).toThrow(message);
  });
});
