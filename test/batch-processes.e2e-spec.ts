import { afterEach, describe, expect, it } from '@jest/globals';
import type { BatchCallbackEvent, JobRecord, JobToEnqueue } from '@dataqueue/nestjs';
import type { TallyJobPayload } from './fixtures/worker-process.js';
import { TALLY_BATCH, callbackLabels, type TallyCallbackLabel } from './fixtures/tally-batch-callbacks.js';
import { allJobs, callbackJobsOf, waitForBatch, waitForBatchFinished } from './support/batches.js';
import { startCluster, type Cluster, type WorkerSettings } from './support/cluster.js';
import type { Tally } from './support/tally.js';
import type { TestApp } from './support/test-app.js';
import { waitFor } from './support/wait-for.js';
import { withWorkerLogs, type WorkerProcess } from './support/worker-processes.js';

const TALLY_CALLBACKS = { onFinish: TALLY_BATCH, onSuccess: TALLY_BATCH, onDiscard: TALLY_BATCH };

/** `count` items of each kind, in random order. */
function shuffled<T>(kinds: [count: number, make: () => T][]): T[] {
  const items = kinds.flatMap(([count, make]) => Array.from({ length: count }, make));
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

/**
 * Each test gets a fresh schema with a tally, an enqueue-only app in this process and its worker
 * processes, which run the 'tally' jobs and the batch callbacks (test/fixtures/worker-process.ts).
 * The enqueuing app declares neither handlers nor callbacks: strictJobTypes: false lets it name
 * job types and callback keys that only the worker processes know.
 */
describe('batches across worker processes', () => {
  let cluster: Cluster | undefined;
  let tally: Tally;
  let workers: WorkerProcess[];

  async function setUp(count: number, env: WorkerSettings = {}): Promise<TestApp> {
    cluster = await startCluster({ workers: count, env });
    ({ tally, workers } = cluster);
    return cluster.producer;
  }

  afterEach(async () => {
    await cluster?.close();
    cluster = undefined;
  });

  /** The batch callback runs the worker processes recorded for `batchId`. */
  async function callbackRuns(batchId: string): Promise<(TallyCallbackLabel & { pid: number })[]> {
    const entries = await tally.entries();
    return entries.flatMap((entry) =>
      callbackLabels([entry.label])
        .filter((run) => run.batchId === batchId)
        .map((run) => ({ ...run, pid: entry.pid })),
    );
  }

  function eventCounts(runs: { event: BatchCallbackEvent }[]): Record<BatchCallbackEvent, number> {
    const counts = { finish: 0, success: 0, discard: 0 };
    for (const run of runs) counts[run.event]++;
    return counts;
  }

  it('runs each callback exactly once while 4 processes race through a 500-job batch with random failures', async () => {
    // The reconciler runs every 100 ms in every process: it must leave a batch whose counters are
    // right alone, even while it idles between retries.
    const { queue } = await setUp(4, { DQ_QUEUES: '*:5', DQ_BATCH_RECONCILE_INTERVAL_MS: '100' });
    type Kind = 'ok' | 'discarded-first' | 'discarded-after-retry' | 'ok-after-retry';
    const plan = shuffled<Kind>([
      [400, () => 'ok'],
      [50, () => 'discarded-first'],
      [20, () => 'discarded-after-retry'],
      [30, () => 'ok-after-retry'],
    ]);
    const jobs: JobToEnqueue<TallyJobPayload>[] = plan.map((kind, i) => ({
      jobType: 'tally',
      payload: {
        label: `${kind} ${i}`,
        sleepMs: Math.floor(Math.random() * 20),
        fail: kind === 'discarded-first' || kind === 'discarded-after-retry' ? true : kind === 'ok-after-retry' ? 1 : undefined,
      },
      options: { maxAttempts: kind === 'ok' || kind === 'discarded-first' ? 1 : 2 },
    }));

    const batch = await queue.createBatch({ description: '500 racing jobs', ...TALLY_CALLBACKS });
    const enqueued = await batch.enqueue(jobs);
    expect(enqueued).toHaveLength(500);
    const finished = await withWorkerLogs(workers, waitForBatchFinished(queue, batch.id, { timeoutMs: 60_000, intervalMs: 100 }));

    expect(finished.counts).toEqual({ total: 500, pending: 0, succeeded: 430, discarded: 70 });
    expect(finished.discardedAt).toBeInstanceOf(Date);
    const runs = await callbackRuns(batch.id);
    expect(eventCounts(runs)).toEqual({ finish: 1, success: 0, discard: 1 });
    expect(runs.find((run) => run.event === 'finish')!.counts).toEqual(finished.counts);
    const callbackJobs = await callbackJobsOf(queue, batch.id);
    expect(callbackJobs.map((job) => [(job.payload as { event: string }).event, job.status, job.attempts]).sort()).toEqual([
      ['discard', 'completed', 1],
      ['finish', 'completed', 1],
    ]);

    // Every attempt of every job ran exactly once, and the jobs ended as planned.
    const batchJobs = await allJobs(queue, { batchId: batch.id });
    const runsPerJob = await tally.runsPerJob();
    const wrong = batchJobs.filter((job: JobRecord) => runsPerJob.get(job.id) !== job.attempts);
    expect(wrong).toEqual([]);
    const outcome = (job: JobRecord) => `${(job.payload as TallyJobPayload).label!.split(' ')[0]} → ${job.status} after ${job.attempts}`;
    const outcomes = new Map<string, number>();
    for (const job of batchJobs) outcomes.set(outcome(job), (outcomes.get(outcome(job)) ?? 0) + 1);
    expect(Object.fromEntries(outcomes)).toEqual({
      'ok → completed after 1': 400,
      'discarded-first → failed after 1': 50,
      'discarded-after-retry → failed after 2': 20,
      'ok-after-retry → completed after 2': 30,
    });

    const pids = new Set((await tally.entries()).map((entry) => entry.pid));
    expect(pids.size).toBeGreaterThan(1);
    for (const pid of pids) expect(workers.map((w) => w.pid)).toContain(pid);
  });

  it('finishes a batch whose job was on a SIGKILLed worker, in the other process, with callbacks exactly once', async () => {
    const env = { DQ_QUEUES: '*:4', DQ_HEARTBEAT_INTERVAL_MS: '500', DQ_WORKER_TIMEOUT_MS: '2000' };
    const { queue } = await setUp(1, env);
    const [victim] = workers;
    // Both long jobs sleep a minute on their first attempt, in the victim: one may retry (and
    // then ends at once), the other has no attempt left and is discarded when its worker dies.
    const retried = await queue.createBatch({ description: 'retried after the crash', ...TALLY_CALLBACKS });
    const [retriedLong] = await retried.enqueue([
      { jobType: 'tally', payload: { label: 'long-retried', sleepMs: 60_000, sleepFirstAttemptOnly: true }, options: { maxAttempts: 3 } },
      ...Array.from({ length: 3 }, (_, i) => ({ jobType: 'tally', payload: { label: `quick-retried-${i}` } })),
    ]);
    const discarded = await queue.createBatch({ description: 'discarded by the crash', ...TALLY_CALLBACKS });
    const [discardedLong] = await discarded.enqueue([
      { jobType: 'tally', payload: { label: 'long-final', sleepMs: 60_000 }, options: { maxAttempts: 1 } },
      ...Array.from({ length: 2 }, (_, i) => ({ jobType: 'tally', payload: { label: `quick-final-${i}` } })),
    ]);
    await withWorkerLogs(
      workers,
      waitForBatch(queue, retried.id, (b) => b.counts.succeeded === 3, 'the quick jobs of the first batch'),
    );
    await withWorkerLogs(
      workers,
      waitForBatch(queue, discarded.id, (b) => b.counts.succeeded === 2, 'the quick jobs of the second batch'),
    );
    await withWorkerLogs(
      workers,
      waitFor(
        'both long jobs to run in the victim',
        () => tally.labels(),
        (labels) => labels.includes('long-retried') && labels.includes('long-final'),
      ),
    );

    const [survivor] = await cluster!.addWorkers(1);
    victim.kill('SIGKILL');
    expect((await victim.exited).signal).toBe('SIGKILL');

    const retriedDone = await withWorkerLogs(workers, waitForBatchFinished(queue, retried.id, { timeoutMs: 20_000, intervalMs: 100 }));
    expect(retriedDone.counts).toEqual({ total: 4, pending: 0, succeeded: 4, discarded: 0 });
    const retriedRuns = await callbackRuns(retried.id);
    expect(eventCounts(retriedRuns)).toEqual({ finish: 1, success: 1, discard: 0 });
    expect(retriedRuns.every((run) => run.pid === survivor.pid)).toBe(true);
    const relaunched = (await queue.getJob(retriedLong.id))!;
    expect(relaunched).toMatchObject({ status: 'completed', attempts: 2, output: { pid: survivor.pid } });
    expect(relaunched.errorHistory).toEqual([expect.objectContaining({ reason: 'interrupted', attempt: 1 })]);

    const discardedDone = await withWorkerLogs(workers, waitForBatchFinished(queue, discarded.id, { timeoutMs: 20_000, intervalMs: 100 }));
    expect(discardedDone.counts).toEqual({ total: 3, pending: 0, succeeded: 2, discarded: 1 });
    const discardedRuns = await callbackRuns(discarded.id);
    expect(eventCounts(discardedRuns)).toEqual({ finish: 1, success: 0, discard: 1 });
    expect(discardedRuns.every((run) => run.pid === survivor.pid)).toBe(true);
    const lost = (await queue.getJob(discardedLong.id))!;
    expect(lost).toMatchObject({ status: 'failed', nextAttemptAt: null, failureReason: 'interrupted', attempts: 1 });
  });

  it('drains a 20,000-job batch, enqueued in one call, with 2 processes: counts right, callbacks exactly once', async () => {
    const { queue } = await setUp(2, { DQ_QUEUES: '*:10' });
    const total = 20_000;
    const batch = await queue.createBatch({ description: '20,000 jobs', ...TALLY_CALLBACKS });
    const jobs: JobToEnqueue<TallyJobPayload>[] = Array.from({ length: total }, () => ({ jobType: 'tally', payload: {} }));
    const enqueued = await batch.enqueue(jobs);
    expect(enqueued).toHaveLength(total);
    expect(batch.record.counts).toEqual({ total, pending: total, succeeded: 0, discarded: 0 });

    const finished = await withWorkerLogs(workers, waitForBatchFinished(queue, batch.id, { timeoutMs: 60_000, intervalMs: 200 }));
    expect(finished.counts).toEqual({ total, pending: 0, succeeded: total, discarded: 0 });
    const runs = await callbackRuns(batch.id);
    expect(eventCounts(runs)).toEqual({ finish: 1, success: 1, discard: 0 });
    for (const run of runs) expect(run.counts).toEqual(finished.counts);

    const runsPerJob = await tally.runsPerJob();
    const batchJobIds = new Set(enqueued.map((job) => job.id));
    expect([...runsPerJob].filter(([id, n]) => batchJobIds.has(id) && n !== 1)).toEqual([]);
    expect([...batchJobIds].filter((id) => !runsPerJob.has(id))).toEqual([]);
  }, 90_000);
});
