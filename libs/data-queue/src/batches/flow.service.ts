import { Injectable } from '@nestjs/common';
import type { CreateBatchOptions } from '../core/batch-record.js';
import { FlowInvalidError, JobOptionsInvalidError, JobPayloadInvalidError } from '../core/data-queue.errors.js';
import { hasCallerTransaction, type CallerTransaction, type DependencyRef, type JobToEnqueue } from '../core/enqueue-options.js';
import type { Flow, FlowOperations, FlowRecord, FlowStep } from '../core/flow.js';
import { planFlow, type PlannedStep } from '../core/flow-plan.js';
import type { JobRecord } from '../core/job-record.js';
import { isUuid } from '../queue/ids.js';
import { JobInserter } from '../queue/job-inserter.js';
import { NewJobFactory } from '../queue/new-job.factory.js';
import { toBatchRecord } from '../store/batch-row.js';
import { QueueDatabase } from '../store/queue-database.js';
import { BatchService } from './batch.service.js';

/**
 * Runs flows: a flow is a batch whose jobs depend on each other. Its steps go in level by level
 * (each level's jobs name the ids of the levels before as `dependsOn`), all in one transaction
 * with the batch, the last level arming it, so its callbacks fire once the whole DAG has finished.
 */
@Injectable()
export class FlowService implements FlowOperations {
  constructor(
    private readonly batches: BatchService,
    private readonly newJobs: NewJobFactory,
    private readonly inserter: JobInserter,
    private readonly database: QueueDatabase,
  ) {}

  async run(options: CreateBatchOptions, steps: FlowStep[], caller: CallerTransaction): Promise<Flow> {
    this.batches.validate(options);
    const levels = planFlow(steps);
    const result = await this.batches.storeFor(caller).transaction(async (tx) => {
      const batch = await this.batches.createIn(tx, options);
      const jobs = new Map<string, JobRecord>();
      const created: JobRecord[] = [];
      for (const [i, level] of levels.entries()) {
        const toInsert = await this.jobsOf(level, jobs, batch.id);
        const inserted = await this.batches.insertJobsIn(tx, batch.id, toInsert, { arm: i === levels.length - 1 });
        level.forEach((step, j) => jobs.set(step.name, { ...inserted.jobs[j], stepName: step.name }));
        created.push(...inserted.created);
        batch.record = inserted.record;
      }
      // Named in one statement after the inserts, so the shared insert statement keeps its shape.
      await tx.flows.nameSteps([...jobs].map(([name, job]) => ({ id: job.id, name })));
      return { batch, steps: Object.fromEntries(jobs), created };
    });
    if (!hasCallerTransaction(caller)) this.inserter.afterCommit(result.created);
    return { id: result.batch.id, batch: result.batch, steps: result.steps };
  }

  async get(id: string): Promise<FlowRecord | null> {
    if (!isUuid(id)) return null;
    const store = this.database.store;
    const row = await store.batches.get(id);
    if (!row) return null;
    const steps = await store.flows.steps(id);
    return { batch: toBatchRecord(row), steps: steps.map(({ job, after }) => ({ name: job.stepName!, job, after })) };
  }

  /** The jobs of one level; a step's `dependsOn` follows its `after`, entry for entry. Option errors name the step. */
  private async jobsOf(level: PlannedStep[], inserted: Map<string, JobRecord>, batchId: string) {
    const jobs: JobToEnqueue[] = level.map(({ jobType, payload, options }) => {
      const { after = [], queue, priority, runAt, delayMs, maxAttempts, timeoutMs, tags, onDependencyFailure, deadLetterJobType } = options;
      const dependsOn = after.map((entry): DependencyRef => {
        if (typeof entry === 'string') return inserted.get(entry)!.id;
        return 'jobId' in entry ? entry.jobId : { idempotencyKey: entry.idempotencyKey };
      });
      const common = { queue, priority, runAt, delayMs, maxAttempts, timeoutMs, tags, onDependencyFailure, deadLetterJobType };
      return { jobType, payload, options: dependsOn.length > 0 ? { ...common, dependsOn } : common };
    });
    try {
      return await this.newJobs.createMany(jobs, { batchId });
    } catch (error) {
      // The factory's index is the step's place in its level: name the step instead.
      if (error instanceof JobOptionsInvalidError) {
        throw new FlowInvalidError(`steps.${level[error.index ?? 0].name}.${error.field}`, error.detail, error);
      }
      if (error instanceof JobPayloadInvalidError) {
        throw new FlowInvalidError(`steps.${level[error.index ?? 0].name}.payload`, error.detail, error);
      }
      throw error;
    }
  }
}
