/**
 * The workloads. Each runs in a fresh child process, after a warm-up on a throwaway schema, on a
 * freshly installed schema; W5, W6, W8 and W9 also run their W1 reference in the same process, right
 * before (W9: between its two other sides), so their ratios compare runs taken moments apart.
 */
import { cpuPerJob, type CpuMeter, type CpuPerJob, type CpuSnapshot } from './cpu.js';
import type { StatementMeter, StatementTotals } from './statements.js';
import { zipfTenantOfJob } from './tenants.js';
import { RssSampler, mb, percentile, sleep } from './util.js';
import { writesOf, type WalCost, type WalMeter } from './wal.js';
import type { BenchPayload, Metrics, Sizes, SystemAdapter, WorkloadId } from './types.js';

interface DrainOutcome {
  enqueueMs: number;
  enqueueRate: number;
  drainRate: number;
  drainMs: number;
  startupMs: number;
  completed: number;
  /** The longest pause between two handler calls: a stall shows here, steady slowness does not. */
  maxGapMs: number;
  /** For a batch: from the last job's recorded completion to the onFinish callback's first line. */
  callbackLagMs?: number;
  /** Set when the drain hit its time limit: the rate is over the jobs done by then. */
  partial?: string;
  /** CPU per job from the first handler call to the end (when a meter was given). */
  cpu?: CpuPerJob;
  /** WAL written by the enqueue, and by the drain from the worker's start to the end (when a meter was given). */
  wal?: { enqueue: WalCost; drain: WalCost };
}

/** How the drained jobs are enqueued: bulk (with a fair key each when `fairKeyOf` is given), as one batch, or as a flow (W8's DAG). */
type DrainShape = 'bulk' | 'batch' | 'flow';

/**
 * Enqueues `count` jobs with no worker running (bulk, as one batch, or as a flow), then starts the worker.
 * The clock starts on the first handler call (the first claim has just returned) and stops when
 * the database shows every job completed: the handler count reaching `count` triggers a poll of
 * the jobs table, and the stop time is taken just before the poll that finds none unfinished.
 * For a batch, it stops on the first line of the onFinish callback instead (after the same check).
 */
async function bulkThenDrain(
  system: SystemAdapter,
  sizes: Sizes,
  count: number,
  { shape = 'bulk', fairKeyOf, cpu, wal }: { shape?: DrainShape; fairKeyOf?: (i: number) => string; cpu?: CpuMeter; wal?: WalMeter } = {},
): Promise<DrainOutcome> {
  const walBeforeEnqueue = await wal?.position();
  const enqueueStart = performance.now();
  if (shape === 'batch') await system.batches!.enqueueBatch(count, sizes.chunk);
  else if (shape === 'flow') await system.flows!.enqueueFlow(count, sizes.flowWidth);
  else if (fairKeyOf) await system.fairShare!.enqueueKeyed(count, sizes.chunk, fairKeyOf);
  else await system.bulkEnqueue(count, sizes.chunk);
  const enqueueMs = performance.now() - enqueueStart;
  const walAfterEnqueue = await wal?.position();
  // Untimed: planner statistics as a long-lived queue table has them (autovacuum would take up to
  // a minute to gather them on these fresh tables, and a plan without them is noise, not speed).
  await system.analyze();
  const walBeforeDrain = await wal?.position();

  let seen = 0;
  let first = 0;
  let last = 0;
  let maxGap = 0;
  let cpuAtFirst: CpuSnapshot | undefined;
  let allSeen!: () => void;
  const everyJobSeen = new Promise<void>((resolve) => (allSeen = resolve));
  const startCall = performance.now();
  await system.startWorker(() => {
    const now = performance.now();
    if (seen === 0) {
      first = now;
      cpuAtFirst = cpu?.snapshot();
    } else maxGap = Math.max(maxGap, now - last);
    last = now;
    if (++seen === count) allSeen();
  });
  const deadline = startCall + sizes.drainTimeoutMs;
  const inTime = await Promise.race([everyJobSeen.then(() => true), sleep(sizes.drainTimeoutMs).then(() => false)]);

  let end: number;
  let callbackLagMs: number | undefined;
  let partial: string | undefined;
  if (!inTime) {
    end = performance.now();
    partial = `stopped after ${Math.round((end - startCall) / 1000)} s with ${seen} of ${count} jobs run`;
  } else {
    for (;;) {
      const before = performance.now();
      if ((await system.unfinishedCount()) === 0) {
        end = before;
        break;
      }
      if (performance.now() > deadline) {
        end = performance.now();
        partial = `every handler ran, but not every completion was recorded after ${Math.round(sizes.drainTimeoutMs / 1000)} s`;
        break;
      }
      await sleep(2);
    }
    if (shape === 'batch' && !partial) {
      const recorded = end;
      end = await system.batches!.finished();
      // The callback may run before the poll that sees the last completion: 0 then means "within one poll".
      callbackLagMs = Math.max(0, Math.round(end - recorded));
    }
  }
  const cpuAtEnd = cpu?.snapshot();
  const walAtEnd = await wal?.position();
  await system.stopWorker();
  const done = partial ? seen : count;
  const drainMs = end - first;
  const walCost =
    wal && walBeforeEnqueue && walAfterEnqueue && walBeforeDrain && walAtEnd
      ? {
          enqueue: await wal.between(walBeforeEnqueue, walAfterEnqueue, 'enqueue'),
          drain: await wal.between(walBeforeDrain, walAtEnd, 'drain'),
        }
      : undefined;
  return {
    enqueueMs: Math.round(enqueueMs),
    enqueueRate: rate(count, enqueueMs),
    drainRate: rate(done, drainMs),
    drainMs: Math.round(drainMs),
    startupMs: Math.round(first - startCall),
    maxGapMs: Math.round(maxGap),
    completed: done,
    callbackLagMs,
    partial,
    cpu: cpuAtFirst && cpuAtEnd ? cpuPerJob(cpuAtFirst, cpuAtEnd, done) : undefined,
    wal: walCost,
  };
}

