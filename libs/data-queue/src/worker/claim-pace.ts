/** Most jobs a pool claims ahead of its free slots, however fast its jobs are. */
const MAX_PREFETCH = 500;
/** Weight of the newest sample in the moving averages. */
const ALPHA = 0.2;

/**
 * How many jobs a pool claims ahead of its free slots: enough to keep every slot busy for about
 * two claim round trips at the rate its jobs currently finish. Fast jobs then never wait for a
 * claim (and one statement claims many), while slow jobs are claimed one free slot at a time, so
 * a busy process never sits on jobs another process could start.
 */
export class ClaimPace {
  // Starts out assuming slow jobs: nothing is claimed ahead until jobs prove fast.
  private handlerMs = 100;
  private claimMs = 1;

  constructor(private readonly slots: number) {}

  handlerTook(ms: number): void {
    this.handlerMs += ALPHA * (ms - this.handlerMs);
  }

  claimTook(ms: number): void {
    this.claimMs += ALPHA * (ms - this.claimMs);
  }

  /** Jobs to hold claimed beyond the free slots. */
  get prefetch(): number {
    const perRoundTrip = (this.slots * this.claimMs) / Math.max(this.handlerMs, 0.001);
    return Math.min(MAX_PREFETCH, Math.floor(2 * perRoundTrip));
  }
}
