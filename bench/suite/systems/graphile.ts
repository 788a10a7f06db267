/**
 * graphile-worker: WorkerUtils (its own pool) enqueues with addJobs / addJob; run() is the worker,
 * concurrency 10. Graphile takes its LISTEN connection from its pool, so maxPoolSize is 11 (10
 * working connections, like DataQueue's pool of 10 plus its own listener connection).
 *
 * `batched` is the fastest documented setting (worker.graphile.org/docs/performance):
 * localQueue { size: 500 }, completeJobBatchDelay 0, failJobBatchDelay 0. Unbatched is the
 * default (no local queue, one completion statement per job).
 */
import { Logger, makeWorkerUtils, run, type Runner, type WorkerUtils } from 'graphile-worker';
import type { AdminDb } from '../util.js';
import type { BenchPayload, JobListener, SystemAdapter } from '../types.js';

const TASK = 'noop';
const FAR_FUTURE = () => new Date(Date.now() + 365 * 86_400_000);

/** Errors only: graphile logs every worker start and stop at info level. */
const quietLogger = new Logger(() => (level, message) => {
  if (level === 'error') console.error(`[graphile] ${message}`);
});

export class GraphileSystem implements SystemAdapter {
  readonly settings: string;
  private readonly schema: string;
  private utils: WorkerUtils | null = null;
  private runner: Runner | null = null;
  private idRange: [bigint, bigint] | null = null;

  constructor(
    private readonly url: string,
    private readonly admin: AdminDb,
    private readonly batched: boolean,
  ) {
    this.schema = batched ? 'bench_graphile' : 'bench_graphile_unbatched';
    this.settings = batched
      ? 'run({ concurrency: 10, maxPoolSize: 11, preset.worker: { localQueue: { size: 500 }, ' +
        'completeJobBatchDelay: 0, failJobBatchDelay: 0 } }); WorkerUtils.addJobs / addJob'
      : 'run({ concurrency: 10, maxPoolSize: 11 }) defaults (no local queue, no completion batching); WorkerUtils.addJobs / addJob';
  }

  async setup(): Promise<void> {
    await this.admin.dropSchema(this.schema);
    this.utils = await makeWorkerUtils({ connectionString: this.url, schema: this.schema, maxPoolSize: 10, logger: quietLogger });
    await this.utils.migrate();
    this.idRange = null;
  }

  async bulkEnqueue(count: number, chunk: number): Promise<void> {
    for (let start = 0; start < count; start += chunk) {
      const specs = [];
      for (let i = start; i < Math.min(count, start + chunk); i++) specs.push({ identifier: TASK, payload: { i } });
      const jobs = await this.utils!.addJobs(specs);
      for (const job of jobs) this.track(BigInt(job.id));
    }
  }

  async enqueueOne(payload: BenchPayload): Promise<void> {
    await this.utils!.addJob(TASK, payload);
  }

  async startWorker(listener: JobListener): Promise<void> {
    this.runner = await run({
      connectionString: this.url,
      schema: this.schema,
      concurrency: 10,
      maxPoolSize: 11,
      noHandleSignals: true,
      logger: quietLogger,
      taskList: {
        [TASK]: async (payload) => {
          listener(payload as BenchPayload);
        },
      },
      preset: this.batched ? { worker: { localQueue: { size: 500 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 } } : { worker: {} },
    });
  }

  async stopWorker(): Promise<void> {
    await this.runner?.stop();
    this.runner = null;
  }

  async unfinishedCount(): Promise<number> {
    if (!this.idRange) return 0;
    // A completed job is deleted.
    const [row] = await this.admin.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${this.schema}._private_jobs WHERE id BETWEEN $1 AND $2`,
      [String(this.idRange[0]), String(this.idRange[1])],
    );
    return Number(row.n);
  }

  analyze(): Promise<void> {
    return this.admin.analyzeSchema(this.schema);
  }

  async countJobs(): Promise<number> {
    const [row] = await this.admin.query<{ n: string }>(`SELECT count(*) AS n FROM ${this.schema}._private_jobs`);
    return Number(row.n);
  }

  async seedBacklog(count: number): Promise<void> {
    const template = await this.utils!.addJob(TASK, { i: -1 }, { runAt: FAR_FUTURE() });
    await this.admin.cloneRow(`${this.schema}._private_jobs`, 'template.id = $1', [template.id], count - 1, ['id']);
  }

  async teardown(): Promise<void> {
    await this.stopWorker();
    await this.utils?.release();
    this.utils = null;
    await this.admin.dropSchema(this.schema);
  }

  private track(id: bigint): void {
    if (!this.idRange) this.idRange = [id, id];
    else this.idRange = [id < this.idRange[0] ? id : this.idRange[0], id > this.idRange[1] ? id : this.idRange[1]];
  }
}
