import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ResolvedDataQueueOptions } from '../core/data-queue-options.js';
import { DATA_QUEUE_OPTIONS } from '../core/data-queue.constants.js';
import {
  DataQueueError,
  FairKeyUnavailableError,
  JobOptionsInvalidError,
  JobTypeNotPublishedError,
  JobTypeUnknownError,
} from '../core/data-queue.errors.js';
import type { EnqueueOptions, JobReference, JobToEnqueue } from '../core/enqueue-options.js';
import { DEFAULT_FAIR_SHARE, fairShareOf, type FairShare } from '../core/fair-share.js';
import type { JobRecord } from '../core/job-record.js';
import {
  DEPENDENCY_OPTIONS,
  FAIR_SHARE_OPTIONS,
  IDEMPOTENCY_OPTIONS,
  isValidJobType,
  JOB_TYPE,
  validateDependencyOptions,
  validateFairShareOptions,
  validateIdempotencyOptions,
  validateJobSettings,
} from '../core/job-settings.validation.js';
import { describeValue } from '../core/value-description.js';
import { HandlerRegistry } from '../handlers/handler-registry.js';
import { JobTypeCatalog } from '../handlers/job-type-catalog.js';
import type { JobTypeSettings } from '../handlers/job-type-settings.js';
import { ConcurrencyGate } from './concurrency-gate.js';
import { JobTracing } from './job-tracing.js';
import type { NewJob, TraceCarrier } from '../store/job-row.js';
import { serializePayload, validatePayload } from './payload.validation.js';

/** Rows to insert, with the payloads they were made from (keyed concurrency rules read them). */
export interface JobsToInsert {
  rows: NewJob[];
  payloads: unknown[];
}

/** Set when the job is added to a batch. */
export interface BatchLinks {
  batchId?: string;
}

/** What every job of one call shares: its batch, and the trace context it was made in. */
type SharedByCall = BatchLinks & { traceContext: TraceCarrier | null };

/**
 * Turns an enqueue call into a row to insert: validates it and applies the job type's settings
 * (JobTypeCatalog: this app's handler, or the settings its app published) and module defaults.
 */
@Injectable()
export class NewJobFactory {
  private readonly logger = new Logger('DataQueue');

  constructor(
    private readonly registry: HandlerRegistry,
    private readonly catalog: JobTypeCatalog,
    @Inject(DATA_QUEUE_OPTIONS) private readonly options: ResolvedDataQueueOptions,
    private readonly gate: ConcurrencyGate,
    private readonly tracing: JobTracing,
  ) {}

  /** Every job of an `enqueueMany` or batch add, validated first (all or nothing; errors name the index). */
  async createMany(jobs: JobToEnqueue[], links: BatchLinks = {}): Promise<JobsToInsert> {
    // Array.from visits the holes of a sparse array too (as undefined), which map and flatMap skip.
    const items = Array.from(jobs);
    await this.catalog.load(items.flatMap((job) => (typeof job?.jobType === 'string' && isValidJobType(job.jobType) ? [job.jobType] : [])));
    const many = items.length > 1;
    // One enqueue call, one context: every job of it carries the same trace context.
    const shared = { ...links, traceContext: this.tracing.carrier() };
    const rows = await Promise.all(
      items.map((job, index) => this.create(job?.jobType, job?.payload, job?.options, many ? index : undefined, shared)),
    );
    return { rows, payloads: items.map((job) => job.payload) };
  }

