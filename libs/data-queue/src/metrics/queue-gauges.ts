import { Inject, Injectable } from '@nestjs/common';
import type { QueueFairKeys } from '../store/gauge-store.js';
import { QueueDatabase } from '../store/queue-database.js';
import { METRICS_OPTIONS } from './metrics.constants.js';
import type { ResolvedMetricsOptions } from './metrics-options.validation.js';
import type { Labels, MetricFamily } from './prometheus-text.js';

/**
 * Gauges read from the database at scrape time, the same for every process: unfinished jobs
 * by queue and state (finished ones are history, counted by the duration histogram as they
 * happen), how long the oldest runnable job of each queue has waited, the load of the busiest
 * fair keys, running batches, live workers.
 */
@Injectable()
export class QueueGauges {
  constructor(
    private readonly database: QueueDatabase,
    @Inject(METRICS_OPTIONS) private readonly options: ResolvedMetricsOptions,
  ) {}

  async families(): Promise<MetricFamily[]> {
    const gauges = this.database.store.gauges;
    const byState = await gauges.jobsByState();
    const latency = await gauges.latency();
    const fairKeys = await gauges.fairKeys(this.options.fairKeysPerQueue);
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
      {
        name: 'dataqueue_fair_key_backlog',
        help: 'Runnable jobs (pending, retrying, waiting) of the busiest fair keys of each queue with keyed work, and of the others summed.',
        type: 'gauge',
        samples: fairKeySamples(fairKeys, 'backlog'),
      },
      {
        name: 'dataqueue_fair_key_running',
        help: 'Running jobs of the same fair keys as dataqueue_fair_key_backlog.',
        type: 'gauge',
        samples: fairKeySamples(fairKeys, 'running'),
      },
      {
        name: 'dataqueue_fair_keys',
        help: 'Fair keys with runnable or running jobs, per queue with keyed work (the default key counts as one).',
        type: 'gauge',
        samples: fairKeys.map(({ queue, top, rest }) => ({ labels: { queue }, value: top.length + (rest?.keys ?? 0) })),
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

/**
 * One sample per key of `top`, then one summing `rest`. A tenant's key is its `fair_key` label;
 * the default key and the rest carry `fair_key_group` instead ("default", "other"), so no tenant
 * key, whatever its name, can make a second series with the same labels.
 */
function fairKeySamples(fairKeys: QueueFairKeys[], measure: 'backlog' | 'running'): MetricFamily['samples'] {
  return fairKeys.flatMap(({ queue, top, rest }) => [
    ...top.map((key) => ({ labels: fairKeyLabels(queue, key.fairKey), value: key[measure] })),
    ...(rest ? [{ labels: { queue, fair_key_group: 'other' }, value: rest[measure] }] : []),
  ]);
}

function fairKeyLabels(queue: string, fairKey: string): Labels {
  return fairKey === '' ? { queue, fair_key_group: 'default' } : { queue, fair_key: fairKey };
}
