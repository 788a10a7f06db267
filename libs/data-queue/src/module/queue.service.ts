import { Inject, Injectable } from '@nestjs/common';
import { BatchService } from '../batches/batch.service.js';
import { FlowService } from '../batches/flow.service.js';
import type { BatchRecord, CreateBatchOptions } from '../core/batch-record.js';
import type { Batch } from '../core/batch.js';
import type { CronEntryDefinition, CronEntryRecord } from '../core/cron-entry.js';
import type { ResolvedDataQueueOptions } from '../core/data-queue-options.js';
import { DATA_QUEUE_OPTIONS } from '../core/data-queue.constants.js';
import { JobNotFoundError, JobOptionsInvalidError, JobStateError } from '../core/data-queue.errors.js';
import type { CallerTransaction, EnqueueOptions, JobPage, JobUpdate, ListJobsFilter } from '../core/enqueue-options.js';
import { validateCallerTransaction, validateJobSettings } from '../core/job-settings.validation.js';
import type { DataQueueJobs, DeclaredJobType, EnqueueableJob, UndeclaredJobType } from '../core/job-map.js';
import { JobEventBus } from '../core/job-event-bus.js';
import { FlowBuilder, type FlowRecord } from '../core/flow.js';
import type { JobExecutionRecord, JobRecord } from '../core/job-record.js';
import { STORABLE_DATE, storableDate } from '../core/storable-date.js';
import { describeValue } from '../core/value-description.js';
import { idText, isJobId } from '../queue/ids.js';
import { JobInserter } from '../queue/job-inserter.js';
import { JobTracing } from '../queue/job-tracing.js';
import { decodeCursor, encodeCursor, normalizeListFilter } from '../queue/list-filter.js';
import { NewJobFactory } from '../queue/new-job.factory.js';
import { jsonProblem } from '../queue/payload.validation.js';
import { waitTokenProblem } from '../queue/wait-token.js';
import { CronService } from '../scheduling/cron/cron.service.js';
import { PauseService, type PauseRecord, type PauseTarget } from '../scheduling/pause.service.js';
import type { JobStore } from '../store/job-store.js';
import { QueueDatabase } from '../store/queue-database.js';
import { InlineRunner } from '../worker/inline-runner.js';

/** Enqueue, inspect and manage jobs. Injectable anywhere once `DataQueueModule` is imported. */
@Injectable()
export class QueueService {
  constructor(
    private readonly database: QueueDatabase,
    private readonly newJobs: NewJobFactory,
    private readonly inserter: JobInserter,
    private readonly inline: InlineRunner,
    private readonly batches: BatchService,
    private readonly pauses: PauseService,
    private readonly cron: CronService,
    @Inject(DATA_QUEUE_OPTIONS) private readonly options: ResolvedDataQueueOptions,
    private readonly events: JobEventBus,
    private readonly tracing: JobTracing,
    private readonly flows: FlowService,
  ) {}

  /**
   * Validates and inserts one job. With `options.manager` the job belongs to the caller's
   * transaction: workers see it (and are woken) only if it commits. Once the app declares its
   * jobs (`DataQueueJobs`), the payload is checked against its job type's at compile time.
   */
  async enqueue<T extends DeclaredJobType>(
    jobType: T,
    payload: DataQueueJobs[T],
    options?: EnqueueOptions,
  ): Promise<JobRecord<DataQueueJobs[T]>>;
  async enqueue<Payload = unknown>(jobType: UndeclaredJobType, payload: Payload, options?: EnqueueOptions): Promise<JobRecord<Payload>>;
  async enqueue(jobType: string, payload: unknown, options: EnqueueOptions = {}): Promise<JobRecord> {
    const [job] = await this.enqueueMany([{ jobType, payload, options }] as EnqueueableJob[], {
      manager: options?.manager,
      client: options?.client,
    });
    return job;
  }

  /** Validates every job first (all or nothing; errors name the index), then one INSERT. */
  async enqueueMany(jobs: EnqueueableJob[], caller?: CallerTransaction): Promise<JobRecord[]> {
    if (!Array.isArray(jobs)) throw new JobOptionsInvalidError('jobs', 'must be an array');
    const transaction = caller ?? {}; // null too
    validateCallerTransaction(transaction);
    const records = await this.tracing.inEnqueueSpan(jobs, async () =>
      this.inserter.enqueue(await this.newJobs.createMany(jobs), transaction),
    );
    if (this.options.mode !== 'inline') return records;
    const store = this.database.store.joining(transaction);
    const finished: JobRecord[] = [];
    for (const record of records) finished.push(await this.inline.run(record, store));
    return finished;
  }

