import type { DataSource } from 'typeorm';
import type { CronEntryDefinition } from './cron-entry.js';

export type DataQueueMode = 'async' | 'external' | 'inline';

export interface DataQueueModuleOptions {
  /** postgres://… ; default `process.env.DATABASE_URL`. Ignored when `dataSource` is given. */
  url?: string;
  /** Reuse the app's (postgres) TypeORM DataSource and its pool. */
  dataSource?: DataSource;
  /**
   * A connection that bypasses your pooler (PgBouncer in transaction mode), for the one
   * session-level connection DataQueue holds: LISTEN. Default: the pool's connection settings.
   */
  directUrl?: string;
  /** Wake workers at once through LISTEN/NOTIFY, default true; false polls only, every `pollIntervalMs`. */
  listen?: boolean;
  /**
   * Named prepared statements on the hot path, default true. Set false behind a pooler that
   * cannot keep them (PgBouncer in transaction mode before 1.21).
   */
  preparedStatements?: boolean;
  /** Schema of the queue's tables, default `data_queue`. */
  schema?: string;
  /** Apply DataQueue's migrations at boot, default true. */
  autoMigrate?: boolean;
  /** `async`: workers in this process (default); `external`: enqueue only; `inline`: run during enqueue. */
  mode?: DataQueueMode;
  /** Worker pools, e.g. `'mail:2;*:5'` (default `'*:5'`). */
  queues?: string;
  /** Fallback poll when no NOTIFY arrives, default 1000 ms. */
  pollIntervalMs?: number;
  /** How long shutdown waits for running jobs before handing them back, default 10,000 ms. */
  shutdownTimeoutMs?: number;
  /** Worker heartbeat period, default 5,000 ms. */
  heartbeatIntervalMs?: number;
  /** A worker silent this long is presumed dead and its jobs are returned, default 30,000 ms. */
  workerTimeoutMs?: number;
  /** How often (and after how much idleness) batch counters are checked against their jobs, default 60,000 ms. */
  batchReconcileIntervalMs?: number;
  /** Recurring jobs (handlers can declare theirs with `@JobHandler(type, { cron })`). */
  cron?: CronEntryDefinition[];
  /** After downtime, ticks missed within this window are enqueued once each, default 600,000 ms. */
  cronCatchUpMs?: number;
  /** Tick cron entries in this process, default true except in `inline` mode. */
  runCron?: boolean;
  /** Deletion of old finished jobs and batches; `false` keeps everything. */
  retention?: RetentionOptions | false;
  /** Largest payload `enqueue` accepts, in bytes of JSON, default 1 MiB. */
  maxPayloadBytes?: number;
  /** Pool size of the DataSource DataQueue opens from `url`, default 10. */
  poolSize?: number;
  /** Attempts of jobs whose handler and enqueue call name none, default 3. */
  defaultMaxAttempts?: number;
  /** Retry delays of handlers that set no `backoff`. */
  defaultBackoff?: BackoffOptions;
  /**
   * Reject `enqueue` of job types with no `@JobHandler` in this app, default true. Set false in an
   * enqueue-only app whose handlers live in separate worker processes.
   */
  strictJobTypes?: boolean;
}

/** Options after validation, with every default filled in. */
export interface ResolvedDataQueueOptions {
  url: string | undefined;
  dataSource: DataSource | undefined;
  directUrl: string | undefined;
  listen: boolean;
  preparedStatements: boolean;
  schema: string;
  autoMigrate: boolean;
  mode: DataQueueMode;
  queues: string;
  pollIntervalMs: number;
  shutdownTimeoutMs: number;
  heartbeatIntervalMs: number;
  workerTimeoutMs: number;
  batchReconcileIntervalMs: number;
  cron: CronEntryDefinition[];
  cronCatchUpMs: number;
  runCron: boolean;
  retention: Required<RetentionOptions> & { enabled: boolean };
  maxPayloadBytes: number;
  poolSize: number;
  defaultMaxAttempts: number;
  defaultBackoff: Required<BackoffOptions>;
  strictJobTypes: boolean;
}

/** Retry delays: a handler's `backoff`, and the module's `defaultBackoff` for handlers that set none. */
export interface BackoffOptions {
  /** Delay before the first retry, default 1000 ms. */
  baseMs?: number;
  /** Multiplier per further attempt, default 2 (1 = fixed delay). */
  factor?: number;
  /** Upper bound of a delay, default 1 hour. */
  maxMs?: number;
  /** Random spread as a fraction of the delay, 0..1, default 0.2 (±20 %). */
  jitter?: number;
}

export const DEFAULT_BACKOFF: Required<BackoffOptions> = { baseMs: 1000, factor: 2, maxMs: 3_600_000, jitter: 0.2 };

export interface RetentionOptions {
  /** Completed jobs (and finished batches) are deleted this long after they finished, default 14 days. */
  completedAfterMs?: number;
  /** Jobs that failed for good, default 30 days. */
  failedAfterMs?: number;
  /** Cancelled jobs, default 14 days. */
  cancelledAfterMs?: number;
  /** How often a cleaning pass runs (in one process at a time), default 60,000 ms. */
  intervalMs?: number;
  /** Rows per delete statement, default 500. */
  batchSize?: number;
}

const DAY = 86_400_000;
export const DEFAULT_RETENTION: Required<RetentionOptions> = {
  completedAfterMs: 14 * DAY,
  failedAfterMs: 30 * DAY,
  cancelledAfterMs: 14 * DAY,
  intervalMs: 60_000,
  batchSize: 500,
};
