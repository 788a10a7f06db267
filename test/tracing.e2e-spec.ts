import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { JobHandler, QueueService } from '@dataqueue/nestjs';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { createTestApp, waitForFinalFailure, waitForStatus, type TestApp } from './support/test-app.js';
import { waitFor } from './support/wait-for.js';

const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
const tracer = () => trace.getTracer('test');

@Injectable()
@JobHandler('traced-signup')
class SignupHandler {
  constructor(private readonly queue: QueueService) {}

  async handle(payload: { user: string }): Promise<void> {
    // The handler's own spans and enqueues join the job's trace.
    await tracer().startActiveSpan('send welcome email', async (span) => {
      await this.queue.enqueue('traced-follow-up', payload, { delayMs: 0 });
      span.end();
    });
  }
}

@JobHandler('traced-follow-up')
class FollowUpHandler {
  handle(): void {}
}

@JobHandler('traced-failure', { maxAttempts: 1 })
class FailingHandler {
  handle(): void {
    throw new Error('no such user');
  }
}

const spanNamed = (name: string): ReadableSpan => {
  const span = exporter.getFinishedSpans().find((candidate) => candidate.name === name);
  if (!span)
    throw new Error(
      `no span "${name}" among: ${exporter
        .getFinishedSpans()
        .map((s) => s.name)
        .join(', ')}`,
    );
  return span;
};

describe('OpenTelemetry: one trace from the request that enqueues to the worker that runs, across apps', () => {
  let producer: TestApp;
  let worker: TestApp;

  beforeAll(async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(provider);
    worker = await createTestApp({ providers: [SignupHandler, FollowUpHandler, FailingHandler] });
    // Another app on the same queue, without the handlers: its spans reach the worker's only through the job.
    producer = await createTestApp({ options: { schema: worker.schema, mode: 'external', strictJobTypes: false } });
  });

  afterAll(async () => {
    await producer.close();
    await worker.close();
    await provider.shutdown();
    trace.disable();
    propagation.disable();
    context.disable();
  });

  it('links enqueue → process → the handler’s spans → the next enqueue → its process', async () => {
    const job = await tracer().startActiveSpan('POST /signups', async (request) => {
      try {
        return await producer.queue.enqueue('traced-signup', { user: 'ada' });
      } finally {
        request.end();
      }
    });
    await waitForStatus(worker.queue, job.id, 'completed');
    await waitFor('the follow-up ran', () =>
      Promise.resolve(exporter.getFinishedSpans().some((s) => s.name === 'process traced-follow-up')),
    );

    const request = spanNamed('POST /signups');
    const enqueue = spanNamed('enqueue traced-signup');
    const process = spanNamed('process traced-signup');
    const handlerSpan = spanNamed('send welcome email');
    const followUpEnqueue = spanNamed('enqueue traced-follow-up');
    const followUp = spanNamed('process traced-follow-up');
    const traceId = request.spanContext().traceId;
    for (const span of [enqueue, process, handlerSpan, followUpEnqueue, followUp]) expect(span.spanContext().traceId).toBe(traceId);

    expect(enqueue).toMatchObject({ kind: SpanKind.PRODUCER, parentSpanContext: { spanId: request.spanContext().spanId } });
    expect(process).toMatchObject({
      kind: SpanKind.CONSUMER,
      parentSpanContext: { spanId: enqueue.spanContext().spanId },
      links: [{ context: { spanId: enqueue.spanContext().spanId } }],
      attributes: {
        'messaging.system': 'dataqueue',
        'messaging.destination.name': 'default',
        'messaging.message.id': job.id,
        'dataqueue.job_type': 'traced-signup',
        'dataqueue.attempt': 1,
        'dataqueue.outcome': 'completed',
      },
    });
    expect(handlerSpan.parentSpanContext?.spanId).toBe(process.spanContext().spanId);
    expect(followUpEnqueue.parentSpanContext?.spanId).toBe(handlerSpan.spanContext().spanId);
    expect(followUp.parentSpanContext?.spanId).toBe(followUpEnqueue.spanContext().spanId);
  });

  it('marks a failed attempt’s span as an error, with the exception', async () => {
    const job = await producer.queue.enqueue('traced-failure', {});
    await waitForFinalFailure(worker.queue, job.id);
    await waitFor('the span ended', () => Promise.resolve(exporter.getFinishedSpans().some((s) => s.name === 'process traced-failure')));
    const span = spanNamed('process traced-failure');
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'no such user' });
    expect(span.events.map((event) => event.name)).toEqual(['exception']);
    expect(span.attributes['dataqueue.outcome']).toBe('failed');
  });
});
