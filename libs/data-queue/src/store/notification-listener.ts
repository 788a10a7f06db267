import { Logger } from '@nestjs/common';
import pg from 'pg';
import type { PoolConfig } from 'pg';
import { quoteIdent } from './sql/identifiers.js';

/** What to do with each channel's notifications (by channel name), and after a reconnect. */
export interface NotificationHandlers {
  channels: Record<string, (payload: string) => void>;
  /** After a (re)connect: notifications may have been missed meanwhile. */
  onReconnect(): void;
}

/**
 * Holds the session-level connection LISTEN needs (pooled connections cannot keep a LISTEN) for
 * some channels, and reconnects with backoff when Postgres or the network drops it.
 */
export class NotificationListener {
  private readonly logger = new Logger('DataQueue');
  private client: pg.Client | null = null;
  private closed = false;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: PoolConfig,
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
      for (const channel of Object.keys(this.handlers.channels)) await client.query(`LISTEN ${quoteIdent(channel)}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      this.scheduleReconnect(error);
      return;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    client.on('notification', ({ channel, payload = '' }) => this.handlers.channels[channel]?.(payload));
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
