import { describe, expect, it } from '@jest/globals';
import { CronSchedule } from './cron-schedule.js';

const at = (iso: string) => new Date(iso);
const isoOf = (ticks: Date[]) => ticks.map((tick) => tick.toISOString());

describe('CronSchedule.between', () => {
  const quarterHours = new CronSchedule('*/15 * * * *', 'UTC');

  it('lists the ticks after `after` up to and including `until`, oldest first', () => {
    expect(isoOf(quarterHours.between(at('2026-01-01T10:00:00Z'), at('2026-01-01T11:00:00Z'), 100))).toEqual([
      '2026-01-01T10:15:00.000Z',
      '2026-01-01T10:30:00.000Z',
      '2026-01-01T10:45:00.000Z',
      '2026-01-01T11:00:00.000Z',
    ]);
  });

  it('counts a tick a millisecond after `after`, and none a millisecond after `until`', () => {
    expect(isoOf(quarterHours.between(at('2026-01-01T10:14:59.999Z'), at('2026-01-01T10:15:00.000Z'), 100))).toEqual([
      '2026-01-01T10:15:00.000Z',
    ]);
    expect(quarterHours.between(at('2026-01-01T10:15:00.000Z'), at('2026-01-01T10:29:59.999Z'), 100)).toEqual([]);
  });

  it('is empty when the window holds no tick, or is empty or reversed', () => {
    expect(quarterHours.between(at('2026-01-01T10:01:00Z'), at('2026-01-01T10:14:00Z'), 100)).toEqual([]);
    expect(quarterHours.between(at('2026-01-01T10:00:00Z'), at('2026-01-01T10:00:00Z'), 100)).toEqual([]);
    expect(quarterHours.between(at('2026-01-01T11:00:00Z'), at('2026-01-01T10:00:00Z'), 100)).toEqual([]);
  });

  it('keeps the most recent `limit` ticks when more fall in the window', () => {
    const window = [at('2026-01-01T10:00:00Z'), at('2026-01-01T11:00:00Z')] as const;
    expect(isoOf(quarterHours.between(...window, 2))).toEqual(['2026-01-01T10:45:00.000Z', '2026-01-01T11:00:00.000Z']);
    expect(quarterHours.between(...window, 0)).toEqual([]);
  });

  it('keeps the most recent ticks of a long window of frequent ticks (a day of seconds)', () => {
    const everySecond = new CronSchedule('* * * * * *', 'UTC');
    const ticks = everySecond.between(at('2026-01-01T00:00:00Z'), at('2026-01-02T00:00:00Z'), 100);
    expect(ticks).toHaveLength(100);
    expect(isoOf([ticks[0], ticks[99]])).toEqual(['2026-01-01T23:58:21.000Z', '2026-01-02T00:00:00.000Z']);
  });

  it('keeps the most recent ticks of a window of rare ones (New Year over a decade)', () => {
    const newYear = new CronSchedule('0 0 1 1 *', 'UTC');
    expect(isoOf(newYear.between(at('2020-06-01T00:00:00Z'), at('2030-06-01T00:00:00Z'), 3))).toEqual([
      '2028-01-01T00:00:00.000Z',
      '2029-01-01T00:00:00.000Z',
      '2030-01-01T00:00:00.000Z',
    ]);
    expect(newYear.between(at('2020-06-01T00:00:00Z'), at('2030-06-01T00:00:00Z'), 100)).toHaveLength(10);
  });

  it('ticks by the second with a six-field expression', () => {
    const everyTwentySeconds = new CronSchedule('*/20 * * * * *', 'UTC');
    expect(isoOf(everyTwentySeconds.between(at('2026-01-01T10:00:00Z'), at('2026-01-01T10:01:00Z'), 100))).toEqual([
      '2026-01-01T10:00:20.000Z',
      '2026-01-01T10:00:40.000Z',
      '2026-01-01T10:01:00.000Z',
    ]);
  });

  it("keeps the schedule's local time across a daylight saving change: 08:00 in Paris is 07:00Z in winter, 06:00Z in summer", () => {
    // Europe/Paris moves to summer time on 29 March 2026.
    const eightInParis = new CronSchedule('0 8 * * *', 'Europe/Paris');
    expect(isoOf(eightInParis.between(at('2026-03-27T00:00:00Z'), at('2026-03-31T00:00:00Z'), 100))).toEqual([
      '2026-03-27T07:00:00.000Z',
      '2026-03-28T07:00:00.000Z',
      '2026-03-29T06:00:00.000Z',
      '2026-03-30T06:00:00.000Z',
    ]);
  });

  it('ticks once on the day a local time is skipped (spring) and once on the day it happens twice (autumn)', () => {
    const halfPastTwoInParis = new CronSchedule('30 2 * * *', 'Europe/Paris');
    // 29 March 2026: 02:00 jumps to 03:00, the tick comes at 03:00 summer time.
    expect(isoOf(halfPastTwoInParis.between(at('2026-03-28T12:00:00Z'), at('2026-03-30T12:00:00Z'), 100))).toEqual([
      '2026-03-29T01:00:00.000Z',
      '2026-03-30T00:30:00.000Z',
    ]);
    // 25 October 2026: 03:00 goes back to 02:00, the tick comes at the first 02:30 (summer time).
    expect(isoOf(halfPastTwoInParis.between(at('2026-10-24T12:00:00Z'), at('2026-10-26T12:00:00Z'), 100))).toEqual([
      '2026-10-25T00:30:00.000Z',
      '2026-10-26T01:30:00.000Z',
    ]);
  });

  it('ticks every real hour of the night the clocks go back, the repeated one included', () => {
    // New York: 1 November 2026, 02:00 EDT goes back to 01:00 EST.
    const hourlyInNewYork = new CronSchedule('0 * * * *', 'America/New_York');
    expect(isoOf(hourlyInNewYork.between(at('2026-11-01T04:30:00Z'), at('2026-11-01T08:30:00Z'), 100))).toEqual([
      '2026-11-01T05:00:00.000Z', // 01:00 EDT
      '2026-11-01T06:00:00.000Z', // 01:00 EST
      '2026-11-01T07:00:00.000Z', // 02:00 EST
      '2026-11-01T08:00:00.000Z', // 03:00 EST
    ]);
  });
});
