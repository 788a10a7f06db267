import { Inject, Injectable, Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { ResolvedDataQueueOptions } from './data-queue-options.js';
import { DATA_QUEUE_OPTIONS } from './data-queue.constants.js';
import type { MaintenanceTask } from './maintenance-task.js';

/**
 * Runs this process's periodic tasks, each on an interval in @nestjs/schedule's registry (where
 * the cron ticks are timeouts). Features above the worker `register` their task at module init;
 * `WorkerRuntime` schedules its own (heartbeat, poll, crash reaper), each when its time comes,
 * `start`s the registered ones with its pools (`async` mode) and `stop`s all at shutdown. Tasks
 * of every mode (the event subscriptions' refreshes) are `schedule`d directly.
 * Intervals are unref'd: they never keep the process alive. A run never overlaps the previous one
 * of its task, and a failure (the database briefly away) is logged; the next tick runs as usual.
 */
@Injectable()
export class MaintenanceScheduler {
  private readonly logger = new Logger('DataQueue');
  private readonly registered: MaintenanceTask[] = [];
  private readonly names = new Set<string>();
  private readonly inFlight = new Set<Promise<void>>();
  private stopping = new AbortController();
  private started = false;

  constructor(
    @Inject(DATA_QUEUE_OPTIONS) private readonly options: ResolvedDataQueueOptions,
    private readonly registry: SchedulerRegistry,
  ) {}

  /** A feature's task: runs from `start()` (at once if already started) until `stop()`. */
  register(task: MaintenanceTask): void {
    this.registered.push(task);
    if (this.started) this.schedule(task);
  }

  /** Starts the registered tasks. */
  start(): void {
    this.started = true;
    if (this.stopping.signal.aborted) this.stopping = new AbortController();
    this.registered.forEach((task) => this.schedule(task));
  }

  /** Runs `task` every `intervalMs` from now until `stop()`; a task with no interval never runs. */
  schedule(task: MaintenanceTask): void {
    if (task.intervalMs === null) return;
    const name = this.intervalName(task.name);
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      const run = this.runOnce(task).finally(() => {
        running = false;
        this.inFlight.delete(run);
      });
      this.inFlight.add(run);
    }, task.intervalMs);
    timer.unref();
    this.registry.addInterval(name, timer);
    this.names.add(name);
  }

  /** Stops one task `schedule`d earlier (a feature that ends before the worker does). */
  unschedule(taskName: string): void {
    const name = this.intervalName(taskName);
    if (this.registry.doesExist('interval', name)) this.registry.deleteInterval(name);
    this.names.delete(name);
  }

  /**
   * Clears every interval this scheduler added, and resolves once the runs in flight have ended
   * (they see their signal aborted), so none uses the pool after it closes. The registry may have
   * cleared the intervals already: @nestjs/schedule deletes every registered interval at
   * shutdown, possibly before our hook.
   */
  async stop(): Promise<void> {
    this.started = false;
    for (const name of this.names) if (this.registry.doesExist('interval', name)) this.registry.deleteInterval(name);
    this.names.clear();
    this.stopping.abort();
    await Promise.all(this.inFlight);
  }

  private intervalName(taskName: string): string {
    return `dataqueue:${this.options.schema}:${taskName}`;
  }

  private async runOnce(task: MaintenanceTask): Promise<void> {
    try {
      await task.run(this.stopping.signal);
    } catch (error) {
      this.logger.warn(`periodic task "${task.name}" failed: ${String(error)}`);
    }
  }
}
