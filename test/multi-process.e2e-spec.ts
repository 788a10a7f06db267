import { afterEach, describe, expect, it } from '@jest/globals';
import type { JobRecord, JobToEnqueue } from '@dataqueue/nestjs';
import type { TallyJobPayload } from './fixtures/worker-process.js';
import { startCluster, type Cluster, type WorkerSettings } from './support/cluster.js';
import type { Tally } from './support/tally.js';
import { waitForJob, type TestApp } from './support/test-app.js';
import { waitFor } from './support/wait-for.js';
import { withWorkerLogs, type WorkerProcess } from './support/worker-processes.js';

/**
 * Each test gets its own cluster: a fresh schema, a tally in it, an enqueue-only app in this
 * process (handlers live in the worker processes) and its worker processes.
 */
describe('several worker processes on one queue', () => {
  let cluster: Cluster | undefined;
  let tally: Tally;
  let workers: WorkerProcess[];

  /** Returns the enqueue-only app; the workers are in `workers`. */
  async function setUp(count: number, env: WorkerSettings = {}): Promise<TestApp> {
    cluster = await startCluster({ workers: count, env });
    ({ tally, workers } = cluster);
    return cluster.producer;
  }

  afterEach(async () => {
    await cluster?.close();
    cluster = undefined;
  });

  it('runs each of 2,000 jobs exactly once across two processes, both doing work', async () => {
    const { queue } = await setUp(2, { DQ_QUEUES: '*:5' });
    const total = 2000;
    const jobs: JobRecord[] = [];
    for (let start = 0; start < total; start += 500) {
      const chunk: JobToEnqueue<TallyJobPayload>[] = Array.from({ length: 500 }, (_, i) => ({
        jobType: 'tally',
        payload: { label: String(start + i) },
      }));
      jobs.push(...(await queue.enqueueMany(chunk)));
    }
    expect(new Set(jobs.map((j) => j.id)).size).toBe(total);

    await withWorkerLogs(
      workers,
      waitFor(
        'every job to be completed',
        async () => (await queue.listJobs({ status: ['pending', 'processing', 'failed'], limit: 1000 })).jobs.length,
        (unfinished) => unfinished === 0,
        { timeoutMs: 60_000, intervalMs: 100 },
      ),
    );

    const runs = await tally.runsPerJob();
    expect(runs.size).toBe(total);
    const repeated = [...runs].filter(([, n]) => n !== 1);
    expect(repeated).toEqual([]);
    expect(new Set(runs.keys())).toEqual(new Set(jobs.map((j) => j.id)));

    const perPid = await tally.runsPerPid();
    expect(new Set(perPid.keys())).toEqual(new Set(workers.map((w) => w.pid)));
    for (const worker of workers) expect(perPid.get(worker.pid)).toBeGreaterThan(0);

    let completed = 0;
    let cursor: string | undefined;
    do {
      const page = await queue.listJobs({ status: 'completed', limit: 1000, cursor });
      completed += page.jobs.filter((j) => j.attempts === 1).length;
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(completed).toBe(total);
  });

  it("hands the job of a SIGKILLed worker to the other process after workerTimeoutMs, as an 'interrupted' attempt", async () => {
    const { queue } = await setUp(2, { DQ_QUEUES: '*:2', DQ_HEARTBEAT_INTERVAL_MS: '500', DQ_WORKER_TIMEOUT_MS: '2000' });
    // Sleeps for a minute on its first attempt only (the handler skips the sleep once the job
    // has an error history), so the retry finishes at once.
    const job = await queue.enqueue<TallyJobPayload>('tally', { sleepMs: 60_000, sleepFirstAttemptOnly: true }, { maxAttempts: 3 });

    const [firstRun] = await withWorkerLogs(
      workers,
      waitFor(
        'the long job to start in a worker',
        () => tally.entries(),
        (entries) => entries.length === 1,
      ),
    );
    const victim = workers.find((w) => w.pid === firstRun.pid)!;
    const survivor = workers.find((w) => w !== victim)!;
    expect(victim).toBeDefined();
    victim.kill('SIGKILL');
    expect((await victim.exited).signal).toBe('SIGKILL');

    const done = await withWorkerLogs(
      workers,
      waitForJob(queue, job.id, (j) => j.status === 'completed', `job ${job.id} to be completed by the survivor`, {
        timeoutMs: 20_000,
        intervalMs: 100,
      }),
    );
    expect(done.attempts).toBe(2);
    expect(done.errorHistory).toEqual([expect.objectContaining({ reason: 'interrupted', attempt: 1 })]);
    expect(done.output).toEqual({ pid: survivor.pid });
    expect((await tally.entries()).map((e) => e.pid)).toEqual([victim.pid, survivor.pid]);
  });

  it('hands a running job back as pending on SIGTERM after shutdownTimeoutMs, without counting the attempt', async () => {
    const { queue } = await setUp(1, { DQ_SHUTDOWN_TIMEOUT_MS: '300' });
    const [worker] = workers;
    const job = await queue.enqueue<TallyJobPayload>('tally', { sleepMs: 60_000 });
    await withWorkerLogs(
      workers,
      waitForJob(queue, job.id, (j) => j.status === 'processing', `job ${job.id} to be running`),
    );
    await withWorkerLogs(
      workers,
      waitFor(
        'the job to start',
        () => tally.count(),
        (n) => n === 1,
      ),
    );

    const stopping = Date.now();
    const exit = await worker.stop('SIGTERM', 10_000);
    expect(Date.now() - stopping).toBeLessThan(8_000);
    expect(exit.signal === 'SIGTERM' || exit.code === 0).toBe(true);

    const handedBack = (await queue.getJob(job.id))!;
    expect(handedBack.status).toBe('pending');
    expect(handedBack.pendingReason).toEqual(expect.any(String));
    expect(handedBack.pendingReason).not.toBe('');
    expect(handedBack.attempts).toBe(0);
    expect(handedBack.lockedBy).toBeNull();
    expect(handedBack.errorHistory).toEqual([]);
    expect(handedBack.failureReason).toBeNull();
  });
});
