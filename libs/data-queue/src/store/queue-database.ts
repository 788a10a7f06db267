import type { OnApplicationShutdown } from '@nestjs/common';
import pg from 'pg';
import type { Pool, PoolConfig } from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDataSourceOptions } from 'typeorm/driver/postgres/PostgresDataSourceOptions.js';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import type { ResolvedDataQueueOptions } from '../core/data-queue-options.js';
import { DatabaseUnavailableError, type DatabaseTarget } from '../core/data-queue.errors.js';
import { dataQueueTypes } from './fast-timestamptz.js';
import { JobTransitions, QueueStore } from './queue-store.js';
import { runMigrations } from './migrations/run-migrations.js';
import { errorCodeOf } from './sql/error-code.js';

/**
 * DataQueue's connection to Postgres: the TypeORM DataSource (the app's, or one opened from
 * `url`), its pg pool for the hot path, and the store bound to the configured schema.
 */
export class QueueDatabase implements OnApplicationShutdown {
  private readonly closeTasks: (() => Promise<void>)[] = [];

  private constructor(
    readonly dataSource: DataSource,
    readonly store: QueueStore,
    /** Subscribe here to follow every change of a job's state inside its transaction. */
    readonly transitions: JobTransitions,
    /** The schema of DataQueue's tables (validated identifier). */
    readonly schema: string,
    /** Connection settings for the dedicated LISTEN connection (`directUrl` when given). */
    readonly connectionConfig: PoolConfig,
    private readonly ownsDataSource: boolean,
  ) {}

  static async open(options: ResolvedDataQueueOptions): Promise<QueueDatabase> {
    const ownsDataSource = !options.dataSource;
    const dataSource =
      options.dataSource ??
      new DataSource({
        type: 'postgres',
        url: options.url,
        poolSize: options.poolSize,
        applicationName: `dataqueue:${options.schema}`, // who is who in pg_stat_activity
        // An unreachable server fails calls after 5 s instead of hanging them.
        connectTimeoutMS: 5000,
        // Faster timestamptz parsing, on this pool only (see dataQueueTypes); an app's own pool keeps pg's.
        extra: { types: dataQueueTypes },
      });
    if (!dataSource.isInitialized) {
      try {
        await dataSource.initialize();
      } catch (error) {
        throw asConnectError(error, dataSource.options as PostgresDataSourceOptions);
      }
    }
    try {
      if (options.autoMigrate) await runMigrations(dataSource, options.schema);
    } catch (error) {
      if (ownsDataSource) await dataSource.destroy();
      throw error;
    }
    const pool = (dataSource.driver as PostgresDriver).master as Pool & { options: PoolConfig };
    const transitions = new JobTransitions();
    const store = QueueStore.forPool(options.schema, pool, {
      prepared: options.preparedStatements,
      transitions,
      callbackMaxAttempts: options.defaultMaxAttempts,
    });
    // pg lets the URL's parts override the pool's settings; the rest (ssl, timeouts) carries over.
    const listenConfig = options.directUrl ? { ...pool.options, connectionString: options.directUrl } : pool.options;
    return new QueueDatabase(dataSource, store, transitions, options.schema, listenConfig, ownsDataSource);
  }

  /**
   * Runs `task` at shutdown while the pool is still open: after every `beforeApplicationShutdown`
   * hook (the workers have drained), before the connections close.
   */
  beforeClose(task: () => Promise<void>): void {
    this.closeTasks.push(task);
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled(this.closeTasks.map((task) => task()));
    if (this.ownsDataSource && this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}

/**
 * A first connection that failed, as a DatabaseUnavailableError naming the server, database and
 * user and what to check (pg alone says `connect ECONNREFUSED 127.0.0.1:5432`, or names the
 * database but not the server). Errors that are not about connecting pass unchanged.
 */
function asConnectError(error: unknown, options: PostgresDataSourceOptions): unknown {
  const code = errorCodeOf(error);
  const message = (error as Error)?.message ?? String(error);
  const target = targetOf(options);
  const problem = connectProblem(code, message, target);
  if (problem === null) return error;
  return new DatabaseUnavailableError(
    `cannot connect to PostgreSQL database "${target.database}" at ${target.host}:${target.port} as user "${target.user}": ` +
      `${problem} (${message})`,
    { cause: error, ...target },
  );
}

function connectProblem(code: string, message: string, { host, port, database, user }: Required<DatabaseTarget>): string | null {
  if (code === 'ECONNREFUSED')
    return `nothing accepts connections at ${host}:${port}; check that PostgreSQL runs there, and the url's host and port`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `host "${host}" cannot be resolved; check the url's host`;
  if (['ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET'].includes(code) || /timeout|terminated/i.test(message)) {
    return `no answer from ${host}:${port}; check the host and port, and that the network and firewalls let this process through`;
  }
  if (code === '3D000') return `database "${database}" does not exist on that server; create it, or fix the database name in the url`;
  if (code.startsWith('28')) return `the server refused user "${user}"; check the url's user and password, and pg_hba.conf`;
  if (code === '53300') return 'the server has no connection slot left; lower poolSize or raise max_connections';
  if (code === '57P03' || code.startsWith('08')) return 'the server is not accepting connections (starting up or shutting down); retry';
  return null;
}

/** Where pg connects for these options (url, fields, PG* environment, defaults); never the password. */
function targetOf(options: PostgresDataSourceOptions): Required<DatabaseTarget> {
  const client = new pg.Client({
    connectionString: options.url,
    host: options.host,
    port: options.port,
    user: options.username,
    database: options.database,
  });
  return { host: client.host, port: client.port, database: client.database ?? '', user: client.user ?? '' };
}
