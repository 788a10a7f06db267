import { Injectable, type OnModuleInit } from '@nestjs/common';
import type * as OpenTelemetry from '@opentelemetry/api';
import type { JobRecord } from '../core/job-record.js';
import type { TraceCarrier } from '../store/job-row.js';

/** How an attempt ended, for its span. */
export interface AttemptEnd {
  outcome: 'completed' | 'failed' | 'waiting' | 'cancelled' | 'handed-back';
  error?: unknown;
}

const TRACER = '@dataqueue/nestjs';

/** The job types of an enqueue call, for its span's name; validation comes later, so anything may be passed. */
function jobTypesOf(jobs: unknown[]): string[] {
  return Array.from(jobs, (job) => {
    const jobType = (job as { jobType?: unknown } | null)?.jobType;
    return typeof jobType === 'string' ? jobType : 'invalid';
  });
}

/**
 * OpenTelemetry, when the app has `@opentelemetry/api` (an optional peer dependency; without it
 * every method only runs its work). An enqueue runs in a PRODUCER span `enqueue <job type>`, and
 * each job stores the context it was enqueued in (W3C headers); each attempt runs in a CONSUMER
 * span `process <job type>` whose parent is that stored context, in whichever process runs it, and
 * the handler runs with it active, so its own spans and enqueues join the trace. Spans follow the
 * messaging conventions (`messaging.system` = `dataqueue`, destination = the queue, message id =
 * the job id). The app's SDK (tracer provider, propagator, context manager) decides the rest.
 */
@Injectable()
export class JobTracing implements OnModuleInit {
  private api: typeof OpenTelemetry | null = null;

  async onModuleInit(): Promise<void> {
    this.api = await import('@opentelemetry/api').catch(() => null);
  }

  /** Runs `work`, the enqueue of `jobs` (as the caller passed them), in a PRODUCER span. */
  async inEnqueueSpan<T>(jobs: unknown[], work: () => Promise<T>): Promise<T> {
    const api = this.api;
    if (!api) return work();
    const jobTypes = jobTypesOf(jobs);
    const types = [...new Set(jobTypes)];
    const name = `enqueue ${types.length === 1 ? types[0] : 'jobs'}`;
    return api.trace
      .getTracer(TRACER)
      .startActiveSpan(
        name,
        { kind: api.SpanKind.PRODUCER, attributes: { 'messaging.system': 'dataqueue', 'messaging.batch.message_count': jobTypes.length } },
        async (span) => {
          try {
            return await work();
          } catch (error) {
            fail(api, span, error);
            throw error;
          } finally {
            span.end();
          }
        },
      );
  }

  /** The active context as W3C headers, to store on a new job; null when nothing is traced. */
  carrier(): TraceCarrier | null {
    const api = this.api;
    if (!api || !api.trace.getActiveSpan()) return null;
    const carrier: TraceCarrier = {};
    api.propagation.inject(api.context.active(), carrier);
    return Object.keys(carrier).length > 0 ? carrier : null;
  }

  /** Runs one attempt of `job` in a CONSUMER span continuing the trace its enqueue stored. */
  async inAttemptSpan<T>(
    job: JobRecord,
    stored: TraceCarrier | null,
    work: () => Promise<T>,
    endOf: (result: T) => AttemptEnd,
  ): Promise<T> {
    const api = this.api;
    if (!api) return work();
    const parent = stored ? api.propagation.extract(api.ROOT_CONTEXT, stored) : api.context.active();
    const producer = stored ? api.trace.getSpanContext(parent) : undefined;
    const span = api.trace.getTracer(TRACER).startSpan(
      `process ${job.jobType}`,
      {
        kind: api.SpanKind.CONSUMER,
        links: producer ? [{ context: producer }] : [],
        attributes: {
          'messaging.system': 'dataqueue',
          'messaging.operation.type': 'process',
          'messaging.destination.name': job.queue,
          'messaging.message.id': job.id,
          'dataqueue.job_type': job.jobType,
          'dataqueue.attempt': job.attempts,
        },
      },
      parent,
    );
    try {
      const result = await api.context.with(api.trace.setSpan(parent, span), work);
      const { outcome, error } = endOf(result);
      span.setAttribute('dataqueue.outcome', outcome);
      if (outcome === 'failed') fail(api, span, error);
      return result;
    } finally {
      span.end();
    }
  }
}

function fail(api: typeof OpenTelemetry, span: OpenTelemetry.Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({ code: api.SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}
