import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { JobHandler, JobOptionsInvalidError, JobStateError } from '@dataqueue/nestjs';
import type { JobContext } from '@dataqueue/nestjs';
import { rejectionOf } from './support/rejection.js';
import { Tally } from './support/tally.js';
import { createTestApp, waitForStatus, type TestApp } from './support/test-app.js';
import { dropSchema, uniqueSchema } from './support/unique-schema.js';
import { waitFor } from './support/wait-for.js';

let tally: Tally;

@JobHandler('step')
class StepHandler {
  async handle(payload: { label: string }, ctx: JobContext): Promise<void> {
    await tally.record(ctx.job.id, payload.label);
  }
}

describe('run order', () => {
  const schema = uniqueSchema();
  const apps: TestApp[] = [];

  beforeAll(async () => {
    tally = await Tally.create(schema);
  });

  afterAll(async () => {
    for (const app of apps.reverse()) await app.close();
    await tally.close();
    await dropSchema(schema);
  });

  it('runs smaller priorities first and equal priorities in enqueue order (FIFO)', async () => {
    // Enqueue everything while no worker runs, then start one single-slot worker.
    const producer = await createTestApp({ providers: [StepHandler], options: { schema, mode: 'external' } });
    apps.push(producer);
    const plan: [label: string, priority: number][] = [
      ['p5-a', 5],
      ['p0-a', 0],
      ['p5-b', 5],
      ['pm1-a', -1],
      ['p0-b', 0],
      ['p5-c', 5],
      ['p0-c', 0],
      ['pm1-b', -1],
    ];
    for (const [label, priority] of plan) await producer.queue.enqueue('step', { label }, { priority });

    const worker = await createTestApp({ providers: [StepHandler], options: { schema, queues: '*:1' } });
    apps.push(worker);
    await waitFor(
      'every step to run',
      () => tally.count(),
      (n) => n === plan.length,
    );

    expect(await tally.labels()).toEqual(['pm1-a', 'pm1-b', 'p0-a', 'p0-b', 'p0-c', 'p5-a', 'p5-b', 'p5-c']);
  });
});

/** A worker app with the step handler and a tally on its schema, for the tests of one describe. */
function useStepApp(): { readonly app: TestApp } {
  const state = {} as { app: TestApp };
  beforeAll(async () => {
    state.app = await createTestApp({ providers: [StepHandler], options: { pollIntervalMs: 50 } });
    tally = await Tally.create(state.app.schema);
  });
  afterAll(async () => {
    await tally?.close();
    await state.app?.close();
  });
  return state;
}

describe('delayed jobs', () => {
  const step = useStepApp();

  it('does not start a delayMs job before createdAt + delayMs (database clock)', async () => {
    const job = await step.app.queue.enqueue('step', { label: 'delayed' }, { delayMs: 700 });
    expect(job.status).toBe('pending');
    expect(job.runAt.getTime() - job.createdAt.getTime()).toBeGreaterThanOrEqual(700);

    const done = await waitForStatus(step.app.queue, job.id, 'completed');
    expect(done.startedAt!.getTime()).toBeGreaterThanOrEqual(job.runAt.getTime());
  });

  it('does not start a runAt job before runAt, while an undelayed job enqueued after it runs at once', async () => {
    const runAt = new Date(Date.now() + 700);
    const later = await step.app.queue.enqueue('step', { label: 'at runAt' }, { runAt });
    expect(later.runAt.getTime()).toBe(runAt.getTime());
    const now = await step.app.queue.enqueue('step', { label: 'now' });

    const first = await waitForStatus(step.app.queue, now.id, 'completed');
    const second = await waitForStatus(step.app.queue, later.id, 'completed');
    expect(second.startedAt!.getTime()).toBeGreaterThanOrEqual(runAt.getTime());
    expect(second.startedAt!.getTime()).toBeGreaterThan(first.startedAt!.getTime());
  });

  it('rejects runAt together with delayMs', async () => {
    const error = await rejectionOf(step.app.queue.enqueue('step', { label: 'x' }, { runAt: new Date(), delayMs: 10 }));
    expect(error).toBeInstanceOf(JobOptionsInvalidError);
  });
});

describe('rescheduleJob', () => {
  const step = useStepApp();

  it('moves a pending job due in an hour to a near runAt, and it runs after that time', async () => {
    const job = await step.app.queue.enqueue('step', { label: 'rescheduled' }, { delayMs: 3_600_000 });
    const runAt = new Date(Date.now() + 300);
    const moved = await step.app.queue.rescheduleJob(job.id, runAt);
    expect(moved.id).toBe(job.id);
    expect(moved.status).toBe('pending');
    expect(moved.runAt.getTime()).toBe(runAt.getTime());

    const done = await waitForStatus(step.app.queue, job.id, 'completed');
    expect(done.startedAt!.getTime()).toBeGreaterThanOrEqual(runAt.getTime());
  });

  it('moves a pending job into the future', async () => {
    const job = await step.app.queue.enqueue('step', { label: 'postponed' }, { delayMs: 60_000 });
    const runAt = new Date(Date.now() + 7_200_000);
    const moved = await step.app.queue.rescheduleJob(job.id, runAt.toISOString());
    expect(moved.runAt.getTime()).toBe(runAt.getTime());
    expect((await step.app.queue.getJob(job.id))!.status).toBe('pending');
  });

  it('refuses a completed job with JobStateError', async () => {
    const job = await step.app.queue.enqueue('step', { label: 'finished' });
    await waitForStatus(step.app.queue, job.id, 'completed');
    const error = await rejectionOf(step.app.queue.rescheduleJob(job.id, new Date()));
    expect(error).toBeInstanceOf(JobStateError);
    expect(error).toMatchObject({ jobId: job.id, status: 'completed', action: 'reschedule' });
  });

  it('refuses an invalid date with JobOptionsInvalidError naming runAt', async () => {
    const job = await step.app.queue.enqueue('step', { label: 'bad date' }, { delayMs: 60_000 });
    const error = await rejectionOf(step.app.queue.rescheduleJob(job.id, 'not a date'));
    expect(error).toBeInstanceOf(JobOptionsInvalidError);
    expect(error.field).toBe('runAt');
  });
});
