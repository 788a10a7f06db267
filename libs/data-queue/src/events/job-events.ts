import { DiscoveryService } from '@nestjs/core';
import type { FailureReason, JobRecord } from '../queue/job-record.js';

/** Moments of a job's life, announced in the process where they happen. */
export type JobEventName = 'started' | 'completed' | 'failed' | 'waiting';

export interface JobEvent {
  event: JobEventName;
  /** The job as claimed for the attempt (status then: processing). */
  job: JobRecord;
  /** For `failed`: why, and whether another attempt is scheduled. */
  failure?: { reason: FailureReason; message: string; willRetry: boolean };
  /** For `completed`, `failed` and `waiting`: how long the attempt ran, as this process measured it. */
  durationMs?: number;
}

export const OnJobEventDiscovery = DiscoveryService.createDecorator<JobEventName[]>();

/**
 * Subscribes a provider method to job lifecycle events of this process (for logging, alerting,
 * metrics): `@OnJobEvent('failed') alert(event: JobEvent) { … }`. A listener that throws is
 * logged and never affects the job.
 */
export const OnJobEvent = (...events: JobEventName[]): MethodDecorator => OnJobEventDiscovery(events);
