import { Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { hostname } from 'node:os';
import { JobEventBus } from '../core/job-event-bus.js';
import { MaintenanceScheduler } from '../core/maintenance-scheduler.js';
import type { JobEvent, JobEventName } from '../core/job-events.js';
import { subscribesTo, type QueueEvent, type QueueEventSubscription } from '../core/queue-events.js';
import { QueueDatabase } from '../store/queue-database.js';
import { packMessages, toQueueEvent } from './queue-event-messages.js';
import { SUBSCRIPTION_LIFETIME_MS } from './queue-event-subscriber.js';

/**
 * How often a process re-reads who subscribes. Listening workers also re-read at once when a
 * subscriber appears (NOTIFY), so this bounds the delay only for the other processes.
 */
const SUBSCRIPTIONS_REFRESH_MS = 5_000;
const REFRESH_TASK = 'event-subscriptions-read';

/**
 * Publishes this process's job events for `@OnQueueEvent` subscribers of every process: after
 * the commit, as the events are emitted, batched into as few NOTIFYs as the flow allows, and only
 * the events some live subscription asks for (none: nothing is sent).
 */
@Injectable()
export class QueueEventPublisher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('DataQueue');
  private readonly by = `${hostname()}:${process.pid}`;
  private subscriptions: QueueEventSubscription[] = [];
  private pending: QueueEvent[] = [];
  private sending: Promise<void> = Promise.resolve();
  private sendScheduled = false;

  constructor(
    private readonly database: QueueDatabase,
    private readonly maintenance: MaintenanceScheduler,
    events: JobEventBus,
  ) {
    events.forward((event) => this.offer(event));
    // The last events of a shutdown (the running jobs' ends) go out before the pool closes.
    database.beforeClose(() => this.flush());
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.refresh();
    this.maintenance.schedule({ name: REFRESH_TASK, intervalMs: SUBSCRIPTIONS_REFRESH_MS, run: () => this.refresh() });
  }

  beforeApplicationShutdown(): void {
    this.maintenance.unschedule(REFRESH_TASK);
  }

  /** Reads the live subscriptions again (at once when a listening worker hears of a new one). */
  async refresh(): Promise<void> {
    const rows = await this.database.store.eventSubscriptions.live(SUBSCRIPTION_LIFETIME_MS);
    this.subscriptions = rows.map((row) => ({ events: row.events as JobEventName[], jobTypes: row.job_types }));
  }

  /** Sends what is pending, after any send under way. */
  flush(): Promise<void> {
    this.sending = this.sending.then(() => this.send());
    return this.sending;
  }

  private offer(event: JobEvent): void {
    if (!this.subscriptions.some((subscription) => subscribesTo(subscription, event.event, event.job.jobType))) return;
    this.pending.push(toQueueEvent(event, this.by));
    if (this.sendScheduled) return;
    // Events emitted in the same turn (a flush of completions) share the messages.
    this.sendScheduled = true;
    setImmediate(() => {
      this.sendScheduled = false;
      void this.flush();
    });
  }

  /** At most once: a send that fails is logged, not retried (the subscribers were told so). */
  private async send(): Promise<void> {
    const events = this.pending;
    if (events.length === 0) return;
    this.pending = [];
    try {
      await this.database.store.eventSubscriptions.publish(packMessages(events));
    } catch (error) {
      this.logger.warn(`${events.length} job event(s) for @OnQueueEvent subscribers were lost: ${String(error)}`);
    }
  }
}
