import type { BatchRecord } from './batch-record.js';
import type { CallerTransaction, JobToEnqueue } from './enqueue-options.js';
import type { EnqueueableJob } from './job-map.js';
import type { JobRecord } from './job-record.js';

/** The caller's transaction (`manager` or `client`): the jobs and the batch change commit with it. */
export interface BatchWriteOptions extends CallerTransaction {}

/** How jobs join a batch: `arm` is `enqueue` (callbacks fire once all have finished), `add` is not. */
export type AddJobsOptions = BatchWriteOptions & { arm: boolean; properties?: Record<string, unknown> };

/**
 * What a handle asks of the batch service. BatchService implements it; declaring it here keeps
 * the handle (which `JobContext.batch` names) free of everything above core.
 */
export interface BatchOperations {
  addJobs(batchId: string, jobs: JobToEnqueue[], options: AddJobsOptions): Promise<{ record: BatchRecord; jobs: JobRecord[] }>;
  update(batchId: string, properties: Record<string, unknown>, caller?: CallerTransaction): Promise<BatchRecord>;
  getRecord(id: string): Promise<BatchRecord | null>;
}

/**
 * A handle on one batch. `add` puts jobs in without arming the callbacks; `enqueue` adds jobs
 * and arms them: once every job has finished, `onFinish` (and `onSuccess` if none was
 * discarded) run. `enqueue` on a finished batch re-arms it for a next stage.
 */
export class Batch<Properties extends Record<string, unknown> = Record<string, unknown>> {
  constructor(
    private readonly service: BatchOperations,
    /** The batch as last read or written through this handle; `reload()` refreshes it. */
    public record: BatchRecord<Properties>,
  ) {}

  get id(): string {
    return this.record.id;
  }

  /** Adds jobs that run right away; does not arm the callbacks. */
  async add(jobs: EnqueueableJob[], options: BatchWriteOptions = {}): Promise<JobRecord[]> {
    return this.write(jobs, { ...options, arm: false });
  }

  /** Adds jobs (if any), merges `properties`, and arms the callbacks. */
  async enqueue(jobs: EnqueueableJob[] = [], options: BatchWriteOptions & { properties?: Partial<Properties> } = {}): Promise<JobRecord[]> {
    return this.write(jobs, { ...options, arm: true });
  }

  /** Merges `properties` into the batch's properties. */
  async update(change: { properties: Partial<Properties> }, options: BatchWriteOptions = {}): Promise<this> {
    this.record = (await this.service.update(this.id, change.properties, options)) as BatchRecord<Properties>;
    return this;
  }

  async reload(): Promise<this> {
    this.record = (await this.service.getRecord(this.id)) as BatchRecord<Properties>;
    return this;
  }

  private async write(
    jobs: JobToEnqueue[],
    options: BatchWriteOptions & { arm: boolean; properties?: Partial<Properties> },
  ): Promise<JobRecord[]> {
    const { record, jobs: added } = await this.service.addJobs(this.id, jobs, options);
    this.record = record as BatchRecord<Properties>;
    return added;
  }
}