  /** `index` names the item of an `enqueueMany` call in errors. Call after `catalog.load`. */
  private async create(
    jobType: string,
    payload: unknown,
    given: EnqueueOptions = {},
    index: number | undefined,
    shared: SharedByCall,
  ): Promise<NewJob> {
    const context = { jobType, index };
    if (typeof jobType !== 'string' || !isValidJobType(jobType)) {
      throw new JobOptionsInvalidError('jobType', `must match ${JOB_TYPE} (got ${describeValue(jobType)})`, undefined, index);
    }
    if (typeof given !== 'object' || given === null || Array.isArray(given)) {
      throw new JobOptionsInvalidError('options', `must be an object (got ${describeValue(given)})`, jobType, index);
    }
    // Own fields only: an inherited one would skip validation and still be read below.
    const options: EnqueueOptions = { ...given };
    const handler = this.registry.get(jobType);
    if (!handler && this.options.strictJobTypes) throw new JobTypeUnknownError(jobType);
    const settings = this.catalog.get(jobType);
    if (!settings) throw new JobTypeNotPublishedError(jobType, this.options.schema);
    validateJobSettings(options, context, ['manager', 'client', ...IDEMPOTENCY_OPTIONS, ...DEPENDENCY_OPTIONS, ...FAIR_SHARE_OPTIONS]);
    validateIdempotencyOptions(options, context);
    validateFairShareOptions(options, context);
    const dependsOn = validateDependencyOptions(options, context);
    const payloadJson = await this.checkedPayload(jobType, payload, index);
    const concurrencyKeys = this.concurrencyKeys(jobType, payload, options.tags ?? [], index);
    const share = this.fairShare(jobType, payload, options, settings, index);
    return {
      ...this.build(jobType, payloadJson, options, shared, concurrencyKeys, settings, share),
      ...dependenciesOf(dependsOn, options),
    };
  }

  /**
   * A new payload for a job (`updateJob`), checked as at enqueue. It may not change the job's
   * concurrency keys: the job was admitted under its keys, and a limit counts it there.
   */
  async replacementPayload(job: JobRecord, payload: unknown): Promise<string> {
    await this.catalog.load([job.jobType]);
    const payloadJson = await this.checkedPayload(job.jobType, payload, undefined);
    const keys = this.concurrencyKeys(job.jobType, payload, job.tags, undefined);
    if (keys.join('\n') !== job.concurrencyKeys.join('\n')) {
      const change = `${JSON.stringify(job.concurrencyKeys)} to ${JSON.stringify(keys)}`;
      throw new JobOptionsInvalidError(
        'payload',
        `would change the job's concurrency keys (${change}); enqueue a new job instead`,
        job.jobType,
      );
    }
    return payloadJson;
  }

  /** The payload as stored JSON, within the size limit and valid for the handler's DTO (when this app has the handler). */
  private async checkedPayload(jobType: string, payload: unknown, index: number | undefined): Promise<string> {
    const context = { jobType, index };
    const payloadJson = serializePayload(payload, context, this.options.maxPayloadBytes);
    const dto = this.registry.get(jobType)?.options.payload;
    if (dto) await validatePayload(dto, payload, context);
    return payloadJson;
  }

  private concurrencyKeys(jobType: string, payload: unknown, tags: string[], index: number | undefined): string[] {
    try {
      return this.gate.keysFor(jobType, payload, tags);
    } catch (error) {
      if (error instanceof DataQueueError) throw error;
      const reason = error instanceof Error ? error.message : describeValue(error);
      throw new JobOptionsInvalidError('concurrency', `a key function threw: ${reason}`, jobType, index);
    }
  }

  /**
   * The job's fair share: `fairKey` (and `fairWeight`) given, else what the type's `fairShare`
   * derives, else the default key. A weight needs a key to weigh.
   */
  private fairShare(
    jobType: string,
    payload: unknown,
    options: EnqueueOptions,
    settings: JobTypeSettings,
    index: number | undefined,
  ): FairShare {
    const derived = options.fairKey === undefined ? this.derivedFairShare(jobType, payload, options.tags ?? [], settings, index) : null;
    const key = options.fairKey ?? derived?.key ?? '';
    if (key === '') {
      if (options.fairWeight !== undefined) {
        throw new JobOptionsInvalidError('fairWeight', 'weighs a fair key, and this job has none (give fairKey)', jobType, index);
      }
      return DEFAULT_FAIR_SHARE;
    }
    return { key, weight: options.fairWeight ?? derived?.weight ?? 1 };
  }

