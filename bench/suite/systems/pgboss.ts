/**
 * pg-boss: one PgBoss instance (pool max 10, its own LISTEN connection with useListenNotify) sends
 * with send() / insert(); work() on the same instance is the worker.
 *
 * pg-boss has no "10 slots" setting: a worker loop fetches `batchSize` jobs, runs the handler on
 * the batch, completes them together, then sleeps its polling interval unless the batch was full
 * and `burstWhenBatchFull` is set, or a NOTIFY arrives (with `notify` on, that interval is
 * `notifyPollingIntervalSeconds`, 30 s). `localConcurrency` loops run side by side. So
 * "concurrency 10" is localConcurrency × batchSize = 10 jobs in flight. Measured here (W1, 20,000
 * jobs, twice each, burstWhenBatchFull): 1 × 10 2.3–3.0k jobs/s; 2 × 5 2.2k; 5 × 2 1.8k; and
 * 10 × 1 (no burst possible at batchSize 1) ran 40 of 5,000 jobs in 120 s: each single-job loop
 * waits out the 30 s backstop between fetches. So the default is 1 × 10 with burst. Override with
 * PGBOSS_WORK='{"localConcurrency":2,"batchSize":5}'.
 */
import { PgBoss, type WorkOptions } from 'pg-boss';
import type { AdminDb } from '../util.js';
import type { BenchPayload, JobListener, SystemAdapter } from '../types.js';

const SCHEMA = 'bench_pgboss';
const QUEUE = 'noop';
const FAR_FUTURE = () => new Date(Date.now() + 365 * 86_400_000);

const WORK: WorkOptions = process.env.PGBOSS_WORK
  ? JSON.parse(process.env.PGBOSS_WORK)
  : { localConcurrency: 1, batchSize: 10, burstWhenBatchFull: true, pollingIntervalSeconds: 0.5 };

export class PgBossSystem implements SystemAdapter {
  readonly settings =
    `new PgBoss({ max: 10, useListenNotify: true }), createQueue('${QUEUE}', { notify: true }), ` +
    `work(${JSON.stringify(WORK)}); insert() / send()`;
  private boss: PgBoss | null = null;
  private ids: string[] = [];

  constructor(
    private readonly url: string,
    private readonly admin: AdminDb,
  ) {}

  async setup(): Promise<void> {
    await this.admin.dropSchema(SCHEMA);
    const boss = new PgBoss({ connectionString: this.url, schema: SCHEMA, max: 10, useListenNotify: true });
    boss.on('error', (error) => console.error(`[pg-boss] ${error.message}`));
    await boss.start();
    await boss.createQueue(QUEUE, { notify: true });
    this.boss = boss;
    this.ids = [];
  }

  async bulkEnqueue(count: number, chunk: number): Promise<void> {
    for (let start = 0; start < count; start += chunk) {
      const jobs = [];
      for (let i = start; i < Math.min(count, start + chunk); i++) jobs.push({ data: { i } });
      const ids = await this.boss!.insert(QUEUE, jobs, { returnId: true });
      this.ids.push(...(ids ?? []));
    }
  }

  async enqueueOne(payload: BenchPayload): Promise<void> {
    await this.boss!.send(QUEUE, payload);
  }

  async startWorker(listener: JobListener): Promise<void> {
    await this.boss!.work<BenchPayload>(QUEUE, { ...WORK }, async (jobs) => {
      for (const job of jobs) listener(job.data);
    });
  }

  async stopWorker(): Promise<void> {
    await this.boss?.offWork(QUEUE, { wait: true });
  }

  async unfinishedCount(): Promise<number> {
    if (this.ids.length === 0) return 0;
    const [row] = await this.admin.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${SCHEMA}.job WHERE name = $1 AND id = ANY($2::uuid[]) AND state <> 'completed'`,
      [QUEUE, this.ids],
    );
    return Number(row.n);
  }

  analyze(): Promise<void> {
    return this.admin.analyzeSchema(SCHEMA);
  }

  async countJobs(): Promise<number> {
    const [row] = await this.admin.query<{ n: string }>(`SELECT count(*) AS n FROM ${SCHEMA}.job WHERE name = $1`, [QUEUE]);
    return Number(row.n);
  }

  async seedBacklog(count: number): Promise<void> {
    const id = await this.boss!.send(QUEUE, { i: -1 }, { startAfter: FAR_FUTURE() });
    await this.admin.cloneRow(`${SCHEMA}.job`, 'template.id = $1', [id], count - 1, ['id']);
  }

  async teardown(): Promise<void> {
    await this.boss?.stop({ graceful: true, close: true, timeout: 10_000 });
    this.boss = null;
    await this.admin.dropSchema(SCHEMA);
  }
}
