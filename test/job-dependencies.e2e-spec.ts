import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { Injectable } from '@nestjs/common';
import { JobDependencyNotFoundError, JobHandler, JobOptionsInvalidError, MAX_DEPENDENCIES_PER_JOB, OnJobEvent } from '@dataqueue/nestjs';
import type { JobContext, JobEvent, JobRecord, JobToEnqueue } from '@dataqueue/nestjs';
import type { TallyJobPayload } from './fixtures/worker-process.js';
import { TALLY_BATCH, callbackLabels } from './fixtures/tally-batch-callbacks.js';
import { drain } from '@dataqueue/nestjs/testing';
import { Gates } from './support/gates.js';
import { rejectionOf } from './support/rejection.js';
import { Tally } from './support/tally.js';
import { createTestApp, waitForFinalFailure, waitForStatus, type TestApp } from './support/test-app.js';
import { databaseUrl } from './support/unique-schema.js';
import { waitFor } from './support/wait-for.js';
import { allJobs, waitForBatch, waitForBatchFinished } from './support/batches.js';
import { startCluster, type Cluster } from './support/cluster.js';
import { withWorkerLogs } from './support/worker-processes.js';

const gates = new Gates();
let tally: Tally;
/** Jobs of type 'step' whose `failUntil` names a key in here succeed; the others with one fail. */
const fixed = new Set<string>();

interface StepPayload {
  label: string;
  /** Hold the run until the test opens this gate. */
  gate?: string;
  /** Fail every attempt until the test adds this to `fixed`. */
  failUntil?: string;
}

@JobHandler('step')
class StepHandler {
  async handle(payload: StepPayload, ctx: JobContext): Promise<void> {
    await tally.record(ctx.job.id, payload.label);
    if (payload.gate) await gates.wait(payload.gate, ctx.signal);
    if (payload.failUntil && !fixed.has(payload.failUntil))
      throw new Error(`step ${payload.label} fails until ${payload.failUntil} is fixed`);
  }
}

/** The job events this process announced for the cascade (`action: 'dependency'`), in order. */
const cascadeEvents: JobEvent[] = [];

@Injectable()
class CascadeEvents {
  @OnJobEvent('cancelled', 'failed', 'retried')
  heard(event: JobEvent): void {
    if (event.action === 'dependency') cascadeEvents.push(event);
  }
}