/** `calls` calls of `fn`, `inFlight` at a time; returns calls per second. */
async function concurrently(calls: number, inFlight: number, fn: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < calls) await fn(next++);
    }),
  );
  return rate(calls, performance.now() - start);
}

/**
 * Untimed: fills the producer's pool (every connection opened, statements prepared on each) before
 * a clock starts, so no system pays its lazy connects inside the measurement. Payload i = -1.
 */
async function fillPool(system: SystemAdapter, sizes: Sizes): Promise<void> {
  for (let round = 0; round < 2; round++) {
    await Promise.all(Array.from({ length: sizes.inFlight }, () => system.enqueueOne({ i: -1 })));
  }
}

const rate = (count: number, ms: number) => (ms > 0 ? Math.round((count / ms) * 1000) : 0);

/** Runs the code paths once on a throwaway schema so the measured run starts with warm JIT and pools. */
export async function warmUp(system: SystemAdapter, sizes: Sizes, hasWorker: boolean): Promise<void> {
  await system.setup();
  if (hasWorker) {
    let seen = 0;
    const total = sizes.warmupJobs + sizes.warmupSingles;
    let allSeen!: () => void;
    const done = new Promise<void>((resolve) => (allSeen = resolve));
    await system.bulkEnqueue(sizes.warmupJobs, sizes.chunk);
    await system.startWorker(() => {
      if (++seen === total) allSeen();
    });
    await concurrently(sizes.warmupSingles, sizes.inFlight, (i) => system.enqueueOne({ i }));
    await Promise.race([done, sleep(sizes.drainTimeoutMs)]);
    await system.stopWorker();
  } else {
    await concurrently(sizes.warmupSingles, sizes.inFlight, (i) => system.enqueueOne({ i }));
  }
  await system.teardown();
}

/**
 * What a workload may measure besides time: CPU of both sides, and the server's WAL and statement
 * times (Postgres systems only; statement times where the server loads pg_stat_statements).
 */
export interface Meters {
  cpu: CpuMeter;
  wal?: WalMeter;
  statements?: StatementMeter;
}

/** `run`: which repeat this is, from 0. */
type Workload = (system: SystemAdapter, sizes: Sizes, meters: Meters, run: number) => Promise<Metrics>;

