import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import pg from 'pg';
import {
  JobHandler,
  OnQueueEvent,
  type JobContext,
  QueueEventSubscriptionInvalidError,
  type JobEventName,
  type QueueEvent,
} from '@dataqueue/nestjs';
import type { TallyJobPayload } from './fixtures/worker-process.js';
import { startCluster, type Cluster } from './support/cluster.js';
import { createTestApp, waitForStatus, type TestApp } from './support/test-app.js';
import { databaseUrl } from './support/unique-schema.js';
import { waitFor } from './support/wait-for.js';
import { withWorkerLogs } from './support/worker-processes.js';

const heard: QueueEvent[] = [];
/** Job ids repeat across schemas: a test on its own schema asks by job type too. */
const heardOf = (id: string, jobType = 'tally') =>
  heard.filter((e) => e.jobId === id && e.jobType === jobType).map((e) => (e.failure ? `${e.event}:${e.failure.willRetry}` : e.event));

@Injectable()
class Tracker {
  @OnQueueEvent('completed', 'failed')
  ended(event: QueueEvent): void {
    heard.push(event);
  }

  @OnQueueEvent('started', 'cancelled', { jobTypes: ['flaky', 'tally'] })
  moved(event: QueueEvent): void {
    heard.push(event);
  }
}

/** Fails its first attempt, then succeeds. */
@JobHandler('flaky', { maxAttempts: 2, backoff: { baseMs: 10 } })
class FlakyHandler {
  handle(_payload: unknown, ctx: JobContext): string {
    if (ctx.job.errorHistory.length === 0) throw new Error('first attempt fails');
    return 'ok';
  }
}

/** A raw LISTEN on the schema's events channel: what publishers actually send. */
async function listenRaw(schema: string): Promise<{ messages: QueueEvent[][]; close(): Promise<void> }> {
  const client = new pg.Client({ connectionString: databaseUrl() });
  await client.connect();
  const messages: QueueEvent[][] = [];
  client.on('notification', ({ payload }) => messages.push(JSON.parse(payload!) as QueueEvent[]));
  await client.query(`LISTEN "${schema}_events"`);
  return { messages, close: () => client.end() };
}

describe('job events from every process (@OnQueueEvent)', () => {
  let cluster: Cluster;

  beforeAll(async () => {
    // The producer subscribes before the worker processes start, so they publish for it from their first job.
    cluster = await startCluster({ workers: 2, producer: { providers: [Tracker] } });
  });

  afterAll(async () => {
    await cluster?.close();
  });

  it('delivers completions and failures made by worker processes, once each, with the facts of the move', async () => {
    const ok = await cluster.producer.queue.enqueueMany(
      Array.from({ length: 20 }, (_, i) => ({ jobType: 'tally', payload: { label: `ok-${i}` } satisfies TallyJobPayload })),
    );
    const doomed = await cluster.producer.queue.enqueue('tally', { fail: true } satisfies TallyJobPayload, { maxAttempts: 1 });
    const ids = [...ok.map((job) => job.id), doomed.id];
    await withWorkerLogs(
      cluster.workers,
      waitFor(
        'an end event of every job',
        () => ids.filter((id) => heardOf(id).some((e) => e === 'completed' || e === 'failed:false')).length,
        (count) => count === ids.length,
      ),
    );
    for (const job of ok) expect(heardOf(job.id)).toEqual(['started', 'completed']);
    expect(heardOf(doomed.id)).toEqual(['started', 'failed:false']);

    const completed = heard.find((e) => e.jobId === ok[0].id && e.event === 'completed')!;
    expect(completed).toMatchObject({ jobType: 'tally', queue: 'default', batchId: null, attempts: 1 });
    expect(completed.durationMs).toBeGreaterThanOrEqual(0);
    expect(completed.at).toBeInstanceOf(Date);
    const workerPids = cluster.workers.map((worker) => worker.pid);
    expect(workerPids.map(String)).toContain(completed.by.split(':').at(-1));
    expect(Object.isFrozen(completed)).toBe(true);
    expect(heard.find((e) => e.jobId === doomed.id && e.event === 'failed')!.failure).toEqual({
      reason: 'handler_error',
      message: expect.stringContaining('fails on attempt 1'),
      willRetry: false,
    });
  });

  it("delivers another app's cancellation with the call that made it, and filters by job type", async () => {
    const operator = await createTestApp({ options: { schema: cluster.schema, mode: 'external', strictJobTypes: false } });
    try {
      const later = { delayMs: 3_600_000 };
      const tally = await cluster.producer.queue.enqueue('tally', {}, later);
      const other = await cluster.producer.queue.enqueue('configured-dead', {}, later);
      await operator.queue.cancelJob(other.id);
      await operator.queue.cancelJob(tally.id);
      const event = await waitFor('the cancelled event', () => heard.find((e) => e.jobId === tally.id && e.event === 'cancelled'));
      expect(event).toMatchObject({ action: 'cancelJob', jobType: 'tally', attempts: 0 });
      // Both cancels came from one process, in this order: the other job's would have arrived first.
      expect(heardOf(other.id, 'configured-dead')).toEqual([]);
    } finally {
      await operator.close();
    }
  });

  it("delivers one process's events in the order it made them, its own included", async () => {
    // Its own schema: the cluster's workers would claim the job and fail it, having no handler.
    const app = await createTestApp({ providers: [FlakyHandler, Tracker] });
    try {
      const job = await app.queue.enqueue('flaky', {});
      await waitFor(
        'the completion event',
        () => heardOf(job.id, 'flaky'),
        (events) => events.includes('completed'),
      );
      expect(heardOf(job.id, 'flaky')).toEqual(['started', 'failed:true', 'started', 'completed']);
      expect(heard.filter((e) => e.jobId === job.id && e.jobType === 'flaky').map((e) => e.attempts)).toEqual([1, 1, 2, 2]);
    } finally {
      await app.close();
    }
  });

  it('removes its subscription when the app closes', async () => {
    const app = await createTestApp({ providers: [Tracker], options: { schema: cluster.schema, mode: 'external' } });
    const client = new pg.Client({ connectionString: databaseUrl() });
    await client.connect();
    try {
      const count = async () => Number((await client.query(`SELECT count(*) FROM "${cluster.schema}".event_subscriptions`)).rows[0].count);
      expect(await count()).toBe(2);
      await app.close();
      expect(await count()).toBe(1);
    } finally {
      await app.close();
      await client.end();
    }
  });
});

