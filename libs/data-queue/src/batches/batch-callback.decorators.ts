import { DiscoveryService } from '@nestjs/core';

/** Discovery markers, one per event, so one method may carry several. Values are callback keys. */
export const OnBatchFinishDiscovery = DiscoveryService.createDecorator<string>();
export const OnBatchSuccessDiscovery = DiscoveryService.createDecorator<string>();
export const OnBatchDiscardDiscovery = DiscoveryService.createDecorator<string>();

/** Runs (as a durable job) each time a batch with `onFinish: key` has finished all its jobs. */
export const OnBatchFinish = (key: string): MethodDecorator => OnBatchFinishDiscovery(key);

/** Runs when a batch with `onSuccess: key` finishes with no discarded job. */
export const OnBatchSuccess = (key: string): MethodDecorator => OnBatchSuccessDiscovery(key);

/** Runs when the first job of a batch with `onDiscard: key` is discarded (failed for good or cancelled). */
export const OnBatchDiscard = (key: string): MethodDecorator => OnBatchDiscardDiscovery(key);
