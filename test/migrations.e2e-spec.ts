import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { DataSource } from 'typeorm';
import type { MigrationInterface, QueryRunner } from 'typeorm';
import { dataQueueMigrations, JobHandler } from '@dataqueue/nestjs';
import type { DataQueueModuleOptions } from '@dataqueue/nestjs';
import { createTestApp, waitForStatus, type TestApp } from './support/test-app.js';
import { databaseUrl, dropSchema, uniqueSchema } from './support/unique-schema.js';

@JobHandler('greet')
class GreetHandler {
  async handle(payload: { name: string }): Promise<{ greeting: string }> {
    return { greeting: `hello ${payload.name}` };
  }
}

type MigrationClass = new () => MigrationInterface;

/**
 * The first committed migration set (commit 5c41d2d) held this one migration. Its file was later
 * edited in place (fe219e3 split its runnable index in two), so today's entry of the same name
 * builds a different schema: this copy of the statements as committed is what an install of the
 * first release actually ran.
 */
function firstReleaseInitialMigration(schema: string): MigrationClass {
  const s = `"${schema}"`;
  return class DataQueueInitial1764057600000 implements MigrationInterface {
    name = 'DataQueueInitial1764057600000';

    async up(runner: QueryRunner): Promise<void> {
      await runner.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
      await runner.query(`
        CREATE TABLE ${s}.jobs (
          id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          job_type             text        NOT NULL,
          queue                text        NOT NULL,
          payload              jsonb       NOT NULL,
          status               text        NOT NULL DEFAULT 'pending'
            CHECK (status IN ('pending', 'processing', 'completed', 'failed', 'cancelled', 'waiting')),
          priority             integer     NOT NULL DEFAULT 0,
          run_at               timestamptz NOT NULL DEFAULT now(),
          available_at         timestamptz DEFAULT now(),
          next_attempt_at      timestamptz,
          attempts             integer     NOT NULL DEFAULT 0,
          max_attempts         integer     NOT NULL,
          timeout_ms           integer,
          tags                 text[]      NOT NULL DEFAULT '{}',
          idempotency_key      text,
          locked_at            timestamptz,
          locked_by            text,
          pending_reason       text,
          error_history        jsonb       NOT NULL DEFAULT '[]',
          failure_reason       text,
          progress             smallint,
          output               jsonb,
          dead_letter_job_type text,
          dead_lettered_at     timestamptz,
          dead_letter_job_id   bigint,
          batch_id             uuid,
          batch_callback_id    uuid,
          created_at           timestamptz NOT NULL DEFAULT now(),
          updated_at           timestamptz NOT NULL DEFAULT now(),
          started_at           timestamptz,
          completed_at         timestamptz,
          last_retried_at      timestamptz,
          last_failed_at       timestamptz,
          last_cancelled_at    timestamptz
        ) WITH (fillfactor = 80)`);
      await runner.query(`
        CREATE INDEX jobs_runnable ON ${s}.jobs (queue, priority, available_at, id)
        WHERE status IN ('pending', 'failed') AND available_at IS NOT NULL`);
      await runner.query(`
        CREATE UNIQUE INDEX jobs_idempotency_key ON ${s}.jobs (idempotency_key)
        WHERE idempotency_key IS NOT NULL`);
      await runner.query(`CREATE INDEX jobs_processing ON ${s}.jobs (locked_by) WHERE status = 'processing'`);
      await runner.query(`CREATE INDEX jobs_batch ON ${s}.jobs (batch_id, id) WHERE batch_id IS NOT NULL`);
      await runner.query(`CREATE INDEX jobs_listing ON ${s}.jobs (status, id)`);
      await runner.query(`
        CREATE TABLE ${s}.workers (
          id           text        PRIMARY KEY,
          hostname     text        NOT NULL,
          pid          integer     NOT NULL,
          queues       text        NOT NULL,
          started_at   timestamptz NOT NULL DEFAULT now(),
          heartbeat_at timestamptz NOT NULL DEFAULT now()
        )`);
    }

    async down(runner: QueryRunner): Promise<void> {
      await runner.query(`DROP TABLE ${s}.workers`);
      await runner.query(`DROP TABLE ${s}.jobs`);
    }
  };
}

function migrationNames(migrations: MigrationClass[]): string[] {
  return migrations.map((Migration) => new Migration().name ?? Migration.name);
}

async function sql<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: databaseUrl() });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

