import { afterEach, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import type { JobRecord, JobToEnqueue } from '@dataqueue/nestjs';
import type { TallyJobPayload } from './fixtures/worker-process.js';
import { TALLY_BATCH, callbackLabels } from './fixtures/tally-batch-callbacks.js';
import { allJobs, waitForBatchFinished } from './support/batches.js';
import { startCluster, type Cluster } from './support/cluster.js';
import { databaseUrl } from './support/unique-schema.js';
import { waitFor } from './support/wait-for.js';
import { withWorkerLogs } from './support/worker-processes.js';

const WIDTH = 100;
const DEPTH = 10;
/** Dependencies of a middle node, as offsets into the previous level. */
const PARENT_OFFSETS = [0, 1, 37];

/**
 * The guarantee of issue 18, "release exactly once", at scale: worker processes
 * (test/fixtures/worker-process.ts) run a diamond DAG enqueued as one batch, record each handler
 * start in the tally and run the batch callbacks; this process only enqueues and checks.
 */
describe('flow guarantees across worker processes', () => {
  let cluster: Cluster | undefined;

  afterEach(async () => {
    await cluster?.close();
    cluster = undefined;
  });

  it('runs a 1,002-node diamond DAG (source, 10 levels of 100, sink) on 4 processes, one SIGKILLed mid-flow: each node succeeds once, after its dependencies; the callback fires once', async () => {
    cluster = await startCluster({
      workers: 4,
      env: { DQ_QUEUES: '*:4', DQ_HEARTBEAT_INTERVAL_MS: '300', DQ_WORKER_TIMEOUT_MS: '1500' },
    });
    const { queue } = cluster.producer;
    const node = (label: string, dependsOn: string[]): JobToEnqueue<TallyJobPayload> => ({
      jobType: 'tally',
      payload: { label, sleepMs: 20 + Math.floor(Math.random() * 30) },
      // Attempts left for the nodes the SIGKILLed worker was running.
      options: dependsOn.length > 0 ? { dependsOn, maxAttempts: 3 } : { maxAttempts: 3 },
    });

    // Source, DEPTH levels of WIDTH nodes each depending on 3 nodes of the level above (all 100
    // would be 90,000 edges, which measures the insert, not the release), and a sink on all of
    // the last level: 1,002 nodes, 2,900 edges.
    const batch = await queue.createBatch({
      description: 'diamond DAG',
      onFinish: TALLY_BATCH,
      onSuccess: TALLY_BATCH,
      onDiscard: TALLY_BATCH,
    });
    const dependencies = new Map<string, string[]>();
    const addLevel = async (nodes: [label: string, dependsOn: string[]][], arm = false): Promise<string[]> => {
      const jobs = nodes.map(([label, dependsOn]) => node(label, dependsOn));
      const added = arm ? await batch.enqueue(jobs) : await batch.add(jobs);
      added.forEach((job, i) => dependencies.set(job.id, nodes[i][1]));
      return added.map((job) => job.id);
    };
    let level = await addLevel([['source', []]]);
    for (let depth = 1; depth <= DEPTH; depth++) {
      const parents = level;
      level = await addLevel(
        Array.from({ length: WIDTH }, (_, i) => [
          `L${depth}-${i}`,
          [...new Set(PARENT_OFFSETS.map((offset) => parents[(i + offset) % parents.length]))],
        ]),
      );
    }
    const [sink] = await addLevel([['sink', level]], true);

    // Kill a worker while it runs a node, past a third of the DAG.
    const victim = cluster.workers[0];
    const db = new pg.Pool({ connectionString: databaseUrl(), max: 1 });
    try {
      await withWorkerLogs(
        cluster.workers,
        waitFor(
          'a third of the DAG done and the victim running a node',
          async () => {
            const { rows } = await db.query<{ done: number; running: number }>(
              `SELECT (SELECT count(*)::int FROM "${cluster!.schema}".tally) AS done,
                      (SELECT count(*)::int FROM "${cluster!.schema}".tally t JOIN "${cluster!.schema}".jobs j ON j.id::text = t.job_id
                        WHERE t.pid = $1 AND j.status = 'processing') AS running`,
              [victim.pid],
            );
            return rows[0];
          },
          ({ done, running }) => done >= 350 && running > 0,
          { timeoutMs: 30_000, intervalMs: 20 },
        ),
      );
    } finally {
      await db.end();
    }
    victim.kill('SIGKILL');
    expect((await victim.exited).signal).toBe('SIGKILL');

    const finished = await withWorkerLogs(cluster.workers, waitForBatchFinished(queue, batch.id, { timeoutMs: 45_000, intervalMs: 200 }));
    expect(finished.counts).toEqual({ total: 1 + WIDTH * DEPTH + 1, pending: 0, succeeded: 1 + WIDTH * DEPTH + 1, discarded: 0 });
    const callbacks = callbackLabels(await cluster.tally.labels()).filter((run) => run.batchId === batch.id);
    expect(callbacks.map((run) => run.event).sort()).toEqual(['finish', 'success']);

    const jobs = new Map<string, JobRecord>((await allJobs(queue, { jobType: 'tally' })).map((job) => [job.id, job]));
    const runs = new Map<string, { pid: number; at: Date }[]>();
    for (const entry of await cluster.tally.entries()) {
      if (dependencies.has(entry.jobId)) runs.set(entry.jobId, [...(runs.get(entry.jobId) ?? []), entry]);
    }
    expect(jobs.get(sink)!.status).toBe('completed');

    // "Once": one successful run per node, the last start recorded. The victim may have claimed a
    // node when killed: that attempt is in its errorHistory as 'interrupted', and started there
    // (or not yet, if killed before the handler's first line) before the run elsewhere.
    const wrong: string[] = [];
    let interrupted = 0;
    for (const [id, deps] of dependencies) {
      const job = jobs.get(id)!;
      const started = runs.get(id) ?? [];
      const lost = job.errorHistory.filter((entry) => entry.reason === 'interrupted').length;
      interrupted += lost;
      const earlier = started.slice(0, -1);
      if (job.status !== 'completed' || job.attempts !== 1 + lost || job.errorHistory.length !== lost)
        wrong.push(`${id}: ${job.status} after ${job.attempts} attempts, ${lost} interrupted`);
      if (started.length === 0 || earlier.length > lost || earlier.some((run) => run.pid !== victim.pid))
        wrong.push(`${id}: started ${started.length} times, in ${started.map((run) => run.pid).join(', ')}, ${lost} interrupted`);
      // Every start, the interrupted ones too, came after each dependency had completed.
      for (const dep of deps) {
        const depDone = jobs.get(dep)!.completedAt!.getTime();
        if (started.some((run) => run.at.getTime() < depDone)) wrong.push(`${id} started before ${dep} completed`);
      }
    }
    expect(wrong).toEqual([]);
    expect(interrupted).toBeGreaterThan(0);
    const pids = new Set([...runs.values()].flat().map((run) => run.pid));
    expect(pids.size).toBe(4);
  }, 90_000);
});
