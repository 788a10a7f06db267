import type { CronStore } from '../../store/cron-store.js';

/** How long a measured offset is trusted before it is measured again. */
const RESYNC_MS = 60_000;
const SAMPLES = 3;

/**
 * The database's clock, read from this process: the local clock plus the offset measured by
 * `SELECT clock_timestamp()` (taking the reading to be from halfway through the round trip).
 * Cron ticks on it, so a machine whose clock is off fires ticks neither early nor late.
 */
export class DatabaseClock {
  private offsetMs = 0;
  private measuredAt: number | null = null;

  constructor(private readonly cron: Pick<CronStore, 'databaseTime'>) {}

  /** The database's time now. If it cannot be measured, the last offset (or the local clock) stands. */
  async now(): Promise<Date> {
    if (this.measuredAt === null || performance.now() - this.measuredAt > RESYNC_MS) await this.measure().catch(() => undefined);
    return new Date(Date.now() + this.offsetMs);
  }

  /** The quickest of a few round trips: a slow one (a busy pool, a new connection) blurs the reading. */
  private async measure(): Promise<void> {
    let best = { roundTripMs: Infinity, offsetMs: 0 };
    for (let i = 0; i < SAMPLES; i++) {
      const before = Date.now();
      const now = await this.cron.databaseTime();
      const after = Date.now();
      if (after - before < best.roundTripMs) best = { roundTripMs: after - before, offsetMs: now.getTime() - (before + after) / 2 };
    }
    this.offsetMs = best.offsetMs;
    this.measuredAt = performance.now();
  }
}
