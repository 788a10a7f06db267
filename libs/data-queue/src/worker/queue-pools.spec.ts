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

  it('trims around ";" and ","', () => {
    expect(parseQueuePools(' mail , sms:2 ; *:3 ').map((pool) => pool.selector)).toEqual([
      { kind: 'only', queues: ['mail', 'sms'] },
      { kind: 'except', queues: ['mail', 'sms'] },
    ]);
  });

  it('defaults a pool to 5 slots and ignores blank entries', () => {
    expect(parseQueuePools(' * ;')).toEqual([{ name: '*', slots: 5, selector: { kind: 'except', queues: [] } }]);
  });

  it.each([
    ['', 'at least one pool'],
    ['mail:0', 'slots must be an integer from 1 to 1000'],
    ['mail:x', 'pool "mail:x": slots must be an integer from 1 to 1000, got "x"'],
    ['mail:', 'pool "mail:": slots must be an integer from 1 to 1000, got ""'],
    ['mail:2.5', 'got "2.5"'],
    ['mail: 2', 'pool "mail: 2": remove the space around ":" (write "mail:2")'],
    ['mail :2', 'pool "mail :2": remove the space around ":" (write "mail:2")'],
    ['mail:2:3', 'pool "mail:2:3": has more than one ":"'],
    [
      'mail sms:2',
      'pool "mail sms:2": queue name "mail sms" contains a space: ' +
        'queue names are letters, digits, "_", "." and "-" (separate queues with ",")',
    ],
    ['mail/eu:2', 'queue name "mail/eu" contains "/"'],
    ['mail,,sms:2', 'pool "mail,,sms:2": a queue name is empty'],
    [':2', 'pool ":2": a queue name is empty'],
    [`${'q'.repeat(129)}:1`, 'is longer than 128 characters'],
    ['*:1;*:2', 'only one pool may use "*"'],
    ['mail:1;mail:2', 'queue "mail" appears in more than one pool'],
    ['*,mail:2', '"*" cannot be combined'],
  ])('rejects %p naming the problem', (spec, message) => {
    expect(() => parseQueuePools(spec)).toThrow(message);
  });
});
