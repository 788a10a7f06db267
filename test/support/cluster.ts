import type { DataQueueModuleOptions } from '@dataqueue/nestjs';
import { Tally } from './tally.js';
import { createTestApp, type TestApp, type TestAppConfig } from './test-app.js';
import { databaseUrl, dropSchema, uniqueSchema } from './unique-schema.js';
import { spawnWorkers, stopAll, type WorkerProcess, type WorkerProcessEnv } from './worker-processes.js';

/** A worker process's settings; the cluster gives every process its schema and server. */
export type WorkerSettings = Omit<WorkerProcessEnv, 'DQ_SCHEMA' | 'DATABASE_URL'>;

/** The in-process app's options; the cluster gives it its schema and server. */
export type ProducerOptions = Omit<DataQueueModuleOptions, 'schema' | 'url'>;

export interface ClusterConfig {
  /** How many worker processes to start, or the settings of each one (over `env`). */
  workers: number | WorkerSettings[];
  /** Settings of every worker process, over a 100 ms poll. */
  env?: WorkerSettings;
  /**
   * The app in this process. Its options go over mode 'external' and strictJobTypes: false: it
   * enqueues job types whose handlers only the worker processes have.
   */
  producer?: Omit<TestAppConfig, 'options'> & { options?: ProducerOptions };
  /** Another server than the suite's (the fault tests run their own). */
  url?: string;
}

/**
 * An app in this process and worker processes (test/fixtures/worker-process.ts) on one fresh
 * schema, with a tally there in which the workers' handlers record each run.
 */
export class Cluster {
  private closing: Promise<void> | undefined;

  constructor(
    readonly schema: string,
    readonly producer: TestApp,
    readonly tally: Tally,
    /**
     * Every worker process started, in start order (`addWorkers` appends); those a test stopped or
     * killed stay listed, so `withWorkerLogs(cluster.workers, …)` shows their stderr too.
     */
    readonly workers: WorkerProcess[],
    private readonly settings: WorkerProcessEnv,
    private readonly url: string,
  ) {}

  /** Starts `count` more worker processes with the cluster's settings; returns them. */
  async addWorkers(count: number): Promise<WorkerProcess[]> {
    const added = await spawnWorkers(Array.from({ length: count }, () => this.settings));
    this.workers.push(...added);
    return added;
  }

  /** SIGKILLs the worker processes still running, closes the app and the tally, drops the schema. */
  close(): Promise<void> {
    this.closing ??= this.tearDown();
    return this.closing;
  }

  private async tearDown(): Promise<void> {
    await stopAll(this.workers, 'SIGKILL');
    try {
      await this.producer.close();
    } finally {
      await this.tally.close();
      await dropSchema(this.schema, this.url);
    }
  }
}

/** Starts a cluster once every worker process is ready; on a failure, undoes what it started. */
export async function startCluster({ workers, env = {}, producer = {}, url = databaseUrl() }: ClusterConfig): Promise<Cluster> {
  const schema = uniqueSchema();
  const settings: WorkerProcessEnv = { DQ_POLL_INTERVAL_MS: '100', ...env, DATABASE_URL: url, DQ_SCHEMA: schema };
  const tally = await Tally.create(schema, url);
  let app: TestApp | undefined;
  try {
    app = await createTestApp({
      ...producer,
      options: { mode: 'external', strictJobTypes: false, ...producer.options, url, schema },
    });
    const each = typeof workers === 'number' ? Array.from({ length: workers }, () => ({})) : workers;
    const started = await spawnWorkers(each.map((own) => ({ ...settings, ...own })));
    return new Cluster(schema, app, tally, started, settings, url);
  } catch (error) {
    await app?.close().catch(() => undefined);
    await tally.close();
    await dropSchema(schema, url).catch(() => undefined);
    throw error;
  }
}