describe('job events while nobody subscribes', () => {
  let cluster: Cluster;
  let subscriber: TestApp | undefined;
  let raw: Awaited<ReturnType<typeof listenRaw>> | undefined;

  beforeAll(async () => {
    cluster = await startCluster({ workers: 1 });
    raw = await listenRaw(cluster.schema);
  });

  afterEach(async () => {
    await subscriber?.close();
  });

  afterAll(async () => {
    await raw?.close();
    await cluster?.close();
  });

  it('publishes nothing until a subscriber registers, then publishes what it asks for', async () => {
    const unheard = await cluster.producer.queue.enqueue('tally', { label: 'unheard' } satisfies TallyJobPayload);
    await withWorkerLogs(cluster.workers, waitForStatus(cluster.producer.queue, unheard.id, 'completed'));

    subscriber = await createTestApp({ providers: [Tracker], options: { schema: cluster.schema, mode: 'external' } });
    // The worker rereads the subscriptions when the new one is announced; probe until its events flow.
    const probes: string[] = [];
    await waitFor(
      'a published event of a probe job',
      async () => {
        probes.push((await cluster.producer.queue.enqueue('tally', { label: 'probe' } satisfies TallyJobPayload)).id);
        return raw!.messages.length;
      },
      (count) => count > 0,
      { intervalMs: 100 },
    );
    // One worker published everything in the order it happened: had it published the first
    // job's events, they would have arrived before any probe's.
    const published = raw!.messages.flat();
    expect(published.map((e) => e.jobId)).not.toContain(unheard.id);
    expect(probes).toEqual(expect.arrayContaining(published.map((e) => e.jobId)));
    const subscribed: JobEventName[] = ['started', 'completed', 'failed', 'cancelled'];
    expect(published.every((e) => subscribed.includes(e.event))).toBe(true);
  });

  it('refuses an @OnQueueEvent naming an event that does not exist, at boot', async () => {
    @Injectable()
    class Misspelled {
      @OnQueueEvent('complete' as JobEventName)
      done(): void {}
    }
    await expect(createTestApp({ providers: [Misspelled], options: { schema: cluster.schema, mode: 'external' } })).rejects.toThrow(
      new QueueEventSubscriptionInvalidError(
        'Misspelled.done',
        '"complete" is not a job event (started, completed, failed, waiting, cancelled, retried, deleted)',
      ),
    );
  });
});
