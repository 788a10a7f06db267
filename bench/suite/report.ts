/** The markdown tables (one per durability), ratios and target checks from the children's results. */
import { DURABILITY } from './durability.js';
import { SYSTEMS } from './systems/index.js';
import { median } from './util.js';
import { commitCostLine, machineLines, type MachineInfo } from './machine.js';
import type { ChildResult, Durability, Metric, Sizes, SystemId, WorkloadId } from './types.js';

/** BullMQ on Redis, a system of its own (bench-bullmq): its targets read n/a until it runs. */
const BULLMQ: SystemId = 'bullmq';

interface Row {
  label: string;
  workload: WorkloadId;
  metric: string;
  /** Ratio columns make sense for comparable quantities (rates, latencies, CPU, memory, WAL and writes). */
  ratio: boolean;
}

const ROWS: Row[] = [
  { label: 'W1 bulk enqueue (jobs/s)', workload: 'W1', metric: 'bulkEnqueue', ratio: true },
  { label: 'W1 drain (jobs/s)', workload: 'W1', metric: 'drain', ratio: true },
  { label: 'W1 worker start → first job (ms)', workload: 'W1', metric: 'startup', ratio: false },
  { label: 'W1 longest pause between two jobs (ms)', workload: 'W1', metric: 'maxGap', ratio: false },
  { label: 'W1 drain: worker process CPU per job (µs)', workload: 'W1', metric: 'workerCpuPerJob', ratio: true },
  { label: 'W1 drain: server CPU per job, Postgres (BullMQ: Redis) (µs)', workload: 'W1', metric: 'serverCpuPerJob', ratio: true },
  { label: 'W1 drain: CPU per job, both (µs)', workload: 'W1', metric: 'totalCpuPerJob', ratio: true },
  { label: 'W1 drain: WAL per job (bytes)', workload: 'W1', metric: 'drainWalBytesPerJob', ratio: true },
  { label: 'W1 drain: heap rows written per job', workload: 'W1', metric: 'drainRowsPerJob', ratio: true },
  { label: 'W1 drain: row locks written per job', workload: 'W1', metric: 'drainRowLocksPerJob', ratio: true },
  { label: 'W1 drain: index entries written per job', workload: 'W1', metric: 'drainIndexEntriesPerJob', ratio: true },
  { label: 'W1 bulk enqueue: WAL per job (bytes)', workload: 'W1', metric: 'enqueueWalBytesPerJob', ratio: true },
  { label: 'W1 bulk enqueue: heap rows written per job', workload: 'W1', metric: 'enqueueRowsPerJob', ratio: true },
  { label: 'W1 bulk enqueue: index entries written per job', workload: 'W1', metric: 'enqueueIndexEntriesPerJob', ratio: true },
  { label: 'W2 single enqueue, 10 in flight (enqueues/s)', workload: 'W2', metric: 'singleEnqueue', ratio: true },
  { label: 'W3 pickup p50 (ms)', workload: 'W3', metric: 'p50', ratio: true },
  { label: 'W3 pickup p95 (ms)', workload: 'W3', metric: 'p95', ratio: true },
  { label: 'W3 pickup p99 (ms)', workload: 'W3', metric: 'p99', ratio: true },
  { label: 'W5 drain, no backlog (jobs/s)', workload: 'W5', metric: 'referenceDrain', ratio: true },
  { label: 'W5 drain with backlog (jobs/s)', workload: 'W5', metric: 'backlogDrain', ratio: true },
  { label: 'W5 backlog / no backlog', workload: 'W5', metric: 'ratio', ratio: false },
  { label: 'W5 bulk enqueue into backlog (jobs/s)', workload: 'W5', metric: 'backlogBulkEnqueue', ratio: true },
  { label: 'W6 drain, no batch (jobs/s)', workload: 'W6', metric: 'referenceDrain', ratio: false },
  { label: 'W6 drain as one batch, until onFinish (jobs/s)', workload: 'W6', metric: 'batchDrain', ratio: false },
  { label: 'W6 batch overhead (%)', workload: 'W6', metric: 'overhead', ratio: false },
  { label: 'W6 last job recorded → onFinish runs (ms, ±1 poll)', workload: 'W6', metric: 'callbackLag', ratio: false },
  { label: 'W6 bulk enqueue into the batch (jobs/s)', workload: 'W6', metric: 'batchEnqueue', ratio: false },
  { label: 'W8 drain, no flow (jobs/s)', workload: 'W8', metric: 'referenceDrain', ratio: false },
  { label: 'W8 drain as a flow (jobs/s)', workload: 'W8', metric: 'flowDrain', ratio: false },
  { label: 'W8 flow overhead (%)', workload: 'W8', metric: 'overhead', ratio: false },
  { label: 'W8 drain, no flow: CPU per job, worker + Postgres (µs)', workload: 'W8', metric: 'referenceCpuPerJob', ratio: false },
  { label: 'W8 drain as a flow: CPU per job, worker + Postgres (µs)', workload: 'W8', metric: 'flowCpuPerJob', ratio: false },
  { label: 'W8 enqueue of the flow, one createFlow (jobs/s)', workload: 'W8', metric: 'flowEnqueue', ratio: false },
  { label: 'W9 drain, no fair keys (jobs/s)', workload: 'W9', metric: 'plainDrain', ratio: false },
  { label: 'W9 drain, 1,000 tenants (Zipf) (jobs/s)', workload: 'W9', metric: 'tenantsDrain', ratio: false },
  { label: 'W9 1,000 tenants / no fair keys', workload: 'W9', metric: 'tenantsRatio', ratio: false },
  { label: 'W9 drain, one fair key (jobs/s)', workload: 'W9', metric: 'oneKeyDrain', ratio: false },
  { label: 'W9 one fair key / no fair keys', workload: 'W9', metric: 'oneKeyRatio', ratio: false },
  { label: 'W9 no fair keys: Postgres CPU per job (µs)', workload: 'W9', metric: 'plainServerCpuPerJob', ratio: false },
  { label: 'W9 1,000 tenants: Postgres CPU per job (µs)', workload: 'W9', metric: 'tenantsServerCpuPerJob', ratio: false },
  { label: 'W9 one fair key: Postgres CPU per job (µs)', workload: 'W9', metric: 'oneKeyServerCpuPerJob', ratio: false },
  { label: 'W9 no fair keys: claim statement time per job (µs)', workload: 'W9', metric: 'plainClaimUsPerJob', ratio: false },
  { label: 'W9 1,000 tenants: claim statement time per job (µs)', workload: 'W9', metric: 'tenantsClaimUsPerJob', ratio: false },
  { label: 'W9 one fair key: claim statement time per job (µs)', workload: 'W9', metric: 'oneKeyClaimUsPerJob', ratio: false },
  { label: 'W9 1,000 tenants: jobs per claim', workload: 'W9', metric: 'tenantsJobsPerClaim', ratio: false },
  { label: 'W9 enqueue, no fair keys (ms)', workload: 'W9', metric: 'plainSeedMs', ratio: false },
  { label: 'W9 enqueue, 1,000 tenants (ms)', workload: 'W9', metric: 'tenantsSeedMs', ratio: false },
  { label: 'W7 peak RSS during W1 (MB)', workload: 'W1', metric: 'peakRss', ratio: true },
  { label: 'W7 RSS of the bare child process (MB)', workload: 'W1', metric: 'baselineRss', ratio: false },
];

