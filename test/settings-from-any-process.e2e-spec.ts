import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import pg from 'pg';
import {
  ConcurrencyKeyUnavailableError,
  ConcurrencyLimitError,
  FairKeyUnavailableError,
  JobTypeNotPublishedError,
  type JobRecord,
} from '@dataqueue/nestjs';
import { CONFIGURED, CONFIGURED_HANDLERS, type ConfiguredPayload } from './fixtures/configured-handlers.js';
import { GAUGE_TABLES } from './fixtures/limited-handlers.js';
import { rejectionOf } from './support/rejection.js';
import { startCluster, type Cluster } from './support/cluster.js';
import { createTestApp, waitForFinalFailure, waitForStatus, type TestApp } from './support/test-app.js';
import { databaseUrl } from './support/unique-schema.js';
import { waitFor } from './support/wait-for.js';
import { withWorkerLogs, type WorkerProcess } from './support/worker-processes.js';

/**
 * The handlers live in two worker processes that serve only their queue ('configured'): a job
 * that landed anywhere else would never run. Jobs are enqueued from every kind of producer, and
 * each must get the settings the handler declares (test/fixtures/configured-handlers.ts).
 */
describe('job settings travel with the job type, from any process', () => {
  let cluster: Cluster | undefined;
  let schema: string;
  let workers: WorkerProcess[];
  let db: pg.Client;
  let dataSource: DataSource;
  /** Declares the handlers (enqueue only): "the handler's own app". */
  let own: TestApp;
  /** Declares nothing: the web app of the README's production setup. */
  let external: TestApp;

  beforeAll(async () => {
    cluster = await startCluster({
      workers: 2,
      env: { DQ_QUEUES: `${CONFIGURED.queue}:3` },
      producer: {
        options: {
          cron: [{ key: 'configured-yearly', schedule: '0 0 1 1 *', jobType: 'configured', payload: { user: 'cron', holdMs: 0 } }],
        },
      },
    });
    ({ schema, workers, producer: external } = cluster);
    db = new pg.Client({ connectionString: databaseUrl() });
    await db.connect();
    for (const sql of GAUGE_TABLES(schema)) await db.query(sql);
    own = await createTestApp({ providers: CONFIGURED_HANDLERS, options: { schema, mode: 'external' } });
    dataSource = await new DataSource({ type: 'postgres', url: databaseUrl(), poolSize: 2 }).initialize();
  }, 60_000);

  afterAll(async () => {
    await dataSource?.destroy();
    await own?.close();
    await db?.end();
    await cluster?.close();
  });

  const producers: [string, (payload: ConfiguredPayload) => Promise<JobRecord>][] = [
    ["the handler's own app", (payload) => own.queue.enqueue('configured', payload)],
    ['an external app without the handler', (payload) => external.queue.enqueue('configured', payload)],
    [
      'a transaction joined through manager',
      (payload) => dataSource.transaction((manager) => external.queue.enqueue('configured', payload, { manager })),
    ],
    [
      'a batch add',
      async (payload) => {
        const batch = await external.queue.createBatch();
        const [job] = await batch.add([{ jobType: 'configured', payload }]);
        return job;
      },
    ],
  ];

  describe.each(producers)('enqueued from %s', (_, enqueue) => {
    it('gets the queue, priority, attempts, timeout, dead letter and keys its handler declares, and runs', async () => {
      const user = `u-${Math.random().toString(36).slice(2, 8)}`;
      const job = await enqueue({ user, holdMs: 0 });
      const expected = { ...CONFIGURED, concurrencyKeys: [user, `total:${user}`], fairKey: user, fairWeight: 2 };
      expect(job).toMatchObject(expected);
      expect(await own.queue.getJob(job.id)).toMatchObject(expected);
      await withWorkerLogs(workers, waitForStatus(own.queue, job.id, 'completed'));
    });

    it('times out, retries as often as declared, then goes to the declared dead letter', async () => {
      const job = await enqueue({ user: `slow-${Math.random().toString(36).slice(2, 8)}`, holdMs: 5000 });
      const failed = await withWorkerLogs(workers, waitForFinalFailure(own.queue, job.id));
      expect(failed.failureReason).toBe('timeout');
      expect(failed.attempts).toBe(CONFIGURED.maxAttempts);
      expect(failed.deadLetterJobId).not.toBeNull();
      const letter = await waitForStatus(own.queue, failed.deadLetterJobId!, 'completed');
      expect(letter).toMatchObject({ jobType: CONFIGURED.deadLetterJobType, queue: CONFIGURED.queue });
    });
  });

  it('a cron tick gets the declared settings too', async () => {
    const job = await external.queue.runCronNow('configured-yearly');
    expect(job).toMatchObject({ ...CONFIGURED, concurrencyKeys: ['cron', 'total:cron'], fairKey: 'cron', fairWeight: 2 });
    await withWorkerLogs(workers, waitForStatus(own.queue, job.id, 'completed'));
  });

  it('holds a performLimit across two worker processes for jobs of a producer without the handler', async () => {
    const jobs = await external.queue.enqueueMany(
      Array.from({ length: 3 }, () => ({ jobType: 'configured', payload: { user: 'shared', holdMs: 80 } })),
    );
    await withWorkerLogs(
      workers,
      waitFor(
        'the performLimit jobs to complete',
        () => Promise.all(jobs.map((job) => own.queue.getJob(job.id))),
        (found) => found.every((job) => job?.status === 'completed'),
        { timeoutMs: 20_000 },
      ),
    );
    const { rows } = await db.query<{ max_running: number }>(`SELECT max_running FROM "${schema}".gauge WHERE key = 'shared'`);
    expect(rows).toEqual([{ max_running: 1 }]);
  });

  it('enforces a totalLimit with a declarative key from a producer without the handler', async () => {
    const payload = { user: 'capped', holdMs: 5000 };
    await external.queue.enqueueMany(Array.from({ length: 4 }, () => ({ jobType: 'configured', payload })));
    const error = await rejectionOf(external.queue.enqueue('configured', payload));
    expect(error).toBeInstanceOf(ConcurrencyLimitError);
    expect(error).toMatchObject({ jobType: 'configured', key: 'total:capped' });
    const { jobs } = await own.queue.listJobs({ jobType: 'configured', limit: 100 });
    expect(jobs.filter((job) => (job.payload as ConfiguredPayload).user === 'capped')).toHaveLength(4);
    for (const job of jobs) if ((job.payload as ConfiguredPayload).user === 'capped') await own.queue.cancelJob(job.id);
  });

  it('refuses, with a typed error naming the type and the rule, an enqueue-side rule whose key only the handler can derive', async () => {
    const error = await rejectionOf(external.queue.enqueue('keyed-by-function', { user: 'ada' }));
    expect(error).toBeInstanceOf(ConcurrencyKeyUnavailableError);
    expect(error).toMatchObject({ jobType: 'keyed-by-function', rule: 'concurrency[0] (totalLimit 1)' });
    expect((await own.queue.listJobs({ jobType: 'keyed-by-function' })).jobs).toHaveLength(0);
    // The handler's own app can run the function: there the rule holds as declared.
    const twice = Array.from({ length: 2 }, () => ({ jobType: 'keyed-by-function', payload: { user: 'ada' } }));
    await expect(own.queue.enqueueMany(twice)).rejects.toBeInstanceOf(ConcurrencyLimitError);
  });

  it('refuses, with a typed error, a fair key only the handler can derive, unless the enqueue gives it', async () => {
    const error = await rejectionOf(external.queue.enqueue('fair-by-function', { user: 'ada' }));
    expect(error).toBeInstanceOf(FairKeyUnavailableError);
    expect(error).toMatchObject({ jobType: 'fair-by-function' });
    expect((await own.queue.listJobs({ jobType: 'fair-by-function' })).jobs).toHaveLength(0);
    const given = await external.queue.enqueue('fair-by-function', { user: 'ada' }, { fairKey: 'tenant-ada' });
    expect(given).toMatchObject({ fairKey: 'tenant-ada', fairWeight: 1 });
    const derived = await own.queue.enqueue('fair-by-function', { user: 'ada' });
    expect(await own.queue.getJob(derived.id)).toMatchObject({ fairKey: 'ada', fairWeight: 3 });
    await withWorkerLogs(workers, waitForStatus(own.queue, derived.id, 'completed'));
  });

  it('refuses a type no app with its handler has published yet, inserting nothing', async () => {
    const error = await rejectionOf(external.queue.enqueue('never-declared', {}));
    expect(error).toBeInstanceOf(JobTypeNotPublishedError);
    expect(error).toMatchObject({ jobType: 'never-declared', schema });
    expect((await own.queue.listJobs({ jobType: 'never-declared' })).jobs).toHaveLength(0);
  });
});
