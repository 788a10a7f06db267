import type { DiscoveryService } from '@nestjs/core';
import type { ResolvedDataQueueOptions } from '../core/data-queue-options.js';

/**
 * The decorated classes that no module of this app provides, neither themselves nor a subclass
 * (Nest's discovery only sees providers, so a class missing from `providers` is silently ignored).
 */
export function unprovidedClasses<T>(decorated: ReadonlyMap<Function, T>, discovery: DiscoveryService): [Function, T][] {
  const provided = new Set<Function>();
  for (const wrapper of discovery.getProviders()) {
    // The token too: `overrideProvider(Handler).useClass(Fake)` still lists Handler.
    for (const type of [wrapper.token, wrapper.metatype]) if (typeof type === 'function') provided.add(type);
    const instance = wrapper.instance as object | null | undefined;
    if (instance && typeof instance === 'object') provided.add(instance.constructor);
  }
  const isProvided = (target: Function) =>
    [...provided].some((type) => type === target || (type.prototype !== undefined && type.prototype instanceof target));
  return [...decorated].filter(([target]) => !isProvided(target));
}

/** An `external` app with `strictJobTypes: false` is meant to lack handlers: its workers have them. */
export function isEnqueueOnly(options: ResolvedDataQueueOptions): boolean {
  return options.mode === 'external' && !options.strictJobTypes;
}
