/** What every system under test implements. One instance lives in one child process. */

export interface BenchPayload {
  i: number;
}

/** Called on the handler's first line, with the job's payload. */
export type JobListener = (payload: BenchPayload) => void;

export interface SystemAdapter {
  /** How the system is configured for this bench (printed in the report). */
  readonly settings: string;
  /** Drops the system's schema if it exists, installs it afresh and opens the producer side. */
  setup(): Promise<void>;
  /** Enqueues `count` jobs through the system's bulk API, `chunk` jobs per call, one call at a time. */
  bulkEnqueue(count: number, chunk: number): Promise<void>;
  /** One enqueue call for one job (the system's single-job API). */
  enqueueOne(payload: BenchPayload): Promise<void>;
  /** Starts the worker side (concurrency 10) in this process; `listener` runs first thing in every handler. */
  startWorker(listener: JobListener): Promise<void>;
  stopWorker(): Promise<void>;
  /**
   * How many of the jobs enqueued by `bulkEnqueue` (since `setup`) are not yet durably completed,
   * read from the database.
   */
  unfinishedCount(): Promise<number>;
  /** ANALYZE the system's tables (the harness does it, untimed, before a worker starts draining). */
  analyze(): Promise<void>;
  /** Every job row in the system's table (W2 checks that each call stored one). */
  countJobs(): Promise<number>;
  /**
   * Puts `count` jobs that look like real jobs of this system into its table, all due a year from
   * now: one job through the system's own API, then copied by one INSERT … SELECT.
   */
  seedBacklog(count: number): Promise<void>;
  /** Stops everything and drops the schema. */
  teardown(): Promise<void>;
  /** The server's pid when it is not the Postgres of `url` (BullMQ's Redis), for the CPU meter. */
  readonly serverPid?: number;
  /** Optional extras (dataqueue only). */
  readonly batches?: BatchCapable;
  readonly flows?: FlowCapable;
  readonly fairShare?: FairShareCapable;
}

/** W6: one batch of `count` jobs whose onFinish callback marks the end. */
export interface BatchCapable {
  /** Creates the batch, adds the jobs in chunks and arms it; resolves once enqueued. */
  enqueueBatch(count: number, chunk: number): Promise<void>;
  /** Resolves with performance.now() taken on the first line of the onFinish callback. */
  finished(): Promise<number>;
}

/** W9: jobs enqueued with a fair key (their tenant), and how to find the claim statement in pg_stat_statements. */
export interface FairShareCapable {
  /** `bulkEnqueue`, each job with the fair key `fairKeyOf(i)` (i from 0 to count - 1). */
  enqueueKeyed(count: number, chunk: number, fairKeyOf: (i: number) => string): Promise<void>;
  /** LIKE patterns that together match the system's claim statements, and nothing else, in pg_stat_statements. */
  readonly claimStatement: string[];
}

/** W8: `count` jobs as a DAG of levels `width` wide, each job depending on 2 jobs of the level above. */
export interface FlowCapable {
  /** Enqueues the DAG (levels `width` wide, each job after 2 of the level above) as one flow; resolves once enqueued. */
  enqueueFlow(count: number, width: number): Promise<void>;
}

export type SystemId = 'dataqueue' | 'graphile' | 'graphile-unbatched' | 'pgboss' | 'rawpg' | 'rawpg-notify' | 'bullmq';
export type WorkloadId = 'W1' | 'W2' | 'W3' | 'W5' | 'W6' | 'W8' | 'W9';
/** The server's settings for a run: `durable` fsync=on, `cpu` fsync=off (synchronous_commit=on in both). */
export type Durability = 'durable' | 'cpu';

export interface Sizes {
  /** W1/W5/W6 jobs. */
  drainJobs: number;
  /** Jobs per bulk enqueue call. */
  chunk: number;
  /** W2 enqueue calls. */
  singleEnqueues: number;
  /** W2 calls in flight. */
  inFlight: number;
  /** W3 jobs, and the spacing between their enqueues. */
  pickupJobs: number;
  pickupGapMs: number;
  /** W8 jobs, in the flow and in its plain reference, and the width of the flow's levels. */
  flowJobs: number;
  flowWidth: number;
  /** W5 jobs waiting. */
  backlog: number;
  /** W9 jobs (drained plain, across `fairTenants` tenants, and under one tenant), per bulk enqueue call, and the tenants. */
  fairJobs: number;
  fairChunk: number;
  fairTenants: number;
  /** Warm-up before the measured run (bulk jobs drained, single enqueues). */
  warmupJobs: number;
  warmupSingles: number;
  /** A drain that takes longer stops and reports the partial rate (W9: `fairDrainTimeoutMs`). */
  drainTimeoutMs: number;
  fairDrainTimeoutMs: number;
}

/** What the orchestrator hands one child process. */
export interface ChildTask {
  system: SystemId;
  workload: WorkloadId;
  durability: Durability;
  /** Which repeat this is, from 0 (W9 alternates the order of its sides by it). */
  run: number;
  url: string;
  /** The Redis main.ts started, for bullmq. */
  redisUrl?: string;
  sizes: Sizes;
}

/** One metric's value; `note` explains a partial or skipped measurement. */
export interface Metric {
  value: number | null;
  unit: string;
  note?: string;
}

export type Metrics = Record<string, Metric>;

export interface ChildResult {
  system: SystemId;
  workload: WorkloadId;
  durability: Durability;
  settings: string;
  metrics: Metrics;
  /** W1: WAL records written per record type (pg_walinspect) in the enqueue and the drain, the counts behind the per-job rows. */
  walRecords?: Record<string, Record<string, number>>;
  error?: string;
  durationMs: number;
}
