import { DataSource, MigrationExecutor, type MigrationInterface } from 'typeorm';
import type { PostgresDataSourceOptions } from 'typeorm/driver/postgres/PostgresDataSourceOptions.js';
import { quoteIdent } from '../sql/identifiers.js';
import { admittedRunsMigration } from './admitted-runs.migration.js';
import { batchesMigration } from './batches.migration.js';
import { concurrencyMigration } from './concurrency.migration.js';
import { cronMigration } from './cron.migration.js';
import { dependencyEdgesFillfactorMigration } from './dependency-edges-fillfactor.migration.js';
import { durableWaitsMigration } from './durable-waits.migration.js';
import { fairShareMigration } from './fair-share.migration.js';
import { flowStepsMigration } from './flow-steps.migration.js';
import { jobDependenciesMigration } from './job-dependencies.migration.js';
import { jobKindsMigration } from './job-kinds.migration.js';
import { jobTypesMigration } from './job-types.migration.js';
import { leanHotPathMigration } from './lean-hot-path.migration.js';
import { leanIndexesMigration } from './lean-indexes.migration.js';
import { idempotencyWindowsMigration } from './idempotency-windows.migration.js';
import { historyAndRetentionMigration } from './history-and-retention.migration.js';
import { dashboardAndPausesMigration } from './dashboard-and-pauses.migration.js';
import { initialMigration } from './initial.migration.js';
import { runnableByQueueMigration } from './runnable-by-queue.migration.js';
import { eventSubscriptionsMigration } from './event-subscriptions.migration.js';
import { runtimeCronMigration } from './runtime-cron.migration.js';
import { sqlEnqueueMigration } from './sql-enqueue.migration.js';
import { sqlFairShareMigration } from './sql-fair-share.migration.js';
import { traceContextMigration } from './trace-context.migration.js';
import { migrationsLockKey, sharingHistory } from './shared-history.js';

/**
 * DataQueue's TypeORM migrations for `schema`, in order. With `autoMigrate: false`, add them to
 * your own DataSource's `migrations` and run them with the TypeORM CLI on deploy. Whichever
 * DataSource runs them, they keep `<schema>.migrations` (the history `autoMigrate` reads) up to
 * date and skip what it records as applied (see sharingHistory).
 */
export function dataQueueMigrations(schema = 'data_queue'): (new () => MigrationInterface)[] {
  return [
    initialMigration(schema),
    runnableByQueueMigration(schema),
    batchesMigration(schema),
    dashboardAndPausesMigration(schema),
    cronMigration(schema),
    historyAndRetentionMigration(schema),
    concurrencyMigration(schema),
    durableWaitsMigration(schema),
    leanHotPathMigration(schema),
    leanIndexesMigration(schema),
    admittedRunsMigration(schema),
    jobTypesMigration(schema),
    sqlEnqueueMigration(schema),
    traceContextMigration(schema),
    idempotencyWindowsMigration(schema),
    eventSubscriptionsMigration(schema),
    runtimeCronMigration(schema),
    jobDependenciesMigration(schema),
    flowStepsMigration(schema),
    dependencyEdgesFillfactorMigration(schema),
    jobKindsMigration(schema),
    fairShareMigration(schema),
    sqlFairShareMigration(schema),
  ].map((migration, index) => sharingHistory(schema, migration, index === 0));
}

/**
 * Applies pending migrations through a short-lived DataSource with the app's connection options
 * and its own migrations table (`<schema>.migrations`), so an app's DataSource and migration
 * history stay untouched. All of them run in one transaction under a transaction-scoped advisory
 * lock, which serializes processes booting at once and, unlike a session lock, also holds through
 * PgBouncer in transaction mode (and cannot outlive a crashed process).
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
    poolSize: 1,
  });
  await migrator.initialize();
  const runner = migrator.createQueryRunner();
  try {
    await runner.startTransaction();
    await runner.query('SELECT pg_advisory_xact_lock(hashtext($1))', [migrationsLockKey(schema)]);
    await runner.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
    const executor = new MigrationExecutor(migrator, runner);
    executor.transaction = 'all'; // joins the transaction above instead of opening its own
    await executor.executePendingMigrations();
    await runner.commitTransaction();
  } catch (error) {
    if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
    throw error;
  } finally {
    await runner.release();
    await migrator.destroy();
  }
}
