import type { SqlExecutor } from './sql/executor.js';
import { fairKeyLoadSql, gaugeTotalsSql, jobsByStateSql, queueLatencySql } from './sql/gauges.sql.js';

export interface JobsByStateRow {
  queue: string;
  state: string;
  n: number;
}

export interface QueueLatencyRow {
  queue: string;
  seconds: number;
}

export interface GaugeTotalsRow {
  batches: number;
  workers: number;
}

/** Runnable (`backlog`) and running jobs of one fair key, or of several summed. */
export interface FairKeyLoad {
  backlog: number;
  running: number;
}

/** The fair keys of a queue with keyed work: the busiest by backlog, and the rest summed. */
export interface QueueFairKeys {
  queue: string;
  /** Most backlog first; `fairKey` '' is the default key (jobs without a key). */
  top: (FairKeyLoad & { fairKey: string })[];
  /** The keys past `top`, summed, and how many they are; null when `top` holds them all. */
  rest: (FairKeyLoad & { keys: number }) | null;
}

interface FairKeyLoadRow extends FairKeyLoad {
  queue: string;
  /** NULL on the row summing the rest. */
  fair_key: string | null;
  keys: number;
}

export function gaugeStatements(s: string) {
  return { jobsByState: jobsByStateSql(s), latency: queueLatencySql(s), totals: gaugeTotalsSql(s), fairKeyLoad: fairKeyLoadSql(s) };
}

/** The reads behind the metrics' gauges (see sql/gauges.sql.ts). */
export class GaugeStore {
  constructor(
    private readonly db: SqlExecutor,
    private readonly sql: ReturnType<typeof gaugeStatements>,
  ) {}

  async jobsByState(): Promise<JobsByStateRow[]> {
    return this.db.rows<JobsByStateRow>(this.sql.jobsByState);
  }

  async latency(): Promise<QueueLatencyRow[]> {
    return this.db.rows<QueueLatencyRow>(this.sql.latency);
  }

  async totals(): Promise<GaugeTotalsRow> {
    const [totals] = await this.db.rows<GaugeTotalsRow>(this.sql.totals);
    return totals;
  }

  /** Per queue with keyed work (in queue order): its `keysPerQueue` busiest fair keys, and the rest summed. */
  async fairKeys(keysPerQueue: number): Promise<QueueFairKeys[]> {
    const rows = await this.db.rows<FairKeyLoadRow>(this.sql.fairKeyLoad, [keysPerQueue]);
    const queues = new Map<string, QueueFairKeys>();
    for (const { queue, fair_key, backlog, running, keys } of rows) {
      const entry = queues.get(queue) ?? { queue, top: [], rest: null };
      queues.set(queue, entry);
      if (fair_key === null) entry.rest = { keys, backlog, running };
      else entry.top.push({ fairKey: fair_key, backlog, running });
    }
    return [...queues.values()];
  }
}
