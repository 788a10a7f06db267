import { Injectable } from '@nestjs/common';
import { OnJobEvent, type JobEvent } from '../core/job-events.js';
import type { MetricFamily } from './prometheus-text.js';

/** Histogram buckets in seconds: from quick no-ops to long reports. */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

interface Series {
  buckets: number[];
  sum: number;
  count: number;
}

/** Attempt durations and outcomes of the jobs this process ran (fed by its own lifecycle events). */
@Injectable()
export class JobDurationCollector {
  private readonly series = new Map<string, Series>();

  @OnJobEvent('completed', 'failed')
  observe({ event, job, failure, durationMs }: JobEvent): void {
    if (durationMs === undefined) return; // a reaped attempt: no live process saw how long it ran
    const outcome = event === 'completed' ? 'completed' : failure!.reason;
    const key = JSON.stringify([job.jobType, outcome]);
    const series = this.series.get(key) ?? { buckets: BUCKETS.map(() => 0), sum: 0, count: 0 };
    const seconds = durationMs / 1000;
    BUCKETS.forEach((bound, i) => (seconds <= bound ? series.buckets[i]++ : undefined));
    series.sum += seconds;
    series.count++;
    this.series.set(key, series);
  }

  families(): MetricFamily[] {
    const samples: MetricFamily['samples'] = [];
    for (const [key, series] of this.series) {
      const [jobType, outcome] = JSON.parse(key) as [string, string];
      const labels = { job_type: jobType, outcome };
      BUCKETS.forEach((bound, i) =>
        samples.push({ suffix: '_bucket', labels: { ...labels, le: String(bound) }, value: series.buckets[i] }),
      );
      samples.push({ suffix: '_bucket', labels: { ...labels, le: '+Inf' }, value: series.count });
      samples.push({ suffix: '_sum', labels, value: series.sum });
      samples.push({ suffix: '_count', labels, value: series.count });
    }
    return [
      {
        name: 'dataqueue_job_duration_seconds',
        help: 'Duration of job attempts run by this process, by job type and outcome.',
        type: 'histogram',
        samples,
      },
    ];
  }
}
