/**
 * Comparative benchmark: DataQueue vs graphile-worker vs pg-boss (and a raw INSERT floor) on one
 * Postgres, and BullMQ on Redis, one system at a time, each in its own schema (queue) and its own child process.
 *
 *   npm run bench                                          # everything, both tables, embedded Postgres (~20 min on 2 cores)
 *   npm run bench -- --quick                               # small sizes, a smoke run
 *   npm run bench -- --systems dataqueue,graphile --workloads W1,W3
 *   npm run bench -- --repeat 3                            # median of 3 runs of each
 *   npm run bench -- --durability durable                  # only the fsync=on table (default both; or cpu)
 *   DATABASE_URL=postgres://… npm run bench                # your server (schemas bench_* are dropped and recreated)
 *   BENCH_PROF=/tmp/prof npm run bench -- --workloads W1   # each child writes a V8 CPU profile (.cpuprofile) there
 *   npm run bench -- --systems dataqueue --workloads W9 --fair-jobs 100000 --pg-stat-statements   # fair share, smaller, with claim times
 *
 * Systems: dataqueue, graphile (= graphile-batched + graphile-unbatched), pgboss, rawpg (= rawpg +
 * rawpg-notify), bullmq (on a redis-server this process starts; skipped with a note where there is none). Workloads: W1 bulk enqueue + drain (W7 memory is measured during W1), W2 single
 * enqueue, W3 pickup latency, W5 drain with a 1,000,000-job backlog, W6 drain as one batch, W8 drain as a
 * flow (a DAG of dependsOn), W9 drain of 1,000,000 jobs across 1,000 tenants, under one fair key and
 * without fair keys.
 * Every (system, workload) runs twice on the same server, at production durability (fsync=on,
 * synchronous_commit=on) and CPU-bound (fsync=off), switched by ALTER SYSTEM and a reload between
 * children (durability.ts); the report has a table for each. W9 runs at one of them (see durabilitiesOf).
 * Prints markdown tables and writes bench/results/suite-<date>.{json,md} (unless --no-save);
 * `--render <that .json>` rewrites its .md after a change to report.ts.
 *
 * This process runs under the TypeScript loader; the children do not: before the first one, the
 * bench and the library are compiled to plain JavaScript in bench/tmp/js (compile.ts), and each
 * child runs that with no loader or --import hook, as a production worker runs compiled code.
 */
import { fork } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { startEmbeddedPostgres } from '@dataqueue/nestjs/embedded';
import { measureCommitCost } from './commit-cost.js';
import { compileForChildren } from './compile.js';
import { DurabilitySwitch } from './durability.js';
import { describeMachine, type MachineInfo } from './machine.js';
import { startBenchRedis } from './redis-server.js';
import { fmt, renderMarkdown, tablesOf, type RunOptions } from './report.js';
import { ALIASES, SYSTEMS } from './systems/index.js';
import { sleep } from './util.js';
import type { ChildResult, ChildTask, Durability, Sizes, SystemId, WorkloadId } from './types.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ALL_WORKLOADS: WorkloadId[] = ['W1', 'W2', 'W3', 'W5', 'W6', 'W8', 'W9'];
const DURABILITY_CHOICES: Record<string, Durability[]> = { both: ['durable', 'cpu'], durable: ['durable'], cpu: ['cpu'] };
/** W9 enqueues and drains 3 × 1,000,000 jobs in one child, each drain allowed `fairDrainTimeoutMs`. */
const CHILD_TIMEOUT_MS = 30 * 60_000;

const FULL: Sizes = {
  drainJobs: 20_000,
  chunk: 1_000,
  singleEnqueues: 5_000,
  inFlight: 10,
  pickupJobs: 300,
  pickupGapMs: 20,
  flowJobs: 10_000,
  flowWidth: 100,
  backlog: 1_000_000,
  fairJobs: 1_000_000,
  fairChunk: 10_000,
  fairTenants: 1_000,
  warmupJobs: 2_000,
  warmupSingles: 500,
  drainTimeoutMs: 120_000,
  fairDrainTimeoutMs: 300_000,
};

