import { describe, expect, it } from '@jest/globals';
import { decodeJobCursor, decodeKeyset, encodeJobCursor, encodeKeyset } from './keyset.js';

const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('keyset cursors', () => {
  it('decode to the key they were encoded from', () => {
    const key = { at: '2026-01-01T10:00:00.000Z', id: '3f6c2a7e-5d1b-4c8e-9a0f-1b2c3d4e5f60', note: 'ünïcödé ✓' };
    expect(decodeKeyset(encodeKeyset(key))).toEqual(key);
  });

  it('are URL-safe: no +, / or = padding', () => {
    const cursor = encodeKeyset({ at: '2026-01-01T10:00:00.000Z', id: '>>>???~~~' });
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it.each([
    ['an empty string', ''],
    ['text that is not base64 JSON', 'not a cursor'],
    ['a JSON number', cursorOf(42)],
    ['a JSON string', cursorOf('id')],
    ['JSON null', cursorOf(null)],
    ['a key with a number', cursorOf({ id: 42 })],
    ['a key with a nested object', cursorOf({ id: { $gt: '1' } })],
    ['a key with null', cursorOf({ at: null, id: '1' })],
  ])('decode to null from %s', (_, cursor) => {
    expect(decodeKeyset(cursor)).toBeNull();
  });
});

describe('job cursors', () => {
  it.each(['1', '42', '999999999999999999'])('give back job id %s', (id) => {
    expect(decodeJobCursor(encodeJobCursor(id))).toBe(id);
  });

  it.each([
    ['a job id of 0', encodeJobCursor('0')],
    ['a negative job id', encodeJobCursor('-1')],
    ['a job id with a fraction', encodeJobCursor('1.5')],
    ['a job id with a leading zero', encodeJobCursor('01')],
    ['a job id with a space', encodeJobCursor(' 1')],
    ['a job id of 19 digits, beyond bigint', encodeJobCursor('9999999999999999999')],
    ['a numeric id', cursorOf({ id: 1 })],
    [
      'a batch cursor (created_at and a uuid)',
      encodeKeyset({ at: '2026-01-01T10:00:00.000Z', id: '3f6c2a7e-5d1b-4c8e-9a0f-1b2c3d4e5f60' }),
    ],
    ['a key without id', encodeKeyset({ at: '2026-01-01T10:00:00.000Z' })],
    ['text that is not a cursor', 'not a cursor'],
  ])('are null for %s', (_, cursor) => {
    expect(decodeJobCursor(cursor)).toBeNull();
  });
});
