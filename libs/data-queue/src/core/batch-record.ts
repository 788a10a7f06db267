/** Job type of batch callback jobs; handled by DataQueue itself. */
export const BATCH_CALLBACK_JOB_TYPE = 'dataqueue.batch-callback';

/** Which batch callback a callback job runs. */
export type BatchCallbackEvent = 'finish' | 'success' | 'discard';

export interface BatchCounts {
  total: number;
  /** Not finished yet: pending, running, waiting or retrying. */
  pending: number;
  succeeded: number;
  /** Failed for good or cancelled. */
  discarded: number;
}

/** A batch as stored (the attributes of GoodJob's batch page), camelCased. */
export interface BatchRecord<Properties extends Record<string, unknown> = Record<string, unknown>> {
  id: string;
  createdAt: Date;
  updatedAt: Date;
  description: string | null;
  properties: Properties;
  onFinish: string | null;
  onSuccess: string | null;
  onDiscard: string | null;
  callbackQueueName: string | null;
  callbackPriority: number | null;
  /** Armed: callbacks fire once every job has finished. */
  enqueuedAt: Date | null;
  /** First discarded job of the current cycle. */
  discardedAt: Date | null;
  /** Every job finished (callbacks enqueued). */
  jobsFinishedAt: Date | null;
  /** Every job and every callback job finished. */
  finishedAt: Date | null;
  counts: BatchCounts;
}

export interface CreateBatchOptions {
  description?: string;
  properties?: Record<string, unknown>;
  /** Key of `@OnBatchFinish(key)` methods: run whenever the batch finishes. */
  onFinish?: string;
  /** Key of `@OnBatchSuccess(key)` methods: run when it finishes with no discarded job. */
  onSuccess?: string;
  /** Key of `@OnBatchDiscard(key)` methods: run when its first job is discarded. */
  onDiscard?: string;
  /** Queue of the callback jobs, default `default`. */
  callbackQueue?: string;
  callbackPriority?: number;
}
