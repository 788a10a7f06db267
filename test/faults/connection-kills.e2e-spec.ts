import { afterAll, describe, expect, it } from '@jest/globals';
import { JobHandler, type JobContext, type JobRecord } from '@dataqueue/nestjs';
import pg from 'pg';
import { TALLY_BATCH } from '../fixtures/tally-batch-callbacks.js';
import { startCluster, type Cluster } from '../support/cluster.js';
import { createTestApp } from '../support/test-app.js';
import { databaseUrl } from '../support/unique-schema.js';
import { waitFor } from '../support/wait-for.js';
import { withWorkerLogs } from '../support/worker-processes.js';

describe('connections killed from the server side, repeatedly', () => {
  let cluster: Cluster | undefined;
  let admin: pg.Client | undefined;

  afterAll(async () => {
    await admin?.end();
    await cluster?.close();
  });

  it('pg_terminate_backend on every worker connection, five times mid-run: nothing lost, stuck or doubled', async () => {
    cluster = await startCluster({ workers: 2, env: { DQ_WORKER_TIMEOUT_MS: '60000' } });
    const { schema, producer, tally, workers } = cluster;
    admin = new pg.Client({ connectionString: databaseUrl() });
    await admin.connect();
    const { queue } = producer;
    const jobs: JobRecord[] = await queue.enqueueMany(Array.from({ length: 500 }, () => ({ jobType: 'tally', payload: { sleepMs: 30 } })));
    const batch = await queue.createBatch({ onFinish: TALLY_BATCH });
    jobs.push(...(await batch.enqueue(Array.from({ length: 50 }, () => ({ jobType: 'tally', payload: { sleepMs: 30 } })))));

    for (let round = 1; round <= 5; round++) {
      await waitFor(
        `round ${round}`,
        () => tally.count(),
        (n) => n >= round * 60,
      );
      // Every backend DataQueue opened for this schema (pools and LISTEN connections, the producer's too).
      const { rows } = await admin.query<{ killed: number }>(
        `SELECT count(pg_terminate_backend(pid))::int AS killed FROM pg_stat_activity
         WHERE pid <> pg_backend_pid() AND application_name LIKE 'dataqueue%:' || $1`,
        [schema],
      );
      expect(rows[0].killed).toBeGreaterThan(0);
    }

    await withWorkerLogs(
      workers,
      waitFor(
        'every job completed',
        async () => Promise.all(jobs.map((job) => queue.getJob(job.id))),
        (found) => found.every((job) => job?.status === 'completed'),
        { timeoutMs: 60_000, intervalMs: 250 },
      ),
    );
    const runs = await tally.runsPerJob();
    for (const job of jobs) expect(runs.get(job.id)).toBeGreaterThanOrEqual(1);
    expect((await queue.listJobs({ status: 'processing' })).jobs).toEqual([]);
    const finished = await waitFor(
      'the batch',
      () => queue.getBatch(batch.id),
      (b) => b?.finishedAt != null,
    );
    expect(finished!.counts.succeeded).toBe(50);
  });
});

@JobHandler('busy', { maxAttempts: 5, backoff: { baseMs: 10 } })
class BusyHandler {
  async handle(payload: { fail: boolean }, ctx: JobContext): Promise<string> {
    await ctx.setProgress(50);
    await new Promise((resolve) => setTimeout(resolve, 20));
    if (payload.fail && ctx.job.attempts === 1) throw new Error('once');
    return 'ok';
  }
}

describe('a connection pool smaller than the worker slots', () => {
  it('runs progress writes, failures, dead letters and batch bookkeeping on 2 connections for 12 slots without deadlock', async () => {
    const app = await createTestApp({ providers: [BusyHandler], options: { poolSize: 2, queues: '*:12', pollIntervalMs: 50 } });
    try {
      const plain = await app.queue.enqueueMany(
        Array.from({ length: 120 }, (_, i) => ({
          jobType: 'busy',
          payload: { fail: i % 3 === 0 },
          options: { deadLetterJobType: 'busy' },
        })),
      );
      const batch = await app.queue.createBatch();
      const batched = await batch.enqueue(Array.from({ length: 60 }, (_, i) => ({ jobType: 'busy', payload: { fail: i % 4 === 0 } })));
      const all = [...plain, ...batched];
      await waitFor(
        'all jobs completed',
        async () => Promise.all(all.map((job) => app.queue.getJob(job.id))),
        (found) => found.every((job) => job?.status === 'completed'),
        { timeoutMs: 60_000, intervalMs: 100 },
      );
      await waitFor(
        'the batch finished',
        () => app.queue.getBatch(batch.id),
        (b) => b?.finishedAt != null,
      );
    } finally {
      await app.close();
    }
  });
});
