import { Injectable } from '@nestjs/common';
import { BatchNotFoundError, DataQueueError } from '../core/data-queue.errors.js';
import type { JobContext, JobHandlerInstance } from '../handlers/job-handler.interfaces.js';
import type { BatchCallbackContext, BatchCallbackPayload } from './batch-callback-context.js';
import { BatchCallbackRegistry } from './batch-callback.registry.js';
import { BatchService } from './batch.service.js';

/** Runs batch callback jobs: calls the `@OnBatch*` method with the fresh batch record. */
@Injectable()
export class BatchCallbackHandler implements JobHandlerInstance<BatchCallbackPayload> {
  constructor(
    private readonly batches: BatchService,
    private readonly callbacks: BatchCallbackRegistry,
  ) {}

  async handle(payload: BatchCallbackPayload, ctx: JobContext<BatchCallbackPayload>): Promise<unknown> {
    const { batchId, event, key } = payload;
    const callback = this.callbacks.get(event, key);
    if (!callback)
      throw new DataQueueError(
        `batch ${batchId}: no @OnBatch${event[0].toUpperCase()}${event.slice(1)}("${key}") method in this application`,
      );
    const record = await this.batches.getRecord(batchId);
    if (!record) throw new BatchNotFoundError(batchId);
    const batch = this.batches.handle(record);
    // A view of ctx with the callback's fields added; its methods still act on the running job.
    const callbackCtx: BatchCallbackContext = Object.assign(Object.create(ctx) as JobContext<BatchCallbackPayload>, { event, batch });
    return callback.run(record, callbackCtx);
  }
}
