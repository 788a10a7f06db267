/**
 * Scale-out: how fast 1, 2 and 4 separate worker processes (standalone runWorker, 10 slots each)
 * drain the same backlog of no-op jobs from one Postgres, plain and as one big batch, and where
 * the CPU goes meanwhile (Postgres processes, worker processes, everything else on the machine).
 *
 *   npm run bench:scale-out                                   # embedded Postgres, 40,000 jobs
 *   npm run bench:scale-out -- --jobs 10000 --runs 3          # smaller, median of 3 runs
 *   npm run bench:scale-out -- --processes 1,2,4,8 --concurrency 20 --modes plain
 *   npm run bench:scale-out -- --pg-flags='-c max_connections=500 -c shared_buffers=512MB'
 *   npm run bench:scale-out -- --note '2-core VM, shared with other test runs'  # a line for the results file
 *   DATABASE_URL=postgres://… npm run bench:scale-out         # your server (a fresh schema per run, dropped after)
 *
 * Each run gets a fresh schema. The jobs are enqueued (mode 'external', enqueueMany or one
 * batch) into a paused queue, the worker processes are started and awaited, and the queue is
 * resumed: the drain rate is jobs / (last completed_at − first started_at), both read from the
 * jobs table. CPU comes from /proc (utime + stime) of the postmaster and its children and of the
 * worker processes; Postgres CPU is only sampled when the server runs on this machine.
 * Writes the tables to bench/results/scale-out-<date>.md (or --out).
 */
import 'reflect-metadata';
import { spawn, execSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Module, type DynamicModule, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import pg from 'pg';
import { DataQueueModule, QueueService } from '@dataqueue/nestjs';
import { startEmbeddedPostgres } from '@dataqueue/nestjs/embedded';
import { BATCH_CALLBACK, NOOP_JOB, WORKER_READY } from './scale-out/worker.js';
import { describeMachine, machineLines } from './suite/machine.js';
import { median, sleep } from './suite/util.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WORKER = 'bench/scale-out/worker.ts';
const QUEUE = 'scale-out';
const ENQUEUE_CHUNK = 5000;

type Mode = 'plain' | 'batch';

const { values: args } = parseArgs({
  options: {
    jobs: { type: 'string', default: '40000' },
    processes: { type: 'string', default: '1,2,4' },
    concurrency: { type: 'string', default: '10' },
    modes: { type: 'string', default: 'plain,batch' },
    runs: { type: 'string', default: '1' },
    'pg-flags': { type: 'string', default: '' },
    out: { type: 'string' },
    note: { type: 'string' },
    help: { type: 'boolean' },
  },
});
if (args.help) {
  console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('*/')[0]);
  process.exit(0);
}
const JOBS = positiveInt('--jobs', args.jobs);
const PROCESSES = args.processes.split(',').map((n) => positiveInt('--processes', n));
const CONCURRENCY = positiveInt('--concurrency', args.concurrency);
const RUNS = positiveInt('--runs', args.runs);
const MODES = args.modes.split(',').map((mode) => {
  if (mode !== 'plain' && mode !== 'batch') throw new Error(`--modes: plain and/or batch (got ${mode})`);
  return mode;
});
const PG_FLAGS = args['pg-flags'].split(/\s+/).filter(Boolean);
const CLK_TCK = clockTicks();

