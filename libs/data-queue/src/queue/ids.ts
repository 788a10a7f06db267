import { describeValue } from '../core/value-description.js';

// Shapes of the ids callers pass in, checked before they reach SQL: a malformed id is simply
// "no such job/batch" instead of a cast error from Postgres.

/** A jobs.id (bigint): at most 18 digits, so any match fits the column. */
export function isJobId(value: unknown): value is string {
  return typeof value === 'string' ? /^[1-9]\d{0,17}$/.test(value) : Number.isSafeInteger(value) && (value as number) > 0;
}

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}

/** An id for a "does not exist" message: as given when a string, else described (never throws). */
export function idText(value: unknown): string {
  return typeof value === 'string' ? value : describeValue(value);
}
