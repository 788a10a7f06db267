import { DataQueueOptionsInvalidError } from '../core/data-queue.errors.js';
import { resolveHostAccess, type ResolvedHostAccess } from '../http/host-access.js';
import type { DataQueueMetricsOptions } from './metrics-options.js';

export type ResolvedMetricsOptions = ResolvedHostAccess & Required<Pick<DataQueueMetricsOptions, 'fairKeysPerQueue'>>;

export const MAX_FAIR_KEYS_PER_QUEUE = 100;

/** Checks the metrics options at boot; a bad one fails startup naming it (`metrics.public`, …). */
export function resolveMetricsOptions(options: DataQueueMetricsOptions = {}): ResolvedMetricsOptions {
  const { fairKeysPerQueue = 10 } = options;
  const access = resolveHostAccess(options, 'metrics');
  if (!Number.isInteger(fairKeysPerQueue) || fairKeysPerQueue < 0 || fairKeysPerQueue > MAX_FAIR_KEYS_PER_QUEUE) {
    throw new DataQueueOptionsInvalidError('metrics.fairKeysPerQueue', `must be an integer from 0 to ${MAX_FAIR_KEYS_PER_QUEUE}`);
  }
  return { ...access, fairKeysPerQueue };
}