const RATIO_COLUMNS: { label: string; other: SystemId }[] = [
  { label: 'dataqueue / graphile (batched)', other: 'graphile' },
  { label: 'dataqueue / graphile (unbatched)', other: 'graphile-unbatched' },
  { label: 'dataqueue / pg-boss', other: 'pgboss' },
  { label: 'dataqueue / raw INSERT', other: 'rawpg' },
  { label: 'dataqueue / BullMQ', other: BULLMQ },
];

/** system → workload → metric, the median over repeats. */
export type Summary = Partial<Record<SystemId, Partial<Record<WorkloadId, Record<string, Metric>>>>>;

export function summarize(results: ChildResult[]): Summary {
  const summary: Summary = {};
  const groups = new Map<string, ChildResult[]>();
  for (const result of results) {
    const key = `${result.system}|${result.workload}`;
    groups.set(key, [...(groups.get(key) ?? []), result]);
  }
  for (const runs of groups.values()) {
    const { system, workload } = runs[0];
    const metrics: Record<string, Metric> = {};
    for (const name of new Set(runs.flatMap((run) => Object.keys(run.metrics)))) {
      const samples = runs.map((run) => run.metrics[name]).filter((m): m is Metric => m !== undefined);
      const values = samples.map((m) => m.value).filter((v): v is number => v !== null && Number.isFinite(v));
      const notes = [...new Set(samples.map((m) => m.note).filter(Boolean))];
      metrics[name] = {
        value: values.length ? round(median(values)) : null,
        unit: samples[0].unit,
        ...(notes.length ? { note: notes.join('; ') } : {}),
      };
    }
    (summary[system] ??= {})[workload] = metrics;
  }
  return summary;
}

