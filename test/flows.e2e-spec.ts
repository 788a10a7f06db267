import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import pg from 'pg';
import { FlowInvalidError, JobHandler, MAX_FLOW_STEPS, OnBatchFinish, OnBatchSuccess } from '@dataqueue/nestjs';
import type { BatchRecord, FlowBuilder, JobContext } from '@dataqueue/nestjs';
import { drain, runHandler } from '@dataqueue/nestjs/testing';
import { rejectionOf } from './support/rejection.js';
import { createTestApp, waitForStatus, type TestApp } from './support/test-app.js';
import { databaseUrl } from './support/unique-schema.js';
import { waitForBatchFinished } from './support/batches.js';
import { startCluster, type Cluster } from './support/cluster.js';
import { withWorkerLogs } from './support/worker-processes.js';
import { TALLY_BATCH, callbackLabels } from './fixtures/tally-batch-callbacks.js';

/** Every batch callback that ran, as `event batchId`. */
const callbacks: string[] = [];

// BullMQ's "parent waits for children": each child returns its cost, the parent sums them.
@JobHandler('paint')
class PaintHandler {
  handle(payload: { place: string; cost: number }): number {
    return payload.cost;
  }
}

@JobHandler('renovate-interior')
class RenovateInteriorHandler {
  async handle(_payload: unknown, ctx: JobContext): Promise<{ total: number; children: string[] }> {
    const children = await ctx.dependencies();
    const total = Object.values(children).reduce((sum, child) => sum + (child.output as number), 0);
    return { total, children: Object.keys(children).sort() };
  }
}

// Oban's workflow with fan-in: a → b, c, d → e; every step records what it read of the steps before.
@JobHandler('workflow-step')
class WorkflowStepHandler {
  async handle(payload: { name: string }, ctx: JobContext): Promise<{ name: string; step: string | null; read: Record<string, unknown> }> {
    const before = await ctx.dependencies();
    const read = Object.fromEntries(Object.entries(before).map(([name, job]) => [name, (job.output as { name: string }).name]));
    return { name: payload.name, step: ctx.job.stepName, read };
  }
}

@Injectable()
class FlowCallbacks {
  @OnBatchFinish('flow-finished')
  finished(batch: BatchRecord): void {
    callbacks.push(`finish ${batch.id}`);
  }

  @OnBatchSuccess('flow-succeeded')
  succeeded(batch: BatchRecord): void {
    callbacks.push(`success ${batch.id}`);
  }
}

