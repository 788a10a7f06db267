import type { BatchCallbackEvent } from '../core/batch-record.js';
import type { Batch } from '../core/batch.js';
import type { JobContext } from '../handlers/job-handler.interfaces.js';

/** What an `@OnBatch*` method receives beside the fresh `BatchRecord`. */
export interface BatchCallbackContext extends JobContext<BatchCallbackPayload> {
  event: BatchCallbackEvent;
  /** The batch's handle: `enqueue` on it starts the next stage. */
  batch: Batch;
}

/** Payload of the callback jobs DataQueue enqueues. */
export interface BatchCallbackPayload {
  batchId: string;
  event: BatchCallbackEvent;
  key: string;
}
