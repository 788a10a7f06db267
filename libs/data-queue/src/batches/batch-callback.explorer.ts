import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { BatchCallbackEvent } from '../core/batch-record.js';
import type { ResolvedDataQueueOptions } from '../core/data-queue-options.js';
import { DATA_QUEUE_OPTIONS } from '../core/data-queue.constants.js';
import { decoratedMethods } from '../core/decorated-methods.js';
import { HandlerRegistry } from '../handlers/handler-registry.js';
import { isEnqueueOnly, unprovidedClasses } from '../handlers/unprovided-classes.js';
import { BATCH_CALLBACK_JOB_TYPE } from '../core/batch-record.js';
import {
  decoratedBatchCallbacks,
  OnBatchDiscardDiscovery,
  OnBatchFinishDiscovery,
  OnBatchSuccessDiscovery,
} from './batch-callback.decorators.js';
import { BatchCallbackHandler } from './batch-callback.handler.js';
import { BatchCallbackRegistry } from './batch-callback.registry.js';

const DECORATORS = [
  ['finish', OnBatchFinishDiscovery],
  ['success', OnBatchSuccessDiscovery],
  ['discard', OnBatchDiscardDiscovery],
] as const satisfies readonly (readonly [BatchCallbackEvent, unknown])[];

/** The `createBatch` option and the decorator of each event, as users write them. */
const OPTION: Record<BatchCallbackEvent, string> = { finish: 'onFinish', success: 'onSuccess', discard: 'onDiscard' };
const DECORATOR: Record<BatchCallbackEvent, string> = { finish: '@OnBatchFinish', success: '@OnBatchSuccess', discard: '@OnBatchDiscard' };

/**
 * Finds `@OnBatchFinish/Success/Discard` methods on any provider at boot, and once everything is
 * discovered logs what this app handles.
 */
@Injectable()
export class BatchCallbackExplorer implements OnModuleInit, OnApplicationBootstrap {
  private readonly logger = new Logger('DataQueue');
  private readonly found: { event: BatchCallbackEvent; key: string }[] = [];

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly callbacks: BatchCallbackRegistry,
    private readonly handlers: HandlerRegistry,
    private readonly callbackHandler: BatchCallbackHandler,
    @Inject(DATA_QUEUE_OPTIONS) private readonly options: ResolvedDataQueueOptions,
  ) {}

  onModuleInit(): void {
    for (const [event, decorator] of DECORATORS) {
      for (const { name, metadata: key, run } of decoratedMethods(this.discovery, this.scanner, decorator)) {
        this.callbacks.register({ event, key, name, run: run });
        this.found.push({ event, key });
      }
    }
    this.handlers.register({
      jobType: BATCH_CALLBACK_JOB_TYPE,
      options: {},
      instance: this.callbackHandler,
      name: BatchCallbackHandler.name,
    });
    this.reportUnprovided();
  }

  onApplicationBootstrap(): void {
    const jobTypes = this.handlers
      .all()
      .map((h) => h.jobType)
      .filter((type) => type !== BATCH_CALLBACK_JOB_TYPE)
      .sort();
    const callbacks = this.found.map(({ event, key }) => `${OPTION[event]} ${JSON.stringify(key)}`).sort();
    this.logger.log(
      `this app handles ${count(jobTypes.length, 'job type')}${jobTypes.length ? `: ${jobTypes.join(', ')}` : ''}; ` +
        `${count(callbacks.length, 'batch callback')}${callbacks.length ? `: ${callbacks.join(', ')}` : ''}`,
    );
  }

  /** As for job handlers: a warning, since the worker app may be the one meant to provide the class. */
  private reportUnprovided(): void {
    for (const [target, declared] of unprovidedClasses(decoratedBatchCallbacks(), this.discovery)) {
      const missing = declared.filter(({ event, key }) => !this.callbacks.get(event, key));
      if (missing.length === 0) continue; // other providers declare the same keys
      const methods = missing.map(({ event, key }) => `${DECORATOR[event]}(${JSON.stringify(key)})`).join(', ');
      if (isEnqueueOnly(this.options)) {
        this.logger.debug(`class ${target.name} (${methods}) is not provided in this enqueue-only app`);
        continue;
      }
      const rejected = this.options.strictJobTypes ? ' and createBatch rejects their keys (BatchOptionsInvalidError)' : '';
      this.logger.warn(
        `class ${target.name} has ${methods} but is not in any module's providers, so this app never runs those ` +
          `callbacks${rejected}: add ${target.name} to the providers of a module this app imports, unless only ` +
          `another app (your workers) should run them`,
      );
    }
  }
}

function count(n: number, noun: string): string {
  return n === 0 ? `no ${noun}s` : `${n} ${noun}${n === 1 ? '' : 's'}`;
}
