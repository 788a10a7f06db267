/**
 * W9's tenants: how many jobs each has (Zipf's law, s = 1, computed, not drawn) and in which
 * order their jobs arrive (shuffled by a seeded generator, so every run enqueues the same sequence).
 */

/** Jobs per tenant: tenant k (from 0) gets a share proportional to 1 / (k + 1), by largest remainder so they sum to `jobs`. */
export function zipfCounts(jobs: number, tenants: number): number[] {
  const harmonic = Array.from({ length: tenants }, (_, k) => 1 / (k + 1)).reduce((a, b) => a + b, 0);
  const exact = Array.from({ length: tenants }, (_, k) => jobs / (k + 1) / harmonic);
  const counts = exact.map(Math.floor);
  const byRemainder = exact.map((x, k) => ({ k, remainder: x - counts[k] })).sort((a, b) => b.remainder - a.remainder || a.k - b.k);
  const short = jobs - counts.reduce((a, b) => a + b, 0);
  for (let j = 0; j < short; j++) counts[byRemainder[j].k]++;
  return counts;
}

/** The tenant of each of `jobs` jobs (Zipf counts), interleaved as tenants' jobs arrive together. */
export function zipfTenantOfJob(jobs: number, tenants: number, seed = 20): Uint16Array {
  const order = new Uint16Array(jobs);
  let next = 0;
  zipfCounts(jobs, tenants).forEach((count, tenant) => order.fill(tenant, next, (next += count)));
  const random = mulberry32(seed);
  for (let i = jobs - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/** A small seeded generator of uniform numbers in [0, 1) (Mulberry32). */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
