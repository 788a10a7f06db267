import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { JobHandler, OnJobEvent, type JobContext, type JobEvent } from '@dataqueue/nestjs';
import { createTestApp, waitForStatus, type TestApp } from './support/test-app.js';
import { waitFor } from './support/wait-for.js';

const seen: JobEvent[] = [];

@JobHandler('eventful', { maxAttempts: 2, backoff: { baseMs: 10 } })
class EventfulHandler {
  async handle(payload: { failures: number; wait?: boolean }, ctx: JobContext): Promise<string> {
    if (ctx.job.attempts <= payload.failures) throw new Error(`failure ${ctx.job.attempts}`);
    if (payload.wait) await ctx.waitFor(10);
    return 'ok';
  }
}

@Injectable()
class Observer {
  @OnJobEvent('started', 'completed', 'waiting')
  progress(event: JobEvent): void {
    seen.push(event);
  }

  @OnJobEvent('failed')
  failed(event: JobEvent): void {
    seen.push(event);
  }

  @OnJobEvent('completed')
  broken(): void {
    throw new Error('a listener bug must not touch the job');
  }
}

describe('job lifecycle events', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await createTestApp({ providers: [EventfulHandler, Observer] });
  });

  afterAll(async () => {
    await app?.close();
  });

  const eventsOf = (id: string) => seen.filter((e) => e.job.id === id).map((e) => (e.failure ? `${e.event}:${e.failure.willRetry}` : e.event));

  it('announces starts, failures (with whether they retry), waits and completions to @OnJobEvent methods', async () => {
    const job = await app.queue.enqueue('eventful', { failures: 1, wait: true });
    await waitForStatus(app.queue, job.id, 'completed');
    await waitFor('the completion event', () => eventsOf(job.id), (events) => events.includes('completed'));
    expect(eventsOf(job.id)).toEqual(['started', 'failed:true', 'started', 'waiting', 'started', 'completed']);
    expect(seen.find((e) => e.event === 'failed' && e.job.id === job.id)!.failure).toMatchObject({ reason: 'handler_error', message: 'failure 1' });

    const doomed = await app.queue.enqueue('eventful', { failures: 5 });
    await waitForStatus(app.queue, doomed.id, 'failed');
    await waitFor('the final failure event', () => eventsOf(doomed.id), (events) => events.includes('failed:false'));
    expect(eventsOf(doomed.id)).toEqual(['started', 'failed:true', 'started', 'failed:false']);
  });
});
