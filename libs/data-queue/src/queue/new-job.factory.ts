import { Inject, Injectable } from '@nestjs/common';
import { JobOptionsInvalidError, JobTypeUnknownError } from '../errors/data-queue.errors.js';
import { ConcurrencyGate } from '../scheduling/concurrency/concurrency-gate.js';
import { HandlerRegistry } from '../handlers/handler-registry.js';
import { DATA_QUEUE_OPTIONS } from '../module/data-queue.constants.js';
import type { ResolvedDataQueueOptions } from '../module/data-queue-options.js';
import type { NewJob } from '../store/job-store.js';
import type { EnqueueOptions } from './enqueue-options.js';
import { isValidJobType, JOB_TYPE, validateJobSettings } from './job-settings.validation.js';
import { serializePayload, validatePayload } from './payload.validation.js';

/** Set when the job is added to a batch. */
export interface BatchLinks {
  batchId?: string;
}

/** Turns an enqueue call into a row to insert: validates it and applies handler and module defaults. */
@Injectable()
export class NewJobFactory {
  constructor(
    private readonly registry: HandlerRegistry,
    @Inject(DATA_QUEUE_OPTIONS) private readonly options: ResolvedDataQueueOptions,
    private readonly gate: ConcurrencyGate,
  ) {}

  /** `index` names the item of an `enqueueMany` call in errors. */
  async create(
    jobType: string,
    payload: unknown,
    options: EnqueueOptions = {},
    index?: number,
    links: BatchLinks = {},
  ): Promise<NewJob> {
    const context = { jobType, index };
    if (typeof jobType !== 'string' || !isValidJobType(jobType)) {
      throw new JobOptionsInvalidError('jobType', `must match ${JOB_TYPE} (got ${JSON.stringify(String(jobType).slice(0, 60))})`, undefined, index);
    }
    const handler = this.registry.get(jobType);
    if (!handler && this.options.strictJobTypes) throw new JobTypeUnknownError(jobType);
    validateJobSettings(options, context, ['manager']);
    const payloadJson = serializePayload(payload, context, this.options.maxPayloadBytes);
    if (handler?.options.payload) await validatePayload(handler.options.payload, payload, context);
    let concurrencyKeys: string[];
    try {
      concurrencyKeys = this.gate.keysFor(jobType, payload, options.tags ?? []);
    } catch (error) {
      throw new JobOptionsInvalidError('concurrency', `a key function threw: ${(error as Error).message}`, jobType, index);
    }
    return this.build(jobType, payloadJson, options, links, concurrencyKeys);
  }

  /**
   * A job DataQueue enqueues itself (a dead letter): never rejected, so the transaction that
   * records the final failure cannot fail because of it.
   */
  createTrusted(jobType: string, payload: unknown, options: EnqueueOptions = {}): NewJob {
    let concurrencyKeys: string[] = [];
    try {
      concurrencyKeys = this.gate.keysFor(jobType, payload, options.tags ?? []);
    } catch {
      // a key function that cannot read this payload just does not limit the job
    }
    return this.build(jobType, JSON.stringify(payload), options, {}, concurrencyKeys);
  }

  private build(
    jobType: string,
    payloadJson: string,
    options: EnqueueOptions,
    links: BatchLinks,
    concurrencyKeys: string[],
  ): NewJob {
    const defaults = this.registry.get(jobType)?.options ?? {};
    return {
      jobType,
      queue: options.queue ?? defaults.queue ?? 'default',
      payloadJson,
      priority: options.priority ?? defaults.priority ?? 0,
      runAt: options.runAt === undefined ? null : new Date(options.runAt),
      delayMs: options.delayMs ?? 0,
      maxAttempts: options.maxAttempts ?? defaults.maxAttempts ?? this.options.defaultMaxAttempts,
      timeoutMs: options.timeoutMs ?? defaults.timeoutMs ?? null,
      tags: options.tags ?? [],
      idempotencyKey: options.idempotencyKey ?? null,
      deadLetterJobType: options.deadLetterJobType ?? null,
      batchId: links.batchId ?? null,
      batchCallbackId: null, // callback jobs are inserted by the batch bookkeeping SQL
      concurrencyKeys,
    };
  }
}
