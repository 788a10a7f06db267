import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import type { JobRecord, JobToEnqueue } from '@dataqueue/nestjs';
import { GAUGE_TABLES, PerformThrottledHandler, type LimitedPayload } from '../fixtures/limited-handlers.js';
import { skewClock } from '../fixtures/skew-clock.js';
import type { TallyJobPayload } from '../fixtures/worker-process.js';
import { startCluster, type Cluster } from '../support/cluster.js';
import type { Tally } from '../support/tally.js';
import type { TestApp } from '../support/test-app.js';
import { databaseUrl } from '../support/unique-schema.js';
import { waitFor } from '../support/wait-for.js';
import { stopAll, withWorkerLogs, type WorkerProcess } from '../support/worker-processes.js';

const HOUR = 3_600_000;
/** One worker process per clock. Worker i alone works queue `clock<i>`, so every clock gets jobs. */
const SKEWS = [HOUR, -HOUR, HOUR];
const QUEUES = SKEWS.map((_, i) => `clock${i}`);

/**
 * Worker processes whose clocks are an hour ahead or behind the database (and an enqueuer whose
 * clock is too): delays, backoff, heartbeats, throttles and cron follow the database's clock.
 */
describe('worker clocks an hour off the database', () => {
  let cluster: Cluster | undefined;
  let schema: string;
  let producer: TestApp | undefined;
  let tally: Tally | undefined;
  let db: pg.Client | undefined;
  let workers: WorkerProcess[] = [];
  /** Database time once every worker is up. */
  let bootedAt: Date;

  beforeAll(async () => {
    cluster = await startCluster({
      workers: SKEWS.map((skew, i) => ({ DQ_CLOCK_SKEW_MS: String(skew), DQ_QUEUES: `${QUEUES[i]}:5;default:5` })),
      env: { DQ_HEARTBEAT_INTERVAL_MS: '250', DQ_WORKER_TIMEOUT_MS: '1500', DQ_CRON_EVERY_SECOND: '1' },
      producer: {
        providers: [PerformThrottledHandler], // to derive the throttle's key at enqueue
        options: { runCron: false },
      },
    });
    ({ schema, producer, tally, workers } = cluster);
    db = new pg.Client({ connectionString: databaseUrl() });
    await db.connect();
    for (const sql of GAUGE_TABLES(schema)) await db.query(sql);
    bootedAt = await dbNow();
  });

  afterAll(async () => {
    await db?.end();
    await cluster?.close();
  });

  async function dbNow(): Promise<Date> {
    return (await db!.query<{ now: Date }>('SELECT clock_timestamp() AS now')).rows[0].now;
  }

  function tallyJobs(payload: TallyJobPayload, options: JobToEnqueue['options'] = {}): JobToEnqueue[] {
    return QUEUES.map((queue) => ({ jobType: 'tally', payload, options: { ...options, queue } }));
  }

  function allCompleted(jobs: JobRecord[]): Promise<JobRecord[]> {
    return withWorkerLogs(
      workers,
      waitFor(
        `${jobs.length} jobs to complete`,
        async () => Promise.all(jobs.map((job) => producer!.queue.getJob(job.id))),
        (found) => found.every((job) => job?.status === 'completed'),
        { timeoutMs: 15_000, intervalMs: 50 },
      ),
    ) as Promise<JobRecord[]>;
  }

  /** Each attempt ran the handler once, and none was interrupted (no live worker was reaped). */
  async function expectRunOncePerAttempt(jobs: JobRecord[]): Promise<void> {
    const runs = await tally!.runsPerJob();
    const miscounted = jobs.filter((job) => runs.get(job.id) !== job.attempts);
    expect(miscounted.map((job) => ({ id: job.id, runs: runs.get(job.id), attempts: job.attempts }))).toEqual([]);
    expect(jobs.flatMap((job) => job.errorHistory).filter((entry) => entry.reason === 'interrupted')).toEqual([]);
  }

  it('starts a delayed job no sooner than its delay by the database clock, whatever the enqueuer or worker clock says', async () => {
    const jobs: JobRecord[] = [];
    for (const enqueuerSkew of [0, HOUR, -HOUR]) {
      const restoreClock = skewClock(enqueuerSkew);
      try {
        jobs.push(...(await producer!.queue.enqueueMany(tallyJobs({ label: 'delayed' }, { delayMs: 1500 }))));
      } finally {
        restoreClock();
      }
    }
    const done = await allCompleted(jobs);
    const delays = done.map((job) => ({ id: job.id, delayedMs: job.startedAt!.getTime() - job.createdAt.getTime() }));
    expect(delays.filter(({ delayedMs }) => delayedMs < 1500)).toEqual([]);
    await expectRunOncePerAttempt(done);
    expect(done.every((job) => job.attempts === 1)).toBe(true);
  });

  it('waits out retry backoff by the database clock', async () => {
    const jobs = await producer!.queue.enqueueMany([
      ...tallyJobs({ label: 'retried', fail: 1 }),
      ...tallyJobs({ label: 'retried', fail: 1 }),
    ]);
    const done = await allCompleted(jobs);
    expect(done.every((job) => job.attempts === 2)).toBe(true);
    // The second run's first line versus the first failure, both stamped by the database.
    const { rows } = await db!.query<{ id: string; waited_ms: number }>(
      `SELECT job.id::text, extract(epoch FROM run.at - (job.error_history -> 0 ->> 'timestamp')::timestamptz)::float8 * 1000 AS waited_ms
       FROM "${schema}".jobs AS job JOIN "${schema}".tally AS run ON run.job_id = job.id::text
       WHERE job.id = ANY($1::bigint[]) AND run.at > (job.error_history -> 0 ->> 'timestamp')::timestamptz`,
      [done.map((job) => job.id)],
    );
    expect(rows).toHaveLength(done.length);
    // The default backoff before attempt 2 is 1 s ± 20 %.
    expect(rows.filter((row) => row.waited_ms < 800)).toEqual([]);
    await expectRunOncePerAttempt(done);
  });

  it('keeps heartbeats on the database clock: no live worker is reaped, and none reaps another', async () => {
    // Twice the worker timeout: a heartbeat an hour off would get a worker reaped (or never reaped).
    const jobs = await producer!.queue.enqueueMany(tallyJobs({ label: 'long', sleepMs: 3000 }));
    await waitFor(
      'every long job running',
      async () => Promise.all(jobs.map((job) => producer!.queue.getJob(job.id))),
      (found) => found.every((job) => job?.status === 'processing'),
    );
    const { rows } = await db!.query<{ pid: number; age_ms: number }>(
      `SELECT pid, extract(epoch FROM clock_timestamp() - heartbeat_at)::float8 * 1000 AS age_ms FROM "${schema}".workers ORDER BY pid`,
    );
    expect(rows.map((row) => row.pid)).toEqual(workers.map((worker) => worker.pid).sort((a, b) => a - b));
    expect(rows.filter((row) => row.age_ms < 0 || row.age_ms > 1000)).toEqual([]);
    const done = await allCompleted(jobs);
    expect(done.every((job) => job.attempts === 1)).toBe(true);
    await expectRunOncePerAttempt(done);
  });

  it('spaces throttled starts by the throttle window on the database clock', async () => {
    const payload: LimitedPayload = { user: 'skewed', holdMs: 0 };
    const jobs = await producer!.queue.enqueueMany(
      Array.from({ length: 9 }, (_, i) => ({ jobType: 'perform-throttled', payload, options: { queue: QUEUES[i % QUEUES.length] } })),
    );
    const done = await allCompleted(jobs);
    expect(done.every((job) => job.attempts === 1)).toBe(true); // held back, not failed
    // performThrottle [3, 1000]: each start is at least 1 s after the start three before it.
    const { rows } = await db!.query<{ gap_ms: number | null }>(
      `SELECT extract(epoch FROM at - lag(at, 3) OVER (ORDER BY at))::float8 * 1000 AS gap_ms
       FROM "${schema}".concurrency_events WHERE key = 'skewed' AND kind = 'perform' ORDER BY at`,
    );
    expect(rows).toHaveLength(9);
    for (const { gap_ms } of rows.slice(3)) expect(gap_ms).toBeGreaterThanOrEqual(1000);
  });

  it('fires each cron tick once, at its time by the database clock', async () => {
    type Tick = { id: string; cron_at: Date; late_ms: number; status: string };
    const ticks = await waitFor(
      'three cron ticks due since boot completed',
      async () =>
        (
          await db!.query<Tick>(
            `SELECT id::text, cron_at, extract(epoch FROM created_at - cron_at)::float8 * 1000 AS late_ms, status
             FROM "${schema}".jobs WHERE cron_key = 'every-second' AND (cron_at > $1 OR created_at > $1) ORDER BY cron_at`,
            [bootedAt],
          )
        ).rows,
      (found) => found.filter((tick) => tick.cron_at > bootedAt && tick.status === 'completed').length >= 3,
    );
    // Enqueued when the database's clock reached the tick, give or take the clock offset's
    // measurement: not an hour early or late. (A tick that came due while a worker booted is
    // caught up just after, hence the late margin.)
    expect(ticks.filter((tick) => tick.late_ms < -250 || tick.late_ms > 5000)).toEqual([]);
    expect(ticks.every((tick) => tick.cron_at.getTime() % 1000 === 0)).toBe(true);
    const runs = await tally!.runsPerJob();
    for (const tick of ticks.filter((t) => t.status === 'completed')) expect(runs.get(tick.id)).toBe(1);

    // The next run, as listed by a process an hour ahead, is the next second of the database's clock.
    const restoreClock = skewClock(HOUR);
    const [entry] = await producer!.queue.listCron().finally(restoreClock);
    const untilNextMs = entry.nextRunAt!.getTime() - (await dbNow()).getTime();
    expect(untilNextMs).toBeGreaterThan(-500);
    expect(untilNextMs).toBeLessThanOrEqual(1000);
  });

  it('leaves no job processing, and ran every job once per attempt', async () => {
    await stopAll(workers); // graceful: running jobs are handed back, not left processing
    const { rows } = await db!.query<{ status: string; n: number }>(
      `SELECT status, count(*)::int AS n FROM "${schema}".jobs GROUP BY status ORDER BY status`,
    );
    expect(rows.filter((row) => row.status === 'processing')).toEqual([]);
    const { jobs } = await producer!.queue.listJobs({ status: 'completed', limit: 1000 });
    await expectRunOncePerAttempt(jobs.filter((job) => job.jobType === 'tally'));
  });
});