function positiveInt(name: string, raw: string): number {
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} must be a positive integer (got ${raw})`);
  return value;
}

function clockTicks(): number {
  try {
    return Number(execSync('getconf CLK_TCK', { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

// ---------------------------------------------------------------------------------------------
// CPU accounting from /proc

/** utime + stime (in clock ticks) and parent pid of a process, or null once it is gone. */
function procStat(pid: number): { ticks: number; ppid: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "pid (comm) ": state ppid … utime (14th field) stime (15th).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return null;
  }
}

/** Busy and total ticks of the whole machine (all cores). */
function machineTicks(): { busy: number; total: number } {
  const [, ...counters] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = counters.map(Number);
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait };
}

/** CPU ticks a changing set of processes used since `start()`; processes born meanwhile count from 0. */
class CpuMeter {
  private readonly baseline = new Map<number, number>();
  private readonly latest = new Map<number, number>();

  constructor(private readonly pids: () => number[]) {}

  start(): void {
    this.baseline.clear();
    this.latest.clear();
    for (const pid of this.pids()) {
      const stat = procStat(pid);
      if (stat) this.baseline.set(pid, stat.ticks);
    }
  }

  sample(): void {
    for (const pid of this.pids()) {
      const stat = procStat(pid);
      if (!stat) continue;
      if (!this.baseline.has(pid)) this.baseline.set(pid, 0);
      this.latest.set(pid, stat.ticks);
    }
  }

  /** CPU seconds used since start (up to each process's last sample). */
  seconds(): number {
    let ticks = 0;
    for (const [pid, last] of this.latest) ticks += last - (this.baseline.get(pid) ?? 0);
    return ticks / CLK_TCK;
  }
}

/** The postmaster and its children (backends, checkpointer, WAL writer, …). */
function postgresPids(postmaster: number): number[] {
  const pids = [postmaster];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (procStat(pid)?.ppid === postmaster) pids.push(pid);
  }
  return pids;
}

/** The postmaster's pid if the server runs on this machine (our backend's parent), else null. */
async function findPostmaster(db: pg.Pool): Promise<number | null> {
  const { rows } = await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  const backend = rows[0].pid;
  try {
    if (readFileSync(`/proc/${backend}/comm`, 'utf8').trim() !== 'postgres') return null;
    const ppid = procStat(backend)?.ppid;
    return ppid && readFileSync(`/proc/${ppid}/comm`, 'utf8').trim() === 'postgres' ? ppid : null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Worker processes

class WorkerProcess {
  private stdout = '';
  private stderr = '';
  readonly exited: Promise<void>;

  constructor(readonly child: ChildProcess) {
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (this.stdout = (this.stdout + chunk).slice(-10_000)));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr = (this.stderr + chunk).slice(-10_000)));
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  static spawn(url: string, schema: string): WorkerProcess {
    const child = spawn(
      process.execPath,
      [
        '--conditions=@dataqueue/source',
        '--import',
        './tools/register-ts.js',
        WORKER,
        '--schema',
        schema,
        '--concurrency',
        String(CONCURRENCY),
      ],
      { cwd: ROOT, env: { ...process.env, DATABASE_URL: url }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    return new WorkerProcess(child);
  }

  get pid(): number {
    return this.child.pid!;
  }

  async ready(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.stdout.includes(WORKER_READY)) {
      if (this.child.exitCode !== null || this.child.signalCode !== null || Date.now() > deadline) {
        throw new Error(`worker ${this.pid} did not start:\n${this.stderr}\n${this.stdout}`);
      }
      await sleep(50);
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 20_000);
    await this.exited;
    clearTimeout(timer);
  }

  get logs(): string {
    return `--- worker ${this.pid} ---\n${this.stderr}${this.stdout}`;
  }
}

// ---------------------------------------------------------------------------------------------
// One run: a fresh schema, N jobs, `processes` workers

interface RunResult {
  mode: Mode;
  processes: number;
  jobs: number;
  enqueueSeconds: number;
  drainSeconds: number;
  jobsPerSecond: number;
  /** Seconds of the sampled window (resume → drained), for the CPU rates. */
  wallSeconds: number;
  postgresCpu: number | null;
  workersCpu: number;
  benchCpu: number;
  machineCpu: number;
  retried: number;
  loadBefore: number;
}

function producerModule(url: string, schema: string): DynamicModule {
  @Module({})
  class ProducerModule {}
  return {
    module: ProducerModule,
    // Enqueue-only: no handlers here (strictJobTypes: false), like a web app in front of workers.
    imports: [DataQueueModule.forRoot({ url, schema, mode: 'external', strictJobTypes: false, poolSize: 4 })],
  };
}

async function enqueue(queue: QueueService, mode: Mode): Promise<void> {
  const jobs = Array.from({ length: JOBS }, (_, i) => ({ jobType: NOOP_JOB, payload: { i }, options: { queue: QUEUE } }));
  if (mode === 'plain') {
    for (let i = 0; i < JOBS; i += ENQUEUE_CHUNK) await queue.enqueueMany(jobs.slice(i, i + ENQUEUE_CHUNK));
    return;
  }
  const batch = await queue.createBatch({ description: 'scale-out bench', onFinish: BATCH_CALLBACK, callbackQueue: QUEUE });
  for (let i = 0; i < JOBS; i += ENQUEUE_CHUNK) await batch.add(jobs.slice(i, i + ENQUEUE_CHUNK));
  await batch.enqueue();
}

async function run(url: string, db: pg.Pool, postmaster: number | null, mode: Mode, processes: number, index: number): Promise<RunResult> {
  const schema = `bench_scale_out_${mode}_${processes}_${index}`;
  const s = `"${schema}"`;
  await db.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  let producer: INestApplicationContext | null = null;
  let workers: WorkerProcess[] = [];
  try {
    producer = await NestFactory.createApplicationContext(producerModule(url, schema), { logger: ['error', 'warn'] });
    const queue = producer.get(QueueService);
    await queue.pause({ queue: QUEUE });
    // The workers publish the job type's settings at boot: the producer has no handler.
    workers = Array.from({ length: processes }, () => WorkerProcess.spawn(url, schema));
    await Promise.all(workers.map((worker) => worker.ready(120_000)));
    const enqueueStarted = performance.now();
    await enqueue(queue, mode);
    const enqueueSeconds = (performance.now() - enqueueStarted) / 1000;
    await db.query(`VACUUM ANALYZE ${s}.jobs`);
    await sleep(1000); // let boot-time work (migrations check, first polls) settle
    const loadBefore = loadavg()[0];

    const pgMeter = postmaster ? new CpuMeter(() => postgresPids(postmaster)) : null;
    const workerMeter = new CpuMeter(() => workers.map((worker) => worker.pid));
    const machineStart = machineTicks();
    const benchStart = process.cpuUsage();
    pgMeter?.start();
    workerMeter.start();
    const started = performance.now();
    await queue.resume({ queue: QUEUE });

    let left = JOBS;
    let lastProgress = performance.now();
    while (left > 0) {
      await sleep(250);
      pgMeter?.sample();
      workerMeter.sample();
      const { rows } = await db.query<{ left: number }>(
        `SELECT count(*)::int AS left FROM ${s}.jobs WHERE status IN ('pending', 'processing', 'failed')`,
      );
      if (rows[0].left < left) lastProgress = performance.now();
      left = rows[0].left;
      if (performance.now() - lastProgress > 15_000) {
        throw new Error(`no progress for 60 s with ${left} jobs left\n${workers.map((w) => w.logs).join('\n')}`);
      }
    }
    pgMeter?.sample();
    workerMeter.sample();
    const wallSeconds = (performance.now() - started) / 1000;
    const machineEnd = machineTicks();
    const bench = process.cpuUsage(benchStart);

    const { rows } = await db.query<{ completed: number; retried: number; seconds: number }>(
      `SELECT count(*) FILTER (WHERE status = 'completed')::int AS completed,
              count(*) FILTER (WHERE attempts > 1)::int AS retried,
              extract(epoch FROM max(completed_at) - min(started_at))::float8 AS seconds
       FROM ${s}.jobs WHERE job_type = $1`,
      [NOOP_JOB],
    );
    const { completed, retried, seconds } = rows[0];
    if (completed !== JOBS) throw new Error(`${completed} of ${JOBS} jobs completed`);
    const machineShare = (machineEnd.busy - machineStart.busy) / (machineEnd.total - machineStart.total);
    return {
      mode,
      processes,
      jobs: JOBS,
      enqueueSeconds,
      drainSeconds: seconds,
      jobsPerSecond: JOBS / seconds,
      wallSeconds,
      postgresCpu: pgMeter ? pgMeter.seconds() / wallSeconds : null,
      workersCpu: workerMeter.seconds() / wallSeconds,
      benchCpu: (bench.user + bench.system) / 1e6 / wallSeconds,
      machineCpu: machineShare * cpus().length,
      retried,
      loadBefore,
    };
  } finally {
    await Promise.all(workers.map((worker) => worker.stop()));
    await producer?.close();
    await db.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  }
}

// ---------------------------------------------------------------------------------------------
// Report

const fixed = (value: number, digits = 2) => value.toFixed(digits);
const thousands = (value: number) => Math.round(value).toLocaleString('en-US');

/** Jobs per CPU-second of Postgres and the workers together (median over the runs): the rate if they had the cores to themselves. */
function perCpuSecond(runs: RunResult[]): string {
  if (runs.some((r) => r.postgresCpu === null)) return 'n/a';
  return thousands(median(runs.map((r) => r.jobs / ((r.postgresCpu! + r.workersCpu) * r.wallSeconds))));
}

/** One row per process count: the run with the median rate (all rates listed when --runs > 1). */
function table(results: RunResult[], mode: Mode): string {
  const rows = PROCESSES.map((processes) => {
    const runs = results.filter((r) => r.mode === mode && r.processes === processes);
    const rate = median(runs.map((r) => r.jobsPerSecond));
    const typical = runs.reduce((best, r) => (Math.abs(r.jobsPerSecond - rate) < Math.abs(best.jobsPerSecond - rate) ? r : best));
    return { processes, runs, rate, typical };
  });
  const base = rows.find((row) => row.processes === 1)?.rate ?? rows[0].rate;
  const header =
    '| Processes × slots | Jobs/s | Speed-up vs 1 | Drain (s) | Postgres CPU (cores) | Workers CPU (cores) | Machine busy (of ' +
    `${cpus().length}) | Postgres CPU ms/job | Worker CPU ms/job | Jobs per CPU-second | Load before |` +
    (RUNS > 1 ? ' Runs (jobs/s) |' : '');
  const rule = '|' + '---|'.repeat(RUNS > 1 ? 12 : 11);
  const lines = rows.map(({ processes, runs, rate, typical: r }) => {
    const perJob = (cores: number) => fixed((cores * r.wallSeconds * 1000) / r.jobs);
    const cells = [
      `${processes} × ${CONCURRENCY}`,
      thousands(rate),
      `${fixed(rate / base)}×`,
      fixed(r.drainSeconds, 1),
      r.postgresCpu === null ? 'n/a' : fixed(r.postgresCpu),
      fixed(r.workersCpu),
      fixed(r.machineCpu),
      r.postgresCpu === null ? 'n/a' : perJob(r.postgresCpu),
      perJob(r.workersCpu),
      perCpuSecond(runs),
      fixed(r.loadBefore, 1),
    ];
    if (RUNS > 1) cells.push(runs.map((run) => thousands(run.jobsPerSecond)).join(', '));
    return `| ${cells.join(' | ')} |`;
  });
  return [header, rule, ...lines].join('\n');
}

async function environment(url: string, embedded: boolean): Promise<string[]> {
  const machine = await describeMachine(ROOT, url, embedded);
  return [
    ...machineLines(machine),
    ...(PG_FLAGS.length ? [`- Postgres flags: ${PG_FLAGS.join(' ')}`] : []),
    `- ${thousands(JOBS)} no-op jobs in one queue, enqueued with \`mode: 'external'\` into a paused queue; workers: separate processes ` +
      `(\`runWorker\`, \`--concurrency ${CONCURRENCY}\`, default pool of 10 connections + 1 LISTEN each), started before the queue is ` +
      `resumed; a fresh schema per run; ${RUNS} run(s) per row, the median shown`,
    '- Jobs/s: jobs ÷ (last `completed_at` − first `started_at`), read from the jobs table. ' +
      'CPU: utime + stime from /proc over the drain, in cores (CPU-seconds per second), of the run with the median rate; ' +
      '"machine busy" includes everything else running on the machine; ' +
      '"jobs per CPU-second": jobs ÷ CPU-seconds of Postgres and the workers together, median over the runs ' +
      '(the least noisy column on a shared machine); "load before": 1-minute load average when the drain started',
  ];
}

