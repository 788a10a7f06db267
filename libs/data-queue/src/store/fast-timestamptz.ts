import pg from 'pg';
import type { CustomTypesConfig } from 'pg';

const TIMESTAMPTZ = 1184;

/** pg's own timestamptz parser (postgres-date), as registered when this module loaded. */
const pgDefault = pg.types.getTypeParser(TIMESTAMPTZ, 'text') as (text: string) => unknown;

/**
 * Type parsers for the pools DataQueue opens itself (never the app's pool, never the global
 * `pg.types`: the app shares the pg package). A claim returns a dozen timestamptz columns per
 * job, and postgres-date's regular expressions were a large share of the worker's CPU, so
 * timestamptz goes through `parseTimestamptz`; every other type, and timestamptz once the app
 * has replaced pg's parser for it, gets the parser pg would use.
 */
export const dataQueueTypes: CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    const parser = pg.types.getTypeParser(oid, format);
    return oid === TIMESTAMPTZ && parser === pgDefault ? parseTimestamptz : parser;
  }) as CustomTypesConfig['getTypeParser'],
};

/** The Date postgres-date returns for `text`; without its regular expressions for the usual form. */
export function parseTimestamptz(text: string): unknown {
  return parseIsoTimestamptz(text) ?? pgDefault(text);
}

const FRACTION_SCALE = [1, 10, 100, 1000, 10_000, 100_000, 1_000_000];

/**
 * Parses `YYYY-MM-DD HH:MM:SS[.f{1,6}]±HH[:MM[:SS]]` — timestamptz as Postgres prints it with
 * DateStyle ISO — exactly as postgres-date does; null for anything else (infinity, BC, years
 * beyond 9999 or before 100, other DateStyles), which is left to postgres-date.
 */
export function parseIsoTimestamptz(text: string): Date | null {
  const length = text.length;
  if (
    length < 22 ||
    text.charCodeAt(4) !== 45 || // -
    text.charCodeAt(7) !== 45 ||
    text.charCodeAt(10) !== 32 || // space
    text.charCodeAt(13) !== 58 || // :
    text.charCodeAt(16) !== 58
  ) {
    return null;
  }
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  // postgres-date moves years 0–99 out of Date.UTC's 1900s; rare enough to leave to it.
  if ((month | day | hour | minute | second) < 0 || year < 100) return null;
  let at = 19;
  let ms = 0;
  if (text.charCodeAt(at) === 46) {
    // .
    const start = ++at;
    let fraction = 0;
    for (let digit; at < length && (digit = text.charCodeAt(at) - 48) >= 0 && digit <= 9; at++) fraction = fraction * 10 + digit;
    const count = at - start;
    if (count === 0 || count > 6) return null;
    // postgres-date: 1000 * parseFloat('.123456'), which is this same double (both are the
    // decimal correctly rounded); Date.UTC then truncates it to whole milliseconds.
    ms = 1000 * (fraction / FRACTION_SCALE[count]);
  }
  const sign = text.charCodeAt(at);
  const zone = length - at; // ±HH, ±HH:MM or ±HH:MM:SS
  if ((sign !== 43 && sign !== 45) || (zone !== 3 && zone !== 6 && zone !== 9)) return null;
  const hours = digits(text, at + 1, 2);
  const minutes = zone > 3 ? colonDigits(text, at + 3) : 0;
  const seconds = zone > 6 ? colonDigits(text, at + 6) : 0;
  if ((hours | minutes | seconds) < 0) return null;
  const offsetMs = (hours * 3600 + minutes * 60 + seconds) * 1000;
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  return new Date(sign === 45 ? utc + offsetMs : utc - offsetMs);
}

/** `:` and two digits at `at`, as a number; -1 otherwise. */
function colonDigits(text: string, at: number): number {
  return text.charCodeAt(at) === 58 ? digits(text, at + 1, 2) : -1;
}

/** The decimal number of `count` digits at `at`; -1 if one is not a digit. */
function digits(text: string, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (!(digit >= 0 && digit <= 9)) return -1;
    value = value * 10 + digit;
  }
  return value;
}
