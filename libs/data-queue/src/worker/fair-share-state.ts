import type { FairClaimInput, FairClaimResult, FairPair } from '../store/attempt-store.js';

/** How many keyed pairs one fair claim looks at, at most: the window rotates over the rest. */
export const FAIR_WINDOW = 64;

/**
 * One pool's start-time fair queuing state (docs/fair-share.md): the virtual time, and for each
 * pair (queue, fair key) it claimed from, the tag its next job starts at. A pair whose finish tag
 * is not ahead of the virtual time starts at the virtual time anyway, so it is forgotten: the
 * state holds only pairs served ahead of the rest, and a pair that comes back after a pause
 * starts level with the others, with no credit saved up.
 */
export class FairShareState {
  private virtualTime = 0;
  private readonly finishTags = new Map<string, FairPair & { finish: number }>();
  private cursor: FairPair | null = null;

  input(): FairClaimInput {
    return { virtualTime: this.virtualTime, finishTags: [...this.finishTags.values()], cursor: this.cursor, windowSize: FAIR_WINDOW };
  }

  /** The claim's tags move the pairs it served, and the virtual time to the last tag claimed. */
  record({ tags, nextCursor }: Pick<FairClaimResult, 'tags' | 'nextCursor'>): void {
    for (const { queue, fairKey, tag, weight } of tags) {
      const id = `${queue}\u0000${fairKey}`;
      const finish = tag + 1 / weight;
      if (finish > (this.finishTags.get(id)?.finish ?? -Infinity)) this.finishTags.set(id, { queue, fairKey, finish });
      this.virtualTime = Math.max(this.virtualTime, tag);
    }
    for (const [id, pair] of this.finishTags) if (pair.finish <= this.virtualTime) this.finishTags.delete(id);
    this.cursor = nextCursor;
  }
}
