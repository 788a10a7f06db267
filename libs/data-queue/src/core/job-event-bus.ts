import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { OnJobEventDiscovery, type JobEvent, type JobEventName } from './job-events.js';

type Listener = (event: JobEvent) => unknown;

/** Finds `@OnJobEvent` methods at boot and calls them; listeners never block or break a job. */
@Injectable()
export class JobEventBus implements OnModuleInit {
  private readonly logger = new Logger('DataQueue');
  private readonly listeners = new Map<JobEventName, { name: string; run: Listener }[]>();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
  ) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as Record<string, Listener> | undefined;
      if (!instance || !wrapper.isDependencyTreeStatic()) continue;
      const prototype = Object.getPrototypeOf(instance);
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const events = this.discovery.getMetadataByDecorator(OnJobEventDiscovery, wrapper, method);
        for (const event of events ?? []) {
          const list = this.listeners.get(event) ?? [];
          list.push({ name: `${prototype.constructor.name}.${method}`, run: instance[method].bind(instance) });
          this.listeners.set(event, list);
        }
      }
    }
  }

  /**
   * Calls the event's listeners after the current call stack, each isolated from the others and
   * from the caller. Callers emit once the change is committed.
   */
  emit(event: JobEvent): void {
    const listeners = this.listeners.get(event.event);
    if (!listeners) return;
    // The worker goes on using the record it announces (ctx.job, the failure's retry decision):
    // listeners get a frozen copy, made only when someone listens.
    const copy = deepFreeze(structuredClone(event));
    for (const { name, run } of listeners) {
      Promise.resolve()
        .then(() => run(copy))
        .catch((error: unknown) =>
          this.logger.warn(`@OnJobEvent listener ${name} threw on ${event.event} of job ${event.job.id}: ${String(error)}`),
        );
    }
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}