describe('flows', () => {
  let app: TestApp;
  let db: pg.Pool;

  beforeAll(async () => {
    app = await createTestApp({
      providers: [PaintHandler, RenovateInteriorHandler, WorkflowStepHandler, FlowCallbacks],
      options: { pollIntervalMs: 50, defaultMaxAttempts: 1 },
    });
    db = new pg.Pool({ connectionString: databaseUrl(), max: 2 });
  });

  afterAll(async () => {
    await db?.end();
    await app?.close();
  });

  async function rowCounts(): Promise<{ jobs: number; batches: number }> {
    const { rows } = await db.query<{ jobs: number; batches: number }>(
      `SELECT (SELECT count(*)::int FROM "${app.schema}".jobs) AS jobs, (SELECT count(*)::int FROM "${app.schema}".batches) AS batches`,
    );
    return rows[0];
  }

  it("runs BullMQ's renovate-interior example: the parent sums its children's outputs", async () => {
    const flow = await app.queue
      .createFlow({ description: 'renovate interior' })
      .step('ceiling', 'paint', { place: 'ceiling', cost: 100 })
      .step('walls', 'paint', { place: 'walls', cost: 250 })
      .step('floor', 'paint', { place: 'floor', cost: 75 })
      .step('renovate', 'renovate-interior', {}, { after: ['ceiling', 'walls', 'floor'] })
      .run();
    expect(flow.id).toBe(flow.batch.id);
    expect(flow.steps.renovate).toMatchObject({ status: 'blocked', dependenciesLeft: 3, stepName: 'renovate', batchId: flow.id });
    expect(flow.steps.ceiling).toMatchObject({ status: 'pending', stepName: 'ceiling' });

    const parent = await waitForStatus(app.queue, flow.steps.renovate.id, 'completed');
    expect(parent.output).toEqual({ total: 425, children: ['ceiling', 'floor', 'walls'] });
  });

  it("runs Oban's workflow with fan-in (a → b, c, d → e), once each, in order; the batch callbacks fire once", async () => {
    const step = (name: string) => ({ name });
    const flow = await app.queue
      .createFlow({ onFinish: 'flow-finished', onSuccess: 'flow-succeeded' })
      .step('e', 'workflow-step', step('e'), { after: ['b', 'c', 'd'] })
      .step('a', 'workflow-step', step('a'))
      .step('b', 'workflow-step', step('b'), { after: ['a'] })
      .step('c', 'workflow-step', step('c'), { after: ['a'] })
      .step('d', 'workflow-step', step('d'), { after: ['a'] })
      .run();
    const batch = await waitForBatchFinished(app.queue, flow.id);
    expect(batch.counts).toMatchObject({ total: 5, succeeded: 5, discarded: 0 });

    const jobs = Object.fromEntries(
      await Promise.all(Object.entries(flow.steps).map(async ([name, job]) => [name, (await app.queue.getJob(job.id))!] as const)),
    );
    expect(jobs.e.output).toEqual({ name: 'e', step: 'e', read: { b: 'b', c: 'c', d: 'd' } });
    for (const name of ['b', 'c', 'd']) {
      expect(jobs[name]).toMatchObject({ stepName: name, output: { name, step: name, read: { a: 'a' } } });
      expect(jobs[name].startedAt!.getTime()).toBeGreaterThanOrEqual(jobs.a.completedAt!.getTime());
      expect(jobs.e.startedAt!.getTime()).toBeGreaterThanOrEqual(jobs[name].completedAt!.getTime());
    }
    for (const job of Object.values(jobs)) expect(job.attempts).toBe(1);
    expect(callbacks.filter((entry) => entry.endsWith(flow.id)).sort()).toEqual([`finish ${flow.id}`, `success ${flow.id}`]);
  });

  it('getFlow gives the batch and each step with the names it runs after', async () => {
    const flow = await app.queue
      .createFlow({ properties: { house: 7 } })
      .step('ceiling', 'paint', { place: 'ceiling', cost: 1 }, { delayMs: 60_000 })
      .step('walls', 'paint', { place: 'walls', cost: 2 }, { delayMs: 60_000 })
      .step('renovate', 'renovate-interior', {}, { after: ['walls', 'ceiling'] })
      .run();
    const read = await app.queue.getFlow(flow.id);
    expect(read!.batch).toMatchObject({ id: flow.id, properties: { house: 7 }, counts: { total: 3 } });
    expect(read!.steps.map(({ name, job, after }) => ({ name, id: job.id, after }))).toEqual([
      { name: 'ceiling', id: flow.steps.ceiling.id, after: [] },
      { name: 'walls', id: flow.steps.walls.id, after: [] },
      { name: 'renovate', id: flow.steps.renovate.id, after: ['ceiling', 'walls'] },
    ]);
    expect(await app.queue.getFlow('00000000-0000-0000-0000-000000000000')).toBeNull();
    expect(await app.queue.getFlow('not a uuid')).toBeNull();
    const plain = await app.queue.createBatch();
    expect(await app.queue.getFlow(plain.id)).toMatchObject({ batch: { id: plain.id }, steps: [] });
  });

  it('a step may run after an existing job, named by id or idempotency key', async () => {
    const existing = await app.queue.enqueue('paint', { place: 'door', cost: 30 }, { idempotencyKey: 'flow-door' });
    const other = await app.queue.enqueue('paint', { place: 'window', cost: 12 });
    const flow = await app.queue
      .createFlow()
      .step('renovate', 'renovate-interior', {}, { after: [{ idempotencyKey: 'flow-door' }, { jobId: other.id }] })
      .run();
    const parent = await waitForStatus(app.queue, flow.steps.renovate.id, 'completed');
    expect(parent.output).toEqual({ total: 42, children: [existing.id, other.id].sort() });
  });

  describe('validation: a typed error naming the field, and nothing inserted', () => {
    const cases: [string, (flow: FlowBuilder) => FlowBuilder, string, RegExp][] = [
      ['an empty flow', (flow) => flow, 'steps', /at least one step/],
      ['a duplicate step name', (flow) => flow.step('a', 'paint', {}).step('a', 'paint', {}), 'steps.a', /another step has this name/],
      [
        'an after naming no step',
        (flow) => flow.step('a', 'paint', {}).step('load', 'paint', {}, { after: ['a', 'extract'] }),
        'steps.load.after[1]',
        /names no step of this flow: "extract"/,
      ],
      ['a step after itself', (flow) => flow.step('a', 'paint', {}, { after: ['a'] }), 'steps.a.after[0]', /cannot run after itself/],
      [
        'a cycle',
        (flow) =>
          flow
            .step('root', 'paint', {})
            .step('a', 'paint', {}, { after: ['root', 'c'] })
            .step('b', 'paint', {}, { after: ['a'] })
            .step('c', 'paint', {}, { after: ['b'] }),
        'steps.a.after',
        /cycle: a after c after b after a/,
      ],
      [
        'a malformed after entry',
        (flow) => flow.step('a', 'paint', {}, { after: [{ jobId: '' }] }),
        'steps.a.after[0]',
        /step name, \{ jobId \} or \{ idempotencyKey \}/,
      ],
      [
        'a bad step option, found while inserting a later level',
        (flow) =>
          flow
            .step('a', 'paint', {})
            .step('x', 'paint', {}, { after: ['a'] })
            .step('b', 'paint', {}, { after: ['a'], priority: 1.5 }),
        'steps.b.priority',
        /flow steps\.b\.priority is invalid: .*integer/,
      ],
      [
        'a payload JSON cannot hold, in a later level',
        (flow) =>
          flow
            .step('a', 'paint', {})
            .step('x', 'paint', {}, { after: ['a'] })
            .step('b', 'paint', { cost: 1n }, { after: ['a'] }),
        'steps.b.payload',
        /payload is not JSON-serializable: .*BigInt/,
      ],
      [
        'too many steps',
        (flow) => {
          for (let i = 0; i <= MAX_FLOW_STEPS; i++) flow.step(`s${i}`, 'paint', {});
          return flow;
        },
        'steps',
        /at most 10000 steps/,
      ],
    ];

    it.each(cases)('%s', async (_label, build, field, message) => {
      const before = await rowCounts();
      const error = await rejectionOf(build(app.queue.createFlow()).run());
      expect(error).toBeInstanceOf(FlowInvalidError);
      expect(error.field).toBe(field);
      expect(error.message).toMatch(message);
      expect(await rowCounts()).toEqual(before);
    });
  });

  it("inserts the whole flow in the caller's transaction: a rollback leaves nothing", async () => {
    const before = await rowCounts();
    const client = await db.connect();
    try {
      await client.query('BEGIN');
      const flow = await app.queue
        .createFlow()
        .step('a', 'paint', { place: 'a', cost: 1 })
        .step('b', 'paint', { place: 'b', cost: 1 }, { after: ['a'] })
        .run({ client });
      expect(Object.keys(flow.steps)).toEqual(['a', 'b']);
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
    expect(await rowCounts()).toEqual(before);
  });

  it('runHandler passes the dependencies it is given to ctx.dependencies()', async () => {
    const run = await runHandler(app.app, 'renovate-interior', {}, { dependencies: { walls: { output: 5 }, floor: { output: 6 } } });
    expect(run.output).toEqual({ total: 11, children: ['floor', 'walls'] });
  });

  describe('in the other modes', () => {
    const providers = [PaintHandler, RenovateInteriorHandler, WorkflowStepHandler, FlowCallbacks];

    it('ctx.dependencies() works in inline mode, keyed by job id for a job outside a flow', async () => {
      const inline = await createTestApp({ providers, options: { mode: 'inline' } });
      try {
        const paint = await inline.queue.enqueue('paint', { place: 'door', cost: 8 });
        expect(paint.status).toBe('completed');
        const parent = await inline.queue.enqueue('renovate-interior', {}, { dependsOn: [paint.id] });
        expect(parent).toMatchObject({ status: 'completed', output: { total: 8, children: [paint.id] } });
      } finally {
        await inline.close();
      }
    });

    it('drain runs a whole flow, level after level, and its callbacks', async () => {
      const external = await createTestApp({ providers, options: { mode: 'external' } });
      try {
        const flow = await external.queue
          .createFlow({ onFinish: 'flow-finished' })
          .step('a', 'workflow-step', { name: 'a' })
          .step('b', 'workflow-step', { name: 'b' }, { after: ['a'] })
          .run();
        const { jobs } = await drain(external.app);
        expect(jobs.find((job) => job.id === flow.steps.b.id)).toMatchObject({
          status: 'completed',
          output: { name: 'b', read: { a: 'a' } },
        });
        expect(callbacks).toContain(`finish ${flow.id}`);
      } finally {
        await external.close();
      }
    });
  });

  describe('across worker processes', () => {
    let cluster: Cluster | undefined;

    afterAll(async () => {
      await cluster?.close();
    });

    it('runs a fan-out/fan-in flow on three workers: every step once, after its steps; the callbacks once', async () => {
      cluster = await startCluster({ workers: 3, env: { DQ_QUEUES: '*:4' } });
      const WIDTH = 30;
      const tallyStep = (label: string) => ({ label, sleepMs: Math.floor(Math.random() * 15) });
      const builder = cluster.producer.queue
        .createFlow({ onFinish: TALLY_BATCH, onSuccess: TALLY_BATCH })
        .step('root', 'tally', tallyStep('root'));
      const middle = Array.from({ length: WIDTH }, (_, i) => `m${i}`);
      for (const name of middle) builder.step(name, 'tally', tallyStep(name), { after: ['root'] });
      builder.step('sink', 'tally', tallyStep('sink'), { after: middle });
      const flow = await builder.run();

      await withWorkerLogs(cluster.workers, waitForBatchFinished(cluster.producer.queue, flow.id, { timeoutMs: 20_000 }));
      const entries = await cluster.tally.entries();
      const runs = new Map<string, { at: Date; pid: number }[]>();
      for (const entry of entries) runs.set(entry.jobId, [...(runs.get(entry.jobId) ?? []), entry]);
      const read = (await cluster.producer.queue.getFlow(flow.id))!;
      expect(read.steps).toHaveLength(WIDTH + 2);
      const completedAt = new Map(read.steps.map(({ name, job }) => [name, job.completedAt!.getTime()]));
      const early: string[] = [];
      for (const { name, job, after } of read.steps) {
        expect([name, job.status, runs.get(job.id)?.length]).toEqual([name, 'completed', 1]);
        for (const before of after)
          if (runs.get(job.id)![0].at.getTime() < completedAt.get(before)!) early.push(`${name} before ${before}`);
      }
      expect(early).toEqual([]);
      const callbackRuns = callbackLabels(entries.map((entry) => entry.label)).filter((run) => run.batchId === flow.id);
      expect(callbackRuns.map((run) => run.event).sort()).toEqual(['finish', 'success']);
      expect(new Set(read.steps.flatMap(({ job }) => runs.get(job.id)!.map((run) => run.pid))).size).toBeGreaterThan(1);
    });
  });
});
