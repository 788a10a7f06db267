import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { ResolvedDataQueueOptions } from '../../core/data-queue-options.js';
import { DATA_QUEUE_OPTIONS } from '../../core/data-queue.constants.js';
import { HandlerRegistry } from '../../handlers/handler-registry.js';
import { QueueDatabase } from '../../store/queue-database.js';
import { resolveCronEntries, type ResolvedCronEntry } from './cron-definitions.js';
import { CronService } from './cron.service.js';
import { DatabaseClock } from './database-clock.js';

/** Most ticks a catch-up enqueues per entry, so a per-second schedule cannot flood the queue. */
const CATCH_UP_LIMIT = 100;

/** Longest timer: a far tick is re-aimed after this, with the clock offset measured again. */
const MAX_TIMER_MS = 60_000;

/**
 * Ticks this app's cron entries on the database's clock (timeouts in @nestjs/schedule's
 * registry). Every process may do so: the database keeps one job per (entry, tick). At boot it
 * declares the entries and enqueues the ticks missed within `cronCatchUpMs` (once each, whoever
 * gets there first).
 */
@Injectable()
export class CronScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('DataQueue');
  private readonly names = new Set<string>();
  private readonly clock: DatabaseClock;
  private stopped = false;

  constructor(
    @Inject(DATA_QUEUE_OPTIONS) private readonly options: ResolvedDataQueueOptions,
    private readonly handlers: HandlerRegistry,
    private readonly cron: CronService,
    private readonly scheduler: SchedulerRegistry,
    database: QueueDatabase,
  ) {
    this.clock = new DatabaseClock(database.store.cron);
  }

  async onApplicationBootstrap(): Promise<void> {
    const entries = resolveCronEntries(this.options.cron, this.handlers.all());
    if (!this.options.runCron) return;
    for (const entry of entries) {
      await this.cron.declare({
        key: entry.key,
        schedule: entry.schedule.expression,
        timezone: entry.schedule.timezone,
        jobType: entry.jobType,
        payload: entry.payload,
        options: entry.options,
      });
      const caughtUpTo = await this.catchUp(entry);
      this.schedule(entry, entry.schedule.next(caughtUpTo), await this.clock.now());
    }
  }

  beforeApplicationShutdown(): void {
    this.stopped = true;
    for (const name of this.names) this.clearTimer(name);
    this.names.clear();
  }

  /** Returns the database time it caught up to. */
  private async catchUp(entry: ResolvedCronEntry): Promise<Date> {
    const { lastRunAt, createdAt } = await this.cron.get(entry.key);
    const now = await this.clock.now();
    const windowStart = new Date(now.getTime() - this.options.cronCatchUpMs);
    // A new entry has missed nothing: its first tick is the next one.
    const ranUpTo = lastRunAt ?? createdAt;
    const after = ranUpTo > windowStart ? ranUpTo : windowStart;
    for (const tick of entry.schedule.between(after, now, CATCH_UP_LIMIT)) await this.cron.enqueueTick(entry.key, tick);
    return now;
  }

  /**
   * Enqueues `due` once the database's clock reaches it, then aims at the next tick. The job is
   * for the scheduled instant (not when the timer fired), so every process agrees. A tick more
   * than `cronCatchUpMs` late (a stalled process) is skipped like one missed in downtime.
   */
  private schedule(entry: ResolvedCronEntry, due: Date, now: Date): void {
    if (this.stopped) return;
    const waitMs = due.getTime() - now.getTime();
    const name = `dataqueue:${this.options.schema}:${entry.key}`;
    this.clearTimer(name);
    this.names.add(name);
    const timer = setTimeout(() => void this.fire(entry, due), Math.min(Math.max(waitMs, 0), MAX_TIMER_MS));
    this.scheduler.addTimeout(name, timer);
  }

  /**
   * The registry may have dropped the timer already: @nestjs/schedule clears every registered
   * timeout at shutdown, possibly before this scheduler's own hook, while a tick is in flight.
   */
  private clearTimer(name: string): void {
    if (this.scheduler.doesExist('timeout', name)) this.scheduler.deleteTimeout(name);
  }

  private async fire(entry: ResolvedCronEntry, due: Date): Promise<void> {
    const now = await this.clock.now();
    if (this.stopped) return;
    if (now < due) return this.schedule(entry, due, now);
    if (now.getTime() - due.getTime() > this.options.cronCatchUpMs) return this.schedule(entry, entry.schedule.next(now), now);
    try {
      await this.cron.enqueueTick(entry.key, due);
    } catch (error) {
      this.logger.warn(`cron "${entry.key}": enqueue of the ${due.toISOString()} tick failed: ${String(error)}`);
    }
    this.schedule(entry, entry.schedule.next(due), await this.clock.now());
  }
}
