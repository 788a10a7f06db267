import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { JobHandler } from '@dataqueue/nestjs';
import type { JobContext } from '@dataqueue/nestjs';
import { createTestApp, type TestApp } from './support/test-app.js';
import { databaseUrl, dropSchema, uniqueSchema } from './support/unique-schema.js';
import { waitFor } from './support/wait-for.js';

/** Runs of each job, across every app of this file (they share the process). */
const runs = new Map<string, number>();

@JobHandler('fast')
class FastHandler {
  handle(_payload: unknown, ctx: JobContext): void {
    runs.set(ctx.job.id, (runs.get(ctx.job.id) ?? 0) + 1);
  }
}

@JobHandler('sized', { maxAttempts: 1 })
class SizedHandler {
  handle(payload: { bytes: number }): { blob: string } {
    return { blob: 'x'.repeat(payload.bytes) };
  }
}

/**
 * The throughput machinery — enqueues sharing INSERT statements, claims ahead of free slots,
 * completions recorded in bulk — must keep every promise the simple path keeps.
 */
describe('hot path', () => {
  let db: pg.Client;
  const apps: TestApp[] = [];
  const schema = uniqueSchema('hot');

  beforeAll(async () => {
    db = new pg.Client({ connectionString: databaseUrl() });
    await db.connect();
  });

  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  afterAll(async () => {
    await db?.end();
    await dropSchema(schema);
  });

  const start = async (mode: 'external' | 'async') => {
    const app = await createTestApp({ providers: [FastHandler, SizedHandler], options: { schema, mode, queues: '*:4' } });
    apps.push(app);
    return app;
  };
  const count = async (where: string) =>
    (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}".jobs WHERE ${where}`)).rows[0].n;

  it('gives each of many concurrent enqueue calls its own job, though they share statements', async () => {
    const producer = await start('external');
    const tag = `concurrent-${Date.now()}`;
    const records = await Promise.all(
      Array.from({ length: 200 }, (_, i) => producer.queue.enqueue('fast', { i }, { tags: [tag], priority: i % 3 })),
    );
    expect(records.map((r) => r.payload)).toEqual(Array.from({ length: 200 }, (_, i) => ({ i })));
    expect(records.map((r) => r.priority)).toEqual(Array.from({ length: 200 }, (_, i) => i % 3));
    expect(new Set(records.map((r) => r.id)).size).toBe(200);
    // Rows written by one statement share its transaction id.
    const { rows } = await db.query<{ statements: number }>(
      `SELECT count(DISTINCT xmin::text)::int AS statements FROM "${schema}".jobs WHERE $1 = ANY(tags)`,
      [tag],
    );
    expect(rows[0].statements).toBeLessThan(200);
  });

  it('returns for each new job the record a read of its row gives', async () => {
    const producer = await start('external');
    const key = `record-${Date.now()}`;
    await producer.queue.enqueue('fast', { existing: true }, { idempotencyKey: `${key}-old` });
    const records = await producer.queue.enqueueMany([
      { jobType: 'fast', payload: { b: 2, a: [1, 'x', null], when: new Date(0) } },
      { jobType: 'fast', payload: 7, options: { queue: 'other', priority: -3, delayMs: 60_000, maxAttempts: 9, timeoutMs: 1234 } },
      { jobType: 'fast', payload: 'at', options: { runAt: new Date('2031-02-03T04:05:06.789Z'), tags: ['t1', 't2'] } },
      { jobType: 'fast', payload: {}, options: { idempotencyKey: `${key}-new`, deadLetterJobType: 'sized' } },
      { jobType: 'fast', payload: { repeat: true }, options: { idempotencyKey: `${key}-new` } },
      { jobType: 'fast', payload: {}, options: { idempotencyKey: `${key}-old` } },
    ]);
    for (const record of records) expect(record).toEqual(await producer.queue.getJob(record.id));
    expect(records[4].id).toBe(records[3].id);
    expect(records[5].payload).toEqual({ existing: true });
  });

  it('gives concurrent enqueues of one idempotency key one job', async () => {
    const producer = await start('external');
    const key = `once-${Date.now()}`;
    const records = await Promise.all(Array.from({ length: 20 }, () => producer.queue.enqueue('fast', {}, { idempotencyKey: key })));
    expect(new Set(records.map((r) => r.id)).size).toBe(1);
    expect(await count(`idempotency_key = '${key}'`)).toBe(1);
  });

  it('fails only the job whose completion the database refuses; the others written with it complete', async () => {
    // Stands in for any output Postgres refuses for good (a constraint, a size limit).
    await db.query(`ALTER TABLE "${schema}".jobs ADD CONSTRAINT small_output CHECK (length(output::text) < 1000)`);
    try {
      await start('async');
      const producer = await start('external');
      const jobs = await producer.queue.enqueueMany(
        Array.from({ length: 40 }, (_, i) => ({ jobType: 'sized', payload: { bytes: i % 8 === 0 ? 5000 : 10 } })),
      );
      const settled = await waitFor(
        'every sized job to settle',
        () => Promise.all(jobs.map((job) => producer.queue.getJob(job.id))),
        (found) => found.every((job) => job?.status === 'completed' || job?.status === 'failed'),
      );
      const failed = settled.filter((job) => job!.status === 'failed');
      expect(failed.map((job) => (job!.payload as { bytes: number }).bytes)).toEqual([5000, 5000, 5000, 5000, 5000]);
      expect(failed[0]!.errorHistory[0].message).toContain('its completion cannot be stored');
    } finally {
      await db.query(`ALTER TABLE "${schema}".jobs DROP CONSTRAINT small_output`);
    }
  });

  it("deletes a job's history with the job", async () => {
    await start('async');
    const producer = await start('external');
    const job = await producer.queue.enqueue('fast', {});
    await waitFor(
      'its attempt to be recorded',
      () => producer.queue.getJobExecutions(job.id),
      (history) => history.length === 1,
    );
    expect(await producer.queue.deleteJob(job.id)).toBe(true);
    const orphans = await db.query(`SELECT 1 FROM "${schema}".job_executions WHERE job_id = $1`, [job.id]);
    expect(orphans.rowCount).toBe(0);
  });

  it('returns claimed-ahead jobs unstarted and uncounted at shutdown; each job runs once', async () => {
    const producer = await start('external');
    const total = 4000;
    const jobs = await producer.queue.enqueueMany(Array.from({ length: total }, (_, i) => ({ jobType: 'fast', payload: { i } })));
    const ids = jobs.map((job) => job.id);
    const mine = `id BETWEEN ${ids[0]} AND ${ids.at(-1)}`;

    const first = await start('async');
    await waitFor(
      'a tenth of the jobs to complete',
      () => count(`${mine} AND status = 'completed'`),
      (n) => n >= total / 10,
    );
    await first.close();

    expect(await count(`${mine} AND status = 'processing'`)).toBe(0);
    // Claimed ahead, then released: pending again, attempt not counted, no history row.
    const released = await count(`${mine} AND status = 'pending' AND updated_at > created_at`);
    expect(released).toBeGreaterThan(0);
    expect(await count(`${mine} AND status = 'pending' AND attempts <> 0`)).toBe(0);
    const executions = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "${schema}".job_executions WHERE job_id BETWEEN $1 AND $2`,
      [ids[0], ids.at(-1)],
    );
    expect(executions.rows[0].n).toBe(await count(`${mine} AND status = 'completed'`));

    await start('async');
    await waitFor(
      'every job to complete',
      () => count(`${mine} AND status = 'completed'`),
      (n) => n === total,
      { timeoutMs: 30_000 },
    );
    expect(await count(`${mine} AND attempts <> 1`)).toBe(0);
    expect(ids.filter((id) => runs.get(id) !== 1)).toEqual([]);
  });
});
