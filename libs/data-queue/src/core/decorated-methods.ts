import type { DiscoverableDecorator, DiscoveryService, MetadataScanner } from '@nestjs/core';

/** A provider method carrying a discoverable decorator, bound to its instance. */
export interface DecoratedMethod<Metadata> {
  /** `Class.method`, for logs and errors. */
  name: string;
  metadata: Metadata;
  run: (...args: unknown[]) => unknown;
}

/**
 * Every method of the app's (static, instantiated) providers decorated with `decorator`, in
 * discovery order: what each explorer walks at `onModuleInit`.
 */
export function decoratedMethods<Metadata>(
  discovery: DiscoveryService,
  scanner: MetadataScanner,
  decorator: DiscoverableDecorator<Metadata>,
): DecoratedMethod<Metadata>[] {
  const found: DecoratedMethod<Metadata>[] = [];
  for (const wrapper of discovery.getProviders()) {
    const instance = wrapper.instance as Record<string, (...args: unknown[]) => unknown> | undefined;
    if (!instance || !wrapper.isDependencyTreeStatic()) continue;
    const prototype = Object.getPrototypeOf(instance);
    for (const method of scanner.getAllMethodNames(prototype)) {
      const metadata = discovery.getMetadataByDecorator(decorator, wrapper, method);
      if (metadata === undefined) continue;
      found.push({ name: `${prototype.constructor.name}.${method}`, metadata, run: instance[method].bind(instance) });
    }
  }
  return found;
}
