import { DataSource, type MigrationInterface } from 'typeorm';
import type { PostgresDataSourceOptions } from 'typeorm/driver/postgres/PostgresDataSourceOptions.js';
import { quoteIdent } from '../sql/identifiers.js';
import { batchesMigration } from './batches.migration.js';
import { concurrencyMigration } from './concurrency.migration.js';
import { cronMigration } from './cron.migration.js';
import { durableWaitsMigration } from './durable-waits.migration.js';
import { historyAndRetentionMigration } from './history-and-retention.migration.js';
import { dashboardAndPausesMigration } from './dashboard-and-pauses.migration.js';
import { initialMigration } from './initial.migration.js';

/**
 * DataQueue's TypeORM migrations for `schema`, in order. With `autoMigrate: false`, add them to
 * your own DataSource's `migrations` and run them with the TypeORM CLI on deploy.
 */
export function dataQueueMigrations(schema = 'data_queue'): (new () => MigrationInterface)[] {
  return [initialMigration(schema), batchesMigration(schema), dashboardAndPausesMigration(schema), cronMigration(schema), historyAndRetentionMigration(schema), concurrencyMigration(schema), durableWaitsMigration(schema)];
}

/**
 * Applies pending migrations through a short-lived DataSource with the app's connection options
 * and its own migrations table (`<schema>.migrations`), so an app's DataSource and migration
 * history stay untouched. A Postgres advisory lock serializes processes booting at once.
 */
export async function runMigrations(connection: DataSource, schema: string): Promise<void> {
  const migrator = new DataSource({
    ...(connection.options as PostgresDataSourceOptions),
    schema,
    entities: [],
    subscribers: [],
    migrations: dataQueueMigrations(schema),
    migrationsTableName: 'migrations',
    migrationsRun: false,
    synchronize: false,
    logging: false,
    poolSize: 2,
  });
  await migrator.initialize();
  const lock = migrator.createQueryRunner();
  try {
    await lock.query('SELECT pg_advisory_lock(hashtext($1))', [`dataqueue:migrations:${schema}`]);
    await lock.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
    await migrator.runMigrations({ transaction: 'each' });
  } finally {
    await lock.query('SELECT pg_advisory_unlock(hashtext($1))', [`dataqueue:migrations:${schema}`]).catch(() => undefined);
    await lock.release();
    await migrator.destroy();
  }
}
