import type { ConcurrencyKeySpec } from '../core/concurrency-key.js';
import type { RuleLimits } from '../core/concurrency-rule.js';
import type { BackoffOptions, ResolvedDataQueueOptions } from '../core/data-queue-options.js';
import type { FairShareSpec } from '../core/fair-share.js';
import type { RegisteredHandler } from './handler-registry.js';

/**
 * A job type's effective settings: what a job of the type gets unless its enqueue says
 * otherwise. The handler's own app derives them from `@JobHandler` and its module options, and
 * publishes them (JobTypeCatalog); every other app reads them back, so a job's settings do not
 * depend on which process enqueued it.
 */
export interface JobTypeSettings {
  queue: string;
  priority: number;
  maxAttempts: number;
  timeoutMs: number | null;
  backoff: Required<BackoffOptions>;
  deadLetterJobType: string | null;
  /** `key` null: a function, which only the handler's own app can run. */
  concurrency: PublishedRule[];
  /** `'function'`: published from a function, which only the handler's own app can run. */
  fairShare: FairShareSpec | 'function' | null;
}

export type PublishedRule = RuleLimits & { key: ConcurrencyKeySpec | null };

export function settingsOfHandler({ options }: RegisteredHandler, moduleOptions: ResolvedDataQueueOptions): JobTypeSettings {
  return {
    queue: options.queue ?? 'default',
    priority: options.priority ?? 0,
    maxAttempts: options.maxAttempts ?? moduleOptions.defaultMaxAttempts,
    timeoutMs: options.timeoutMs ?? null,
    backoff: { ...moduleOptions.defaultBackoff, ...options.backoff },
    deadLetterJobType: options.deadLetterJobType ?? null,
    concurrency: options.concurrency === undefined ? [] : [options.concurrency].flat(),
    fairShare: options.fairShare ?? null,
  };
}

/** As stored in `job_types.settings`: functions cannot travel, so their keys become null. */
export function toPublished(settings: JobTypeSettings): JobTypeSettings {
  return {
    ...settings,
    concurrency: settings.concurrency.map((rule) => ({ ...rule, key: typeof rule.key === 'function' ? null : rule.key })),
    fairShare: typeof settings.fairShare === 'function' ? 'function' : settings.fairShare,
  };
}