  async getJob<Payload = unknown>(id: string): Promise<JobRecord<Payload> | null> {
    if (!isJobId(id)) return null;
    return (await this.database.store.jobs.get(String(id))) as JobRecord<Payload> | null;
  }

  /** The job's history: one record per finished attempt (duration, outcome, error), oldest first. */
  async getJobExecutions(id: string): Promise<JobExecutionRecord[]> {
    if (!isJobId(id)) return [];
    return this.database.store.jobs.executions(String(id));
  }

  /** Newest first. Pass `nextCursor` back as `cursor` for the next page. */
  async listJobs(filter: ListJobsFilter = {}): Promise<JobPage> {
    const query = normalizeListFilter(filter);
    const jobs = await this.database.store.jobs.list({
      ...query,
      beforeId: filter.cursor === undefined ? undefined : decodeCursor(filter.cursor),
    });
    const hasMore = jobs.length > query.limit;
    const page = hasMore ? jobs.slice(0, query.limit) : jobs;
    return { jobs: page, nextCursor: hasMore ? encodeCursor(page.at(-1)!.id) : null };
  }

  /** Cancels a blocked, pending, waiting, running (its `ctx.signal` aborts) or retrying job. */
  async cancelJob(id: string): Promise<JobRecord> {
    const cancelled = await this.act(id, 'cancel', ['blocked', 'pending', 'waiting', 'processing', 'failed (retrying)'], (jobs) =>
      jobs.cancel(id),
    );
    this.events.emit({ event: 'cancelled', job: cancelled, action: 'cancelJob' });
    return cancelled;
  }

  /** Runs a failed or cancelled job again, with a fresh attempt budget; re-opens its finished batch. */
  async retryJob(id: string): Promise<JobRecord> {
    const job = await this.act(id, 'retry', ['failed', 'cancelled'], (jobs) => jobs.retry(id));
    this.events.emit({ event: 'retried', job, action: 'retryJob' });
    return job;
  }

  /** Moves the start of a blocked, pending or retrying job (a blocked job's applies once it is released). */
  async rescheduleJob(id: string, runAt: Date | string): Promise<JobRecord> {
    const at = storableDate(runAt);
    if (!at) throw new JobOptionsInvalidError('runAt', `must be ${STORABLE_DATE} (got ${describeValue(runAt)})`);
    return this.act(id, 'reschedule', ['blocked', 'pending', 'failed (retrying)'], (jobs) => jobs.update(id, { runAt: at }));
  }

  /**
   * Changes the payload, priority or start of a pending or retrying job, in one statement that a
   * worker's claim cannot interleave: the update lands before the claim, or fails with
   * JobStateError. A new payload is checked as at enqueue, and may not change the job's
   * concurrency keys.
   */
  async updateJob(id: string, change: JobUpdate): Promise<JobRecord> {
    if (!isJobId(id)) throw new JobNotFoundError(idText(id));
    if (typeof change !== 'object' || change === null || Object.keys(change).length === 0) {
      throw new JobOptionsInvalidError('change', `must be an object with payload, priority or runAt (got ${describeValue(change)})`);
    }
    const unknown = Object.keys(change).find((field) => !['payload', 'priority', 'runAt'].includes(field));
    if (unknown !== undefined) throw new JobOptionsInvalidError(unknown, 'is not a field updateJob changes (payload, priority, runAt)');
    const { payload, ...settings } = { ...change };
    validateJobSettings(settings, {});
    const at = settings.runAt === undefined ? undefined : storableDate(settings.runAt)!;
    let payloadJson: string | undefined;
    if ('payload' in change) {
      const job = await this.database.store.jobs.get(String(id));
      if (!job) throw new JobNotFoundError(String(id));
      payloadJson = await this.newJobs.replacementPayload(job, payload);
    }
    return this.act(id, 'update', ['blocked', 'pending', 'failed (retrying)'], (jobs) =>
      jobs.update(id, { payloadJson, priority: settings.priority, runAt: at }),
    );
  }

  /** Deletes a job that is not running. False if there was no such job. */
  async deleteJob(id: string): Promise<boolean> {
    if (!isJobId(id)) return false;
    const deleted = await this.database.store.jobs.delete(String(id));
    if (deleted) {
      this.events.emit({ event: 'deleted', job: deleted, action: 'deleteJob' });
      return true;
    }
    const job = await this.database.store.jobs.get(String(id));
    if (job) throw new JobStateError(job.id, job.status, 'delete', ['anything but processing']);
    return false;
  }

  /** Starts a batch; see `Batch` for `add` / `enqueue`. With `manager` or `client`, inside the caller's transaction. */
  async createBatch(options: CreateBatchOptions = {}, caller: CallerTransaction = {}): Promise<Batch> {
    return this.batches.create(options, caller ?? {});
  }

