import type { FairClaimInput, FairClaimResult, FairPair, FairWindow, WeightedPair } from '../store/attempt-store.js';

/** How many keyed pairs one fair claim looks at, at most: the window rotates over the rest. */
export const FAIR_WINDOW = 64;

/**
 * One pool's start-time fair queuing state (docs/fair-share.md): the virtual time, and for each
 * pair (queue, fair key) it claimed from, the tag its next job starts at. A pair whose finish tag
 * is not ahead of the virtual time starts at the virtual time anyway, so it is forgotten: the
 * state holds only pairs served ahead of the rest, and a pair that comes back after a pause
 * starts level with the others, with no credit saved up.
 *
 * Which pairs a claim looks at: a lap of the index finds them. Once one lap saw every pair with
 * runnable keyed work (fewer than a window), the next claims look only at those (`known`), until
 * new work may have arrived (`workArrived`: a NOTIFY, an enqueue in this process, a poll)
 * or none of them has a claimable job left. A lap steps over the index entries of every key
 * drained since the last vacuum, on every claim; the known pairs cost nothing to find.
 */
export class FairShareState {
  private virtualTime = 0;
  private readonly finishTags = new Map<string, FairPair & { finish: number }>();
  private cursor: FairPair | null = null;
  private known: WeightedPair[] | null = null;
  private lapDue = true;

  /** Jobs may have become runnable that no known pair holds: the next claim runs a lap. */
  workArrived(): void {
    this.lapDue = true;
  }

  input(): FairClaimInput {
    const lap = this.lapDue || this.known === null;
    this.lapDue = false;
    return {
      virtualTime: this.virtualTime,
      finishTags: [...this.finishTags.values()],
      window: lap ? { kind: 'lap', size: FAIR_WINDOW, cursor: this.cursor } : { kind: 'known', pairs: this.known! },
    };
  }

  /**
   * A lone pair's claim (claimPairJobsSql) took `claimed` jobs of `pair` in its line's order: the
   * tags claimFairJobsSql would have given them, from the pair's start on, 1/weight apart. Default-key
   * jobs waiting make the next claim a lap, where they compete.
   */
  recordLone(pair: WeightedPair, claimed: number, defaultWaiting: boolean): void {
    const start = Math.max(this.virtualTime, this.finishTags.get(pairId(pair))?.finish ?? -Infinity);
    this.record({ pairs: claimed > 0 ? [{ ...pair, lastTag: start + (claimed - 1) / pair.weight }] : [], nextCursor: null }, 'known');
    if (defaultWaiting) this.lapDue = true;
  }

  /**
   * A claim moves each pair it served to just past the tag of its last job, and the virtual time
   * to the last tag claimed. A complete lap (no next cursor) or a claim of known pairs leaves the
   * keyed pairs that had a job known.
   */
  record({ pairs, nextCursor }: Pick<FairClaimResult, 'pairs' | 'nextCursor'>, window: FairWindow['kind']): void {
    for (const { queue, fairKey, weight, lastTag } of pairs) {
      if (lastTag === null) continue;
      const id = pairId({ queue, fairKey });
      const finish = lastTag + 1 / weight;
      if (finish > (this.finishTags.get(id)?.finish ?? -Infinity)) this.finishTags.set(id, { queue, fairKey, finish });
      this.virtualTime = Math.max(this.virtualTime, lastTag);
    }
    for (const [id, pair] of this.finishTags) if (pair.finish <= this.virtualTime) this.finishTags.delete(id);
    const livePairs = pairs.filter((pair) => pair.fairKey !== '').map(({ queue, fairKey, weight }) => ({ queue, fairKey, weight }));
    const sawEveryPair = window === 'known' || nextCursor === null;
    this.known = sawEveryPair && livePairs.length > 0 ? livePairs : null;
    if (window === 'lap') this.cursor = nextCursor;
  }
}

function pairId({ queue, fairKey }: FairPair): string {
  return `${queue}\u0000${fairKey}`;
}
