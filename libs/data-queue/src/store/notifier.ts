import type { SqlExecutor } from './sql/executor.js';
import { notifySql } from './sql/manage-jobs.sql.js';

/**
 * NOTIFY channels of one schema: wake-ups (payload: queue names), cancellations (payload: job id)
 * and cron entry changes (payload: the entry's key).
 */
export interface Channels {
  wake: string;
  cancel: string;
  cron: string;
}

export function channelsOf(schema: string): Channels {
  return { wake: `${schema}_wake`, cancel: `${schema}_cancel`, cron: `${schema}_cron` };
}

/** What a session runs to hear the channels (NotificationListener's own connection: a pooled one cannot keep a LISTEN). */
export function listenSql(channels: Channels): string[] {
  return [`LISTEN "${channels.wake}"`, `LISTEN "${channels.cancel}"`, `LISTEN "${channels.cron}"`];
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
