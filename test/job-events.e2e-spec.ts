import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { JobHandler, OnJobEvent, type JobContext, type JobEvent, type JobRecord } from '@dataqueue/nestjs';
import type { TallyJobPayload } from './fixtures/worker-process.js';
import { startCluster, type Cluster } from './support/cluster.js';
import { createTestApp, waitForFinalFailure, waitForStatus, type TestApp } from './support/test-app.js';
import { waitFor } from './support/wait-for.js';
import { withWorkerLogs } from './support/worker-processes.js';

const seen: JobEvent[] = [];
/** Far in the future: the job stays pending until something is done to it. */
const LATER = { delayMs: 3_600_000 };

/** Fails its first `failures` attempts (counting those before a retryJob), then succeeds. */
@JobHandler('eventful', { maxAttempts: 2, backoff: { baseMs: 10 } })
class EventfulHandler {
  async handle(payload: { failures: number; wait?: boolean }, ctx: JobContext): Promise<string> {
    if (ctx.job.errorHistory.length < payload.failures) throw new Error(`failure ${ctx.job.attempts}`);
    if (payload.wait) await ctx.waitFor(10);
    return 'ok';
  }
}

/** Runs until its signal aborts; remembers the abort reasons by job id. */
@JobHandler('lingering')
class LingeringHandler {
  static readonly aborted = new Map<string, unknown>();

  async handle(_payload: unknown, ctx: JobContext): Promise<void> {
    await new Promise<void>((_resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('lingering job was never aborted')), 30_000);
      ctx.signal.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          LingeringHandler.aborted.set(ctx.job.id, ctx.signal.reason);
          reject(ctx.signal.reason);
        },
        { once: true },
      );
    });
  }
}

@Injectable()
class Observer {
  @OnJobEvent('started', 'completed', 'waiting')
  progress(event: JobEvent): void {
    seen.push(event);
  }

  @OnJobEvent('failed', 'cancelled', 'retried', 'deleted')
  changed(event: JobEvent): void {
    seen.push(event);
  }

  @OnJobEvent('completed')
  broken(): void {
    throw new Error('a listener bug must not touch the job');
  }
}

/** A listener that tries to change the job it is told about: it must change nothing. */
@Injectable()
class Meddler {
  @OnJobEvent('started', 'failed')
  meddle(event: JobEvent): void {
    const job = event.job as JobRecord<{ failures?: number }>;
    job.maxAttempts = 100;
    if (job.payload && typeof job.payload === 'object') job.payload.failures = 0;
  }
}

