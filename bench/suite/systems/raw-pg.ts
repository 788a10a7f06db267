/**
 * The floor for W2: one autocommit INSERT per call into a jobs-like table (identity key, jsonb
 * payload, a partial "runnable" index), through a pg.Pool of 10 with a prepared statement.
 * With `notify`, the same statement also sends a NOTIFY (a CTE, so one round trip and one
 * transaction), as a queue that wakes its workers must.
 */
import pg from 'pg';
import type { AdminDb } from '../util.js';
import type { BenchPayload, JobListener, SystemAdapter } from '../types.js';

const SCHEMA = 'bench_rawpg';

export class RawPgSystem implements SystemAdapter {
  readonly settings: string;
  private pool: pg.Pool | null = null;
  private readonly insert: pg.QueryConfig;

  constructor(
    private readonly url: string,
    private readonly admin: AdminDb,
    notify: boolean,
  ) {
    const insert = `INSERT INTO ${SCHEMA}.jobs (queue, job_type, payload) VALUES ('default', 'noop', $1)`;
    this.insert = notify
      ? { name: 'insert-notify', text: `WITH job AS (${insert} RETURNING queue) SELECT pg_notify('${SCHEMA}', queue) FROM job` }
      : { name: 'insert', text: insert };
    this.settings = `pg.Pool({ max: 10 }), prepared ${notify ? 'INSERT + pg_notify in one statement' : 'INSERT'}, autocommit`;
  }

  async setup(): Promise<void> {
    await this.admin.dropSchema(SCHEMA);
    await this.admin.query(`CREATE SCHEMA ${SCHEMA}`);
    await this.admin.query(`
      CREATE TABLE ${SCHEMA}.jobs (
        id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        queue        text        NOT NULL,
        job_type     text        NOT NULL,
        payload      jsonb       NOT NULL,
        status       text        NOT NULL DEFAULT 'pending',
        priority     integer     NOT NULL DEFAULT 0,
        run_at       timestamptz NOT NULL DEFAULT now(),
        attempts     integer     NOT NULL DEFAULT 0,
        max_attempts integer     NOT NULL DEFAULT 3,
        created_at   timestamptz NOT NULL DEFAULT now(),
        updated_at   timestamptz NOT NULL DEFAULT now()
      )`);
    await this.admin.query(`CREATE INDEX jobs_runnable ON ${SCHEMA}.jobs (queue, priority, run_at, id) WHERE status = 'pending'`);
    this.pool = new pg.Pool({ connectionString: this.url, max: 10, application_name: 'bench-rawpg' });
  }

  async enqueueOne(payload: BenchPayload): Promise<void> {
    await this.pool!.query({ ...this.insert, values: [JSON.stringify(payload)] });
  }

  analyze(): Promise<void> {
    return this.admin.analyzeSchema(SCHEMA);
  }

  async countJobs(): Promise<number> {
    const [row] = await this.admin.query<{ n: string }>(`SELECT count(*) AS n FROM ${SCHEMA}.jobs`);
    return Number(row.n);
  }

  async teardown(): Promise<void> {
    await this.pool?.end();
    this.pool = null;
    await this.admin.dropSchema(SCHEMA);
  }

  bulkEnqueue(): Promise<void> {
    return unsupported();
  }
  startWorker(_listener: JobListener): Promise<void> {
    return unsupported();
  }
  stopWorker(): Promise<void> {
    return Promise.resolve();
  }
  unfinishedCount(): Promise<number> {
    return unsupported();
  }
  seedBacklog(): Promise<void> {
    return unsupported();
  }
}

const unsupported = (): Promise<never> => Promise.reject(new Error('raw pg is only a W2 baseline'));
