import type { AttemptStore, ClaimedJob } from '../store/attempt-store.js';
import type { QueueSelector } from '../store/sql/claim-jobs.sql.js';
import { FairShareState } from './fair-share-state.js';

/** What one claim took, and whether claiming again at once may find more. */
export interface Claimed {
  jobs: ClaimedJob[];
  more: boolean;
}

/**
 * Claims for one pool. While no keyed (fair-share) job is runnable in its queues it uses the
 * plain claim, which also says when one is; from then on, fair claims with the pool's
 * start-time fair queuing state, until a fair claim finds no keyed work left. A lone known key is
 * claimed as plain jobs are, from its line alone (claimPairJobsSql).
 */
export class JobClaimer {
  private fair = false;
  private readonly share = new FairShareState();

  constructor(
    private readonly attempts: AttemptStore,
    private readonly workerId: string,
    private readonly selector: QueueSelector,
  ) {}

  /** Jobs may have become runnable from outside this pool's claims (see FairShareState.workArrived). */
  workArrived(): void {
    this.share.workArrived();
  }

  async claim(limit: number): Promise<Claimed> {
    if (!this.fair) {
      const { jobs, keyedWaiting } = await this.attempts.claim(this.workerId, this.selector, limit);
      this.fair = keyedWaiting;
      if (keyedWaiting) this.share.workArrived(); // what the pool knew of keyed pairs is from before
      return { jobs, more: jobs.length === limit || keyedWaiting };
    }
    const input = this.share.input();
    const { window } = input;
    if (window.kind === 'known' && window.pairs.length === 1) {
      const [pair] = window.pairs;
      const { jobs, defaultWaiting } = await this.attempts.claimPair(this.workerId, this.selector, limit, pair);
      this.share.recordLone(pair, jobs.length, defaultWaiting);
      return { jobs, more: jobs.length === limit || defaultWaiting };
    }
    const result = await this.attempts.claimFair(this.workerId, this.selector, limit, input);
    this.share.record(result, window.kind);
    this.fair = result.keyedWaiting;
    return { jobs: result.jobs, more: result.jobs.length === limit || result.moreWaiting };
  }
}
