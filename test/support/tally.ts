import pg from 'pg';
import { databaseUrl } from './unique-schema.js';

/** One recorded handler run. */
export interface TallyEntry {
  /** Insertion order across every process writing to this tally. */
  seq: number;
  jobId: string;
  label: string | null;
  pid: number;
  at: Date;
}

/**
 * A `tally` table in a test schema where handlers record each run (job id, a label, the pid), so
 * a test can assert what ran, in which order, in which process, and how many times. Writes come
 * from in-process handlers through `record()` and from worker processes through the same table.
 */
export class Tally {
  private constructor(
    readonly table: string,
    private readonly pool: pg.Pool,
  ) {}

  /** `url`: another server than the suite's (the fault tests run their own). */
  static async create(schema: string, url = databaseUrl()): Promise<Tally> {
    const table = `"${schema}".tally`;
    const pool = new pg.Pool({ connectionString: url, max: 4 });
    pool.on('error', () => undefined); // an idle client dropped by a database restart (fault tests)
    await pool.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await pool.query(`
      CREATE TABLE IF NOT EXISTS ${table} (
        seq    bigserial   PRIMARY KEY,
        job_id text        NOT NULL,
        label  text,
        pid    integer     NOT NULL,
        at     timestamptz NOT NULL DEFAULT clock_timestamp()
      )`);
    return new Tally(table, pool);
  }

  async record(jobId: string, label: string | null = null, pid = process.pid): Promise<void> {
    await this.pool.query(`INSERT INTO ${this.table} (job_id, label, pid) VALUES ($1, $2, $3)`, [jobId, label, pid]);
  }

  async entries(): Promise<TallyEntry[]> {
    const { rows } = await this.pool.query<{ seq: string; job_id: string; label: string | null; pid: number; at: Date }>(
      `SELECT seq, job_id, label, pid, at FROM ${this.table} ORDER BY seq`,
    );
    return rows.map((row) => ({ seq: Number(row.seq), jobId: row.job_id, label: row.label, pid: row.pid, at: row.at }));
  }

  /** Labels in run order. */
  async labels(): Promise<(string | null)[]> {
    return (await this.entries()).map((entry) => entry.label);
  }

  async count(): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${this.table}`);
    return Number(rows[0].n);
  }

  /** Runs per job id. */
  async runsPerJob(): Promise<Map<string, number>> {
    const { rows } = await this.pool.query<{ job_id: string; n: string }>(
      `SELECT job_id, count(*) AS n FROM ${this.table} GROUP BY job_id`,
    );
    return new Map(rows.map((row) => [row.job_id, Number(row.n)]));
  }

  /** Runs per process id. */
  async runsPerPid(): Promise<Map<number, number>> {
    const { rows } = await this.pool.query<{ pid: number; n: string }>(`SELECT pid, count(*) AS n FROM ${this.table} GROUP BY pid`);
    return new Map(rows.map((row) => [row.pid, Number(row.n)]));
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
