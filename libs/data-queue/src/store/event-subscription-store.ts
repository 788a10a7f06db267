import type { Channels } from './notifier.js';
import type { SqlExecutor } from './sql/executor.js';
import {
  liveEventSubscriptionsSql,
  publishEventsSql,
  removeEventSubscriptionSql,
  saveEventSubscriptionSql,
} from './sql/event-subscriptions.sql.js';

export interface EventSubscriptionRow {
  events: string[];
  /** null: every job type. */
  job_types: string[] | null;
}

export function eventSubscriptionStatements(s: string) {
  return {
    save: saveEventSubscriptionSql(s),
    remove: removeEventSubscriptionSql(s),
    live: liveEventSubscriptionsSql(s),
  };
}

/** The cross-process event registry (see sql/event-subscriptions.sql.ts) and the events channel. */
export class EventSubscriptionStore {
  constructor(
    private readonly db: SqlExecutor,
    private readonly sql: ReturnType<typeof eventSubscriptionStatements>,
    private readonly channels: Channels,
  ) {}

  async save(subscriber: string, subscription: EventSubscriptionRow): Promise<void> {
    await this.db.rows(this.sql.save, [subscriber, subscription.events, subscription.job_types, this.channels.subscriptions]);
  }

  async remove(subscriber: string): Promise<void> {
    await this.db.rows(this.sql.remove, [subscriber, this.channels.subscriptions]);
  }

  /** Subscriptions refreshed within `freshMs`. */
  async live(freshMs: number): Promise<EventSubscriptionRow[]> {
    return this.db.rows<EventSubscriptionRow>(this.sql.live, [freshMs]);
  }

  async publish(messages: string[]): Promise<void> {
    await this.db.rows(publishEventsSql, [this.channels.events, messages]);
  }
}