/** W1 drain, plus W7: peak RSS of this process (sampled every 50 ms) while W1 runs. */
const w1: Workload = async (system, sizes, { cpu, wal }) => {
  await system.setup();
  const before = process.memoryUsage.rss();
  const sampler = new RssSampler().start(50);
  const outcome = await bulkThenDrain(system, sizes, sizes.drainJobs, { cpu, wal });
  const peak = sampler.stop();
  await system.teardown();
  return {
    bulkEnqueue: { value: outcome.enqueueRate, unit: 'jobs/s' },
    drain: { value: outcome.drainRate, unit: 'jobs/s', note: outcome.partial },
    drainMs: { value: outcome.drainMs, unit: 'ms' },
    startup: { value: outcome.startupMs, unit: 'ms' },
    maxGap: { value: outcome.maxGapMs, unit: 'ms' },
    ...cpuMetrics(outcome.cpu),
    ...(wal && walMetrics('enqueue', outcome.wal?.enqueue, sizes.drainJobs)),
    ...(wal && walMetrics('drain', outcome.wal?.drain, outcome.completed)),
    peakRss: { value: mb(peak), unit: 'MB' },
    rssBefore: { value: mb(before), unit: 'MB' },
  };
};

function cpuMetrics(cpu: CpuPerJob | undefined): Metrics {
  const unreadable = cpu?.serverUs === null ? "the server's processes are not readable from here" : undefined;
  const server = cpu?.serverUs ?? null;
  return {
    workerCpuPerJob: { value: cpu?.workerUs ?? null, unit: 'µs' },
    serverCpuPerJob: { value: server, unit: 'µs', note: unreadable },
    totalCpuPerJob: { value: cpu && server !== null ? Math.round((cpu.workerUs + server) * 10) / 10 : null, unit: 'µs', note: unreadable },
  };
}

/** WAL bytes, heap rows, row locks and index entries per job: `drainWalBytesPerJob`, `enqueueRowsPerJob`, … */
function walMetrics(phase: 'enqueue' | 'drain', cost: WalCost | undefined, jobs: number): Metrics {
  const per = (n: number) => Math.round((n / jobs) * 100) / 100;
  const writes = cost?.records ? writesOf(cost.records) : null;
  const note = cost?.missing;
  return {
    [`${phase}WalBytesPerJob`]: { value: cost ? Math.round(cost.bytes / jobs) : null, unit: 'B' },
    [`${phase}RowsPerJob`]: { value: writes && per(writes.rows), unit: 'rows', note },
    [`${phase}RowLocksPerJob`]: { value: writes && per(writes.rowLocks), unit: 'locks', note },
    [`${phase}IndexEntriesPerJob`]: { value: writes && per(writes.indexEntries), unit: 'entries', note },
  };
}

/** W2: single enqueue calls, `inFlight` at a time, no worker. */
const w2: Workload = async (system, sizes) => {
  await system.setup();
  await fillPool(system, sizes);
  const enqueues = await concurrently(sizes.singleEnqueues, sizes.inFlight, (i) => system.enqueueOne({ i }));
  // Every call must have stored its job (the pool fill stored 2 × inFlight more).
  const stored = (await system.countJobs()) - 2 * sizes.inFlight;
  await system.teardown();
  const note = stored === sizes.singleEnqueues ? undefined : `${stored} jobs stored for ${sizes.singleEnqueues} calls`;
  return { singleEnqueue: { value: enqueues, unit: 'enqueues/s', note }, stored: { value: stored, unit: 'jobs' } };
};

