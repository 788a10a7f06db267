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

  emit(event: JobEvent): void {
    for (const { name, run } of this.listeners.get(event.event) ?? []) {
      Promise.resolve()
        .then(() => run(event))
        .catch((error: unknown) => this.logger.warn(`@OnJobEvent listener ${name} threw on ${event.event} of job ${event.job.id}: ${String(error)}`));
    }
  }
}
