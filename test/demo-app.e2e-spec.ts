import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { drain, expectEnqueued, runHandler } from '@dataqueue/nestjs/testing';
import { DemoJobsModule } from '../apps/demo/src/demo-jobs.module.js';
import { EMAIL_DEAD_LETTER } from '../apps/demo/src/email/email-dead-letter.handler.js';
import { SEND_EMAIL } from '../apps/demo/src/email/send-email.handler.js';
import { ReportsService } from '../apps/demo/src/reports/reports.service.js';
import { createTestApp, type TestApp } from './support/test-app.js';

/**
 * The demo app's jobs (apps/demo), tested the way a user of the library tests theirs: with the
 * helpers of @dataqueue/nestjs/testing, on a real Postgres, without workers of the app's own.
 */
describe('the demo app’s jobs', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await createTestApp({ imports: [DemoJobsModule], providers: [ReportsService], options: { mode: 'external' } });
  });

  afterAll(async () => {
    await app.close();
  });

  it('sends an email, retrying a failed attempt after its backoff', async () => {
    const job = await app.queue.enqueue(SEND_EMAIL, { to: 'ada@example.com', subject: 'Hi', failTimes: 1 });
    expect((await drain(app.app)).jobs).toMatchObject([{ id: job.id, status: 'failed', attempts: 1 }]);
    const { jobs } = await drain(app.app, { until: 'all' });
    expect(jobs).toMatchObject([
      { id: job.id, status: 'completed', attempts: 2, output: { messageId: expect.stringMatching(/@demo\.dataqueue>$/) } },
    ]);
  });

  it('hands an email that always fails to its dead letter after 3 attempts', async () => {
    const job = await app.queue.enqueue(
      SEND_EMAIL,
      { to: 'bob@example.com', subject: 'Hi', failTimes: 5 },
      { deadLetterJobType: EMAIL_DEAD_LETTER },
    );
    await drain(app.app, { until: 'all' });
    const failed = await app.queue.getJob(job.id);
    expect(failed).toMatchObject({ status: 'failed', attempts: 3, nextAttemptAt: null });
    const deadLetter = await app.queue.getJob(failed!.deadLetterJobId!);
    expect(deadLetter).toMatchObject({
      jobType: EMAIL_DEAD_LETTER,
      status: 'completed',
      payload: { originalJob: { id: job.id, attempts: 3 }, failure: { reason: 'handler_error' } },
    });
  });

  it('renders a report in two stages: the pages, then the success callback publishes it', async () => {
    const { id } = await app.app.get(ReportsService).start(3);
    const { jobs } = await drain(app.app);
    expect(jobs.map((job) => job.jobType)).toEqual([
      'render-page',
      'render-page',
      'render-page',
      'dataqueue.batch-callback', // finish
      'dataqueue.batch-callback', // success: enqueues stage 2
      'publish-report',
      'dataqueue.batch-callback',
      'dataqueue.batch-callback',
    ]);
    const publish = jobs.find((job) => job.jobType === 'publish-report');
    expect(publish).toMatchObject({ status: 'completed', output: { pages: 3, url: `https://reports.example.com/${id}.html` } });
    const batch = await app.queue.getBatch(id);
    expect(batch).toMatchObject({
      properties: { pages: 3, stage: 2, url: `https://reports.example.com/${id}.html` },
      counts: { succeeded: 4 },
    });
    expect(batch!.finishedAt).not.toBeNull();
  });

  it('a page that fails stops the report until the batch is retried', async () => {
    const { id } = await app.app.get(ReportsService).start(2, 2);
    await drain(app.app, { until: 'all' });
    expect(await app.queue.getBatch(id)).toMatchObject({ properties: { stage: 1 }, counts: { succeeded: 1, discarded: 1 } });
    await app.queue.retryBatch(id);
    await drain(app.app);
    await expectEnqueued(app.queue, { jobType: 'publish-report', batchId: id, status: 'completed' });
    expect(await app.queue.getBatch(id)).toMatchObject({ properties: { stage: 2 }, counts: { discarded: 0 } });
  });

  it('a handler on its own: the email handler reports its progress and returns the message id', async () => {
    const run = await runHandler(app.app, SEND_EMAIL, { to: 'kim@example.com', subject: 'Hi' });
    expect(run.progress).toEqual([10, 60, 100]);
    expect(run.output).toEqual({ messageId: expect.stringMatching(/^<.+@demo\.dataqueue>$/) });
  });
});