/** W3: an idle worker; jobs enqueued one at a time; just before enqueue → the handler's first line. */
const w3: Workload = async (system, sizes) => {
  await system.setup();
  await fillPool(system, sizes); // these jobs run while the worker idles below, and are ignored
  const starts = new Array<number>(sizes.pickupJobs).fill(0);
  const latencies: number[] = [];
  let allSeen!: () => void;
  const done = new Promise<void>((resolve) => (allSeen = resolve));
  await system.startWorker((payload: BenchPayload) => {
    const now = performance.now();
    if (!(payload.i >= 0 && payload.i < starts.length)) return;
    latencies.push(now - starts[payload.i]);
    if (latencies.length === starts.length) allSeen();
  });
  await sleep(1000); // idle: the worker has polled, found nothing and is listening
  for (let i = 0; i < starts.length; i++) {
    const start = performance.now();
    starts[i] = start;
    await system.enqueueOne({ i });
    const wait = start + sizes.pickupGapMs - performance.now();
    if (wait > 0) await sleep(wait);
  }
  const inTime = await Promise.race([done.then(() => true), sleep(30_000).then(() => false)]);
  await system.stopWorker();
  await system.teardown();
  const sorted = latencies.sort((a, b) => a - b);
  const note = inTime ? undefined : `only ${sorted.length} of ${starts.length} jobs ran within 30 s of the last enqueue`;
  const ms = (value: number) => ({ value: Math.round(value * 100) / 100, unit: 'ms', note });
  return {
    p50: ms(percentile(sorted, 50)),
    p95: ms(percentile(sorted, 95)),
    p99: ms(percentile(sorted, 99)),
    max: ms(sorted[sorted.length - 1] ?? NaN),
    mean: ms(sorted.reduce((a, b) => a + b, 0) / sorted.length),
  };
};

/** W5: W1's drain on a fresh schema, then again with `backlog` jobs due in a year already in the table. */
const w5: Workload = async (system, sizes) => {
  await system.setup();
  const plain = await bulkThenDrain(system, sizes, sizes.drainJobs);
  await system.teardown();

  await system.setup();
  const seedStart = performance.now();
  await system.seedBacklog(sizes.backlog);
  const seedMs = performance.now() - seedStart;
  const loaded = await bulkThenDrain(system, sizes, sizes.drainJobs);
  await system.teardown();
  return {
    referenceDrain: { value: plain.drainRate, unit: 'jobs/s', note: plain.partial },
    backlogDrain: { value: loaded.drainRate, unit: 'jobs/s', note: loaded.partial },
    backlogBulkEnqueue: { value: loaded.enqueueRate, unit: 'jobs/s' },
    ratio: { value: ratio(loaded.drainRate, plain.drainRate), unit: '×', note: loaded.partial ?? plain.partial },
    seedMs: { value: Math.round(seedMs), unit: 'ms' },
  };
};

/** W6: W1's drain, then the same jobs as one batch with an onFinish callback (until the callback runs). */
const w6: Workload = async (system, sizes) => {
  if (!system.batches) throw new Error('this system has no batches');
  await system.setup();
  const plain = await bulkThenDrain(system, sizes, sizes.drainJobs);
  await system.teardown();

  await system.setup();
  const batch = await bulkThenDrain(system, sizes, sizes.drainJobs, { shape: 'batch' });
  await system.teardown();
  return {
    referenceDrain: { value: plain.drainRate, unit: 'jobs/s', note: plain.partial },
    batchDrain: { value: batch.drainRate, unit: 'jobs/s', note: batch.partial },
    batchDrainMs: { value: batch.drainMs, unit: 'ms' },
    callbackLag: { value: batch.callbackLagMs ?? null, unit: 'ms' },
    batchEnqueue: { value: batch.enqueueRate, unit: 'jobs/s' },
    overhead: { value: overheadPercent(plain.drainRate, batch.drainRate), unit: '%' },
  };
};

/**
 * W8: W1's drain of `flowJobs`, then as many jobs as a flow: levels `flowWidth` wide, the first
 * runnable at once, each job of the others depending on 2 jobs of the level above, so each drained
 * job releases its dependents as it completes.
 */
const w8: Workload = async (system, sizes, { cpu }) => {
  if (!system.flows) throw new Error('this system has no job dependencies');
  await system.setup();
  const plain = await bulkThenDrain(system, sizes, sizes.flowJobs, { cpu });
  await system.teardown();

  await system.setup();
  const flow = await bulkThenDrain(system, sizes, sizes.flowJobs, { shape: 'flow', cpu });
  await system.teardown();
  return {
    referenceDrain: { value: plain.drainRate, unit: 'jobs/s', note: plain.partial },
    flowDrain: { value: flow.drainRate, unit: 'jobs/s', note: flow.partial },
    flowDrainMs: { value: flow.drainMs, unit: 'ms' },
    flowEnqueue: { value: flow.enqueueRate, unit: 'jobs/s' },
    overhead: { value: overheadPercent(plain.drainRate, flow.drainRate), unit: '%' },
    referenceCpuPerJob: cpuMetrics(plain.cpu).totalCpuPerJob,
    flowCpuPerJob: cpuMetrics(flow.cpu).totalCpuPerJob,
  };
};

