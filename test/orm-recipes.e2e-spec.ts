import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { JobHandler } from '@dataqueue/nestjs';
import { MikroORM } from '@mikro-orm/postgresql';
import { sql } from 'drizzle-orm';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import knex, { type Knex } from 'knex';
import pg from 'pg';
import { createTestApp, waitForStatus, type TestApp } from './support/test-app.js';
import { databaseUrl } from './support/unique-schema.js';

interface ReceiptPayload {
  orderId: number;
  via: string;
  note?: string;
}

@JobHandler('orm-receipt')
class ReceiptHandler {
  handle(payload: ReceiptPayload): { receipt: string } {
    return { receipt: `${payload.via}:${payload.orderId}` };
  }
}

/** Thrown inside a transaction callback to roll it back; carries the id the enqueue returned. */
class RollBack extends Error {
  constructor(readonly jobId: string) {
    super(`rolled back after enqueuing job ${jobId}`);
  }
}

/** Enqueues one job in an ORM's transaction; `rollback` throws after the enqueue instead of committing. */
type EnqueueInTransaction = (payload: ReceiptPayload, options: object, rollback: boolean) => Promise<string>;

/** What a refused enqueue rejects with: Postgres's SQLSTATE and field, where the ORM puts them. */
type Refusal = (problem: { code: string; column: string }) => object;

/** Quotes, a backslash, placeholders and an emoji: a parameter must arrive as written. */
const awkwardNote = `it's a \\ "test"? ?? $1 :name 💡`;

// The docs' recipes (docs/jobs.md, "Enqueue from any ORM or client"), each run for real: the job
// exists only if the ORM's transaction commits, and the worker runs it.
describe('enqueue from an ORM transaction through <schema>.enqueue()', () => {
  let app: TestApp;
  let knexDb: Knex;
  let drizzlePool: pg.Pool;
  let drizzleDb: NodePgDatabase;
  let orm: MikroORM;
  /** `SELECT "<schema>".enqueue(?, ?::jsonb, ?::jsonb)`: only the test-made schema name is spliced in, quoted. */
  let enqueueCall: string;

  beforeAll(async () => {
    app = await createTestApp({ providers: [ReceiptHandler] });
    expect(app.schema).toMatch(/^[a-z_][a-z0-9_]*$/);
    enqueueCall = `SELECT "${app.schema}".enqueue(?, ?::jsonb, ?::jsonb) AS id`;
    knexDb = knex({ client: 'pg', connection: databaseUrl(), pool: { min: 0, max: 2 } });
    drizzlePool = new pg.Pool({ connectionString: databaseUrl(), max: 2 });
    drizzleDb = drizzle(drizzlePool);
    orm = await MikroORM.init({ clientUrl: databaseUrl(), entities: [], discovery: { warnWhenNoEntities: false } });
  });

  afterAll(async () => {
    await Promise.all([knexDb?.destroy(), drizzlePool?.end(), orm?.close(true)]);
    await app?.close();
  });

  const withKnex: EnqueueInTransaction = (payload, options, rollback) =>
    knexDb.transaction(async (trx) => {
      const result = await trx.raw<pg.QueryResult<{ id: string }>>(enqueueCall, [
        'orm-receipt',
        JSON.stringify(payload),
        JSON.stringify(options),
      ]);
      const id = result.rows[0].id;
      if (rollback) throw new RollBack(id);
      return id;
    });

  const withDrizzle: EnqueueInTransaction = (payload, options, rollback) =>
    drizzleDb.transaction(async (tx) => {
      const result = await tx.execute<{ id: string }>(
        sql`SELECT ${sql.identifier(app.schema)}.enqueue(${'orm-receipt'}, ${JSON.stringify(payload)}::jsonb, ${JSON.stringify(options)}::jsonb) AS id`,
      );
      const id = result.rows[0].id;
      if (rollback) throw new RollBack(id);
      return id;
    });

  // MikroORM's execute() sends no bind parameters: it escapes them into the SQL text itself (pg's
  // escapeLiteral), which awkwardNote puts to the test. The callback's `em` runs in the transaction.
  const withMikroOrm: EnqueueInTransaction = (payload, options, rollback) =>
    orm.em.fork().transactional(async (em) => {
      const rows = await em.execute<{ id: string }[]>(enqueueCall, ['orm-receipt', JSON.stringify(payload), JSON.stringify(options)]);
      const id = rows[0].id;
      if (rollback) throw new RollBack(id);
      return id;
    });

  // Knex and MikroORM reject with pg's DatabaseError and their DriverException (code and column
  // copied over); Drizzle wraps it in a DrizzleQueryError whose cause is pg's error.
  const recipes: [string, EnqueueInTransaction, Refusal][] = [
    ['Knex', withKnex, (problem) => problem],
    ['Drizzle', withDrizzle, (problem) => ({ cause: problem })],
    ['MikroORM', withMikroOrm, (problem) => problem],
  ];

  it.each(recipes)('%s: a transaction that rolls back after the enqueue leaves no job', async (via, enqueue) => {
    const thrown = await enqueue({ orderId: 1, via }, {}, true).catch((error: unknown) => error);
    expect(thrown).toBeInstanceOf(RollBack);
    const { jobId } = thrown as RollBack;
    expect(await app.queue.getJob(jobId)).toBeNull();
    const { jobs } = await app.queue.listJobs({ jobType: 'orm-receipt' });
    expect(jobs.filter((job) => (job.payload as ReceiptPayload).via === via && (job.payload as ReceiptPayload).orderId === 1)).toEqual([]);
  });

  it.each(recipes)('%s: a transaction that commits returns the job id (a bigint, as a string) and the job runs', async (via, enqueue) => {
    const id = await enqueue({ orderId: 2, via, note: awkwardNote }, { tags: [via] }, false);
    expect(id).toMatch(/^\d+$/);
    expect(await waitForStatus(app.queue, id, 'completed')).toMatchObject({
      jobType: 'orm-receipt',
      tags: [via],
      payload: { orderId: 2, via, note: awkwardNote },
      output: { receipt: `${via}:2` },
    });
  });

  it.each(recipes)("%s: a refused enqueue rejects with Postgres's SQLSTATE and the field it names", async (via, enqueue, refusal) => {
    await expect(enqueue({ orderId: 3, via }, { nope: 1 }, false)).rejects.toMatchObject(refusal({ code: '22023', column: 'nope' }));
    await expect(enqueue({ orderId: 3, via }, { priority: 1.5 }, false)).rejects.toMatchObject(
      refusal({ code: '22023', column: 'priority' }),
    );
  });
});
