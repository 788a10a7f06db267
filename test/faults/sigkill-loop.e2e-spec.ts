import { afterAll, describe, expect, it } from '@jest/globals';
import type { JobRecord, JobToEnqueue } from '@dataqueue/nestjs';
import { TALLY_BATCH, type TallyCallbackLabel } from '../fixtures/tally-batch-callbacks.js';
import { startCluster, type Cluster } from '../support/cluster.js';
import { waitFor } from '../support/wait-for.js';
import { withWorkerLogs } from '../support/worker-processes.js';

/** FAULT_SOAK_ROUNDS=50 npm test -- sigkill-loop: the same test as a longer soak. */
const ROUNDS = Number(process.env.FAULT_SOAK_ROUNDS ?? 4);
/** Enqueued up front; each round adds its own, so a kill always lands mid-run however many rounds. */
const JOBS = 600;
const JOBS_PER_ROUND = 150;
const BATCHES = 3;
const BATCH_SIZE = 100;

/**
 * Workers die by SIGKILL every second and a half, and come back: no job may be lost, stuck in
 * `processing`, or completed twice, and each batch's callbacks are enqueued once. The plain jobs
 * have fair keys (docs/fair-share.md), the batch jobs do not.
 */
describe('SIGKILL of a random worker process, again and again', () => {
  let cluster: Cluster | undefined;

  afterAll(async () => {
    await cluster?.close();
  });

  it(
    `keeps every job and batch callback exactly once through ${ROUNDS} kills`,
    async () => {
      let kills = 0;
      cluster = await startCluster({
        workers: 3,
        env: { DQ_HEARTBEAT_INTERVAL_MS: '250', DQ_WORKER_TIMEOUT_MS: '1500' },
      });
      const { producer, tally, workers } = cluster;
      const { queue } = producer;

      // Every tenth job fails its first attempt; attempts leave room for several interruptions.
      // They belong to five tenants of weights 1 to 3, so the fair claim runs beside the
      // batches' jobs of the default key.
      const plain = (count: number): JobToEnqueue[] =>
        Array.from({ length: count }, (_, i) => ({
          jobType: 'tally',
          payload: { sleepMs: 80, fail: i % 10 === 0 ? 1 : undefined },
          options: { maxAttempts: 10, fairKey: `tenant-${i % 5}`, fairWeight: 1 + (i % 3) },
        }));
      const jobs: JobRecord[] = await queue.enqueueMany(plain(JOBS));
      const batchIds: string[] = [];
      for (let b = 0; b < BATCHES; b++) {
        const batch = await queue.createBatch({ onFinish: TALLY_BATCH, onSuccess: TALLY_BATCH, onDiscard: TALLY_BATCH });
        batchIds.push(batch.id);
        jobs.push(
          ...(await batch.enqueue(
            Array.from({ length: BATCH_SIZE }, () => ({ jobType: 'tally', payload: { sleepMs: 80 }, options: { maxAttempts: 10 } })),
          )),
        );
      }

      for (let round = 0; round < ROUNDS; round++) {
        const before = await tally.count();
        if (round > 0) jobs.push(...(await queue.enqueueMany(plain(JOBS_PER_ROUND))));
        await waitFor(
          `round ${round}: more work done`,
          () => tally.count(),
          (n) => n >= before + JOBS_PER_ROUND / 3,
        );
        const unfinished = await queue.listJobs({ status: ['pending', 'processing', 'failed'], limit: 1 });
        expect(unfinished.jobs).toHaveLength(1); // the kill lands mid-run
        const running = workers.filter((w) => !w.hasExited);
        const victim = running[Math.floor(Math.random() * running.length)];
        await victim.stop('SIGKILL');
        kills++;
        await cluster.addWorkers(1);
      }

      const final = await withWorkerLogs(
        workers,
        waitFor(
          `all ${jobs.length} jobs completed`,
          async () => Promise.all(jobs.map((job) => queue.getJob(job.id))),
          (found) => found.every((job) => job?.status === 'completed'),
          { timeoutMs: 90_000, intervalMs: 250 },
        ),
      );
      const runs = await tally.runsPerJob();
      for (const job of final) {
        const ran = runs.get(job!.id) ?? 0;
        // Each run is an attempt; a killed process may have claimed a job (an attempt) and died
        // before its handler's first line. Only interrupted or failed attempts run a job again.
        expect(ran).toBeGreaterThanOrEqual(1);
        expect(ran).toBeLessThanOrEqual(job!.attempts);
        if (job!.errorHistory.length === 0) expect(ran).toBe(1);
      }
      expect((await queue.listJobs({ status: 'processing' })).jobs).toEqual([]);
      expect(kills).toBe(ROUNDS);
      if (process.env.FAULT_SOAK_ROUNDS) {
        const reruns = final.filter((job) => (runs.get(job!.id) ?? 0) > 1).length;
        process.stderr.write(
          `sigkill soak: ${jobs.length} jobs, ${kills} kills, 0 lost, 0 completed twice, ` +
            `${reruns} run again after an interrupted or failed attempt\n`,
        );
      }

      const callbacks = (await tally.entries())
        .filter((entry) => entry.label?.startsWith('{'))
        .map((entry) => ({ jobId: entry.jobId, ...(JSON.parse(entry.label!) as TallyCallbackLabel) }));
      for (const batchId of batchIds) {
        const record = await waitFor(
          `batch ${batchId} finished`,
          () => queue.getBatch(batchId),
          (b) => b?.finishedAt != null,
        );
        expect(record!.counts).toMatchObject({ total: BATCH_SIZE, succeeded: BATCH_SIZE, discarded: 0, pending: 0 });
        const mine = callbacks.filter((c) => c.batchId === batchId);
        // One callback job per event (its run is at least once: a killed callback runs again).
        expect(new Set(mine.filter((c) => c.event === 'finish').map((c) => c.jobId)).size).toBe(1);
        expect(new Set(mine.filter((c) => c.event === 'success').map((c) => c.jobId)).size).toBe(1);
        expect(mine.filter((c) => c.event === 'discard')).toEqual([]);
      }
    },
    60_000 + ROUNDS * 10_000,
  );
});
