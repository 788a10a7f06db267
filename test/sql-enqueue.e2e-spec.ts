import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { JobHandler, JobOptionsInvalidError, type EnqueueOptions } from '@dataqueue/nestjs';
import fc from 'fast-check';
import pg from 'pg';
import { createTestApp, waitForStatus, type TestApp } from './support/test-app.js';
import { databaseUrl } from './support/unique-schema.js';
import { waitFor } from './support/wait-for.js';

@JobHandler('sql-mail', { queue: 'mail', priority: 3, maxAttempts: 7, timeoutMs: 9000 })
class SqlMailHandler {
  handle(payload: { to: string }): { sentTo: string } {
    return { sentTo: payload.to };
  }
}

@JobHandler('sql-other')
class SqlOtherHandler {
  handle(): void {}
}

@JobHandler('sql-limited', { concurrency: { key: { payload: 'account' }, totalLimit: 1 } })
class SqlLimitedHandler {
  handle(): void {}
}

@JobHandler('sql-fair-path', { fairShare: { payload: 'tenant.id', weight: 2 } })
class SqlFairPathHandler {
  handle(): void {}
}

@JobHandler('sql-fair-tag', { fairShare: { tagPrefix: 'tenant:' } })
class SqlFairTagHandler {
  handle(): void {}
}

@JobHandler('sql-fair-template', { fairShare: { template: '{jobType}/{payload.org}:{payload.teams.1}', weight: 0.5 } })
class SqlFairTemplateHandler {
  handle(): void {}
}

@JobHandler('sql-fair-function', { fairShare: (payload: { tenant: string }) => payload.tenant })
class SqlFairFunctionHandler {
  handle(): void {}
}

/** A pg error as the SQL function raises it: SQLSTATE and the field it names. */
function sqlProblem(error: unknown): { code: string; column?: string } {
  const { code, column } = error as { code: string; column?: string };
  return column === undefined ? { code } : { code, column };
}

