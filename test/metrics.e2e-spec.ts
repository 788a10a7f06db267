import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { DataQueueMetricsModule, DataQueueModule, JobHandler, QueueService } from '@dataqueue/nestjs';
import { waitForStatus } from './support/test-app.js';
import { databaseUrl, dropSchema, uniqueSchema } from './support/unique-schema.js';

@JobHandler('measured', { maxAttempts: 1 })
class MeasuredHandler {
  handle(payload: { fail?: boolean }): string {
    if (payload.fail) throw new Error('no');
    return 'ok';
  }
}

describe('Prometheus metrics', () => {
  const schema = uniqueSchema();
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [DataQueueModule.forRoot({ url: databaseUrl(), schema, pollIntervalMs: 100 }), DataQueueMetricsModule.forRoot({ path: 'ops/metrics' })],
      providers: [MeasuredHandler],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
  });

  afterAll(async () => {
    await app?.close();
    await dropSchema(schema);
  });

  it('exposes unfinished jobs by queue and state, latency, batches, workers and this process\'s attempt durations', async () => {
    const queue = app.get(QueueService);
    const done = await queue.enqueue('measured', {});
    const failed = await queue.enqueue('measured', { fail: true });
    await queue.enqueue('measured', {}, { queue: 'later', delayMs: 3_600_000 });
    await waitForStatus(queue, done.id, 'completed');
    await waitForStatus(queue, failed.id, 'failed');

    const response = await fetch(`${base}/ops/metrics`);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(text).toContain('# TYPE dataqueue_jobs gauge');
    expect(text).toContain('dataqueue_jobs{queue="later",state="pending"} 1');
    expect(text).toContain('dataqueue_workers 1');
    expect(text).toContain('dataqueue_batches_running 0');
    expect(text).toContain('# TYPE dataqueue_job_duration_seconds histogram');
    expect(text).toMatch(/dataqueue_job_duration_seconds_count\{job_type="measured",outcome="completed"\} 1/);
    expect(text).toMatch(/dataqueue_job_duration_seconds_count\{job_type="measured",outcome="handler_error"\} 1/);
    expect(text).toMatch(/dataqueue_job_duration_seconds_bucket\{job_type="measured",outcome="completed",le="\+Inf"\} 1/);
  });
});
