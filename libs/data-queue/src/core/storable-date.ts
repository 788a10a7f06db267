/**
 * The earliest instant a Postgres timestamptz holds (4714-11-24 BC, Julian day 0). The latest,
 * in 294276 AD, is past JavaScript's latest Date.
 */
const EARLIEST_TIMESTAMPTZ_MS = Date.UTC(-4713, 10, 24);

/** What `storableDate` takes, for error messages. */
export const STORABLE_DATE = 'a Date or a date string, from 4714 BC on';

/**
 * `value` as a Date Postgres can store, or null: an invalid date, one before 4714 BC (Postgres
 * would fail the whole statement), or neither a Date nor a string.
 */
export function storableDate(value: unknown): Date | null {
  const date = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : null;
  return date !== null && date.getTime() >= EARLIEST_TIMESTAMPTZ_MS ? date : null;
}
