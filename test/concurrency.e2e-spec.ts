import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ConcurrencyLimitError, JobHandler, JobOptionsInvalidError, type JobRecord } from '@dataqueue/nestjs';
import pg from 'pg';
import { GAUGE_TABLES } from './fixtures/limited-handlers.js';
import { startCluster, type Cluster } from './support/cluster.js';
import { startCpuBurner } from './support/cpu-burner.js';
import { createTestApp, waitForFinalFailure, type TestApp } from './support/test-app.js';
import { databaseUrl, dropSchema, uniqueSchema } from './support/unique-schema.js';
import { waitFor } from './support/wait-for.js';

@JobHandler('per-user', { concurrency: { key: (p: { user: string }) => p.user, totalLimit: 3 } })
class PerUserHandler {
  handle(): void {}
}

@JobHandler('deduped', { concurrency: { key: (p: { report: string }) => `report:${p.report}`, enqueueLimit: 1, onEnqueueLimit: 'skip' } })
class DedupedHandler {
  handle(): void {}
}

@JobHandler('enqueue-throttled', { concurrency: { key: () => 'mailer', enqueueThrottle: [5, 60_000] } })
class EnqueueThrottledHandler {
  handle(): void {}
}

const ENQUEUE_SIDE = [PerUserHandler, DedupedHandler, EnqueueThrottledHandler];

describe('concurrency limits at enqueue', () => {
  const apps: TestApp[] = [];
  let schema: string;

  beforeAll(async () => {
    schema = uniqueSchema();
    // Two enqueue-only apps on one queue: two connection pools racing like two processes.
    for (let i = 0; i < 2; i++) apps.push(await createTestApp({ providers: ENQUEUE_SIDE, options: { schema, mode: 'external' } }));
  });

  afterAll(async () => {
    for (const app of apps) await app.close();
    await dropSchema(schema);
  });

  it('admits exactly totalLimit of 20 concurrent enqueues of one key, rejecting the rest with a typed error', async () => {
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => apps[i % 2].queue.enqueue('per-user', { user: 'ada' })));
    const admitted = results.filter((r) => r.status === 'fulfilled');
    const rejected = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
    expect(admitted).toHaveLength(3);
    expect(rejected).toHaveLength(17);
    for (const error of rejected) {
      expect(error).toBeInstanceOf(ConcurrencyLimitError);
      expect(error).toMatchObject({ jobType: 'per-user', key: 'ada' });
    }
    const { jobs } = await apps[0].queue.listJobs({ jobType: 'per-user' });
    expect(jobs).toHaveLength(3);
    expect(jobs[0].concurrencyKeys).toEqual(['ada']);
    // Other keys are not affected.
    await expect(apps[1].queue.enqueue('per-user', { user: 'grace' })).resolves.toMatchObject({ status: 'pending' });
  });

  it('with onEnqueueLimit skip, answers with the job already queued instead of inserting', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => apps[i % 2].queue.enqueue('deduped', { report: 'q3' })));
    expect(new Set(results.map((job) => job.id)).size).toBe(1);
    expect((await apps[0].queue.listJobs({ jobType: 'deduped' })).jobs).toHaveLength(1);
  });

  it('throttles enqueues per window, all or nothing for enqueueMany', async () => {
    await apps[0].queue.enqueueMany(Array.from({ length: 4 }, () => ({ jobType: 'enqueue-throttled', payload: {} })));
    await expect(
      apps[1].queue.enqueueMany(Array.from({ length: 2 }, () => ({ jobType: 'enqueue-throttled', payload: {} }))),
    ).rejects.toBeInstanceOf(ConcurrencyLimitError);
    await apps[1].queue.enqueue('enqueue-throttled', {});
    await expect(apps[0].queue.enqueue('enqueue-throttled', {})).rejects.toThrow('enqueueThrottle 5 per 60000 ms');
    expect((await apps[0].queue.listJobs({ jobType: 'enqueue-throttled' })).jobs).toHaveLength(5);
  });

  it('fails boot on an invalid rule, naming it', async () => {
    @JobHandler('bad-rule', { concurrency: { key: () => 'k', performLimit: 0 } })
    class BadRule {
      handle(): void {}
    }
    await expect(createTestApp({ providers: [BadRule], options: { mode: 'external' } })).rejects.toThrow(JobOptionsInvalidError);
  });
});

