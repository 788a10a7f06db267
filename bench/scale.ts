/**
 * Big tables (issue 19, part 5): W1's drain with millions of finished jobs in the table, the same
 * drain while retention deletes half of them, and the bytes each finished job costs on disk.
 *
 *   npm run bench:scale                          # 10,000,000 finished jobs (≈ 10 min on 2 cores)
 *   npm run bench:scale -- --quick               # 1,000,000
 *   JOBS_IN_TABLE=3000000 npm run bench:scale    # any size (half of them expired for retention)
 *   DRAIN_JOBS=20000 DRAIN_RUNS=5 npm run bench:scale
 *   DATABASE_URL=postgres://… npm run bench:scale  # your server: two schemas, dropped at the end (KEEP_SCHEMA=1 keeps them)
 *
 * Durability as in production: the embedded server runs with fsync=on and synchronous_commit=on;
 * on your own server the settings are only printed (with a warning if either is off).
 *
 * Two schemas in one database: `bench_scale` gets the big table, `bench_scale_empty` stays empty.
 * W1 is DRAIN_JOBS no-op jobs bulk-enqueued (enqueueMany), then drained by one worker app
 * (`queues: '*:10'`), clocked from the first handler call until the database shows every one
 * completed (as bench/suite/workloads.ts bulkThenDrain). Comparisons alternate their two sides,
 * run by run, so a machine shared with other work slows both alike; each side is the median.
 * 1. Seeding, set-based: one job enqueued and completed through the API is the template, copied
 *    JOBS_IN_TABLE times by INSERT … SELECT generate_series (1,000,000 per statement), each copy
 *    with its timestamps moved back (half 8+ days: expired for a 7-day retention; half 1–3 hours:
 *    kept) and one job_executions row like the template's; then VACUUM ANALYZE and CHECKPOINT.
 * 2. W1 on the empty schema and on the big one, alternately: target ≥ 0.9×.
 * 3. W1 on the big schema alone, then while a second app (a worker on a queue nothing is sent to)
 *    with retention { completedAfterMs: 7 days, intervalMs: 1000, batchSize: 500 (the default) }
 *    deletes the expired half (from RETENTION_WARMUP rows after it boots, by default a 50th of the
 *    expired ones, until the drain ends; it
 *    is closed again before the next run): target slowdown ≤ 20%.
 * 4. The retention app runs on alone until every expired job is gone: its rows/s.
 * Table and index sizes per completed job are printed after seeding (VACUUMed) and after retention.
 */
import 'reflect-metadata';
import { Module, type DynamicModule, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DataQueueModule, JobHandler, QueueService, type RetentionOptions } from '@dataqueue/nestjs';
import { startEmbeddedPostgres } from '@dataqueue/nestjs/embedded';
import { AdminDb, median, sleep } from './suite/util.js';

const QUICK = process.argv.includes('--quick');
const JOBS_IN_TABLE = positiveInt('JOBS_IN_TABLE', process.env.JOBS_IN_TABLE ?? (QUICK ? '1000000' : '10000000'));
const DRAIN_JOBS = positiveInt('DRAIN_JOBS', process.env.DRAIN_JOBS ?? '20000');
const DRAIN_RUNS = positiveInt('DRAIN_RUNS', process.env.DRAIN_RUNS ?? '5');
const EXPIRED = Math.floor(JOBS_IN_TABLE / 2);
/** Jobs retention deletes before a W1 run beside it starts: a 50th of the expired, so the runs cannot use them up. */
const RETENTION_WARMUP = positiveInt('RETENTION_WARMUP', process.env.RETENTION_WARMUP ?? String(Math.max(1, Math.floor(EXPIRED / 50))));
const KEPT = JOBS_IN_TABLE - EXPIRED;

const SCHEMA = 'bench_scale';
const EMPTY_SCHEMA = 'bench_scale_empty';
const JOB_TYPE = 'noop';
const ENQUEUE_CHUNK = 1000;
const SEED_CHUNK = 1_000_000;
const DRAIN_TIMEOUT_MS = 600_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const RETENTION: RetentionOptions = { completedAfterMs: 7 * DAY_MS, intervalMs: 1000 };
const EXPIRED_SQL = `status = 'completed' AND completed_at < now() - $1::float8 * interval '1 millisecond'`;
const SETTINGS = [
  'server_version',
  'fsync',
  'synchronous_commit',
  'full_page_writes',
  'wal_level',
  'shared_buffers',
  'max_wal_size',
  'autovacuum',
];

