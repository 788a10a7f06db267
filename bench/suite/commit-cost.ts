/**
 * The disk's price of a commit, printed with the results so a reader on another disk can scale
 * them: one-row autocommit INSERTs from Node, one after the other, each timed.
 */
import pg from 'pg';
import { median, percentile } from './util.js';

export interface CommitCost {
  inserts: number;
  medianMs: number;
  p99Ms: number;
}

const TABLE = 'bench_commit_cost';
const WARMUP_INSERTS = 20;

export async function measureCommitCost(url: string, inserts = 300): Promise<CommitCost> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    await client.query(`DROP TABLE IF EXISTS ${TABLE}`);
    await client.query(`CREATE TABLE ${TABLE} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, payload jsonb NOT NULL)`);
    const insert = { name: 'bench-commit-cost', text: `INSERT INTO ${TABLE} (payload) VALUES ($1)` };
    for (let i = 0; i < WARMUP_INSERTS; i++) await client.query({ ...insert, values: [{ i }] });
    const ms: number[] = [];
    for (let i = 0; i < inserts; i++) {
      const start = performance.now();
      await client.query({ ...insert, values: [{ i }] });
      ms.push(performance.now() - start);
    }
    ms.sort((a, b) => a - b);
    const round = (n: number) => Math.round(n * 100) / 100;
    return { inserts, medianMs: round(median(ms)), p99Ms: round(percentile(ms, 99)) };
  } finally {
    await client.query(`DROP TABLE IF EXISTS ${TABLE}`).catch(() => undefined);
    await client.end();
  }
}
