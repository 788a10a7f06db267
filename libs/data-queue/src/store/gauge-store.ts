import type { SqlExecutor } from './sql/executor.js';
import { gaugeTotalsSql, jobsByStateSql, queueLatencySql } from './sql/gauges.sql.js';

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

export function gaugeStatements(s: string) {
  return { jobsByState: jobsByStateSql(s), latency: queueLatencySql(s), totals: gaugeTotalsSql(s) };
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
}
