import { Injectable } from '@nestjs/common';
import { jobStateSql, UNFINISHED } from '../core/job-states.js';
import { QueueDatabase } from '../store/queue-database.js';
import { quoteIdent } from '../store/sql/identifiers.js';
import type { MetricFamily } from './prometheus-text.js';

/**
 * Gauges read from the database at scrape time, the same for every process: unfinished jobs
 * by queue and state (finished ones are history, counted by the duration histogram as they
 * happen), how long the oldest runnable job of each queue has waited, running batches, live workers.
 */
@Injectable()
export class QueueGauges {
  private readonly sql;

  constructor(private readonly database: QueueDatabase) {
    const s = quoteIdent(database.schema);
    this.sql = {
      byState: `
        SELECT queue, ${jobStateSql()} AS state, count(*)::int AS n
        FROM ${s}.jobs
        WHERE ${UNFINISHED.sql()}
        GROUP BY 1, 2 ORDER BY 1, 2`,
      latency: `
        SELECT queue, extract(epoch FROM now() - min(available_at))::float8 AS seconds
        FROM ${s}.jobs
        WHERE status IN ('pending', 'failed', 'waiting') AND available_at <= now()
        GROUP BY 1 ORDER BY 1`,
      totals: `
        SELECT (SELECT count(*) FROM ${s}.batches WHERE finished_at IS NULL)::int AS batches,
               (SELECT count(*) FROM ${s}.workers)::int AS workers`,
    };
  }

  async families(): Promise<MetricFamily[]> {
    const db = this.database.store.db;
    const byState = await db.rows<{ queue: string; state: string; n: number }>(this.sql.byState);
    const latency = await db.rows<{ queue: string; seconds: number }>(this.sql.latency);
    const [{ batches, workers }] = await db.rows<{ batches: number; workers: number }>(this.sql.totals);
    return [
      {
        name: 'dataqueue_jobs',
        help: 'Unfinished jobs by queue and state (pending, processing, retrying, waiting).',
        type: 'gauge',
        samples: byState.map((row) => ({ labels: { queue: row.queue, state: row.state }, value: row.n })),
      },
      {
        name: 'dataqueue_queue_latency_seconds',
        help: 'How long the oldest runnable job of each queue has been waiting to start.',
        type: 'gauge',
        samples: latency.map((row) => ({ labels: { queue: row.queue }, value: row.seconds })),
      },
      { name: 'dataqueue_batches_running', help: 'Batches not finished yet.', type: 'gauge', samples: [{ labels: {}, value: batches }] },
      {
        name: 'dataqueue_workers',
        help: 'Worker processes with a live heartbeat row.',
        type: 'gauge',
        samples: [{ labels: {}, value: workers }],
      },
    ];
  }
}
