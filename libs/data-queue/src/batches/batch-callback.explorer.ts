import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { HandlerRegistry } from '../handlers/handler-registry.js';
import { BatchCallbackHandler } from './batch-callback.handler.js';
import { BATCH_CALLBACK_JOB_TYPE } from './batch-callback-context.js';
import {
  OnBatchDiscardDiscovery,
  OnBatchFinishDiscovery,
  OnBatchSuccessDiscovery,
} from './batch-callback.decorators.js';
import { BatchCallbackRegistry, type BatchCallbackMethod } from './batch-callback.registry.js';
import type { BatchCallbackEvent } from './batch-record.js';

const DECORATORS = [
  ['finish', OnBatchFinishDiscovery],
  ['success', OnBatchSuccessDiscovery],
  ['discard', OnBatchDiscardDiscovery],
] as const satisfies readonly (readonly [BatchCallbackEvent, unknown])[];

/** Finds `@OnBatchFinish/Success/Discard` methods on any provider at boot. */
@Injectable()
export class BatchCallbackExplorer implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly callbacks: BatchCallbackRegistry,
    private readonly handlers: HandlerRegistry,
    private readonly callbackHandler: BatchCallbackHandler,
  ) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || !wrapper.isDependencyTreeStatic()) continue;
      const prototype = Object.getPrototypeOf(instance);
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        for (const [event, decorator] of DECORATORS) {
          const key = this.discovery.getMetadataByDecorator(decorator, wrapper, method);
          if (key === undefined) continue;
          const run = (instance[method] as BatchCallbackMethod).bind(instance);
          this.callbacks.register({ event, key, name: `${prototype.constructor.name}.${method}`, run });
        }
      }
    }
    this.handlers.register({
      jobType: BATCH_CALLBACK_JOB_TYPE,
      options: {},
      instance: this.callbackHandler,
      name: BatchCallbackHandler.name,
    });
  }
}
