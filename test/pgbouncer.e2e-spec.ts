import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Inject, Injectable, type LoggerService } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import pg from 'pg';
import { DataQueueHealthIndicator, DataQueueModule, JobHandler, OnBatchFinish, OnBatchSuccess, type QueueService } from '@dataqueue/nestjs';
import type { BatchCallbackContext, BatchRecord, DataQueueModuleOptions, JobContext, JobRecord } from '@dataqueue/nestjs';
import { PgBouncer, pgBouncerMissing } from './support/pgbouncer.js';
import { Tally } from './support/tally.js';
import { createTestApp, type TestApp } from './support/test-app.js';
import { databaseUrl, dropSchema, uniqueSchema } from './support/unique-schema.js';
import { waitFor } from './support/wait-for.js';

const TALLY = Symbol('TALLY');
const APP_NAME = Symbol('APP_NAME');

/** Records each run as `<app>:<attempt>`; fails the first `payload.fail` attempts. */
@JobHandler('tally', { backoff: { baseMs: 0, jitter: 0 } })
class TallyHandler {
  constructor(
    @Inject(TALLY) private readonly tally: Tally,
    @Inject(APP_NAME) private readonly app: string,
  ) {}

  async handle(payload: { fail?: number }, ctx: JobContext): Promise<void> {
    await this.tally.record(ctx.job.id, `${this.app}:${ctx.job.attempts}`);
    if (payload.fail && ctx.job.attempts <= payload.fail) throw new Error(`fails attempt ${ctx.job.attempts}, as told`);
  }
}

@Injectable()
class TallyBatchCallbacks {
  constructor(@Inject(TALLY) private readonly tally: Tally) {}

  @OnBatchFinish('tally')
  finished(batch: BatchRecord, ctx: BatchCallbackContext): Promise<void> {
    return this.tally.record(ctx.job.id, `finish:${batch.id}`);
  }

  @OnBatchSuccess('tally')
  succeeded(batch: BatchRecord, ctx: BatchCallbackContext): Promise<void> {
    return this.tally.record(ctx.job.id, `success:${batch.id}`);
  }
}

const handlers = (tally: Tally, app: string) => [
  { provide: TALLY, useValue: tally },
  { provide: APP_NAME, useValue: app },
  TallyHandler,
  TallyBatchCallbacks,
];

/**
 * Enqueues `retried` jobs that fail once, `plain` jobs, and a batch of `batched` jobs with finish
 * and success callbacks. The retries come first: a failure does not NOTIFY, so a retry is claimed
 * when a later job's end wakes its pool (or at the next poll).
 */
async function enqueueWorkload(queue: QueueService, { plain, retried, batched }: { plain: number; retried: number; batched: number }) {
  const twice = await queue.enqueueMany(Array.from({ length: retried }, () => ({ jobType: 'tally', payload: { fail: 1 } })));
  const once = await queue.enqueueMany(Array.from({ length: plain }, () => ({ jobType: 'tally', payload: {} })));
  const batch = await queue.createBatch({ onFinish: 'tally', onSuccess: 'tally' });
  once.push(...(await batch.enqueue(Array.from({ length: batched }, () => ({ jobType: 'tally', payload: {} })))));
  return { once, twice, batchId: batch.id };
}

async function waitAllCompleted(queue: QueueService, jobs: JobRecord[], timeoutMs: number): Promise<void> {
  await waitFor(
    `all ${jobs.length} jobs completed`,
    async () =>
      (await Promise.all(jobs.map((job) => queue.getJob(job.id))))
        .filter((job) => job?.status !== 'completed')
        .map((job) => ({
          id: job?.id,
          status: job?.status,
          attempts: job?.attempts,
          payload: job?.payload,
          nextAttemptAt: job?.nextAttemptAt,
        })),
    (left) => left.length === 0,
    { timeoutMs, intervalMs: 200 },
  );
}

/** Each job of `once` ran exactly once and each of `twice` (failed once, then retried) twice, counting handler runs, not callbacks. */
async function expectRunsPerJob(tally: Tally, once: JobRecord[], twice: JobRecord[]): Promise<void> {
  const runs = new Map<string, number>();
  for (const { jobId, label } of await tally.entries()) {
    if (/^app/.test(label ?? '')) runs.set(jobId, (runs.get(jobId) ?? 0) + 1);
  }
  expect(once.filter((job) => runs.get(job.id) !== 1)).toEqual([]);
  expect(twice.filter((job) => runs.get(job.id) !== 2)).toEqual([]);
}

async function listenerConnections(schema: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl() });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1', [
      `dataqueue-listener:${schema}`,
    ]);
    return Number(rows[0].n);
  } finally {
    await client.end();
  }
}

if (pgBouncerMissing) console.warn(`PgBouncer tests ${pgBouncerMissing}`);

