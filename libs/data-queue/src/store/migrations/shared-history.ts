import type { MigrationInterface, QueryRunner } from 'typeorm';
import type { PostgresDataSourceOptions } from 'typeorm/driver/postgres/PostgresDataSourceOptions.js';
import { quoteIdent } from '../sql/identifiers.js';

type MigrationClass = new () => MigrationInterface;

/** The transaction-scoped advisory lock every run of `schema`'s migrations holds. */
export function migrationsLockKey(schema: string): string {
  return `dataqueue:migrations:${schema}`;
}

/**
 * Makes `Migration` keep DataQueue's own history table, `<schema>.migrations` (the one
 * `autoMigrate` uses), true whichever DataSource runs it. Run through a DataSource that records
 * its migrations elsewhere (an app's `migrations` table), it does nothing if `<schema>.migrations`
 * records it as applied, and otherwise records itself there too, so an install can switch
 * between `autoMigrate` and the app's own migration runner either way. `first` marks the
 * migration that creates the tables: it refuses to run on a schema that has them.
 */
export function sharingHistory(schema: string, Migration: MigrationClass, first: boolean): MigrationClass {
  const s = quoteIdent(schema);
  const name = new Migration().name ?? Migration.name;
  const timestamp = Number(name.slice(-13)); // TypeORM's rule: the name ends in a 13-digit timestamp

  const shared = class implements MigrationInterface {
    private readonly migration = new Migration();
    readonly name = name;
    readonly transaction = this.migration.transaction;

    async up(runner: QueryRunner): Promise<void> {
      const ownHistory = keepsHistoryIn(runner, schema);
      if (!ownHistory) {
        // Serializes with an `autoMigrate` boot and other runners, until this transaction ends.
        await runner.query('SELECT pg_advisory_xact_lock(hashtext($1))', [migrationsLockKey(schema)]);
        if (await isRecorded(runner)) return;
      }
      if (first) await refuseExistingTables(runner, ownHistory);
      await this.migration.up(runner);
      if (!ownHistory) {
        // The shape TypeORM gives a migrations table, so `autoMigrate` can read and extend it.
        await runner.query(`
          CREATE TABLE IF NOT EXISTS ${s}.migrations (
            id          SERIAL            NOT NULL PRIMARY KEY,
            "timestamp" bigint            NOT NULL,
            name        character varying NOT NULL
          )`);
        await runner.query(`INSERT INTO ${s}.migrations ("timestamp", name) VALUES ($1, $2)`, [timestamp, name]);
      }
    }

    async down(runner: QueryRunner): Promise<void> {
      await this.migration.down(runner);
      if (keepsHistoryIn(runner, schema)) return;
      await runner.query('SELECT pg_advisory_xact_lock(hashtext($1))', [migrationsLockKey(schema)]);
      if (await historyExists(runner)) await runner.query(`DELETE FROM ${s}.migrations WHERE name = $1`, [name]);
    }
  };
  Object.defineProperty(shared, 'name', { value: name }); // what TypeORM and stack traces show
  return shared;

  async function historyExists(runner: QueryRunner): Promise<boolean> {
    const [row] = (await runner.query('SELECT to_regclass($1) IS NOT NULL AS exists', [`${s}.migrations`])) as { exists: boolean }[];
    return row.exists;
  }

  async function isRecorded(runner: QueryRunner): Promise<boolean> {
    if (!(await historyExists(runner))) return false;
    const rows = (await runner.query(`SELECT 1 FROM ${s}.migrations WHERE name = $1`, [name])) as unknown[];
    return rows.length > 0;
  }

  /**
   * The tables exist, yet the history in use does not record them as built: another DataSource
   * built them and recorded that in a table this run cannot see. Running on would fail with
   * `relation "jobs" already exists`, which does not say what to do.
   */
  async function refuseExistingTables(runner: QueryRunner, ownHistory: boolean): Promise<void> {
    const [row] = (await runner.query('SELECT to_regclass($1) IS NOT NULL AS exists', [`${s}.jobs`])) as { exists: boolean }[];
    if (!row.exists) return;
    const unrecorded = ownHistory
      ? `${s}.migrations does not record ${name}`
      : `neither ${s}.migrations nor this DataSource's migrations table (${historyTable(runner)}) records ${name}`;
    throw new Error(
      `DataQueue's tables already exist in schema ${s}, but ${unrecorded}: ` +
        `they were migrated through a DataSource that records its migrations in another table. ` +
        `Copy DataQueue's rows from that table, then run the migrations again: ` +
        `CREATE TABLE IF NOT EXISTS ${s}.migrations (id SERIAL PRIMARY KEY, "timestamp" bigint NOT NULL, name varchar NOT NULL); ` +
        `INSERT INTO ${s}.migrations ("timestamp", name) SELECT "timestamp", name FROM <that table> ` +
        `WHERE name LIKE 'DataQueue%' ORDER BY id;`,
    );
  }
}

/** The table TypeORM records `runner`'s DataSource's migrations in, as `schema.table`. */
function historyTable(runner: QueryRunner): string {
  const { driver, options } = runner.dataSource;
  const path = driver.buildTableName(
    options.migrationsTableName ?? 'migrations',
    (driver.options as PostgresDataSourceOptions).schema,
    driver.database,
  );
  const { schema, tableName } = driver.parseTableName(path);
  return `${schema}.${tableName}`;
}

/** Whether TypeORM, running `runner`'s DataSource, records its migrations in `<schema>.migrations`. */
function keepsHistoryIn(runner: QueryRunner, schema: string): boolean {
  return historyTable(runner) === `${schema}.migrations`;
}