const get = (summary: Summary, system: SystemId, workload: WorkloadId, metric: string): Metric | undefined =>
  summary[system]?.[workload]?.[metric];

const value = (summary: Summary, system: SystemId, workload: WorkloadId, metric: string): number | null =>
  get(summary, system, workload, metric)?.value ?? null;

export interface Target {
  name: string;
  detail: string;
  /** `info`: a withdrawn target, kept for its measurement. */
  status: 'PASS' | 'FAIL' | 'n/a' | 'info';
}

/** One table of the report: the runs at one durability, their medians and their targets. */
export interface Table {
  durability: Durability;
  summary: Summary;
  targets: Target[];
}

export function tablesOf(results: ChildResult[], durabilities: Durability[]): Table[] {
  return durabilities.map((durability) => {
    const summary = summarize(results.filter((r) => r.durability === durability));
    const targets = durability === 'durable' ? durableTargets(summary) : cpuBoundTargets(summary);
    // W9 runs at one setting (main.ts): its targets go with the table it ran in.
    return { durability, summary, targets: summary.dataqueue?.W9 ? [...targets, ...fairShareTargets(summary)] : targets };
  });
}

/** `ours` ÷ `theirs` against `bound`; n/a, saying what is missing, when either did not run. */
function ratioTarget(name: string, ours: number | null, theirs: number | null, op: '≥' | '≤', bound: number, needs: string): Target {
  if (ours === null || theirs === null || theirs === 0) return { name, detail: needs, status: 'n/a' };
  const r = ours / theirs;
  const pass = op === '≥' ? r >= bound : r <= bound;
  return { name, detail: `${fmt(ours)} / ${fmt(theirs)} = ${r.toFixed(2)}× (${op} ${bound}×)`, status: pass ? 'PASS' : 'FAIL' };
}

const NO_REDIS = 'n/a (no Redis): BullMQ did not run';

/** Issue 19's targets, at fsync=on: drain, enqueue and pickup, and the primary's cost per drained job. */
function durableTargets(summary: Summary): Target[] {
  const dq = (w: WorkloadId, m: string) => value(summary, 'dataqueue', w, m);
  const graphile = (m: string) => value(summary, 'graphile', 'W1', m);
  const needsGraphile = 'needs W1 for dataqueue and graphile (batched)';
  return [
    ratioTarget('W1 drain ≥ 1.5× graphile-worker (batched)', dq('W1', 'drain'), graphile('drain'), '≥', 1.5, needsGraphile),
    ratioTarget('W1 drain ≥ 1.0× BullMQ (Redis, AOF)', dq('W1', 'drain'), value(summary, BULLMQ, 'W1', 'drain'), '≥', 1.0, NO_REDIS),
    ratioTarget(
      'W1 bulk enqueue ≥ 1.0× graphile-worker (batched)',
      dq('W1', 'bulkEnqueue'),
      graphile('bulkEnqueue'),
      '≥',
      1.0,
      needsGraphile,
    ),
    ratioTarget(
      'W2 single enqueue ≥ 0.8× raw INSERT',
      dq('W2', 'singleEnqueue'),
      value(summary, 'rawpg', 'W2', 'singleEnqueue'),
      '≥',
      0.8,
      'needs W2 for dataqueue and rawpg',
    ),
    ratioTarget('W3 pickup p50 ≤ 1.5× BullMQ p50', dq('W3', 'p50'), value(summary, BULLMQ, 'W3', 'p50'), '≤', 1.5, NO_REDIS),
    ratioTarget('W3 pickup p99 ≤ 3× our p50', dq('W3', 'p99'), dq('W3', 'p50'), '≤', 3, 'needs W3 for dataqueue'),
    ratioTarget(
      'W1 drain: Postgres CPU per job ≤ 1.3× graphile-worker (batched)',
      dq('W1', 'serverCpuPerJob'),
      graphile('serverCpuPerJob'),
      '≤',
      1.3,
      `${needsGraphile}, with the server's processes readable`,
    ),
    ratioTarget(
      'W1 drain: WAL bytes per job ≤ 1.5× graphile-worker (batched)',
      dq('W1', 'drainWalBytesPerJob'),
      graphile('drainWalBytesPerJob'),
      '≤',
      1.5,
      needsGraphile,
    ),
  ];
}

