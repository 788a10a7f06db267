import { DiscoveryService } from '@nestjs/core';
import type { BatchCallbackEvent } from '../core/batch-record.js';

/** Discovery markers, one per event, so one method may carry several. Values are callback keys. */
export const OnBatchFinishDiscovery = DiscoveryService.createDecorator<string>();
export const OnBatchSuccessDiscovery = DiscoveryService.createDecorator<string>();
export const OnBatchDiscardDiscovery = DiscoveryService.createDecorator<string>();

export interface DecoratedBatchCallback {
  event: BatchCallbackEvent;
  key: string;
}

/**
 * The `@OnBatch*` declarations of every class loaded in this process. Discovery sees only
 * providers; this names the classes no module lists (see BatchCallbackExplorer).
 */
const decoratedClasses = new Map<Function, DecoratedBatchCallback[]>();

export function decoratedBatchCallbacks(): ReadonlyMap<Function, readonly DecoratedBatchCallback[]> {
  return decoratedClasses;
}

function recorded(event: BatchCallbackEvent, key: string, decorator: MethodDecorator): MethodDecorator {
  return (target, method, descriptor) => {
    const declaring = typeof target === 'function' ? target : target.constructor;
    decoratedClasses.set(declaring, [...(decoratedClasses.get(declaring) ?? []), { event, key }]);
    return decorator(target, method, descriptor);
  };
}

/** Runs (as a durable job) each time a batch with `onFinish: key` has finished all its jobs. */
export const OnBatchFinish = (key: string): MethodDecorator => recorded('finish', key, OnBatchFinishDiscovery(key));

/** Runs when a batch with `onSuccess: key` finishes with no discarded job. */
export const OnBatchSuccess = (key: string): MethodDecorator => recorded('success', key, OnBatchSuccessDiscovery(key));

/** Runs when the first job of a batch with `onDiscard: key` is discarded (failed for good or cancelled). */
export const OnBatchDiscard = (key: string): MethodDecorator => recorded('discard', key, OnBatchDiscardDiscovery(key));