  /**
   * Starts a flow: steps added with `.step(name, jobType, payload, { after })` are inserted by
   * `.run()` as one batch (these options) in one transaction, each step waiting for its `after`
   * steps. See docs/flows.md.
   */
  createFlow(options: CreateBatchOptions = {}): FlowBuilder {
    return new FlowBuilder(this.flows, options ?? {});
  }

  /** A flow's batch and steps, each with the names of the steps it runs after; null if there is no such batch. */
  async getFlow(id: string): Promise<FlowRecord | null> {
    return this.flows.get(id);
  }

  async getBatch(id: string): Promise<BatchRecord | null> {
    return this.batches.getRecord(id);
  }

  /** A handle on an existing batch, to add jobs or enqueue a next stage from anywhere. */
  async getBatchHandle(id: string): Promise<Batch | null> {
    const record = await this.batches.getRecord(id);
    return record && this.batches.handle(record);
  }

  /** Retries every discarded job of the batch (re-opening it). */
  async retryBatch(id: string): Promise<BatchRecord> {
    return this.batches.retry(id);
  }

  /** Cancels every unfinished job of the batch, which finishes it (`onDiscard`, `onFinish`). */
  async cancelBatch(id: string): Promise<BatchRecord> {
    return this.batches.cancel(id);
  }

  /**
   * Resumes every job waiting in `ctx.waitForToken(token)`, which returns `data`. Returns how
   * many jobs were waiting (0: none, or their wait timed out already).
   */
  async completeToken(token: string, data: unknown = null): Promise<number> {
    const tokenProblem = waitTokenProblem(token);
    if (tokenProblem) throw new JobOptionsInvalidError('token', tokenProblem);
    let dataJson: string;
    try {
      dataJson = JSON.stringify(data) ?? 'null';
    } catch (error) {
      throw new JobOptionsInvalidError('data', `must be JSON-serializable: ${(error as Error).message}`);
    }
    // The same rules as a payload's: nothing JSON would change silently or Postgres cannot store.
    const problem = jsonProblem(data, 'data');
    if (problem) throw new JobOptionsInvalidError('data', problem.message);
    return this.database.store.jobs.completeToken(token, dataJson);
  }

  /** Holds back every job of a queue, a job type or a tag: they stay pending until `resume`. */
  async pause(target: PauseTarget): Promise<void> {
    await this.pauses.pause(target);
  }

  async resume(target: PauseTarget): Promise<void> {
    await this.pauses.resume(target);
  }

  async listPauses(): Promise<PauseRecord[]> {
    return this.pauses.list();
  }

  /**
   * Creates or changes a runtime cron entry (a per-tenant schedule, say), stored in the database
   * and ticked by every process that runs cron; a change applies from its next tick, with no
   * catch-up of ticks before it. Checked like a declared entry, and its job like at enqueue. A
   * key declared in code is refused (CronEntryDeclaredInCodeError): a deploy owns it.
   */
  async upsertCron(definition: CronEntryDefinition): Promise<CronEntryRecord> {
    return this.cron.upsert(definition);
  }

  /**
   * Deletes a runtime cron entry: no process ticks it any more; jobs it enqueued already stay.
   * False if there was none. A key declared in code is refused (CronEntryDeclaredInCodeError).
   */
  async removeCron(key: string): Promise<boolean> {
    return this.cron.remove(key);
  }

  /** Every cron entry (of any process), with its next and last run. */
  async listCron(): Promise<CronEntryRecord[]> {
    return this.cron.list();
  }

  /** Enabling or disabling is shared: every process ticking the entry obeys at its next tick. */
  async enableCron(key: string): Promise<CronEntryRecord> {
    return this.cron.setEnabled(key, true);
  }

  async disableCron(key: string): Promise<CronEntryRecord> {
    return this.cron.setEnabled(key, false);
  }

  /** Enqueues the entry's job now (also when disabled). */
  async runCronNow(key: string): Promise<JobRecord> {
    return this.cron.runNow(key);
  }

  /** Runs a guarded action; when it matched nothing, says whether the job is missing or in the wrong state. */
  private async act(
    id: string,
    action: JobStateError['action'],
    allowedFrom: string[],
    apply: (jobs: JobStore) => Promise<JobRecord | null>,
  ): Promise<JobRecord> {
    if (!isJobId(id)) throw new JobNotFoundError(idText(id));
    const done = await apply(this.database.store.jobs);
    if (done) return done;
    const job = await this.database.store.jobs.get(String(id));
    if (!job) throw new JobNotFoundError(String(id));
    throw new JobStateError(job.id, job.status, action, allowedFrom);
  }
}