/** The targets set before issue 19, at fsync=off; the drain target is withdrawn and reads as information. */
function cpuBoundTargets(summary: Summary): Target[] {
  const dq = (w: WorkloadId, m: string) => value(summary, 'dataqueue', w, m);
  const needsGraphile = (w: WorkloadId) => `needs ${w} for dataqueue and graphile`;
  const withdrawnDrain = ratioTarget(
    'W1 drain ≥ 1.5× graphile-worker (batched) (withdrawn by issue 19)',
    dq('W1', 'drain'),
    value(summary, 'graphile', 'W1', 'drain'),
    '≥',
    1.5,
    needsGraphile('W1'),
  );
  const targets: Target[] = [
    { ...withdrawnDrain, status: withdrawnDrain.status === 'n/a' ? 'n/a' : 'info' },
    ratioTarget(
      'W1 bulk enqueue ≥ 1.0× graphile-worker',
      dq('W1', 'bulkEnqueue'),
      value(summary, 'graphile', 'W1', 'bulkEnqueue') ?? value(summary, 'graphile-unbatched', 'W1', 'bulkEnqueue'),
      '≥',
      1.0,
      needsGraphile('W1'),
    ),
    ratioTarget(
      'W2 single enqueue ≥ 3× graphile-worker',
      dq('W2', 'singleEnqueue'),
      value(summary, 'graphile', 'W2', 'singleEnqueue'),
      '≥',
      3,
      needsGraphile('W2'),
    ),
    ratioTarget(
      'W2 single enqueue ≥ 0.6× raw INSERT',
      dq('W2', 'singleEnqueue'),
      value(summary, 'rawpg', 'W2', 'singleEnqueue'),
      '≥',
      0.6,
      'needs W2 for dataqueue and rawpg',
    ),
    ratioTarget(
      'W3 pickup p50 ≤ 0.8× graphile-worker (unbatched) p50',
      dq('W3', 'p50'),
      value(summary, 'graphile-unbatched', 'W3', 'p50'),
      '≤',
      0.8,
      needsGraphile('W3'),
    ),
    ratioTarget('W3 pickup p99 ≤ 2× our p50', dq('W3', 'p99'), dq('W3', 'p50'), '≤', 2, 'needs W3 for dataqueue'),
  ];

  const backlog = dq('W5', 'ratio');
  targets.push(
    backlog === null
      ? { name: 'W5 drain with backlog ≥ 0.9× without', detail: 'needs W5 for dataqueue', status: 'n/a' }
      : {
          name: 'W5 drain with backlog ≥ 0.9× without',
          detail:
            `${backlog.toFixed(2)}× (each run's own pair; median rates ${fmt(dq('W5', 'backlogDrain'))} with, ` +
            `${fmt(dq('W5', 'referenceDrain'))} without)`,
          status: backlog >= 0.9 ? 'PASS' : 'FAIL',
        },
  );
  /** W6 and W8: a drain's overhead against the plain drain run right before it in the same process. */
  const overheadTarget = (workload: 'W6' | 'W8', what: string, limit: number, drain: 'batchDrain' | 'flowDrain'): Target => {
    const name = `${workload} ${what} overhead ≤ ${limit}%`;
    const overhead = dq(workload, 'overhead');
    if (overhead === null) return { name, detail: `needs ${workload} for dataqueue`, status: 'n/a' };
    return {
      name,
      detail:
        `${overhead}% (each run's own pair; median rates ${fmt(dq(workload, 'referenceDrain'))} jobs/s plain, ` +
        `${fmt(dq(workload, drain))} as a ${what})`,
      status: overhead <= limit ? 'PASS' : 'FAIL',
    };
  };
  targets.push(overheadTarget('W6', 'batch', 10, 'batchDrain'), overheadTarget('W8', 'flow', 15, 'flowDrain'));
  const rss = dq('W1', 'peakRss');
  targets.push(
    rss === null
      ? { name: 'W7 peak RSS ≤ 200 MB', detail: 'needs W1 for dataqueue', status: 'n/a' }
      : { name: 'W7 peak RSS ≤ 200 MB', detail: `${fmt(rss)} MB`, status: rss <= 200 ? 'PASS' : 'FAIL' },
  );
  return targets;
}