describe('job dependencies', () => {
  let app: TestApp;
  let db: pg.Pool;

  beforeAll(async () => {
    app = await createTestApp({ providers: [StepHandler, CascadeEvents], options: { pollIntervalMs: 50, defaultMaxAttempts: 1 } });
    tally = await Tally.create(app.schema);
    db = new pg.Pool({ connectionString: databaseUrl(), max: 2 });
  });

  afterAll(async () => {
    gates.openAll();
    await db?.end();
    await tally?.close();
    await app?.close();
  });

  const step = (payload: StepPayload, options: Parameters<TestApp['queue']['enqueue']>[2] = {}) =>
    app.queue.enqueue('step', payload, options) as Promise<JobRecord>;

  /** When the handler of each job started, from the tally; a job that never ran is absent. */
  async function starts(): Promise<Map<string, Date[]>> {
    const runs = new Map<string, Date[]>();
    for (const entry of await tally.entries()) runs.set(entry.jobId, [...(runs.get(entry.jobId) ?? []), entry.at]);
    return runs;
  }

  async function edgesOf(jobId: string): Promise<{ depends_on_id: string; state: string }[]> {
    const { rows } = await db.query<{ depends_on_id: string; state: string }>(
      `SELECT depends_on_id, state FROM "${app.schema}".job_dependencies WHERE job_id = $1 ORDER BY depends_on_id`,
      [jobId],
    );
    return rows;
  }

  async function jobCount(): Promise<number> {
    const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${app.schema}".jobs`);
    return rows[0].n;
  }

  describe('release', () => {
    it('holds C until A and B have both completed, then runs it once, after both', async () => {
      const a = await step({ label: 'A', gate: 'release-a' });
      const b = await step({ label: 'B', gate: 'release-b' }, { idempotencyKey: 'release-b' });
      // Named twice (by id and by key), B is one dependency.
      const c = await step({ label: 'C' }, { dependsOn: [a.id, { idempotencyKey: 'release-b' }, b.id] });
      expect(c).toMatchObject({ status: 'blocked', dependenciesLeft: 2, onDependencyFailure: 'cancel' });
      expect((await app.queue.getJob(a.id))!.hasDependents).toBe(true);

      gates.open('release-a');
      await waitForStatus(app.queue, a.id, 'completed');
      expect(await app.queue.getJob(c.id)).toMatchObject({ status: 'blocked', dependenciesLeft: 1 });

      gates.open('release-b');
      const done = await waitForStatus(app.queue, c.id, 'completed');
      expect(done.dependenciesLeft).toBe(0);
      const runs = await starts();
      expect(runs.get(c.id)).toHaveLength(1);
      const [aDone, bDone] = [await app.queue.getJob(a.id), await app.queue.getJob(b.id)];
      expect(runs.get(c.id)![0].getTime()).toBeGreaterThanOrEqual(Math.max(aDone!.completedAt!.getTime(), bDone!.completedAt!.getTime()));
      expect(await edgesOf(c.id)).toEqual([
        { depends_on_id: a.id, state: 'succeeded' },
        { depends_on_id: b.id, state: 'succeeded' },
      ]);
    });

    it('runs a job whose dependencies completed before its enqueue at once', async () => {
      const a = await step({ label: 'done before' });
      await waitForStatus(app.queue, a.id, 'completed');
      const [b, plain] = await app.queue.enqueueMany([
        { jobType: 'step', payload: { label: 'after done' }, options: { dependsOn: [a.id] } },
        { jobType: 'step', payload: { label: 'plain, enqueued with it' } },
      ]);
      expect(b).toMatchObject({ status: 'pending', dependenciesLeft: 0 });
      expect(plain).toMatchObject({ status: 'pending', dependenciesLeft: null, onDependencyFailure: null });
      await waitForStatus(app.queue, b.id, 'completed');
      await waitForStatus(app.queue, plain.id, 'completed');
    });

    it('releases every dependent enqueued while its dependency finishes: none stays blocked', async () => {
      const a = await step({ label: 'racing', gate: 'race' });
      await waitFor('the racing job to start', async () => (await starts()).has(a.id));
      const enqueues = Array.from({ length: 40 }, (_, i) => step({ label: `race dependent ${i}` }, { dependsOn: [a.id] }));
      gates.open('race');
      const dependents = await Promise.all(enqueues);
      const finished = await waitFor(
        'every racing dependent to complete',
        () => Promise.all(dependents.map((job) => app.queue.getJob(job.id))),
        (jobs) => jobs.every((job) => job?.status === 'completed'),
        { timeoutMs: 20_000 },
      );
      const runs = await starts();
      for (const job of finished) expect(runs.get(job!.id)).toHaveLength(1);
    });
  });

  describe('failure rules', () => {
    it('cancels down a chain by default, and retrying the failed job holds the chain again, which then runs once', async () => {
      // Held until the chain is enqueued, so its failure cascades (rather than the inserts' rule applying).
      const a = await step({ label: 'chain A', failUntil: 'chain', gate: 'chain-a' });
      const b = await step({ label: 'chain B' }, { dependsOn: [a.id] });
      const c = await step({ label: 'chain C' }, { dependsOn: [b.id] });
      gates.open('chain-a');
      await waitForFinalFailure(app.queue, a.id);
      for (const id of [b.id, c.id]) {
        expect(await waitForStatus(app.queue, id, 'cancelled')).toMatchObject({ failureReason: 'dependency_failed' });
      }
      expect(await edgesOf(b.id)).toEqual([{ depends_on_id: a.id, state: 'discarded' }]);

      // Each cascaded move is a job event, once committed.
      const ofChain = (event: string) =>
        cascadeEvents.filter((e) => e.event === event && [b.id, c.id].includes(e.job.id)).map((e) => [e.job.id, e.job.status]);
      await waitFor(
        'the cascade to be announced',
        () => ofChain('cancelled'),
        (heard) => heard.length === 2,
      );
      expect(ofChain('cancelled')).toEqual([
        [b.id, 'cancelled'],
        [c.id, 'cancelled'],
      ]);

      fixed.add('chain');
      await app.queue.retryJob(a.id);
      // Held again in the retry's own transaction, the whole chain.
      expect(await app.queue.getJob(b.id)).toMatchObject({ status: 'blocked', failureReason: null });
      expect(await app.queue.getJob(c.id)).toMatchObject({ status: 'blocked', failureReason: null });
      expect(ofChain('retried')).toEqual([
        [b.id, 'blocked'],
        [c.id, 'blocked'],
      ]);
      await waitForStatus(app.queue, c.id, 'completed');
      const runs = await starts();
      expect([runs.get(a.id)?.length, runs.get(b.id)?.length, runs.get(c.id)?.length]).toEqual([2, 1, 1]);
      expect(runs.get(c.id)![0] >= runs.get(b.id)![0]).toBe(true);
    });

    it("'fail' fails the dependent for good, with an error entry naming the dependency", async () => {
      // Held until B is enqueued, so B waits for it (a dependency already failed is the insert's rule).
      const a = await step({ label: 'fail A', failUntil: 'never', gate: 'fail-a' });
      const b = await step({ label: 'fail B' }, { dependsOn: [a.id], onDependencyFailure: 'fail' });
      gates.open('fail-a');
      const failed = await waitForFinalFailure(app.queue, b.id);
      expect(failed.failureReason).toBe('dependency_failed');
      expect(failed.errorHistory.at(-1)).toMatchObject({
        reason: 'dependency_failed',
        message: `dependency job ${a.id} failed before succeeding`,
      });
      const announced = await waitFor('the failure to be announced', () => cascadeEvents.find((e) => e.job.id === b.id));
      expect(announced).toMatchObject({
        event: 'failed',
        action: 'dependency',
        failure: { reason: 'dependency_failed', message: `dependency job ${a.id} failed before succeeding`, willRetry: false },
      });
      expect((await starts()).has(b.id)).toBe(false);
    });

    it("'run' runs the dependent anyway once its other dependencies finished", async () => {
      const a = await step({ label: 'run A', failUntil: 'never' });
      const other = await step({ label: 'run other', gate: 'run-other' });
      const b = await step({ label: 'run B' }, { dependsOn: [a.id, other.id], onDependencyFailure: 'run' });
      await waitForFinalFailure(app.queue, a.id);
      expect(await app.queue.getJob(b.id)).toMatchObject({ status: 'blocked', dependenciesLeft: 1 });
      gates.open('run-other');
      await waitForStatus(app.queue, b.id, 'completed');
    });

    it('applies the rule at enqueue when a dependency is already cancelled', async () => {
      const a = await step({ label: 'cancelled early' }, { delayMs: 3_600_000 });
      await app.queue.cancelJob(a.id);
      const cancelled = await step({ label: 'never runs' }, { dependsOn: [a.id] });
      expect(cancelled).toMatchObject({ status: 'cancelled', failureReason: 'dependency_failed', dependenciesLeft: 1 });
      const failed = await step({ label: 'never runs either' }, { dependsOn: [a.id], onDependencyFailure: 'fail' });
      expect(failed).toMatchObject({ status: 'failed', nextAttemptAt: null, failureReason: 'dependency_failed' });
      const runs = await step({ label: 'runs anyway' }, { dependsOn: [a.id], onDependencyFailure: 'run' });
      expect(runs).toMatchObject({ status: 'pending', dependenciesLeft: 0 });
      await waitForStatus(app.queue, runs.id, 'completed');
      expect(await edgesOf(cancelled.id)).toEqual([{ depends_on_id: a.id, state: 'discarded' }]);

      // Retrying the cancelled dependency holds the cancelled dependent again.
      await app.queue.retryJob(a.id);
      expect(await app.queue.getJob(cancelled.id)).toMatchObject({ status: 'blocked', dependenciesLeft: 1 });
      await waitForStatus(app.queue, cancelled.id, 'completed');
    });
  });

  describe('re-hold on retry', () => {
    it("holds a dependent released by the rule 'run' again when the failed dependency is retried before it started", async () => {
      const a = await step({ label: 'rehold A', failUntil: 'rehold', gate: 'rehold-a' }, { tags: ['rehold-a'] });
      const b = await step({ label: 'rehold B' }, { dependsOn: [a.id], onDependencyFailure: 'run', delayMs: 3_600_000 });
      gates.open('rehold-a');
      await waitForFinalFailure(app.queue, a.id);
      expect(await app.queue.getJob(b.id)).toMatchObject({ status: 'pending', dependenciesLeft: 0 });
      // Paused, the retried A cannot run (and fail again) before it is fixed.
      await app.queue.pause({ tag: 'rehold-a' });
      await app.queue.retryJob(a.id);
      expect(await app.queue.getJob(b.id)).toMatchObject({ status: 'blocked', dependenciesLeft: 1 });
      fixed.add('rehold');
      await app.queue.resume({ tag: 'rehold-a' });
      await waitForStatus(app.queue, a.id, 'completed');
      expect(await app.queue.getJob(b.id)).toMatchObject({ status: 'pending', dependenciesLeft: 0 });
      await app.queue.cancelJob(b.id);
    });

    it('keeps batch counters right through the cascade and the re-hold, and finishes the batch again', async () => {
      const batch = await app.queue.createBatch({ description: 'dependent batch jobs' });
      const [a] = await batch.add([{ jobType: 'step', payload: { label: 'batch A', failUntil: 'batch' } }]);
      const [b] = await batch.add([{ jobType: 'step', payload: { label: 'batch B' }, options: { dependsOn: [a.id] } }]);
      await batch.enqueue([{ jobType: 'step', payload: { label: 'batch C' }, options: { dependsOn: [b.id] } }]);
      const discarded = await waitForBatchFinished(app.queue, batch.id);
      expect(discarded.counts).toEqual({ total: 3, pending: 0, succeeded: 0, discarded: 3 });

      fixed.add('batch');
      await app.queue.retryJob(a.id);
      expect((await app.queue.getBatch(batch.id))!.counts).toEqual({ total: 3, pending: 3, succeeded: 0, discarded: 0 });
      await waitForBatch(app.queue, batch.id, (record) => record.counts.succeeded === 3 && record.finishedAt !== null);

      // A job added to the batch behind an already discarded dependency counts as discarded at once.
      const cancelledDep = await step({ label: 'batch dep' }, { delayMs: 3_600_000 });
      await app.queue.cancelJob(cancelledDep.id);
      const late = await app.queue.createBatch({ description: 'late' });
      await late.enqueue([{ jobType: 'step', payload: { label: 'late' }, options: { dependsOn: [cancelledDep.id] } }]);
      const finished = await waitForBatchFinished(app.queue, late.id);
      expect(finished.counts).toEqual({ total: 1, pending: 0, succeeded: 0, discarded: 1 });
    });
  });

  describe('actions on held jobs and their dependencies', () => {
    it('deleting a held dependency applies the rule to its dependents', async () => {
      const root = await step({ label: 'delete root', gate: 'delete-root' });
      const middle = await step({ label: 'deleted' }, { dependsOn: [root.id] });
      const cancelled = await step({ label: 'delete cancelled' }, { dependsOn: [middle.id] });
      const released = await step({ label: 'delete released' }, { dependsOn: [middle.id], onDependencyFailure: 'run' });
      expect(await app.queue.deleteJob(middle.id)).toBe(true);
      expect(await app.queue.getJob(cancelled.id)).toMatchObject({ status: 'cancelled', failureReason: 'dependency_failed' });
      await waitForStatus(app.queue, released.id, 'completed');
      gates.open('delete-root');
    });

    it('cancels a blocked job, which stays cancelled when its dependency completes', async () => {
      const a = await step({ label: 'cancel dep', gate: 'cancel-dep' });
      const b = await step({ label: 'cancelled while blocked' }, { dependsOn: [a.id] });
      expect(await app.queue.cancelJob(b.id)).toMatchObject({ status: 'cancelled', failureReason: null });
      gates.open('cancel-dep');
      await waitForStatus(app.queue, a.id, 'completed');
      expect(await app.queue.getJob(b.id)).toMatchObject({ status: 'cancelled' });
      expect((await starts()).has(b.id)).toBe(false);
    });

    it('retrying a dependent whose dependencies are unfinished holds it again', async () => {
      const a = await step({ label: 'retry dep', gate: 'retry-dep' });
      const b = await step({ label: 'retried dependent' }, { dependsOn: [a.id] });
      await app.queue.cancelJob(b.id);
      expect(await app.queue.retryJob(b.id)).toMatchObject({ status: 'blocked', dependenciesLeft: 1 });
      gates.open('retry-dep');
      await waitForStatus(app.queue, b.id, 'completed');
    });

    it('updates and reschedules a blocked job; its start applies once it is released', async () => {
      const a = await step({ label: 'update dep', gate: 'update-dep' });
      const b = await step({ label: 'updated' }, { dependsOn: [a.id] });
      const later = new Date(Date.now() + 3_600_000);
      expect(await app.queue.updateJob(b.id, { priority: 5, runAt: later })).toMatchObject({ status: 'blocked', priority: 5 });
      gates.open('update-dep');
      await waitForStatus(app.queue, a.id, 'completed');
      const released = await app.queue.getJob(b.id);
      expect(released).toMatchObject({ status: 'pending', runAt: later });
      expect(await app.queue.retryJob(b.id).catch((error: unknown) => error)).toMatchObject({ name: 'JobStateError' });
      await app.queue.cancelJob(b.id);
    });
  });

  describe("in a caller's transaction", () => {
    let dataSource: DataSource;
    beforeAll(async () => {
      dataSource = await new DataSource({ type: 'postgres', url: databaseUrl(), poolSize: 2 }).initialize();
    });
    afterAll(async () => {
      await dataSource?.destroy();
    });

    it('leaves no job, edge or flag behind on rollback, and holds the job on commit', async () => {
      const a = await step({ label: 'tx dep', gate: 'tx-dep' });
      const before = await jobCount();
      const rolledBack = await rejectionOf(
        dataSource.transaction(async (manager) => {
          await app.queue.enqueue('step', { label: 'rolled back' }, { manager, dependsOn: [a.id] });
          throw new Error('rollback');
        }),
      );
      expect(rolledBack.message).toBe('rollback');
      expect(await jobCount()).toBe(before);
      expect((await app.queue.getJob(a.id))!.hasDependents).toBe(false);

      const committed = await dataSource.transaction((manager) =>
        app.queue.enqueue('step', { label: 'committed' }, { manager, dependsOn: [a.id] }),
      );
      expect(await app.queue.getJob(committed.id)).toMatchObject({ status: 'blocked' });
      gates.open('tx-dep');
      await waitForStatus(app.queue, committed.id, 'completed');
    });

    it("releases a dependent committed while its dependency's completion waits for the row, when that completion releases dependents itself", async () => {
      // One transaction, so the worker claims `a` knowing it has a dependent.
      const [a, first] = await dataSource.transaction(async (manager) => {
        const dependency = await app.queue.enqueue('step', { label: 'completes while locked', gate: 'locked-completion' }, { manager });
        return [
          dependency,
          await app.queue.enqueue('step', { label: 'dependent known at the claim' }, { manager, dependsOn: [dependency.id] }),
        ];
      });
      await waitFor('the dependency to start', async () => (await starts()).has(a.id));
      const runner = dataSource.createQueryRunner();
      await runner.startTransaction();
      try {
        // Locks a's row until the commit below: the worker's completion of a (which releases
        // `first` in its own statement) queues behind it, with a snapshot that misses this edge.
        const late = await app.queue.enqueue('step', { label: 'dependent committed late' }, { manager: runner.manager, dependsOn: [a.id] });
        gates.open('locked-completion');
        await waitFor(
          "the completion to wait for a's row",
          async () =>
            (
              await db.query<{ n: number }>(
                `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%' || $1 || '%'`,
                [`"${app.schema}".jobs`],
              )
            ).rows[0].n,
          (n) => n > 0,
        );
        await runner.commitTransaction();
        for (const job of [first, late]) await waitForStatus(app.queue, job.id, 'completed');
        const runs = await starts();
        expect([runs.get(first.id), runs.get(late.id)].map((r) => r?.length)).toEqual([1, 1]);
      } finally {
        if (runner.isTransactionActive) await runner.rollbackTransaction();
        await runner.release();
      }
    });
  });

  describe('validation', () => {
    it('rejects unknown dependencies, self-dependency, too many, a rule without dependsOn and bad types, inserting nothing', async () => {
      const known = await step({ label: 'known' }, { delayMs: 3_600_000 });
      const before = await jobCount();
      const unknownId = await rejectionOf(step({ label: 'x' }, { dependsOn: [known.id, known.id, '999999999'] }));
      expect(unknownId).toBeInstanceOf(JobDependencyNotFoundError);
      expect(unknownId).toMatchObject({ field: 'dependsOn[2]', dependency: { id: '999999999' } });
      const unknownKey = await rejectionOf(
        app.queue.enqueueMany([
          { jobType: 'step', payload: { label: 'fine' }, options: { dependsOn: [known.id] } },
          { jobType: 'step', payload: { label: 'x' }, options: { dependsOn: [{ idempotencyKey: 'nobody' }] } },
        ]),
      );
      expect(unknownKey).toMatchObject({ field: 'dependsOn[0]', dependency: { idempotencyKey: 'nobody' } });

      const invalid: [object, string][] = [
        [{ dependsOn: [{ idempotencyKey: 'me' }], idempotencyKey: 'me' }, 'dependsOn[0]'],
        [{ dependsOn: Array.from({ length: MAX_DEPENDENCIES_PER_JOB + 1 }, () => known.id) }, 'dependsOn'],
        [{ onDependencyFailure: 'run' }, 'onDependencyFailure'],
        [{ dependsOn: [known.id], onDependencyFailure: 'ignore' }, 'onDependencyFailure'],
        [{ dependsOn: known.id }, 'dependsOn'],
        [{ dependsOn: [known.id, {}] }, 'dependsOn[1]'],
        [{ dependsOn: [1.5] }, 'dependsOn[0]'],
        [{ dependsOn: [{ idempotencyKey: 'k', extra: 1 }] }, 'dependsOn[0]'],
      ];
      for (const [options, field] of invalid) {
        const error = await rejectionOf(step({ label: 'x' }, options));
        expect([field, error]).toEqual([field, expect.any(JobOptionsInvalidError)]);
        expect(error).toMatchObject({ field });
      }
      expect(await jobCount()).toBe(before);
      expect(await app.queue.getJob(known.id)).toMatchObject({ hasDependents: false });
      await app.queue.cancelJob(known.id);
    });
  });
});

