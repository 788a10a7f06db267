import { Inject, Injectable } from '@nestjs/common';
import type { BatchCallbackEvent, BatchRecord, CreateBatchOptions } from '../core/batch-record.js';
import { Batch, type AddJobsOptions, type BatchOperations } from '../core/batch.js';
import type { ResolvedDataQueueOptions } from '../core/data-queue-options.js';
import { DATA_QUEUE_OPTIONS } from '../core/data-queue.constants.js';
import { BatchNotFoundError, BatchOptionsInvalidError } from '../core/data-queue.errors.js';
import { hasCallerTransaction, type CallerTransaction, type JobToEnqueue } from '../core/enqueue-options.js';
import { validateCallerTransaction } from '../core/job-settings.validation.js';
import { JobEventBus } from '../core/job-event-bus.js';
import { bucketOf } from '../core/job-states.js';
import type { JobRecord } from '../core/job-record.js';
import { isValidQueueName } from '../core/queue-name.js';
import { unstorableText } from '../core/storable-text.js';
import { idText, isUuid } from '../queue/ids.js';
import { NewJobFactory, type JobsToInsert } from '../queue/new-job.factory.js';
import { jsonProblem } from '../queue/payload.validation.js';
import { JobInserter } from '../queue/job-inserter.js';
import { JobTracing } from '../queue/job-tracing.js';
import { toBatchRecord } from '../store/batch-row.js';
import type { QueueStore } from '../store/queue-store.js';
import { QueueDatabase } from '../store/queue-database.js';
import { BatchCallbackRegistry } from './batch-callback.registry.js';
import { BatchTracker } from './batch-tracker.js';

const CALLBACK_OPTIONS: [keyof CreateBatchOptions, BatchCallbackEvent, string][] = [
  ['onFinish', 'finish', '@OnBatchFinish'],
  ['onSuccess', 'success', '@OnBatchSuccess'],
  ['onDiscard', 'discard', '@OnBatchDiscard'],
];

/** Creates batches, adds jobs to them, and runs the batch-wide operations. */
@Injectable()
export class BatchService implements BatchOperations {
  constructor(
    private readonly database: QueueDatabase,
    private readonly tracker: BatchTracker,
    private readonly newJobs: NewJobFactory,
    private readonly callbacks: BatchCallbackRegistry,
    @Inject(DATA_QUEUE_OPTIONS) private readonly options: ResolvedDataQueueOptions,
    private readonly inserter: JobInserter,
    private readonly tracing: JobTracing,
    private readonly events: JobEventBus,
  ) {}

  async create(options: CreateBatchOptions = {}, caller: CallerTransaction = {}): Promise<Batch> {
    this.validate(options);
    return this.createIn(this.storeFor(caller), options);
  }

  /** Creates a batch in `tx`, with options already validated (`validate`). */
  async createIn(tx: QueueStore, options: CreateBatchOptions): Promise<Batch> {
    const row = await tx.batches.insert({
      description: options.description ?? null,
      propertiesJson: JSON.stringify(options.properties ?? {}),
      onFinish: options.onFinish ?? null,
      onSuccess: options.onSuccess ?? null,
      onDiscard: options.onDiscard ?? null,
      callbackQueue: options.callbackQueue ?? null,
      callbackPriority: options.callbackPriority ?? null,
    });
    return new Batch(this, toBatchRecord(row));
  }

  handle(record: BatchRecord): Batch {
    return new Batch(this, record);
  }

  async getRecord(id: string): Promise<BatchRecord | null> {
    if (!isUuid(id)) return null;
    const row = await this.database.store.batches.get(id);
    return row && toBatchRecord(row);
  }

  /** Inserts jobs into the batch and updates its counters in one transaction; `arm` is `enqueue`. */
  async addJobs(batchId: string, jobs: JobToEnqueue[], options: AddJobsOptions): Promise<{ record: BatchRecord; jobs: JobRecord[] }> {
    if (!Array.isArray(jobs)) throw new BatchOptionsInvalidError('jobs', 'must be an array');
    this.validateProperties(options.properties);
    return this.tracing.inEnqueueSpan(jobs, () => this.insertJobs(batchId, jobs, options));
  }

  private async insertJobs(
    batchId: string,
    jobs: JobToEnqueue[],
    options: AddJobsOptions,
  ): Promise<{ record: BatchRecord; jobs: JobRecord[] }> {
    const toInsert = await this.newJobs.createMany(jobs, { batchId });
    const result = await this.storeFor(options).transaction((tx) => this.insertJobsIn(tx, batchId, toInsert, options));
    if (!hasCallerTransaction(options)) this.inserter.afterCommit(result.created);
    return { record: result.record, jobs: result.jobs };
  }