/** Issue 20's cost of fair share: the keyed drains against the plain drain of the same child (each run's own pair). */
function fairShareTargets(summary: Summary): Target[] {
  const w9 = (m: string) => value(summary, 'dataqueue', 'W9', m);
  const target = (name: string, metric: 'tenantsRatio' | 'oneKeyRatio', drain: string, what: string, bound: number): Target => {
    const r = w9(metric);
    if (r === null) return { name, detail: 'needs W9 for dataqueue', status: 'n/a' };
    return {
      name,
      detail: `${r.toFixed(2)}× (each run's own pair; median rates ${fmt(w9(drain))} jobs/s ${what}, ${fmt(w9('plainDrain'))} without keys)`,
      status: r >= bound ? 'PASS' : 'FAIL',
    };
  };
  return [
    target('W9 drain across 1,000 tenants ≥ 0.8× without fair keys', 'tenantsRatio', 'tenantsDrain', 'across tenants', 0.8),
    target('W9 drain under one fair key ≥ 0.9× without (work-conserving)', 'oneKeyRatio', 'oneKeyDrain', 'under one key', 0.9),
  ];
}

/**
 * What the drain target asks of the CPU: `cores` CPUs at 1.5× graphile-worker's drain rate
 * leave cores ÷ rate of CPU time per job, for the worker and Postgres together.
 */
function drainCpuBudget(summary: Summary, cores: number): string | null {
  const theirRate = value(summary, 'graphile', 'W1', 'drain');
  const theirs = value(summary, 'graphile', 'W1', 'totalCpuPerJob');
  const ours = value(summary, 'dataqueue', 'W1', 'totalCpuPerJob');
  if (!theirRate || theirs === null || ours === null) return null;
  const budget = (cores / (1.5 * theirRate)) * 1e6;
  return (
    `CPU budget of the drain target: 1.5 × ${fmt(theirRate)} jobs/s on ${cores} cores leaves ${budget.toFixed(1)} µs of CPU per job, ` +
    `worker and Postgres together, with every core busy all the time. ` +
    `graphile-worker (batched) used ${fmt(theirs)} µs per job, dataqueue ${fmt(ours)} µs.`
  );
}

export interface RunOptions {
  quick: boolean;
  repeat: number;
  systems: SystemId[];
  workloads: WorkloadId[];
  /** The tables run, in order (runs saved before there were two ran at fsync=off: `cpu`). */
  durabilities: Durability[];
  sizes: Sizes;
  /** The embedded server loaded pg_stat_statements (W9's claim times; a little overhead on every statement). */
  pgStatStatements?: boolean;
  /** Why a system asked for has no column (BullMQ where redis-server is absent). */
  notes?: string[];
}