const QUICK: Sizes = {
  ...FULL,
  drainJobs: 2_000,
  chunk: 500,
  singleEnqueues: 500,
  pickupJobs: 50,
  flowJobs: 1_000,
  backlog: 50_000,
  fairJobs: 50_000,
  warmupJobs: 300,
  warmupSingles: 100,
  drainTimeoutMs: 60_000,
};

function parseOptions(): RunOptions & { save: boolean } {
  const { values } = parseArgs({
    options: {
      systems: { type: 'string', default: 'dataqueue,graphile,pgboss,rawpg,bullmq' },
      workloads: { type: 'string', default: ALL_WORKLOADS.join(',') },
      quick: { type: 'boolean', default: false },
      repeat: { type: 'string', default: '1' },
      durability: { type: 'string', default: 'both' },
      jobs: { type: 'string' },
      backlog: { type: 'string' },
      chunk: { type: 'string' },
      'fair-jobs': { type: 'string' },
      'pg-stat-statements': { type: 'boolean', default: false },
      'no-save': { type: 'boolean', default: false },
      render: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.render) {
    rerender(values.render);
    process.exit(0);
  }
  if (values.help) {
    console.log(
      'npm run bench -- [--systems dataqueue,graphile,pgboss,rawpg,bullmq] [--workloads W1,W2,W3,W5,W6,W8,W9] ' +
        '[--durability both|durable|cpu] [--quick] [--repeat n] [--jobs n] [--backlog n] [--chunk n] [--fair-jobs n] ' +
        '[--pg-stat-statements] [--no-save]',
    );
    console.log("--pg-stat-statements: the embedded server loads pg_stat_statements, for W9's claim time per job");
    console.log("npm run bench -- --render bench/results/suite-….json   # rewrites that run's .md from its JSON");
    process.exit(0);
  }
  const systems = new Set<SystemId>();
  for (const name of values.systems
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean)) {
    const ids = ALIASES[name];
    if (!ids) throw new Error(`unknown system "${name}"; one of ${Object.keys(ALIASES).join(', ')}`);
    ids.forEach((id) => systems.add(id));
  }
  const workloads = values.workloads
    .split(',')
    .map((w) => w.trim().toUpperCase())
    .filter(Boolean);
  for (const w of workloads) {
    if (w === 'W7') continue; // measured during W1
    if (!ALL_WORKLOADS.includes(w as WorkloadId))
      throw new Error(`unknown workload "${w}"; one of ${ALL_WORKLOADS.join(', ')} (W7 is part of W1)`);
  }
  if (workloads.includes('W7') && !workloads.includes('W1')) workloads.push('W1');
  const durabilities = DURABILITY_CHOICES[values.durability.trim().toLowerCase()];
  if (!durabilities) throw new Error(`unknown --durability "${values.durability}"; one of ${Object.keys(DURABILITY_CHOICES).join(', ')}`);
  const sizes = { ...(values.quick ? QUICK : FULL) };
  if (values.jobs) sizes.drainJobs = positive(values.jobs, '--jobs');
  if (values.backlog) sizes.backlog = positive(values.backlog, '--backlog');
  if (values.chunk) sizes.chunk = positive(values.chunk, '--chunk');
  if (values['fair-jobs']) sizes.fairJobs = positive(values['fair-jobs'], '--fair-jobs');
  return {
    quick: values.quick,
    repeat: positive(values.repeat, '--repeat'),
    systems: SYSTEMS.map((s) => s.id).filter((id) => systems.has(id)),
    workloads: ALL_WORKLOADS.filter((w) => workloads.includes(w)),
    durabilities,
    sizes,
    save: !values['no-save'],
    pgStatStatements: values['pg-stat-statements'],
  };
}

function positive(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a positive integer`);
  return n;
}

/** Forks the compiled child.js. execArgv is explicit: fork would otherwise pass on this process's loader flags. */
function runChild(script: string, task: ChildTask): Promise<ChildResult> {
  return new Promise((resolve) => {
    let answer: ChildResult | null = null;
    const child = fork(script, [], {
      cwd: ROOT,
      execArgv: process.env.BENCH_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROF}`] : [],
      env: { ...process.env, BENCH_TASK: JSON.stringify(task) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
    child.on('message', (message) => (answer = message as ChildResult));
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(
        answer ?? {
          system: task.system,
          workload: task.workload,
          durability: task.durability,
          settings: '',
          metrics: {},
          error: `child exited (${signal ?? code}) without a result`,
          durationMs: 0,
        },
      );
    });
  });
}

