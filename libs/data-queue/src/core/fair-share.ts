import { deriveKey, keySpecProblem, type ConcurrencyKeyInput } from './concurrency-key.js';
import { describeValue } from './value-description.js';

/** A fair-share key of at most this many characters. */
export const MAX_FAIR_KEY_LENGTH = 512;
export const MIN_FAIR_WEIGHT = 0.01;
export const MAX_FAIR_WEIGHT = 1000;

/** What a `fairShare` function returns: the job's key, or its key and weight; null: the default key. */
export type FairShareResult = string | [key: string, weight: number] | null | undefined;

/**
 * Where a job type's fair key comes from (see docs/fair-share.md). The declarative forms are the
 * concurrency keys' (`{ payload: 'tenant.id' }`, `{ tagPrefix: 'tenant:' }`, `{ template }`), with
 * an optional constant `weight`: they are published with the job type, so any process derives the
 * key. A function runs only in an app that has the handler.
 */
// `any`: a function typed for its own payload must fit the default (`unknown` would refuse it).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type FairShareSpec<Payload = any> =
  | ((payload: Payload, job: ConcurrencyKeyInput) => FairShareResult)
  | (({ payload: string } | { tagPrefix: string } | { template: string }) & { weight?: number });

/** A job's share: its key ('' is the default key) and the key's weight. */
export interface FairShare {
  key: string;
  weight: number;
}

export const DEFAULT_FAIR_SHARE: FairShare = { key: '', weight: 1 };

/** The share of a job under `spec`; throws an Error whose message says what went wrong with its key. */
export function fairShareOf(spec: FairShareSpec, payload: unknown, input: ConcurrencyKeyInput): FairShare {
  if (typeof spec !== 'function') {
    const { weight = 1, ...key } = spec;
    const derived = deriveKey(key as Parameters<typeof deriveKey>[0], payload, input);
    if (derived === null || derived === '') return DEFAULT_FAIR_SHARE;
    if (derived.length > MAX_FAIR_KEY_LENGTH) {
      throw new Error(`fairShare derived a key of ${derived.length} characters, over ${MAX_FAIR_KEY_LENGTH}`);
    }
    return { key: derived, weight };
  }
  let result: FairShareResult;
  try {
    result = spec(payload, input);
  } catch (error) {
    throw new Error(`the fairShare function threw: ${error instanceof Error ? error.message : describeValue(error)}`, { cause: error });
  }
  if (result === null || result === undefined) return DEFAULT_FAIR_SHARE;
  const [key, weight = 1] = Array.isArray(result) ? result : [result];
  const problem = fairKeyProblem(key) ?? fairWeightProblem(weight);
  if (problem) throw new Error(`the fairShare function returned ${describeValue(result)}: ${problem}`);
  return { key, weight };
}

export function fairKeyProblem(key: unknown): string | null {
  return typeof key === 'string' && key.length > 0 && key.length <= MAX_FAIR_KEY_LENGTH
    ? null
    : `a key must be a non-empty string of at most ${MAX_FAIR_KEY_LENGTH} characters (got ${describeValue(key)})`;
}

export function fairWeightProblem(weight: unknown): string | null {
  return typeof weight === 'number' && Number.isFinite(weight) && weight >= MIN_FAIR_WEIGHT && weight <= MAX_FAIR_WEIGHT
    ? null
    : `a weight must be a number from ${MIN_FAIR_WEIGHT} to ${MAX_FAIR_WEIGHT} (got ${describeValue(weight)})`;
}

/** Why `spec` is not a usable `fairShare` option, or null. */
export function fairShareSpecProblem(spec: unknown): string | null {
  if (typeof spec === 'function') return null;
  if (typeof spec !== 'object' || spec === null) return keySpecProblem(spec);
  const { weight, ...key } = spec as { weight?: unknown };
  return keySpecProblem(key) ?? (weight === undefined ? null : fairWeightProblem(weight));
}
