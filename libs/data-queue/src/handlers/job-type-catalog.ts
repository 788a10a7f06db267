import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { ResolvedDataQueueOptions } from '../core/data-queue-options.js';
import { DATA_QUEUE_OPTIONS } from '../core/data-queue.constants.js';
import { QueueDatabase } from '../store/queue-database.js';
import { createWorkerInfo } from '../store/worker-identity.js';
import { HandlerRegistry, type RegisteredHandler } from './handler-registry.js';
import { settingsOfHandler, toPublished, type JobTypeSettings } from './job-type-settings.js';

/** How long a producer trusts settings it read; a worker deploy that changes them reaches it within this. */
const PUBLISHED_TTL_MS = 5000;

/**
 * Where a job type's settings come from. At boot, an app publishes the settings of every
 * `@JobHandler` it declares to `<schema>.job_types`. At enqueue, a type this app handles uses its
 * own declaration; any other type uses the last one published by an app that handles it.
 */
@Injectable()
export class JobTypeCatalog implements OnApplicationBootstrap {
  private readonly local = new Map<string, JobTypeSettings>();
  private readonly published = new Map<string, { settings: JobTypeSettings; readAt: number }>();
  private readonly reading = new Map<string, Promise<void>>();

  constructor(
    private readonly registry: HandlerRegistry,
    private readonly database: QueueDatabase,
    @Inject(DATA_QUEUE_OPTIONS) private readonly options: ResolvedDataQueueOptions,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const handlers = this.registry.all();
    if (handlers.length === 0) return;
    const settings = handlers.map((handler) => JSON.stringify(toPublished(this.ofHandler(handler))));
    await this.database.store.jobTypes.publish(
      handlers.map((h) => h.jobType),
      settings,
      createWorkerInfo('publish').id,
    );
  }

  /** Makes `get` current for `jobTypes`: reads what it does not hold, or held longer than the TTL. */
  async load(jobTypes: string[]): Promise<void> {
    const now = Date.now();
    const due = [...new Set(jobTypes)].filter(
      (jobType) => !this.registry.get(jobType) && !((this.published.get(jobType)?.readAt ?? -Infinity) > now - PUBLISHED_TTL_MS),
    );
    const unread = due.filter((jobType) => !this.reading.has(jobType));
    if (unread.length > 0) {
      const read = this.read(unread, now).finally(() => unread.forEach((jobType) => this.reading.delete(jobType)));
      unread.forEach((jobType) => this.reading.set(jobType, read));
    }
    await Promise.all(due.map((jobType) => this.reading.get(jobType)!));
  }

  /** The settings a new job of `jobType` gets; undefined when neither declared here nor published (after `load`). */
  get(jobType: string): JobTypeSettings | undefined {
    const handler = this.registry.get(jobType);
    return handler ? this.ofHandler(handler) : this.published.get(jobType)?.settings;
  }

  private async read(jobTypes: string[], now: number): Promise<void> {
    const rows = await this.database.store.jobTypes.read(jobTypes);
    for (const row of rows) this.published.set(row.job_type, { settings: row.settings as JobTypeSettings, readAt: now });
  }

  private ofHandler(handler: RegisteredHandler): JobTypeSettings {
    let settings = this.local.get(handler.jobType);
    if (!settings) this.local.set(handler.jobType, (settings = settingsOfHandler(handler, this.options)));
    return settings;
  }
}
