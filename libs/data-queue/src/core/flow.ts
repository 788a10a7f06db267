import type { Batch } from './batch.js';
import type { BatchRecord, CreateBatchOptions } from './batch-record.js';
import type { CallerTransaction, EnqueueOptions } from './enqueue-options.js';
import type { JobRecord } from './job-record.js';

/** The most steps one flow may have. */
export const MAX_FLOW_STEPS = 10_000;

/** What a step runs after: another step of the flow by name, or an existing job by id or idempotency key. */
export type StepDependency = string | { jobId: string } | { idempotencyKey: string };

/** A step's options: the per-job enqueue options that make sense in a flow, and the steps it runs after. */
export interface FlowStepOptions extends Pick<
  EnqueueOptions,
  'queue' | 'priority' | 'runAt' | 'delayMs' | 'maxAttempts' | 'timeoutMs' | 'tags' | 'onDependencyFailure' | 'deadLetterJobType'
> {
  /** The steps (or existing jobs) this step waits for; it runs once every one has completed. */
  after?: StepDependency[];
}

export interface FlowStep {
  name: string;
  jobType: string;
  payload: unknown;
  options: FlowStepOptions;
}

/** A flow once inserted: its batch, and the job of each step by name. */
export interface Flow {
  id: string;
  batch: Batch;
  steps: Record<string, JobRecord>;
}

/** A flow as read back (`getFlow`): its batch, and each step with the names of the steps it runs after. */
export interface FlowRecord {
  batch: BatchRecord;
  /** In id order, which is the order the steps were inserted: a step comes after those it runs after. */
  steps: { name: string; job: JobRecord; after: string[] }[];
}

/** A job's dependencies as `ctx.dependencies()` gives them: by step name when they have one, else by job id. */
export function dependenciesByName(records: JobRecord[]): Record<string, JobRecord> {
  return Object.fromEntries(records.map((record) => [record.stepName ?? record.id, record]));
}

/** What a builder asks of the flow service (FlowService); declared here to keep the builder in core. */
export interface FlowOperations {
  run(options: CreateBatchOptions, steps: FlowStep[], caller: CallerTransaction): Promise<Flow>;
}

/**
 * Collects the steps of a flow (`QueueService.createFlow`); `run` validates and inserts them all,
 * with their batch, in one transaction.
 */
export class FlowBuilder {
  private readonly steps: FlowStep[] = [];

  constructor(
    private readonly service: FlowOperations,
    private readonly options: CreateBatchOptions,
  ) {}

  /** Adds a step named `name` (unique in the flow) that runs `jobType` with `payload`. */
  step(name: string, jobType: string, payload: unknown, options: FlowStepOptions = {}): this {
    this.steps.push({ name, jobType, payload, options });
    return this;
  }

  /** Inserts the flow, in the caller's transaction if given; it is armed: the batch callbacks fire once every step has finished. */
  run(caller: CallerTransaction = {}): Promise<Flow> {
    return this.service.run(this.options, this.steps, caller);
  }
}
