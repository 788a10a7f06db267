import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { JobHandler } from '@dataqueue/nestjs';
import type { JobContext, JobRecord } from '@dataqueue/nestjs';
import { rejectionOf } from './support/rejection.js';
import { Tally } from './support/tally.js';
import { createTestApp, waitForStatus, type TestApp } from './support/test-app.js';
import { databaseUrl } from './support/unique-schema.js';

let tally: Tally;

@JobHandler('invoice')
class InvoiceHandler {
  async handle(payload: { orderId: number }, ctx: JobContext): Promise<void> {
    await tally.record(ctx.job.id, `order ${payload.orderId}`);
  }
}

describe('transactional enqueue', () => {
  let app: TestApp;
  /** The application's own TypeORM connection, separate from DataQueue's. */
  let dataSource: DataSource;

  beforeAll(async () => {
    app = await createTestApp({ providers: [InvoiceHandler], options: { pollIntervalMs: 50 } });
    tally = await Tally.create(app.schema);
    dataSource = await new DataSource({ type: 'postgres', url: databaseUrl(), poolSize: 3 }).initialize();
    await dataSource.query(`CREATE TABLE "${app.schema}".orders (id integer PRIMARY KEY)`);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await tally?.close();
    await app?.close();
  });

  it('creates the job when the transaction commits, invisible to others until then', async () => {
    let seenBeforeCommit: JobRecord | null | undefined;
    const job = await dataSource.transaction(async (manager) => {
      await manager.query(`INSERT INTO "${app.schema}".orders (id) VALUES (1)`);
      const enqueued = await app.queue.enqueue('invoice', { orderId: 1 }, { manager });
      seenBeforeCommit = await app.queue.getJob(enqueued.id);
      return enqueued;
    });
    expect(seenBeforeCommit).toBeNull();
    expect(await app.queue.getJob(job.id)).not.toBeNull();

    await waitForStatus(app.queue, job.id, 'completed');
    expect((await tally.runsPerJob()).get(job.id)).toBe(1);
  });

  it('leaves no job behind when the transaction rolls back', async () => {
    let enqueued: JobRecord | undefined;
    const error = await rejectionOf(
      dataSource.transaction(async (manager) => {
        await manager.query(`INSERT INTO "${app.schema}".orders (id) VALUES (2)`);
        enqueued = await app.queue.enqueue('invoice', { orderId: 2 }, { manager });
        throw new Error('payment declined');
      }),
    );
    expect(error.message).toBe('payment declined');
    expect(enqueued).toBeDefined();
    expect(await app.queue.getJob(enqueued!.id)).toBeNull();

    // A job enqueued afterwards outside any transaction runs; the rolled-back one never does.
    const after = await app.queue.enqueue('invoice', { orderId: 3 });
    await waitForStatus(app.queue, after.id, 'completed');
    const { jobs } = await app.queue.listJobs({ jobType: 'invoice' });
    expect(jobs.map((j) => (j.payload as { orderId: number }).orderId).sort()).toEqual([1, 3]);
    expect((await tally.labels()).sort()).toEqual(['order 1', 'order 3']);
  });

  it('enqueueMany joins the transaction too', async () => {
    await dataSource
      .transaction(async (manager) => {
        await app.queue.enqueueMany(
          [
            { jobType: 'invoice', payload: { orderId: 10 } },
            { jobType: 'invoice', payload: { orderId: 11 } },
          ],
          { manager },
        );
        throw new Error('rollback');
      })
      .catch(() => undefined);
    const { jobs } = await app.queue.listJobs({ jobType: 'invoice' });
    expect(jobs.map((j) => (j.payload as { orderId: number }).orderId)).not.toContain(10);
    expect(jobs).toHaveLength(2);
  });
});