/** A checkpoint between runs, so one run's dirty pages are not the next one's I/O. */
async function settle(url: string): Promise<void> {
  const client = new pg.Client(url);
  await client.connect();
  await client.query('CHECKPOINT').catch(() => undefined);
  await client.end();
  await sleep(300);
}

/**
 * pg_walinspect for the WAL records per job (wal.ts; without a superuser the bench measures WAL
 * bytes only), and pg_stat_statements where the server loads it (statements.ts: W9's claim time).
 */
async function installExtensions(url: string): Promise<void> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    await client.query('CREATE EXTENSION IF NOT EXISTS pg_walinspect');
  } catch (error) {
    console.log(`pg_walinspect is not available (${(error as Error).message}): rows and index entries per job are not measured`);
  }
  try {
    const { rows } = await client.query<{ preload: string }>("SELECT current_setting('shared_preload_libraries') AS preload");
    if (rows[0].preload.includes('pg_stat_statements')) await client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  } catch (error) {
    console.log(`pg_stat_statements is not available (${(error as Error).message}): W9's claim time per job is not measured`);
  } finally {
    await client.end();
  }
}

/**
 * W9 enqueues and drains 3 × `fairJobs` jobs, minutes at 1,000,000, so it runs at one setting: the
 * CPU-bound one when asked for. Its ratios compare DataQueue's own drains, whose claims commit
 * without waiting for the disk.
 */
function durabilitiesOf(workload: WorkloadId, chosen: Durability[]): Durability[] {
  if (workload !== 'W9') return chosen;
  return [chosen.includes('cpu') ? 'cpu' : chosen[0]];
}

function progressLine(result: ChildResult): string {
  if (result.error) return `FAILED: ${result.error.split('\n').slice(0, 3).join(' | ')}`;
  return Object.entries(result.metrics)
    .map(([name, m]) => `${name} ${fmt(m.value)} ${m.unit}${m.note ? ` (${m.note})` : ''}`)
    .join(', ');
}

/**
 * Re-renders a saved run's markdown (after a change to report.ts) from its JSON, next to it. Runs
 * saved before the durable table ran at fsync=off only: they render as the CPU-bound table.
 */
function rerender(file: string): void {
  const saved = JSON.parse(readFileSync(file, 'utf8')) as {
    startedAt: string;
    totalMs: number;
    options: RunOptions;
    machine: MachineInfo;
    results: ChildResult[];
  };
  const options: RunOptions = { ...saved.options, durabilities: saved.options.durabilities ?? ['cpu'] };
  const results = saved.results.map((result) => ({ ...result, durability: result.durability ?? 'cpu' }));
  const markdown = renderMarkdown(
    tablesOf(results, options.durabilities),
    results,
    saved.machine,
    options,
    new Date(saved.startedAt),
    saved.totalMs,
  );
  writeFileSync(file.replace(/\.json$/, '.md'), markdown);
  console.log(markdown);
}

