import { Inject, Injectable } from '@nestjs/common';
import type { ResolvedDataQueueOptions } from '../core/data-queue-options.js';
import { DATA_QUEUE_OPTIONS } from '../core/data-queue.constants.js';
import type { FailureReason, JobRecord } from '../core/job-record.js';
import { toStorableText } from '../core/storable-text.js';
import { JobTypeCatalog } from '../handlers/job-type-catalog.js';
import type { RunFence } from '../store/attempt-store.js';
import type { QueueStore } from '../store/queue-store.js';
import { retryDelayMs } from './backoff.js';

/** Records a failed attempt: error history, and the next attempt's time or final failure (a dead letter follows it, see DeadLetterRouter). */
@Injectable()
export class FailureRecorder {
  constructor(
    private readonly catalog: JobTypeCatalog,
    @Inject(DATA_QUEUE_OPTIONS) private readonly options: ResolvedDataQueueOptions,
  ) {}

  async record(store: QueueStore, job: JobRecord, fence: RunFence, error: unknown, reason: FailureReason): Promise<void> {
    const backoff = this.catalog.get(job.jobType)?.backoff ?? this.options.defaultBackoff;
    const entry = { ...describeError(error), attempt: job.attempts, reason };
    await store.attempts.fail(fence, entry, retryDelayMs(job.attempts, backoff));
  }
}

/** Handlers may throw anything; history entries always get a message Postgres can store. */
function describeError(error: unknown): { message: string; name?: string; stack?: string } {
  if (error instanceof Error) {
    const text = (value: unknown) => (typeof value === 'string' ? toStorableText(value) : undefined);
    return { message: text(error.message) ?? String(error.message), name: text(error.name), stack: text(error.stack) };
  }
  let message: string;
  try {
    message = typeof error === 'string' ? error : (JSON.stringify(error) ?? String(error));
  } catch {
    message = String(error);
  }
  return { message: toStorableText(`non-Error thrown: ${message}`) };
}