describe('job dependencies under drain (tests of apps)', () => {
  it('runs a dependent released by a drained job in the same drain, after it', async () => {
    const app = await createTestApp({ providers: [StepHandler], options: { mode: 'external' } });
    tally = await Tally.create(app.schema);
    try {
      const a = await app.queue.enqueue('step', { label: 'drained A' });
      const b = await app.queue.enqueue('step', { label: 'drained B' }, { dependsOn: [a.id] });
      const { jobs } = await drain(app.app);
      expect(jobs.map((job) => [job.id, job.status])).toEqual([
        [a.id, 'completed'],
        [b.id, 'completed'],
      ]);
    } finally {
      await tally.close();
      await app.close();
    }
  });
});

/**
 * Worker processes (test/fixtures/worker-process.ts) run 'tally' jobs, each recording its start
 * in the tally, and the batch callbacks; this process only enqueues.
 */
describe('job dependencies across worker processes', () => {
  let cluster: Cluster | undefined;

  afterEach(async () => {
    await cluster?.close();
    cluster = undefined;
  });

  it('runs each node of a diamond DAG (width 20, depth 5) once, after all its dependencies, across 3 processes', async () => {
    cluster = await startCluster({ workers: 3, env: { DQ_QUEUES: '*:4' } });
    const { queue } = cluster.producer;
    const tally: TallyJob = (label, dependsOn = []) => ({
      jobType: 'tally',
      payload: { label, sleepMs: Math.floor(Math.random() * 15) },
      options: dependsOn.length > 0 ? { dependsOn } : {},
    });
    const WIDTH = 20;
    const [root] = await queue.enqueueMany([tally('root')]);
    const dependencies = new Map<string, string[]>([[root.id, []]]);
    let level = [root.id];
    for (let depth = 1; depth <= 5; depth++) {
      const parents = level;
      const jobs = Array.from({ length: WIDTH }, (_, i) => {
        const deps = [...new Set([parents[i % parents.length], parents[(i + 1) % parents.length], parents[(i + 7) % parents.length]])];
        return { job: tally(`L${depth}-${i}`, deps), deps };
      });
      const enqueued = await queue.enqueueMany(jobs.map(({ job }) => job));
      enqueued.forEach((job, i) => dependencies.set(job.id, jobs[i].deps));
      level = enqueued.map((job) => job.id);
    }
    const [sink] = await queue.enqueueMany([tally('sink', level)]);
    dependencies.set(sink.id, level);

    await withWorkerLogs(cluster.workers, waitForStatus(queue, sink.id, 'completed', { timeoutMs: 20_000 }));
    const jobs = new Map((await allJobs(queue, { jobType: 'tally' })).map((job) => [job.id, job]));
    const runs = new Map<string, Date[]>();
    for (const entry of await cluster.tally.entries()) runs.set(entry.jobId, [...(runs.get(entry.jobId) ?? []), entry.at]);

    expect(jobs.size).toBe(1 + 5 * WIDTH + 1);
    const early: string[] = [];
    for (const [id, deps] of dependencies) {
      expect([id, jobs.get(id)!.status, runs.get(id)?.length]).toEqual([id, 'completed', 1]);
      const started = runs.get(id)![0].getTime();
      for (const dep of deps) {
        if (started < runs.get(dep)![0].getTime() || started < jobs.get(dep)!.completedAt!.getTime()) early.push(`${id} before ${dep}`);
      }
    }
    expect(early).toEqual([]);
    expect((await cluster.tally.runsPerPid()).size).toBeGreaterThan(1);
  });

  it("settles dependents of a SIGKILLed worker's jobs through the crash reaper: the final failure cancels, the retry releases", async () => {
    cluster = await startCluster({ workers: 1, env: { DQ_QUEUES: '*:2', DQ_HEARTBEAT_INTERVAL_MS: '300', DQ_WORKER_TIMEOUT_MS: '1500' } });
    const { queue } = cluster.producer;
    const long = { sleepMs: 60_000, sleepFirstAttemptOnly: true };
    const [lost, retried] = await queue.enqueueMany([
      { jobType: 'tally', payload: { label: 'lost', ...long }, options: { maxAttempts: 1 } },
      { jobType: 'tally', payload: { label: 'retried', ...long }, options: { maxAttempts: 2 } },
    ]);
    const [cancelled, released] = await queue.enqueueMany([
      { jobType: 'tally', payload: { label: 'after lost' }, options: { dependsOn: [lost.id] } },
      { jobType: 'tally', payload: { label: 'after retried' }, options: { dependsOn: [retried.id] } },
    ]);
    await withWorkerLogs(
      cluster.workers,
      waitFor(
        'both long jobs to start',
        () => cluster!.tally.count(),
        (n) => n === 2,
      ),
    );
    const [victim] = cluster.workers;
    victim.kill('SIGKILL');
    await victim.exited;
    await cluster.addWorkers(1);

    const done = await withWorkerLogs(cluster.workers, waitForStatus(queue, released.id, 'completed', { timeoutMs: 20_000 }));
    expect(done.dependenciesLeft).toBe(0);
    expect(await queue.getJob(lost.id)).toMatchObject({ status: 'failed', nextAttemptAt: null, failureReason: 'interrupted' });
    expect(await queue.getJob(cancelled.id)).toMatchObject({ status: 'cancelled', failureReason: 'dependency_failed' });
    const runs = await cluster.tally.runsPerJob();
    expect([runs.get(cancelled.id), runs.get(released.id), runs.get(retried.id)]).toEqual([undefined, 1, 2]);
  });

  it('fires the batch callbacks once when a failure cascades through dependent batch jobs', async () => {
    cluster = await startCluster({ workers: 2 });
    const { queue } = cluster.producer;
    const batch = await queue.createBatch({
      description: 'cascade',
      onFinish: TALLY_BATCH,
      onSuccess: TALLY_BATCH,
      onDiscard: TALLY_BATCH,
    });
    const [a] = await batch.add([{ jobType: 'tally', payload: { label: 'cascade A', fail: true }, options: { maxAttempts: 1 } }]);
    const [b] = await batch.add([{ jobType: 'tally', payload: { label: 'cascade B' }, options: { dependsOn: [a.id] } }]);
    await batch.enqueue([
      { jobType: 'tally', payload: { label: 'cascade C' }, options: { dependsOn: [b.id] } },
      { jobType: 'tally', payload: { label: 'independent' } },
    ]);
    const finished = await withWorkerLogs(cluster.workers, waitForBatchFinished(queue, batch.id, { timeoutMs: 20_000 }));
    expect(finished.counts).toEqual({ total: 4, pending: 0, succeeded: 1, discarded: 3 });
    const events = callbackLabels(await cluster.tally.labels())
      .filter((run) => run.batchId === batch.id)
      .map((run) => run.event)
      .sort();
    expect(events).toEqual(['discard', 'finish']);
    expect((await cluster.tally.labels()).filter((label) => label === 'cascade B' || label === 'cascade C')).toEqual([]);
  });
});

type TallyJob = (label: string, dependsOn?: string[]) => JobToEnqueue<TallyJobPayload>;
