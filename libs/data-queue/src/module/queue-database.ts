import type { OnApplicationShutdown } from '@nestjs/common';
import type { Pool, PoolConfig } from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import { dataQueueTypes } from '../store/fast-timestamptz.js';
import { JobStore } from '../store/job-store.js';
import { runMigrations } from '../store/migrations/run-migrations.js';
import type { ResolvedDataQueueOptions } from './data-queue-options.js';

/**
 * DataQueue's connection to Postgres: the TypeORM DataSource (the app's, or one opened from
 * `url`), its pg pool for the hot path, and the store bound to the configured schema.
 */
export class QueueDatabase implements OnApplicationShutdown {
  private constructor(
    readonly dataSource: DataSource,
    readonly store: JobStore,
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
    if (!dataSource.isInitialized) await dataSource.initialize();
    try {
      if (options.autoMigrate) await runMigrations(dataSource, options.schema);
    } catch (error) {
      if (ownsDataSource) await dataSource.destroy();
      throw error;
    }
    const pool = (dataSource.driver as PostgresDriver).master as Pool & { options: PoolConfig };
    const store = JobStore.forPool(options.schema, pool, { prepared: options.preparedStatements });
    // pg lets the URL's parts override the pool's settings; the rest (ssl, timeouts) carries over.
    const listenConfig = options.directUrl ? { ...pool.options, connectionString: options.directUrl } : pool.options;
    return new QueueDatabase(dataSource, store, options.schema, listenConfig, ownsDataSource);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.ownsDataSource && this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}