describe('enqueue from any client: the SQL function and a pg client', () => {
  let app: TestApp;
  let client: pg.Client;
  let enqueueSql: string;

  beforeAll(async () => {
    app = await createTestApp({
      providers: [
        SqlMailHandler,
        SqlOtherHandler,
        SqlLimitedHandler,
        SqlFairPathHandler,
        SqlFairTagHandler,
        SqlFairTemplateHandler,
        SqlFairFunctionHandler,
      ],
    });
    client = new pg.Client({ connectionString: databaseUrl() });
    await client.connect();
    enqueueSql = `SELECT "${app.schema}".enqueue($1, $2::jsonb, $3::jsonb) AS id`;
  });

  afterAll(async () => {
    await client.end();
    await app.close();
  });

  /** Runs `SELECT <schema>.enqueue(…)` in its own transaction, committed unless `rollback`. */
  async function enqueueInSql(jobType: unknown, payload: unknown, options: unknown = {}, rollback = false): Promise<string> {
    await client.query('BEGIN');
    try {
      const { rows } = await client.query<{ id: string }>(enqueueSql, [jobType, JSON.stringify(payload), JSON.stringify(options)]);
      await client.query(rollback ? 'ROLLBACK' : 'COMMIT');
      return rows[0].id;
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    }
  }

  it("applies the job type's published settings, leaves nothing on rollback and runs the job on commit", async () => {
    const rolledBack = await enqueueInSql('sql-mail', { to: 'ghost@example.com' }, {}, true);
    expect(await app.queue.getJob(rolledBack)).toBeNull();

    const id = await enqueueInSql('sql-mail', { to: 'ada@example.com' }, { tags: ['from-sql'] });
    const done = await waitForStatus(app.queue, id, 'completed');
    expect(done).toMatchObject({
      status: 'completed',
      queue: 'mail',
      priority: 3,
      maxAttempts: 7,
      timeoutMs: 9000,
      tags: ['from-sql'],
      payload: { to: 'ada@example.com' },
      output: { sentTo: 'ada@example.com' },
    });
  });

  it('takes the options QueueService takes, over the settings', async () => {
    const runAt = '2099-01-01T00:00:00.000Z';
    const id = await enqueueInSql('sql-mail', { to: 'b' }, { queue: 'later', priority: -1, maxAttempts: 2, timeoutMs: 5, runAt });
    expect(await app.queue.getJob(id)).toMatchObject({
      queue: 'later',
      priority: -1,
      maxAttempts: 2,
      timeoutMs: 5,
      runAt: new Date(runAt),
    });
    await app.queue.deleteJob(id);
  });

  it('refuses the options QueueService refuses, naming the same field', async () => {
    const cases: [EnqueueOptions | Record<string, unknown>, string][] = [
      [{ priority: 1.5 }, 'priority'],
      [{ maxAttempts: 0 }, 'maxAttempts'],
      [{ timeoutMs: 'soon' }, 'timeoutMs'],
      [{ delayMs: -1 }, 'delayMs'],
      [{ queue: 'no spaces' }, 'queue'],
      [{ tags: [1] }, 'tags'],
      [{ tags: Array.from({ length: 33 }, (_, i) => `t${i}`) }, 'tags'],
      [{ runAt: 'not a date' }, 'runAt'],
      [{ runAt: '2030-01-01T00:00:00Z', delayMs: 5 }, 'runAt'],
      [{ idempotencyKey: '' }, 'idempotencyKey'],
      [{ deadLetterJobType: 'not a type!' }, 'deadLetterJobType'],
      [{ nope: 1 }, 'nope'],
      [{ idempotencyWindow: 1000 }, 'idempotencyWindow'],
      [{ idempotencyKey: 'k', idempotencyWindow: 0 }, 'idempotencyWindow'],
      [{ idempotencyKey: 'k', idempotencyWindow: 'finished' }, 'idempotencyWindow'],
      [{ onDuplicate: 'replace' }, 'onDuplicate'],
      [{ idempotencyKey: 'k', onDuplicate: 'update' }, 'onDuplicate'],
      [{ debounceMs: 100 }, 'debounceMs'],
      [{ idempotencyKey: 'k', debounceMs: 0 }, 'debounceMs'],
      [{ idempotencyKey: 'k', debounceMs: 100, delayMs: 5 }, 'debounceMs'],
      [{ idempotencyKey: 'k', debounceMs: 100, onDuplicate: 'keep' }, 'debounceMs'],
      [{ fairKey: '' }, 'fairKey'],
      [{ fairKey: 7 }, 'fairKey'],
      [{ fairKey: 'k'.repeat(513) }, 'fairKey'],
      [{ fairWeight: 2 }, 'fairWeight'],
      [{ fairKey: 'k', fairWeight: 0 }, 'fairWeight'],
      [{ fairKey: 'k', fairWeight: '3' }, 'fairWeight'],
      [{ fairKey: 'k', fairWeight: 1001 }, 'fairWeight'],
    ];
    for (const [options, field] of cases) {
      await expect(app.queue.enqueue('sql-mail', { to: 'x' }, options as EnqueueOptions)).rejects.toMatchObject({
        constructor: JobOptionsInvalidError,
        field,
      });
      const refused = await enqueueInSql('sql-mail', { to: 'x' }, options).catch(sqlProblem);
      expect({ options, refused }).toEqual({ options, refused: { code: '22023', column: field } });
    }
    expect((await app.queue.listJobs({ jobType: 'sql-mail', queue: 'mail', status: 'pending' })).jobs).toEqual([]);
  });

  it('refuses a job type nobody published, a bad name and options that are not an object', async () => {
    await expect(enqueueInSql('never-published', {}).catch(sqlProblem)).resolves.toEqual({ code: 'P0002', column: 'jobType' });
    await expect(enqueueInSql('bad type!', {}).catch(sqlProblem)).resolves.toEqual({ code: '22023', column: 'jobType' });
    await expect(enqueueInSql(null, {}).catch(sqlProblem)).resolves.toEqual({ code: '22023', column: 'jobType' });
    await expect(enqueueInSql('sql-mail', {}, [1]).catch(sqlProblem)).resolves.toEqual({ code: '22023', column: 'options' });
    await expect(enqueueInSql('sql-mail', 'x'.repeat(1_100_000)).catch(sqlProblem)).resolves.toEqual({ code: '22023', column: 'payload' });
  });

  it('refuses, rather than skips, enqueue-side concurrency limits it cannot check', async () => {
    await expect(enqueueInSql('sql-limited', { account: 'a' }).catch(sqlProblem)).resolves.toEqual({
      code: '0A000',
      column: 'concurrency',
    });
  });

  it("derives a declarative fairShare's key and weight as QueueService does, whatever the payload and tags", async () => {
    const text = fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('', '{payload.org}', 'tenant:x', '{jobType}'));
    const scalar = fc.oneof(
      text,
      fc.integer(),
      fc.integer().map((n) => n / 100),
      fc.boolean(),
      fc.constant(null),
    );
    const value = fc.oneof(scalar, fc.array(scalar, { maxLength: 3 }), fc.dictionary(fc.constantFrom('id', '0', 'x'), scalar));
    const payload = fc.record({ tenant: value, org: value, teams: value }, { requiredKeys: [] });
    const tags = fc.array(
      fc.oneof(fc.constantFrom('tenant:a', 'tenant:b', 'tenant:', 'other'), fc.string({ minLength: 1, maxLength: 8 })),
      {
        maxLength: 3,
      },
    );
    const jobType = fc.constantFrom('sql-fair-path', 'sql-fair-tag', 'sql-fair-template');
    const later = { delayMs: 3_600_000 };
    await fc.assert(
      fc.asyncProperty(jobType, payload, tags, async (type, body, jobTags) => {
        const viaService = await app.queue.enqueue(type, body, { ...later, tags: jobTags });
        const viaSql = (await app.queue.getJob(await enqueueInSql(type, body, { ...later, tags: jobTags })))!;
        await app.queue.deleteJob(viaService.id);
        await app.queue.deleteJob(viaSql.id);
        expect({ type, body, jobTags, fairKey: viaSql.fairKey, fairWeight: viaSql.fairWeight }).toEqual({
          type,
          body,
          jobTags,
          fairKey: viaService.fairKey,
          fairWeight: viaService.fairWeight,
        });
      }),
      { numRuns: 150, seed: 20 },
    );
    // JSON from other clients may write a number as JavaScript never does; the key is JavaScript's text.
    const { rows } = await client.query<{ id: string }>(`SELECT "${app.schema}".enqueue('sql-fair-path', $1, $2) AS id`, [
      '{"tenant": {"id": 1.50E1}}',
      JSON.stringify(later),
    ]);
    expect(await app.queue.getJob(rows[0].id)).toMatchObject({ fairKey: String(1.5e1) });
    const keyed = await app.queue.getJob(await enqueueInSql('sql-fair-template', { org: 'acme', teams: ['a', 7] }, later));
    expect(keyed).toMatchObject({ fairKey: 'sql-fair-template/acme:7', fairWeight: 0.5 });
    const given = await app.queue.getJob(
      await enqueueInSql('sql-fair-path', { tenant: { id: 'a' } }, { ...later, fairKey: 'b', fairWeight: 3 }),
    );
    expect(given).toMatchObject({ fairKey: 'b', fairWeight: 3 });
  });

  it('refuses a fair key it cannot derive (a fairShare function) or store, as QueueService does', async () => {
    await expect(enqueueInSql('sql-fair-function', { tenant: 'a' }).catch(sqlProblem)).resolves.toEqual({
      code: '0A000',
      column: 'fairShare',
    });
    const given = await app.queue.getJob(await enqueueInSql('sql-fair-function', { tenant: 'a' }, { fairKey: 'a', delayMs: 3_600_000 }));
    expect(given).toMatchObject({ fairKey: 'a', fairWeight: 1 });

    const huge = { tenant: { id: 'x'.repeat(513) } };
    await expect(app.queue.enqueue('sql-fair-path', huge)).rejects.toMatchObject({
      constructor: JobOptionsInvalidError,
      field: 'fairShare',
    });
    await expect(enqueueInSql('sql-fair-path', huge).catch(sqlProblem)).resolves.toEqual({ code: '22023', column: 'fairShare' });
  });

  it('answers an idempotency key with the existing job, and refuses one held by another job type', async () => {
    const first = await enqueueInSql('sql-mail', { to: 'once' }, { idempotencyKey: 'sql-once', delayMs: 60_000 });
    expect(await enqueueInSql('sql-mail', { to: 'twice' }, { idempotencyKey: 'sql-once' })).toBe(first);
    const viaService = await app.queue.enqueue('sql-mail', { to: 'thrice' }, { idempotencyKey: 'sql-once' });
    expect(viaService.id).toBe(first);
    await expect(enqueueInSql('sql-other', {}, { idempotencyKey: 'sql-once' }).catch(sqlProblem)).resolves.toEqual({
      code: '23505',
      column: 'idempotencyKey',
    });
  });

  it('takes idempotency windows, replace and debounce as QueueService does, sharing keys with it', async () => {
    const hour = 3_600_000;
    const held = await enqueueInSql(
      'sql-mail',
      { to: 'a' },
      { idempotencyKey: 'sql-window', idempotencyWindow: 'unfinished', delayMs: hour },
    );
    expect(
      await enqueueInSql('sql-mail', { to: 'b' }, { idempotencyKey: 'sql-window', onDuplicate: 'replace', priority: -2, delayMs: hour }),
    ).toBe(held);
    expect(await app.queue.getJob(held)).toMatchObject({ payload: { to: 'b' }, priority: -2 });

    const { rows } = await client.query<{ now: Date }>('SELECT now()');
    expect(await enqueueInSql('sql-mail', { to: 'c' }, { idempotencyKey: 'sql-window', debounceMs: hour })).toBe(held);
    const debounced = (await app.queue.getJob(held))!;
    expect(debounced.payload).toEqual({ to: 'c' });
    expect(debounced.runAt.getTime()).toBeGreaterThanOrEqual(rows[0].now.getTime() + hour);

    await app.queue.cancelJob(held);
    const next = await enqueueInSql('sql-mail', { to: 'd' }, { idempotencyKey: 'sql-window', idempotencyWindow: 300, delayMs: hour });
    expect(next).not.toBe(held);
    expect(await app.queue.getJob(held)).toMatchObject({ status: 'cancelled', idempotencyKey: null });
    expect((await app.queue.enqueue('sql-mail', { to: 'e' }, { idempotencyKey: 'sql-window', delayMs: hour })).id).toBe(next);
    const { createdAt } = (await app.queue.getJob(next))!;
    await waitFor(
      'the database clock to pass the window',
      async () =>
        (await client.query<{ past: boolean }>(`SELECT now() > $1::timestamptz + interval '300 ms' AS past`, [createdAt])).rows[0].past,
    );
    const afterWindow = await app.queue.enqueue('sql-mail', { to: 'f' }, { idempotencyKey: 'sql-window', delayMs: hour });
    expect(afterWindow.id).not.toBe(next);
    expect(await enqueueInSql('sql-mail', { to: 'g' }, { idempotencyKey: 'sql-window' })).toBe(afterWindow.id);
  });

  it('enqueue({ client }) joins a pg transaction: nothing on rollback, the job on commit', async () => {
    await client.query('BEGIN');
    const ghost = await app.queue.enqueue('sql-mail', { to: 'ghost' }, { client, delayMs: 60_000 });
    await client.query('ROLLBACK');
    expect(await app.queue.getJob(ghost.id)).toBeNull();

    await client.query('BEGIN');
    const [job] = await app.queue.enqueueMany([{ jobType: 'sql-mail', payload: { to: 'grace@example.com' } }], { client });
    await client.query('COMMIT');
    expect(await waitForStatus(app.queue, job.id, 'completed')).toMatchObject({ output: { sentTo: 'grace@example.com' } });
  });

  it('a batch joins a pg transaction the same way', async () => {
    await client.query('BEGIN');
    const ghost = await app.queue.createBatch({ description: 'rolled back' }, { client });
    await ghost.enqueue([{ jobType: 'sql-mail', payload: { to: 'ghost' } }], { client });
    await client.query('ROLLBACK');
    expect(await app.queue.getBatch(ghost.id)).toBeNull();

    await client.query('BEGIN');
    const batch = await app.queue.createBatch({ description: 'committed' }, { client });
    const [job] = await batch.enqueue([{ jobType: 'sql-mail', payload: { to: 'batch@example.com' } }], { client });
    await client.query('COMMIT');
    await waitForStatus(app.queue, job.id, 'completed');
    expect((await batch.reload()).record).toMatchObject({ counts: { total: 1, succeeded: 1 } });
  });

  it('rejects a client that is not one, and a manager with a client', async () => {
    await expect(app.queue.enqueue('sql-mail', { to: 'x' }, { client: {} as pg.Client })).rejects.toMatchObject({
      constructor: JobOptionsInvalidError,
      field: 'client',
    });
    const manager = {} as NonNullable<EnqueueOptions['manager']>;
    await expect(app.queue.enqueue('sql-mail', { to: 'x' }, { client, manager })).rejects.toMatchObject({
      constructor: JobOptionsInvalidError,
      field: 'client',
    });
  });
});
