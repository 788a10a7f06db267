import type { Parameters } from 'fast-check';

/**
 * Cases per property. 300 keeps the whole fuzz set under ~40 s on 2 cores; raise it for
 * a soak: `FUZZ_RUNS=5000 npm run test:only -- test/fuzz`.
 */
const DEFAULT_RUNS = 300;

/**
 * The seed of `npm test`. A fixed one makes the suite a deterministic gate: the same cases every
 * run, so a red fuzz test points at the change under test, never at the draw. Exploring is what
 * a soak is for: `FUZZ_SEED=random` (fast-check prints the seed of a failure; pass it back as
 * FUZZ_SEED, with the same FUZZ_RUNS, to replay it).
 */
const DEFAULT_SEED = 15;

/** A case slower than this fails as a hang. */
const CASE_TIMEOUT_MS = 10_000;

function positiveInteger(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} must be a positive integer (got ${JSON.stringify(text)})`);
  return value;
}

function seed(): number {
  const text = process.env.FUZZ_SEED;
  if (text === 'random') return (Math.random() * 2 ** 31) | 0;
  if (text === undefined || text === '') return DEFAULT_SEED;
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new Error(`FUZZ_SEED must be an integer or "random" (got ${JSON.stringify(text)})`);
  return value;
}

export const FUZZ_RUNS = positiveInteger('FUZZ_RUNS', DEFAULT_RUNS);

/** fast-check parameters of every property: FUZZ_RUNS cases from FUZZ_SEED, each within CASE_TIMEOUT_MS. */
export function fuzzParameters<T>(): Parameters<T> {
  return { numRuns: FUZZ_RUNS, seed: seed(), timeout: CASE_TIMEOUT_MS };
}

/** Jest's timeout for one property: room for every case, and for shrinking a failure. */
export const FUZZ_TEST_TIMEOUT_MS = 120_000 + FUZZ_RUNS * 500;
