/**
 * DataQueue through its public API only: a producer app in `mode: 'external'` (enqueue,
 * enqueueMany, createBatch) and, while a worker runs, a second app in `mode: 'async'` with
 * `queues: '*:10'`, both in this process. Both register the same no-op handler.
 */
import 'reflect-metadata';
import { Injectable, Module, type DynamicModule, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DataQueueModule, JobHandler, OnBatchFinish, QueueService } from '@dataqueue/nestjs';
import type { AdminDb } from '../util.js';
import type { BatchCapable, BenchPayload, FairShareCapable, FlowCapable, JobListener, SystemAdapter } from '../types.js';

const SCHEMA = 'bench_dataqueue';
const JOB_TYPE = 'noop';
const FAR_FUTURE = () => new Date(Date.now() + 365 * 86_400_000);

let listener: JobListener = () => undefined;
let onBatchFinished: () => void = () => undefined;

@JobHandler(JOB_TYPE)
class NoopHandler {
  handle(payload: BenchPayload): void {
    listener(payload);
  }
}

@Injectable()
class BatchDone {
  @OnBatchFinish('bench-suite')
  finished(): void {
    onBatchFinished();
  }
}

function appModule(url: string, mode: 'external' | 'async'): DynamicModule {
  @Module({})
  class SuiteModule {}
  return {
    module: SuiteModule,
    imports: [DataQueueModule.forRoot({ url, schema: SCHEMA, mode, queues: '*:10' })],
    providers: [NoopHandler, BatchDone],
  };
}

const boot = (url: string, mode: 'external' | 'async') =>
  NestFactory.createApplicationContext(appModule(url, mode), { logger: ['error', 'warn'] });

export class DataQueueSystem implements SystemAdapter, BatchCapable, FlowCapable, FairShareCapable {
  readonly settings =
    "DataQueueModule.forRoot({ queues: '*:10' }) defaults (poolSize 10, own LISTEN connection); " +
    "producer app mode 'external', worker app mode 'async'";
  readonly batches: BatchCapable = this;
  readonly flows: FlowCapable = this;
  readonly fairShare: FairShareCapable = this;
  /** The plain and the fair claim (store/sql/claim-jobs.sql.ts) are the only statements with a `claimed` CTE. */
  readonly claimStatement = [`%UPDATE "${SCHEMA}".jobs AS job%`, '%claimed AS (%'];
  private producer: INestApplicationContext | null = null;
  private worker: INestApplicationContext | null = null;
  private queue!: QueueService;
  private idRange: [bigint, bigint] | null = null;
  private finishedAt: Promise<number> | null = null;

  constructor(
    private readonly url: string,
    private readonly admin: AdminDb,
  ) {}

  async setup(): Promise<void> {
    await this.admin.dropSchema(SCHEMA);
    this.producer = await boot(this.url, 'external');
    this.queue = this.producer.get(QueueService);
    this.idRange = null;
  }

  bulkEnqueue(count: number, chunk: number): Promise<void> {
    return this.enqueueChunks(count, chunk, () => undefined);
  }

  enqueueKeyed(count: number, chunk: number, fairKeyOf: (i: number) => string): Promise<void> {
    return this.enqueueChunks(count, chunk, (i) => ({ fairKey: fairKeyOf(i) }));
  }

  async enqueueOne(payload: BenchPayload): Promise<void> {
    await this.queue.enqueue(JOB_TYPE, payload);
  }

  async startWorker(onJob: JobListener): Promise<void> {
    listener = onJob;
    this.worker = await boot(this.url, 'async');
  }

  async stopWorker(): Promise<void> {
    await this.worker?.close();
    this.worker = null;
  }

  async unfinishedCount(): Promise<number> {
    if (!this.idRange) return 0;
    const [row] = await this.admin.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${SCHEMA}.jobs WHERE id BETWEEN $1 AND $2 AND status <> 'completed'`,
      [String(this.idRange[0]), String(this.idRange[1])],
    );
    return Number(row.n);
  }

  analyze(): Promise<void> {
    return this.admin.analyzeSchema(SCHEMA);
  }

  async countJobs(): Promise<number> {
    const [row] = await this.admin.query<{ n: string }>(`SELECT count(*) AS n FROM ${SCHEMA}.jobs`);
    return Number(row.n);
  }

  async seedBacklog(count: number): Promise<void> {
    const template = await this.queue.enqueue(JOB_TYPE, { i: -1 }, { runAt: FAR_FUTURE() });
    await this.admin.cloneRow(`${SCHEMA}.jobs`, 'template.id = $1', [template.id], count - 1, ['id']);
  }

  async enqueueBatch(count: number, chunk: number): Promise<void> {
    this.finishedAt = new Promise<number>((resolve) => {
      onBatchFinished = () => resolve(performance.now());
    });
    const batch = await this.queue.createBatch({ description: 'bench suite W6', onFinish: 'bench-suite' });
    for (let start = 0; start < count; start += chunk) {
      const jobs = [];
      for (let i = start; i < Math.min(count, start + chunk); i++) jobs.push({ jobType: JOB_TYPE, payload: { i } });
      const last = start + chunk >= count;
      this.track(last ? await batch.enqueue(jobs) : await batch.add(jobs));
    }
  }

  finished(): Promise<number> {
    if (!this.finishedAt) throw new Error('enqueueBatch first');
    return this.finishedAt;
  }

  async enqueueFlow(count: number, width: number): Promise<void> {
    const flow = this.queue.createFlow({ description: 'bench suite W8' });
    let parents: string[] = [];
    for (let start = 0; start < count; start += width) {
      const level: string[] = [];
      for (let i = start; i < Math.min(count, start + width); i++) {
        const k = i - start;
        const after = parents.length === 0 ? [] : [...new Set([parents[k % parents.length], parents[(k + 1) % parents.length]])];
        flow.step(`s${i}`, JOB_TYPE, { i }, { after });
        level.push(`s${i}`);
      }
      parents = level;
    }
    this.track(Object.values((await flow.run()).steps));
  }

  async teardown(): Promise<void> {
    await this.stopWorker();
    await this.producer?.close();
    this.producer = null;
    await this.admin.dropSchema(SCHEMA);
  }

  private async enqueueChunks(count: number, chunk: number, optionsOf: (i: number) => { fairKey: string } | undefined): Promise<void> {
    for (let start = 0; start < count; start += chunk) {
      const jobs = [];
      for (let i = start; i < Math.min(count, start + chunk); i++) jobs.push({ jobType: JOB_TYPE, payload: { i }, options: optionsOf(i) });
      this.track(await this.queue.enqueueMany(jobs));
    }
  }

  private track(records: { id: string }[]): void {
    for (const { id } of records) {
      const n = BigInt(id);
      if (!this.idRange) this.idRange = [n, n];
      else this.idRange = [n < this.idRange[0] ? n : this.idRange[0], n > this.idRange[1] ? n : this.idRange[1]];
    }
  }
}