  /**
   * Inserts jobs made for the batch (`NewJobFactory.createMany` with its id) and updates its
   * counters, in `tx`; its owner calls `JobInserter.afterCommit` with `created` once committed.
   */
  async insertJobsIn(
    tx: QueueStore,
    batchId: string,
    toInsert: JobsToInsert,
    options: Omit<AddJobsOptions, keyof CallerTransaction>,
  ): Promise<{ record: BatchRecord; jobs: JobRecord[]; created: JobRecord[] }> {
    const { jobs: records, created } = await this.inserter.insertIn(tx, toInsert);
    const added = created.length;
    // A job whose dependency was already discarded can be created cancelled or failed.
    const discarded = created.filter((job) => bucketOf(job) === 'discarded').length;
    const record = await this.tracker.apply(
      tx,
      batchId,
      { total: added, pending: added - discarded, succeeded: 0, discarded },
      // `add` to a finished batch starts unarmed work: only a later `enqueue` fires callbacks again.
      { arm: options.arm, disarmIfFinished: !options.arm && added > 0, properties: options.properties },
    );
    return { record, jobs: records, created };
  }

  async update(batchId: string, properties: Record<string, unknown>, caller: CallerTransaction = {}): Promise<BatchRecord> {
    this.validateProperties(properties);
    return this.storeFor(caller).transaction((tx) => this.tracker.apply(tx, batchId, undefined, { properties }));
  }

  /** Retries every discarded job of the batch, re-opening it if it had finished. */
  async retry(batchId: string): Promise<BatchRecord> {
    const { record, jobs } = await this.database.store.transaction(async (tx) => {
      await this.mustExist(tx, batchId);
      const retried = await tx.batches.retryJobs(batchId);
      return { record: await this.mustExist(tx, batchId), jobs: retried };
    });
    for (const job of jobs) this.events.emit({ event: 'retried', job, action: 'retryBatch' });
    return record;
  }

  /**
   * Cancels every unfinished job of the batch (running ones are aborted) and so finishes it:
   * `onDiscard` and `onFinish` run. A batch never enqueued is armed so that it finishes.
   */
  async cancel(batchId: string): Promise<BatchRecord> {
    const { record, jobs } = await this.database.store.transaction(async (tx) => {
      const batch = await this.mustExist(tx, batchId);
      const cancelled = await tx.batches.cancelJobs(batchId);
      // Cancelling finishes the batch: one never enqueued is armed, after its jobs have moved.
      const record =
        batch.enqueuedAt === null ? await this.tracker.apply(tx, batchId, undefined, { arm: true }) : await this.mustExist(tx, batchId);
      return { record, jobs: cancelled };
    });
    for (const job of jobs) this.events.emit({ event: 'cancelled', job, action: 'cancelBatch' });
    return record;
  }

  private async mustExist(tx: QueueStore, batchId: string): Promise<BatchRecord> {
    const row = isUuid(batchId) ? await tx.batches.get(batchId) : null;
    if (!row) throw new BatchNotFoundError(idText(batchId));
    return toBatchRecord(row);
  }

  /** The caller's transaction, checked; the pool's store without one. */
  storeFor(caller: CallerTransaction): QueueStore {
    validateCallerTransaction(caller);
    return this.database.store.joining(caller);
  }

  /** Checks batch options (`createBatch`, `createFlow`). */
  validate(options: CreateBatchOptions): void {
    if (typeof options !== 'object' || options === null) throw new BatchOptionsInvalidError('options', 'must be an object');
    if (options.description !== undefined && (typeof options.description !== 'string' || options.description.length > 10_000)) {
      throw new BatchOptionsInvalidError('description', 'must be a string of at most 10,000 characters');
    }
    const descriptionProblem = options.description === undefined ? null : unstorableText(options.description);
    if (descriptionProblem) throw new BatchOptionsInvalidError('description', descriptionProblem);
    this.validateProperties(options.properties);
    for (const [field, event, decorator] of CALLBACK_OPTIONS) {
      const key = options[field];
      if (key === undefined) continue;
      if (typeof key !== 'string' || key.length === 0) throw new BatchOptionsInvalidError(field, 'must be a non-empty string');
      // Like job types: an enqueue-only app (strictJobTypes: false) may name callbacks only its workers have.
      if (this.options.strictJobTypes && !this.callbacks.get(event, key)) {
        throw new BatchOptionsInvalidError(field, `no provider has a ${decorator}(${JSON.stringify(key)}) method`);
      }
    }
    if (options.callbackQueue !== undefined && !isValidQueueName(options.callbackQueue)) {
      throw new BatchOptionsInvalidError('callbackQueue', 'must be 1-128 characters of letters, digits, _ . -');
    }
    const priority = options.callbackPriority;
    if (priority !== undefined && !(Number.isSafeInteger(priority) && Math.abs(priority) <= 2_147_483_647)) {
      throw new BatchOptionsInvalidError('callbackPriority', 'must be a 32-bit integer');
    }
  }

  private validateProperties(properties: unknown): void {
    if (properties === undefined) return;
    if (typeof properties !== 'object' || properties === null || Array.isArray(properties)) {
      throw new BatchOptionsInvalidError('properties', 'must be a plain object');
    }
    try {
      JSON.stringify(properties);
    } catch (error) {
      throw new BatchOptionsInvalidError('properties', `must be JSON-serializable: ${(error as Error).message}`);
    }
    const problem = jsonProblem(properties, 'properties');
    if (problem) throw new BatchOptionsInvalidError('properties', problem.message);
  }
}