export function renderMarkdown(
  tables: Table[],
  results: ChildResult[],
  machine: MachineInfo,
  options: RunOptions,
  startedAt: Date,
  totalMs: number,
): string {
  const systems = SYSTEMS.filter((s) => options.systems.includes(s.id));
  const lines: string[] = [];
  lines.push(`# DataQueue benchmark suite — ${startedAt.toISOString()}${options.quick ? ' (quick)' : ''}`, '');
  lines.push(`\`npm run bench -- ${cliLine(options)}\` · ${Math.round(totalMs / 1000)} s · repeat ${options.repeat} (median)`, '');
  if (machine.commitCost) lines.push(commitCostLine(machine.commitCost), '');
  for (const table of tables) lines.push(...renderTable(table, options, machine.cores));
  for (const note of options.notes ?? []) lines.push(note, '');

  const failed = results.filter((r) => r.error);
  if (failed.length) {
    lines.push('## Errors', '');
    for (const r of failed) lines.push(`- ${r.system} ${r.workload} (${r.durability}): \`${r.error!.split('\n')[0]}\``);
    lines.push('');
  }

  lines.push('## Setup', '');
  const s = options.sizes;
  lines.push(
    `- Sizes: W1/W5/W6 ${fmt(s.drainJobs)} jobs, bulk enqueue ${fmt(s.chunk)} jobs per call; W2 ${fmt(s.singleEnqueues)} calls, ` +
      `${s.inFlight} in flight; ` +
      `W3 ${s.pickupJobs} jobs, ${s.pickupGapMs} ms apart; W5 backlog ${fmt(s.backlog)} jobs due in a year; ` +
      `W8 ${fmt(s.flowJobs)} jobs, as a flow in levels ${s.flowWidth} wide; ` +
      (options.workloads.includes('W9')
        ? `W9 ${fmt(s.fairJobs)} jobs, ${fmt(s.fairChunk)} per enqueueMany call, ${fmt(s.fairTenants)} tenants, ` +
          `each drain limited to ${s.fairDrainTimeoutMs / 1000} s; `
        : '') +
      `warm-up ${fmt(s.warmupJobs)} bulk + ${fmt(s.warmupSingles)} single jobs on a throwaway schema; ` +
      `drain time limit ${s.drainTimeoutMs / 1000} s.`,
  );
  for (const system of systems) {
    const settings = results.find((r) => r.system === system.id && r.settings)?.settings;
    if (settings) lines.push(`- **${system.label}**: ${settings}`);
  }
  lines.push('');
  lines.push('## Machine', '');
  lines.push(...machineLines(machine));
  lines.push('');
  lines.push('## Method and caveats', '');
  for (const note of METHOD) lines.push(`- ${note}`);
  lines.push('');
  return lines.join('\n');
}

/** One durability's table, its footnotes and its targets. */
function renderTable({ durability, summary, targets }: Table, options: RunOptions, cores: number): string[] {
  const systems = SYSTEMS.filter((s) => options.systems.includes(s.id));
  const ratios = RATIO_COLUMNS.filter((c) => options.systems.includes('dataqueue') && options.systems.includes(c.other));
  const rows = ROWS.filter(
    (row) => options.workloads.includes(row.workload) && systems.some((s) => get(summary, s.id, row.workload, row.metric)),
  );
  const footnotes: string[] = [];
  const cell = (metric: Metric | undefined): string => {
    if (!metric || metric.value === null) return metric?.note ? mark(footnotes, metric.note, '—') : '—';
    return metric.note ? mark(footnotes, metric.note, fmt(metric.value)) : fmt(metric.value);
  };

  const title = DURABILITY[durability].title;
  const lines: string[] = [`## ${title}`, ''];
  lines.push(`| workload | ${systems.map((s) => s.label).join(' | ')}${ratios.map((c) => ` | ${c.label}`).join('')} |`);
  lines.push(`|---|${systems.map(() => '---:').join('|')}${ratios.map(() => '|---:').join('')}|`);
  for (const row of rows) {
    const cells = systems.map((s) => cell(get(summary, s.id, row.workload, row.metric)));
    const ratioCells = ratios.map((c) => {
      if (!row.ratio) return '';
      const ours = value(summary, 'dataqueue', row.workload, row.metric);
      const theirs = value(summary, c.other, row.workload, row.metric);
      return ours !== null && theirs ? `${(ours / theirs).toFixed(2)}×` : '';
    });
    lines.push(`| ${row.label} | ${[...cells, ...ratioCells].join(' | ')} |`);
  }
  lines.push('');
  footnotes.forEach((note, i) => lines.push(`${'*'.repeat(i + 1)} ${note}`));
  if (footnotes.length) lines.push('');
  lines.push(
    'Ratios are dataqueue ÷ the other system: above 1 is better for rates, below 1 is better for latencies, CPU, memory, WAL and writes.',
    '',
  );

  lines.push(`### Targets: ${title}`, '');
  lines.push('| target | measured | result |', '|---|---|---|');
  for (const t of targets) lines.push(`| ${t.name} | ${t.detail} | ${t.status === 'PASS' ? '**PASS**' : t.status} |`);
  lines.push('');
  const budget = drainCpuBudget(summary, cores);
  if (budget) lines.push(budget, '');
  return lines;
}