(pgBouncerMissing ? describe.skip : describe)(`PgBouncer in transaction mode${pgBouncerMissing ? ` (${pgBouncerMissing})` : ''}`, () => {
  let bouncer: PgBouncer;
  let apps: TestApp[] = [];
  let tally: Tally | undefined;
  let schema: string;

  beforeAll(async () => {
    // 4 server connections for every client of every app: clients really do change connections.
    bouncer = await PgBouncer.start(databaseUrl(), { poolSize: 4 });
  });

  afterEach(async () => {
    await Promise.all(apps.map((app) => app.close()));
    apps = [];
    await tally?.close();
    tally = undefined;
    if (schema) await dropSchema(schema);
  });

  afterAll(async () => {
    await bouncer?.stop();
  });

  it('runs every job exactly once on two apps whose url is PgBouncer, with LISTEN on directUrl', async () => {
    schema = uniqueSchema();
    tally = await Tally.create(schema);
    const options: DataQueueModuleOptions = {
      url: bouncer.url,
      directUrl: databaseUrl(),
      preparedStatements: false,
      schema,
      // No polling to speak of: the pools idle until NOTIFY wakes them through the direct LISTEN connection.
      pollIntervalMs: 60_000,
    };
    // Both boot at once: their migrations serialize on a transaction-scoped lock through PgBouncer.
    apps = await Promise.all(['app1', 'app2'].map((name) => createTestApp({ providers: handlers(tally!, name), options })));
    expect(await listenerConnections(schema)).toBe(2);
    const { queue } = apps[0];

    const { once, twice, batchId } = await enqueueWorkload(queue, { plain: 250, retried: 30, batched: 20 });
    await waitAllCompleted(queue, [...once, ...twice], 30_000);

    await expectRunsPerJob(tally, once, twice);
    const labels = await tally.labels();
    expect(labels.filter((label) => label?.startsWith('app1:')).length).toBeGreaterThan(0);
    expect(labels.filter((label) => label?.startsWith('app2:')).length).toBeGreaterThan(0);
    await waitFor(
      'the batch to finish',
      () => queue.getBatch(batchId),
      (batch) => batch?.finishedAt != null,
    );
    await waitFor(
      'both callbacks to run',
      async () => (await tally!.labels()).filter((label) => label?.endsWith(`:${batchId}`)).sort(),
      (l) => l.length >= 2,
    );
    expect((await tally.labels()).filter((label) => label?.endsWith(`:${batchId}`)).sort()).toEqual([
      `finish:${batchId}`,
      `success:${batchId}`,
    ]);
  });

  it('polls only with listen: false and no directUrl, and reports healthy without a LISTEN connection', async () => {
    schema = uniqueSchema();
    tally = await Tally.create(schema);
    const options: DataQueueModuleOptions = { url: bouncer.url, listen: false, preparedStatements: false, schema, pollIntervalMs: 100 };
    apps = await Promise.all(['app1', 'app2'].map((name) => createTestApp({ providers: handlers(tally!, name), options })));
    const { queue } = apps[0];

    const { once, twice, batchId } = await enqueueWorkload(queue, { plain: 100, retried: 10, batched: 10 });
    await waitAllCompleted(queue, [...once, ...twice], 30_000);

    await expectRunsPerJob(tally, once, twice);
    await waitFor(
      'the batch to finish',
      () => queue.getBatch(batchId),
      (batch) => batch?.finishedAt != null,
    );
    expect(await listenerConnections(schema)).toBe(0);
    expect(await apps[0].app.get(DataQueueHealthIndicator).isHealthy('dataqueue')).toMatchObject({
      dataqueue: { status: 'up', database: 'up', listening: false },
    });
  });

  it('needs preparedStatements: false: a named statement fails on a server connection another client prepared it on', async () => {
    schema = uniqueSchema();
    // One server connection: the pools' concurrent claims (one statement name, several pg clients) all land on it.
    const single = await PgBouncer.start(databaseUrl(), { poolSize: 1 });
    const warnings: string[] = [];
    const logger: LoggerService = { log: () => undefined, error: (m) => warnings.push(String(m)), warn: (m) => warnings.push(String(m)) };
    let moduleRef: TestingModule | undefined;
    try {
      moduleRef = await Test.createTestingModule({
        imports: [
          DataQueueModule.forRoot({
            url: single.url,
            directUrl: databaseUrl(),
            schema,
            queues: 'a:1;b:1;c:1;d:1',
            pollIntervalMs: 100,
            shutdownTimeoutMs: 500,
          }),
        ],
      }).compile();
      moduleRef.useLogger(logger);
      await moduleRef.init();
      const failure = await waitFor('a claim to fail for its statement name', () =>
        warnings.find((w) => /prepared statement "[^"]+" already exists/.test(w)),
      );
      expect(failure).toMatch(/claim failed/);
    } finally {
      await moduleRef?.close();
      await single.stop();
    }
  });
});