function positiveInt(name: string, raw: string): number {
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} must be a positive integer (got ${raw})`);
  return value;
}

let onJob: () => void = () => undefined;

@JobHandler(JOB_TYPE)
class NoopHandler {
  handle(): void {
    onJob();
  }
}

type Role = 'producer' | 'worker' | 'retention';

/** The producer enqueues only; the worker drains with retention off; the retention app only cleans. */
function appModule(url: string, schema: string, role: Role): DynamicModule {
  @Module({})
  class ScaleModule {}
  const options = {
    producer: { mode: 'external', retention: false },
    worker: { mode: 'async', queues: '*:10', retention: false },
    retention: { mode: 'async', queues: 'bench-scale-nothing:1', retention: RETENTION },
  } as const;
  return {
    module: ScaleModule,
    imports: [DataQueueModule.forRoot({ url, schema, ...options[role] })],
    providers: [NoopHandler],
  };
}

const boot = (url: string, schema: string, role: Role) =>
  NestFactory.createApplicationContext(appModule(url, schema, role), { logger: ['error', 'warn'] });

const log = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
const thousands = (n: number) => Math.round(n).toLocaleString('en-US');
const rate = (count: number, ms: number) => Math.round((count / ms) * 1000);

/** One schema: its producer app, the W1 drain, seeding and sizes. */
class Bench {
  private producer: INestApplicationContext | null = null;
  private queue!: QueueService;

  constructor(
    private readonly url: string,
    private readonly admin: AdminDb,
    readonly schema: string,
  ) {}

  async start(): Promise<void> {
    await this.admin.dropSchema(this.schema);
    this.producer = await boot(this.url, this.schema, 'producer');
    this.queue = this.producer.get(QueueService);
  }

  async stop(): Promise<void> {
    await this.producer?.close();
    if (!process.env.KEEP_SCHEMA) await this.admin.dropSchema(this.schema);
  }

  boot(role: Role): Promise<INestApplicationContext> {
    return boot(this.url, this.schema, role);
  }

  /**
   * W1: enqueue DRAIN_JOBS with no worker running, ANALYZE (untimed), start a worker app; the clock
   * runs from the first handler call until a poll finds none of the jobs unfinished.
   */
  async drain(): Promise<number> {
    let first = 0;
    let ids: [string, string] | null = null;
    for (let start = 0; start < DRAIN_JOBS; start += ENQUEUE_CHUNK) {
      const jobs = Array.from({ length: Math.min(ENQUEUE_CHUNK, DRAIN_JOBS - start) }, (_, i) => ({
        jobType: JOB_TYPE,
        payload: { i: start + i },
      }));
      const records = await this.queue.enqueueMany(jobs);
      ids = [ids?.[0] ?? records[0].id, records[records.length - 1].id];
    }
    await this.admin.analyzeSchema(this.schema);
    let seen = 0;
    let allSeen!: () => void;
    const everyJobSeen = new Promise<void>((resolve) => (allSeen = resolve));
    onJob = () => {
      if (seen === 0) first = performance.now();
      if (++seen === DRAIN_JOBS) allSeen();
    };
    const worker = await this.boot('worker');
    try {
      const deadline = performance.now() + DRAIN_TIMEOUT_MS;
      if (!(await within(everyJobSeen, DRAIN_TIMEOUT_MS)))
        throw new Error(`drain: ${seen} of ${DRAIN_JOBS} jobs ran in ${DRAIN_TIMEOUT_MS / 1000} s`);
      for (;;) {
        const before = performance.now();
        const [row] = await this.admin.query<{ n: string }>(
          `SELECT count(*) AS n FROM ${this.schema}.jobs WHERE id BETWEEN $1 AND $2 AND status <> 'completed'`,
          ids!,
        );
        if (Number(row.n) === 0) return rate(DRAIN_JOBS, before - first);
        if (performance.now() > deadline) throw new Error(`drain: ${row.n} jobs still unfinished after every handler ran`);
        await sleep(2);
      }
    } finally {
      await worker.close();
    }
  }

  /** One job enqueued and completed through the API: what every seeded job is a copy of. */
  async template(): Promise<string> {
    const job = await this.queue.enqueue(JOB_TYPE, { i: -1 });
    const worker = await this.boot('worker');
    try {
      await until(`template job ${job.id} completed`, async () => {
        const [row] = await this.admin.query<{ status: string }>(`SELECT status FROM ${this.schema}.jobs WHERE id = $1`, [job.id]);
        return row.status === 'completed';
      });
    } finally {
      await worker.close();
    }
    return job.id;
  }

  /**
   * `count` copies of the template, in statements of SEED_CHUNK rows, completed between
   * `newestAgeMs` and `newestAgeMs + count` ms ago (1 ms apart, ids ascending with time), each with
   * one history row like the template's, its times moved with its job's.
   */
  async seed(templateId: string, count: number, newestAgeMs: number, label: string): Promise<void> {
    const columns = await this.admin.query<{ column_name: string; data_type: string }>(
      `SELECT column_name, data_type FROM information_schema.columns
       WHERE table_schema = $1 AND table_name = 'jobs' AND is_identity = 'NO' AND is_generated = 'NEVER'
       ORDER BY ordinal_position`,
      [this.schema],
    );
    const list = columns.map((c) => `"${c.column_name}"`).join(', ');
    const values = columns
      .map((c) => (c.data_type.startsWith('timestamp') ? `template."${c.column_name}" - age` : `template."${c.column_name}"`))
      .join(', ');
    for (let done = 0; done < count; done += SEED_CHUNK) {
      const rows = Math.min(SEED_CHUNK, count - done);
      const started = performance.now();
      const [range] = await this.admin.query<{ low: string; high: string }>(
        `WITH copies AS (
           INSERT INTO ${this.schema}.jobs (${list})
           SELECT ${values} FROM ${this.schema}.jobs AS template,
             generate_series($2::bigint, $2::bigint + $5::bigint - 1) AS g,
             LATERAL (SELECT ($3::float8 + ($4::bigint - g)) * interval '1 millisecond' AS age) AS shift
           WHERE template.id = $1
           ORDER BY g
           RETURNING id)
         SELECT min(id) AS low, max(id) AS high FROM copies`,
        [templateId, done + 1, newestAgeMs, count, rows],
      );
      await this.admin.query(
        `INSERT INTO ${this.schema}.job_executions (job_id, attempt, worker, started_at, finished_at, outcome, error)
         SELECT job.id, run.attempt, run.worker, run.started_at - (template.completed_at - job.completed_at),
           run.finished_at - (template.completed_at - job.completed_at), run.outcome, run.error
         FROM ${this.schema}.jobs AS template JOIN ${this.schema}.job_executions AS run ON run.job_id = template.id,
           ${this.schema}.jobs AS job
         WHERE template.id = $1 AND job.id BETWEEN $2 AND $3`,
        [templateId, range.low, range.high],
      );
      const ms = performance.now() - started;
      log(`seeded ${label}: ${thousands(done + rows)} of ${thousands(count)} (${thousands(rate(rows, ms))} jobs + history rows/s)`);
    }
  }

  /** Exact, but counting millions of rows takes about a second: used at the start and the end only. */
  async expiredLeft(): Promise<number> {
    const [row] = await this.admin.query<{ n: string }>(`SELECT count(*) AS n FROM ${this.schema}.jobs WHERE ${EXPIRED_SQL}`, [
      RETENTION.completedAfterMs,
    ]);
    return Number(row.n);
  }

  async anyExpired(): Promise<boolean> {
    const [row] = await this.admin.query<{ any: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM ${this.schema}.jobs WHERE ${EXPIRED_SQL}) AS any`,
      [RETENTION.completedAfterMs],
    );
    return row.any;
  }

  /**
   * Jobs deleted from the table so far, from the statistics collector: cheap to poll, and at most
   * a second behind (backends report their counts when idle, at least once a second).
   */
  async deletedSoFar(): Promise<number> {
    const [row] = await this.admin.query<{ n: string }>(
      `SELECT n_tup_del AS n FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = 'jobs'`,
      [this.schema],
    );
    return Number(row.n);
  }

  /** Autovacuum's work on the big tables so far (what retention's dead rows cost afterwards). */
  async vacuumStats(): Promise<void> {
    const rows = await this.admin.query<Record<string, unknown>>(
      `SELECT relname, n_dead_tup, autovacuum_count, autoanalyze_count, last_autovacuum FROM pg_stat_user_tables
       WHERE schemaname = $1 AND relname IN ('jobs', 'job_executions') ORDER BY relname`,
      [this.schema],
    );
    for (const row of rows)
      log(
        `  ${Object.entries(row)
          .map(([k, v]) => `${k}=${v instanceof Date ? v.toISOString() : String(v)}`)
          .join(', ')}`,
      );
  }

  async sizes(label: string): Promise<void> {
    const [jobs] = await this.admin.query<{ n: string }>(`SELECT count(*) AS n FROM ${this.schema}.jobs WHERE status = 'completed'`);
    const finished = Number(jobs.n);
    log(`sizes ${label}, ${thousands(finished)} completed jobs (bytes per completed job):`);
    for (const table of ['jobs', 'job_executions']) {
      const [size] = await this.admin.query<{ total: string; heap: string; indexes: string; live: string; dead: string }>(
        `SELECT pg_total_relation_size(c.oid) AS total, pg_relation_size(c.oid) AS heap, pg_indexes_size(c.oid) AS indexes,
           s.n_live_tup AS live, s.n_dead_tup AS dead
         FROM pg_class c JOIN pg_stat_user_tables s ON s.relid = c.oid WHERE s.schemaname = $1 AND s.relname = $2`,
        [this.schema, table],
      );
      const per = (bytes: string) => Math.round(Number(bytes) / finished);
      console.log(
        `  ${table.padEnd(15)} total ${mib(size.total)} MiB (${per(size.total)} B/job) = heap ${mib(size.heap)} MiB (${per(size.heap)} B/job)` +
          ` + indexes ${mib(size.indexes)} MiB (${per(size.indexes)} B/job); live ${thousands(Number(size.live))}, dead ${thousands(Number(size.dead))}`,
      );
    }
    const indexes = await this.admin.query<{ name: string; bytes: string }>(
      `SELECT indexrelname AS name, pg_relation_size(indexrelid) AS bytes FROM pg_stat_user_indexes
       WHERE schemaname = $1 AND relname = 'jobs' ORDER BY pg_relation_size(indexrelid) DESC`,
      [this.schema],
    );
    console.log(`  jobs indexes: ${indexes.map((i) => `${i.name} ${Math.round(Number(i.bytes) / finished)}`).join(', ')} (B/job)`);
  }
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000, everyMs = 50): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Whether `promise` settles within `ms`; the timer is cleared either way (it would keep the process alive). */
async function within(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer!: NodeJS.Timeout;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** DRAIN_RUNS runs of each side, alternating; returns the median rate of each. */
async function alternate(sides: [string, () => Promise<number>][]): Promise<number[]> {
  const rates = sides.map(() => [] as number[]);
  for (let run = 1; run <= DRAIN_RUNS; run++) {
    for (const [i, [label, drain]] of sides.entries()) {
      rates[i].push(await drain());
      log(`W1 ${label}, run ${run}: ${thousands(rates[i][run - 1])} jobs/s`);
    }
  }
  return rates.map(median);
}

const mib = (bytes: string) => thousands(Number(bytes) / 1024 / 1024);

/**
 * The embedded server starts with `-c fsync=off`, and a command-line setting outranks ALTER SYSTEM
 * (postgresql.auto.conf), so production durability is asked for on the command line too (the last
 * `-c` wins). Any server's settings are printed, with where each comes from.
 */
const DURABLE_FLAGS = ['-c', 'fsync=on', '-c', 'synchronous_commit=on'];

async function printSettings(admin: AdminDb, embedded: boolean): Promise<void> {
  const rows = await admin.query<{ name: string; setting: string; unit: string | null; source: string }>(
    `SELECT name, setting, unit, source FROM pg_settings WHERE name = ANY($1) ORDER BY name`,
    [SETTINGS],
  );
  const durable = rows.every((r) => !['fsync', 'synchronous_commit'].includes(r.name) || r.setting === 'on');
  log(
    `Postgres (${embedded ? 'embedded' : 'DATABASE_URL'}): ` +
      rows.map((r) => `${r.name}=${r.setting}${r.unit ? ` (${r.unit})` : ''} [${r.source}]`).join(', '),
  );
  if (!durable) log('WARNING: fsync or synchronous_commit is off: commits are cheaper than in production');
}

function verdict(label: string, value: number, pass: boolean, target: string): void {
  console.log(`${pass ? 'PASS' : 'FAIL'}  ${label}: ${value} (target ${target})`);
}

async function main(): Promise<void> {
  const embedded = process.env.DATABASE_URL ? null : await startEmbeddedPostgres({ postgresFlags: DURABLE_FLAGS });
  const url = embedded?.url ?? process.env.DATABASE_URL!;
  const admin = new AdminDb(url);
  const big = new Bench(url, admin, SCHEMA);
  const empty = new Bench(url, admin, EMPTY_SCHEMA);
  let retention: INestApplicationContext | null = null;
  try {
    await printSettings(admin, embedded !== null);
    log(
      `${thousands(JOBS_IN_TABLE)} finished jobs in the table (${thousands(EXPIRED)} expired), ` +
        `W1 = ${thousands(DRAIN_JOBS)} jobs, ${DRAIN_RUNS} runs of each side (median)`,
    );
    await big.start();
    await empty.start();

    const seedStart = performance.now();
    const templateId = await big.template();
    await big.seed(templateId, EXPIRED, 8 * DAY_MS, 'expired');
    await big.seed(templateId, KEPT, HOUR_MS, 'kept');
    log('VACUUM ANALYZE, CHECKPOINT');
    await admin.query(`VACUUM ANALYZE ${SCHEMA}.jobs`);
    await admin.query(`VACUUM ANALYZE ${SCHEMA}.job_executions`);
    await admin.query(`CHECKPOINT`);
    log(`seeding took ${Math.round((performance.now() - seedStart) / 1000)} s`);
    await big.sizes('after seeding and VACUUM');

    await empty.drain(); // warm-ups: JIT, pools, prepared statements, the big table's hot pages
    await big.drain();
    const [emptyRate, bigRate] = await alternate([
      ['empty table', () => empty.drain()],
      [`${thousands(JOBS_IN_TABLE)} finished jobs`, () => big.drain()],
    ]);

    const expiredAtStart = await big.expiredLeft();
    const withRetention = async () => {
      const before = await big.deletedSoFar();
      retention = await big.boot('retention');
      await until(
        `retention to delete ${RETENTION_WARMUP} rows`,
        async () => (await big.deletedSoFar()) >= before + RETENTION_WARMUP,
        600_000,
      );
      const deletedBefore = await big.deletedSoFar();
      const started = performance.now();
      const drained = await big.drain();
      const deleted = (await big.deletedSoFar()) - deletedBefore;
      if (!(await big.anyExpired()))
        throw new Error('retention ran out of expired jobs during a W1 run: raise JOBS_IN_TABLE or lower DRAIN_RUNS');
      log(
        `retention deleted ${thousands(deleted)} jobs during the next run's enqueue and drain (${thousands(rate(deleted, performance.now() - started))} jobs/s)`,
      );
      await retention.close();
      retention = null;
      return drained;
    };
    const [aloneRate, retentionRate] = await alternate([
      ['big table, no retention', () => big.drain()],
      ['big table, while retention deletes', withRetention],
    ]);

    const left = await big.expiredLeft();
    const deletedBefore = await big.deletedSoFar();
    const retentionStart = performance.now();
    retention = await big.boot('retention');
    let reported = retentionStart;
    await until(
      'retention to finish',
      async () => {
        if (performance.now() - reported > 30_000) {
          reported = performance.now();
          const deleted = (await big.deletedSoFar()) - deletedBefore;
          log(
            `retention: ${thousands(left - deleted)} expired jobs left, ${thousands(rate(deleted, reported - retentionStart))} jobs/s so far`,
          );
        }
        return !(await big.anyExpired());
      },
      6 * 3_600_000,
      1000,
    );
    const retentionMs = performance.now() - retentionStart;
    await retention.close();
    retention = null;
    log(
      `retention alone deleted the last ${thousands(left)} of ${thousands(expiredAtStart)} expired jobs (and their history rows) ` +
        `in ${Math.round(retentionMs / 1000)} s: ${thousands(rate(left, retentionMs))} jobs/s (from boot, with its first 1 s interval)`,
    );
    await big.sizes('after retention');
    await big.vacuumStats();

    console.log('');
    console.log(`W1 drain, empty table:                     ${thousands(emptyRate)} jobs/s`);
    console.log(`W1 drain, ${thousands(JOBS_IN_TABLE)} finished jobs:        ${thousands(bigRate)} jobs/s`);
    console.log(`W1 drain, big table, no retention:         ${thousands(aloneRate)} jobs/s`);
    console.log(`W1 drain, big table, retention deleting:   ${thousands(retentionRate)} jobs/s`);
    const ratio = Math.round((bigRate / emptyRate) * 100) / 100;
    verdict('big table / empty table', ratio, ratio >= 0.9, '≥ 0.9×');
    const slowdown = Math.round((1 - retentionRate / aloneRate) * 1000) / 10;
    verdict('slowdown while retention deletes, %', slowdown, slowdown <= 20, '≤ 20%');
  } finally {
    await retention?.close();
    await big.stop();
    await empty.stop();
    await admin.close();
    await embedded?.stop();
  }
}

await main();
