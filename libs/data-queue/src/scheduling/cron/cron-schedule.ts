import { CronTime } from 'cron';

/** The first span `between` looks back over: one tick of the finest schedule, a second. */
const LOOK_BACK_MS = 1_000;

/** Ticks of a cron schedule in its time zone (`cron` package, as used by @nestjs/schedule). */
export class CronSchedule {
  private readonly time: CronTime;

  /** Throws a message naming what is wrong with the expression or the zone. */
  constructor(
    readonly expression: string,
    readonly timezone: string,
  ) {
    const check = CronTime.validateCronExpression(expression);
    if (!check.valid) throw new Error(`"${expression}" is not a cron expression: ${check.error?.message ?? 'invalid'}`);
    try {
      this.time = new CronTime(expression, timezone);
    } catch {
      throw new Error(`"${timezone}" is not an IANA time zone`);
    }
  }

  /** The first tick strictly after `from`. */
  next(from: Date): Date {
    return this.time.getNextDateFrom(from, this.timezone).toJSDate();
  }

  /** Whether `at` is one of the schedule's ticks. */
  includes(at: Date): boolean {
    return this.next(new Date(at.getTime() - 1)).getTime() === at.getTime();
  }

  /**
   * Ticks in (after, until], oldest first, at most `limit` (the most recent ones). Walking the
   * whole window costs a step per tick (86,400 for a per-second entry over a day, seconds of a
   * blocked event loop), so it looks back from `until` over doubling spans until one holds
   * `limit` ticks or reaches `after`: the most recent ticks are the same either way.
   */
  between(after: Date, until: Date, limit: number): Date[] {
    if (limit <= 0) return [];
    for (let span = LOOK_BACK_MS; ; span *= 2) {
      const from = new Date(Math.max(after.getTime(), until.getTime() - span));
      const ticks = this.walk(from, until);
      if (ticks.length >= limit || from.getTime() === after.getTime()) return ticks.slice(-limit);
    }
  }

  private walk(after: Date, until: Date): Date[] {
    const ticks: Date[] = [];
    for (let tick = this.next(after); tick <= until; tick = this.next(tick)) ticks.push(tick);
    return ticks;
  }
}