/** W9's three drains of the same jobs: across the tenants, without fair keys, under one fair key. */
type FairSide = 'tenants' | 'plain' | 'oneKey';
/** The plain drain in the middle, next to each of the others; odd repeats run them in reverse. */
const FAIR_SIDES: FairSide[] = ['tenants', 'plain', 'oneKey'];

/**
 * W9: `fairJobs` due jobs drained by one worker process three times, each on a fresh schema:
 * enqueued across `fairTenants` tenants with Zipf's law (a fair key each), without fair keys, and
 * all under one fair key (the work-conserving case). Each is enqueued in `fairChunk`-job calls
 * (the seed, timed) with no worker running, then drained as in W1. Where the server loads
 * pg_stat_statements, the claim statements' execution time is read for each drain.
 */
const w9: Workload = async (system, sizes, { cpu, statements }, run) => {
  const fair = system.fairShare;
  if (!fair) throw new Error('this system has no fair share');
  const tenantOf = zipfTenantOfJob(sizes.fairJobs, sizes.fairTenants);
  const keyOf: Record<FairSide, ((i: number) => string) | undefined> = {
    tenants: (i) => `tenant-${tenantOf[i] + 1}`,
    plain: undefined,
    oneKey: () => 'tenant-1',
  };
  const drainSizes = { ...sizes, chunk: sizes.fairChunk, drainTimeoutMs: sizes.fairDrainTimeoutMs };
  const drains = {} as Record<FairSide, DrainOutcome & { claims?: StatementTotals }>;
  for (const side of run % 2 === 0 ? FAIR_SIDES : [...FAIR_SIDES].reverse()) {
    await system.setup();
    await statements?.reset();
    const outcome = await bulkThenDrain(system, drainSizes, sizes.fairJobs, { fairKeyOf: keyOf[side], cpu });
    drains[side] = { ...outcome, claims: await statements?.totals(fair.claimStatement) };
    await system.teardown();
  }

  const { tenants, plain, oneKey } = drains;
  const noStatements = 'the server does not load pg_stat_statements: see Postgres CPU per job';
  const perSide = (side: FairSide): Metrics => {
    const drain = drains[side];
    const claims = drain.claims;
    return {
      [`${side}Drain`]: { value: drain.drainRate, unit: 'jobs/s', note: drain.partial },
      [`${side}SeedMs`]: { value: drain.enqueueMs, unit: 'ms' },
      [`${side}ServerCpuPerJob`]: cpuMetrics(drain.cpu).serverCpuPerJob,
      [`${side}WorkerCpuPerJob`]: cpuMetrics(drain.cpu).workerCpuPerJob,
      [`${side}ClaimUsPerJob`]: {
        value: claims ? Math.round(((claims.execMs * 1000) / drain.completed) * 10) / 10 : null,
        unit: 'µs',
        note: claims ? undefined : noStatements,
      },
      [`${side}JobsPerClaim`]: { value: claims?.calls ? Math.round((drain.completed / claims.calls) * 10) / 10 : null, unit: 'jobs' },
    };
  };
  return {
    ...perSide('plain'),
    ...perSide('tenants'),
    ...perSide('oneKey'),
    tenantsRatio: { value: ratio(tenants.drainRate, plain.drainRate), unit: '×', note: tenants.partial ?? plain.partial },
    oneKeyRatio: { value: ratio(oneKey.drainRate, plain.drainRate), unit: '×', note: oneKey.partial ?? plain.partial },
  };
};

/** How much slower `rate` drains than `reference`, in %, to one decimal. */
const overheadPercent = (reference: number, rate: number) => (reference && rate ? Math.round((reference / rate - 1) * 1000) / 10 : null);

const ratio = (a: number, b: number) => (a && b ? Math.round((a / b) * 100) / 100 : null);

export const WORKLOADS: Record<WorkloadId, Workload> = { W1: w1, W2: w2, W3: w3, W5: w5, W6: w6, W8: w8, W9: w9 };
