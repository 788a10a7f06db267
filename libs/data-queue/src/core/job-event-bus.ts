import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { decoratedMethods } from './decorated-methods.js';
import { callListeners, type EventListenerMethod } from './listener-calls.js';
import { OnJobEventDiscovery, type JobEvent, type JobEventName } from './job-events.js';

/** Hears every event as it is emitted, synchronously (the cross-process publisher). */
export type JobEventSink = (event: JobEvent) => void;

/** Finds `@OnJobEvent` methods at boot and calls them; listeners never block or break a job. */
@Injectable()
export class JobEventBus implements OnModuleInit {
  private readonly logger = new Logger('DataQueue');
  private readonly listeners = new Map<JobEventName, EventListenerMethod<JobEvent>[]>();
  private readonly sinks: JobEventSink[] = [];

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
  ) {}

  onModuleInit(): void {
    for (const { name, metadata: events, run } of decoratedMethods(this.discovery, this.scanner, OnJobEventDiscovery)) {
      for (const event of events) {
        const list = this.listeners.get(event) ?? [];
        list.push({ name: `@OnJobEvent listener ${name}`, run });
        this.listeners.set(event, list);
      }
    }
  }

  /** `sink` hears every event from now on; it must not throw nor keep the event (the worker still uses it). */
  forward(sink: JobEventSink): void {
    this.sinks.push(sink);
  }

  /**
   * Calls the event's listeners after the current call stack, each isolated from the others and
   * from the caller. Callers emit once the change is committed.
   */
  emit(event: JobEvent): void {
    for (const sink of this.sinks) sink(event);
    const listeners = this.listeners.get(event.event);
    if (!listeners) return;
    // The worker goes on using the record it announces (ctx.job, the failure's retry decision):
    // listeners get a copy, made only when someone listens.
    callListeners(this.logger, listeners, structuredClone(event), `${event.event} of job ${event.job.id}`);
  }
}