describe('concurrency limits at perform, across four worker processes', () => {
  let cluster: Cluster | undefined;
  let schema: string;
  let producer: TestApp;
  let db: pg.Client;

  beforeAll(async () => {
    // The producer has none of the handlers: the limits are the worker processes' own.
    cluster = await startCluster({ workers: 4, env: { DQ_QUEUES: '*:5' } });
    ({ schema, producer } = cluster);
    db = new pg.Client({ connectionString: databaseUrl() });
    await db.connect();
    for (const sql of GAUGE_TABLES(schema)) await db.query(sql);
  }, 60_000);

  afterAll(async () => {
    await db?.end();
    await cluster?.close();
  });

  async function allCompleted(jobs: JobRecord[]): Promise<JobRecord[]> {
    return waitFor(
      `${jobs.length} jobs to complete`,
      async () => Promise.all(jobs.map((job) => producer.queue.getJob(job.id))),
      (found) => found.every((job) => job?.status === 'completed'),
      { timeoutMs: 60_000 },
    ) as Promise<JobRecord[]>;
  }

  it('never runs more than performLimit jobs of a key at once, and a held-back job keeps its attempts', async () => {
    const jobs = await producer.queue.enqueueMany([
      ...Array.from({ length: 24 }, () => ({ jobType: 'perform-limited', payload: { user: 'u1', holdMs: 60 } })),
      ...Array.from({ length: 8 }, () => ({ jobType: 'perform-limited', payload: { user: 'u2', holdMs: 60 } })),
    ]);
    const done = await allCompleted(jobs);
    const { rows } = await db.query<{ key: string; max_running: number }>(`SELECT key, max_running FROM "${schema}".gauge ORDER BY key`);
    expect(rows.map((row) => row.key)).toEqual(['u1', 'u2']);
    for (const row of rows) expect(row.max_running).toBeLessThanOrEqual(2);
    expect(done.every((job) => job.attempts === 1)).toBe(true);
  });

  // A held-back job used to count every claimed job of its key as running, including jobs still
  // waiting for their own check; on a loaded machine the key's jobs deferred each other round
  // after round and a key could stall for minutes. Its ideal time is jobs ÷ limit × hold.
  it.each([
    ['on a quiet machine', false],
    ['with one core taken by a CPU burner', true],
  ])('a held-back key finishes within 4× its ideal time, %s', async (_, burn) => {
    const holdMs = 60;
    const count = 40;
    const idealMs = (count / 2) * holdMs;
    const burner = burn ? startCpuBurner() : null;
    try {
      const user = burn ? 'busy' : 'quiet';
      const jobs = await producer.queue.enqueueMany(
        Array.from({ length: count }, () => ({ jobType: 'perform-limited', payload: { user, holdMs } })),
      );
      await waitFor(
        `${count} jobs of one key (performLimit 2, ${holdMs} ms each) to complete within 4 × ${idealMs} ms`,
        async () => (await producer.queue.listJobs({ jobType: 'perform-limited', status: 'completed', limit: 100 })).jobs,
        (done) => jobs.every((job) => done.some((d) => d.id === job.id)),
        { timeoutMs: 4 * idealMs },
      );
    } finally {
      await burner?.stop();
    }
  });

  it('starts at most performThrottle jobs of a key per window', async () => {
    const jobs = await producer.queue.enqueueMany(
      Array.from({ length: 8 }, () => ({ jobType: 'perform-throttled', payload: { user: 'u3', holdMs: 0 } })),
    );
    await allCompleted(jobs);
    const { rows } = await db.query<{ at: Date }>(`SELECT at FROM "${schema}".starts WHERE key = 'u3' ORDER BY at`);
    const starts = rows.map((row) => row.at.getTime());
    expect(starts).toHaveLength(8);
    // 3 per 1,000 ms, measured at the handlers' first line: allow the admission-to-start delay.
    for (let i = 0; i + 3 < starts.length; i++) expect(starts[i + 3] - starts[i]).toBeGreaterThan(900);
  });
});

describe('a perform-side key function that cannot read a payload', () => {
  @JobHandler('picky-key', { concurrency: { key: (p: { user: { id: string } }) => p.user.id, performLimit: 1 } })
  class PickyKeyHandler {
    handle(): void {}
  }

  it('fails the attempt like a throwing handler, instead of handing the job back forever', async () => {
    const worker = await createTestApp({ providers: [PickyKeyHandler] });
    const producer = await createTestApp({ options: { schema: worker.schema, mode: 'external', strictJobTypes: false } });
    try {
      // The producer has no handler: a perform-side rule is the worker's to derive, so the enqueue is accepted.
      const job = await producer.queue.enqueue('picky-key', { user: null }, { maxAttempts: 2 });
      const failed = await waitForFinalFailure(worker.queue, job.id);
      expect(failed).toMatchObject({ failureReason: 'handler_error', attempts: 2 });
      expect(failed.errorHistory[0].message).toContain('a concurrency key function threw');
    } finally {
      await producer.close();
      await worker.close();
    }
  });
});

describe('jobs DataQueue makes itself', () => {
  // Held: its queue has no worker, so the one job the limit allows stays unfinished.
  @JobHandler('graveyard', { queue: 'graves', concurrency: { key: () => 'graves', totalLimit: 1 } })
  class GraveyardHandler {
    handle(): void {}
  }

  @JobHandler('doomed', { maxAttempts: 1, deadLetterJobType: 'graveyard' })
  class DoomedHandler {
    handle(): void {
      throw new Error('doomed');
    }
  }

  it('a dead letter is never refused by its type’s enqueue limit, so the final failure is recorded', async () => {
    const app = await createTestApp({ providers: [GraveyardHandler, DoomedHandler], options: { queues: 'default' } });
    try {
      await app.queue.enqueue('graveyard', { first: true });
      await expect(app.queue.enqueue('graveyard', { second: true })).rejects.toBeInstanceOf(ConcurrencyLimitError);
      const doomed = await app.queue.enqueue('doomed', {});
      const failed = await waitForFinalFailure(app.queue, doomed.id);
      expect(failed.deadLetterJobId).not.toBeNull();
      const deadLetter = await app.queue.getJob(failed.deadLetterJobId!);
      expect(deadLetter).toMatchObject({ jobType: 'graveyard', status: 'pending', concurrencyKeys: ['graves'] });
      expect((await app.queue.listJobs({ jobType: 'graveyard' })).jobs).toHaveLength(2);
    } finally {
      await app.close();
    }
  });
});