const METHOD = [
  'Two tables, one server. Production durability: fsync=on and synchronous_commit=on, the defaults, so every commit waits for the ' +
    "disk's flush (the embedded server's data directory is on this machine's disk). CPU-bound: fsync=off, so a commit costs no disk " +
    "wait and the table shows the systems' CPU cost. Every (system, workload) runs at each; the settings are switched by ALTER SYSTEM " +
    'and a reload between children and checked with SHOW before each. The commit cost line (one-row autocommit INSERTs, median and ' +
    'p99) is what the disk charges a commit: on another disk, a system that commits once per job scales with it, one that commits ' +
    'many jobs together much less.',
  'Every (system, workload) runs in a fresh child process (so memory and JIT state are its own) on a freshly installed schema of its ' +
    'own, one at a time, against the same Postgres, after a warm-up on a throwaway schema. W5, W6 and W8 run their no-backlog / no-batch / ' +
    'no-flow reference in the same process right before, and their ratios use that pair.',
  "Drain (W1, W5, W6, W8): the jobs are bulk-enqueued with no worker running, the harness runs ANALYZE on the system's tables (untimed: " +
    'statistics as a long-lived table has them), and the worker is started. The clock starts at the first handler call (worker boot is ' +
    'reported separately) and stops when the database shows every job completed: when the handler count reaches N, the jobs table is ' +
    'polled every 2 ms, and the time just before the poll that finds no unfinished job is the end. For a batch, the end is the first ' +
    'line of the onFinish callback. For a flow (W8), the jobs are enqueued as one flow (DataQueue: one createFlow, which inserts it level ' +
    'by level in one transaction) of levels of jobs, the first level runnable and every job of the others running after 2 jobs of the level ' +
    'above: the drain includes releasing each level.',
  "CPU per drained job (W1): CPU time of the worker's process (which also runs the harness's handler counter and completion polls) and " +
    "of the Postgres server's processes (the postmaster and its children, read from /proc, so only when the server runs on this " +
    'machine), from the first handler call to the end of the drain, divided by the jobs. Linux counts it in 10 ms ticks, and a backend ' +
    'that exits meanwhile is not counted: take it to ±1 µs. When the sum nears cores ÷ rate, the drain is CPU-bound on this machine.',
  'WAL per job (W1): pg_current_wal_insert_lsn() before and after, divided by the jobs. The drain range starts just before the ' +
    'worker starts (its start-up writes are in it) and ends with the drain; the enqueue range covers the bulk enqueue calls. Nothing ' +
    'else writes meanwhile (children run one at a time) but autovacuum. It includes full-page images: a CHECKPOINT runs before each ' +
    'child, so the first change to each page writes all of it, as after any checkpoint. Rows and index entries come from ' +
    "pg_walinspect's pg_get_wal_stats over the same ranges: rows written are Heap INSERT, UPDATE, HOT_UPDATE and DELETE records (a " +
    'multi-insert counts once), row locks are Heap LOCK records (a claim by SELECT … FOR UPDATE writes one per row), index entries are B-tree INSERT_LEAF, INSERT_UPPER and INSERT_POST, GIN and hash inserts (an entry ' +
    'that splits its page is logged in the split record and not counted: a few per thousand). The saved JSON keeps every record type ' +
    'counted (walRecords).',
  "W2: before the clock starts, 2 × 10 untimed enqueues fill each system's pool (connections opened, statements prepared); afterwards " +
    'the table is counted to check that every call stored its job. DataQueue merges concurrent enqueue calls into one INSERT (each call ' +
    'still returns after its row is committed), which is how it can beat one autocommit INSERT per call.',
  'W3: the worker has been idle for 1 s; each job is enqueued with the single-job API, awaited, 20 ms apart; latency is ' +
    "performance.now() before enqueue to the handler's first line, in the same process.",
  "W5 backlog rows are one job enqueued through each system's API (due in a year) and copied by INSERT … SELECT generate_series, then " +
    "VACUUM ANALYZE: they are real rows of each system's table, with every index.",
  'W7 is the peak RSS of the child process while W1 runs, sampled every 50 ms. Children run plain JavaScript, compiled from the bench ' +
    'and library sources by the parent before the first child (SWC, into bench/tmp/js), with no TypeScript loader, as a production ' +
    "worker would. The bare-child row is the child's RSS with Node and the harness's own modules (pg, reflect-metadata) loaded, before " +
    'the system under test is imported.',
  'W9 (DataQueue only, at the CPU-bound setting when that table runs, else at the one that does): the same N due jobs drained three ' +
    "times by one worker process (`queues: '*:10'`), each on a fresh schema after an enqueue in enqueueMany calls (sizes in Setup): " +
    'across 1,000 tenants (a fair key each; tenant k has a share ∝ 1/k, Zipf with s = 1, computed, arrivals interleaved by a seeded ' +
    'shuffle), without fair keys (the reference, run between the other two; repeats alternate the order), and all under one fair ' +
    'key (work-conserving). Keyed jobs are claimed by the fair claim: a loose index scan of `jobs_fair_keys` (queue, fair_key) ' +
    'finds up to 64 keys with runnable work per claim (once one such lap found them all, the next claims take those keys ' +
    "without it, until work arrives), and each key's line is read from `jobs_runnable_by_queue` (queue, " +
    'fair_key, priority, available_at, id); jobs without a key by the plain claim (`jobs_runnable`), which also probes ' +
    '`jobs_fair_keys` once for keyed work. CPU per job as in W1. The claim ' +
    "statement time per job is pg_stat_statements' total execution time of the claims during the drain (reset before each " +
    'drain) divided by the jobs: only where the server loads pg_stat_statements (`--pg-stat-statements` for the embedded one).',
  'All queues run the same no-op handler, concurrency 10, one worker process, and about 10 pool connections (DataQueue: pool 10 + its ' +
    'own LISTEN connection; graphile: maxPoolSize 11, one of which LISTENs; pg-boss: max 10 + its own LISTEN connection).',
  'pg-boss runs its handler on a batch (1 loop × 10 jobs, the fastest split measured; see its settings), and completes the batch ' +
    'together: W3 stamps each job as the batch handler reaches it, and 10 × 1 (one job per loop, the literal equivalent of 10 slots) ' +
    'cannot burst and waits out its 30 s notify backstop between fetches.',
  'The machine has 2 cores shared by Postgres, the bench and whatever else runs. Other work on the machine or its VM host makes numbers ' +
    'noisy (see the load averages): run-to-run differences of 30% or more happened while building this suite. Use --repeat for medians; ' +
    'repeats take turns between systems, so a slowdown mid-run hits each system alike.',
];

function mark(footnotes: string[], note: string, text: string): string {
  let index = footnotes.indexOf(note);
  if (index < 0) index = footnotes.push(note) - 1;
  return `${text}${'*'.repeat(index + 1)}`;
}

function cliLine(options: RunOptions): string {
  return [
    `--systems ${options.systems.join(',')}`,
    `--workloads ${options.workloads.join(',')}`,
    options.durabilities.length === 1 ? `--durability ${options.durabilities[0]}` : '',
    options.quick ? '--quick' : '',
    options.repeat > 1 ? `--repeat ${options.repeat}` : '',
    options.pgStatStatements ? '--pg-stat-statements' : '',
  ]
    .filter(Boolean)
    .join(' ');
}

const round = (n: number) => (Math.abs(n) >= 100 ? Math.round(n) : Math.round(n * 100) / 100);

export function fmt(n: number | null): string {
  if (n === null || !Number.isFinite(n)) return '—';
  return Math.abs(n) >= 1000 ? Math.round(n).toLocaleString('en-US') : String(round(n));
}
