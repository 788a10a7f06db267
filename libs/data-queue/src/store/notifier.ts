import type { SqlExecutor } from './sql/executor.js';
import { notifySql } from './sql/manage-jobs.sql.js';

/**
 * NOTIFY channels of one schema: wake-ups (payload: queue names), cancellations (payload: job
 * id), cron entry changes (payload: the entry's key), job events for `@OnQueueEvent` (payload:
 * see queue-event-messages.ts) and changes of who subscribes to them.
 */
export interface Channels {
  wake: string;
  cancel: string;
  cron: string;
  events: string;
  subscriptions: string;
}

export function channelsOf(schema: string): Channels {
  return {
    wake: `${schema}_wake`,
    cancel: `${schema}_cancel`,
    cron: `${schema}_cron`,
    events: `${schema}_events`,
    subscriptions: `${schema}_subscriptions`,
  };
}

/** Sends this schema's notifications on one connection: inside a transaction, Postgres delivers them on commit. */
export class Notifier {
  constructor(
    private readonly db: SqlExecutor,
    readonly channels: Channels,
  ) {}

  /** Wakes idle workers of these queues. */
  async wake(queues: string[]): Promise<void> {
    if (queues.length > 0) await this.notify(this.channels.wake, [...new Set(queues)].join(','));
  }

  /** Tells every process to abort these jobs if it runs them. */
  async announceCancelled(jobIds: string[]): Promise<void> {
    for (const id of jobIds) await this.notify(this.channels.cancel, id);
  }

  private async notify(channel: string, payload: string): Promise<void> {
    await this.db.rows(notifySql, [channel, payload]);
  }
}
