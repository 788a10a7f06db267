import { Logger } from '@nestjs/common';
import pg from 'pg';
import type { PoolConfig } from 'pg';
import { listenSql, type Channels } from '../store/notifier.js';

export interface NotificationHandlers {
  /** Queues that got runnable jobs. */
  onWake(queues: string[]): void;
  onCancel(jobId: string): void;
  /** A cron entry was created, changed or removed (by any process). */
  onCronChange(key: string): void;
  /** After a (re)connect: notifications may have been missed meanwhile. */
  onReconnect(): void;
}

/**
 * Holds the one session-level connection LISTEN needs (pooled connections cannot keep a
 * LISTEN), and reconnects with backoff when Postgres or the network drops it.
 */
export class NotificationListener {
  private readonly logger = new Logger('DataQueue');
  private client: pg.Client | null = null;
  private closed = false;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: PoolConfig,
    private readonly channels: Channels,
    private readonly handlers: NotificationHandlers,
    /** Shown in pg_stat_activity. */
    private readonly applicationName: string,
  ) {}

  get connected(): boolean {
    return this.client !== null;
  }

  async start(): Promise<void> {
    await this.connect();
  }

  async stop(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ ...this.config, application_name: this.applicationName });
    client.on('error', () => undefined); // 'end' follows and schedules the reconnect
    try {
      await client.connect();
      for (const sql of listenSql(this.channels)) await client.query(sql);
    } catch (error) {
      await client.end().catch(() => undefined);
      this.scheduleReconnect(error);
      return;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    client.on('notification', ({ channel, payload = '' }) => {
      if (channel === this.channels.wake) this.handlers.onWake(payload.split(','));
      else if (channel === this.channels.cancel) this.handlers.onCancel(payload);
      else if (channel === this.channels.cron) this.handlers.onCronChange(payload);
    });
    client.on('end', () => {
      if (this.client !== client) return;
      this.client = null;
      this.scheduleReconnect(new Error('connection ended'));
    });
    const reconnected = this.failures > 0;
    this.client = client;
    this.failures = 0;
    if (reconnected) this.handlers.onReconnect();
  }

  private scheduleReconnect(error: unknown): void {
    if (this.closed) return;
    this.failures++;
    const wait = Math.min(10_000, 100 * 2 ** Math.min(this.failures, 7));
    this.logger.warn(`LISTEN connection lost (${String(error)}); reconnecting in ${wait} ms`);
    this.retryTimer = setTimeout(() => void this.connect(), wait);
    this.retryTimer.unref();
  }
}
