import { unstorableText } from '../core/storable-text.js';

/** Why `token` cannot name a durable wait, or null: it is non-empty text Postgres can store. */
export function waitTokenProblem(token: unknown): string | null {
  if (typeof token !== 'string' || token.length === 0) return 'must be a non-empty string';
  return unstorableText(token);
}
