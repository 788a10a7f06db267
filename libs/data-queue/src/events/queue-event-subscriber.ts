import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { ResolvedDataQueueOptions } from '../core/data-queue-options.js';
import { DATA_QUEUE_OPTIONS } from '../core/data-queue.constants.js';
import { QueueEventSubscriptionInvalidError } from '../core/data-queue.errors.js';
import { MaintenanceScheduler } from '../core/maintenance-scheduler.js';
import { decoratedMethods, type DecoratedMethod } from '../core/decorated-methods.js';
import { callListeners } from '../core/listener-calls.js';
import { JOB_EVENT_NAMES } from '../core/job-events.js';
import { OnQueueEventDiscovery, subscribesTo, type QueueEvent, type QueueEventSubscription } from '../core/queue-events.js';
import { NotificationListener } from '../store/notification-listener.js';
import { QueueDatabase } from '../store/queue-database.js';
import { unpackMessage } from './queue-event-messages.js';

/** How often a subscribing process says it still lives. */
const SUBSCRIPTION_REFRESH_MS = 30_000;
/** Publishers stop sending for a subscription not refreshed for this long (its process died). */
export const SUBSCRIPTION_LIFETIME_MS = 3 * SUBSCRIPTION_REFRESH_MS;
const REFRESH_TASK = 'event-subscription-refresh';

/**
 * Delivers job events of every process to this app's `@OnQueueEvent` methods. With any such
 * method, the process holds a LISTEN connection on the events channel and a row in
 * `event_subscriptions` saying which events it wants; publishers read that row. It listens
 * before it registers, so whatever is published for it once registered reaches it.
 */
@Injectable()
export class QueueEventSubscriber implements OnModuleInit, OnApplicationBootstrap {
  private readonly logger = new Logger('DataQueue');
  private readonly id = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private methods: DecoratedMethod<QueueEventSubscription>[] = [];
  private listener: NotificationListener | null = null;

  constructor(
    @Inject(DATA_QUEUE_OPTIONS) private readonly options: ResolvedDataQueueOptions,
    private readonly database: QueueDatabase,
    private readonly maintenance: MaintenanceScheduler,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
  ) {}

  onModuleInit(): void {
    const found = decoratedMethods(this.discovery, this.scanner, OnQueueEventDiscovery);
    found.forEach(checkSubscription);
    this.methods = found.map((method) => ({ ...method, name: `@OnQueueEvent listener ${method.name}` }));
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.methods.length === 0) return;
    this.listener = new NotificationListener(
      this.database.connectionConfig,
      {
        channels: { [this.database.store.channels.events]: (payload) => this.deliver(payload) },
        onReconnect: () => void this.register(),
      },
      `dataqueue-events:${this.options.schema}`,
    );
    await this.listener.start();
    await this.register();
    this.maintenance.schedule({ name: REFRESH_TASK, intervalMs: SUBSCRIPTION_REFRESH_MS, run: () => this.register() });
    // Until the pool closes: the process's own last events (its running jobs' ends) still arrive.
    this.database.beforeClose(() => this.stop());
  }

  private async stop(): Promise<void> {
    this.maintenance.unschedule(REFRESH_TASK);
    await this.listener?.stop();
    await this.database.store.eventSubscriptions.remove(this.id).catch(() => undefined);
  }

  /** One row for the process: the union of what its methods ask for. */
  private async register(): Promise<void> {
    const events = [...new Set(this.methods.flatMap(({ metadata }) => metadata.events))];
    const everyType = this.methods.some(({ metadata }) => metadata.jobTypes === null);
    const jobTypes = everyType ? null : [...new Set(this.methods.flatMap(({ metadata }) => metadata.jobTypes ?? []))];
    try {
      await this.database.store.eventSubscriptions.save(this.id, { events, job_types: jobTypes });
    } catch (error) {
      this.logger.warn(`registering the @OnQueueEvent subscription failed (events may be missed): ${String(error)}`);
    }
  }

  private deliver(payload: string): void {
    let events: QueueEvent[];
    try {
      events = unpackMessage(payload);
    } catch (error) {
      this.logger.warn(`an unreadable job event message was ignored: ${String(error)}`);
      return;
    }
    for (const event of events) {
      const methods = this.methods.filter(({ metadata }) => subscribesTo(metadata, event.event, event.jobType));
      if (methods.length > 0) callListeners(this.logger, methods, event, `${event.event} of job ${event.jobId}`);
    }
  }
}

function checkSubscription({ name, metadata: { events, jobTypes } }: DecoratedMethod<QueueEventSubscription>): void {
  if (events.length === 0) throw new QueueEventSubscriptionInvalidError(name, `name at least one event (${JOB_EVENT_NAMES.join(', ')})`);
  const unknown = events.find((event) => !JOB_EVENT_NAMES.includes(event));
  if (unknown !== undefined) {
    throw new QueueEventSubscriptionInvalidError(name, `${JSON.stringify(unknown)} is not a job event (${JOB_EVENT_NAMES.join(', ')})`);
  }
  if (
    jobTypes !== null &&
    (!Array.isArray(jobTypes) || jobTypes.length === 0 || jobTypes.some((type) => typeof type !== 'string' || type.length === 0))
  ) {
    throw new QueueEventSubscriptionInvalidError(name, 'jobTypes must be a non-empty array of job type names');
  }
}