async function main(): Promise<void> {
  const options = parseOptions();
  const childScript = join(await compileForChildren(ROOT), 'bench/suite/child.js');
  // fsync as configured (on), not pinned off on the command line, so ALTER SYSTEM can switch it between tables.
  const embedded = process.env.DATABASE_URL
    ? null
    : await startEmbeddedPostgres({
        fsync: true,
        postgresFlags: options.pgStatStatements ? ['-c', 'shared_preload_libraries=pg_stat_statements'] : [],
      });
  const url = process.env.DATABASE_URL ?? embedded!.url;
  const redis = options.systems.includes('bullmq') ? await startBenchRedis() : null;
  if (redis && 'skipped' in redis) {
    options.systems = options.systems.filter((id) => id !== 'bullmq');
    options.notes = [...(options.notes ?? []), `BullMQ (Redis): ${redis.skipped}`];
  }
  const redisUrl = redis && 'url' in redis ? redis.url : undefined;
  const durability = new DurabilitySwitch(url);
  const startedAt = new Date();
  const start = performance.now();
  try {
    const machine = await describeMachine(ROOT, url, embedded !== null);
    console.log(
      `${machine.cpuModel} × ${machine.cores}, ${machine.ramGb} GB, Node ${machine.node}, ${machine.postgres.version.split(' on ')[0]}`,
    );
    console.log(
      `systems ${options.systems.join(', ')}; workloads ${options.workloads.join(', ')}; durability ${options.durabilities.join(', ')}` +
        `${options.quick ? '; quick' : ''}`,
    );
    await installExtensions(url);
    machine.commitCost = {};
    for (const setting of options.durabilities) {
      await durability.apply(setting);
      const cost = (machine.commitCost[setting] = await measureCommitCost(url));
      console.log(`commit cost at ${setting}: one-row INSERT median ${cost.medianMs} ms, p99 ${cost.p99Ms} ms`);
    }
    options.notes?.forEach((note) => console.log(note));
    console.log('');

    const results: ChildResult[] = [];
    for (const workload of options.workloads) {
      // Repeats take turns between systems, so a machine that slows down mid-run skews no ratio.
      for (let run = 0; run < options.repeat; run++) {
        for (const setting of durabilitiesOf(workload, options.durabilities)) {
          for (const system of SYSTEMS.filter((s) => options.systems.includes(s.id) && s.workloads.includes(workload))) {
            await durability.apply(setting);
            await settle(url);
            const result = await runChild(childScript, {
              system: system.id,
              workload,
              durability: setting,
              run,
              url,
              redisUrl,
              sizes: options.sizes,
            });
            results.push(result);
            const label = `${workload} ${setting} ${system.label}${options.repeat > 1 ? ` #${run + 1}` : ''}`;
            console.log(`${label.padEnd(44)} ${(result.durationMs / 1000).toFixed(1).padStart(6)} s  ${progressLine(result)}`);
          }
        }
      }
    }

    machine.loadAverageAtEnd = loadavg().map((n) => Math.round(n * 100) / 100);
    const tables = tablesOf(results, options.durabilities);
    const totalMs = performance.now() - start;
    const markdown = renderMarkdown(tables, results, machine, options, startedAt, totalMs);
    console.log(`\n${markdown}`);
    if (options.save) {
      const dir = join(ROOT, 'bench/results');
      mkdirSync(dir, { recursive: true });
      const stamp = startedAt.toISOString().slice(0, 16).replace(':', '-');
      const base = join(dir, `suite-${stamp}${options.quick ? '-quick' : ''}`);
      writeFileSync(`${base}.md`, markdown);
      const { save: _save, ...runOptions } = options;
      writeFileSync(
        `${base}.json`,
        `${JSON.stringify(
          { startedAt: startedAt.toISOString(), totalMs: Math.round(totalMs), options: runOptions, machine, tables, results },
          null,
          2,
        )}\n`,
      );
      console.log(`saved ${base}.md and .json`);
    }
  } finally {
    if (redis && 'stop' in redis) await redis.stop();
    await durability.restore().catch((error: Error) => console.error(`could not reset fsync and synchronous_commit: ${error.message}`));
    await embedded?.stop();
  }
}

await main();
