import { afterEach, describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import pg from 'pg';
import { OnJobEvent, type JobEvent } from '@dataqueue/nestjs';
import type { TallyJobPayload } from './fixtures/worker-process.js';
import { startCluster, type Cluster, type ProducerOptions, type WorkerSettings } from './support/cluster.js';
import type { Tally, TallyEntry } from './support/tally.js';
import { waitForFinalFailure, waitForStatus, type TestApp } from './support/test-app.js';
import { databaseUrl } from './support/unique-schema.js';
import { waitFor } from './support/wait-for.js';
import { withWorkerLogs, type WorkerProcess } from './support/worker-processes.js';

const cancelled: JobEvent[] = [];

@Injectable()
class CancelObserver {
  @OnJobEvent('cancelled')
  record(event: JobEvent): void {
    cancelled.push(event);
  }
}

/**
 * App A (enqueue-only, in this process) cancels a job that worker process B runs: B's
 * `ctx.signal` must abort promptly, by NOTIFY when B listens, by its poll when it does not. The
 * tally fixture records the abort (payload.recordAbort) with the database's clock, which also
 * stamped the cancel (lastCancelledAt), so the delay is measured on one clock.
 */
describe('cancelling a job that runs in another process', () => {
  let cluster: Cluster | undefined;
  let tally: Tally | undefined;
  let workers: WorkerProcess[];

  async function setUp(env: WorkerSettings, options: ProducerOptions = {}): Promise<TestApp> {
    cluster = await startCluster({ workers: 1, env, producer: { providers: [CancelObserver], options } });
    ({ tally, workers } = cluster);
    return cluster.producer;
  }

  afterEach(async () => {
    await cluster?.close();
    cluster = undefined;
  });

  /** Connections LISTENing for this schema (the worker process's, when it listens). */
  async function listenerConnections(): Promise<number> {
    const client = new pg.Client({ connectionString: databaseUrl() });
    await client.connect();
    try {
      const { rows } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1`, [
        `dataqueue-listener:${cluster!.schema}`,
      ]);
      return rows[0].n;
    } finally {
      await client.end();
    }
  }

  /** Enqueues a long tally job, waits for B to run it, cancels it from A; returns when the cancel was stamped and B's abort row. */
  async function cancelWhileRunning(app: TestApp): Promise<{ abort: TallyEntry; delayMs: number }> {
    const job = await app.queue.enqueue<TallyJobPayload>('tally', { sleepMs: 60_000, recordAbort: true });
    const [run] = await withWorkerLogs(
      workers,
      waitFor(
        'B to run the job',
        () => tally!.entries(),
        (entries) => entries.length === 1,
      ),
    );
    expect(run).toMatchObject({ jobId: job.id, pid: workers[0].pid });
    await waitForStatus(app.queue, job.id, 'processing');

    const record = await app.queue.cancelJob(job.id);
    expect(record.status).toBe('cancelled');
    const abort = await withWorkerLogs(
      workers,
      waitFor(
        'B to record the abort of its signal',
        async () => (await tally!.entries()).find((e) => e.label?.startsWith('aborted:')),
        Boolean,
        {
          timeoutMs: 10_000,
        },
      ),
    );
    expect(abort).toMatchObject({ jobId: job.id, label: 'aborted:JobCancelledError', pid: workers[0].pid });

    // B's aborted run writes nothing: the job stays cancelled, its history says so.
    expect(await app.queue.getJob(job.id)).toMatchObject({ status: 'cancelled', lockedBy: null });
    expect((await app.queue.getJobExecutions(job.id)).map((e) => e.outcome)).toEqual(['cancelled']);
    await waitFor('A to announce the cancellation', () => cancelled.find((e) => e.job.id === job.id));
    return { abort: abort!, delayMs: abort!.at.getTime() - record.lastCancelledAt!.getTime() };
  }

  it('aborts the running job in B within 1 s, by NOTIFY', async () => {
    // B polls only every 10 s: an abort within 1 s can only come from the cancel's NOTIFY.
    const app = await setUp({ DQ_POLL_INTERVAL_MS: '10000' });
    expect(await listenerConnections()).toBe(1);
    const { delayMs } = await cancelWhileRunning(app);
    expect(delayMs).toBeGreaterThanOrEqual(0);
    expect(delayMs).toBeLessThan(1000);
  });

  it('aborts the running job in B by its next poll when B does not LISTEN (listen: false)', async () => {
    const pollIntervalMs = 500;
    const app = await setUp({ DQ_POLL_INTERVAL_MS: String(pollIntervalMs), DQ_LISTEN: 'false' });
    expect(await listenerConnections()).toBe(0);
    const { delayMs } = await cancelWhileRunning(app);
    expect(delayMs).toBeGreaterThanOrEqual(0);
    expect(delayMs).toBeLessThan(pollIntervalMs + 1000);
  });

  it('aborts a run whose job was reaped while its worker was presumed dead, by its next poll', async () => {
    // A reaps with a 1.5 s timeout and works only a queue nobody uses; B heartbeats only every
    // 5 s, so A takes it for dead while it runs the job.
    const pollIntervalMs = 500;
    const app = await setUp(
      { DQ_POLL_INTERVAL_MS: String(pollIntervalMs), DQ_HEARTBEAT_INTERVAL_MS: '5000' },
      { mode: 'async', queues: 'idle:1', heartbeatIntervalMs: 250, workerTimeoutMs: 1500 },
    );
    const job = await app.queue.enqueue<TallyJobPayload>('tally', { sleepMs: 60_000, recordAbort: true }, { maxAttempts: 1 });
    await withWorkerLogs(
      workers,
      waitFor(
        'B to run the job',
        () => tally!.count(),
        (n) => n === 1,
      ),
    );

    const reaped = await waitForFinalFailure(app.queue, job.id);
    expect(reaped.failureReason).toBe('interrupted');
    const abort = await withWorkerLogs(
      workers,
      waitFor('B to record the abort of its signal', async () => (await tally!.entries()).find((e) => e.label?.startsWith('aborted:'))),
    );
    expect(abort).toMatchObject({ jobId: job.id, label: 'aborted:JobRunLostError', pid: workers[0].pid });
    const delayMs = abort.at.getTime() - reaped.lastFailedAt!.getTime();
    expect(delayMs).toBeGreaterThanOrEqual(0);
    expect(delayMs).toBeLessThan(pollIntervalMs + 1000);
    // B's aborted run writes nothing over the reaper's record.
    expect(await app.queue.getJob(job.id)).toMatchObject({ status: 'failed', failureReason: 'interrupted', nextAttemptAt: null });
  });
});