  private derivedFairShare(
    jobType: string,
    payload: unknown,
    tags: string[],
    settings: JobTypeSettings,
    index: number | undefined,
  ): FairShare {
    const spec = settings.fairShare ?? null; // settings published before fair share have none
    if (spec === null) return DEFAULT_FAIR_SHARE;
    if (spec === 'function') throw new FairKeyUnavailableError(jobType);
    try {
      return fairShareOf(spec, payload, { jobType, tags });
    } catch (error) {
      throw new JobOptionsInvalidError('fairShare', (error as Error).message, jobType, index);
    }
  }

  /**
   * A job DataQueue enqueues itself (a cron tick, a dead letter): never rejected, so the
   * transaction that records a final failure cannot fail because of it. A type nobody has
   * published yet gets the module's defaults, with a warning.
   */
  async createTrusted(jobType: string, payload: unknown, options: EnqueueOptions = {}): Promise<NewJob> {
    await this.catalog.load([jobType]);
    const settings = this.catalog.get(jobType);
    if (!settings) this.logger.warn(`job type "${jobType}": no settings published yet; enqueued with the module's defaults`);
    let concurrencyKeys: string[] = [];
    try {
      concurrencyKeys = this.gate.keysFor(jobType, payload, options.tags ?? []);
    } catch {
      // a key this process cannot derive just does not limit the job at enqueue
    }
    let share = DEFAULT_FAIR_SHARE;
    try {
      if (settings) share = this.fairShare(jobType, payload, options, settings, undefined);
    } catch {
      // nor does a fair key it cannot derive: the job shares the default key
    }
    const traced = { traceContext: this.tracing.carrier() };
    return this.build(jobType, JSON.stringify(payload), options, traced, concurrencyKeys, settings, share);
  }

  private build(
    jobType: string,
    payloadJson: string,
    options: EnqueueOptions,
    shared: SharedByCall,
    concurrencyKeys: string[],
    settings: JobTypeSettings | undefined,
    share: FairShare,
  ): NewJob {
    return {
      jobType,
      queue: options.queue ?? settings?.queue ?? 'default',
      payloadJson,
      priority: options.priority ?? settings?.priority ?? 0,
      runAt: options.runAt === undefined ? null : new Date(options.runAt),
      delayMs: options.debounceMs ?? options.delayMs ?? 0,
      maxAttempts: options.maxAttempts ?? settings?.maxAttempts ?? this.options.defaultMaxAttempts,
      timeoutMs: options.timeoutMs ?? settings?.timeoutMs ?? null,
      tags: options.tags ?? [],
      idempotencyKey: options.idempotencyKey ?? null,
      idempotencyWindow: options.idempotencyWindow ?? null,
      replacesPending: options.onDuplicate === 'replace' || options.debounceMs !== undefined,
      deadLetterJobType: options.deadLetterJobType ?? settings?.deadLetterJobType ?? null,
      batchId: shared.batchId ?? null,
      batchCallbackId: null, // callback jobs are inserted by the batch bookkeeping SQL
      concurrencyKeys,
      fairKey: share.key,
      fairWeight: share.weight,
      traceContext: shared.traceContext,
      dependsOn: [],
      onDependencyFailure: null,
    };
  }
}

/** A job's dependencies as the insert takes them; the rule defaults to 'cancel'. */
function dependenciesOf(dependsOn: JobReference[], options: EnqueueOptions): Pick<NewJob, 'dependsOn' | 'onDependencyFailure'> {
  if (dependsOn.length === 0) return { dependsOn, onDependencyFailure: null };
  return { dependsOn, onDependencyFailure: options.onDependencyFailure ?? 'cancel' };
}
