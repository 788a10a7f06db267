import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { MaintenanceScheduler } from '../../core/maintenance-scheduler.js';
import type { CronEntryRecord } from '../../core/cron-entry.js';
import type { ResolvedDataQueueOptions } from '../../core/data-queue-options.js';
import { DATA_QUEUE_OPTIONS } from '../../core/data-queue.constants.js';
import { HandlerRegistry } from '../../handlers/handler-registry.js';
import { QueueDatabase } from '../../store/queue-database.js';
import { WorkerRuntime } from '../../worker/worker-runtime.js';
import { resolveCronEntries } from './cron-definitions.js';
import { CronSchedule } from './cron-schedule.js';
import { CronService } from './cron.service.js';
import { DatabaseClock } from './database-clock.js';

/** Most ticks a catch-up enqueues per entry, so a per-second schedule cannot flood the queue. */
const CATCH_UP_LIMIT = 100;

/** Longest timer: a far tick is re-aimed after this, with the clock offset measured again. */
const MAX_TIMER_MS = 60_000;

/** The entries are read again this often, in case a change's NOTIFY was missed or this process does not LISTEN. */
const RELOAD_INTERVAL_MS = 10_000;
const RELOAD_TASK = 'cron-reload';

/** An entry this process ticks, as read from the table; `schedule` null: one this version cannot read. */
interface TickingEntry {
  key: string;
  schedule: CronSchedule | null;
  /** What, when it changes, restarts the ticking: the schedule, its zone, since when it applies. */
  version: string;
}

/**
 * Ticks cron entries on the database's clock (timeouts in @nestjs/schedule's registry): every
 * runtime entry (`upsertCron`, from any process), and the entries this app declares in code.
 * Every process may do so: the database keeps one job per (entry, tick). It reads the table at
 * boot, whenever an entry changes (NOTIFY on the cron channel, heard by the worker's LISTEN) and
 * every RELOAD_INTERVAL_MS; each new or changed entry first enqueues the ticks it missed within
 * `cronCatchUpMs`, never before its `scheduledSince` (once each, whoever gets there first).
 */
