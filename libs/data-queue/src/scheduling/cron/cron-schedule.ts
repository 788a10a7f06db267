import { CronTime } from 'cron';

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

  /** Ticks in (after, until], oldest first, at most `limit` (the most recent ones). */
  between(after: Date, until: Date, limit: number): Date[] {
    const ticks: Date[] = [];
    for (let tick = this.next(after); tick <= until; tick = this.next(tick)) {
      ticks.push(tick);
      if (ticks.length > limit) ticks.shift();
    }
    return ticks;
  }
}
