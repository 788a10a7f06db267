import { DiscoveryService } from '@nestjs/core';
import type { JobEventAction, JobEventName } from './job-events.js';
import type { FailureReason } from './job-record.js';

/**
 * A job event as every process hears it (`@OnQueueEvent`), whichever process made it happen: the
 * facts of the move, not the job's payload or output (read those with `getJob(jobId)`).
 */
export interface QueueEvent {
  event: JobEventName;
  jobId: string;
  jobType: string;
  queue: string;
  batchId: string | null;
  /** Attempts made so far, the one this event is about included. */
  attempts: number;
  /** For `failed`: as in `JobEvent`, with the message cut to 1,000 characters. */
  failure?: { reason: FailureReason; message: string; willRetry: boolean };
  /** For `completed`, `waiting` and the `failed` of an attempt: how long it ran. */
  durationMs?: number;
  /** For `cancelled`, `retried` and `deleted`: the QueueService call that did it. */
  action?: JobEventAction;
  /** When the process that made the move announced it, by its clock. */
  at: Date;
  /** That process: host name and pid. */
  by: string;
}

/** Which events a subscriber hears: only these job types (default: every one). */
export interface QueueEventFilter {
  jobTypes?: string[];
}

/** What one `@OnQueueEvent` method asked for. */
export interface QueueEventSubscription {
  events: JobEventName[];
  jobTypes: string[] | null;
}

export const OnQueueEventDiscovery = DiscoveryService.createDecorator<QueueEventSubscription>();

/**
 * Subscribes a provider method to job events of every process on the schema, this one included:
 * `@OnQueueEvent('completed', 'failed') track(event: QueueEvent) { … }`, optionally
 * `@OnQueueEvent('failed', { jobTypes: ['email'] })`. Delivery is at most once, in each
 * publishing process's order (see docs/jobs.md, "Events from every process").
 */
export function OnQueueEvent(...args: [...JobEventName[], QueueEventFilter] | JobEventName[]): MethodDecorator {
  const last = args.at(-1);
  const filter = typeof last === 'object' ? last : undefined;
  const events = (filter ? args.slice(0, -1) : args) as JobEventName[];
  return OnQueueEventDiscovery({ events, jobTypes: filter?.jobTypes ?? null });
}

/** Whether a subscription asks for this event of this job type. */
export function subscribesTo({ events, jobTypes }: QueueEventSubscription, event: JobEventName, jobType: string): boolean {
  return events.includes(event) && (jobTypes === null || jobTypes.includes(jobType));
}
