import { Injectable } from '@nestjs/common';
import { QueueDatabase } from '../store/queue-database.js';
import type { MetricFamily } from './prometheus-text.js';

/**
 * Gauges read from the database at scrape time, the same for every process: unfinished jobs
 * by queue and state (finished ones are history, counted by the duration histogram as they
 * happen), how long the oldest runnable job of each queue has waited, running batches, live workers.
 */
@Injectable()
export class QueueGauges {
  constructor(private readonly database: QueueDatabase) {}

  async families(): Promise<MetricFamily[]> {
    const gauges = this.database.store.gauges;
    const byState = await gauges.jobsByState();
    const latency = await gauges.latency();
    const { batches, workers } = await gauges.totals();
    return [
      {
        name: 'dataqueue_jobs',
        help: 'Unfinished jobs by queue and state (blocked, pending, processing, retrying, waiting).',
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
