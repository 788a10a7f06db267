import { describe, expect, it } from '@jest/globals';
import { compactJson, prettyJson } from './json-text.js';

const pretty = (value: unknown) => [...prettyJson(value)].join('');

describe('prettyJson', () => {
  it.each([
    ['null', null],
    ['a string with quotes, markup and unicode', 'say "hi" </script> ✓ 😀'],
    ['numbers, booleans, NaN', [0, -1.5, 1e21, true, false, Number.NaN]],
    ['empty containers', { a: {}, b: [], c: [[]], d: [{}] }],
    ['nested objects and arrays', { user: { id: 7, roles: ['admin', 'ops'], meta: { tags: [{ k: 'v' }] } }, list: [1, [2, [3]]] }],
    ['what JSON leaves out or turns into null', { f: () => 1, u: undefined, s: Symbol('s'), kept: [undefined, () => 1, Symbol('t')] }],
    ['toJSON values (dates)', { at: new Date('2025-01-05T10:00:00.000Z'), list: [new Date(0)] }],
    ['an object whose only members JSON leaves out', { only: undefined }],
  ])('writes what JSON.stringify(value, null, 2) writes: %s', (_name, value) => {
    expect(pretty(value)).toBe(JSON.stringify(value, null, 2));
  });

  it('writes "null" for a value JSON.stringify writes nothing for', () => {
    expect(pretty(undefined)).toBe('null');
    expect(compactJson(undefined)).toBe('null');
  });

  it('reads no further into the value than the pieces taken', () => {
    let read = 0;
    const items = Array.from({ length: 1_000 }, (_, i) => ({
      get value() {
        read++;
        return i;
      },
    }));
    const pieces = prettyJson(items);
    for (let i = 0; i < 10; i++) pieces.next();
    expect(read).toBeLessThan(10);
  });
});
