import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { dataQueueTypes, parseIsoTimestamptz, parseTimestamptz } from './fast-timestamptz.js';

/** What pg returns by default for a timestamptz: postgres-date. */
const postgresDate = pg.types.getTypeParser(1184, 'text') as (text: string) => unknown;

/** Same Date (or the same non-Date value) as postgres-date returns. */
function expectSame(text: string): void {
  const expected = postgresDate(text);
  const actual = parseTimestamptz(text);
  if (expected instanceof Date) {
    if (!(actual instanceof Date) || !Object.is(actual.getTime(), expected.getTime())) {
      throw new Error(
        `${text}: got ${String(actual)} (${(actual as Date)?.getTime?.()}), ` +
          `postgres-date ${expected.toISOString()} (${expected.getTime()})`,
      );
    }
  } else {
    expect(actual).toBe(expected);
  }
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');
const OFFSETS = ['+00', '-00', '+01', '-03', '+05:30', '-03:30', '+05:45', '-09:30', '+14', '-12', '+00:19:32', '-00:44:30', '+05:30:15'];

/** A deterministic pseudo-random sequence (mulberry32). */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('parseTimestamptz', () => {
  it('equals postgres-date on generated timestamps: every year 1–9999, 0–6 fraction digits, every offset form', () => {
    const next = random(1);
    const int = (below: number) => Math.floor(next() * below);
    let fast = 0;
    for (let i = 0; i < 200_000; i++) {
      const year = i < 9999 ? i + 1 : 1 + int(9999);
      const month = 1 + int(12);
      const day = 1 + int(new Date(Date.UTC(2001, month, 0)).getUTCDate() + (month === 2 ? 1 : 0)); // Feb 29 on any year too
      const digits = int(7);
      const fraction = digits ? `.${pad(int(10 ** digits), digits)}` : '';
      const text =
        `${pad(year, 4)}-${pad(month)}-${pad(day)} ` +
        `${pad(int(24))}:${pad(int(60))}:${pad(int(60))}${fraction}${OFFSETS[int(OFFSETS.length)]}`;
      expectSame(text);
      if (parseIsoTimestamptz(text)) fast++;
    }
    expect(fast).toBeGreaterThan(190_000); // the fast path took (almost) all of them: years ≥ 100
  });

  it('truncates 1–6 digit fractions to milliseconds as postgres-date does', () => {
    for (let digits = 1; digits <= 6; digits++) {
      // Every fraction up to 5 digits; every 7th of 6 digits (all of them: ~15 s).
      for (let n = 0; n < 10 ** digits; n += digits < 6 ? 1 : 7) {
        for (const stamp of ['2026-11-25 12:03:48', '1969-12-31 23:59:59']) expectSame(`${stamp}.${pad(n, digits)}+00`);
      }
    }
  });

  it('equals postgres-date on edge cases, and leaves unusual forms to it', () => {
    const fast = [
      '1970-01-01 00:00:00+00',
      '1969-12-31 23:59:59.999999+00',
      '1970-01-01 00:00:00.000001-00:00:01',
      '2000-02-29 23:59:59.5+00',
      '2024-02-29 00:00:00-03',
      '1900-02-28 12:00:00+05:30',
      '2100-02-28 12:00:00-09:30',
      '9999-12-31 23:59:59.999999+00',
      '9999-12-31 23:59:59.999999-14',
      '0100-01-01 00:00:00+00',
      '2026-11-25 12:03:48.123456+00',
      '2026-11-25 12:03:48+00',
      '2026-03-29 02:30:00+01',
      '1835-01-01 00:00:00+00:19:32',
    ];
    for (const text of fast) {
      expect(parseIsoTimestamptz(text)).not.toBeNull();
      expectSame(text);
    }
    const delegated = [
      'infinity',
      '-infinity',
      '0001-01-01 00:00:00+00',
      '0001-01-01 00:00:00.000001+00',
      '0004-02-29 12:00:00-03',
      '0099-12-31 23:59:59.999999+00',
      '0044-03-15 12:00:00+00 BC',
      '2026-11-25 12:03:48+00 BC',
      '4714-11-24 00:00:00+00 BC',
      '10000-01-01 00:00:00+00',
      '294276-12-31 23:59:59.999999+00',
      '2026-11-25 12:03:48.1234567+00',
      '2026-11-25 12:03:48.+00',
      '2026-11-25 12:03:48+0530',
      '2026-11-25 12:03:48+05:3',
      '2026-11-25 12:03:48Z',
      '2026-11-25T12:03:48+00',
      '2026-11-25 12:03:48',
      '2026-11-25',
      'Wed Nov 25 12:03:48.123456 2026 UTC',
      '2026-1x-25 12:03:48+00',
      '',
    ];
    for (const text of delegated) {
      expect(parseIsoTimestamptz(text)).toBeNull();
      expectSame(text);
    }
  });
});

describe('dataQueueTypes', () => {
  it('uses the fast parser for text timestamptz only, and pg’s parsers for the rest', () => {
    expect(dataQueueTypes.getTypeParser(1184, 'text')).toBe(parseTimestamptz);
    expect(dataQueueTypes.getTypeParser(1184)).toBe(parseTimestamptz);
    for (const [oid, format] of [
      [1114, 'text'],
      [1082, 'text'],
      [20, 'text'],
      [3802, 'text'],
      [1700, 'text'],
      [1184, 'binary'],
    ] as const) {
      expect(dataQueueTypes.getTypeParser(oid, format)).toBe(pg.types.getTypeParser(oid, format));
    }
  });

  it('follows an app that replaces pg’s timestamptz parser', () => {
    const own = (text: string) => text;
    pg.types.setTypeParser(1184, own);
    try {
      expect(dataQueueTypes.getTypeParser(1184, 'text')).toBe(own);
    } finally {
      pg.types.setTypeParser(1184, postgresDate);
    }
    expect(dataQueueTypes.getTypeParser(1184, 'text')).toBe(parseTimestamptz);
  });

  describe('against Postgres', () => {
    let fast: pg.Client;
    let plain: pg.Client;
    beforeAll(async () => {
      fast = new pg.Client({ connectionString: process.env.DATABASE_URL, types: dataQueueTypes });
      plain = new pg.Client({ connectionString: process.env.DATABASE_URL });
      await Promise.all([fast.connect(), plain.connect()]);
    });
    afterAll(async () => {
      await Promise.all([fast?.end(), plain?.end()]);
    });

    it.each([
      'UTC',
      'America/St_Johns',
      'Asia/Kathmandu',
      'Europe/Amsterdam',
      'Africa/Monrovia',
      'Pacific/Kiritimati',
      'America/Sao_Paulo',
    ])('parses what Postgres prints in time zone %s as postgres-date does', async (zone) => {
      // Instants from year 1 to 9999 at irregular steps (so every fraction length occurs), and the specials.
      const sql = `SELECT t, t::text AS text FROM (
            SELECT to_timestamp(-62135596800 + i * 15778475.617285 + (i % 7) * 0.1 + (i % 1000) * 0.000001) AS t
            FROM generate_series(0, 19999) i
            UNION ALL SELECT unnest('{infinity,-infinity,0044-03-15 12:00:00+00 BC,10000-01-01 00:00:00+00}'::timestamptz[])
          ) s`;
      for (const client of [fast, plain]) await client.query(`SET TimeZone = '${zone}'`);
      const [{ rows }, { rows: expected }] = await Promise.all([fast.query(sql), plain.query(sql)]);
      expect(rows).toHaveLength(20_004);
      const mismatches = rows.filter((row, i) => {
        const a = row.t as unknown;
        const b = expected[i].t as unknown;
        return a instanceof Date && b instanceof Date ? !Object.is(a.getTime(), b.getTime()) : !Object.is(a, b);
      });
      expect(mismatches.map((row) => row.text)).toEqual([]);
      // The fast path took the usual rows (years ≥ 100, not BC).
      const taken = rows.filter((row) => parseIsoTimestamptz(row.text as string)).length;
      expect(taken).toBeGreaterThan(19_600);
    });
  });
});