describe("migrations through TypeORM's runner", () => {
  // DataQueue's schema, and the schema of the app whose DataSource runs the migrations: its
  // history table is `<appSchema>.migrations`, as `migrations` in `public` would be for most apps.
  let schema: string;
  let appSchema: string;
  const apps: TestApp[] = [];

  beforeEach(async () => {
    schema = uniqueSchema('mq');
    appSchema = uniqueSchema('app');
    await sql(`CREATE SCHEMA "${appSchema}"`);
  });

  /** What a user's deploy step does: `typeorm migration:run` with their DataSource. */
  async function runUserMigrations(
    migrations: MigrationClass[],
    options: { schema?: string; migrationsTableName?: string } = {},
  ): Promise<string[]> {
    const dataSource = new DataSource({ type: 'postgres', url: databaseUrl(), schema: appSchema, poolSize: 1, migrations, ...options });
    await dataSource.initialize();
    try {
      return (await dataSource.runMigrations()).map((migration) => migration.name);
    } finally {
      await dataSource.destroy();
    }
  }

  /** The migrations `<schema>.migrations` records as applied, in the order applied. */
  async function dataQueueHistory(): Promise<string[]> {
    return (await sql<{ name: string }>(`SELECT name FROM "${schema}".migrations ORDER BY id`)).map((row) => row.name);
  }

  async function boot(options: DataQueueModuleOptions = {}): Promise<TestApp> {
    const app = await createTestApp({ providers: [GreetHandler], options: { schema, autoMigrate: false, ...options } });
    apps.push(app);
    return app;
  }

  async function expectAJobToRun(app: TestApp, name: string): Promise<void> {
    const job = await app.queue.enqueue('greet', { name });
    const done = await waitForStatus(app.queue, job.id, 'completed');
    expect(done.output).toEqual({ greeting: `hello ${name}` });
  }

  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
    await dropSchema(schema);
    await dropSchema(appSchema);
  });

  it('builds the schema on an empty database; the module then runs jobs with autoMigrate: false', async () => {
    const applied = await runUserMigrations(dataQueueMigrations(schema));
    expect(applied).toEqual(migrationNames(dataQueueMigrations(schema)));

    const app = await boot({ mode: 'async' });
    await expectAJobToRun(app, 'fresh');
  });

  it("upgrades the first release's schema to today's, keeping the jobs enqueued before", async () => {
    const firstRelease = [firstReleaseInitialMigration(schema)];
    // TypeORM knows a migration by its name: the first release's must be today's first entries.
    expect(migrationNames(firstRelease)).toEqual(migrationNames(dataQueueMigrations(schema)).slice(0, firstRelease.length));
    await runUserMigrations(firstRelease);
    const [old] = await sql<{ id: string }>(
      `INSERT INTO "${schema}".jobs (job_type, queue, payload, max_attempts, tags)
       VALUES ('greet', 'default', '{"name":"old"}', 3, '{legacy}') RETURNING id`,
    );

    const applied = await runUserMigrations(dataQueueMigrations(schema));
    expect(applied).toEqual(migrationNames(dataQueueMigrations(schema)).slice(firstRelease.length));

    const app = await boot({ mode: 'async' });
    const oldJob = await app.queue.getJob(old.id);
    expect(oldJob).toMatchObject({ id: old.id, jobType: 'greet', queue: 'default', payload: { name: 'old' }, tags: ['legacy'] });
    expect((await waitForStatus(app.queue, old.id, 'completed')).output).toEqual({ greeting: 'hello old' });
    await expectAJobToRun(app, 'new');
    // The dashboard's dropdowns read the pairs enqueued: those before the upgrade, and since.
    await app.queue.enqueue('greet', { name: 'elsewhere' }, { queue: 'other' });
    const kinds = await sql<{ queue: string; job_type: string }>(
      `SELECT DISTINCT queue, job_type FROM "${schema}".job_kinds ORDER BY queue`,
    );
    expect(kinds).toEqual([
      { queue: 'default', job_type: 'greet' },
      { queue: 'other', job_type: 'greet' },
    ]);
  });

  describe("switching between autoMigrate and the app's runner", () => {
    it('takes over an install that autoMigrate built: what it applied is recorded, not run again', async () => {
      const auto = await boot({ autoMigrate: true });
      const before = await auto.queue.enqueue('greet', { name: 'before' });
      await waitForStatus(auto.queue, before.id, 'completed');
      await auto.close();

      const applied = await runUserMigrations(dataQueueMigrations(schema));
      expect(applied).toEqual(migrationNames(dataQueueMigrations(schema)));
      expect(await dataQueueHistory()).toEqual(migrationNames(dataQueueMigrations(schema)));

      const app = await boot({ mode: 'inline' });
      expect(await app.queue.getJob(before.id)).toMatchObject({ status: 'completed', output: { greeting: 'hello before' } });
      await expectAJobToRun(app, 'after');
    });

    it("hands an install the app's runner built back to autoMigrate", async () => {
      await runUserMigrations(dataQueueMigrations(schema));
      expect(await dataQueueHistory()).toEqual(migrationNames(dataQueueMigrations(schema)));

      const app = await boot({ autoMigrate: true });
      await expectAJobToRun(app, 'auto again');
    });

    it("records each migration once when the app's DataSource keeps its history in DataQueue's table", async () => {
      await sql(`CREATE SCHEMA "${schema}"`);
      const applied = await runUserMigrations(dataQueueMigrations(schema), { schema });
      expect(applied).toEqual(migrationNames(dataQueueMigrations(schema)));
      expect(await dataQueueHistory()).toEqual(migrationNames(dataQueueMigrations(schema)));
    });

    it('refuses tables built through a history it cannot see, saying which rows to copy where', async () => {
      await runUserMigrations(dataQueueMigrations(schema));
      // What an install the app's runner migrated before DataQueue shared its history looks like.
      await sql(`DROP TABLE "${schema}".migrations`);
      const copyRows =
        `INSERT INTO "${schema}".migrations ("timestamp", name) SELECT "timestamp", name ` +
        `FROM <that table> WHERE name LIKE 'DataQueue%'`;

      const byAutoMigrate = await boot({ autoMigrate: true }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(byAutoMigrate).toBeInstanceOf(Error);
      expect((byAutoMigrate as Error).message).toContain(
        `DataQueue's tables already exist in schema "${schema}", but "${schema}".migrations does not record DataQueueInitial1764057600000`,
      );
      expect((byAutoMigrate as Error).message).toContain(copyRows);

      const byAnotherHistory = runUserMigrations(dataQueueMigrations(schema), { migrationsTableName: 'other_migrations' });
      await expect(byAnotherHistory).rejects.toThrow(
        `but neither "${schema}".migrations nor this DataSource's migrations table (${appSchema}.other_migrations) ` +
          `records DataQueueInitial1764057600000`,
      );
      await expect(byAnotherHistory).rejects.toThrow(copyRows);
    });
  });
});