@Injectable()
export class CronScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('DataQueue');
  private readonly clock: DatabaseClock;
  private readonly ticking = new Map<string, TickingEntry>();
  /** Keys this app declares in code: a code entry is ticked by the apps that declare it. */
  private readonly declared = new Set<string>();
  private reloading: Promise<void> | null = null;
  private reloadAgain = false;
  private stopped = false;

  constructor(
    @Inject(DATA_QUEUE_OPTIONS) private readonly options: ResolvedDataQueueOptions,
    private readonly handlers: HandlerRegistry,
    private readonly cron: CronService,
    private readonly scheduler: SchedulerRegistry,
    private readonly maintenance: MaintenanceScheduler,
    private readonly runtime: WorkerRuntime,
    database: QueueDatabase,
  ) {
    this.clock = new DatabaseClock(database.store.cron);
  }

  async onApplicationBootstrap(): Promise<void> {
    const entries = resolveCronEntries(this.options.cron, this.handlers.all());
    if (!this.options.runCron) return;
    for (const entry of entries) {
      await this.cron.declare(entry);
      this.declared.add(entry.key);
    }
    this.runtime.whenCronChanges(() => this.requestReload());
    this.maintenance.schedule({ name: RELOAD_TASK, intervalMs: RELOAD_INTERVAL_MS, run: async () => this.requestReload() });
    this.requestReload();
    await this.reloading;
  }

  /** Waits for a reload in flight (it stops at its next entry), so none queries a closing pool. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.maintenance.unschedule(RELOAD_TASK);
    for (const key of this.ticking.keys()) this.clearTimer(this.timerName(key));
    this.ticking.clear();
    await this.reloading;
  }

  /** One reload at a time; a request during one runs another after it (the change may have come too late for it). */
  private requestReload(): void {
    if (this.stopped) return;
    if (this.reloading) {
      this.reloadAgain = true;
      return;
    }
    this.reloading = this.reload()
      .catch((error) => this.logger.warn(`cron: reading the entries failed: ${String(error)}`))
      .finally(() => {
        this.reloading = null;
        if (!this.reloadAgain) return;
        this.reloadAgain = false;
        this.requestReload();
      });
  }

  /** Starts ticking new and changed entries (after their catch-up), stops ticking removed and disabled ones. */
  private async reload(): Promise<void> {
    const due = (await this.cron.list()).filter(
      (record) => record.enabled && (record.source === 'runtime' || this.declared.has(record.key)),
    );
    const keys = new Set(due.map((record) => record.key));
    for (const key of [...this.ticking.keys()].filter((key) => !keys.has(key))) {
      this.ticking.delete(key);
      this.clearTimer(this.timerName(key));
    }
    for (const record of due) {
      if (this.stopped) return;
      const version = `${record.schedule}|${record.timezone}|${record.scheduledSince.toISOString()}`;
      if (this.ticking.get(record.key)?.version === version) continue;
      const entry: TickingEntry = { key: record.key, schedule: this.scheduleOf(record), version };
      this.ticking.set(record.key, entry);
      this.clearTimer(this.timerName(record.key));
      if (!entry.schedule) continue;
      const caughtUpTo = await this.catchUp(entry.schedule, record);
      this.schedule(entry, entry.schedule.next(caughtUpTo), await this.clock.now());
    }
  }

  private scheduleOf(record: CronEntryRecord): CronSchedule | null {
    try {
      return new CronSchedule(record.schedule, record.timezone);
    } catch (error) {
      // Written by another version of the app: that version ticks it.
      this.logger.warn(`cron "${record.key}": not ticked by this process: ${(error as Error).message}`);
      return null;
    }
  }

  /** Returns the database time it caught up to. */
  private async catchUp(schedule: CronSchedule, record: CronEntryRecord): Promise<Date> {
    const now = await this.clock.now();
    const windowStart = now.getTime() - this.options.cronCatchUpMs;
    // A new (or changed, or re-enabled) entry has missed nothing from before its schedule applied.
    const after = Math.max(record.lastRunAt?.getTime() ?? -Infinity, record.scheduledSince.getTime(), windowStart);
    for (const tick of schedule.between(new Date(after), now, CATCH_UP_LIMIT)) await this.cron.enqueueTick(record.key, tick);
    return now;
  }

  /**
   * Enqueues `due` once the database's clock reaches it, then aims at the next tick. The job is
   * for the scheduled instant (not when the timer fired), so every process agrees. A tick more
   * than `cronCatchUpMs` late (a stalled process) is skipped like one missed in downtime.
   */
  private schedule(entry: TickingEntry, due: Date, now: Date): void {
    if (this.stopped || this.ticking.get(entry.key) !== entry) return;
    const waitMs = due.getTime() - now.getTime();
    const name = this.timerName(entry.key);
    this.clearTimer(name);
    const timer = setTimeout(() => void this.fire(entry, due), Math.min(Math.max(waitMs, 0), MAX_TIMER_MS));
    this.scheduler.addTimeout(name, timer);
  }

  private async fire(entry: TickingEntry, due: Date): Promise<void> {
    const schedule = entry.schedule!;
    const now = await this.clock.now();
    // Shut down, or replaced by a reload (a change, a removal) while reading the clock.
    if (this.stopped || this.ticking.get(entry.key) !== entry) return;
    if (now < due) return this.schedule(entry, due, now);
    if (now.getTime() - due.getTime() > this.options.cronCatchUpMs) return this.schedule(entry, schedule.next(now), now);
    try {
      await this.cron.enqueueTick(entry.key, due);
    } catch (error) {
      this.logger.warn(`cron "${entry.key}": enqueue of the ${due.toISOString()} tick failed: ${String(error)}`);
    }
    this.schedule(entry, schedule.next(due), await this.clock.now());
  }

  private timerName(key: string): string {
    return `dataqueue:${this.options.schema}:${key}`;
  }

  /**
   * The registry may have dropped the timer already: @nestjs/schedule clears every registered
   * timer at shutdown, possibly before this scheduler's own hook, while a tick is in flight.
   */
  private clearTimer(name: string): void {
    if (this.scheduler.doesExist('timeout', name)) this.scheduler.deleteTimeout(name);
  }
}
