import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { HandlerRegistry } from '../../handlers/handler-registry.js';
import { DATA_QUEUE_OPTIONS } from '../../module/data-queue.constants.js';
import type { ResolvedDataQueueOptions } from '../../module/data-queue-options.js';
import { resolveCronEntries, type ResolvedCronEntry } from './cron-definitions.js';
import { CronService } from './cron.service.js';

/** Most ticks a catch-up enqueues per entry, so a per-second schedule cannot flood the queue. */
const CATCH_UP_LIMIT = 100;

/**
 * Ticks this app's cron entries through @nestjs/schedule. Every process may do so: the
 * database keeps one job per (entry, tick). At boot it declares the entries and enqueues the
 * ticks missed within `cronCatchUpMs` (once each, whoever gets there first).
 */
@Injectable()
export class CronScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('DataQueue');
  private readonly names: string[] = [];

  constructor(
    @Inject(DATA_QUEUE_OPTIONS) private readonly options: ResolvedDataQueueOptions,
    private readonly handlers: HandlerRegistry,
    private readonly cron: CronService,
    private readonly scheduler: SchedulerRegistry,
  ) {}

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
      await this.catchUp(entry);
      this.start(entry);
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    for (const name of this.names.splice(0)) {
      await this.scheduler.getCronJob(name).stop();
      this.scheduler.deleteCronJob(name);
    }
  }

  private async catchUp(entry: ResolvedCronEntry): Promise<void> {
    const { lastRunAt } = await this.cron.get(entry.key);
    const now = new Date();
    const windowStart = new Date(now.getTime() - this.options.cronCatchUpMs);
    const after = lastRunAt && lastRunAt > windowStart ? lastRunAt : windowStart;
    for (const tick of entry.schedule.between(after, now, CATCH_UP_LIMIT)) await this.cron.enqueueTick(entry.key, tick);
  }

  /** The tick a job runs for is the scheduled instant (not when the timer fired), so every process agrees. */
  private start(entry: ResolvedCronEntry): void {
    let due = entry.schedule.next(new Date());
    const job = CronJob.from({
      cronTime: entry.schedule.expression,
      timeZone: entry.schedule.timezone,
      start: true,
      onTick: async () => {
        const tick = due;
        due = entry.schedule.next(tick);
        try {
          await this.cron.enqueueTick(entry.key, tick);
        } catch (error) {
          this.logger.warn(`cron "${entry.key}": enqueue of the ${tick.toISOString()} tick failed: ${String(error)}`);
        }
      },
    });
    const name = `dataqueue:${this.options.schema}:${entry.key}`;
    this.scheduler.addCronJob(name, job);
    this.names.push(name);
  }
}
