import { Injectable } from '@nestjs/common';
import type { BatchCallbackEvent } from '../core/batch-record.js';
import type { BatchRecord } from '../core/batch-record.js';
import { DuplicateBatchCallbackError } from '../core/data-queue.errors.js';
import type { BatchCallbackContext } from './batch-callback-context.js';

export type BatchCallbackMethod = (batch: BatchRecord, ctx: BatchCallbackContext) => unknown;

export interface RegisteredBatchCallback {
  event: BatchCallbackEvent;
  key: string;
  /** `Class.method`, for messages. */
  name: string;
  run: BatchCallbackMethod;
}

/** The `@OnBatch*` methods of this application, by event and key, filled at boot. */
@Injectable()
export class BatchCallbackRegistry {
  private readonly callbacks = new Map<string, RegisteredBatchCallback>();

  register(callback: RegisteredBatchCallback): void {
    const id = `${callback.event}:${callback.key}`;
    const existing = this.callbacks.get(id);
    if (existing) throw new DuplicateBatchCallbackError(callback.event, callback.key, [existing.name, callback.name]);
    this.callbacks.set(id, callback);
  }

  get(event: BatchCallbackEvent, key: string): RegisteredBatchCallback | undefined {
    return this.callbacks.get(`${event}:${key}`);
  }
}