describe('job lifecycle events', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await createTestApp({ providers: [EventfulHandler, LingeringHandler, Observer, Meddler] });
  });

  afterAll(async () => {
    await app?.close();
  });

  const eventsOf = (id: string) =>
    seen.filter((e) => e.job.id === id).map((e) => (e.failure ? `${e.event}:${e.failure.willRetry}` : e.event));
  const eventOf = (id: string, name: JobEvent['event']) => seen.find((e) => e.job.id === id && e.event === name);

  it('announces starts, failures (with whether they retry), waits and completions to @OnJobEvent methods', async () => {
    const job = await app.queue.enqueue('eventful', { failures: 1, wait: true });
    await waitForStatus(app.queue, job.id, 'completed');
    await waitFor(
      'the completion event',
      () => eventsOf(job.id),
      (events) => events.includes('completed'),
    );
    expect(eventsOf(job.id)).toEqual(['started', 'failed:true', 'started', 'waiting', 'started', 'completed']);
    expect(eventOf(job.id, 'failed')!.failure).toMatchObject({ reason: 'handler_error', message: 'failure 1' });

    const doomed = await app.queue.enqueue('eventful', { failures: 5 });
    await waitForStatus(app.queue, doomed.id, 'failed');
    await waitFor(
      'the final failure event',
      () => eventsOf(doomed.id),
      (events) => events.includes('failed:false'),
    );
    expect(eventsOf(doomed.id)).toEqual(['started', 'failed:true', 'started', 'failed:false']);
  });

  it('gives listeners a frozen copy: a listener that changes it changes neither the job nor what others see', async () => {
    // Meddler sets maxAttempts to 100 and payload.failures to 0 on every start: had it reached
    // the worker's record, the handler would succeed and the failures would say they retry.
    const doomed = await app.queue.enqueue('eventful', { failures: 5 });
    const failed = await waitForFinalFailure(app.queue, doomed.id);
    expect(failed.attempts).toBe(2);
    await waitFor(
      'the final failure event',
      () => eventsOf(doomed.id),
      (events) => events.includes('failed:false'),
    );
    expect(eventsOf(doomed.id)).toEqual(['started', 'failed:true', 'started', 'failed:false']);
    const started = eventOf(doomed.id, 'started')!;
    expect(Object.isFrozen(started.job)).toBe(true);
    expect(started.job).toMatchObject({ maxAttempts: 2, payload: { failures: 5 } });
  });

  it("announces a pending job's cancellation by cancelJob", async () => {
    const job = await app.queue.enqueue('eventful', { failures: 0 }, LATER);
    const cancelled = await app.queue.cancelJob(job.id);
    const event = await waitFor('the cancelled event', () => eventOf(job.id, 'cancelled'));
    expect(event).toMatchObject({
      action: 'cancelJob',
      job: { id: job.id, status: 'cancelled', lastCancelledAt: cancelled.lastCancelledAt },
    });
    expect(eventsOf(job.id)).toEqual(['cancelled']);
  });

  it("announces a running job's cancellation once; its attempt ends with its signal and no other event", async () => {
    const job = await app.queue.enqueue('lingering', {});
    await waitFor('the lingering job to start', () => eventOf(job.id, 'started'));
    await app.queue.cancelJob(job.id);
    const reason = await waitFor('the handler to see its signal abort', () => LingeringHandler.aborted.get(job.id));
    expect(reason).toMatchObject({ name: 'JobCancelledError' });
    await waitFor('the cancelled event', () => eventOf(job.id, 'cancelled'));
    expect(eventsOf(job.id)).toEqual(['started', 'cancelled']);
    expect((await app.queue.getJob(job.id))!.status).toBe('cancelled');
  });

  it('announces each job cancelled by cancelBatch, and each job retried by retryBatch', async () => {
    const batch = await app.queue.createBatch();
    const jobs = await batch.enqueue([
      { jobType: 'eventful', payload: { failures: 0 }, options: LATER },
      { jobType: 'eventful', payload: { failures: 0 }, options: LATER },
    ]);
    const ids = jobs.map((job) => job.id);
    await app.queue.cancelBatch(batch.id);
    const cancelled = await waitFor(
      'a cancelled event per job',
      () => ids.map((id) => eventOf(id, 'cancelled')),
      (events) => events.every(Boolean),
    );
    for (const [i, event] of cancelled.entries()) {
      expect(event).toMatchObject({ action: 'cancelBatch', job: { id: ids[i], status: 'cancelled', batchId: batch.id } });
    }

    await app.queue.retryBatch(batch.id);
    const retried = await waitFor(
      'a retried event per job',
      () => ids.map((id) => eventOf(id, 'retried')),
      (events) => events.every(Boolean),
    );
    for (const [i, event] of retried.entries()) {
      expect(event).toMatchObject({ action: 'retryBatch', job: { id: ids[i], status: 'pending', attempts: 0 } });
    }
    for (const id of ids) await waitFor(`job ${id}'s completion event`, () => eventOf(id, 'completed'));
    // Announced after its commit, `retried` may come after the worker of this process already
    // claimed the job.
    for (const id of ids)
      expect(inEitherOrder(eventsOf(id), 'retried', 'started')).toEqual(['cancelled', 'retried', 'started', 'completed']);
  });

  it('announces retryJob of a failed job, and deleteJob', async () => {
    const doomed = await app.queue.enqueue('eventful', { failures: 2 });
    await waitForFinalFailure(app.queue, doomed.id);
    await waitFor(
      'the final failure event',
      () => eventsOf(doomed.id),
      (events) => events.includes('failed:false'),
    );
    await app.queue.retryJob(doomed.id);
    const retried = await waitFor('the retried event', () => eventOf(doomed.id, 'retried'));
    expect(retried).toMatchObject({ action: 'retryJob', job: { id: doomed.id, status: 'pending', attempts: 0 } });
    const completed = await waitForStatus(app.queue, doomed.id, 'completed');
    await waitFor('the completion event', () => eventOf(doomed.id, 'completed'));

    expect(await app.queue.deleteJob(doomed.id)).toBe(true);
    const deleted = await waitFor('the deleted event', () => eventOf(doomed.id, 'deleted'));
    // The row as it was when deleted.
    expect(deleted).toMatchObject({ action: 'deleteJob', job: { id: doomed.id, status: 'completed', attempts: completed.attempts } });
    expect(inEitherOrder(eventsOf(doomed.id), 'retried', 'started')).toEqual([
      'started',
      'failed:true',
      'started',
      'failed:false',
      'retried',
      'started',
      'completed',
      'deleted',
    ]);

    // Nothing was deleted, nothing is announced.
    expect(await app.queue.deleteJob(doomed.id)).toBe(false);
    expect(eventsOf(doomed.id).filter((e) => e === 'deleted')).toHaveLength(1);
  });
});

