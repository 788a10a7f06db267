import { afterAll, describe, expect, it } from '@jest/globals';
import { DatabaseUnavailableError, type JobRecord } from '@dataqueue/nestjs';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '@dataqueue/nestjs/embedded';
import { TALLY_BATCH } from '../fixtures/tally-batch-callbacks.js';
import { startCluster, type Cluster } from '../support/cluster.js';
import { waitFor } from '../support/wait-for.js';
import { withWorkerLogs } from '../support/worker-processes.js';

/**
 * A Postgres restart in the middle of a run: every connection drops (pools, LISTEN, running
 * transactions). Nothing may be lost, stuck or doubled.
 */
describe('a Postgres restart mid-run', () => {
  let postgres: EmbeddedPostgresHandle | undefined;
  let cluster: Cluster | undefined;

  afterAll(async () => {
    try {
      await cluster?.close();
    } finally {
      await postgres?.stop();
    }
  });

  it('fails enqueues fast while down, then workers reconnect and every job completes, each batch callback once', async () => {
    postgres = await startEmbeddedPostgres(); // its own server: the suite's must stay up
    cluster = await startCluster({
      url: postgres.url,
      workers: 2,
      env: {
        DQ_HEARTBEAT_INTERVAL_MS: '1000',
        DQ_WORKER_TIMEOUT_MS: '60000', // longer than the outage: no worker is presumed dead
      },
    });
    const { producer, tally, workers } = cluster;
    const { queue } = producer;
    const jobs: JobRecord[] = await queue.enqueueMany(
      Array.from({ length: 300 }, (_, i) => ({ jobType: 'tally', payload: { sleepMs: 40, label: `job-${i}` } })),
    );
    const batch = await queue.createBatch({ onFinish: TALLY_BATCH, onSuccess: TALLY_BATCH });
    jobs.push(...(await batch.enqueue(Array.from({ length: 50 }, () => ({ jobType: 'tally', payload: { sleepMs: 40 } })))));
    await withWorkerLogs(
      workers,
      waitFor(
        'some jobs done',
        () => tally.count(),
        (n) => n >= 50,
        { timeoutMs: 30_000 },
      ),
    );

    expect(await tally.count()).toBeLessThan(jobs.length); // the fault hits mid-run
    const restarting = postgres.restart(1500);
    const refused = await waitFor(
      'an enqueue to be refused while the database is down',
      () =>
        queue.enqueue('tally', {}).then(
          () => null,
          (error: unknown) => error,
        ),
      (error) => error !== null,
    );
    expect(refused).toBeInstanceOf(DatabaseUnavailableError);
    await restarting;

    const after = await waitFor('an enqueue to succeed again', () => queue.enqueue('tally', { label: 'after' }).catch(() => null));
    jobs.push(after);
    const final = await withWorkerLogs(
      workers,
      waitFor(
        `all ${jobs.length} jobs completed`,
        async () => (await Promise.all(jobs.map((job) => queue.getJob(job.id)))).map((job) => job!.status),
        (statuses) => statuses.every((status) => status === 'completed'),
        { timeoutMs: 60_000, intervalMs: 200 },
      ),
    );
    expect(final).toHaveLength(351);
    const runs = await tally.runsPerJob();
    // At least once: a run whose commit reached the server but whose reply was lost in the
    // restart may run again; every job ran, and none more than twice.
    for (const job of jobs) expect(runs.get(job.id)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...jobs.map((job) => runs.get(job.id)!))).toBeLessThanOrEqual(2);
    const record = await waitFor(
      'the batch to finish',
      () => queue.getBatch(batch.id),
      (b) => b?.finishedAt != null,
    );
    expect(record!.counts).toMatchObject({ total: 50, succeeded: 50, pending: 0 });
    const callbacks = (await tally.labels()).filter((label) => label?.includes(batch.id));
    expect(callbacks.map((label) => JSON.parse(label!).event).sort()).toEqual(['finish', 'success']);
  });
});