async function main(): Promise<void> {
  const embedded = process.env.DATABASE_URL ? null : await startEmbeddedPostgres({ postgresFlags: PG_FLAGS });
  const url = embedded?.url ?? process.env.DATABASE_URL!;
  const db = new pg.Pool({ connectionString: url, max: 2 });
  db.on('error', () => undefined); // a connection still closing when the embedded server stops
  const results: RunResult[] = [];
  try {
    const postmaster = await findPostmaster(db);
    const { rows } = await db.query<{ max: number }>(`SELECT current_setting('max_connections')::int AS max`);
    // Per worker: its pool (10) + LISTEN + the boot-time migration check (2); producer 4 + 2; us 2.
    const needed = Math.max(...PROCESSES) * 13 + 8;
    if (rows[0].max < needed)
      console.warn(`max_connections is ${rows[0].max}; ${needed} may be needed (--pg-flags='-c max_connections=…')`);
    const env = await environment(url, embedded !== null);
    console.log(env.join('\n'));
    if (!postmaster) console.log('(Postgres is not on this machine: its CPU is not sampled)');

    for (let index = 0; index < RUNS; index++) {
      for (const mode of MODES) {
        for (const processes of PROCESSES) {
          const result = await run(url, db, postmaster, mode, processes, index);
          results.push(result);
          console.log(
            `${mode} × ${processes} process(es) (run ${index + 1}/${RUNS}): ` +
              `${thousands(result.jobsPerSecond)} jobs/s over ${fixed(result.drainSeconds, 1)} s` +
              ` (enqueue ${fixed(result.enqueueSeconds, 1)} s); ` +
              `CPU cores: postgres ${result.postgresCpu === null ? 'n/a' : fixed(result.postgresCpu)},` +
              ` workers ${fixed(result.workersCpu)}, bench ${fixed(result.benchCpu)}, machine ${fixed(result.machineCpu)}; ` +
              `load before ${fixed(result.loadBefore)}` +
              (result.retried ? `; ${result.retried} jobs ran more than once` : ''),
          );
        }
      }
    }

    const date = new Date().toISOString().slice(0, 10);
    const titles: Record<Mode, string> = {
      plain: `Plain jobs (\`enqueueMany\`, ${thousands(JOBS)} jobs)`,
      batch: `One batch of ${thousands(JOBS)} jobs (every completion updates the batch row's counters)`,
    };
    const report = [
      `# Scale-out: ${date}`,
      '',
      `\`npm run bench:scale-out -- ${process.argv.slice(2).map(shellQuote).join(' ')}\``.replace(' -- `', '`'),
      '',
      ...env,
      ...(args.note ? [`- Note: ${args.note}`] : []),
      '',
      ...MODES.flatMap((mode) => [`## ${titles[mode]}`, '', table(results, mode), '']),
    ].join('\n');
    console.log(`\n${report}`);
    const out = args.out ?? `bench/results/scale-out-${date}.md`;
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, report);
    console.log(`written to ${relative(process.cwd(), out)}`);
  } finally {
    await db.end();
    await embedded?.stop();
  }
}

function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

await main();