/** `events` with the first `second, first` pair put as `first, second`: two events whose order is not defined. */
function inEitherOrder(events: string[], first: string, second: string): string[] {
  const at = events.findIndex((event, i) => event === second && events[i + 1] === first);
  return at < 0 ? events : [...events.slice(0, at), first, second, ...events.slice(at + 2)];
}

const reaped: JobEvent[] = [];

@Injectable()
class ReapObserver {
  @OnJobEvent('failed')
  failed(event: JobEvent): void {
    reaped.push(event);
  }
}

describe('job lifecycle events of the crash reaper', () => {
  let cluster: Cluster | undefined;

  afterEach(async () => {
    await cluster?.close();
  });

  it("announces the jobs of a SIGKILLed worker in the process that reaps them: failed, reason 'interrupted'", async () => {
    // The observer reaps (as every async app does), but works only a queue nobody uses, so it
    // never claims the reaped jobs itself.
    cluster = await startCluster({
      workers: 1,
      env: { DQ_HEARTBEAT_INTERVAL_MS: '250', DQ_WORKER_TIMEOUT_MS: '1500' },
      producer: {
        providers: [ReapObserver],
        options: { mode: 'async', queues: 'idle:1', heartbeatIntervalMs: 250, workerTimeoutMs: 1500 },
      },
    });
    const { producer: observer, tally, workers } = cluster;
    const { queue } = observer;
    const retrying = await queue.enqueue<TallyJobPayload>('tally', { sleepMs: 60_000, label: 'retrying' }, { maxAttempts: 3 });
    const last = await queue.enqueue<TallyJobPayload>('tally', { sleepMs: 60_000, label: 'last' }, { maxAttempts: 1 });
    await withWorkerLogs(
      workers,
      waitFor(
        'both jobs to run in the worker',
        () => tally.count(),
        (n) => n === 2,
      ),
    );

    const [victim] = workers;
    victim.kill('SIGKILL');
    expect((await victim.exited).signal).toBe('SIGKILL');

    const events = await waitFor(
      'the reaper to announce both jobs',
      () => [...reaped],
      (list) => list.length >= 2,
      { timeoutMs: 15_000 },
    );
    const byId = new Map(events.map((event) => [event.job.id, event]));
    expect(events).toHaveLength(2);
    expect(byId.get(retrying.id)).toMatchObject({
      event: 'failed',
      failure: { reason: 'interrupted', willRetry: true, message: expect.stringContaining('stopped heartbeating') },
      job: { id: retrying.id, status: 'failed', failureReason: 'interrupted', attempts: 1 },
    });
    expect(byId.get(retrying.id)!.job.nextAttemptAt).not.toBeNull();
    expect(byId.get(last.id)).toMatchObject({
      failure: { reason: 'interrupted', willRetry: false },
      job: { id: last.id, status: 'failed', nextAttemptAt: null },
    });
    expect(byId.get(last.id)!.durationMs).toBeUndefined();
  });
});
