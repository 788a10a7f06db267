/**
 * Dashboard pages stay fast on a big table: loads 1,000,000 jobs (mostly completed, some
 * failed, pending and tagged, across queues and types, one queue rare), then times each page — first page,
 * a page deep into the list via its keyset cursor, and each filter. Prints milliseconds.
 *
 *   npm run bench:dashboard            # 1,000,000 jobs on embedded Postgres
 *   ROWS=200000 npm run bench:dashboard
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DataQueueDashboardModule, DataQueueModule } from '@dataqueue/nestjs';
import { startEmbeddedPostgres } from '@dataqueue/nestjs/embedded';
import pg from 'pg';

const ROWS = Number(process.env.ROWS ?? 1_000_000);
const SCHEMA = 'bench_dashboard';

@Module({
  imports: [
    DataQueueModule.forRoot({ schema: SCHEMA, mode: 'external', strictJobTypes: false }),
    DataQueueDashboardModule.forRoot({ path: 'queue', public: true }),
  ],
})
class BenchModule {}

async function fill(url: string): Promise<void> {
  const client = new pg.Client(url);
  await client.connect();
  // Set-based load: the bench measures reads, so rows go in with one INSERT … SELECT.
  await client.query(`
    INSERT INTO ${SCHEMA}.jobs (job_type, queue, payload, status, max_attempts, attempts, tags,
                                completed_at, last_failed_at, next_attempt_at, available_at, created_at)
    SELECT 'type-' || (i % 20), CASE WHEN i % 100000 = 7 THEN 'queue-rare' ELSE 'queue-' || (i % 8) END,
           jsonb_build_object('n', i, 'email', 'user' || i || '@example.com'),
           s.status, 3, 1, CASE WHEN i % 100 = 0 THEN ARRAY['vip'] ELSE '{}' END,
           CASE WHEN s.status = 'completed' THEN now() - (i % 360) * interval '1 minute' END,
           CASE WHEN s.status = 'failed' THEN now() - (i % 360) * interval '1 minute' END,
           NULL, CASE WHEN s.status = 'pending' THEN now() END, now() - (${ROWS} - i) * interval '1 second'
    FROM generate_series(1, ${ROWS}) AS i
    CROSS JOIN LATERAL (SELECT CASE WHEN i % 50 = 0 THEN 'failed' WHEN i % 20 = 0 THEN 'pending' ELSE 'completed' END AS status) s`);
  await client.query(`ANALYZE ${SCHEMA}.jobs`);
  await client.end();
}

async function main(): Promise<void> {
  const embedded = process.env.DATABASE_URL ? null : await startEmbeddedPostgres();
  const url = process.env.DATABASE_URL ?? embedded!.url;
  process.env.DATABASE_URL = url;
  const app = await NestFactory.create(BenchModule, { logger: ['error'] });
  await app.listen(0, '127.0.0.1');
  const base = `${await app.getUrl()}/queue`;
  const started = performance.now();
  await fill(url);
  console.log(`${ROWS} jobs loaded in ${Math.round(performance.now() - started)} ms`);

  const time = async (label: string, path: string): Promise<string> => {
    await fetch(base + path); // warm
    const t = performance.now();
    const response = await fetch(base + path);
    const body = await response.text();
    console.log(`${label.padEnd(34)} ${String(Math.round(performance.now() - t)).padStart(5)} ms  (HTTP ${response.status})`);
    return body;
  };
  let page = await time('jobs, first page', '/jobs');
  for (let i = 0; i < 3; i++) {
    const cursor = /cursor=([\w-]+)/.exec(page)?.[1];
    page = await time(`jobs, page ${i + 2} (keyset cursor)`, `/jobs?cursor=${cursor}`);
  }
  // A cursor from near the end of the table: the keyset page costs the same.
  const deep = Buffer.from(JSON.stringify({ id: String(Math.floor(ROWS / 100)) })).toString('base64url');
  await time('jobs, page near the oldest row', `/jobs?cursor=${deep}`);
  await time('jobs, state=failed', '/jobs?state=failed');
  await time('jobs, queue=queue-3', '/jobs?queue=queue-3');
  await time('jobs, queue=queue-rare (1 in 100,000)', '/jobs?queue=queue-rare');
  await time('jobs, state=pending, queue=queue-3', '/jobs?state=pending&queue=queue-3');
  await time('jobs, jobType=type-7', '/jobs?jobType=type-7');
  await time('jobs, tag=vip', '/jobs?tag=vip');
  await time('jobs, search by id', `/jobs?search=${ROWS - 5}`);
  await time('overview (counts, chart)', '/');
  await time('queues', '/queues');
  await app.close();
  await embedded?.stop();
}

await main();
